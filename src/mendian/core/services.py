"""Writes of the core: audit rows, outbox messages, worker heartbeats."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from mendian.core import context
from mendian.core.models import AuditEntry, IdempotencyRecord, OutboxMessage, WorkerHeartbeat

logger = logging.getLogger(__name__)

OutboxHandler = Callable[[dict[str, Any]], None]
_outbox_handlers: dict[str, OutboxHandler] = {}
OUTBOX_MAX_ATTEMPTS = 8


def audit_record(
    *,
    action: str,
    obj: models.Model | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    actor_id: int | None = None,
    store_id: int | None = None,
    register_id: int | None = None,
) -> AuditEntry:
    """Append one audit row. Call it inside the transaction of the action it records, so that
    either both are written or neither is. Who/where default to the current request context."""
    ctx = context.current()
    return AuditEntry.objects.create(
        action=action,
        actor_id=actor_id if actor_id is not None else ctx.actor_id,
        store_id=store_id if store_id is not None else ctx.store_id,
        register_id=register_id if register_id is not None else ctx.register_id,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        before=before,
        after=after,
        request_id=ctx.request_id,
        ip_address=ctx.ip_address,
    )


def outbox_register_handler(topic: str, handler: OutboxHandler) -> None:
    """Apps say, in AppConfig.ready(), which function delivers messages of a topic."""
    _outbox_handlers[topic] = handler


def outbox_enqueue(*, topic: str, payload: dict[str, Any], delay: timedelta | None = None) -> OutboxMessage:
    """Queue a side effect inside the caller's transaction; it is delivered only if that commits."""
    message = OutboxMessage.objects.create(
        topic=topic, payload=payload, available_at=timezone.now() + (delay or timedelta(0))
    )
    if delay is None:
        transaction.on_commit(lambda: _schedule_delivery(message.pk))
    return message


def _schedule_delivery(message_id: int) -> None:
    from mendian.core.tasks import outbox_deliver_task

    try:
        outbox_deliver_task(message_id)
    except Exception:  # noqa: BLE001 - the periodic sweep delivers it if the queue is down
        logger.warning("could not queue outbox message %s; the periodic sweep will deliver it", message_id)


def outbox_deliver(*, message_id: int) -> bool:
    """Deliver one message if it is still pending; returns True when delivered.

    The row is claimed with a guarded update so two workers never deliver the same message twice.
    """
    now = timezone.now()
    claimed = OutboxMessage.objects.filter(
        pk=message_id, status=OutboxMessage.Status.PENDING, available_at__lte=now
    ).update(attempts=models.F("attempts") + 1, available_at=now + timedelta(minutes=5))
    if not claimed:
        return False
    message = OutboxMessage.objects.get(pk=message_id)
    handler = _outbox_handlers.get(message.topic)
    try:
        if handler is None:
            raise LookupError(f"no handler for outbox topic {message.topic!r}")
        handler(message.payload)
    except Exception as exc:  # noqa: BLE001 - any failure of a handler is recorded and retried
        failed = message.attempts >= OUTBOX_MAX_ATTEMPTS
        backoff = timedelta(seconds=30 * 2 ** min(message.attempts, 10))
        OutboxMessage.objects.filter(pk=message_id).update(
            status=OutboxMessage.Status.FAILED if failed else OutboxMessage.Status.PENDING,
            available_at=now + backoff,
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
        )
        logger.warning("outbox message %s (%s) failed: %s", message_id, message.topic, exc)
        return False
    OutboxMessage.objects.filter(pk=message_id).update(
        status=OutboxMessage.Status.DELIVERED, delivered_at=timezone.now(), last_error=""
    )
    return True


def outbox_deliver_due(*, limit: int = 200) -> int:
    """Deliver every pending message that is due; returns how many were delivered."""
    due_ids = list(
        OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING, available_at__lte=timezone.now())
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    return sum(outbox_deliver(message_id=message_id) for message_id in due_ids)


def heartbeat_beat(*, name: str = "worker") -> None:
    WorkerHeartbeat.objects.update_or_create(name=name, defaults={"beat_at": timezone.now()})


IDEMPOTENCY_KEEP = timedelta(days=7)


def idempotency_purge(*, older_than: timedelta = IDEMPOTENCY_KEEP) -> int:
    """Forget idempotency keys after a week: tills retry within minutes, offline uploads carry their own
    client ids (unique in the domain tables), so older records only take space. Returns how many went."""
    deleted, _by_model = IdempotencyRecord.objects.filter(created_at__lt=timezone.now() - older_than).delete()
    return deleted
