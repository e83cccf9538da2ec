"""Outbox delivery after commit, retries, and the health check."""

from datetime import timedelta

from django.db import transaction
from django.test import Client
from django.utils import timezone

from mendian.core import services
from mendian.core.models import OutboxMessage


def test_message_is_delivered_only_after_commit_and_only_once(db, django_capture_on_commit_callbacks):
    delivered: list[dict] = []
    services.outbox_register_handler("test.hello", delivered.append)
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            message = services.outbox_enqueue(topic="test.hello", payload={"n": 1})
            assert delivered == []
    # the task runs inline here only if huey is immediate; deliver explicitly otherwise
    services.outbox_deliver(message_id=message.pk)
    assert delivered == [{"n": 1}]
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.DELIVERED
    assert services.outbox_deliver(message_id=message.pk) is False
    assert delivered == [{"n": 1}]


def test_rolled_back_transaction_leaves_no_message(db):
    try:
        with transaction.atomic():
            services.outbox_enqueue(topic="test.hello", payload={})
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert OutboxMessage.objects.count() == 0


def test_failing_handler_is_retried_later_with_the_error_kept(db):
    def broken(payload: dict) -> None:
        raise ConnectionError("sms gateway down")

    services.outbox_register_handler("test.broken", broken)
    message = services.outbox_enqueue(topic="test.broken", payload={}, delay=timedelta(0))
    assert services.outbox_deliver(message_id=message.pk) is False
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.PENDING
    assert message.attempts == 1
    assert message.last_error == "ConnectionError: sms gateway down"
    assert message.available_at > timezone.now()


def test_healthz_reports_database_migrations_and_worker(db):
    response = Client().get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["database"] == "ok"
    assert body["migrations"] == "ok"
    assert body["worker_heartbeat_age_s"] is None
    services.heartbeat_beat()
    assert Client().get("/healthz").json()["worker_heartbeat_age_s"] < 5
