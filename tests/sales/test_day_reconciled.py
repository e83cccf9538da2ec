"""A scripted day at one till, reconciled to the fen: goods sales, a return, a stored-value top-up, a
count card, a paid card, a count-card refund and cash paid in and out all reach the drawer and the
shift, and the daily close keeps money taken in advance apart from sales."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Sum

from mendian.members import services as member_services
from mendian.members.models import CountCardPlan, MembershipPlan, Tier, TopUpPlan
from mendian.sales import selectors
from mendian.sales import services as sales_services
from mendian.sales.models import CashDrawerEntry, Shift
from mendian.sales.services import PrepaidItem, TenderInput
from tests.sales.conftest import Till, sell


def test_a_day_of_goods_and_prepaid_money_reconciles_to_the_fen(till: Till, manager_a: Any) -> None:
    cashier, register = till.cashier, till.chain.register_a
    cola, biscuits, _water = till.skus  # 12.50, 33.00, 9.90
    member = member_services.member_register(phone="13900005555", name="陈静", store_id=till.chain.store_a.pk)
    top_up_plan = TopUpPlan.objects.create(name="充100送20", amount_fen=10000, bonus_fen=2000)
    wash = CountCardPlan.objects.create(name="洗车10次", price_fen=30000, uses_qty=10, validity_days=365)
    silver = Tier.objects.create(code="silver", name="银卡", rank=5, rule=Tier.Rule.PAID_CARD)
    card_plan = MembershipPlan.objects.create(name="银卡年卡", tier=silver, price_fen=9900)

    def prepaid(kind: str, plan_id: int, tenders: list[TenderInput]) -> None:
        sales_services.prepaid_sell(
            user=cashier.user,
            register=register,
            client_id=str(uuid.uuid4()),
            member=member,
            item=PrepaidItem(kind=kind, plan_id=plan_id),
            tenders=tenders,
        )

    # Goods: 2 × 12.50 for a 50 note (25.00 change); 33.00 by card
    cash_order = sell(
        cashier, register, [(cola, 2)], [TenderInput(kind="cash", amount_fen=2500, tendered_fen=5000)]
    )
    sell(cashier, register, [(biscuits, 1)], [TenderInput(kind="card", amount_fen=3300, reference="RRN1")])
    # One cola comes back, refunded in cash (12.50)
    sales_services.order_return(
        user=cashier.user,
        order=cash_order,
        register=register,
        client_return_id=str(uuid.uuid4()),
        lines=[sales_services.ReturnLineInput(order_line_id=cash_order.lines.get().pk, qty=1)],
        reason="不想要了",
    )
    # Money in advance: a 100 top-up paid with two 100 notes (100 change), a 300 count card in cash,
    # a 99 paid card by bank card
    prepaid("top_up", top_up_plan.pk, [TenderInput(kind="cash", amount_fen=10000, tendered_fen=20000)])
    prepaid("count_card", wash.pk, [TenderInput(kind="cash", amount_fen=30000)])
    prepaid("membership_buy", card_plan.pk, [TenderInput(kind="card", amount_fen=9900, reference="RRN2")])
    # The count card comes back unused: 300 out of the drawer, authorised by the manager
    card = member.count_cards.get()
    sales_services.prepaid_refund(
        user=cashier.user,
        register=register,
        client_id=str(uuid.uuid4()),
        member=member,
        kind="count_card_refund",
        count_card_id=card.pk,
        tender=TenderInput(kind="cash", amount_fen=0),
        reason="买错了",
        authorizer=sales_services.AuthorizerInput(employee_no=manager_a.employee_no, pin="1357"),
    )
    # Paid in 50 (change float top-up), paid out 20 (cleaning supplies)
    shift = Shift.objects.get(pk=till.shift.pk)
    sales_services.shift_cash_move(
        user=cashier.user, shift=shift, kind="paid_in", amount_fen=5000, reason="补零钱"
    )
    sales_services.shift_cash_move(
        user=cashier.user, shift=shift, kind="paid_out", amount_fen=2000, reason="清洁用品"
    )

    # Then the drawer expects: float 200 + goods 25 − return 12.50 + top-up 100 + count card 300
    # − count-card refund 300 + paid in 50 − paid out 20 = 342.50
    shift.refresh_from_db()
    expected = 20000 + 2500 - 1250 + 10000 + 30000 - 30000 + 5000 - 2000
    assert shift.cash_balance_fen == expected == 34250
    entries_total = CashDrawerEntry.objects.filter(shift=shift).aggregate(total=Sum("amount_fen"))["total"]
    assert entries_total == expected
    # Goods and money in advance stay apart
    assert (shift.sales_fen, shift.refunds_fen, shift.order_count) == (5800, 1250, 2)
    assert (shift.prepaid_count, shift.prepaid_in_fen, shift.prepaid_out_fen) == (4, 49900, 30000)
    assert shift.prepaid_by_kind == {
        "top_up": 10000,
        "count_card": 30000,
        "membership_buy": 9900,
        "count_card_refund": 30000,
    }
    assert shift.prepaid_by_tender == {"cash": 10000, "card": 9900}

    # When the cashier counts exactly that and closes, there is no variance
    closed = sales_services.shift_close(user=cashier.user, shift=shift, counted={10000: 3, 2000: 2, 50: 5})
    assert (closed.cash_counted_fen, closed.variance_fen) == (34250, 0)
    day = selectors.daily_close(till.chain.store_a, shift.business_date)
    assert (day["sales_fen"], day["net_sales_fen"], day["prepaid_in_fen"], day["prepaid_out_fen"]) == (
        5800,
        4550,
        49900,
        30000,
    )
    assert day["cash_expected_fen"] == 34250 and day["variance_fen"] == 0
