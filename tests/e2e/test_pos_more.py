"""More of the till in a real browser: a manager sells with a gift line and a changed price, takes back
an item without a receipt, and reads the store's daily close and the exception log on the manager page."""

from __future__ import annotations

import os
from typing import Any

import pytest

from mendian.inventory.models import StockLevel
from mendian.sales.models import ExceptionLog, Order, Return
from mendian.sales.services import shift_open
from mendian.stores.models import StaffProfile
from tests.e2e.conftest import SCREENSHOT_DIR, pay_cash, return_choose, scan, till_sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_manager_gift_price_change_unreceipted_return_and_daily_close(
    page: Any, live_server: Any, chain: Any, manager_a: StaffProfile, stocked_store: dict[str, Any]
) -> None:
    from playwright.sync_api import expect

    # given a manager signed in at register A with a 100 yuan float
    shift = shift_open(user=manager_a.user, register=chain.register_a, float_fen=10000)
    page.set_viewport_size({"width": 1024, "height": 768})
    base = live_server.url
    till_sign_in(page, base, chain.register_a_token, manager_a.employee_no, "1357")

    # a cola at a changed price (2.50, manager PIN and reason) and biscuits as a gift (赠品)
    scan(page, "6901234567892")
    scan(page, "6902345678903")
    expect(page.get_by_test_id("total")).to_have_text("¥11.50")
    page.keyboard.press("Alt+G")
    expect(page.get_by_test_id("gift-badge").nth(1)).to_be_visible()
    expect(page.get_by_test_id("total")).to_have_text("¥3.00")
    page.get_by_test_id("cart-line").first.locator("td").first.click()
    page.keyboard.press("Alt+P")
    page.fill("#pos-price", "2.5")
    page.fill("#pos-price-reason", "临期")
    page.fill("[data-modal=price] input[name=manager_no]", manager_a.employee_no)
    page.fill("[data-modal=price] input[name=manager_pin]", "1357")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("total")).to_have_text("¥2.50")
    page.screenshot(path=os.path.join(SCREENSHOT_DIR, "pos2-gift-price.png"))
    pay_cash(page, "¥2.50", "10")
    expect(page.get_by_test_id("change")).to_have_text("¥7.50")
    order = Order.objects.prefetch_related("lines").get()
    lines = sorted(
        (line.sku_id, line.is_gift, line.unit_price_fen, line.total_fen) for line in order.lines.all()
    )
    cola, biscuits = stocked_store["6901234567892"], stocked_store["6902345678903"]
    assert lines == sorted([(cola.pk, False, 250, 250), (biscuits.pk, True, 0, 0)])
    assert (order.total_fen, order.authorizer_id, order.override_reason) == (250, manager_a.user_id, "临期")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("sale-done")).to_be_hidden()

    # Alt+U: a bottle of water comes back without a receipt, refunded at most at the current price
    water = stocked_store["6903456789014"]
    page.keyboard.press("Alt+U")
    expect(page.get_by_test_id("unreceipted")).to_be_visible()
    scan(page, "6903456789014")
    expect(page.get_by_test_id("unreceipted-line")).to_have_count(1)
    expect(page.get_by_test_id("unreceipted-total")).to_have_text("2.00")
    page.fill("input[name=unreceipted_reason]", "顾客小票丢失")
    page.screenshot(path=os.path.join(SCREENSHOT_DIR, "pos2-unreceipted.png"))
    page.get_by_role("button", name="无小票退款").click()
    expect(page.get_by_test_id("return-result")).to_contain_text("2.00")
    ret = Return.objects.prefetch_related("lines").get()
    assert (ret.order_id, ret.refund_fen, ret.reason) == (None, 200, "顾客小票丢失")
    assert StockLevel.objects.get(store=chain.store_a, sku=water).on_hand_qty == 21
    page.keyboard.press("Escape")

    # the manager page: the day's close (100 + 2.50 − 2.00 cash expected) and the exception log
    page.keyboard.press("Alt+L")
    expect(page.get_by_test_id("daily-close")).to_be_visible()
    page.fill("[data-testid=exc-date]", shift.business_date.isoformat())
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_test_id("close-orders")).to_have_text("1")
    expect(page.get_by_test_id("close-returns")).to_have_text("1")
    expect(page.get_by_test_id("close-sales")).to_have_text("2.50")
    expect(page.get_by_test_id("close-refunds")).to_have_text("2.00")
    expect(page.get_by_test_id("close-net")).to_have_text("0.50")
    expect(page.get_by_test_id("close-expected")).to_have_text("100.50")
    kinds = set(ExceptionLog.objects.values_list("kind", flat=True))
    assert {"price_override", "unreceipted_return"} <= kinds
    rows = page.get_by_test_id("exception-row")
    expect(rows).to_have_count(ExceptionLog.objects.count())
    page.screenshot(path=os.path.join(SCREENSHOT_DIR, "pos2-exceptions.png"), full_page=True)
    page.select_option("[data-testid=exc-kind]", "unreceipted_return")
    page.get_by_role("button", name="查询").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("无小票退货")
    expect(rows.first).to_contain_text("2.00")


def test_cashier_exchanges_an_item_for_the_cart(
    page: Any, live_server: Any, chain: Any, cashier_a: StaffProfile, stocked_store: dict[str, Any]
) -> None:
    from playwright.sync_api import expect

    # given a sale of a cola and a water (5.00 cash) at register A
    shift_open(user=cashier_a.user, register=chain.register_a, float_fen=0)
    page.set_viewport_size({"width": 1024, "height": 768})
    till_sign_in(page, live_server.url, chain.register_a_token, cashier_a.employee_no, "2468")
    scan(page, "6901234567892")
    scan(page, "6903456789014")
    expect(page.get_by_test_id("total")).to_have_text("¥5.00")
    pay_cash(page, "¥5.00", "5")
    expect(page.get_by_test_id("change")).to_have_text("¥0.00")
    first = Order.objects.get()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("sale-done")).to_be_hidden()

    # when the customer swaps the cola for biscuits: biscuits in the cart, F7, the cola back, Alt+E
    scan(page, "6902345678903")
    expect(page.get_by_test_id("total")).to_have_text("¥8.50")
    return_choose(page, first.number, "可口可乐", 1)
    expect(page.get_by_test_id("exchange-due")).to_have_text("5.50")
    page.fill("input[name=exchange_cash]", "10")
    page.keyboard.press("Alt+E")

    # then the cola is refunded against the biscuits, and 5.50 is paid in cash with 4.50 change
    expect(page.get_by_test_id("exchange-result")).to_contain_text("4.50")
    ret = Return.objects.get()
    new = Order.objects.exclude(pk=first.pk).prefetch_related("lines", "tenders").get()
    assert (ret.order_id, ret.exchange_order_id, ret.refund_fen) == (first.pk, new.pk, 300)
    assert [(line.sku_id, line.qty) for line in new.lines.all()] == [(stocked_store["6902345678903"].pk, 1)]
    assert (new.total_fen, new.change_fen) == (850, 450)
    assert [(t.kind, t.amount_fen) for t in new.tenders.all() if t.kind == "cash"] == [("cash", 550)]
    expect(page.get_by_test_id("cart-line")).to_have_count(0)
