"""Checkout through the API: totals, change, refusals that write nothing, idempotency, query counts."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from mendian.catalog.models import StorePrice
from mendian.inventory.models import StockMove
from mendian.sales.models import CashDrawerEntry, ExceptionLog, Order, OrderLine, OrderTender, Shift
from mendian.stores.models import StaffProfile
from tests.conftest import ApiClient
from tests.sales.conftest import Till, make_sku, on_hand, order_body


def test_cash_sale_with_exact_totals_and_change(till: Till) -> None:
    # given a cart of 2 × 12.50, 1 × 33.00, 3 × 9.90 = 87.70
    s1, s2, s3 = till.skus
    body = order_body(
        till.chain.register_a.pk,
        [(s1, 2), (s2, 1), (s3, 3)],
        [{"kind": "cash", "amount_fen": 8770, "tendered_fen": 10000}],
        note="送货上门",
    )
    # when the till posts it
    status, order = till.api.post("/sales/orders", body)
    # then
    assert status == 201, order
    assert [line["total_fen"] for line in order["lines"]] == [2500, 3300, 2970]
    assert (order["subtotal_fen"], order["discount_fen"], order["total_fen"]) == (8770, 0, 8770)
    assert (order["paid_fen"], order["change_fen"]) == (8770, 1230)
    assert order["tenders"] == [
        {
            "id": order["tenders"][0]["id"],
            "kind": "cash",
            "amount_fen": 8770,
            "tendered_fen": 10000,
            "change_fen": 1230,
            "refunded_fen": 0,
            "status": "completed",
            "reference": "",
            "card_last4": "",
            "approval_code": "",
        }
    ]
    assert order["status"] == "completed"
    assert order["note"] == "送货上门"
    assert order["number"].startswith("T1-") and order["number"].endswith("-0001")
    assert order["receipt_url"] == f"/r/{order['receipt_token']}/"
    assert len(order["receipt_token"]) >= 20
    # stock went out, the drawer took 100 and gave 12.30 back
    store = till.chain.store_a
    assert [on_hand(store, sku) for sku in till.skus] == [98, 99, 97]
    entries = list(
        CashDrawerEntry.objects.filter(shift=till.shift).values_list("kind", "amount_fen", "balance_after")
    )
    assert entries == [("float", 20000, 20000), ("sale_cash_in", 10000, 30000), ("change_out", -1230, 28770)]
    shift = Shift.objects.get(pk=till.shift.pk)
    assert (shift.order_count, shift.sales_fen, shift.cash_balance_fen, shift.by_tender) == (
        1,
        8770,
        28770,
        {"cash": 8770},
    )
    # VAT 13 % included: per line gross − round(gross / 1.13)
    assert order["tax_fen"] == (2500 - 2212) + (3300 - 2920) + (2970 - 2628)


def test_split_tender_card_and_cash_with_store_price_and_rounding(till: Till) -> None:
    # given the store rounds cash to the jiao and has its own price for S1
    store = till.chain.store_a
    store.cash_rounding_to_jiao = True
    store.save()
    s1, s2, _s3 = till.skus
    StorePrice.objects.create(store=store, sku=s1, retail_price_fen=1199)
    body = order_body(
        till.chain.register_a.pk,
        [(s1, 1), (s2, 1)],  # 11.99 + 33.00 = 44.99
        [
            {
                "kind": "card",
                "amount_fen": 3000,
                "reference": "T0001",
                "card_last4": "6222",
                "approval_code": "A1",
            },
            {"kind": "cash", "amount_fen": 2000},
        ],
    )
    status, order = till.api.post("/sales/orders", body)
    assert status == 201, order
    assert order["total_fen"] == 4499
    # cash due 14.99 → 15.00; change 5.00
    assert (order["rounding_fen"], order["paid_fen"], order["change_fen"]) == (1, 4500, 500)
    assert [(t["kind"], t["amount_fen"], t["card_last4"]) for t in order["tenders"]] == [
        ("card", 3000, "6222"),
        ("cash", 1500, ""),
    ]


def test_quote_prices_without_saving(till: Till) -> None:
    store = till.chain.store_a
    store.cash_rounding_to_jiao = True
    store.save()
    s1, _s2, s3 = till.skus
    status, quote = till.api.post(
        "/sales/quote",
        {
            "register_id": till.chain.register_a.pk,
            "lines": [{"sku_id": s1.pk, "qty": 1}, {"sku_id": s3.pk, "qty": 1, "is_gift": True}],
        },
    )
    assert status == 200, quote
    assert [(line["sku_code"], line["total_fen"], line["reasons"]) for line in quote["lines"]] == [
        ("S1", 1250, ["list_price"]),
        ("S3", 0, ["gift"]),
    ]
    assert (quote["subtotal_fen"], quote["discount_fen"], quote["total_fen"], quote["cash_due_fen"]) == (
        2240,
        990,
        1250,
        1250,
    )
    assert Order.objects.count() == 0


def test_tenders_short_is_refused_and_writes_nothing(till: Till) -> None:
    s1, s2, _s3 = till.skus
    moves_before = StockMove.objects.count()
    body = order_body(
        till.chain.register_a.pk,
        [(s1, 1), (s2, 1)],
        [{"kind": "card", "amount_fen": 1000, "card_last4": "1234"}, {"kind": "cash", "amount_fen": 3000}],
    )
    status, error = till.api.post("/sales/orders", body)
    assert status == 400
    assert error["error"]["code"] == "tenders_insufficient"
    assert error["error"]["details"] == {"total_fen": 4550, "due_fen": 4550, "paid_fen": 4000}
    assert Order.objects.count() == OrderLine.objects.count() == OrderTender.objects.count() == 0
    assert StockMove.objects.count() == moves_before
    assert CashDrawerEntry.objects.filter(kind="sale_cash_in").count() == 0
    assert Shift.objects.get(pk=till.shift.pk).order_count == 0
    # the failed payment is in the exception log for the manager
    assert list(ExceptionLog.objects.values_list("kind", flat=True)) == ["tender_failed"]


def test_card_over_total_is_refused(till: Till) -> None:
    body = order_body(till.chain.register_a.pk, [(till.skus[0], 1)], [{"kind": "card", "amount_fen": 2000}])
    status, error = till.api.post("/sales/orders", body)
    assert (status, error["error"]["code"]) == (400, "tender_exceeds_total")
    assert Order.objects.count() == 0


def test_points_tender_needs_a_member(till: Till) -> None:
    # Points and stored value are taken by the members app (tests/members/test_checkout_integration.py).
    body = order_body(till.chain.register_a.pk, [(till.skus[0], 1)], [{"kind": "points", "amount_fen": 1250}])
    status, error = till.api.post("/sales/orders", body)
    assert (status, error["error"]["code"]) == (400, "member_required")
    assert Order.objects.count() == 0


def test_out_of_stock_is_refused_and_logged(till: Till) -> None:
    body = order_body(
        till.chain.register_a.pk, [(till.skus[0], 101)], [{"kind": "cash", "amount_fen": 200000}]
    )
    status, error = till.api.post("/sales/orders", body)
    assert (status, error["error"]["code"]) == (409, "stock_insufficient")
    assert Order.objects.count() == 0
    assert on_hand(till.chain.store_a, till.skus[0]) == 100
    assert list(ExceptionLog.objects.values_list("kind", flat=True)) == ["out_of_stock"]


def test_repeat_returns_the_first_order(till: Till) -> None:
    body = order_body(till.chain.register_a.pk, [(till.skus[0], 2)], [{"kind": "cash", "amount_fen": 2500}])
    first_status, first = till.api.post("/sales/orders", body)
    again_status, again = till.api.post("/sales/orders", body)
    assert (first_status, again_status) == (201, 200)
    assert again == first
    assert Order.objects.count() == 1
    assert on_hand(till.chain.store_a, till.skus[0]) == 98
    # the same id for a different cart is a conflict
    body["lines"] = [{"sku_id": till.skus[1].pk, "qty": 1}]
    status, error = till.api.post("/sales/orders", body)
    assert (status, error["error"]["code"]) == (409, "idempotency_key_reused")


def test_register_of_another_store_is_404(till: Till) -> None:
    body = order_body(till.chain.register_b.pk, [(till.skus[0], 1)], [{"kind": "cash", "amount_fen": 1250}])
    status, error = till.api.post("/sales/orders", body)
    assert (status, error["error"]["code"]) == (404, "not_found")
    status, error = till.api.post(
        "/sales/quote",
        {"register_id": till.chain.register_b.pk, "lines": [{"sku_id": till.skus[0].pk, "qty": 1}]},
    )
    assert status == 404
    assert Order.objects.count() == 0


def test_no_open_shift_is_a_clear_error(
    chain: Any, cashier_a: StaffProfile, skus: list[Any], api_as: Callable[..., ApiClient]
) -> None:
    api = api_as(cashier_a, chain.register_a)
    body = order_body(chain.register_a.pk, [(skus[0], 1)], [{"kind": "cash", "amount_fen": 1250}])
    status, error = api.post("/sales/orders", body)
    assert (status, error["error"]["code"]) == (409, "shift_not_open")
    assert Order.objects.count() == 0
    assert on_hand(chain.store_a, skus[0]) == 100


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("{not json", "malformed_json"),
        ('{"register_id": 1}', "validation_error"),
        ('{"client_order_id": "nope", "register_id": 1, "lines": [], "tenders": []}', "validation_error"),
        (
            '{"client_order_id": "8c7e3b0e-3c1c-4b8e-9d7e-1a2b3c4d5e6f", "register_id": 1, "lines": [{"sku_id": 1, "qty": -2}], "tenders": [{"kind": "cash", "amount_fen": 1}]}',
            "validation_error",
        ),
        (
            '{"client_order_id": "8c7e3b0e-3c1c-4b8e-9d7e-1a2b3c4d5e6f", "register_id": 1, "lines": [{"sku_id": 1, "qty": 1}], "tenders": [{"kind": "card", "amount_fen": 1, "card_last4": "6222123412341234"}]}',
            "validation_error",
        ),
        ("[1, 2]", "validation_error"),
    ],
)
def test_malformed_bodies_get_the_error_format(till: Till, raw: str, code: str) -> None:
    status, error = till.api.post("/sales/orders", raw=raw)
    assert 400 <= status < 500
    assert error["error"]["code"] == code
    assert set(error["error"]) == {"code", "message", "details"}


def test_unknown_sku_is_refused(till: Till) -> None:
    body = {
        "client_order_id": str(uuid.uuid4()),
        "register_id": till.chain.register_a.pk,
        "lines": [{"sku_id": 999999, "qty": 1}],
        "tenders": [{"kind": "cash", "amount_fen": 100}],
    }
    status, error = till.api.post("/sales/orders", body)
    assert (status, error["error"]["code"]) == (400, "sku_not_found")
    assert error["error"]["details"] == {"sku_ids": [999999]}


def test_gift_line_at_zero_and_pending_digital(till: Till) -> None:
    s1, _s2, s3 = till.skus
    body = order_body(
        till.chain.register_a.pk,
        [(s1, 1)],
        [{"kind": "pending_digital", "amount_fen": 1250, "reference": "WX1"}],
    )
    body["lines"].append({"sku_id": s3.pk, "qty": 1, "is_gift": True})
    status, order = till.api.post("/sales/orders", body)
    assert status == 201, order
    assert [(line["total_fen"], line["is_gift"]) for line in order["lines"]] == [(1250, False), (0, True)]
    assert order["status"] == "pending_payment"
    assert order["tenders"][0]["status"] == "pending"
    # the gift left the shelf too
    assert on_hand(till.chain.store_a, s3) == 99


def test_override_needs_a_manager_pin(till: Till, manager_a: StaffProfile) -> None:
    s1, s2, _s3 = till.skus
    body = order_body(till.chain.register_a.pk, [(s1, 2), (s2, 1)], [{"kind": "cash", "amount_fen": 10000}])
    body["lines"][0]["price_override_fen"] = 1000
    body["manual_discount_fen"] = 300
    # without an authorizer
    status, error = till.api.post("/sales/orders", {**body, "reason": "老顾客"})
    assert (status, error["error"]["code"]) == (403, "authorization_required")
    # a cashier's PIN does not authorize
    status, error = till.api.post(
        "/sales/orders",
        {**body, "reason": "老顾客", "authorizer": {"employee_no": till.cashier.employee_no, "pin": "2468"}},
    )
    assert (status, error["error"]["code"]) == (403, "authorization_failed")
    # a wrong PIN does not either
    status, error = till.api.post(
        "/sales/orders",
        {**body, "reason": "老顾客", "authorizer": {"employee_no": manager_a.employee_no, "pin": "0000"}},
    )
    assert (status, error["error"]["code"]) == (403, "authorization_failed")
    assert Order.objects.count() == 0
    # the manager's PIN does
    status, order = till.api.post(
        "/sales/orders",
        {**body, "reason": "老顾客", "authorizer": {"employee_no": manager_a.employee_no, "pin": "1357"}},
    )
    assert status == 201, order
    # 2 × 10.00 + 33.00 = 53.00, minus 3.00 allocated 20:33 → 113 and 187
    assert [line["total_fen"] for line in order["lines"]] == [2000 - 113, 3300 - 187]
    assert order["total_fen"] == 5000
    assert order["discount_fen"] == 5800 - 5000
    saved = Order.objects.get(pk=order["id"])
    assert saved.authorizer_id == manager_a.user_id
    assert list(ExceptionLog.objects.filter(order=saved).values_list("kind", flat=True)) == [
        "manual_discount"
    ]
    from mendian.core.models import AuditEntry

    assert AuditEntry.objects.filter(action="order.price_override", object_id=str(saved.pk)).count() == 1


def test_training_register_moves_no_stock_and_no_cash(
    chain: Any, cashier_a: StaffProfile, skus: list[Any], api_as: Callable[..., ApiClient]
) -> None:
    # given a training register with no shift open
    from mendian.stores import services as store_services

    register, _token = store_services.register_create(
        store=chain.store_a, code="TR", name="练习", is_training=True
    )
    api = api_as(cashier_a, register)
    moves_before = StockMove.objects.count()
    body = order_body(register.pk, [(skus[0], 3)], [{"kind": "cash", "amount_fen": 5000}])
    status, order = api.post("/sales/orders", body)
    assert status == 201, order
    assert order["is_training"] is True
    assert order["change_fen"] == 1250
    assert StockMove.objects.count() == moves_before
    assert on_hand(chain.store_a, skus[0]) == 100
    assert CashDrawerEntry.objects.count() == 0
    # a return of a training order touches nothing either
    status, ret = api.post(
        f"/sales/orders/{order['id']}/returns",
        {
            "client_return_id": str(uuid.uuid4()),
            "lines": [{"order_line_id": order["lines"][0]["id"], "qty": 1}],
        },
    )
    assert status == 201, ret
    assert StockMove.objects.count() == moves_before
    assert CashDrawerEntry.objects.count() == 0


def _post_n_lines(till: Till, n: int) -> tuple[dict[str, Any], Any]:
    tag = uuid.uuid4().hex[:8]
    skus = [make_sku(f"Q{tag}-{i}", 100 + i, store=till.chain.store_a) for i in range(n)]
    body = order_body(
        till.chain.register_a.pk, [(sku, 1) for sku in skus], [{"kind": "cash", "amount_fen": 100_000}]
    )
    return body, skus


def test_checkout_query_count_does_not_grow_with_lines(
    till: Till, django_assert_max_num_queries: Any
) -> None:
    # given carts of 1 and of 20 lines, when each is checked out, then both run the same queries
    one, _ = _post_n_lines(till, 1)
    twenty, _ = _post_n_lines(till, 20)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one_line:
        status, _order = till.api.post("/sales/orders", one)
        assert status == 201
    with CaptureQueriesContext(connection) as twenty_lines:
        status, _order = till.api.post("/sales/orders", twenty)
        assert status == 201
    assert len(one_line.captured_queries) == len(twenty_lines.captured_queries)
    body, _ = _post_n_lines(till, 20)
    with django_assert_max_num_queries(len(one_line.captured_queries)):
        status, _order = till.api.post("/sales/orders", body)
    assert status == 201
    # and the whole request, sign-in and permissions included, stays small: token + user + staff
    # profile + register + store + permissions + the staff's store ids in one query, the repeat check,
    # the cart's SKUs and prices in one, then the transaction (begin, shift lock, order number,
    # order, lines, tenders, stock lock, stock update, moves, cash entries, shift rollup, commit)
    assert len(one_line.captured_queries) <= 15, [q["sql"][:60] for q in one_line.captured_queries]


def test_checkout_at_the_tokens_own_register_still_checks_register_store_and_staff(till: Till) -> None:
    # given the register the till's token is bound to (read with the token, not again)
    body = order_body(
        till.chain.register_a.pk, [(till.skus[0], 1)], [{"kind": "cash", "amount_fen": 100_000}]
    )
    register = till.chain.register_a
    # when the register is switched off, then a sale there is refused as not found and writes nothing
    register.is_active = False
    register.save(update_fields=["is_active"])
    status, error = till.api.post("/sales/orders", body)
    assert (status, error["error"]["code"]) == (404, "not_found")
    register.is_active = True
    register.save(update_fields=["is_active"])
    # when the cashier no longer works at the register's store, then also 404
    till.cashier.stores.clear()
    status, error = till.api.post("/sales/orders", body)
    assert (status, error["error"]["code"]) == (404, "not_found")
    assert not Order.objects.filter(client_order_id=body["client_order_id"]).exists()


def test_errors_are_translated(till: Till) -> None:
    body = order_body(till.chain.register_a.pk, [(till.skus[0], 1)], [{"kind": "cash", "amount_fen": 100}])
    till.api.language = "zh-hans"
    status, error = till.api.post("/sales/orders", body)
    assert (status, error["error"]["message"]) == (400, "付款金额不足以支付总额。")
    till.api.language = "zh-hant"
    status, error = till.api.post("/sales/orders", body)
    assert error["error"]["message"] == "付款金額不足以支付總額。"


def test_ids_beyond_a_bigint_are_refused_not_crashed(till: Till) -> None:
    huge = 2**70
    status, error = till.api.get(f"/sales/orders/{huge}")
    assert (status, error["error"]["code"]) == (422, "validation_error")
    status, error = till.api.get("/sales/orders", register_id=huge)
    assert (status, error["error"]["code"]) == (422, "validation_error")
    body = order_body(till.chain.register_a.pk, [(till.skus[0], 1)], [{"kind": "cash", "amount_fen": 1250}])
    body["lines"][0]["sku_id"] = huge
    status, error = till.api.post("/sales/orders", body)
    assert (status, error["error"]["code"]) == (422, "validation_error")
    status, error = till.api.post(f"/sales/shifts/{till.shift.pk}/close", {"counted": {str(huge): 1}})
    assert (status, error["error"]["code"]) == (422, "validation_error")
