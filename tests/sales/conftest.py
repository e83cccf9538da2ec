"""Sales fixtures: a till of store A with an open shift, priced SKUs in stock, and an API client on it;
a shop of three barcoded products and a cash sale of them for the receipt tests."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from mendian.catalog.models import SKU, Product
from mendian.catalog.services import product_create_with_variants
from mendian.inventory.models import StockLevel
from mendian.inventory.services import StockChange, stock_apply
from mendian.sales import services as sales_services
from mendian.sales.models import Order, Return, Shift
from mendian.sales.selectors import LineInput
from mendian.stores.models import Register, StaffProfile, Store
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


def barcoded_sku(
    store: Store, code: str, name: str, price_fen: int, barcode: str, stock_qty: int = 50
) -> SKU:
    product = product_create_with_variants(
        code=code, name=name, retail_price_fen=price_fen, barcodes=[barcode]
    )
    sku = product.skus.get()
    stock_apply(store=store, changes=[StockChange(sku.pk, stock_qty)], reason="receipt", source_type="test")
    return sku


def sell(
    cashier: StaffProfile,
    register: Register,
    cart: list[tuple[SKU, int]],
    tenders: list[sales_services.TenderInput],
) -> Order:
    result = sales_services.order_checkout(
        user=cashier.user,
        register=register,
        client_order_id=str(uuid.uuid4()),
        lines=[LineInput(sku_id=sku.pk, qty=qty) for sku, qty in cart],
        tenders=tenders,
    )
    return (
        Order.objects.select_related("store", "register", "cashier__staff")
        .prefetch_related("lines", "tenders")
        .get(pk=result.order.pk)
    )


def return_one(cashier: StaffProfile, order: Order, register: Register, name: str, reason: str) -> Return:
    """One unit of the order's line named `name` comes back (a refund slip to render or print)."""
    line = order.lines.get(name=name)
    ret, _created = sales_services.order_return(
        user=cashier.user,
        order=order,
        register=register,
        client_return_id=str(uuid.uuid4()),
        lines=[sales_services.ReturnLineInput(order_line_id=line.pk, qty=1)],
        reason=reason,
    )
    return ret


@pytest.fixture
def shop(chain: Any, cashier_a: StaffProfile) -> dict[str, Any]:
    """Store A with an open shift and three products in stock: 可口可乐 3.00, 奥利奥饼干 8.50, 农夫山泉 2.00."""
    sales_services.shift_open(user=cashier_a.user, register=chain.register_a, float_fen=50000)
    return {
        "cola": barcoded_sku(chain.store_a, "P001", "可口可乐 500ml", 300, "6901234567892"),
        "oreo": barcoded_sku(chain.store_a, "P002", "奥利奥饼干", 850, "6902345678903"),
        "water": barcoded_sku(chain.store_a, "P003", "农夫山泉", 200, "6903456789014"),
    }


@pytest.fixture
def cash_order(shop: dict[str, Any], chain: Any, cashier_a: StaffProfile) -> Order:
    """2 × 可口可乐 500ml (3.00) and 1 × 农夫山泉 (2.00): 8.00 paid with 10 yuan cash."""
    return sell(
        cashier_a,
        chain.register_a,
        [(shop["cola"], 2), (shop["water"], 1)],
        [sales_services.TenderInput(kind="cash", amount_fen=800, tendered_fen=1000)],
    )


@pytest.fixture
def card_order(shop: dict[str, Any], chain: Any, cashier_a: StaffProfile) -> Order:
    """3 × 农夫山泉 (2.00): 6.00 paid by bank card on the external terminal (card ****4321)."""
    return sell(
        cashier_a,
        chain.register_a,
        [(shop["water"], 3)],
        [sales_services.TenderInput(kind="card", amount_fen=600, card_last4="4321", approval_code="A1B2C3")],
    )


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
