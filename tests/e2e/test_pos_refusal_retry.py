"""A refused sale wrote nothing: the cashier corrects the cart and the corrected sale goes through once
(the till gives it a new order id, so no answer kept for the refused attempt stands in its way)."""

from __future__ import annotations

from typing import Any

import pytest

from mendian.catalog.services import product_create_with_variants
from mendian.inventory.models import StockLevel
from mendian.inventory.services import StockChange, stock_apply
from mendian.sales.models import Order
from mendian.sales.services import shift_open
from mendian.stores.models import StaffProfile
from tests.e2e.conftest import pay_cash, scan, till_sign_in

pytestmark = pytest.mark.django_db(transaction=True)
BARCODE = "6907777000018"


def test_after_an_out_of_stock_refusal_the_corrected_sale_goes_through(
    page: Any, live_server: Any, chain: Any, cashier_a: StaffProfile
) -> None:
    from playwright.sync_api import expect

    # Given a store that does not sell below zero, one tea set in stock and an open shift
    chain.store_a.allow_negative_stock = False
    chain.store_a.save(update_fields=["allow_negative_stock"])
    sku = product_create_with_variants(
        code="T001", name="紫砂茶具", retail_price_fen=8_800, barcodes=[BARCODE]
    ).skus.get()
    stock_apply(store=chain.store_a, changes=[StockChange(sku.pk, 1)], reason="receipt", source_type="test")
    shift_open(user=cashier_a.user, register=chain.register_a, float_fen=0)
    till_sign_in(page, live_server.url, chain.register_a_token, cashier_a.employee_no, "2468")

    # When the cashier scans it twice and takes 200 yuan cash
    scan(page, BARCODE)
    scan(page, BARCODE)
    expect(page.get_by_test_id("total")).to_have_text("¥176.00")
    pay_cash(page, "¥176.00", "200")

    # Then the server refuses it and nothing is sold
    expect(page.get_by_test_id("message")).to_have_text("库存不足。")
    assert not Order.objects.exists()

    # When the cashier takes one off the cart and takes 100 yuan cash
    page.keyboard.press("Escape")
    page.get_by_test_id("cart-line").first.locator("button.danger").click()
    scan(page, BARCODE)
    expect(page.get_by_test_id("total")).to_have_text("¥88.00")
    pay_cash(page, "¥88.00", "100")

    # Then the corrected sale goes through, once, and the last one leaves the shelf
    expect(page.get_by_test_id("change")).to_have_text("¥12.00")
    order = Order.objects.get()
    assert [(line.sku_id, line.qty) for line in order.lines.all()] == [(sku.pk, 1)]
    assert StockLevel.objects.get(store=chain.store_a, sku=sku).on_hand_qty == 0
