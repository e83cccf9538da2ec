"""Concurrent identical checkouts: the unique client_order_id decides; every caller gets the one order."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from mendian.inventory.models import StockMove
from mendian.sales.models import CashDrawerEntry, Order, Shift
from mendian.stores.models import StaffProfile
from tests.conftest import ApiClient
from tests.sales.conftest import Till, on_hand, order_body


def _run_concurrently(count: int, call: Callable[[], Any]) -> list[Any]:
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def worker(index: int) -> None:
        try:
            barrier.wait()
            results[index] = call()
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_five_identical_posts_make_one_order(
    till: Till, cashier_a: StaffProfile, api_as: Callable[..., ApiClient]
) -> None:
    # given one body, posted by five tills' retries at once
    s1, s2, _s3 = till.skus
    body = order_body(till.chain.register_a.pk, [(s1, 2), (s2, 1)], [{"kind": "cash", "amount_fen": 6000}])
    token = till.api.token

    def post() -> tuple[int, Any]:
        return ApiClient(token).post("/sales/orders", body)

    # when
    results = _run_concurrently(5, post)
    # then exactly one order exists, everyone got it, and it was booked once
    statuses = sorted(status for status, _ in results)
    assert statuses == [200, 200, 200, 200, 201], results
    assert len({order["id"] for _, order in results}) == 1
    assert Order.objects.count() == 1
    assert on_hand(till.chain.store_a, s1) == 98
    assert StockMove.objects.filter(source_type="sales.order").count() == 2
    assert CashDrawerEntry.objects.filter(kind="sale_cash_in").count() == 1
    shift = Shift.objects.get(pk=till.shift.pk)
    assert (shift.order_count, shift.sales_fen) == (1, 5800)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_different_orders_number_uniquely(till: Till) -> None:
    token = till.api.token
    s1 = till.skus[0]

    def post() -> tuple[int, Any]:
        body = order_body(till.chain.register_a.pk, [(s1, 1)], [{"kind": "cash", "amount_fen": 1250}])
        return ApiClient(token).post("/sales/orders", body)

    results = _run_concurrently(6, post)
    assert [status for status, _ in results] == [201] * 6, results
    numbers = sorted(order["number"] for _, order in results)
    assert [number[-4:] for number in numbers] == ["0001", "0002", "0003", "0004", "0005", "0006"]
    assert on_hand(till.chain.store_a, s1) == 94
    assert Shift.objects.get(pk=till.shift.pk).cash_balance_fen == 20000 + 6 * 1250
