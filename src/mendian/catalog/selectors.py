"""Reads of the product library: price resolution, till look-up and search, the tills' change feed.

The till paths build plain dicts from `.values()` rows in a fixed number of queries (no model
instances, no N+1): they run on every scan and for 100,000-SKU catalogue downloads.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Collate

from mendian.catalog.barcodes import ScaleReading, barcode_candidates, scale_barcode_parse
from mendian.catalog.models import SKU, Barcode, SearchKey, StorePrice
from mendian.catalog.pinyin_keys import search_term_normalize

CHANGES_DEFAULT_LIMIT = 1000
CHANGES_MAX_LIMIT = 5000
SEARCH_MAX_LIMIT = 100
TILL_FIELDS = (
    "id",
    "code",
    "product_id",
    "product__code",
    "product__name",
    "product__kind",
    "product__category_id",
    "product__unit__name",
    "product__unit__is_weighed",
    "product__service_minutes",
    "variant_name",
    "attributes",
    "retail_price_fen",
    "member_price_fen",
    "scale_plu",
    "is_active",
    "product__is_active",
    "change_seq",
)


@dataclass(frozen=True)
class ResolvedPrice:
    """The prices of one SKU in one store: the store's override wins over the unified retail price."""

    sku_id: int
    retail_price_fen: int
    member_price_fen: int | None
    cost_price_fen: int
    unified_retail_price_fen: int
    is_store_override: bool


def _store_price_subquery(store_id: int) -> Subquery:
    return Subquery(
        StorePrice.objects.filter(store_id=store_id, sku_id=OuterRef("pk")).values("retail_price_fen")[:1]
    )


def prices_for(*, store_id: int | None, sku_ids: Iterable[int]) -> dict[int, ResolvedPrice]:
    """Resolve the prices of many SKUs for one store in one query (what a cart needs)."""
    queryset = SKU.objects.filter(pk__in=list(sku_ids))
    if store_id is not None:
        queryset = queryset.annotate(store_price_fen=_store_price_subquery(store_id))
    fields = ["id", "retail_price_fen", "member_price_fen", "cost_price_fen"]
    if store_id is not None:
        fields.append("store_price_fen")
    resolved: dict[int, ResolvedPrice] = {}
    for row in queryset.values(*fields):
        override = row.get("store_price_fen")
        resolved[row["id"]] = ResolvedPrice(
            sku_id=row["id"],
            retail_price_fen=override if override is not None else row["retail_price_fen"],
            member_price_fen=row["member_price_fen"],
            cost_price_fen=row["cost_price_fen"],
            unified_retail_price_fen=row["retail_price_fen"],
            is_store_override=override is not None,
        )
    return resolved


def price_for(store_id: int | None, sku: SKU | int) -> ResolvedPrice:
    """The price of one SKU in a store: its override there if any, else the unified price."""
    sku_id = sku if isinstance(sku, int) else sku.pk
    resolved = prices_for(store_id=store_id, sku_ids=[sku_id])
    if sku_id not in resolved:
        raise SKU.DoesNotExist(f"SKU {sku_id} does not exist")
    return resolved[sku_id]


# --- till rows -----------------------------------------------------------------------------------


def _till_queryset(queryset: QuerySet[SKU], store_id: int | None) -> QuerySet[SKU]:
    if store_id is not None:
        queryset = queryset.annotate(store_price_fen=_store_price_subquery(store_id))
    return queryset


def _till_rows(
    queryset: QuerySet[SKU], store_id: int | None, limit: int | None = None
) -> list[dict[str, Any]]:
    """SKU rows as the till wants them: two queries (SKUs with product and store price, barcodes)."""
    fields = [*TILL_FIELDS, "store_price_fen"] if store_id is not None else list(TILL_FIELDS)
    values = _till_queryset(queryset, store_id).values(*fields)
    rows = list(values[:limit] if limit is not None else values)
    barcodes: dict[int, list[str]] = defaultdict(list)
    if rows:
        for sku_id, code in (
            Barcode.objects.filter(sku_id__in=[row["id"] for row in rows])
            .order_by("sku_id", "-is_primary", "id")
            .values_list("sku_id", "code")
        ):
            barcodes[sku_id].append(code)
    items = []
    for row in rows:
        store_price = row.get("store_price_fen")
        items.append(
            {
                "id": row["id"],
                "code": row["code"],
                "product_id": row["product_id"],
                "product_code": row["product__code"],
                "name": row["product__name"],
                "variant_name": row["variant_name"],
                "attributes": row["attributes"],
                "kind": row["product__kind"],
                "category_id": row["product__category_id"],
                "unit": row["product__unit__name"],
                "is_weighed": bool(row["product__unit__is_weighed"]),
                "service_minutes": row["product__service_minutes"],
                "barcodes": barcodes.get(row["id"], []),
                "scale_plu": row["scale_plu"],
                "retail_price_fen": row["retail_price_fen"],
                "member_price_fen": row["member_price_fen"],
                "store_price_fen": store_price,
                "price_fen": store_price if store_price is not None else row["retail_price_fen"],
                "is_active": row["is_active"] and row["product__is_active"],
                "change_seq": row["change_seq"],
            }
        )
    return items


def _sellable() -> Q:
    return Q(is_active=True, product__is_active=True)


# --- look-up and search --------------------------------------------------------------------------


@dataclass(frozen=True)
class LookupResult:
    item: dict[str, Any]
    matched_by: str  # "barcode", "scale" or "sku_code"
    scale: ScaleReading | None = None


def till_lookup(*, code: str, store_id: int | None) -> LookupResult | None:
    """Find the sellable SKU a scanned or typed code means: a barcode (exact, UPC-A/EAN-13 forms),
    a scale label (price/weight embedded, PLU → SKU) or a SKU code. Inactive items are not found.
    Two queries for a found barcode."""
    code = (code or "").strip()
    if not code or len(code) > 48:
        return None
    if code.isdigit():
        rows = _till_rows(
            SKU.objects.filter(_sellable(), barcodes__code__in=barcode_candidates(code)), store_id, 1
        )
        if rows:
            return LookupResult(item=rows[0], matched_by="barcode")
        reading = scale_barcode_parse(code)
        if reading is not None:
            rows = _till_rows(SKU.objects.filter(_sellable(), scale_plu=reading.plu), store_id, 1)
            if rows:
                return LookupResult(item=rows[0], matched_by="scale", scale=reading)
    rows = _till_rows(SKU.objects.filter(_sellable(), code=code), store_id, 1)
    if rows:
        return LookupResult(item=rows[0], matched_by="sku_code")
    return None


def _prefix_range(queryset: QuerySet[SearchKey], prefix: str) -> QuerySet[SearchKey]:
    """key starts with prefix, as an index range scan in byte order on both databases."""
    field = "key"
    if connection.vendor == "postgresql":
        queryset = queryset.alias(key_c=Collate("key", "C"))  # matches the catalog_searchkey_key_c index
        field = "key_c"
    return queryset.filter(**{f"{field}__gte": prefix, f"{field}__lt": prefix + "\U0010ffff"})


def till_search(*, q: str, store_id: int | None, limit: int = 20) -> list[dict[str, Any]]:
    """Sellable SKUs whose product name contains q, or whose full pinyin or pinyin initials contain it
    at a syllable boundary (kl, kele, 可乐 all find 可口可乐). Three queries: keys, SKUs, barcodes."""
    term = search_term_normalize(q)
    limit = max(1, min(limit, SEARCH_MAX_LIMIT))
    if not term:
        return []
    product_ids: list[int] = []
    seen: set[int] = set()
    for product_id in _prefix_range(SearchKey.objects.all(), term).values_list("product_id", flat=True)[
        : limit * 4
    ]:
        if product_id not in seen:
            seen.add(product_id)
            product_ids.append(product_id)
    if not product_ids:
        return []
    items = _till_rows(SKU.objects.filter(_sellable(), product_id__in=product_ids[:limit]), store_id)
    rank = {product_id: index for index, product_id in enumerate(product_ids)}
    items.sort(key=lambda item: (rank[item["product_id"]], item["code"]))
    return items[:limit]


# --- the tills' change feed ----------------------------------------------------------------------


@dataclass(frozen=True)
class ChangePage:
    items: list[dict[str, Any]]
    next_cursor: int
    has_more: bool


def catalog_changes(*, since: int, limit: int = CHANGES_DEFAULT_LIMIT, store_id: int | None) -> ChangePage:
    """SKUs changed after the cursor, oldest change first, with the cursor to ask from next time.

    Inactive SKUs are included (is_active false) so a till removes them. Cursor 0 downloads the whole
    catalogue. Two queries per page whatever its size."""
    limit = max(1, min(limit, CHANGES_MAX_LIMIT))
    since = max(0, since)
    queryset = SKU.objects.filter(change_seq__gt=since).order_by("change_seq")
    items = _till_rows(queryset, store_id, limit + 1)
    has_more = len(items) > limit
    items = items[:limit]
    next_cursor = items[-1]["change_seq"] if items else since
    return ChangePage(items=items, next_cursor=next_cursor, has_more=has_more)


def catalog_cursor_latest() -> int:
    """The highest change_seq a till can have seen (for a health check of till freshness)."""
    value = SKU.objects.order_by("-change_seq").values_list("change_seq", flat=True).first()
    return value or 0
