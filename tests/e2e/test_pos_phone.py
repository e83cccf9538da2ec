"""The till on a phone: a shop assistant sells from the shop floor by touch alone (POS-1)."""

from __future__ import annotations

import os
from typing import Any

import pytest

from mendian.sales.models import Order
from mendian.sales.services import shift_open
from mendian.stores.models import StaffProfile
from tests.e2e.conftest import SCREENSHOT_DIR

pytestmark = pytest.mark.django_db(transaction=True)
PHONE_WIDTH = 375


def no_sideways_scroll(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH


def test_a_sale_on_a_phone_by_touch(
    phone_page: Any, live_server: Any, chain: Any, cashier_a: StaffProfile, stocked_store: dict[str, Any]
) -> None:
    from playwright.sync_api import expect

    page = phone_page
    shift_open(user=cashier_a.user, register=chain.register_a, float_fen=0)

    # Given the register enrolled and the cashier signed in by tapping
    page.goto(f"{live_server.url}/pos/")
    page.locator("#pos-register-token").tap()
    page.locator("#pos-register-token").fill(chain.register_a_token)
    page.get_by_role("button", name="保存").tap()
    page.locator("#pos-employee-no").fill(cashier_a.employee_no)
    page.locator("#pos-pin").fill("2468")
    page.get_by_role("button", name="登录").tap()
    expect(page.locator("#pos-search")).to_be_visible()
    no_sideways_scroll(page)

    # When they find the water by its pinyin initials (the one match goes straight into the cart),
    # then tap the cola among the products whose code starts P00, twice
    page.locator("#pos-search").fill("nfsq")
    page.get_by_role("button", name="搜索").tap()
    expect(page.get_by_test_id("cart-line")).to_have_count(1)
    for _ in range(2):
        page.locator("#pos-search").fill("P00")
        page.get_by_role("button", name="搜索").tap()
        expect(page.get_by_role("option")).to_have_count(3)
        page.get_by_role("option", name="可口可乐").tap()
    expect(page.get_by_test_id("cart-line")).to_have_count(2)
    expect(page.get_by_test_id("total")).to_have_text("¥8.00")
    no_sideways_scroll(page)
    # each item's name has room to be read (not a column one character wide), and every line's
    # quantity and remove buttons are on the screen, not cut off at its edge
    for name_cell in page.get_by_test_id("cart-line").locator("td:nth-child(2)").all():
        box = name_cell.bounding_box()
        assert box is not None and box["width"] >= 110
    for button in page.get_by_test_id("cart-line").get_by_role("button").all():
        box = button.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE_WIDTH
    page.screenshot(path=os.path.join(SCREENSHOT_DIR, "pos-phone-sale.png"), full_page=True)

    # And take a 10 yuan note through the payment dialog
    page.get_by_role("button", name="结算").tap()
    expect(page.get_by_test_id("due")).to_have_text("¥8.00")
    page.locator("#pos-tender-amount").fill("10")
    no_sideways_scroll(page)
    page.screenshot(path=os.path.join(SCREENSHOT_DIR, "pos-phone-tender.png"))
    page.get_by_role("button", name="收款 / 完成").tap()

    # Then the sale is done with 2 yuan change, and it is the order the till says
    expect(page.get_by_test_id("change")).to_have_text("¥2.00")
    order = Order.objects.get()
    assert order.total_fen == 800 and order.lines.count() == 2
    expect(page.get_by_test_id("order-number")).to_have_text(order.number)
    no_sideways_scroll(page)
