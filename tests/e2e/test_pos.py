"""The till in a real browser: enrol, PIN sign-in, open the shift, scan three items with a keyboard-wedge
scanner, take 100 yuan cash, check the change and the e-receipt, return one item, close the shift."""

from __future__ import annotations

import os
from typing import Any

import pytest

from mendian.sales.models import ExceptionLog, Order, Shift
from mendian.stores.models import StaffProfile
from tests.e2e.conftest import SCREENSHOT_DIR, pay_cash, scan

pytestmark = pytest.mark.django_db(transaction=True)


def test_cashier_sells_returns_and_closes_the_shift(
    page: Any, live_server: Any, chain: Any, cashier_a: StaffProfile, stocked_store: dict[str, Any]
) -> None:
    from playwright.sync_api import expect

    page.set_viewport_size({"width": 1024, "height": 768})
    page.on("dialog", lambda dialog: dialog.accept())
    base = live_server.url

    # the register is enrolled once with its device token
    page.goto(f"{base}/pos/")
    expect(page.get_by_role("heading", name="登记本收银台")).to_be_visible()
    expect(page.locator("#pos-register-token")).to_be_focused()  # the screen's focus has landed
    page.fill("#pos-register-token", chain.register_a_token)
    page.get_by_role("button", name="保存").click()

    # the cashier signs in with employee number and PIN
    expect(page.get_by_role("heading", name="收银员登录")).to_be_visible()
    expect(page.locator("#pos-employee-no")).to_be_focused()  # the screen's focus has landed
    page.fill("#pos-employee-no", cashier_a.employee_no)
    page.fill("#pos-pin", "2468")
    page.get_by_role("button", name="登录").click()

    # no shift is open: open one with a 500 yuan float
    expect(page.get_by_role("heading", name="开班")).to_be_visible()
    expect(page.locator("#pos-float")).to_be_focused()  # the screen's focus has landed
    page.fill("#pos-float", "500")
    page.get_by_role("button", name="开班").click()
    expect(page.locator("#pos-search")).to_be_focused()

    # the customer display on the same machine follows the cart
    display = page.context.new_page()
    display.goto(f"{base}/pos/display/{chain.register_a.pk}/")
    expect(display.get_by_text("欢迎光临")).to_be_visible()

    # three scans, typed as a wedge scanner does, the last one with the focus away from the search box
    scan(page, "6901234567892")
    expect(page.get_by_test_id("cart-line")).to_have_count(1)
    scan(page, "6902345678903")
    expect(page.get_by_test_id("cart-line")).to_have_count(2)
    page.locator("#pos-note").focus()
    scan(page, "6903456789014")
    expect(page.get_by_test_id("cart-line")).to_have_count(3)
    expect(page.locator("#pos-note")).to_have_value("")
    expect(page.get_by_test_id("total")).to_have_text("¥13.50")
    expect(display.get_by_test_id("display-line")).to_have_count(3)
    expect(display.get_by_test_id("display-total")).to_have_text("¥13.50")
    page.screenshot(path=os.path.join(SCREENSHOT_DIR, "pos-sale-1024.png"))

    # F9 → pay 100 yuan cash → the change is shown
    pay_cash(page, "¥13.50", "100")
    expect(page.get_by_test_id("change")).to_have_text("¥86.50")
    page.screenshot(path=os.path.join(SCREENSHOT_DIR, "pos-sale-done.png"))
    expect(display.get_by_text("谢谢惠顾！")).to_be_visible()
    order = Order.objects.get()
    assert (order.total_fen, order.paid_fen, order.change_fen) == (1350, 1350, 8650)
    expect(page.get_by_test_id("order-number")).to_have_text(order.number)

    # the e-receipt shows the three lines
    receipt_url = page.get_by_test_id("receipt-link").get_attribute("href")
    receipt = page.context.new_page()
    receipt.goto(receipt_url if receipt_url.startswith("http") else base + receipt_url)
    expect(receipt.get_by_test_id("receipt-line")).to_have_count(3)
    expect(receipt.get_by_test_id("receipt-line").first).to_contain_text("可口可乐 500ml")
    expect(receipt.get_by_test_id("receipt-total")).to_have_text("13.50")
    receipt.close()

    # next sale; then F7: return the biscuits of that order
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("sale-done")).to_be_hidden()
    page.keyboard.press("F7")
    page.fill("#pos-return-query", order.number)
    page.keyboard.press("Enter")
    lines = page.get_by_test_id("return-line")
    expect(lines).to_have_count(3)
    lines.filter(has_text="奥利奥饼干").locator("input").fill("1")
    page.get_by_role("button", name="退款", exact=True).click()
    expect(page.get_by_test_id("return-result")).to_contain_text("8.50")
    page.keyboard.press("Escape")

    # F10: count the drawer (500 + 13.50 − 8.50 = 505.00) and close the shift → Z report
    page.keyboard.press("F10")
    page.fill("input[name=count_10000]", "5")
    page.fill("input[name=count_500]", "1")
    expect(page.get_by_test_id("counted")).to_have_text("505.00")
    page.get_by_role("button", name="交班结账（Z 报表）").click()
    expect(page.get_by_test_id("z-report")).to_be_visible()
    shift = Shift.objects.get()
    assert shift.closed_at is not None
    assert (shift.sales_fen, shift.refunds_fen, shift.order_count) == (1350, 850, 1)
    expect(page.get_by_test_id("z-orders")).to_have_text("1")
    expect(page.get_by_test_id("z-sales")).to_have_text("13.50")
    expect(page.get_by_test_id("z-refunds")).to_have_text("8.50")
    expect(page.get_by_test_id("z-expected")).to_have_text("505.00")
    expect(page.get_by_test_id("z-counted")).to_have_text("505.00")
    expect(page.get_by_test_id("z-variance")).to_have_text("0.00")
    page.screenshot(path=os.path.join(SCREENSHOT_DIR, "pos-z-report.png"))


def sign_in(page: Any, base: str, register_token: str, employee_no: str, pin: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{base}/pos/")
    expect(page.locator("#pos-register-token")).to_be_focused()  # the screen's focus has landed
    page.fill("#pos-register-token", register_token)
    page.keyboard.press("Enter")
    expect(page.locator("#pos-employee-no")).to_be_focused()  # the screen's focus has landed
    page.fill("#pos-employee-no", employee_no)
    # a wrong PIN first: the API's own (translated) error message reaches the cashier
    page.fill("#pos-pin", "0000")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("message")).to_have_text("登录信息错误。")
    page.fill("#pos-pin", pin)
    page.keyboard.press("Enter")
    expect(page.locator("#pos-search")).to_be_focused()


def test_search_hold_resume_manager_discount_and_split_tender(
    page: Any,
    live_server: Any,
    chain: Any,
    cashier_a: StaffProfile,
    manager_a: StaffProfile,
    stocked_store: dict[str, Any],
) -> None:
    from playwright.sync_api import expect

    from mendian.sales.services import shift_open

    # given an open shift, on a tablet held upright (768 px wide)
    shift_open(user=cashier_a.user, register=chain.register_a, float_fen=0)
    page.set_viewport_size({"width": 768, "height": 1024})
    sign_in(page, live_server.url, chain.register_a_token, cashier_a.employee_no, "2468")

    # a search by pinyin initials, typed by a person (not a scanner burst), finds 农夫山泉
    page.keyboard.type("nfsq", delay=90)
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("cart-line")).to_have_count(1)
    expect(page.get_by_test_id("cart-line")).to_contain_text("农夫山泉")
    page.keyboard.press("+")
    expect(page.get_by_test_id("cart-line").locator(".qty span")).to_have_text("2")
    scan(page, "6901234567892")
    expect(page.get_by_test_id("total")).to_have_text("¥7.00")

    # F5 holds the cart (挂单), F6 brings it back (取单)
    page.keyboard.press("F5")
    expect(page.get_by_test_id("cart-line")).to_have_count(0)
    page.keyboard.press("F6")
    page.locator("[data-modal=held] .held button").first.click()
    expect(page.get_by_test_id("cart-line")).to_have_count(2)
    expect(page.get_by_test_id("total")).to_have_text("¥7.00")

    # a scanned line taken off again (F4) is voided, and the void lands in the managers' exception log
    scan(page, "6902345678903")
    expect(page.get_by_test_id("total")).to_have_text("¥15.50")
    page.keyboard.press("F4")
    expect(page.get_by_test_id("cart-line")).to_have_count(2)
    expect(page.get_by_test_id("total")).to_have_text("¥7.00")
    for _attempt in range(50):
        if ExceptionLog.objects.filter(kind="line_void").exists():
            break
        page.wait_for_timeout(100)
    void = ExceptionLog.objects.get(kind="line_void")
    assert (void.message, void.amount_fen, void.register_id) == ("奥利奥饼干", 850, chain.register_a.pk)

    # "*" : a 1 yuan discount the manager allows with their PIN
    page.locator("#pos-search").focus()
    page.keyboard.press("*")
    page.fill("#pos-discount", "1")
    page.fill("#pos-discount-reason", "老顾客")
    page.fill("input[name=manager_no]", manager_a.employee_no)
    page.fill("input[name=manager_pin]", "1357")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("total")).to_have_text("¥6.00")
    page.screenshot(path=os.path.join(SCREENSHOT_DIR, "pos-sale-768.png"))

    # split tender: 4 yuan by bank card (last 4 digits only), the rest in cash
    page.keyboard.press("F9")
    page.keyboard.press("F6")  # bank card
    page.fill("#pos-tender-amount", "4")
    page.screenshot(path=os.path.join(SCREENSHOT_DIR, "pos-tender-768.png"))
    page.fill("input[name=card_last4]", "1234")
    page.fill("input[name=approval_code]", "886655")
    page.locator("#pos-tender-amount").press("Enter")
    expect(page.get_by_test_id("remaining")).to_have_text("2.00")
    page.get_by_role("button", name="现金").click()
    page.locator("#pos-tender-amount").press("Enter")
    expect(page.get_by_test_id("change")).to_have_text("¥0.00")

    order = Order.objects.prefetch_related("tenders").get()
    assert (order.total_fen, order.manual_discount_fen, order.authorizer_id) == (600, 100, manager_a.user_id)
    tenders = sorted((t.kind, t.amount_fen, t.card_last4, t.approval_code) for t in order.tenders.all())
    assert tenders == [("card", 400, "1234", "886655"), ("cash", 200, "", "")]
