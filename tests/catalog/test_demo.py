"""The demo catalogue: realistic, stocked in both demo stores, and idempotent."""

from __future__ import annotations

from mendian.catalog.barcodes import barcode_kind
from mendian.catalog.demo import demo_catalog
from mendian.catalog.models import SKU, Barcode, Product
from mendian.catalog.selectors import till_lookup, till_search
from mendian.demo import demo_stores
from mendian.inventory.models import StockLevel, StockMove


def test_demo_catalogue_is_stocked_in_both_stores_and_a_second_run_adds_nothing(db: None) -> None:
    demo_stores()
    first = demo_catalog()
    assert first["products_created"] == 42 and first["stores_stocked"] == 2
    counts = (
        Product.objects.count(),
        SKU.objects.count(),
        Barcode.objects.count(),
        StockMove.objects.count(),
    )
    assert SKU.objects.filter(product__code="C1001").count() == 20
    assert Product.objects.filter(kind="service").count() == 5
    assert all(barcode_kind(code) == "EAN13" for code in Barcode.objects.values_list("code", flat=True))
    goods_skus = SKU.objects.filter(product__kind="goods").count()
    assert StockLevel.objects.filter(on_hand_qty__gt=0).count() == 2 * goods_skus
    assert not StockLevel.objects.filter(sku__product__kind="service").exists()
    # the till finds things the way a cashier would look for them
    assert [item["code"] for item in till_search(q="kkkl", store_id=None)] == ["G0001"]
    assert (
        till_lookup(code=Barcode.objects.get(sku__code="G0004").code, store_id=None)
        .item["name"]
        .startswith("农夫山泉")
    )
    again = demo_catalog()
    assert again == {"products_created": 0, "stores_stocked": 0}
    assert counts == (
        Product.objects.count(),
        SKU.objects.count(),
        Barcode.objects.count(),
        StockMove.objects.count(),
    )
