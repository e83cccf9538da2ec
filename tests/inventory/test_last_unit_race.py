"""Two (here eight) tills selling the last unit at once: exactly one gets it when negative stock is off."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from mendian.inventory.errors import StockInsufficient
from mendian.inventory.models import StockLevel, StockMove
from mendian.inventory.services import StockChange, stock_apply

SELLERS = 8


def race_for_the_last_unit(store, sku) -> tuple[list[str], list[str]]:
    barrier = threading.Barrier(SELLERS)
    outcomes: list[str] = []
    errors: list[str] = []
    lock = threading.Lock()

    def sell(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            stock_apply(
                store=store,
                changes=[StockChange(sku.pk, -1)],
                reason="sale",
                source_type="order",
                source_id=str(index),
            )
            result = "sold"
        except StockInsufficient:
            result = "refused"
        except Exception as exc:  # noqa: BLE001 - any other failure is what the test must show
            result = "error"
            with lock:
                errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=sell, args=(index,)) for index in range(SELLERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes, errors


def assert_exactly_one_sold(store, sku, outcomes, errors) -> None:
    assert errors == []
    assert sorted(outcomes) == ["refused"] * (SELLERS - 1) + ["sold"]
    assert StockLevel.objects.get(store=store, sku=sku).on_hand_qty == 0
    assert StockMove.objects.filter(store=store, sku=sku, reason="sale").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_eight_tills_on_postgresql_sell_the_last_unit_once(chain, make_sku, receive):
    sku = make_sku()
    receive(chain.store_a, sku, 1)
    outcomes, errors = race_for_the_last_unit(chain.store_a, sku)
    assert_exactly_one_sold(chain.store_a, sku, outcomes, errors)


@pytest.mark.django_db(transaction=True)
def test_eight_tills_sell_the_last_unit_once_on_either_database(chain, make_sku, receive):
    # On SQLite the IMMEDIATE transaction mode takes the write lock at BEGIN, so sellers queue.
    sku = make_sku()
    receive(chain.store_a, sku, 1)
    outcomes, errors = race_for_the_last_unit(chain.store_a, sku)
    assert_exactly_one_sold(chain.store_a, sku, outcomes, errors)


@pytest.mark.django_db(transaction=True)
def test_when_negative_stock_is_allowed_all_eight_sell(chain, make_sku, receive):
    sku = make_sku(allow_negative_stock=True)
    receive(chain.store_a, sku, 1)
    outcomes, errors = race_for_the_last_unit(chain.store_a, sku)
    assert errors == [] and outcomes == ["sold"] * SELLERS
    assert StockLevel.objects.get(store=chain.store_a, sku=sku).on_hand_qty == 1 - SELLERS
