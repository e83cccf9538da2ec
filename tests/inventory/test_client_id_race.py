"""Eight retries of one creating request at once, with one client_id: one document, and every caller gets it.

The unique constraint on client_id decides the race; the losers must answer with the winner's document
(or 409 when their request differs from the winner's), never with a 500."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest
from django.db import connection

from mendian.inventory.models import StockAdjustment, Stocktake, Transfer
from tests.conftest import ApiClient

WORKERS = 8


def _post_concurrently(token: str, path: str, bodies: list[dict[str, Any]]) -> tuple[list[Any], list[str]]:
    """Post bodies[i] from thread i, all released at once; returns (status, body) per thread and errors."""
    barrier = threading.Barrier(len(bodies))
    results: list[Any] = [None] * len(bodies)
    errors: list[str] = []
    lock = threading.Lock()

    def worker(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = ApiClient(token).post(path, bodies[index])
        except Exception as exc:  # noqa: BLE001 - a 500 raises in the test client; the test must show it
            with lock:
                errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results, errors


def _adjustment(chain: Any, sku_id: int, client_id: str, variant: int) -> dict[str, Any]:
    return {
        "store_id": chain.store_a.pk,
        "reason": ["damage", "sample"][variant],
        "client_id": client_id,
        "lines": [{"sku_id": sku_id, "qty": -1}],
    }


def _transfer(chain: Any, sku_id: int, client_id: str, variant: int) -> dict[str, Any]:
    stores = [chain.store_a.pk, chain.store_b.pk]
    return {
        "from_store_id": stores[variant],
        "to_store_id": stores[1 - variant],
        "client_id": client_id,
        "lines": [{"sku_id": sku_id, "qty": 1}],
    }


def _stocktake(chain: Any, sku_id: int, client_id: str, variant: int) -> dict[str, Any]:
    return {"store_id": [chain.store_a.pk, chain.store_b.pk][variant], "client_id": client_id}


KINDS = {
    "adjustment": ("/inventory/adjustments", StockAdjustment, _adjustment),
    "transfer": ("/inventory/transfers", Transfer, _transfer),
    "stocktake": ("/inventory/stocktakes", Stocktake, _stocktake),
}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_eight_identical_creates_make_one_document_that_every_caller_gets(
    kind, chain, make_sku, receive, hq_admin, token_for
):
    # Given one body with one client_id, posted by eight retries at once
    path, model, body_for = KINDS[kind]
    sku = make_sku()
    receive(chain.store_a, sku, 20)
    body = body_for(chain, sku.pk, str(uuid.uuid4()), 0)
    # When
    results, errors = _post_concurrently(token_for(hq_admin), path, [body] * WORKERS)
    # Then nobody failed, everybody got 201 with the same document, and there is exactly one
    assert errors == []
    assert [status for status, _document in results] == [201] * WORKERS, results
    assert model.objects.count() == 1
    assert {document["id"] for _status, document in results} == {model.objects.get().pk}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_racing_create_that_reuses_the_client_id_for_another_document_gets_409(
    kind, chain, make_sku, receive, hq_admin, token_for
):
    # Given one client_id sent with two different bodies (four threads each), all at once
    path, model, body_for = KINDS[kind]
    sku = make_sku()
    receive(chain.store_a, sku, 20)
    receive(chain.store_b, sku, 20)
    client_id = str(uuid.uuid4())
    bodies = [body_for(chain, sku.pk, client_id, index % 2) for index in range(WORKERS)]
    # When
    results, errors = _post_concurrently(token_for(hq_admin), path, bodies)
    # Then one document exists; the senders of its body got it, the senders of the other body got 409
    assert errors == []
    assert model.objects.count() == 1
    winner = model.objects.get().pk
    winning_bodies = {index % 2 for index, (status, _document) in enumerate(results) if status == 201}
    assert len(winning_bodies) == 1
    winning = winning_bodies.pop()
    expected = [
        (201, winner) if index % 2 == winning else (409, "client_id_reused") for index in range(WORKERS)
    ]
    assert [
        (status, document["id"] if status == 201 else document["error"]["code"])
        for status, document in results
    ] == expected
