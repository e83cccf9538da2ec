"""Small factories for inventory tests: SKUs straight through the ORM (the catalog is built in parallel)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from mendian.catalog.models import SKU, Category, Product
from mendian.inventory.services import StockChange, stock_apply
from mendian.stores.models import Store


@pytest.fixture
def make_sku(db: None) -> Callable[..., SKU]:
    counter = {"n": 0}

    def make(
        name: str = "可乐",
        *,
        category: Category | None = None,
        cost_price_fen: int = 200,
        retail_price_fen: int = 300,
        **product_fields: Any,
    ) -> SKU:
        counter["n"] += 1
        number = counter["n"]
        product = Product.objects.create(
            code=f"P{number:05d}", name=name, category=category, **product_fields
        )
        return SKU.objects.create(
            product=product,
            code=f"S{number:05d}",
            retail_price_fen=retail_price_fen,
            cost_price_fen=cost_price_fen,
        )

    return make


@pytest.fixture
def receive() -> Callable[..., None]:
    """Put stock into a store as a goods receipt."""

    def put(store: Store, sku: SKU, qty: int, **change: Any) -> None:
        stock_apply(
            store=store, changes=[StockChange(sku.pk, qty, **change)], reason="receipt", source_type="test"
        )

    return put
