"""The members API as the till and the back office use it."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from mendian.core.models import AuditEntry
from mendian.members import services
from mendian.members.models import Member, TopUpPlan, WalletEntry
from mendian.stores.models import StaffProfile
from tests.conftest import ApiClient, Chain

pytestmark = pytest.mark.django_db


@pytest.fixture
def till(chain: Chain, cashier_a: StaffProfile, api_as: Callable[..., ApiClient]) -> ApiClient:
    return api_as(cashier_a, chain.register_a)


def test_cashier_registers_a_member_in_one_call_and_sees_the_phone_masked(
    till: ApiClient, chain: Chain
) -> None:
    status, body = till.post("/members/", {"phone": "13812345678", "name": "李四", "marketing_consent": True})
    assert status == 201
    assert body["phone"] == "138****5678"
    assert body["registered_store_id"] == chain.store_a.pk
    assert body["points"] == 0 and body["wallet_balance_fen"] == 0
    member = Member.objects.get(pk=body["id"])
    assert member.channel == "till" and member.marketing_consent_at is not None
    # the same phone again is a conflict that names the member, and writes nothing
    status, body = till.post("/members/", {"phone": "138-1234-5678"})
    assert status == 409 and body["error"]["code"] == "member_phone_taken"
    assert body["error"]["details"]["member_id"] == member.pk
    assert Member.objects.count() == 1
    # search by the last four digits
    status, found = till.get("/members/", q="5678")
    assert status == 200 and [row["phone"] for row in found] == ["138****5678"]


def test_bad_phone_is_a_clear_400(till: ApiClient) -> None:
    status, body = till.post("/members/", {"phone": "12345"})
    assert status == 400 and body["error"]["code"] == "phone_invalid"
    assert not Member.objects.exists()


def test_manager_sees_the_full_phone_and_the_view_is_audited(
    manager_a: StaffProfile, api_as: Callable[..., ApiClient], make_member: Callable[..., Member]
) -> None:
    member = make_member("13900001234")
    status, body = api_as(manager_a).get(f"/members/{member.pk}")
    assert status == 200 and body["phone"] == "13900001234"
    assert AuditEntry.objects.filter(action="member.view_phone", object_id=str(member.pk)).count() == 1


def test_resolve_code_at_the_till(till: ApiClient, make_member: Callable[..., Member]) -> None:
    member = make_member()
    code = services.member_code_issue(member=member)
    status, body = till.post("/members/resolve-code", {"code": code})
    assert status == 200 and body["id"] == member.pk and body["live_code"] is True
    status, body = till.post("/members/resolve-code", {"code": member.card_no})
    assert status == 200 and body["live_code"] is False
    old = services.member_code_issue(member=member, now=timezone.now() - dt.timedelta(seconds=90))
    status, body = till.post("/members/resolve-code", {"code": old})
    assert status == 400 and body["error"]["code"] == "member_code_expired"
    status, body = till.post(
        "/members/resolve-code", {"code": code[:-2] + ("00" if code[-2:] != "00" else "11")}
    )
    assert status == 400 and body["error"]["code"] == "member_code_invalid"


def test_resolve_code_runs_a_fixed_number_of_queries(
    till: ApiClient, make_member: Callable[..., Member], django_assert_max_num_queries: Any
) -> None:
    member = make_member()
    code = services.member_code_issue(member=member)
    till.post("/members/resolve-code", {"code": code})  # warm the program row
    with django_assert_max_num_queries(10):
        status, _body = till.post("/members/resolve-code", {"code": code})
    assert status == 200


def test_members_api_takes_no_money(till: ApiClient, make_member: Callable[..., Member]) -> None:
    """Stored value and count-card refunds move money, so they are the till's prepaid documents
    (/sales/prepaid); the members API has no top-up or refund that bypasses the drawer."""
    member = make_member()
    plan = TopUpPlan.objects.create(name="充100送20", amount_fen=10000, bonus_fen=2000)
    body = {"client_top_up_id": "topup-0001", "plan_id": plan.pk, "payment_method": "cash"}
    status, _body = till.post(f"/members/{member.pk}/wallet/top-up", body)
    assert status in (404, 405)
    assert WalletEntry.objects.count() == 0


def test_cashier_may_not_adjust_points_or_export(till: ApiClient, make_member: Callable[..., Member]) -> None:
    member = make_member()
    status, body = till.post(f"/members/{member.pk}/points/adjust", {"points": 100, "reason": "x"})
    assert status == 403 and body["error"]["details"]["permission"] == "members.adjust_balance"
    status, body = till.get("/members/export")
    assert status == 403 and body["error"]["code"] == "permission_denied"
    assert not AuditEntry.objects.filter(action="member.export").exists()


def test_export_needs_its_permission_and_is_audited(
    hq_admin: StaffProfile, api_as: Callable[..., ApiClient], make_member: Callable[..., Member]
) -> None:
    make_member("13700001111", name="王五", birthday=dt.date(1990, 1, 2))
    client = api_as(hq_admin)
    response = client.client.get(
        "/api/v1/members/export", headers={"Authorization": f"Bearer {client.token}"}
    )
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    assert "13700001111" in text and "王五" in text and "1990-01-02" in text
    entry = AuditEntry.objects.get(action="member.export")
    assert entry.after == {"rows": 1, "store_id": None, "full_phones": True}
    assert entry.actor_id == hq_admin.user_id


def _upload(client: ApiClient, name: str, content: bytes) -> tuple[int, Any]:
    django_client: Client = client.client
    response = django_client.post(
        "/api/v1/members/import",
        {"file": _named(name, content)},
        headers={"Authorization": f"Bearer {client.token}"},
    )
    return response.status_code, response.json()


def _named(name: str, content: bytes) -> io.BytesIO:
    handle = io.BytesIO(content)
    handle.name = name
    return handle


def test_import_csv_reports_bad_rows_and_skips_duplicates(
    manager_a: StaffProfile, api_as: Callable[..., ApiClient], make_member: Callable[..., Member]
) -> None:
    make_member("13600000000")
    csv_text = (
        "手机号,姓名,性别,生日,标签\n"
        "13611111111,赵一,男,1985-03-04,VIP、常客\n"
        "12345,钱二,女,,\n"
        "13622222222,孙三,不明,,\n"
        "13633333333,李四,女,1990-13-40,\n"
        "136 1111 1111,赵一重复,男,,\n"
        "13600000000,已是会员,,,\n"
        "\n"
        "13644444444,周五,女,1992/07/08,\n"
    )
    status, report = _upload(api_as(manager_a), "members.csv", csv_text.encode("utf-8-sig"))
    assert status == 200
    assert report["created"] == 2 and report["duplicates"] == 2
    assert [(row["row"], row["code"]) for row in report["errors"]] == [
        (3, "phone_invalid"),
        (4, "gender_invalid"),
        (5, "birthday_invalid"),
    ]
    zhao = Member.objects.get(name="赵一")
    assert zhao.channel == "import" and zhao.tags == ["VIP", "常客"] and zhao.gender == "m"
    assert Member.objects.count() == 3


def test_import_xlsx(manager_a: StaffProfile, api_as: Callable[..., ApiClient]) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["phone", "name", "birthday"])
    sheet.append([13811112222, "Excel 用户", dt.date(1991, 2, 3)])
    sheet.append(["not a phone", "坏行", None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    status, report = _upload(api_as(manager_a), "members.xlsx", buffer.getvalue())
    assert status == 200 and report["created"] == 1 and [row["row"] for row in report["errors"]] == [3]


def test_import_of_an_unreadable_file_is_a_400(
    manager_a: StaffProfile, api_as: Callable[..., ApiClient]
) -> None:
    status, body = _upload(api_as(manager_a), "members.xlsx", b"not a zip")
    assert status == 400 and body["error"]["code"] == "import_file_invalid"
    status, body = _upload(api_as(manager_a), "members.csv", "姓名\n张三\n".encode())
    assert status == 400 and body["error"]["code"] == "import_file_invalid"


@pytest.mark.parametrize("field", ["name", "gender", "region", "marketing_consent", "tags", "notes"])
def test_patch_with_null_for_a_field_that_cannot_be_empty_is_a_422_and_writes_nothing(
    field: str,
    manager_a: StaffProfile,
    api_as: Callable[..., ApiClient],
    make_member: Callable[..., Member],
) -> None:
    # given a member with a name, consent and tags
    member = make_member("13900005678", name="王五", marketing_consent=True)
    services.member_update(member=member, tags=["vip"], region="上海", notes="常客")
    audit_rows = AuditEntry.objects.filter(action="member.update").count()
    # when a client sends an explicit null for a field that has no "empty" value in the database,
    # beside valid changes
    changes: dict[str, Any] = {"name": "赵六", "region": "北京"}
    changes[field] = None
    status, body = api_as(manager_a).patch(f"/members/{member.pk}", changes)
    # then it is refused in the error format, naming the field, and nothing changes
    assert status == 422
    assert body["error"]["code"] == "validation_error"
    assert ["body", "payload", field] in [row["loc"] for row in body["error"]["details"]["fields"]]
    member.refresh_from_db()
    assert (member.name, member.marketing_consent, member.tags, member.region, member.notes) == (
        "王五",
        True,
        ["vip"],
        "上海",
        "常客",
    )
    assert AuditEntry.objects.filter(action="member.update").count() == audit_rows


def test_patch_with_null_birthday_clears_it(
    manager_a: StaffProfile, api_as: Callable[..., ApiClient], make_member: Callable[..., Member]
) -> None:
    # given a member with a birthday
    member = make_member("13900005679", birthday=dt.date(1990, 5, 17))
    # when the birthday is sent as null
    status, _body = api_as(manager_a).patch(f"/members/{member.pk}", {"birthday": None})
    # then it is cleared (the one profile field where null means "not known")
    assert status == 200
    member.refresh_from_db()
    assert (member.birthday_encrypted, member.birthday_mmdd) == ("", "")
