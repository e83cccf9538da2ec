"""Points and large stored-value payments at the till need proof that the member is present: the server
refuses the sale without it and says so, the till keeps the sale, the cashier texts the member a code for
the amount of the member tenders and this sale, types what the member reads out (taken here from the
console SMS backend's records) and finishes the same sale, once."""

from __future__ import annotations

import os
from typing import Any

import pytest
from django.core.cache import cache

from mendian.catalog.services import product_create_with_variants
from mendian.inventory.services import StockChange, stock_apply
from mendian.members import services as member_services
from mendian.members.models import Member, PointsAccount, SmsCode, WalletAccount, WalletEntry
from mendian.notifications.models import ConsoleSms
from mendian.sales.models import Order
from mendian.sales.services import shift_open
from mendian.stores.models import StaffProfile
from tests.e2e.conftest import SCREENSHOT_DIR, scan, texted_code, till_sign_in

pytestmark = pytest.mark.django_db(transaction=True)
PHONE = "13955559999"
BARCODE = "6905555000014"


def payment_code(amount: str) -> str:
    """The member's confirmation code, from the SMS that names the amount to be paid."""
    message = ConsoleSms.objects.filter(purpose="wallet").order_by("-id").first()
    assert message is not None and f"¥{amount}" in message.text, message
    return texted_code("139****9999", purpose="wallet")


def open_sale_for_member(
    page: Any, live_server: Any, chain: Any, cashier: StaffProfile, price_fen: int
) -> Member:
    """A member attached by phone (no live QR, so no proof yet), a product of `price_fen` scanned and an open
    shift."""
    from playwright.sync_api import expect

    cache.clear()  # wrong-code counters of other tests live in the cache
    member = member_services.member_register(phone=PHONE, name="李四")
    member_services.wallet_top_up(
        member=member, plan=None, amount_fen=50_000, payment_method="cash", actor_id=None
    )
    member_services.points_adjust(member=member, points=1000, reason="开卡礼", actor_id=None)
    sku = product_create_with_variants(
        code="W001", name="羊绒围巾", retail_price_fen=price_fen, barcodes=[BARCODE]
    ).skus.get()
    stock_apply(store=chain.store_a, changes=[StockChange(sku.pk, 5)], reason="receipt", source_type="test")
    shift_open(user=cashier.user, register=chain.register_a, float_fen=0)

    till_sign_in(page, live_server.url, chain.register_a_token, cashier.employee_no, "2468")
    page.get_by_test_id("member-input").fill(PHONE)
    page.get_by_test_id("member-attach").click()
    expect(page.get_by_test_id("member-wallet")).to_have_text("¥500.00")
    page.locator("#pos-search").focus()
    scan(page, BARCODE)
    expect(page.get_by_test_id("total")).to_have_text(f"¥{price_fen / 100:.2f}")
    return member


def test_cashier_confirms_a_large_stored_value_payment_with_the_members_sms_code(
    page: Any, live_server: Any, chain: Any, cashier_a: StaffProfile
) -> None:
    from playwright.sync_api import expect

    # Given a member with ¥500 stored value and a ¥250 scarf (threshold ¥200)
    member = open_sale_for_member(page, live_server, chain, cashier_a, 25_000)

    # When the cashier pays all of it with stored value
    page.keyboard.press("F9")
    expect(page.get_by_test_id("due")).to_have_text("¥250.00")
    page.get_by_test_id("tender-stored-value").click()
    expect(page.locator("#pos-tender-amount")).to_have_value("250.00")
    page.locator("#pos-tender-amount").press("Enter")

    # Then the server refuses it and says what it needs; the till keeps the sale; nothing is paid yet
    expect(page.get_by_test_id("message")).to_have_text(
        "消费这么多需要会员出示动态会员码，或输入发送到会员手机的短信验证码。"
    )
    expect(page.get_by_test_id("wallet-sms-send")).to_be_visible()
    expect(page.locator(".tenders li")).to_have_count(1)
    assert not Order.objects.exists() and WalletAccount.objects.get(member=member).balance_fen == 50_000

    # When the cashier texts a code to the member for this sale and types the code the member reads out
    page.get_by_test_id("wallet-sms-send").click()
    expect(page.get_by_test_id("wallet-sms-code")).to_be_focused()
    expect(page.get_by_test_id("message")).to_contain_text("¥250.00")
    sms = SmsCode.objects.get(purpose="wallet", used_at__isnull=True)
    assert (sms.member_id, sms.amount_fen) == (member.pk, 25_000)
    page.get_by_test_id("wallet-sms-code").fill(payment_code("250.00"))
    page.screenshot(path=os.path.join(SCREENSHOT_DIR, "pos-wallet-sms.png"))
    page.get_by_test_id("wallet-sms-code").press("Enter")

    # Then the same sale completes, paid by stored value, and the balance drops by ¥250
    expect(page.get_by_test_id("order-number")).to_be_visible()
    order = Order.objects.get()
    expect(page.get_by_test_id("order-number")).to_have_text(order.number)
    assert order.member_id == member.pk and order.status == "completed"
    assert str(order.client_order_id) == sms.client_order_id
    assert list(order.tenders.values_list("kind", "amount_fen")) == [("stored_value", 25_000)]
    assert WalletAccount.objects.get(member=member).balance_fen == 25_000
    assert list(WalletEntry.objects.filter(kind="spend").values_list("verified_by", flat=True)) == [
        "sms_code"
    ]
    # and the code is used up
    assert not SmsCode.objects.filter(purpose="wallet", used_at__isnull=True).exists()


def test_cashier_confirms_points_with_the_members_sms_code(
    page: Any, live_server: Any, chain: Any, cashier_a: StaffProfile
) -> None:
    from playwright.sync_api import expect

    # Given a member with 1,000 points (¥10) and a ¥25 scarf
    member = open_sale_for_member(page, live_server, chain, cashier_a, 2500)

    # When the cashier takes ¥10 in points and the rest in cash
    page.keyboard.press("F9")
    page.get_by_test_id("tender-points").click()
    expect(page.locator("#pos-tender-amount")).to_have_value("10.00")
    page.locator("#pos-tender-amount").press("Enter")
    expect(page.get_by_test_id("remaining")).to_have_text("15.00")
    page.locator(".tender-kinds button", has_text="现金").first.click()
    page.fill("#pos-tender-amount", "20")
    page.locator("#pos-tender-amount").press("Enter")

    # Then the server asks for the member's code before any points are spent
    expect(page.get_by_test_id("message")).to_have_text(
        "使用积分支付需要会员出示动态会员码，或输入发送到会员手机的短信验证码。"
    )
    assert not Order.objects.exists() and PointsAccount.objects.get(member=member).balance == 1000

    # When the cashier texts a code (for the ¥10 of points) and types what the member reads out
    page.get_by_test_id("wallet-sms-send").click()
    expect(page.get_by_test_id("wallet-sms-code")).to_be_focused()
    page.get_by_test_id("wallet-sms-code").fill(payment_code("10.00"))
    page.get_by_test_id("wallet-sms-code").press("Enter")

    # Then the sale completes with the points and the cash, and ¥5 change
    expect(page.get_by_test_id("change")).to_have_text("¥5.00")
    order = Order.objects.get()
    assert sorted(order.tenders.values_list("kind", "amount_fen")) == [("cash", 1500), ("points", 1000)]
    assert PointsAccount.objects.get(member=member).balance == 15  # 1,000 − 1,000 + 15 earned on ¥15 cash
