"""The customer display after a sale: a customer without a membership is offered the claim QR (join on
the phone and collect this order's points in one step); a member sees the e-receipt QR and the points
that just reached the account."""

from __future__ import annotations

import os
import re
from typing import Any

import pytest

from mendian.members.models import Member, PointsAccount
from mendian.members.views import qr_svg
from mendian.sales.claim import order_claim_token_resolve
from mendian.sales.models import Order
from mendian.sales.services import shift_open
from mendian.stores.models import StaffProfile
from tests.e2e.conftest import SCREENSHOT_DIR, pay_cash, scan, texted_code, till_sign_in

pytestmark = pytest.mark.django_db(transaction=True)
PHONE = "13955558888"
COKE, OREO, WATER = "6901234567892", "6902345678903", "6903456789014"


def wait_for_image(page: Any, image: Any) -> None:
    """The QR image has loaded (a broken one has no natural width)."""
    page.wait_for_function("image => image.complete && image.naturalWidth > 0", arg=image.element_handle())


def test_the_display_offers_the_claim_qr_without_a_member_and_the_points_with_one(
    page: Any,
    phone_page: Any,
    live_server: Any,
    chain: Any,
    cashier_a: StaffProfile,
    stocked_store: dict[str, Any],
) -> None:
    from playwright.sync_api import expect

    base = live_server.url
    shift_open(user=cashier_a.user, register=chain.register_a, float_fen=0)
    till_sign_in(page, base, chain.register_a_token, cashier_a.employee_no, "2468")
    display = page.context.new_page()
    display.goto(f"{base}/pos/display/{chain.register_a.pk}/")
    expect(display.get_by_text("欢迎光临")).to_be_visible()

    # Given a ¥20 cash sale without a member (two biscuits and a cola)
    for barcode in (OREO, OREO, COKE):
        scan(page, barcode)
    expect(page.get_by_test_id("total")).to_have_text("¥20.00")
    pay_cash(page, "¥20.00", "100")
    expect(page.get_by_test_id("order-number")).to_be_visible()
    first = Order.objects.get()
    assert first.member_id is None

    # Then the display offers the claim QR of this order, signed by the server, instead of the e-receipt QR
    claim = display.get_by_test_id("display-claim")
    expect(claim).to_be_visible()
    expect(claim).to_contain_text("积分")
    expect(display.get_by_test_id("display-receipt-qr")).to_be_hidden()
    expect(display.get_by_test_id("display-points")).to_be_hidden()
    # (read the link and the image together: the display may fetch a fresh, newly signed token)
    claim_url, qr_src = claim.evaluate("el => [el.dataset.url, el.querySelector('img').getAttribute('src')]")
    found = re.fullmatch(rf"{re.escape(base)}/r/claim/([^/]+)/", claim_url or "")
    assert found is not None, claim_url
    token = found.group(1)
    assert order_claim_token_resolve(token) == first.pk
    # and the QR on screen encodes exactly that link
    assert qr_src == f"/r/claim/{token}/qr.svg"
    assert display.request.get(base + qr_src).text() == qr_svg(claim_url)
    wait_for_image(display, claim.locator("img"))
    display.bring_to_front()
    display.screenshot(path=os.path.join(SCREENSHOT_DIR, "display-claim.png"))
    page.bring_to_front()

    # When the customer scans it on the phone, joins with the SMS code and collects the points
    phone_page.goto(claim_url)
    phone_page.get_by_test_id("claim-sign-in").click()
    phone_page.get_by_test_id("phone").fill(PHONE)
    phone_page.get_by_test_id("send-code").click()
    expect(phone_page.get_by_test_id("code-sent")).to_be_visible()
    phone_page.get_by_test_id("code").fill(texted_code("139****8888"))
    phone_page.get_by_test_id("sign-in").click()
    phone_page.get_by_test_id("claim-points").click()

    # Then the order's 20 points are on the new membership
    expect(phone_page.get_by_test_id("claim-done")).to_contain_text("20")
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 375
    member = Member.objects.get()
    first.refresh_from_db()
    assert first.member_id == member.pk and member.channel == "receipt"
    assert PointsAccount.objects.get(member=member).balance == 20

    # Given the next sale (the display returns to its welcome), now with that member attached by phone
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("sale-done")).to_be_hidden()
    expect(display.get_by_text("欢迎光临")).to_be_visible()
    # (closing the dialog puts the focus back on the scan field a moment later: let it land first)
    expect(page.locator("#pos-search")).to_be_focused()
    page.get_by_test_id("member-input").fill(PHONE)
    page.get_by_test_id("member-attach").click()
    expect(page.get_by_test_id("member-points")).to_have_text("20")
    page.locator("#pos-search").focus()
    for barcode in (COKE, OREO, WATER):
        scan(page, barcode)
    expect(page.get_by_test_id("total")).to_have_text("¥13.50")
    pay_cash(page, "¥13.50", "100")
    expect(page.get_by_test_id("order-number")).to_be_visible()
    second = Order.objects.exclude(pk=first.pk).get()
    assert second.member_id == member.pk

    # Then the display shows the e-receipt QR and the 13 points just credited, and no claim QR
    expect(display.get_by_test_id("display-points")).to_be_visible()
    expect(display.get_by_test_id("display-points")).to_contain_text("积分已到账")
    expect(display.get_by_test_id("display-points").locator("b")).to_have_text("+13")
    receipt_qr = display.get_by_test_id("display-receipt-qr").locator("img")
    expect(receipt_qr).to_have_attribute("src", f"/r/{second.receipt_token}/qr.svg")
    expect(display.get_by_test_id("display-claim")).to_be_hidden()
    expect(display.get_by_text("欢迎光临")).to_be_hidden()
    assert PointsAccount.objects.get(member=member).balance == 33
    wait_for_image(display, receipt_qr)
    display.bring_to_front()
    display.screenshot(path=os.path.join(SCREENSHOT_DIR, "display-member-points.png"))
