"""Audit rows are written in the action's transaction and cannot be changed or deleted."""

import pytest
from django.db import DatabaseError, connection, transaction

from mendian.core.errors import Conflict
from mendian.core.models import AuditEntry
from mendian.stores import services


def test_register_revoke_writes_an_audit_row_with_who_and_where(hq_admin, api_as, chain):
    status, _body = api_as(hq_admin).post(f"/stores/registers/{chain.register_b.pk}/revoke")
    assert status == 200
    entry = AuditEntry.objects.get(action="register.token_revoke")
    assert entry.actor_id == hq_admin.user_id
    assert entry.store_id == chain.store_b.pk
    assert entry.register_id == chain.register_b.pk
    assert entry.object_id == str(chain.register_b.pk)
    assert len(entry.request_id) == 32


def test_a_failed_action_leaves_no_audit_row(chain):
    before = AuditEntry.objects.count()
    with pytest.raises(Conflict) as raised:
        services.register_create(store=chain.store_a, code="T1", name="dup")
    assert raised.value.code == "register_code_taken"
    assert AuditEntry.objects.count() == before


def test_audit_rows_cannot_be_edited_or_deleted_through_the_app(chain):
    entry = AuditEntry.objects.filter(action="store.create").first()
    entry.action = "forged"
    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        entry.delete()
    with pytest.raises(TypeError):
        AuditEntry.objects.filter(pk=entry.pk).update(action="forged")
    with pytest.raises(TypeError):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.get(pk=entry.pk).action == "store.create"


@pytest.mark.postgres
def test_postgres_refuses_raw_updates_of_audit_rows(chain):
    entry = AuditEntry.objects.first()
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE core_auditentry SET action = 'x' WHERE id = %s", [entry.pk])
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM core_auditentry WHERE id = %s", [entry.pk])


def test_staff_access_change_records_before_and_after(chain, make_staff):
    profile = make_staff(["cashier"], [chain.store_a])
    services.staff_access_set(
        profile=profile, roles=["store_manager"], stores=[chain.store_b], all_stores=False
    )
    entry = AuditEntry.objects.get(action="staff.access_change")
    assert entry.before == {"groups": ["收银员"], "stores": ["A01"], "all_stores": False}
    assert entry.after == {"groups": ["店长"], "stores": ["B01"], "all_stores": False}
