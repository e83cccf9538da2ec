"""The till cursor under concurrent catalog writes: distinct change_seq values, no deadlock, nothing lost."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from mendian.catalog import selectors, services
from mendian.catalog.models import SKU, CatalogCounter


@pytest.mark.django_db(transaction=True)
def test_concurrent_price_changes_get_distinct_cursors_and_all_reach_the_feed() -> None:
    product = services.product_create_with_variants(
        code="TEE",
        name="T恤",
        retail_price_fen=5900,
        attributes={"尺码": ["S", "M", "L", "XL", "XXL", "3XL"]},
    )
    skus = list(product.skus.order_by("pk"))
    cursor = selectors.catalog_changes(since=0, store_id=None).next_cursor
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(skus) + 1)

    def change_price(sku: SKU, price: int) -> None:
        try:
            barrier.wait()
            services.sku_price_set(sku=sku, retail_price_fen=price)
        except BaseException as error:  # noqa: BLE001 - reported to the main thread
            errors.append(error)
        finally:
            connection.close()

    def rename() -> None:
        try:
            barrier.wait()
            services.product_update(product=product, name="纯棉T恤")
        except BaseException as error:  # noqa: BLE001 - reported to the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=change_price, args=(sku, 6000 + index)) for index, sku in enumerate(skus)
    ]
    threads.append(threading.Thread(target=rename))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    seqs = list(SKU.objects.order_by("pk").values_list("change_seq", flat=True))
    assert len(set(seqs)) == len(seqs) and min(seqs) > cursor
    assert max(seqs) <= CatalogCounter.objects.get(name="change_seq").value
    page = selectors.catalog_changes(since=cursor, store_id=None)
    assert sorted((item["code"], item["retail_price_fen"], item["name"]) for item in page.items) == [
        (sku.code, 6000 + index, "纯棉T恤") for index, sku in enumerate(skus)
    ]
