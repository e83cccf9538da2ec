"""Idempotency-Key on creating API calls: replay, conflict, and concurrent repeats that run once."""

import threading

import pytest
from django.db import connection

from mendian.core.models import IdempotencyRecord
from mendian.stores.models import Store
from tests.conftest import ApiClient


def test_repeat_with_same_key_returns_the_first_response(hq_admin, api_as):
    api = api_as(hq_admin)
    body = {"code": "C01", "name": "新店"}
    first_status, first = api.post("/stores/", body, headers={"Idempotency-Key": "k-1"})
    again_status, again = api.post("/stores/", body, headers={"Idempotency-Key": "k-1"})
    assert first_status == again_status == 201
    assert again == first
    assert Store.objects.filter(code="C01").count() == 1


def test_replayed_response_is_marked(hq_admin, api_as):
    api = api_as(hq_admin)
    body = {"code": "C02", "name": "新店"}
    api.post("/stores/", body, headers={"Idempotency-Key": "k-2"})
    response = api.client.post(
        "/api/v1/stores/",
        data=body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {api.token}", "Idempotency-Key": "k-2"},
    )
    assert response["Idempotent-Replayed"] == "true"


def test_same_key_with_a_different_body_is_rejected_with_409(hq_admin, api_as):
    api = api_as(hq_admin)
    api.post("/stores/", {"code": "C03", "name": "新店"}, headers={"Idempotency-Key": "k-3"})
    status, body = api.post("/stores/", {"code": "C04", "name": "另一家"}, headers={"Idempotency-Key": "k-3"})
    assert status == 409
    assert body["error"]["code"] == "idempotency_key_reused"
    assert not Store.objects.filter(code="C04").exists()


def test_keys_are_per_caller(hq_admin, make_staff, api_as, chain):
    other_hq = make_staff(["hq_admin"], all_stores=True)
    api_as(hq_admin).post("/stores/", {"code": "C05", "name": "甲"}, headers={"Idempotency-Key": "shared"})
    status, body = api_as(other_hq).post(
        "/stores/", {"code": "C06", "name": "乙"}, headers={"Idempotency-Key": "shared"}
    )
    assert status == 201
    assert body["code"] == "C06"


def test_failed_validation_is_replayed_too_but_5xx_is_not_kept(hq_admin, api_as):
    api = api_as(hq_admin)
    status, _body = api.post(
        "/stores/", {"code": "bad code!", "name": "x"}, headers={"Idempotency-Key": "k-4"}
    )
    assert status == 422
    assert IdempotencyRecord.objects.get(key="k-4").status_code == 422


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_execute_once(chain, make_staff, token_for):
    # given an HQ admin and five threads posting the same creation with the same key
    admin = make_staff(["hq_admin"], all_stores=True)
    token = token_for(admin)
    results: list[tuple[int, dict]] = []
    barrier = threading.Barrier(5)

    def post() -> None:
        try:
            barrier.wait()
            results.append(
                ApiClient(token).post(
                    "/stores/", {"code": "RACE", "name": "并发店"}, headers={"Idempotency-Key": "race"}
                )
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then exactly one store exists and every caller saw the same 201 body
    assert Store.objects.filter(code="RACE").count() == 1
    assert [status for status, _ in results] == [201] * 5
    assert len({body["id"] for _, body in results}) == 1


def test_keys_older_than_a_week_are_purged(hq_admin, api_as):
    from datetime import timedelta

    from django.utils import timezone

    from mendian.core.services import idempotency_purge

    api = api_as(hq_admin)
    api.post("/stores/", {"code": "OLD", "name": "旧"}, headers={"Idempotency-Key": "old"})
    api.post("/stores/", {"code": "NEW", "name": "新"}, headers={"Idempotency-Key": "new"})
    IdempotencyRecord.objects.filter(key="old").update(created_at=timezone.now() - timedelta(days=8))
    assert idempotency_purge() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]
