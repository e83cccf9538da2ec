"""The till's exchange screen asks the server what an exchange refunds and what is due, live, and asks
the customer exactly that — also when the original order's discount leaves an odd fen, and when a
manager changed the price of the new goods."""

from __future__ import annotations

import os
import uuid
from typing import Any

import pytest

from mendian.sales.models import ExceptionLog, Order, Return
from mendian.sales.selectors import LineInput
from mendian.sales.services import AuthorizerInput, TenderInput, order_checkout, shift_open
from mendian.stores.models import StaffProfile
from tests.e2e.conftest import SCREENSHOT_DIR, return_choose, scan, till_sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_exchange_screen_asks_what_the_server_quotes(
    page: Any,
    live_server: Any,
    chain: Any,
    cashier_a: StaffProfile,
    manager_a: StaffProfile,
    stocked_store: dict[str, Any],
) -> None:
    from playwright.sync_api import expect

    cola, biscuits, water = (
        stocked_store[code] for code in ("6901234567892", "6902345678903", "6903456789014")
    )
    # given 3 colas sold for 8.00 in all (9.00 less a 1.00 manual discount), paid in cash: one cola
    # refunds 800 // 3 = 2.66, not the 2.67 a share of the line total rounds to
    shift_open(user=cashier_a.user, register=chain.register_a, float_fen=10000)
    first = order_checkout(
        user=cashier_a.user,
        register=chain.register_a,
        client_order_id=str(uuid.uuid4()),
        lines=[LineInput(sku_id=cola.pk, qty=3)],
        tenders=[TenderInput(kind="cash", amount_fen=800, tendered_fen=1000)],
        manual_discount_fen=100,
        authorizer=AuthorizerInput(employee_no=manager_a.employee_no, pin="1357"),
        reason="老顾客",
    ).order
    assert first.total_fen == 800

    page.set_viewport_size({"width": 1024, "height": 768})
    till_sign_in(page, live_server.url, chain.register_a_token, cashier_a.employee_no, "2468")

    # when biscuits go in the cart at 8.00 instead of 8.50 (the manager's PIN and a reason) ...
    scan(page, "6902345678903")
    expect(page.get_by_test_id("total")).to_have_text("¥8.50")
    page.keyboard.press("Alt+P")
    page.fill("#pos-price", "8")
    page.fill("#pos-price-reason", "外包装破损")
    page.fill("[data-modal=price] input[name=manager_no]", manager_a.employee_no)
    page.fill("[data-modal=price] input[name=manager_pin]", "1357")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("total")).to_have_text("¥8.00")
    # ... and one cola comes back against them
    return_choose(page, first.number, "可口可乐", 1)

    # then the screen shows the server's figures: 2.66 back, 8.00 − 2.66 = 5.34 to pay
    expect(page.get_by_test_id("exchange-refund")).to_have_text("2.66")
    expect(page.get_by_test_id("exchange-sale-total")).to_have_text("8.00")
    expect(page.get_by_test_id("exchange-due")).to_have_text("5.34")
    expect(page.get_by_test_id("exchange-quote-error")).to_be_hidden()
    # the plain return's estimate counts the units' shares the same way
    expect(page.locator("[data-modal=returns] p", has_text="预计退款")).to_contain_text("2.66")
    # changing the quantity asks again: two colas (5.33) leave 2.67 to pay
    page.get_by_test_id("return-line").filter(has_text="可口可乐").locator("input").fill("2")
    expect(page.get_by_test_id("exchange-refund")).to_have_text("5.33")
    expect(page.get_by_test_id("exchange-due")).to_have_text("2.67")
    page.get_by_test_id("return-line").filter(has_text="可口可乐").locator("input").fill("1")
    expect(page.get_by_test_id("exchange-due")).to_have_text("5.34")
    page.screenshot(path=os.path.join(SCREENSHOT_DIR, "pos-exchange-quote.png"))
    page.fill("input[name=exchange_cash]", "10")
    page.keyboard.press("Alt+E")

    # and the exchange does exactly that: 2.66 refunded as credit, 5.34 paid, 4.66 change
    expect(page.get_by_test_id("exchange-result")).to_contain_text("4.66")
    ret = Return.objects.get()
    new = Order.objects.exclude(pk=first.pk).prefetch_related("lines", "tenders").get()
    assert (ret.order_id, ret.exchange_order_id, ret.refund_fen) == (first.pk, new.pk, 266)
    assert [(line.sku_id, line.unit_price_fen) for line in new.lines.all()] == [(biscuits.pk, 800)]
    assert [(t.kind, t.amount_fen) for t in new.tenders.all()] == [("exchange_credit", 266), ("cash", 534)]
    assert (new.change_fen, new.authorizer_id, new.override_reason) == (466, manager_a.user_id, "外包装破损")
    assert ExceptionLog.objects.filter(order_id=new.pk, kind="price_override").exists()

    # when the other two colas (5.34 left of the line) come back for a bottle of water (2.00)
    page.keyboard.press("Escape")
    expect(page.locator("[data-modal=returns]")).to_be_hidden()
    scan(page, "6903456789014")
    expect(page.get_by_test_id("total")).to_have_text("¥2.00")
    return_choose(page, first.number, "可口可乐", 2)
    # then the customer is told what comes back, and on which payment: 3.34 in cash
    expect(page.get_by_test_id("exchange-refund")).to_have_text("5.34")
    expect(page.get_by_test_id("exchange-back")).to_have_text("3.34")
    expect(page.get_by_test_id("exchange-back-tenders")).to_contain_text("3.34")
    expect(page.locator("input[name=exchange_cash]")).to_be_hidden()
    page.keyboard.press("Alt+E")
    expect(page.get_by_test_id("exchange-result")).to_contain_text("5.34")
    last = Return.objects.exclude(pk=ret.pk).prefetch_related("tenders").get()
    assert last.refund_fen == 534
    assert sorted((t.kind, t.amount_fen) for t in last.tenders.all()) == [
        ("cash", 334),
        ("exchange_credit", 200),
    ]
    assert Order.objects.get(pk=first.pk).status == "refunded"
    assert water.pk in {line.sku_id for line in Order.objects.latest("pk").lines.all()}
