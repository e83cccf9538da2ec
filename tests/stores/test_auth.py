"""Signing in: password or register token + PIN, lock-out after repeated failures, revoked tills."""

import json

import pytest
from django.test import Client

from mendian.core.models import AuditEntry
from mendian.stores import services
from mendian.stores.models import Store
from tests.conftest import PASSWORD, ApiClient


def test_password_sign_in_gives_a_working_bearer_token(hq_admin):
    status, body = ApiClient().post("/auth/token", {"username": "hq", "password": PASSWORD})
    assert status == 200
    assert body["register_id"] is None
    status, me = ApiClient(body["token"]).get("/auth/me")
    assert status == 200
    assert me["username"] == "hq"
    assert me["all_stores"] is True
    assert me["roles"] == ["总部管理员"]


def test_pin_sign_in_at_a_register_binds_the_token_to_it(chain, cashier_a):
    status, body = ApiClient().post(
        "/auth/token",
        {"register_token": chain.register_a_token, "employee_no": cashier_a.employee_no, "pin": "2468"},
    )
    assert status == 200
    assert (body["register_id"], body["store_id"]) == (chain.register_a.pk, chain.store_a.pk)
    assert AuditEntry.objects.filter(action="auth.token_issue", register_id=chain.register_a.pk).count() == 1


def test_pin_sign_in_at_another_stores_register_is_refused(chain, cashier_a):
    status, body = ApiClient().post(
        "/auth/token",
        {"register_token": chain.register_b_token, "employee_no": cashier_a.employee_no, "pin": "2468"},
    )
    assert status == 401
    assert body["error"]["code"] == "invalid_credentials"


def test_revoked_register_can_no_longer_sign_in_and_its_sessions_end(chain, cashier_a):
    _status, body = ApiClient().post(
        "/auth/token",
        {"register_token": chain.register_a_token, "employee_no": cashier_a.employee_no, "pin": "2468"},
    )
    services.register_token_revoke(register=chain.register_a)
    assert ApiClient(body["token"]).get("/auth/me")[0] == 401
    status, _ = ApiClient().post(
        "/auth/token",
        {"register_token": chain.register_a_token, "employee_no": cashier_a.employee_no, "pin": "2468"},
    )
    assert status == 401


def test_logout_revokes_the_token(hq_admin, api_as):
    api = api_as(hq_admin)
    assert api.post("/auth/logout")[0] == 204
    assert api.get("/auth/me")[0] == 401


def test_sign_in_body_must_choose_one_way(db):
    status, body = ApiClient().post("/auth/token", {"username": "x"})
    assert status == 422
    assert body["error"]["code"] == "validation_error"


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(hq_admin):
    client = ApiClient()
    for _attempt in range(5):
        status, body = client.post("/auth/token", {"username": "hq", "password": "wrong-password"})
    assert status == 403
    assert body["error"]["code"] == "locked_out"
    status, body = client.post("/auth/token", {"username": "hq", "password": PASSWORD})
    assert status == 403
    assert body["error"]["code"] == "locked_out"


def test_wrong_pins_lock_the_employee_number(chain, cashier_a):
    client = ApiClient()
    attempt = {"register_token": chain.register_a_token, "employee_no": cashier_a.employee_no, "pin": "0000"}
    statuses = [client.post("/auth/token", attempt)[0] for _ in range(5)]
    assert statuses == [401, 401, 401, 401, 403]
    status, _ = client.post("/auth/token", {**attempt, "pin": "2468"})
    assert status == 403


def test_admin_login_locks_out_too(hq_admin):
    client = Client()
    for _attempt in range(5):
        response = client.post("/admin/login/?next=/admin/", {"username": "hq", "password": "nope-nope"})
    assert response.status_code == 403
    response = client.post("/admin/login/?next=/admin/", {"username": "hq", "password": PASSWORD})
    assert response.status_code == 403


def test_passwords_are_hashed_with_argon2(hq_admin):
    assert hq_admin.user.password.startswith("argon2$")
    assert hq_admin.pin_hash.startswith("argon2$")


@pytest.mark.parametrize("pin", ["123", "1234567", "12a4", ""])
def test_pins_must_be_4_to_6_digits(chain, make_staff, pin):
    from mendian.core.errors import DomainError

    with pytest.raises(DomainError) as raised:
        make_staff(["cashier"], [chain.store_a], pin=pin)
    assert raised.value.code == "pin_invalid"


def _expire(raw_token):
    from datetime import timedelta

    from django.utils import timezone

    from mendian.stores.models import ApiToken
    from mendian.stores.selectors import token_hash

    ApiToken.objects.filter(key_hash=token_hash(raw_token)).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )


def _revoke(raw_token):
    assert ApiClient(raw_token).post("/auth/logout")[0] == 204


def _deactivate_user(raw_token):
    from mendian.stores.models import ApiToken
    from mendian.stores.selectors import token_hash

    user = ApiToken.objects.get(key_hash=token_hash(raw_token)).user
    user.is_active = False
    user.save(update_fields=["is_active"])


@pytest.mark.parametrize(
    "spoil", [_expire, _revoke, _deactivate_user], ids=["expired", "revoked", "inactive"]
)
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/stores/"),
        ("post", "/api/v1/stores/"),
        ("put", "/api/v1/catalog/skus/1/price"),
        ("patch", "/api/v1/members/1"),
        ("delete", "/api/v1/catalog/products/1"),
    ],
)
def test_a_dead_bearer_token_is_401_token_invalid_on_every_method(chain, cashier_a, method, path, spoil):
    # given a till signed in with a PIN whose token then expires, is revoked or whose user is disabled
    status, body = ApiClient().post(
        "/auth/token",
        {"register_token": chain.register_a_token, "employee_no": cashier_a.employee_no, "pin": "2468"},
    )
    assert status == 200
    raw = body["token"]
    spoil(raw)
    # when it calls the API with it (a browser till: its client enforces CSRF like a browser)
    client = Client(enforce_csrf_checks=True)
    response = client.generic(
        method.upper(),
        path,
        data=json.dumps({"code": "X1", "name": "x"}) if method != "get" else "",
        content_type="application/json",
        headers={"Authorization": f"Bearer {raw}", "Accept-Language": "en"},
    )
    # then it is told to sign in again, never about CSRF
    assert response.status_code == 401
    assert response.json()["error"] == {
        "code": "token_invalid",
        "message": "The sign-in has expired or was revoked. Sign in again.",
        "details": {},
    }
    assert not Store.objects.filter(code="X1").exists()


def test_an_unknown_bearer_token_on_a_post_is_401_even_beside_a_signed_in_session(hq_admin):
    # given a browser session of an HQ admin, and a bearer token that was never issued
    client = Client(enforce_csrf_checks=True)
    client.force_login(hq_admin.user)
    # when it posts with that token
    response = client.post(
        "/api/v1/stores/",
        data={"code": "X2", "name": "x"},
        content_type="application/json",
        headers={"Authorization": "Bearer not-a-token"},
    )
    # then the token decides: 401, and nothing is created
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_invalid"
    assert not Store.objects.filter(code="X2").exists()


def test_a_valid_bearer_token_posts_without_csrf_and_signing_in_again_works_with_a_stale_one(
    chain, cashier_a, hq_admin, api_as
):
    # given a valid token: a POST works without any CSRF token
    status, body = api_as(hq_admin).post("/stores/", {"code": "X3", "name": "新店"})
    assert status == 201
    # and a till whose token expired still signs in again with the stale header still attached
    status, body = ApiClient().post(
        "/auth/token",
        {"register_token": chain.register_a_token, "employee_no": cashier_a.employee_no, "pin": "2468"},
    )
    stale = body["token"]
    _expire(stale)
    status, body = ApiClient(stale).post(
        "/auth/token",
        {"register_token": chain.register_a_token, "employee_no": cashier_a.employee_no, "pin": "2468"},
    )
    assert status == 200
    assert ApiClient(body["token"]).get("/auth/me")[0] == 200
