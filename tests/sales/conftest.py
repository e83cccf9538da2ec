"""Sales fixtures: a till of store A with an open shift, priced SKUs in stock, and an API client on it."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from mendian.catalog.models import SKU, Product
from mendian.inventory.models import StockLevel
from mendian.inventory.services import StockChange, stock_apply
from mendian.sales import services as sales_services
from mendian.sales.models import Shift
from mendian.stores.models import StaffProfile
from tests.conftest import ApiClient, Chain


@dataclass
class Till:
    chain: Chain
    cashier: StaffProfile
    api: ApiClient
    shift: Shift
    skus: list[SKU]


def make_sku(
    code: str, price_fen: int, *, stock: int | None = 100, store: Any = None, **product_fields: Any
) -> SKU:
    product = Product.objects.create(code=f"P-{code}", name=f"商品{code}", **product_fields)
    sku = SKU.objects.create(product=product, code=code, retail_price_fen=price_fen)
    if stock and store is not None:
        stock_apply(store=store, changes=[StockChange(sku_id=sku.pk, qty=stock)], reason="opening")
    return sku


def on_hand(store: Any, sku: SKU) -> int:
    level = StockLevel.objects.filter(store=store, sku=sku).first()
    return level.on_hand_qty if level else 0


def order_body(
    register_id: int, lines: list[tuple[SKU, int]], tenders: list[dict[str, Any]], **extra: Any
) -> dict[str, Any]:
    return {
        "client_order_id": str(uuid.uuid4()),
        "register_id": register_id,
        "lines": [{"sku_id": sku.pk, "qty": qty} for sku, qty in lines],
        "tenders": tenders,
        **extra,
    }


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    """Argon2 is slow on purpose; these tests hash many PINs and are not about hashing."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def skus(chain: Chain) -> list[SKU]:
    return [
        make_sku("S1", 1250, store=chain.store_a),
        make_sku("S2", 3300, store=chain.store_a),
        make_sku("S3", 990, store=chain.store_a),
    ]


@pytest.fixture
def till(chain: Chain, cashier_a: StaffProfile, skus: list[SKU], api_as: Callable[..., ApiClient]) -> Till:
    shift = sales_services.shift_open(user=cashier_a.user, register=chain.register_a, float_fen=20000)
    return Till(
        chain=chain, cashier=cashier_a, api=api_as(cashier_a, chain.register_a), shift=shift, skus=skus
    )
