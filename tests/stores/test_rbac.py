"""Staff see and change only their own stores' data; HQ sees all. Enforced in the API, not only the UI."""

from mendian.core.models import AuditEntry


def test_cashier_of_store_a_cannot_see_store_b_register(chain, cashier_a, api_as):
    api = api_as(cashier_a)
    assert api.get(f"/stores/registers/{chain.register_a.pk}")[0] == 200
    status, body = api.get(f"/stores/registers/{chain.register_b.pk}")
    assert status == 404
    assert body["error"]["code"] == "not_found"
    status, registers = api.get("/stores/registers")
    assert [register["id"] for register in registers] == [chain.register_a.pk]
    status, stores = api.get("/stores/")
    assert [store["code"] for store in stores] == ["A01"]


def test_hq_admin_sees_both_stores(chain, hq_admin, api_as):
    api = api_as(hq_admin)
    _status, stores = api.get("/stores/")
    assert sorted(store["code"] for store in stores) == ["A01", "B01"]
    assert api.get(f"/stores/registers/{chain.register_b.pk}")[0] == 200


def test_cashier_may_not_revoke_a_register(chain, cashier_a, api_as):
    status, body = api_as(cashier_a).post(f"/stores/registers/{chain.register_a.pk}/revoke")
    assert status == 403
    assert body["error"]["code"] == "permission_denied"
    assert not AuditEntry.objects.filter(action="register.token_revoke").exists()


def test_store_manager_revokes_own_register_but_not_another_stores(chain, manager_a, api_as):
    api = api_as(manager_a)
    assert api.post(f"/stores/registers/{chain.register_b.pk}/revoke")[0] == 404
    status, body = api.post(f"/stores/registers/{chain.register_a.pk}/revoke")
    assert status == 200
    assert body["token_revoked"] is True


def test_store_manager_creates_registers_only_in_own_store(chain, manager_a, api_as):
    api = api_as(manager_a)
    status, body = api.post(
        "/stores/registers", {"store_id": chain.store_a.pk, "code": "T9", "name": "新收银台"}
    )
    assert status == 201
    assert len(body["device_token"]) >= 24
    status, _ = api.post("/stores/registers", {"store_id": chain.store_b.pk, "code": "T9", "name": "x"})
    assert status == 404


def test_only_hq_opens_stores(chain, manager_a, hq_admin, api_as):
    assert api_as(manager_a).post("/stores/", {"code": "N1", "name": "新"})[0] == 403
    assert api_as(hq_admin).post("/stores/", {"code": "N1", "name": "新"})[0] == 201
    status, body = api_as(hq_admin).post("/stores/", {"code": "N1", "name": "重复"})
    assert status == 409
    assert body["error"]["code"] == "store_code_taken"


def test_admin_lists_only_own_stores_for_a_manager(chain, manager_a, client):
    client.force_login(manager_a.user)
    response = client.get("/admin/stores/register/")
    assert response.status_code == 200
    content = response.content.decode()
    # the rows link to their change pages (plain "B1" could appear inside a random CSRF token)
    assert f"/admin/stores/register/{chain.register_a.pk}/change/" in content
    assert f"/admin/stores/register/{chain.register_b.pk}/change/" not in content
