"""Reads of the product library: price resolution, till look-up and search, the tills' change feed.

The till paths build plain dicts from `.values()` rows in a fixed number of queries (no model
instances, no N+1): they run on every scan and for 100,000-SKU catalogue downloads.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import OuterRef, Subquery

from mendian.catalog.barcodes import ScaleReading, barcode_candidates, scale_barcode_parse
from mendian.catalog.models import SKU, Barcode, SearchKey, StorePrice
from mendian.catalog.pinyin_keys import search_term_normalize
from mendian.core.sql import placeholders

CHANGES_DEFAULT_LIMIT = 1000
CHANGES_MAX_LIMIT = 5000
SEARCH_MAX_LIMIT = 100


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
#
# The till paths run on every scan and for 100,000-SKU downloads, so they are plain SQL built once:
# compiling the equivalent ORM query costs more than running it. Two queries whatever the row count.

_TILL_COLUMNS = (
    "s.id, s.code, s.product_id, p.code, p.name, p.kind, p.category_id, u.name, u.is_weighed, "
    "p.service_minutes, s.variant_name, s.attributes, s.retail_price_fen, s.member_price_fen, "
    "s.scale_plu, s.is_active, p.is_active, s.change_seq"
)


def _table(model: Any) -> str:
    return str(connection.ops.quote_name(model._meta.db_table))


def _till_sql(where: str, tail: str = "") -> str:
    from mendian.catalog.models import Product, Unit

    return (
        f"SELECT {_TILL_COLUMNS}, sp.retail_price_fen "
        f"FROM {_table(SKU)} s JOIN {_table(Product)} p ON p.id = s.product_id "
        f"LEFT JOIN {_table(Unit)} u ON u.id = p.unit_id "
        f"LEFT JOIN {_table(StorePrice)} sp ON sp.sku_id = s.id AND sp.store_id = %s "
        f"WHERE {where} {tail}"
    )


def _till_rows_sql(
    where: str, params: list[Any], store_id: int | None, tail: str = ""
) -> list[dict[str, Any]]:
    """SKU rows as the till wants them: one query for SKUs with product, unit and the store's price,
    one for their barcodes."""
    with connection.cursor() as cursor:
        cursor.execute(_till_sql(where, tail), [store_id if store_id is not None else -1, *params])
        rows = cursor.fetchall()
        barcodes: dict[int, list[str]] = defaultdict(list)
        if rows:
            ids = [row[0] for row in rows]
            cursor.execute(
                f"SELECT sku_id, code FROM {_table(Barcode)} WHERE sku_id IN ({placeholders(ids)}) "
                "ORDER BY sku_id, is_primary DESC, id",
                ids,
            )
            for sku_id, code in cursor.fetchall():
                barcodes[sku_id].append(code)
    items = []
    for (
        sku_id,
        code,
        product_id,
        product_code,
        name,
        kind,
        category_id,
        unit,
        is_weighed,
        service_minutes,
        variant_name,
        attributes,
        retail_price_fen,
        member_price_fen,
        scale_plu,
        sku_active,
        product_active,
        change_seq,
        store_price_fen,
    ) in rows:
        items.append(
            {
                "id": sku_id,
                "code": code,
                "product_id": product_id,
                "product_code": product_code,
                "name": name,
                "variant_name": variant_name,
                "attributes": json.loads(attributes) if isinstance(attributes, str) else attributes,
                "kind": kind,
                "category_id": category_id,
                "unit": unit,
                "is_weighed": bool(is_weighed),
                "service_minutes": service_minutes,
                "barcodes": barcodes.get(sku_id, []),
                "scale_plu": scale_plu,
                "retail_price_fen": retail_price_fen,
                "member_price_fen": member_price_fen,
                "store_price_fen": store_price_fen,
                "price_fen": store_price_fen if store_price_fen is not None else retail_price_fen,
                "is_active": bool(sku_active) and bool(product_active),
                "change_seq": change_seq,
            }
        )
    return items


_SELLABLE = "s.is_active = %s AND p.is_active = %s"


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
        candidates = barcode_candidates(code)
        rows = _till_rows_sql(
            f"{_SELLABLE} AND s.id IN (SELECT b.sku_id FROM {_table(Barcode)} b "
            f"WHERE b.code IN ({placeholders(candidates)}))",
            [True, True, *candidates],
            store_id,
            "LIMIT 1",
        )
        if rows:
            return LookupResult(item=rows[0], matched_by="barcode")
        reading = scale_barcode_parse(code)
        if reading is not None:
            rows = _till_rows_sql(
                f"{_SELLABLE} AND s.scale_plu = %s", [True, True, reading.plu], store_id, "LIMIT 1"
            )
            if rows:
                return LookupResult(item=rows[0], matched_by="scale", scale=reading)
    rows = _till_rows_sql(f"{_SELLABLE} AND s.code = %s", [True, True, code], store_id, "LIMIT 1")
    if rows:
        return LookupResult(item=rows[0], matched_by="sku_code")
    return None


def till_search(*, q: str, store_id: int | None, limit: int = 20) -> list[dict[str, Any]]:
    """Sellable SKUs whose product name contains q, or whose full pinyin or pinyin initials contain it
    at a syllable boundary (kl, kele, 可乐 all find 可口可乐), or whose product or SKU code starts with
    it (p00 finds P001; a whole SKU code finds that SKU only). Three queries: keys, SKUs, barcodes."""
    term = search_term_normalize(q)
    limit = max(1, min(limit, SEARCH_MAX_LIMIT))
    if not term:
        return []
    product_ids: list[int] = []
    key = (
        'key COLLATE "C"' if connection.vendor == "postgresql" else "key"
    )  # the catalog_searchkey_key_c index
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT product_id FROM {_table(SearchKey)} WHERE {key} >= %s AND {key} < %s LIMIT %s",
            [term, term + "\U0010ffff", limit * 4],
        )
        for (product_id,) in cursor.fetchall():
            if product_id not in product_ids:
                product_ids.append(product_id)
    if not product_ids:
        return []
    chosen = product_ids[:limit]
    # Best match first (the order of the keys), then by SKU code; only `limit` rows leave the database.
    rank = " ".join(["WHEN %s THEN %s"] * len(chosen))
    rank_params = [value for index, product_id in enumerate(chosen) for value in (product_id, index)]
    rows = _till_rows_sql(
        f"{_SELLABLE} AND s.product_id IN ({placeholders(chosen)})",
        [True, True, *chosen, *rank_params, limit],
        store_id,
        f"ORDER BY CASE s.product_id {rank} END, s.code LIMIT %s",
    )
    # A whole SKU code typed means that SKU, not every variant of its product.
    exact = [row for row in rows if search_term_normalize(row["code"]) == term]
    return exact or rows


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
    items = _till_rows_sql(
        "s.change_seq > %s", [since], store_id, f"ORDER BY s.change_seq LIMIT {int(limit) + 1}"
    )
    has_more = len(items) > limit
    items = items[:limit]
    next_cursor = items[-1]["change_seq"] if items else since
    return ChangePage(items=items, next_cursor=next_cursor, has_more=has_more)


@dataclass(frozen=True)
class ChangePageJson:
    items_json: str  # a JSON array of the same objects catalog_changes returns as dicts
    next_cursor: int
    has_more: bool


def _json_item_sql() -> str:
    """The till item built as JSON text by the database itself (same keys and values as _till_rows_sql).

    A full catalogue download is 100,000 items: letting the database write the JSON saves building
    and encoding 100,000 dicts in Python."""
    from mendian.catalog.models import Product, Unit

    barcode = _table(Barcode)
    if connection.vendor == "postgresql":
        build, true, false = "json_build_object", "true", "false"
        cast = "::text"  # hand the text over as it is; psycopg would parse json into dicts
        attributes = "s.attributes"
        barcodes = (
            f"COALESCE((SELECT json_agg(b.code ORDER BY b.is_primary DESC, b.id) FROM {barcode} b "
            f"WHERE b.sku_id = s.id), '[]'::json)"
        )
    else:
        build, true, false = "json_object", "json('true')", "json('false')"
        cast = ""
        attributes = "json(s.attributes)"
        barcodes = (
            f"(SELECT json_group_array(code) FROM (SELECT b.code FROM {barcode} b "
            f"WHERE b.sku_id = s.id ORDER BY b.is_primary DESC, b.id))"
        )

    def flag(condition: str) -> str:
        return f"CASE WHEN {condition} THEN {true} ELSE {false} END"

    fields = [
        ("id", "s.id"),
        ("code", "s.code"),
        ("product_id", "s.product_id"),
        ("product_code", "p.code"),
        ("name", "p.name"),
        ("variant_name", "s.variant_name"),
        ("attributes", attributes),
        ("kind", "p.kind"),
        ("category_id", "p.category_id"),
        ("unit", "u.name"),
        ("is_weighed", flag("u.is_weighed")),
        ("service_minutes", "p.service_minutes"),
        ("barcodes", barcodes),
        ("scale_plu", "s.scale_plu"),
        ("retail_price_fen", "s.retail_price_fen"),
        ("member_price_fen", "s.member_price_fen"),
        ("store_price_fen", "sp.retail_price_fen"),
        ("price_fen", "COALESCE(sp.retail_price_fen, s.retail_price_fen)"),
        ("is_active", flag("s.is_active AND p.is_active")),
        ("change_seq", "s.change_seq"),
    ]
    pairs = ", ".join(f"'{key}', {expression}" for key, expression in fields)
    return (
        f"SELECT s.change_seq, {build}({pairs}){cast} "
        f"FROM {_table(SKU)} s JOIN {_table(Product)} p ON p.id = s.product_id "
        f"LEFT JOIN {_table(Unit)} u ON u.id = p.unit_id "
        f"LEFT JOIN {_table(StorePrice)} sp ON sp.sku_id = s.id AND sp.store_id = %s "
        f"WHERE s.change_seq > %s ORDER BY s.change_seq LIMIT %s"
    )


def catalog_changes_json(
    *, since: int, limit: int = CHANGES_DEFAULT_LIMIT, store_id: int | None
) -> ChangePageJson:
    """catalog_changes as ready JSON text, for the API: one query per page."""
    limit = max(1, min(limit, CHANGES_MAX_LIMIT))
    since = max(0, since)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A page's estimated cost crosses jit_above_cost and compiling the plan (≈1 s) would
            # cost far more than running it (≈20 ms for 5,000 rows).
            cursor.execute("SET LOCAL jit = off")
        cursor.execute(_json_item_sql(), [store_id if store_id is not None else -1, since, limit + 1])
        rows = cursor.fetchall()
    has_more = len(rows) > limit
    rows = rows[:limit]
    items = [item if isinstance(item, str) else json.dumps(item, ensure_ascii=False) for _seq, item in rows]
    return ChangePageJson(
        items_json="[" + ",".join(items) + "]", next_cursor=rows[-1][0] if rows else since, has_more=has_more
    )


def catalog_cursor_latest() -> int:
    """The highest change_seq a till can have seen (for a health check of till freshness)."""
    value = SKU.objects.order_by("-change_seq").values_list("change_seq", flat=True).first()
    return value or 0
