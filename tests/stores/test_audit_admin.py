"""The audit log keeps plain store/register ids (ADR 0003); the back office shows their names by id."""

from __future__ import annotations

from django.test import Client

from mendian.core.models import AuditEntry
from mendian.stores import services
from mendian.stores.models import Register


def test_audit_admin_shows_names_and_rows_outlive_a_deleted_register(chain, hq_admin) -> None:
    services.register_token_revoke(register=chain.register_a)
    spare, _token = services.register_create(store=chain.store_b, code="T9", name="临时机")
    services.register_token_revoke(register=spare)
    spare_id = spare.pk
    Register.objects.filter(pk=spare_id).delete()

    # the rows about the deleted register are still there, with its id
    orphan = AuditEntry.objects.get(action="register.token_revoke", register_id=spare_id)
    assert orphan.store_id == chain.store_b.pk
    kept = AuditEntry.objects.get(action="register.token_revoke", register_id=chain.register_a.pk)

    client = Client()
    client.force_login(hq_admin.user)
    response = client.get("/admin/core/auditentry/")
    assert response.status_code == 200
    page = response.content.decode()
    # list cells (the object column says "A01/T1 A1", so match whole cells)
    assert ">A店</td>" in page and ">B店</td>" in page
    assert ">T1 A1</td>" in page
    assert f">#{spare_id}</td>" in page

    detail = client.get(f"/admin/core/auditentry/{orphan.pk}/change/")
    assert detail.status_code == 200
    assert f">#{spare_id}<" in detail.content.decode()
    detail = client.get(f"/admin/core/auditentry/{kept.pk}/change/")
    assert detail.status_code == 200
    assert ">T1 A1<" in detail.content.decode()


def test_a_store_manager_sees_only_the_audit_rows_of_their_stores(chain, hq_admin, manager_a) -> None:
    services.register_token_revoke(register=chain.register_a)
    services.register_token_revoke(register=chain.register_b)
    own = AuditEntry.objects.get(action="register.token_revoke", register_id=chain.register_a.pk)
    other = AuditEntry.objects.get(action="register.token_revoke", register_id=chain.register_b.pk)
    storeless = AuditEntry.objects.create(action="role.change", object_repr="总部操作")

    client = Client()
    client.force_login(manager_a.user)
    response = client.get("/admin/core/auditentry/")
    assert response.status_code == 200
    shown = response.context["cl"].result_list
    assert own.pk in {entry.pk for entry in shown}
    assert {entry.store_id for entry in shown} == {chain.store_a.pk}
    assert client.get(f"/admin/core/auditentry/{other.pk}/change/").status_code in (302, 404)
    assert client.get(f"/admin/core/auditentry/{storeless.pk}/change/").status_code in (302, 404)

    client.force_login(hq_admin.user)
    shown = {entry.pk for entry in client.get("/admin/core/auditentry/").context["cl"].result_list}
    assert {own.pk, other.pk, storeless.pk} <= shown
