"""Order list and detail: filters, store scope, and no N+1 queries."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.sales.conftest import Till, order_body


def _sell(till: Till, count: int) -> list[dict[str, Any]]:
    orders = []
    for _ in range(count):
        status, order = till.api.post(
            "/sales/orders",
            order_body(
                till.chain.register_a.pk,
                [(till.skus[0], 1), (till.skus[1], 1)],
                [
                    {"kind": "card", "amount_fen": 1000, "card_last4": "1234"},
                    {"kind": "cash", "amount_fen": 5000},
                ],
            ),
        )
        assert status == 201, order
        orders.append(order)
    return orders


def test_list_runs_the_same_queries_for_one_or_many_orders(till: Till) -> None:
    _sell(till, 1)
    with CaptureQueriesContext(connection) as one:
        status, listed = till.api.get("/sales/orders", store_id=till.chain.store_a.pk)
    assert (status, len(listed)) == (200, 1)
    _sell(till, 4)
    with CaptureQueriesContext(connection) as five:
        status, listed = till.api.get("/sales/orders", store_id=till.chain.store_a.pk)
    assert (status, len(listed)) == (200, 5)
    assert len(five.captured_queries) == len(one.captured_queries)
    assert [len(order["lines"]) for order in listed] == [2] * 5
    assert [len(order["tenders"]) for order in listed] == [2] * 5


def test_filters_and_detail(till: Till) -> None:
    orders = _sell(till, 2)
    business_date = orders[0]["business_date"]
    status, listed = till.api.get(
        "/sales/orders", date_from=business_date, date_to=business_date, status="completed"
    )
    assert [order["id"] for order in listed] == [orders[1]["id"], orders[0]["id"]]
    status, listed = till.api.get("/sales/orders", status="refunded")
    assert listed == []
    status, detail = till.api.get(f"/sales/orders/{orders[0]['id']}")
    assert status == 200
    assert detail == orders[0]
