"""Signing in: password or register token + PIN, lock-out after repeated failures, revoked tills."""

import pytest
from django.test import Client

from mendian.core.models import AuditEntry
from mendian.stores import services
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
