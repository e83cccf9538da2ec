"""The quote of an exchange: exactly what the exchange then refunds and charges, written nowhere; and
price overrides on the new goods of an exchange, under a manager's PIN as at checkout."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from mendian.core.models import AuditEntry
from mendian.members import services as member_services
from mendian.members.models import PointsAccount
from mendian.sales.models import ExceptionLog, Order, Return, Shift
from mendian.stores.models import StaffProfile
from tests.conftest import ApiClient
from tests.sales.conftest import Till, order_body


def _discounted_order(till: Till, manager: StaffProfile) -> dict[str, Any]:
    # 3 × 12.50 + 1 × 33.00 = 70.50, minus a 10.00 manual discount: lines 3218 and 2832, total 60.50,
    # paid 30.00 by card and 30.50 in cash
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
    return order


def _exchange_body(
    till: Till, order: dict[str, Any], returned: list[tuple[int, int]], sale: list[Any]
) -> Any:
    return {
        "client_return_id": str(uuid.uuid4()),
        "order_id": order["id"],
        "register_id": till.chain.register_a.pk,
        "return_lines": [{"order_line_id": order["lines"][i]["id"], "qty": qty} for i, qty in returned],
        "reason": "换款",
        "sale": {
            "client_order_id": str(uuid.uuid4()),
            "lines": [{"sku_id": sku.pk, "qty": qty, **extra} for sku, qty, extra in sale],
        },
    }


def _written() -> tuple[int, int, int, int]:
    return (
        Return.objects.count(),
        Order.objects.count(),
        ExceptionLog.objects.count(),
        AuditEntry.objects.count(),
    )


def _exchange_as_quoted(till: Till, body: dict[str, Any], quote: dict[str, Any]) -> dict[str, Any]:
    """Run the exchange paying exactly what the quote asked (in cash, as the till does)."""
    tenders = []
    if quote["due_fen"] > 0:
        tenders = [{"kind": "cash", "amount_fen": quote["due_fen"], "tendered_fen": quote["cash_due_fen"]}]
    status, exchange = till.api.post(
        "/sales/exchanges", {**body, "sale": {**body["sale"], "tenders": tenders}}
    )
    assert status == 201, exchange
    return exchange


def _assert_quote_is_the_exchange(quote: dict[str, Any], exchange: dict[str, Any]) -> None:
    returned, order = exchange["returned"], exchange["order"]
    assert quote["refund_fen"] == returned["refund_fen"]
    assert [(q["order_line_id"], q["qty"], q["refund_fen"]) for q in quote["return_lines"]] == [
        (line["order_line_id"], line["qty"], line["refund_fen"]) for line in returned["lines"]
    ]
    credit = [t["amount_fen"] for t in returned["tenders"] if t["kind"] == "exchange_credit"]
    assert [quote["credit_fen"]] == (credit or [0])
    assert [(t["kind"], t["amount_fen"], t["reference"]) for t in quote["refund_tenders"]] == [
        (t["kind"], t["amount_fen"], t["reference"])
        for t in returned["tenders"]
        if t["kind"] != "exchange_credit"
    ]
    assert sum(t["amount_fen"] for t in quote["refund_tenders"]) == quote["refund_back_fen"]
    assert quote["sale"]["total_fen"] == order["total_fen"]
    assert [line["total_fen"] for line in quote["sale"]["lines"]] == [
        line["total_fen"] for line in order["lines"]
    ]
    paid = sum(t["amount_fen"] for t in order["tenders"] if t["kind"] != "exchange_credit")
    assert paid == quote["due_fen"] + order["rounding_fen"]
    assert quote["net_fen"] == quote["due_fen"] - quote["refund_back_fen"]


@pytest.mark.parametrize(
    ("returned", "new_sku", "expected"),
    [
        # one of the 3 × 12.50 units (3218 // 3 = 1072) for a 9.90 item: 9.90 credit, the 0.82 left is
        # split 41/41 over card (30.00) and cash (30.50) — the odd fen goes to the card's larger remainder
        ([(0, 1)], 2, {"refund_fen": 1072, "credit_fen": 990, "due_fen": 0, "net_fen": -82}),
        # two units (3218 × 2 // 3 = 2145) for a 33.00 item: the customer pays 33.00 − 21.45 = 11.55
        ([(0, 2)], 1, {"refund_fen": 2145, "credit_fen": 2145, "due_fen": 1155, "net_fen": 1155}),
        # the whole order back (60.50) for a 33.00 item: 27.50 back to card and cash
        ([(0, 3), (1, 1)], 1, {"refund_fen": 6050, "credit_fen": 3300, "due_fen": 0, "net_fen": -2750}),
    ],
)
def test_quote_is_exactly_what_the_exchange_then_does(
    till: Till,
    manager_a: StaffProfile,
    returned: list[tuple[int, int]],
    new_sku: int,
    expected: dict[str, int],
) -> None:
    order = _discounted_order(till, manager_a)
    body = _exchange_body(till, order, returned, [(till.skus[new_sku], 1, {})])
    before = _written()
    # when the till asks for the quote (the same body as the exchange, tenders left out)
    status, quote = till.api.post("/sales/exchanges/quote", body)
    # then it says what the exchange will refund and charge, and writes nothing
    assert status == 200, quote
    assert {key: quote[key] for key in expected} == expected
    assert _written() == before
    if expected["net_fen"] == -82:
        assert [(t["kind"], t["amount_fen"]) for t in quote["refund_tenders"]] == [("card", 41), ("cash", 41)]
        assert quote["refund_tenders"][0]["card_last4"] == "8888"
    # and the exchange paid exactly as quoted does just that
    exchange = _exchange_as_quoted(till, body, quote)
    _assert_quote_is_the_exchange(quote, exchange)


def test_quote_after_an_earlier_return_gives_the_last_unit_the_remaining_fen(
    till: Till, manager_a: StaffProfile
) -> None:
    order = _discounted_order(till, manager_a)
    line_id = order["lines"][0]["id"]
    status, _ret = till.api.post(
        f"/sales/orders/{order['id']}/returns",
        {"client_return_id": str(uuid.uuid4()), "lines": [{"order_line_id": line_id, "qty": 2}]},
    )
    assert status == 201
    body = _exchange_body(till, order, [(0, 1)], [(till.skus[2], 2, {})])
    status, quote = till.api.post("/sales/exchanges/quote", body)
    assert status == 200, quote
    assert quote["return_lines"][0]["refund_fen"] == 3218 - 2145
    assert (quote["due_fen"], quote["cash_due_fen"]) == (1980 - 1073, 1980 - 1073)
    _assert_quote_is_the_exchange(quote, _exchange_as_quoted(till, body, quote))


def test_quote_rounds_the_cash_due_where_the_store_rounds_cash(till: Till, manager_a: StaffProfile) -> None:
    store = till.chain.store_a
    store.cash_rounding_to_jiao = True
    store.save(update_fields=["cash_rounding_to_jiao"])
    order = _discounted_order(till, manager_a)
    body = _exchange_body(till, order, [(0, 2)], [(till.skus[1], 1, {})])
    status, quote = till.api.post("/sales/exchanges/quote", body)
    assert status == 200, quote
    assert (quote["due_fen"], quote["cash_due_fen"]) == (1155, 1160)
    exchange = _exchange_as_quoted(till, body, quote)
    assert exchange["order"]["rounding_fen"] == 5
    _assert_quote_is_the_exchange(quote, exchange)


def test_quote_refuses_what_the_exchange_refuses_with_the_same_error(
    till: Till,
    manager_a: StaffProfile,
    make_staff: Callable[..., StaffProfile],
    api_as: Callable[..., ApiClient],
) -> None:
    order = _discounted_order(till, manager_a)
    english = api_as(till.cashier, till.chain.register_a, language="en")
    chinese = api_as(till.cashier, till.chain.register_a, language="zh-hans")
    too_many = _exchange_body(till, order, [(1, 2)], [(till.skus[2], 1, {})])
    for api in (english, chinese):
        status, quoted = api.post("/sales/exchanges/quote", too_many)
        status_x, exchanged = api.post("/sales/exchanges", too_many)
        assert (status, status_x) == (409, 409)
        assert quoted["error"]["code"] == exchanged["error"]["code"] == "return_exceeds_sold"
        assert quoted["error"]["message"] == exchanged["error"]["message"]
    assert (
        "More items would be returned"
        in english.post("/sales/exchanges/quote", too_many)[1]["error"]["message"]
    )
    assert "退" in chinese.post("/sales/exchanges/quote", too_many)[1]["error"]["message"]
    # staff of another store do not see the order; staff without the right to refund may not ask
    cashier_b = make_staff(["cashier"], [till.chain.store_b])
    body = _exchange_body(till, order, [(0, 1)], [(till.skus[2], 1, {})])
    status, error = api_as(cashier_b, till.chain.register_b).post(
        "/sales/exchanges/quote", {**body, "register_id": till.chain.register_b.pk}
    )
    assert (status, error["error"]["code"]) == (404, "order_not_found")
    clerk = make_staff(["stock_clerk"], [till.chain.store_a])
    status, error = api_as(clerk, till.chain.register_a).post("/sales/exchanges/quote", body)
    assert (status, error["error"]["code"]) == (403, "permission_denied")
    # without an open shift the exchange could not run, so neither does its quote
    Shift.objects.filter(pk=till.shift.pk).update(closed_at="2026-01-01T00:00:00Z")
    status, error = till.api.post("/sales/exchanges/quote", body)
    assert (status, error["error"]["code"]) == (409, "shift_not_open")


def test_exchange_price_override_needs_a_manager_pin_as_at_checkout(
    till: Till, manager_a: StaffProfile
) -> None:
    order = _discounted_order(till, manager_a)
    # the new 33.00 item sold at 30.00 by the manager, with a 1.00 manual discount on top
    body = _exchange_body(till, order, [(0, 1)], [(till.skus[1], 1, {"price_override_fen": 3000})])
    body["sale"].update({"manual_discount_fen": 100, "reason": "展示样品"})
    before = _written()
    for path in ("/sales/exchanges/quote", "/sales/exchanges"):
        # without a manager, or with a wrong PIN, both refuse with checkout's errors and write nothing
        status, error = till.api.post(path, body)
        assert (status, error["error"]["code"]) == (403, "authorization_required"), error
        wrong = {
            **body,
            "sale": {**body["sale"], "authorizer": {"employee_no": manager_a.employee_no, "pin": "0000"}},
        }
        status, error = till.api.post(path, wrong)
        assert (status, error["error"]["code"]) == (403, "authorization_failed"), error
        # a cashier cannot authorize herself
        own = {
            **body,
            "sale": {**body["sale"], "authorizer": {"employee_no": till.cashier.employee_no, "pin": "2468"}},
        }
        status, error = till.api.post(path, own)
        assert (status, error["error"]["code"]) == (403, "authorization_failed"), error
        no_reason = {
            **body,
            "sale": {
                **body["sale"],
                "reason": " ",
                "authorizer": {"employee_no": manager_a.employee_no, "pin": "1357"},
            },
        }
        status, error = till.api.post(path, no_reason)
        assert (status, error["error"]["code"]) == (400, "reason_required"), error
    assert _written() == before
    # with the manager's PIN the quote prices the override and the exchange does as quoted
    body["sale"]["authorizer"] = {"employee_no": manager_a.employee_no, "pin": "1357"}
    status, quote = till.api.post("/sales/exchanges/quote", body)
    assert status == 200, quote
    assert quote["sale"]["total_fen"] == 2900
    assert (quote["refund_fen"], quote["due_fen"]) == (1072, 2900 - 1072)
    exchange = _exchange_as_quoted(till, body, quote)
    _assert_quote_is_the_exchange(quote, exchange)
    new_order = Order.objects.get(pk=exchange["order"]["id"])
    assert (new_order.authorizer_id, new_order.override_reason) == (manager_a.user_id, "展示样品")
    logged = ExceptionLog.objects.get(order_id=new_order.pk)
    assert (logged.kind, logged.details["authorized_by"]) == ("manual_discount", manager_a.user_id)
    assert logged.details["overrides"] == [
        {"sku_id": till.skus[1].pk, "list_price_fen": 3300, "price_override_fen": 3000}
    ]
    assert AuditEntry.objects.filter(action="order.price_override", object_id=str(new_order.pk)).count() == 1


def test_quote_keeps_spent_points_out_of_the_refund_like_the_exchange(till: Till) -> None:
    s1, _s2, s3 = till.skus
    member = member_services.member_register(phone="13800001111")
    # 8 × 12.50 earns 100 points; the member spends them all on a second order
    status, order = till.api.post(
        "/sales/orders",
        order_body(
            till.chain.register_a.pk, [(s1, 8)], [{"kind": "cash", "amount_fen": 10000}], member_id=member.pk
        ),
    )
    assert status == 201, order
    status, second = till.api.post(
        "/sales/orders",
        order_body(
            till.chain.register_a.pk,
            [(s1, 1)],
            [{"kind": "points", "amount_fen": 100}, {"kind": "cash", "amount_fen": 1150}],
            member_id=member.pk,
            member_code=member_services.member_code_issue(member=member),
        ),
    )
    assert status == 201, second
    balance = PointsAccount.objects.get(member=member).balance
    assert balance < 100
    body = _exchange_body(till, order, [(0, 8)], [(s3, 1, {})])
    status, quote = till.api.post("/sales/exchanges/quote", body)
    assert status == 200, quote
    assert 0 < 10000 - quote["refund_fen"] <= 100
    assert PointsAccount.objects.get(member=member).balance == balance
    exchange = _exchange_as_quoted(till, body, quote)
    _assert_quote_is_the_exchange(quote, exchange)
