"""A repeated client_return_id: the same return answers with the first one; a different one is refused with
409 and writes nothing; concurrent repeats all get the one return (and the one exchange order)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from mendian.inventory.models import StockMove
from mendian.sales.models import CashDrawerEntry, Order, Return, Shift
from mendian.stores.models import StaffProfile
from tests.conftest import ApiClient
from tests.sales.conftest import Till, on_hand, order_body


def cash_order(till: Till, lines: list[tuple[Any, int]]) -> dict[str, Any]:
    total = sum(sku.retail_price_fen * qty for sku, qty in lines)
    status, order = till.api.post(
        "/sales/orders", order_body(till.chain.register_a.pk, lines, [{"kind": "cash", "amount_fen": total}])
    )
    assert status == 201, order
    return order


def return_body(client_return_id: str, order: dict[str, Any], qty: int, line: int = 0) -> dict[str, Any]:
    return {
        "client_return_id": client_return_id,
        "lines": [{"order_line_id": order["lines"][line]["id"], "qty": qty}],
    }


def writes() -> tuple[int, int, int]:
    return Return.objects.count(), StockMove.objects.count(), CashDrawerEntry.objects.count()


@pytest.mark.django_db
def test_a_return_id_reused_for_another_order_or_other_lines_is_refused(till: Till) -> None:
    s1, s2, _s3 = till.skus
    first = cash_order(till, [(s1, 2), (s2, 1)])
    second = cash_order(till, [(s1, 1)])
    client_return_id = str(uuid.uuid4())
    status, ret = till.api.post(
        f"/sales/orders/{first['id']}/returns", return_body(client_return_id, first, 1)
    )
    assert status == 201, ret
    before = writes()
    # when the same id comes with another order, another quantity or another line
    for order, body in (
        (second, return_body(client_return_id, second, 1)),
        (first, return_body(client_return_id, first, 2)),
        (first, return_body(client_return_id, first, 1, line=1)),
    ):
        status, error = till.api.post(f"/sales/orders/{order['id']}/returns", body)
        # then it is refused, and nothing is written
        assert (status, error["error"]["code"]) == (409, "idempotency_key_reused"), body
    assert writes() == before
    assert Order.objects.get(pk=second["id"]).refunded_fen == 0
    # while the same return again answers with the first
    status, again = till.api.post(
        f"/sales/orders/{first['id']}/returns", return_body(client_return_id, first, 1)
    )
    assert (status, again["id"]) == (200, ret["id"])


@pytest.mark.django_db
def test_an_unreceipted_return_id_reused_for_other_goods_is_refused(
    till: Till, manager_a: StaffProfile, api_as: Callable[..., ApiClient]
) -> None:
    s1, s2, _s3 = till.skus
    manager = api_as(manager_a, till.chain.register_a)
    body = {
        "client_return_id": str(uuid.uuid4()),
        "register_id": till.chain.register_a.pk,
        "lines": [{"sku_id": s1.pk, "qty": 1}],
        "reason": "无小票",
    }
    status, ret = manager.post("/sales/returns/unreceipted", body)
    assert status == 201, ret
    order = cash_order(till, [(s1, 1)])
    before = writes()
    status, error = manager.post(
        "/sales/returns/unreceipted", {**body, "lines": [{"sku_id": s2.pk, "qty": 1}]}
    )
    assert (status, error["error"]["code"]) == (409, "idempotency_key_reused")
    assert writes() == before
    assert on_hand(till.chain.store_a, s2) == 100
    # and a return against a receipt cannot reuse the id of one without
    status, error = till.api.post(
        f"/sales/orders/{order['id']}/returns", return_body(body["client_return_id"], order, 1)
    )
    assert (status, error["error"]["code"]) == (409, "idempotency_key_reused")
    assert writes() == before
    status, again = manager.post("/sales/returns/unreceipted", body)
    assert (status, again["id"]) == (200, ret["id"])


@pytest.mark.django_db
def test_an_exchange_id_reused_for_other_returned_lines_is_refused(till: Till) -> None:
    s1, s2, _s3 = till.skus
    order = cash_order(till, [(s1, 2)])
    body = {
        "client_return_id": str(uuid.uuid4()),
        "order_id": order["id"],
        "register_id": till.chain.register_a.pk,
        "return_lines": [{"order_line_id": order["lines"][0]["id"], "qty": 1}],
        "sale": {
            "client_order_id": str(uuid.uuid4()),
            "lines": [{"sku_id": s2.pk, "qty": 1}],
            "tenders": [{"kind": "cash", "amount_fen": 3300 - 1250}],
        },
    }
    status, exchange = till.api.post("/sales/exchanges", body)
    assert status == 201, exchange
    before = writes(), Order.objects.count()
    changed = {**body, "return_lines": [{"order_line_id": order["lines"][0]["id"], "qty": 2}]}
    status, error = till.api.post("/sales/exchanges", changed)
    assert (status, error["error"]["code"]) == (409, "idempotency_key_reused")
    assert (writes(), Order.objects.count()) == before
    status, again = till.api.post("/sales/exchanges", body)
    assert (status, again["returned"]["id"], again["order"]["id"]) == (
        200,
        exchange["returned"]["id"],
        exchange["order"]["id"],
    )


def _post_concurrently(count: int, token: str, path: str, body: dict[str, Any]) -> list[tuple[int, Any]]:
    """`count` tills post the same body at the same moment, each with its own client."""
    barrier = threading.Barrier(count)
    results: list[tuple[int, Any]] = [(0, None)] * count

    def worker(index: int) -> None:
        api = ApiClient(token, client=Client(raise_request_exception=False))
        try:
            barrier.wait()
            results[index] = api.post(path, body)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_eight_concurrent_identical_returns_make_one_return(till: Till) -> None:
    # given an order of 2 × 12.50 and one return of both units posted by 8 retries at once
    s1 = till.skus[0]
    order = cash_order(till, [(s1, 2)])
    body = return_body(str(uuid.uuid4()), order, 2)
    # when
    results = _post_concurrently(8, till.api.token or "", f"/sales/orders/{order['id']}/returns", body)
    # then one return exists, everyone got it, and it was booked once
    assert sorted(status for status, _ in results) == [200] * 7 + [201], results
    assert len({ret["id"] for _, ret in results}) == 1
    assert Return.objects.count() == 1
    assert on_hand(till.chain.store_a, s1) == 100
    assert Order.objects.get(pk=order["id"]).refunded_fen == 2500
    assert Shift.objects.get(pk=till.shift.pk).cash_balance_fen == 20000


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_eight_concurrent_identical_exchanges_make_one_return_and_one_order(till: Till) -> None:
    # given a sale of 2 × 12.50, exchanged for one 33.00 item by 8 retries at once
    s1, s2, _s3 = till.skus
    order = cash_order(till, [(s1, 2)])
    body = {
        "client_return_id": str(uuid.uuid4()),
        "order_id": order["id"],
        "register_id": till.chain.register_a.pk,
        "return_lines": [{"order_line_id": order["lines"][0]["id"], "qty": 2}],
        "reason": "换款",
        "sale": {
            "client_order_id": str(uuid.uuid4()),
            "lines": [{"sku_id": s2.pk, "qty": 1}],
            "tenders": [{"kind": "cash", "amount_fen": 800}],
        },
    }
    # when
    results = _post_concurrently(8, till.api.token or "", "/sales/exchanges", body)
    # then one return and one new order, and every answer names them
    assert sorted(status for status, _ in results) == [200] * 7 + [201], results
    assert {(answer["returned"]["id"], answer["order"]["id"]) for _, answer in results} == {
        (Return.objects.get().pk, Order.objects.exclude(pk=order["id"]).get().pk)
    }
    assert Order.objects.count() == 2
    assert (on_hand(till.chain.store_a, s1), on_hand(till.chain.store_a, s2)) == (100, 99)
    assert Shift.objects.get(pk=till.shift.pk).cash_balance_fen == 20000 + 2500 + 800
