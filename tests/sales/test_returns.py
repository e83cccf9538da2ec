"""Returns: the refund is exactly what was paid for the units after allocated discounts."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from mendian.inventory.models import StockMove
from mendian.sales.models import CashDrawerEntry, ExceptionLog, Order, Shift
from mendian.stores.models import StaffProfile
from tests.conftest import ApiClient
from tests.sales.conftest import Till, on_hand, order_body


def _discounted_order(till: Till, manager: StaffProfile) -> dict[str, Any]:
    # 3 × 12.50 + 1 × 33.00 = 70.50, minus a 10.00 manual discount: 37.50 → 3218, 33.00 → 2832
    s1, s2, _s3 = till.skus
    body = order_body(
        till.chain.register_a.pk,
        [(s1, 3), (s2, 1)],
        [
            {"kind": "card", "amount_fen": 3000, "card_last4": "8888", "reference": "REF9"},
            {"kind": "cash", "amount_fen": 5000},
        ],
        manual_discount_fen=1000,
        reason="会员日",
        authorizer={"employee_no": manager.employee_no, "pin": "1357"},
    )
    status, order = till.api.post("/sales/orders", body)
    assert status == 201, order
    assert [line["total_fen"] for line in order["lines"]] == [3218, 2832]
    assert (order["total_fen"], order["change_fen"]) == (6050, 1950)
    return order


def test_return_of_a_discounted_line_refunds_the_allocated_amount(
    till: Till, manager_a: StaffProfile
) -> None:
    order = _discounted_order(till, manager_a)
    line = order["lines"][0]
    # when one unit of the 3 × 12.50 line comes back
    status, ret = till.api.post(
        f"/sales/orders/{order['id']}/returns",
        {
            "client_return_id": str(uuid.uuid4()),
            "lines": [{"order_line_id": line["id"], "qty": 1}],
            "restock": True,
            "reason": "尺码不合适",
        },
    )
    # then it refunds 3218 // 3 = 1072, split over card and cash in proportion to what they paid (3000:3050)
    assert status == 201, ret
    assert ret["refund_fen"] == 1072
    assert [(r["qty"], r["refund_fen"]) for r in ret["lines"]] == [(1, 1072)]
    assert [(t["kind"], t["amount_fen"]) for t in ret["tenders"]] == [("card", 532), ("cash", 540)]
    assert ret["tenders"][0]["reference"] == "REF9"
    assert on_hand(till.chain.store_a, till.skus[0]) == 98
    # the other two units give back the rest exactly: 1073 + 1073 → 3218 in all
    status, ret2 = till.api.post(
        f"/sales/orders/{order['id']}/returns",
        {"client_return_id": str(uuid.uuid4()), "lines": [{"order_line_id": line["id"], "qty": 2}]},
    )
    assert ret2["refund_fen"] == 3218 - 1072
    saved = Order.objects.get(pk=order["id"])
    assert (saved.status, saved.refunded_fen) == ("partially_refunded", 3218)
    # and no more than was sold can come back
    status, error = till.api.post(
        f"/sales/orders/{order['id']}/returns",
        {"client_return_id": str(uuid.uuid4()), "lines": [{"order_line_id": line["id"], "qty": 1}]},
    )
    assert (status, error["error"]["code"]) == (409, "return_exceeds_sold")
    # the drawer paid out the cash parts; the shift rollup knows the refunds
    shift = Shift.objects.get(pk=till.shift.pk)
    refunds_out = list(CashDrawerEntry.objects.filter(kind="refund_out").values_list("amount_fen", flat=True))
    assert sum(refunds_out) == -(shift.refunds_by_tender["cash"])
    assert shift.refunds_fen == 3218
    assert shift.return_count == 2


def test_full_return_refunds_the_order_total(till: Till, manager_a: StaffProfile) -> None:
    order = _discounted_order(till, manager_a)
    status, ret = till.api.post(
        f"/sales/orders/{order['id']}/returns",
        {
            "client_return_id": str(uuid.uuid4()),
            "lines": [{"order_line_id": line["id"], "qty": line["qty"]} for line in order["lines"]],
            "restock": False,
            "reason": "质量问题",
        },
    )
    assert status == 201
    assert ret["refund_fen"] == 6050
    assert sum(t["amount_fen"] for t in ret["tenders"]) == 6050
    assert Order.objects.get(pk=order["id"]).status == "refunded"
    # damaged goods come back in and go straight out as damage: stock unchanged, two moves recorded
    assert on_hand(till.chain.store_a, till.skus[0]) == 97
    assert sorted(
        StockMove.objects.filter(source_type="sales.return").values_list("reason", "qty")
    ) == sorted([("return", 3), ("return", 1), ("damage", -3), ("damage", -1)])


def test_repeat_of_a_return_is_the_same_return(till: Till, manager_a: StaffProfile) -> None:
    order = _discounted_order(till, manager_a)
    body = {
        "client_return_id": str(uuid.uuid4()),
        "lines": [{"order_line_id": order["lines"][1]["id"], "qty": 1}],
    }
    first_status, first = till.api.post(f"/sales/orders/{order['id']}/returns", body)
    again_status, again = till.api.post(f"/sales/orders/{order['id']}/returns", body)
    assert (first_status, again_status) == (201, 200)
    assert again == first
    assert Order.objects.get(pk=order["id"]).refunded_fen == 2832


def test_unreceipted_return_needs_permission_and_caps_at_current_price(
    till: Till, manager_a: StaffProfile, api_as: Callable[..., ApiClient]
) -> None:
    s1 = till.skus[0]
    body = {
        "client_return_id": str(uuid.uuid4()),
        "register_id": till.chain.register_a.pk,
        "lines": [{"sku_id": s1.pk, "qty": 2}],
        "reason": "无小票",
    }
    status, error = till.api.post("/sales/returns/unreceipted", body)
    assert (status, error["error"]["code"]) == (403, "permission_denied")
    manager = api_as(manager_a, till.chain.register_a)
    status, error = manager.post(
        "/sales/returns/unreceipted",
        {**body, "lines": [{"sku_id": s1.pk, "qty": 2, "refund_unit_fen": 1300}]},
    )
    assert (status, error["error"]["code"]) == (400, "refund_above_price")
    status, ret = manager.post("/sales/returns/unreceipted", body)
    assert status == 201, ret
    assert ret["refund_fen"] == 2500
    assert [(t["kind"], t["amount_fen"]) for t in ret["tenders"]] == [("cash", 2500)]
    assert on_hand(till.chain.store_a, s1) == 102
    assert list(ExceptionLog.objects.values_list("kind", flat=True)) == ["unreceipted_return"]
    assert Shift.objects.get(pk=till.shift.pk).cash_balance_fen == 20000 - 2500


def test_other_stores_order_is_404(
    till: Till, make_staff: Callable[..., StaffProfile], api_as: Callable[..., ApiClient]
) -> None:
    status, order = till.api.post(
        "/sales/orders",
        order_body(till.chain.register_a.pk, [(till.skus[0], 1)], [{"kind": "cash", "amount_fen": 1250}]),
    )
    cashier_b = make_staff(["cashier"], [till.chain.store_b])
    other = api_as(cashier_b, till.chain.register_b)
    status, error = other.get(f"/sales/orders/{order['id']}")
    assert (status, error["error"]["code"]) == (404, "order_not_found")
    status, error = other.post(
        f"/sales/orders/{order['id']}/returns",
        {
            "client_return_id": str(uuid.uuid4()),
            "lines": [{"order_line_id": order["lines"][0]["id"], "qty": 1}],
        },
    )
    assert status == 404
    status, listed = other.get("/sales/orders")
    assert (status, listed) == (200, [])
    status, listed = till.api.get("/sales/orders", register_id=till.chain.register_a.pk)
    assert [o["id"] for o in listed] == [order["id"]]


def test_exchange_uses_the_refund_as_credit_for_the_new_sale(till: Till, manager_a: StaffProfile) -> None:
    # given a sale of 2 × 12.50 paid in cash
    s1, s2, _s3 = till.skus
    _, order = till.api.post(
        "/sales/orders",
        order_body(till.chain.register_a.pk, [(s1, 2)], [{"kind": "cash", "amount_fen": 2500}]),
    )
    body = {
        "client_return_id": str(uuid.uuid4()),
        "order_id": order["id"],
        "register_id": till.chain.register_a.pk,
        "return_lines": [{"order_line_id": order["lines"][0]["id"], "qty": 2}],
        "reason": "换款",
        "sale": {
            "client_order_id": str(uuid.uuid4()),
            "lines": [{"sku_id": s2.pk, "qty": 1}],
            "tenders": [{"kind": "cash", "amount_fen": 800, "tendered_fen": 1000}],
        },
    }
    # when both 12.50 items are exchanged for one 33.00 item: 25.00 credit, 8.00 more in cash
    status, exchange = till.api.post("/sales/exchanges", body)
    # then
    assert status == 201, exchange
    assert exchange["returned"]["refund_fen"] == 2500
    assert [(t["kind"], t["amount_fen"]) for t in exchange["returned"]["tenders"]] == [
        ("exchange_credit", 2500)
    ]
    new_order = exchange["order"]
    assert [(t["kind"], t["amount_fen"], t["change_fen"]) for t in new_order["tenders"]] == [
        ("exchange_credit", 2500, 0),
        ("cash", 800, 200),
    ]
    assert exchange["returned"]["exchange_order_id"] == new_order["id"]
    assert on_hand(till.chain.store_a, s1) == 100
    assert on_hand(till.chain.store_a, s2) == 99
    # the drawer took 25.00 first, then 10.00 with 2.00 change; no cash went out for the return
    shift = Shift.objects.get(pk=till.shift.pk)
    assert shift.cash_balance_fen == 20000 + 2500 + 800
    assert CashDrawerEntry.objects.filter(kind="refund_out").count() == 0
    # a repeat gives the same exchange back
    status, again = till.api.post("/sales/exchanges", body)
    assert status == 200
    assert again["order"]["id"] == new_order["id"]


def test_exchange_for_cheaper_goods_refunds_the_rest(till: Till) -> None:
    s1, _s2, s3 = till.skus
    _, order = till.api.post(
        "/sales/orders",
        order_body(
            till.chain.register_a.pk, [(s1, 1)], [{"kind": "card", "amount_fen": 1250, "card_last4": "4321"}]
        ),
    )
    status, exchange = till.api.post(
        "/sales/exchanges",
        {
            "client_return_id": str(uuid.uuid4()),
            "order_id": order["id"],
            "register_id": till.chain.register_a.pk,
            "return_lines": [{"order_line_id": order["lines"][0]["id"], "qty": 1}],
            "sale": {"client_order_id": str(uuid.uuid4()), "lines": [{"sku_id": s3.pk, "qty": 1}]},
        },
    )
    assert status == 201, exchange
    assert sorted((t["kind"], t["amount_fen"]) for t in exchange["returned"]["tenders"]) == [
        ("card", 1250 - 990),
        ("exchange_credit", 990),
    ]
    assert exchange["order"]["total_fen"] == 990
