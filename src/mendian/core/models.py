"""Cross-cutting records: audit log, idempotency keys, outbox, worker heartbeat."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        raise TypeError("audit entries are append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise TypeError("audit entries are append-only")


class AuditEntry(models.Model):
    """One sensitive action: who, from where, what, before/after. Written in the action's transaction;
    never changed or deleted by the application (and on PostgreSQL a trigger refuses it too).

    Store and register are plain ids, not foreign keys, so that `core` stays the bottom layer and a row
    outlives the store or register it names: see docs/adr/0003-audit-plain-ids.md."""

    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("actor"), null=True, blank=True, on_delete=models.PROTECT
    )
    store_id = models.BigIntegerField(_("store"), null=True, blank=True, db_index=True)
    register_id = models.BigIntegerField(_("register"), null=True, blank=True)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=64, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    ip_address = models.CharField(_("IP address"), max_length=64, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.action} {self.object_repr}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise TypeError("audit entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise TypeError("audit entries are append-only")


class IdempotencyRecord(models.Model):
    """The first (2xx) response to a creating request with an Idempotency-Key, replayed for repeats.

    The unique constraint on (principal, key) is what makes two concurrent requests execute once. While
    the first runs, `locked_until` is the lease of its claim: a claim past its lease belongs to a worker
    that died, and one retry may take it over (see IdempotencyMiddleware).
    """

    class State(models.TextChoices):
        IN_PROGRESS = "in_progress", _("in progress")
        DONE = "done", _("done")

    principal = models.CharField(max_length=80)
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    state = models.CharField(max_length=16, choices=State.choices, default=State.IN_PROGRESS)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    response_body = models.BinaryField(null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [models.UniqueConstraint(fields=["principal", "key"], name="idempotency_unique_key")]

    def __str__(self) -> str:
        return f"{self.method} {self.path} {self.key}"


class OutboxMessage(models.Model):
    """A side effect (message, webhook, alert) written in the business transaction, delivered after commit."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        DELIVERED = "delivered", _("delivered")
        FAILED = "failed", _("failed")

    topic = models.CharField(_("topic"), max_length=64, db_index=True)
    payload = models.JSONField(_("payload"), default=dict)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    available_at = models.DateTimeField(_("due"), db_index=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox")
        ordering = ["id"]
        indexes = [models.Index(fields=["status", "available_at"])]

    def __str__(self) -> str:
        return f"{self.topic} #{self.pk}"


class WorkerHeartbeat(models.Model):
    """The background worker writes here every minute so /healthz can tell whether it is alive."""

    name = models.CharField(max_length=64, unique=True)
    beat_at = models.DateTimeField()

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")

    def __str__(self) -> str:
        return self.name
