"""Catalog fixtures: products built through the real services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from mendian.catalog import services
from mendian.catalog.barcodes import gs1_check_digit
from mendian.catalog.models import Product


def ean13(body12: str) -> str:
    return body12 + gs1_check_digit(body12)


@pytest.fixture
def make_product(db: None) -> Callable[..., Product]:
    counter = {"n": 0}

    def make(name: str = "可口可乐 330ml", *, retail_price_fen: int = 350, **fields: Any) -> Product:
        counter["n"] += 1
        fields.setdefault("code", f"P{counter['n']:04d}")
        return services.product_create_with_variants(name=name, retail_price_fen=retail_price_fen, **fields)

    return make
