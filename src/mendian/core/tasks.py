"""Background jobs of the core: outbox delivery and the worker heartbeat."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, on_startup

from mendian.core import services


@db_task(retries=0)
def outbox_deliver_task(message_id: int) -> bool:
    return services.outbox_deliver(message_id=message_id)


@db_periodic_task(crontab(minute="*"))
def outbox_sweep_task() -> int:
    return services.outbox_deliver_due()


@db_periodic_task(crontab(hour="4", minute="10"))
def idempotency_purge_task() -> int:
    return services.idempotency_purge()


@db_periodic_task(crontab(minute="*"))
def heartbeat_task() -> None:
    services.heartbeat_beat()


@on_startup()
def heartbeat_on_start() -> None:
    services.heartbeat_beat()
