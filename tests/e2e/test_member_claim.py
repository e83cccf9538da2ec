"""The receipt's claim QR on a phone: a customer who bought without a membership opens the e-receipt at
375 px, follows the claim link, joins by SMS code and has the order's points credited, once."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest

from mendian.members.models import Member, PointsAccount
from mendian.sales import services as sales_services
from mendian.stores.models import StaffProfile
from tests.conftest import ApiClient, Chain
from tests.e2e.conftest import SCREENSHOT_DIR, texted_code
from tests.sales.conftest import make_sku, order_body

pytestmark = pytest.mark.django_db(transaction=True)
PHONE = "13955557777"
PHONE_MASKED = "139****7777"


def test_a_customer_joins_from_the_receipt_and_earns_the_order_points(
    phone_page: Any,
    live_server: Any,
    chain: Chain,
    cashier_a: StaffProfile,
    api_as: Callable[..., ApiClient],
) -> None:
    from playwright.sync_api import expect

    # Given a ¥51 cash sale without a member
    sales_services.shift_open(user=cashier_a.user, register=chain.register_a, float_fen=20000)
    sku = make_sku("E1", 2550, store=chain.store_a)
    status, order = api_as(cashier_a, chain.register_a).post(
        "/sales/orders",
        order_body(
            chain.register_a.pk, [(sku, 2)], [{"kind": "cash", "amount_fen": 5100, "tendered_fen": 5100}]
        ),
    )
    assert status == 201, order
    # When the customer opens the e-receipt on the phone and follows the claim QR's link
    phone_page.goto(f"{live_server.url}/r/{order['receipt_token']}/")
    expect(phone_page.get_by_test_id("receipt-claim").locator("img")).to_be_visible()
    claim_path = phone_page.get_by_test_id("receipt-claim-link").get_attribute("href")
    phone_page.get_by_test_id("receipt-claim-link").click()
    phone_page.get_by_test_id("claim-sign-in").click()
    # and joins with the phone number and the SMS code
    phone_page.get_by_test_id("phone").fill(PHONE)
    phone_page.get_by_test_id("send-code").click()
    expect(phone_page.get_by_test_id("code-sent")).to_be_visible()
    phone_page.get_by_test_id("code").fill(texted_code(PHONE_MASKED))
    phone_page.get_by_test_id("sign-in").click()
    phone_page.get_by_test_id("claim-points").click()
    # Then the points are credited and shown in the member centre
    expect(phone_page.get_by_test_id("claim-done")).to_contain_text("51")
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 375
    phone_page.screenshot(path=os.path.join(SCREENSHOT_DIR, "member-claim-375.png"), full_page=True)
    phone_page.get_by_test_id("to-points").click()
    expect(phone_page.get_by_test_id("points")).to_have_text("51")
    member = Member.objects.get()
    assert member.channel == "receipt" and PointsAccount.objects.get(member=member).balance == 51
    # And the receipt no longer offers the claim; the old link says it was already claimed
    phone_page.goto(f"{live_server.url}/r/{order['receipt_token']}/")
    expect(phone_page.get_by_test_id("receipt-total")).to_be_visible()
    assert phone_page.get_by_test_id("receipt-claim").count() == 0
    phone_page.goto(f"{live_server.url}{claim_path}")
    expect(phone_page.get_by_test_id("claim-error")).to_be_visible()
    expect(phone_page.get_by_test_id("claim-points")).to_have_count(0)
    assert PointsAccount.objects.get(member=member).balance == 51
