"""Stored value, count cards and paid cards sold at the till: real tenders, the drawer, the shift's
rollup apart from goods sales, a receipt, idempotency by client id, and refunds back through the drawer."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest
from django.db import connection
from django.utils import translation

from mendian.core.models import AuditEntry
from mendian.members import services as member_services
from mendian.members.models import (
    CountCard,
    CountCardPlan,
    Member,
    MembershipCard,
    MembershipPlan,
    Tier,
    TopUpPlan,
    WalletAccount,
    WalletEntry,
)
from mendian.sales.models import CashDrawerEntry, PrepaidSale, PrepaidTender, Shift
from mendian.sales.receipt_render import receipt_from_prepaid, receipt_text_lines
from tests.conftest import ApiClient
from tests.sales.conftest import Till


@pytest.fixture
def member(chain: Any) -> Member:
    return member_services.member_register(phone="13900001111", name="王芳", store_id=chain.store_a.pk)


@pytest.fixture
def plan_100_20(db: None) -> TopUpPlan:
    return TopUpPlan.objects.create(name="充100送20", amount_fen=10000, bonus_fen=2000)


def wallet(member: Member) -> tuple[int, int]:
    account = WalletAccount.objects.get(member=member)
    return account.principal_fen, account.bonus_fen


def shift_of(till: Till) -> Shift:
    return Shift.objects.get(pk=till.shift.pk)


def sell_body(till: Till, member: Member, **fields: Any) -> dict[str, Any]:
    return {
        "client_id": str(uuid.uuid4()),
        "register_id": till.chain.register_a.pk,
        "member_id": member.pk,
        **fields,
    }


def test_cash_top_up_with_a_plan_reaches_the_drawer_and_the_shift_apart_from_sales(
    till: Till, member: Member, plan_100_20: TopUpPlan
) -> None:
    # Given a member and the 充100送20 plan, when the cashier takes ¥150 cash for it
    before = shift_of(till)
    status, body = till.api.post(
        "/sales/prepaid",
        sell_body(
            till,
            member,
            kind="top_up",
            plan_id=plan_100_20.pk,
            tenders=[{"kind": "cash", "amount_fen": 10000, "tendered_fen": 15000}],
        ),
    )
    # Then the card holds ¥100 principal and ¥20 bonus, and ¥50 change was given
    assert status == 201, body
    assert (body["amount_fen"], body["bonus_fen"], body["change_fen"]) == (10000, 2000, 5000)
    assert body["details"]["balance_after_fen"] == 12000
    assert wallet(member) == (10000, 2000)
    # And the drawer expects ¥100 more; the shift counts it as stored value, not as a sale
    after = shift_of(till)
    assert after.cash_balance_fen == before.cash_balance_fen + 10000
    assert (after.sales_fen, after.order_count) == (before.sales_fen, before.order_count)
    assert (after.prepaid_count, after.prepaid_in_fen, after.prepaid_out_fen) == (1, 10000, 0)
    assert after.prepaid_by_kind == {"top_up": 10000}
    assert after.prepaid_by_tender == {"cash": 10000}
    entries = list(CashDrawerEntry.objects.filter(source_type="prepaid").values_list("kind", "amount_fen"))
    assert entries == [("sale_cash_in", 15000), ("change_out", -5000)]
    assert AuditEntry.objects.filter(action="prepaid.top_up").count() == 1
    # And the X report shows it in its own block
    status, report = till.api.get(f"/sales/shifts/{till.shift.pk}/report")
    assert (report["prepaid_in_fen"], report["prepaid_by_kind"], report["sales_fen"]) == (
        10000,
        {"top_up": 10000},
        0,
    )


def test_the_receipt_shows_principal_bonus_and_balance(
    till: Till, member: Member, plan_100_20: TopUpPlan
) -> None:
    status, body = till.api.post(
        "/sales/prepaid",
        sell_body(
            till,
            member,
            kind="top_up",
            plan_id=plan_100_20.pk,
            tenders=[{"kind": "cash", "amount_fen": 10000}],
        ),
    )
    assert status == 201
    sale = PrepaidSale.objects.select_related("store", "register", "cashier__staff").get(pk=body["id"])
    with translation.override("en"):
        text = "\n".join(line for _style, line in receipt_text_lines(receipt_from_prepaid(sale), 48))
    assert "充100送20" in text
    for label, amount in (
        ("Stored value paid in", "100.00"),
        ("Bonus", "20.00"),
        ("Stored value balance", "120.00"),
    ):
        assert any(label in line and amount in line for line in text.splitlines()), (label, text)
    # The public e-receipt answers on the same token
    page = till.api.client.get(body["receipt_url"], HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200
    html = page.content.decode()
    assert "充100送20" in html and "120.00" in html and "20.00" in html


def test_a_repeat_of_the_same_client_id_returns_the_first_and_credits_once(
    till: Till, member: Member, plan_100_20: TopUpPlan
) -> None:
    body = sell_body(
        till, member, kind="top_up", plan_id=plan_100_20.pk, tenders=[{"kind": "card", "amount_fen": 10000}]
    )
    first = till.api.post("/sales/prepaid", body)
    again = till.api.post("/sales/prepaid", body)
    assert (first[0], again[0]) == (201, 200)
    assert first[1]["id"] == again[1]["id"]
    assert wallet(member) == (10000, 2000)
    assert shift_of(till).prepaid_in_fen == 10000
    # The same id for another member is refused and writes nothing
    other = member_services.member_register(phone="13900002222", store_id=till.chain.store_a.pk)
    status, error = till.api.post("/sales/prepaid", {**body, "member_id": other.pk})
    assert status == 409 and error["error"]["code"] == "idempotency_key_reused"
    assert wallet(other) == (0, 0)


def test_refused_sales_write_nothing(till: Till, member: Member, plan_100_20: TopUpPlan) -> None:
    before = shift_of(till)
    cases = [
        (
            {"kind": "top_up", "plan_id": plan_100_20.pk, "tenders": [{"kind": "cash", "amount_fen": 5000}]},
            "tenders_insufficient",
        ),
        (
            {"kind": "top_up", "plan_id": plan_100_20.pk, "tenders": [{"kind": "card", "amount_fen": 20000}]},
            "tender_exceeds_total",
        ),
        (
            {"kind": "top_up", "amount_fen": 0, "tenders": [{"kind": "cash", "amount_fen": 100}]},
            "top_up_invalid",
        ),
        (
            {"kind": "count_card", "plan_id": 999999, "tenders": [{"kind": "cash", "amount_fen": 100}]},
            "count_card_plan_not_found",
        ),
    ]
    for fields, code in cases:
        status, error = till.api.post("/sales/prepaid", sell_body(till, member, **fields))
        assert status in (400, 409, 422) and error["error"]["code"] == code, (fields, error)
    # Stored value and points are not tenders for stored value
    status, _error = till.api.post(
        "/sales/prepaid",
        sell_body(
            till,
            member,
            kind="top_up",
            plan_id=plan_100_20.pk,
            tenders=[{"kind": "stored_value", "amount_fen": 10000}],
        ),
    )
    assert status == 422
    assert wallet(member) == (0, 0)
    assert PrepaidSale.objects.count() == 0 and PrepaidTender.objects.count() == 0
    after = shift_of(till)
    assert (after.cash_balance_fen, after.prepaid_count) == (before.cash_balance_fen, 0)


def test_no_open_shift_no_sale(
    chain: Any, cashier_a: Any, api_as: Any, member: Member, plan_100_20: TopUpPlan
) -> None:
    api: ApiClient = api_as(cashier_a, chain.register_a)
    status, error = api.post(
        "/sales/prepaid",
        {
            "client_id": str(uuid.uuid4()),
            "register_id": chain.register_a.pk,
            "member_id": member.pk,
            "kind": "top_up",
            "plan_id": plan_100_20.pk,
            "tenders": [{"kind": "cash", "amount_fen": 10000}],
        },
    )
    assert status == 409 and error["error"]["code"] == "shift_not_open"
    assert wallet(member) == (0, 0)


def test_another_stores_register_is_not_found(till: Till, member: Member, plan_100_20: TopUpPlan) -> None:
    body = sell_body(
        till, member, kind="top_up", plan_id=plan_100_20.pk, tenders=[{"kind": "cash", "amount_fen": 10000}]
    )
    status, _error = till.api.post("/sales/prepaid", {**body, "register_id": till.chain.register_b.pk})
    assert status in (403, 404)
    assert wallet(member) == (0, 0)


def test_count_card_sale_and_refund_of_unused_uses_through_the_drawer(
    till: Till, member: Member, manager_a: Any
) -> None:
    plan = CountCardPlan.objects.create(name="洗车10次", price_fen=30000, uses_qty=10, validity_days=365)
    status, sold = till.api.post(
        "/sales/prepaid",
        sell_body(
            till, member, kind="count_card", plan_id=plan.pk, tenders=[{"kind": "cash", "amount_fen": 30000}]
        ),
    )
    assert status == 201, sold
    card = CountCard.objects.get(member=member)
    assert (card.uses_left, card.price_fen) == (10, 30000)
    # Two uses later, the member wants the rest back: 8/10 of ¥300 in cash, authorised by the manager
    CountCard.objects.filter(pk=card.pk).update(uses_left=8)
    cash_before = shift_of(till).cash_balance_fen
    refund = {
        "client_id": str(uuid.uuid4()),
        "register_id": till.chain.register_a.pk,
        "member_id": member.pk,
        "kind": "count_card_refund",
        "count_card_id": card.pk,
        "tender": {"kind": "cash", "amount_fen": 0},
        "reason": "搬家",
    }
    status, error = till.api.post("/sales/prepaid/refunds", refund)
    assert status == 403 and error["error"]["code"] == "authorization_required"
    status, paid_back = till.api.post(
        "/sales/prepaid/refunds",
        {**refund, "authorizer": {"employee_no": manager_a.employee_no, "pin": "1357"}},
    )
    assert status == 201, paid_back
    assert paid_back["amount_fen"] == 24000 and paid_back["is_refund"] is True
    after = shift_of(till)
    assert after.cash_balance_fen == cash_before - 24000
    assert (after.prepaid_in_fen, after.prepaid_out_fen) == (30000, 24000)
    assert after.prepaid_by_tender == {"cash": 6000}
    card.refresh_from_db()
    assert (card.uses_left, card.status) == (0, "refunded")
    assert PrepaidSale.objects.get(pk=paid_back["id"]).authorizer_id == manager_a.user_id


def test_closing_stored_value_pays_back_the_principal_and_forfeits_the_bonus(
    till: Till, member: Member, plan_100_20: TopUpPlan, manager_a: Any, api_as: Any
) -> None:
    till.api.post(
        "/sales/prepaid",
        sell_body(
            till,
            member,
            kind="top_up",
            plan_id=plan_100_20.pk,
            tenders=[{"kind": "cash", "amount_fen": 10000}],
        ),
    )
    manager = api_as(manager_a, till.chain.register_a)
    status, body = manager.post(
        "/sales/prepaid/refunds",
        {
            "client_id": str(uuid.uuid4()),
            "register_id": till.chain.register_a.pk,
            "member_id": member.pk,
            "kind": "top_up_refund",
            "tender": {"kind": "card", "amount_fen": 0, "card_last4": "1234", "reference": "RRN1"},
            "reason": "会员退卡",
        },
    )
    assert status == 201, body
    assert (body["amount_fen"], body["bonus_fen"]) == (10000, 2000)
    assert wallet(member) == (0, 0)
    after = shift_of(till)
    assert after.prepaid_by_tender == {"cash": 10000, "card": -10000}
    assert after.cash_balance_fen == 20000 + 10000  # the card refund leaves the drawer alone


def test_paid_membership_buy_renew_upgrade_and_refund(till: Till, member: Member, manager_a: Any) -> None:
    silver = Tier.objects.create(code="silver", name="银卡", rank=11, rule=Tier.Rule.PAID_CARD)
    gold = Tier.objects.create(code="gold", name="金卡", rank=12, rule=Tier.Rule.PAID_CARD)
    silver_plan = MembershipPlan.objects.create(
        name="银卡年卡", tier=silver, price_fen=9900, validity_days=365
    )
    gold_plan = MembershipPlan.objects.create(name="金卡年卡", tier=gold, price_fen=19900, validity_days=365)
    cash = [{"kind": "cash", "amount_fen": 100000}]
    steps = [
        ({"kind": "membership_buy", "plan_id": silver_plan.pk}, 9900),
        ({"kind": "membership_renew"}, 9900),
        ({"kind": "membership_upgrade", "plan_id": gold_plan.pk}, 10000),
    ]
    for fields, amount in steps:
        status, body = till.api.post("/sales/prepaid", sell_body(till, member, tenders=cash, **fields))
        assert status == 201, body
        assert body["amount_fen"] == amount
    card = MembershipCard.objects.get(member=member)
    assert card.plan_id == gold_plan.pk and card.paid_total_fen == 29800
    assert shift_of(till).prepaid_in_fen == 29800
    member.refresh_from_db()
    assert member.tier_id == gold.pk
    # The member gives the card back: the unused time of the gold plan (about a year and a year) is paid
    # back, capped by what the card was paid; the member drops out of the paid tier
    status, refund = till.api.post(
        "/sales/prepaid/refunds",
        {
            "client_id": str(uuid.uuid4()),
            "register_id": till.chain.register_a.pk,
            "member_id": member.pk,
            "kind": "membership_refund",
            "tender": {"kind": "cash", "amount_fen": 0},
            "reason": "不再需要",
            "authorizer": {"employee_no": manager_a.employee_no, "pin": "1357"},
        },
    )
    assert status == 201, refund
    assert refund["amount_fen"] == 29800  # two years of gold (¥398) would exceed the ¥298 paid
    member.refresh_from_db()
    assert member.tier_id is None
    after = shift_of(till)
    assert (after.prepaid_in_fen, after.prepaid_out_fen) == (29800, 29800)
    assert after.cash_balance_fen == 20000


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_sixteen_threads_retrying_one_top_up_credit_once(chain: Any, cashier_a: Any, token_for: Any) -> None:
    from mendian.sales import services as sales_services

    sales_services.shift_open(user=cashier_a.user, register=chain.register_a, float_fen=0)
    member = member_services.member_register(phone="13900003333", store_id=chain.store_a.pk)
    plan = TopUpPlan.objects.create(name="充100送20", amount_fen=10000, bonus_fen=2000)
    token = token_for(cashier_a, chain.register_a)
    body = {
        "client_id": str(uuid.uuid4()),
        "register_id": chain.register_a.pk,
        "member_id": member.pk,
        "kind": "top_up",
        "plan_id": plan.pk,
        "tenders": [{"kind": "cash", "amount_fen": 10000}],
    }
    barrier = threading.Barrier(16)
    answers: list[tuple[int, Any]] = []

    def post() -> None:
        try:
            barrier.wait()
            answers.append(ApiClient(token).post("/sales/prepaid", body))
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(status for status, _body in answers)
    assert statuses.count(201) == 1 and set(statuses) <= {200, 201}, answers
    assert len({body["id"] for _status, body in answers}) == 1
    assert wallet(member) == (10000, 2000)
    assert WalletEntry.objects.filter(account__member=member, kind="top_up").count() == 1
    shift = Shift.objects.get(register=chain.register_a, closed_at__isnull=True)
    assert (shift.cash_balance_fen, shift.prepaid_count) == (10000, 1)


def test_the_till_prints_the_prepaid_receipt_on_its_printer(
    till: Till, member: Member, plan_100_20: TopUpPlan, tmp_path: Any
) -> None:
    target = tmp_path / "printer.bin"
    Register = type(till.chain.register_a)
    Register.objects.filter(pk=till.chain.register_a.pk).update(printer_url=f"file://{target}")
    status, body = till.api.post(
        "/sales/prepaid",
        sell_body(
            till,
            member,
            kind="top_up",
            plan_id=plan_100_20.pk,
            tenders=[{"kind": "cash", "amount_fen": 10000}],
        ),
    )
    assert status == 201
    response = till.api.client.post(
        f"/pos/prepaid/{body['id']}/print/",
        data="{}",
        content_type="application/json",
        headers={"Authorization": f"Bearer {till.api.token}"},
    )
    assert response.status_code == 200 and response.json()["printed"] is True
    printed = target.read_bytes().decode("gb18030", errors="ignore")
    assert "充100送20" in printed and "120.00" in printed


def test_roles_and_stores_decide_who_sells_and_who_sees(
    till: Till, member: Member, plan_100_20: TopUpPlan, make_staff: Any, api_as: Any
) -> None:
    body = sell_body(
        till, member, kind="top_up", plan_id=plan_100_20.pk, tenders=[{"kind": "cash", "amount_fen": 10000}]
    )
    clerk = make_staff(["stock_clerk"], [till.chain.store_a])
    status, error = api_as(clerk, till.chain.register_a).post("/sales/prepaid", body)
    assert status == 403 and error["error"]["code"] == "permission_denied"
    status, sale = till.api.post("/sales/prepaid", body)
    assert status == 201
    cashier_b = make_staff(["cashier"], [till.chain.store_b])
    assert api_as(cashier_b).get(f"/sales/prepaid/{sale['id']}")[0] == 404
    assert till.api.get(f"/sales/prepaid/{sale['id']}")[0] == 200
