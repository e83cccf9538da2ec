"""A customer brings back one of the two phones of an order: at the till the cashier ticks the serial
number in hand, and that unit, only that one, is back in stock and can be sold again."""

from __future__ import annotations

import os
import uuid
from typing import Any

import pytest

from mendian.catalog.models import SKU, Product
from mendian.inventory.models import SerialNumber
from mendian.inventory.services import StockChange, stock_apply
from mendian.sales.models import Order, ReturnLine
from mendian.sales.selectors import LineInput
from mendian.sales.services import TenderInput, order_checkout, shift_open
from mendian.stores.models import StaffProfile
from tests.e2e.conftest import SCREENSHOT_DIR, till_sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_cashier_returns_one_serialized_unit_by_ticking_its_serial(
    page: Any, live_server: Any, chain: Any, cashier_a: StaffProfile
) -> None:
    from playwright.sync_api import expect

    # Given an order of two phones, IMEI-1 and IMEI-2, paid in cash
    product = Product.objects.create(code="PH", name="手机", tracks_serials=True)
    sku = SKU.objects.create(product=product, code="PH-1", retail_price_fen=100_000)
    stock_apply(store=chain.store_a, changes=[StockChange(sku.pk, 2, ("IMEI-1", "IMEI-2"))], reason="receipt")
    shift_open(user=cashier_a.user, register=chain.register_a, float_fen=300_000)
    result = order_checkout(
        user=cashier_a.user,
        register=chain.register_a,
        client_order_id=str(uuid.uuid4()),
        lines=[LineInput(sku_id=sku.pk, qty=2, serials=("IMEI-1", "IMEI-2"))],
        tenders=[TenderInput(kind="cash", amount_fen=200_000)],
    )
    order = Order.objects.get(pk=result.order.pk)
    till_sign_in(page, live_server.url, chain.register_a_token, cashier_a.employee_no, "2468")

    # When the cashier finds the order (F7) and ticks IMEI-2, the phone the customer hands over
    page.keyboard.press("F7")
    page.fill("#pos-return-query", order.number)
    page.keyboard.press("Enter")
    serials = page.get_by_test_id("return-serials")
    expect(serials).to_contain_text("IMEI-1")
    serials.get_by_label("IMEI-2").check()
    page.screenshot(path=os.path.join(SCREENSHOT_DIR, "pos-return-serial.png"))
    page.get_by_role("button", name="退款", exact=True).click()

    # Then ¥1,000 is refunded, IMEI-2 is back on the shelf (returned, sellable) and IMEI-1 stays sold
    expect(page.get_by_test_id("return-result")).to_contain_text("1000.00")
    assert list(ReturnLine.objects.values_list("qty", "serials")) == [(1, ["IMEI-2"])]
    statuses = dict(SerialNumber.objects.filter(sku=sku).values_list("serial", "status"))
    assert statuses == {"IMEI-1": "sold", "IMEI-2": "returned"}  # "returned" is sellable again
