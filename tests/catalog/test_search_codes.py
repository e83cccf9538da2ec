"""A cashier types an item's code (货号) into the till's search: the product code and every SKU code
find it by prefix, as names and pinyin do."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from django.apps import apps

from mendian.catalog import selectors, services
from mendian.catalog.models import SKU, Product, SearchKey


def found(q: str) -> list[str]:
    return sorted(item["code"] for item in selectors.till_search(q=q, store_id=None))


def test_product_and_sku_codes_find_their_items_by_prefix(make_product: Callable[..., Product]) -> None:
    make_product("可口可乐 330ml", code="P001")
    make_product("百事可乐 600ml", code="P002")
    tee = make_product("纯棉T恤", code="TS100", attributes={"颜色": ["白", "黑"]})
    make_product("农夫山泉", code="P003", is_active=False)

    assert found("P00") == ["P001", "P002"]  # the inactive P003 stays hidden
    assert found("p001") == ["P001"]  # case does not matter
    assert found(" P 002 ") == ["P002"]  # nor spaces
    tee_codes = sorted(SKU.objects.filter(product=tee).values_list("code", flat=True))
    assert len(tee_codes) == 2
    assert found("TS10") == tee_codes  # the product's code: every variant
    assert found(tee_codes[1].lower()) == [tee_codes[1]]  # a whole SKU code: that SKU only

    # a SKU added later with a code of its own is found by it
    added = services.sku_add(product=tee, attributes={"颜色": "红"}, retail_price_fen=5900, code="RED-TEE")
    assert found("red-tee") == [added.code]
    assert found("red") == sorted([*tee_codes, added.code])  # a prefix of it: the product
    # and the name still finds the product after the keys were rewritten
    assert len(found("chunmian")) == 3


def test_the_migration_gives_products_saved_before_it_their_code_keys(
    make_product: Callable[..., Product],
) -> None:
    cola = make_product("可口可乐 330ml", code="COLA330")
    code_keys = {"cola330"}
    SearchKey.objects.filter(product=cola, key__in=code_keys).delete()
    assert found("COLA3") == []
    before = SearchKey.objects.count()

    migration = importlib.import_module("mendian.catalog.migrations.0003_search_keys_codes")
    migration.code_keys_add(apps, None)
    migration.code_keys_add(apps, None)  # twice adds nothing twice

    assert found("COLA3") == ["COLA330"]
    assert SearchKey.objects.count() == before + 1
    assert found("kkkl") == ["COLA330"]
