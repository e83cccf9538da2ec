"""Shifts: float, paid in/out, drawer opens, X/Z reports, variance, daily close; held carts; exceptions."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from mendian.sales.models import CashDrawerEntry, ExceptionLog, HeldOrder, Shift
from mendian.stores.models import StaffProfile
from tests.conftest import ApiClient
from tests.sales.conftest import Till, order_body


def test_shift_variance_and_z_report(
    till: Till, manager_a: StaffProfile, api_as: Callable[..., ApiClient]
) -> None:
    api, register = till.api, till.chain.register_a
    s1, s2, s3 = till.skus
    # given a float of 200.00 (fixture), two sales and a refund
    _, first = api.post(
        "/sales/orders", order_body(register.pk, [(s1, 2)], [{"kind": "cash", "amount_fen": 5000}])
    )
    _, second = api.post(
        "/sales/orders",
        order_body(
            register.pk, [(s2, 1), (s3, 1)], [{"kind": "card", "amount_fen": 4290, "card_last4": "1111"}]
        ),
    )
    status, _ret = api.post(
        f"/sales/orders/{first['id']}/returns",
        {
            "client_return_id": str(uuid.uuid4()),
            "lines": [{"order_line_id": first["lines"][0]["id"], "qty": 1}],
        },
    )
    assert status == 201
    # paid in 50.00, paid out 30.00, a drawer opened without a sale
    shift_id = till.shift.pk
    assert (
        api.post(f"/sales/shifts/{shift_id}/cash", {"kind": "paid_in", "amount_fen": 5000, "reason": "零钱"})[
            0
        ]
        == 200
    )
    assert (
        api.post(
            f"/sales/shifts/{shift_id}/cash", {"kind": "paid_out", "amount_fen": 3000, "reason": "买水"}
        )[0]
        == 200
    )
    assert api.post(f"/sales/shifts/{shift_id}/cash", {"kind": "no_sale", "reason": "换零钱"})[0] == 200
    # a paid-out beyond the drawer is refused
    status, error = api.post(
        f"/sales/shifts/{shift_id}/cash", {"kind": "paid_out", "amount_fen": 10**7, "reason": "x"}
    )
    assert (status, error["error"]["code"]) == (409, "drawer_cash_insufficient")
    # X report: expected cash = 20000 + 2500 − 1250 + 5000 − 3000 = 23250
    status, x_report = api.get(f"/sales/shifts/{shift_id}/report")
    assert status == 200
    assert x_report["cash_expected_fen"] == 23250
    assert (x_report["order_count"], x_report["sales_fen"], x_report["refunds_fen"]) == (2, 2500 + 4290, 1250)
    assert x_report["by_tender"] == {"cash": 2500, "card": 4290}
    assert x_report["refunds_by_tender"] == {"cash": 1250}
    assert (x_report["paid_in_fen"], x_report["paid_out_fen"], x_report["no_sale_count"]) == (5000, 3000, 1)
    assert x_report["is_closed"] is False
    # when the cashier counts 2 × 100 + 1 × 20 + 1 × 10 + 2 × 1 yuan + 3 × 1 jiao = 232.30
    status, z_report = api.post(
        f"/sales/shifts/{shift_id}/close", {"counted": {"10000": 2, "2000": 1, "1000": 1, "100": 2, "10": 3}}
    )
    # then variance is counted − expected = 23230 − 23250 = −20
    assert status == 200, z_report
    assert (z_report["cash_counted_fen"], z_report["variance_fen"], z_report["is_closed"]) == (
        23230,
        -20,
        True,
    )
    assert z_report["counted"] == {"10000": 2, "2000": 1, "1000": 1, "100": 2, "10": 3}
    # the ledger adds up to the balance
    assert (
        sum(CashDrawerEntry.objects.filter(shift_id=shift_id).values_list("amount_fen", flat=True)) == 23250
    )
    assert ExceptionLog.objects.filter(kind="cash_variance", amount_fen=-20).count() == 1
    # a closed shift takes no sales and cannot close twice
    status, error = api.post(
        "/sales/orders", order_body(register.pk, [(s1, 1)], [{"kind": "cash", "amount_fen": 1250}])
    )
    assert (status, error["error"]["code"]) == (409, "shift_not_open")
    assert api.post(f"/sales/shifts/{shift_id}/close", {"counted": {}})[1]["error"]["code"] == "shift_closed"
    # the daily close sums the store's shifts
    manager = api_as(manager_a)
    shift = Shift.objects.get(pk=shift_id)
    status, day = manager.get(
        "/sales/daily-close", store_id=till.chain.store_a.pk, date=shift.business_date.isoformat()
    )
    assert status == 200, day
    assert (day["shift_count"], day["sales_fen"], day["refunds_fen"], day["net_sales_fen"]) == (
        1,
        6790,
        1250,
        5540,
    )
    assert (day["cash_expected_fen"], day["cash_counted_fen"], day["variance_fen"]) == (23250, 23230, -20)
    assert day["by_tender"] == {"cash": 2500, "card": 4290}
    assert second["tax_fen"] == day["tax_fen"] - first["tax_fen"]


def test_open_twice_and_current(till: Till) -> None:
    register = till.chain.register_a
    status, error = till.api.post("/sales/shifts/open", {"register_id": register.pk, "float_fen": 0})
    assert (status, error["error"]["code"]) == (409, "shift_already_open")
    status, current = till.api.get("/sales/shifts/current", register_id=register.pk)
    assert (status, current["shift_id"], current["float_fen"]) == (200, till.shift.pk, 20000)


def test_open_shift_through_the_api(
    chain: Any, cashier_a: StaffProfile, api_as: Callable[..., ApiClient]
) -> None:
    api = api_as(cashier_a, chain.register_a)
    status, error = api.get("/sales/shifts/current", register_id=chain.register_a.pk)
    assert (status, error["error"]["code"]) == (409, "shift_not_open")
    status, shift = api.post("/sales/shifts/open", {"register_id": chain.register_a.pk, "float_fen": 50000})
    assert status == 201, shift
    assert (shift["float_fen"], shift["cash_expected_fen"]) == (50000, 50000)
    status, _error = api.post("/sales/shifts/open", {"register_id": chain.register_b.pk, "float_fen": 0})
    assert status == 404


def test_hold_and_resume(till: Till) -> None:
    register = till.chain.register_a
    cart = {"lines": [{"sku_id": till.skus[0].pk, "qty": 2}], "note": "等朋友"}
    status, held = till.api.post(
        "/sales/held", {"register_id": register.pk, "label": "红衣服", "cart": cart, "total_fen": 2500}
    )
    assert status == 201, held
    status, listed = till.api.get("/sales/held", register_id=register.pk)
    assert [(h["id"], h["label"], h["cart"]) for h in listed] == [(held["id"], "红衣服", cart)]
    status, _ = till.api.delete(f"/sales/held/{held['id']}")
    assert status == 204
    assert HeldOrder.objects.count() == 0


def test_exception_log(till: Till, manager_a: StaffProfile, api_as: Callable[..., ApiClient]) -> None:
    register = till.chain.register_a
    status, entry = till.api.post(
        "/sales/exceptions",
        {"register_id": register.pk, "kind": "line_void", "message": "扫错", "amount_fen": 1250},
    )
    assert status == 201, entry
    # cashiers report, managers read
    assert till.api.get("/sales/exceptions")[0] == 403
    status, entries = api_as(manager_a).get("/sales/exceptions", store_id=till.chain.store_a.pk)
    assert status == 200
    assert [(e["kind"], e["message"], e["amount_fen"]) for e in entries] == [("line_void", "扫错", 1250)]
    status, _error = till.api.post("/sales/exceptions", {"register_id": register.pk, "kind": "cash_variance"})
    assert status == 422


def test_void_of_an_unpaid_order(
    till: Till, manager_a: StaffProfile, api_as: Callable[..., ApiClient]
) -> None:
    s1 = till.skus[0]
    _, order = till.api.post(
        "/sales/orders",
        order_body(till.chain.register_a.pk, [(s1, 2)], [{"kind": "pending_digital", "amount_fen": 2500}]),
    )
    assert order["status"] == "pending_payment"
    assert till.api.post(f"/sales/orders/{order['id']}/void", {"reason": "顾客放弃"})[0] == 403
    status, voided = api_as(manager_a).post(f"/sales/orders/{order['id']}/void", {"reason": "顾客放弃"})
    assert status == 200, voided
    assert voided["status"] == "voided"
    assert voided["tenders"][0]["status"] == "failed"
    shift = Shift.objects.get(pk=till.shift.pk)
    assert (shift.order_count, shift.sales_fen, shift.by_tender) == (0, 0, {"pending_digital": 0})
    from tests.sales.conftest import on_hand

    assert on_hand(till.chain.store_a, s1) == 100
    assert ExceptionLog.objects.filter(kind="order_void").count() == 1
