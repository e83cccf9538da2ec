"""The member centre on a phone and the till together: a customer joins on /m/ at 375 px, shows the live
QR, the cashier scans it at /pos/, the customer pays part with points and the rest in cash, and sees the
new points on the phone."""

from __future__ import annotations

import os
from typing import Any

import pytest

from mendian.catalog.services import product_create_with_variants
from mendian.inventory.services import StockChange, stock_apply
from mendian.members import services as member_services
from mendian.members.models import Member
from mendian.sales.models import Order
from mendian.stores.models import StaffProfile
from tests.e2e.conftest import SCREENSHOT_DIR, texted_code

pytestmark = pytest.mark.django_db(transaction=True)
PHONE = "13955556666"


def join_on_the_phone(phone_page: Any, base: str) -> Member:
    from playwright.sync_api import expect

    phone_page.goto(f"{base}/m/")
    expect(phone_page.get_by_role("heading", name="登录或注册")).to_be_visible()
    phone_page.get_by_test_id("phone").fill(PHONE)
    phone_page.get_by_test_id("send-code").click()
    expect(phone_page.get_by_test_id("code-sent")).to_be_visible()
    phone_page.get_by_test_id("code").fill(texted_code("139****6666"))
    phone_page.get_by_test_id("sign-in").click()
    expect(phone_page.get_by_test_id("member-qr").locator("svg")).to_be_visible()
    expect(phone_page.get_by_test_id("points")).to_have_text("0")
    # the page fits the phone: nothing wider than 375 px
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 375
    return Member.objects.get()


def test_member_centre_only_at_phone_width(phone_page: Any, live_server: Any) -> None:
    from playwright.sync_api import expect

    member = join_on_the_phone(phone_page, live_server.url)
    assert member.channel == "self_service"
    phone_page.screenshot(path=os.path.join(SCREENSHOT_DIR, "member-centre-375.png"), full_page=True)
    code = phone_page.get_by_test_id("member-qr").get_attribute("data-code")
    assert member_services.member_code_resolve(code=code) == (member, True)
    phone_page.get_by_role("link", name="个人资料").click()
    phone_page.get_by_test_id("name").fill("王小二")
    phone_page.get_by_test_id("consent").check()
    phone_page.get_by_role("button", name="保存").click()
    expect(phone_page.get_by_test_id("saved")).to_be_visible()
    member.refresh_from_db()
    assert member.name == "王小二" and member.marketing_consent


def test_customer_pays_with_points_at_the_till_and_sees_them_on_the_phone(
    page: Any, phone_page: Any, live_server: Any, chain: Any, cashier_a: StaffProfile
) -> None:
    from playwright.sync_api import expect

    base = live_server.url
    sku = product_create_with_variants(
        code="T001", name="洗发水", retail_price_fen=1250, barcodes=["6909876543212"]
    ).skus.get()
    stock_apply(store=chain.store_a, changes=[StockChange(sku.pk, 10)], reason="receipt", source_type="test")

    # the customer joins on the phone and has 500 points from a welcome gift
    member = join_on_the_phone(phone_page, base)
    member_services.points_adjust(member=member, points=500, reason="开卡礼", actor_id=None)
    phone_page.reload()
    expect(phone_page.get_by_test_id("points")).to_have_text("500")

    # the cashier signs in at the till and scans two bottles
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{base}/pos/")
    expect(page.locator("#pos-register-token")).to_be_focused()  # the screen's focus has landed
    page.fill("#pos-register-token", chain.register_a_token)
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#pos-employee-no")).to_be_focused()  # the screen's focus has landed
    page.fill("#pos-employee-no", cashier_a.employee_no)
    page.fill("#pos-pin", "2468")
    page.get_by_role("button", name="登录").click()
    expect(page.locator("#pos-float")).to_be_focused()  # the screen's focus has landed
    page.fill("#pos-float", "500")
    page.get_by_role("button", name="开班").click()
    expect(page.locator("#pos-search")).to_be_focused()
    for _ in range(2):
        page.keyboard.type("6909876543212")
        page.keyboard.press("Enter")
    expect(page.get_by_test_id("total")).to_have_text("¥25.00")

    # the customer opens the card and shows the live QR (valid 60 s); the scanner types it like any code
    phone_page.reload()
    code = phone_page.get_by_test_id("member-qr").get_attribute("data-code")
    page.locator("#pos-search").focus()
    page.keyboard.type(code)
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("member-attached")).to_be_visible()
    expect(page.get_by_test_id("member-points")).to_have_text("500")

    # 500 points pay ¥5, cash pays the remaining ¥20
    page.keyboard.press("F9")
    expect(page.get_by_test_id("due")).to_have_text("¥25.00")
    page.get_by_test_id("tender-points").click()
    expect(page.locator("#pos-tender-amount")).to_have_value("5.00")
    page.locator("#pos-tender-amount").press("Enter")
    expect(page.get_by_test_id("remaining")).to_have_text("20.00")
    page.locator(".tender-kinds button", has_text="现金").first.click()
    page.fill("#pos-tender-amount", "20")
    page.locator("#pos-tender-amount").press("Enter")
    expect(page.get_by_test_id("order-number")).to_be_visible()
    page.screenshot(path=os.path.join(SCREENSHOT_DIR, "pos-member-points.png"))

    order = Order.objects.get()
    assert order.member_id == member.pk
    assert sorted(order.tenders.values_list("kind", "amount_fen")) == [("cash", 2000), ("points", 500)]

    # the phone shows the new balance: 500 - 500 + 20 earned on the ¥20 cash
    phone_page.reload()
    expect(phone_page.get_by_test_id("points")).to_have_text("20")
    phone_page.get_by_role("link", name="订单与小票").click()
    expect(phone_page.get_by_role("link", name=order.number)).to_be_visible()
