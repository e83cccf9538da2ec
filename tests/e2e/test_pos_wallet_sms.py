"""Stored value above the confirmation threshold at the till: the server refuses the payment without a
confirmation, the till asks for the member's SMS code, the cashier texts it, types what the member reads
out (taken here from the console SMS backend's records) and the sale goes through, once."""

from __future__ import annotations

import os
from typing import Any

import pytest
from django.core.cache import cache

from mendian.catalog.services import product_create_with_variants
from mendian.inventory.services import StockChange, stock_apply
from mendian.members import services as member_services
from mendian.members.models import SmsCode, WalletAccount, WalletEntry
from mendian.notifications.models import ConsoleSms
from mendian.sales.models import Order
from mendian.sales.services import shift_open
from mendian.stores.models import StaffProfile
from tests.e2e.conftest import SCREENSHOT_DIR, texted_code, till_sign_in

pytestmark = pytest.mark.django_db(transaction=True)
PHONE = "13955559999"
BARCODE = "6905555000014"


def wallet_code() -> str:
    """The member's confirmation code, from the SMS that names the amount to be paid."""
    message = ConsoleSms.objects.filter(purpose="wallet").order_by("-id").first()
    assert message is not None and "250.00" in message.text
    return texted_code("139****9999", purpose="wallet")


def test_cashier_confirms_a_large_stored_value_payment_with_the_members_sms_code(
    page: Any, live_server: Any, chain: Any, cashier_a: StaffProfile
) -> None:
    from playwright.sync_api import expect

    cache.clear()  # wrong-code counters of other tests live in the cache
    base = live_server.url
    # Given a member with ¥500 stored value, a ¥250 product (threshold ¥200) and an open shift
    member = member_services.member_register(phone=PHONE, name="李四")
    member_services.wallet_top_up(
        member=member, plan=None, amount_fen=50_000, payment_method="cash", actor_id=None
    )
    sku = product_create_with_variants(
        code="W001", name="羊绒围巾", retail_price_fen=25_000, barcodes=[BARCODE]
    ).skus.get()
    stock_apply(store=chain.store_a, changes=[StockChange(sku.pk, 5)], reason="receipt", source_type="test")
    shift_open(user=cashier_a.user, register=chain.register_a, float_fen=0)

    till_sign_in(page, base, chain.register_a_token, cashier_a.employee_no, "2468")

    # the member is attached by phone (no live QR, so no confirmation yet) and the scarf scanned
    page.get_by_test_id("member-input").fill(PHONE)
    page.get_by_test_id("member-attach").click()
    expect(page.get_by_test_id("member-wallet")).to_have_text("¥500.00")
    page.locator("#pos-search").focus()
    page.keyboard.type(BARCODE)
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("total")).to_have_text("¥250.00")

    # When the cashier pays all of it with stored value
    page.keyboard.press("F9")
    expect(page.get_by_test_id("due")).to_have_text("¥250.00")
    page.get_by_test_id("tender-stored-value").click()
    expect(page.locator("#pos-tender-amount")).to_have_value("250.00")
    page.locator("#pos-tender-amount").press("Enter")

    # Then the server refuses it and the till asks for the member's code; nothing is paid yet
    expect(page.get_by_test_id("message")).to_have_text(
        "消费这么多需要会员出示动态会员码，或输入发送到会员手机的短信验证码。"
    )
    expect(page.get_by_test_id("wallet-sms-send")).to_be_visible()
    assert not Order.objects.exists() and WalletAccount.objects.get(member=member).balance_fen == 50_000

    # When the cashier texts a code to the member and types the code the member reads out
    page.get_by_test_id("wallet-sms-send").click()
    expect(page.get_by_test_id("wallet-sms-code")).to_be_visible()
    assert SmsCode.objects.filter(purpose="wallet", used_at__isnull=True).count() == 1
    page.get_by_test_id("wallet-sms-code").fill(wallet_code())
    page.screenshot(path=os.path.join(SCREENSHOT_DIR, "pos-wallet-sms.png"))
    page.get_by_test_id("tender-stored-value").click()
    page.locator("#pos-tender-amount").press("Enter")

    # Then the sale completes, paid by stored value, and the balance drops by ¥250
    expect(page.get_by_test_id("order-number")).to_be_visible()
    order = Order.objects.get()
    expect(page.get_by_test_id("order-number")).to_have_text(order.number)
    assert order.member_id == member.pk and order.status == "completed"
    assert list(order.tenders.values_list("kind", "amount_fen")) == [("stored_value", 25_000)]
    assert WalletAccount.objects.get(member=member).balance_fen == 25_000
    assert WalletEntry.objects.filter(kind="spend").count() == 1
    # and the code is used up
    assert not SmsCode.objects.filter(purpose="wallet", used_at__isnull=True).exists()
