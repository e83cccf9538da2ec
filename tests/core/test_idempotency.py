"""Idempotency-Key on creating API calls: replay, conflict, and concurrent repeats that run once."""

import json
import threading
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from mendian.core import middleware
from mendian.core.middleware import request_fingerprint
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


def test_a_refusal_is_not_kept_so_a_retry_after_the_cause_is_gone_runs_again(hq_admin, api_as, chain):
    # given a store whose code a new store wants
    api = api_as(hq_admin)
    body = {"code": "DUP", "name": "新店"}
    Store.objects.create(code="DUP", name="旧店")
    # when the creation is refused (409 conflict), then the refusal is not kept
    status, first = api.post("/stores/", body, headers={"Idempotency-Key": "k-4"})
    assert (status, first["error"]["code"]) == (409, "store_code_taken")
    assert not IdempotencyRecord.objects.filter(key="k-4").exists()
    # and when the cause is gone (the old store renamed), the retry with the same key runs and creates it
    Store.objects.filter(code="DUP").update(code="DUP-OLD")
    status, again = api.post("/stores/", body, headers={"Idempotency-Key": "k-4"})
    assert status == 201
    assert again["code"] == "DUP"
    assert IdempotencyRecord.objects.get(key="k-4").status_code == 201


def test_a_validation_error_is_not_kept_either(hq_admin, api_as):
    api = api_as(hq_admin)
    status, _body = api.post(
        "/stores/", {"code": "bad code!", "name": "x"}, headers={"Idempotency-Key": "k-5"}
    )
    assert status == 422
    assert not IdempotencyRecord.objects.filter(key="k-5").exists()


def _claim_left_by_a_dead_worker(user, key, body, *, locked_until, path="/api/v1/stores/", query=""):
    """The record the middleware writes when it claims a key, as a worker killed mid-request leaves it."""
    return IdempotencyRecord.objects.create(
        principal=f"user:{user.pk}",
        key=key,
        method="POST",
        path=path,
        request_hash=request_fingerprint(
            method="POST", path=path, query_string=query, body=json.dumps(body).encode()
        ),
        locked_until=locked_until,
    )


def test_a_claim_whose_worker_died_is_taken_over_by_the_retry_which_runs_once(hq_admin, api_as):
    # given a key claimed by a worker that was killed mid-request: its lease ran out a second ago
    body = {"code": "DEAD", "name": "断电店"}
    record = _claim_left_by_a_dead_worker(
        hq_admin.user, "dead-1", body, locked_until=timezone.now() - timedelta(seconds=1)
    )
    api = api_as(hq_admin)
    # when the till retries with the same key
    status, first = api.post("/stores/", body, headers={"Idempotency-Key": "dead-1"})
    # then the retry runs the request (once) and its answer is kept on the same record
    assert status == 201
    assert Store.objects.filter(code="DEAD").count() == 1
    record.refresh_from_db()
    assert (record.state, record.status_code, record.locked_until) == ("done", 201, None)
    # and a further retry replays it
    status, again = api.post("/stores/", body, headers={"Idempotency-Key": "dead-1"})
    assert (status, again) == (201, first)
    assert Store.objects.filter(code="DEAD").count() == 1


def test_a_claim_from_before_leases_is_taken_over_too(hq_admin, api_as):
    # given an in-progress record without a lease (left stuck by the middleware before leases existed)
    body = {"code": "OLDK", "name": "旧键店"}
    _claim_left_by_a_dead_worker(hq_admin.user, "stuck", body, locked_until=None)
    # when it is retried, then it runs
    status, _first = api_as(hq_admin).post("/stores/", body, headers={"Idempotency-Key": "stuck"})
    assert status == 201
    assert Store.objects.filter(code="OLDK").count() == 1


def test_the_claim_lease_is_the_configured_number_of_seconds(db, settings, rf):
    # given a lease of 7 s (MENDIAN_IDEMPOTENCY_LEASE_SECONDS) and a request with a key
    settings.IDEMPOTENCY_LEASE_SECONDS = 7
    request = rf.post("/api/v1/stores/", data=b"{}", content_type="application/json")
    request.META["HTTP_IDEMPOTENCY_KEY"] = "lease-7"
    request.user = AnonymousUser()
    seen: list[timedelta] = []

    def view(_request: HttpRequest) -> HttpResponse:
        claim = IdempotencyRecord.objects.get(key="lease-7")
        seen.append(claim.locked_until - claimed_after)
        return HttpResponse(b"{}", status=201, content_type="application/json")

    # when the request runs
    claimed_after = timezone.now()
    response = middleware.IdempotencyMiddleware(view)(request)
    # then while it ran its claim held for 7 s from when it arrived
    assert response.status_code == 201
    assert timedelta(seconds=7) <= seen[0] < timedelta(seconds=8)


def test_a_live_claim_answers_409_in_progress_with_retry_after(hq_admin, api_as, monkeypatch):
    # given a key whose first request is still running (lease 20 s ahead), and a short wait for the test
    monkeypatch.setattr(middleware, "WAIT_FOR_FIRST_SECONDS", 0.2)
    body = {"code": "BUSY", "name": "忙店"}
    _claim_left_by_a_dead_worker(
        hq_admin.user, "busy", body, locked_until=timezone.now() + timedelta(seconds=20)
    )
    # when a repeat arrives
    response = api_as(hq_admin, language="en").client.post(
        "/api/v1/stores/",
        data=body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {api_as(hq_admin).token}", "Idempotency-Key": "busy"},
    )
    # then it is told to retry later, and the request did not run
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_in_progress"
    assert 19 <= int(response["Retry-After"]) <= 20
    assert response.json()["error"]["details"] == {"retry_after_seconds": int(response["Retry-After"])}
    assert not Store.objects.filter(code="BUSY").exists()


def test_the_query_string_is_part_of_the_request(hq_admin, api_as):
    # given a creation sent with a key and a query string
    api = api_as(hq_admin)
    body = {"code": "QS1", "name": "查询店"}
    assert api.post("/stores/?source=a", body, headers={"Idempotency-Key": "qs"})[0] == 201
    # when the same key and body come with another query string
    status, answer = api.post("/stores/?source=b", body, headers={"Idempotency-Key": "qs"})
    # then it is not a replay but a different request under a used key
    assert status == 409
    assert answer["error"]["code"] == "idempotency_key_reused"
    assert Store.objects.filter(code="QS1").count() == 1


def test_sign_in_is_never_stored(hq_admin):
    # given a sign-in sent with an Idempotency-Key
    from tests.conftest import PASSWORD

    status, body = ApiClient().post(
        "/auth/token", {"username": "hq", "password": PASSWORD}, headers={"Idempotency-Key": "login"}
    )
    # then the answer (a bearer token) is not kept anywhere, and signing in again gives a new token
    assert status == 200
    assert not IdempotencyRecord.objects.exists()
    status, again = ApiClient().post(
        "/auth/token", {"username": "hq", "password": PASSWORD}, headers={"Idempotency-Key": "login"}
    )
    assert status == 200 and again["token"] != body["token"]


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


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_of_a_dead_claim_run_it_once_and_the_others_replay(chain, make_staff, token_for):
    # given a key left claimed by a dead worker, and four retries arriving at once (on PostgreSQL, where
    # they really run in parallel)
    admin = make_staff(["hq_admin"], all_stores=True)
    token = token_for(admin)
    body = {"code": "RETRY", "name": "重试店"}
    _claim_left_by_a_dead_worker(
        admin.user, "dead-race", body, locked_until=timezone.now() - timedelta(seconds=5)
    )
    results: list[tuple[int, dict]] = []
    barrier = threading.Barrier(4)

    def post() -> None:
        try:
            barrier.wait()
            results.append(ApiClient(token).post("/stores/", body, headers={"Idempotency-Key": "dead-race"}))
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then one retry took the claim over and ran it; the others waited for its answer and replayed it
    assert Store.objects.filter(code="RETRY").count() == 1
    assert [status for status, _ in results] == [201] * 4
    assert len({answer["id"] for _, answer in results}) == 1
    assert IdempotencyRecord.objects.get(key="dead-race").state == "done"


def test_kept_answers_hold_no_phone_number_in_clear_and_still_replay(chain, manager_a, api_as):
    # given a store manager (who sees full phone numbers) registering a member with an Idempotency-Key
    api = api_as(manager_a, chain.register_a)
    body = {"phone": "13912345678", "name": "李四"}
    status, first = api.post("/members/", body, headers={"Idempotency-Key": "member-1"})
    assert status == 201 and first["phone"] == "13912345678"
    # then the kept answer does not show the phone (nor the name) in clear
    kept = bytes(IdempotencyRecord.objects.get(key="member-1").response_body)
    assert b"13912345678" not in kept and "李四".encode() not in kept
    # and a repeat still gets the first answer back
    status, again = api.post("/members/", body, headers={"Idempotency-Key": "member-1"})
    assert (status, again) == (201, first)


def test_an_answer_kept_under_another_secret_key_is_a_clear_409(hq_admin, api_as, settings):
    # given an answer kept, then the server's SECRET_KEY rotated
    api = api_as(hq_admin, language="en")
    body = {"code": "ROT", "name": "轮换店"}
    assert api.post("/stores/", body, headers={"Idempotency-Key": "rot"})[0] == 201
    settings.SECRET_KEY = "another-secret-key-" + "x" * 40
    # when the request is repeated
    status, answer = api.post("/stores/", body, headers={"Idempotency-Key": "rot"})
    # then it is neither replayed garbled nor run again
    assert status == 409
    assert answer["error"]["code"] == "idempotency_answer_lost"
    assert Store.objects.filter(code="ROT").count() == 1
