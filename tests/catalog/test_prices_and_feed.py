"""Prices (unified, member, store override, scheduled), the tills' change feed and search."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone

from mendian.catalog import selectors, services
from mendian.catalog.errors import PriceChangeInvalid, PriceInvalid
from mendian.catalog.models import SKU, PriceChange, Product, StorePrice
from mendian.catalog.tasks import price_changes_apply_task
from mendian.core.models import AuditEntry

from .conftest import ean13


def test_store_override_wins_over_unified_price_only_in_its_store(
    chain: object, make_product: Callable[..., Product]
) -> None:
    sku = SKU.objects.get(
        product=make_product(retail_price_fen=350, member_price_fen=300, cost_price_fen=180)
    )
    services.store_price_set(store=chain.store_a, sku=sku, retail_price_fen=380)
    in_a = selectors.price_for(chain.store_a.pk, sku)
    in_b = selectors.price_for(chain.store_b.pk, sku)
    assert (in_a.retail_price_fen, in_a.is_store_override, in_a.unified_retail_price_fen) == (380, True, 350)
    assert (in_b.retail_price_fen, in_b.is_store_override) == (350, False)
    assert (in_a.member_price_fen, in_a.cost_price_fen) == (300, 180)
    # removing the override returns the store to the unified price
    services.store_price_set(store=chain.store_a, sku=sku, retail_price_fen=None)
    assert selectors.price_for(chain.store_a.pk, sku).retail_price_fen == 350
    assert not StorePrice.objects.exists()
    actions = list(AuditEntry.objects.order_by("id").values_list("action", "store_id", "before", "after"))
    assert actions[-2:] == [
        ("price.store_override", chain.store_a.pk, {"retail_price_fen": None}, {"retail_price_fen": 380}),
        ("price.store_override", chain.store_a.pk, {"retail_price_fen": 380}, {"retail_price_fen": None}),
    ]


def test_prices_for_a_cart_resolve_in_one_query(
    chain: object, make_product: Callable[..., Product], django_assert_num_queries: Callable[..., object]
) -> None:
    product = make_product("卫衣", attributes={"尺码": ["S", "M", "L"]}, retail_price_fen=19900)
    skus = list(product.skus.order_by("pk"))
    services.store_price_set(store=chain.store_a, sku=skus[1], retail_price_fen=17900)
    with django_assert_num_queries(1):
        prices = selectors.prices_for(store_id=chain.store_a.pk, sku_ids=[sku.pk for sku in skus])
    assert [prices[sku.pk].retail_price_fen for sku in skus] == [19900, 17900, 19900]


def test_unified_price_change_is_audited_with_before_and_after(make_product: Callable[..., Product]) -> None:
    sku = SKU.objects.get(product=make_product(retail_price_fen=350))
    services.sku_price_set(sku=sku, retail_price_fen=400, member_price_fen=360)
    with pytest.raises(PriceInvalid):
        services.sku_price_set(sku=sku, retail_price_fen=-1)
    sku.refresh_from_db()
    assert (sku.retail_price_fen, sku.member_price_fen) == (400, 360)
    entry = AuditEntry.objects.get(action="price.change")
    assert entry.before == {"retail_price_fen": 350, "member_price_fen": None, "cost_price_fen": 0}
    assert entry.after == {"retail_price_fen": 400, "member_price_fen": 360, "cost_price_fen": 0}


def test_scheduled_price_change_is_applied_by_the_periodic_task_once(
    chain: object, make_product: Callable[..., Product]
) -> None:
    sku = SKU.objects.get(product=make_product(retail_price_fen=350))
    now = timezone.now()
    due = services.price_change_schedule(
        sku=sku, effective_at=now - timedelta(minutes=1), retail_price_fen=299
    )
    due_store = services.price_change_schedule(
        sku=sku, store=chain.store_b, effective_at=now - timedelta(seconds=5), retail_price_fen=330
    )
    later = services.price_change_schedule(
        sku=sku, effective_at=now + timedelta(days=1), retail_price_fen=500
    )
    with pytest.raises(PriceChangeInvalid):
        services.price_change_schedule(sku=sku, effective_at=now)
    seq_before = SKU.objects.get(pk=sku.pk).change_seq
    # when the periodic task runs (called directly: huey runs the same function)
    applied = price_changes_apply_task.call_local()
    # then the due changes are applied, the future one waits, and a second run applies nothing
    assert applied == 2
    assert price_changes_apply_task.call_local() == 0
    sku.refresh_from_db()
    assert sku.retail_price_fen == 299 and sku.change_seq > seq_before
    assert selectors.price_for(chain.store_b.pk, sku).retail_price_fen == 330
    statuses = dict(PriceChange.objects.values_list("pk", "status"))
    assert statuses == {due.pk: "applied", due_store.pk: "applied", later.pk: "pending"}
    assert AuditEntry.objects.filter(action__in=["price.change", "price.store_override"]).count() == 2


def test_change_feed_pages_through_everything_then_returns_only_changes(
    chain: object, make_product: Callable[..., Product], django_assert_num_queries: Callable[..., object]
) -> None:
    tee = make_product(
        "T恤", code="TEE", attributes={"尺码": ["S", "M", "L", "XL", "XXL"]}, retail_price_fen=5900
    )
    cola = make_product("可口可乐 330ml", code="COLA", barcodes=[ean13("690000000001")])
    # a till downloads from cursor 0 in pages of 4
    seen: list[str] = []
    cursor = 0
    pages = 0
    while True:
        with django_assert_num_queries(2):
            page = selectors.catalog_changes(since=cursor, limit=4, store_id=chain.store_a.pk)
        seen += [item["code"] for item in page.items]
        pages += 1
        assert page.next_cursor >= cursor
        cursor = page.next_cursor
        if not page.has_more:
            break
    assert pages == 2 and sorted(seen) == sorted([f"TEE-0{n}" for n in range(1, 6)] + ["COLA"])
    assert selectors.catalog_changes(since=cursor, store_id=None).items == []
    # a store override, a unified price change and a deactivation each bring exactly those SKUs back
    cola_sku = SKU.objects.get(product=cola)
    services.store_price_set(store=chain.store_a, sku=cola_sku, retail_price_fen=380)
    page = selectors.catalog_changes(since=cursor, store_id=chain.store_a.pk)
    assert [(item["code"], item["price_fen"], item["store_price_fen"]) for item in page.items] == [
        ("COLA", 380, 380)
    ]
    assert page.items[0]["barcodes"] == [ean13("690000000001")] and page.items[0]["name"] == "可口可乐 330ml"
    other_store = selectors.catalog_changes(since=cursor, store_id=chain.store_b.pk)
    assert other_store.items[0]["price_fen"] == 350
    cursor = page.next_cursor
    services.product_update(product=tee, is_active=False)
    page = selectors.catalog_changes(since=cursor, store_id=None)
    assert len(page.items) == 5 and {item["is_active"] for item in page.items} == {False}
    assert page.next_cursor == max(item["change_seq"] for item in page.items)


def test_pinyin_initials_full_pinyin_and_name_search_find_active_items_only(
    make_product: Callable[..., Product], django_assert_max_num_queries: Callable[..., object]
) -> None:
    cola = make_product("可口可乐 330ml", code="COLA")
    make_product("百事可乐 600ml", code="PEPSI")
    make_product("农夫山泉 550ml", code="NFSQ")
    make_product("康师傅红烧牛肉面", code="KSF", is_active=False)

    def codes(q: str) -> list[str]:
        with django_assert_max_num_queries(3):
            return sorted(item["code"] for item in selectors.till_search(q=q, store_id=None))

    assert codes("kl") == ["COLA", "PEPSI"]
    assert codes("kkkl") == ["COLA"]
    assert codes("kele") == ["COLA", "PEPSI"]
    assert codes("KeKou") == ["COLA"]
    assert codes("可乐") == ["COLA", "PEPSI"]
    assert codes("山泉") == ["NFSQ"]
    assert codes("nfsq") == ["NFSQ"]
    assert codes("330") == ["COLA"]
    assert codes("niurou") == []  # inactive: hidden from the till
    assert codes("zzz") == []
    # a renamed product is found by its new name only
    services.product_update(product=cola, name="零度可乐")
    assert codes("kkkl") == [] and codes("ldkl") == ["COLA"]


def test_till_lookup_by_barcode_upc_form_and_sku_code_in_two_queries(
    chain: object, make_product: Callable[..., Product], django_assert_max_num_queries: Callable[..., object]
) -> None:
    product = make_product("美国杏仁", code="ALMOND", barcodes=["036000291452"])
    sku = SKU.objects.get(product=product)
    with django_assert_max_num_queries(2):
        by_barcode = selectors.till_lookup(code="036000291452", store_id=chain.store_a.pk)
    assert by_barcode is not None and by_barcode.item["id"] == sku.pk and by_barcode.matched_by == "barcode"
    assert selectors.till_lookup(code="0036000291452", store_id=None).item["id"] == sku.pk
    assert selectors.till_lookup(code="ALMOND", store_id=None).matched_by == "sku_code"
    services.sku_update(sku=sku, is_active=False)
    assert selectors.till_lookup(code="036000291452", store_id=None) is None
