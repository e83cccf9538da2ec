"""Writes of the product library. Every write of a product, SKU, price or barcode gives the SKUs it
touches a fresh change_seq, so every till picks the change up from `GET /api/v1/catalog/changes`.

Concurrency: every write service starts by taking the `change_seq` counter row with an UPDATE (a row
lock on PostgreSQL, the write lock on SQLite) and keeps it to commit. Catalog writes therefore
commit one after another in counter order, which is what makes the till cursor safe (no change can
commit later with a smaller change_seq) and rules out deadlocks between catalog writers.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Max, Min, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mendian.catalog.barcodes import barcode_validate, gs1_check_digit
from mendian.catalog.errors import (
    BarcodeTaken,
    CodeInvalid,
    NameRequired,
    PriceChangeInvalid,
    PriceInvalid,
    ProductCodeTaken,
    ScalePluInvalid,
    ScalePluTaken,
    SkuCodeTaken,
    VariantAttributesInvalid,
)
from mendian.catalog.models import (
    SKU,
    Barcode,
    Brand,
    CatalogCounter,
    Category,
    PriceChange,
    Product,
    SearchKey,
    StorePrice,
    Unit,
)
from mendian.catalog.pinyin_keys import name_pinyin, search_keys_for
from mendian.catalog.scale_format import scale_barcode_format
from mendian.core.services import audit_record
from mendian.stores.models import Store

CHANGE_SEQ_COUNTER = "change_seq"
INSTORE_BARCODE_COUNTER = "instore_barcode"
CODE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
PLU_PATTERN = re.compile(r"^\d{5}$")
MAX_VARIANTS = 500
PRODUCT_FIELDS = (
    "name",
    "kind",
    "category",
    "brand",
    "unit",
    "vat_rate_bp",
    "allow_negative_stock",
    "tracks_batches",
    "tracks_serials",
    "service_minutes",
    "service_staff_needed",
    "is_active",
)


# --- counters and the till change cursor -------------------------------------------------------


def counter_take(*, name: str, count: int = 1) -> int:
    """Reserve `count` values of a named counter and return the last one (count=0 only locks it).

    Runs inside the caller's transaction; the UPDATE keeps the row locked until commit, so values
    become visible in the order they were handed out."""
    table = connection.ops.quote_name(CatalogCounter._meta.db_table)
    sql = f"UPDATE {table} SET value = value + %s WHERE name = %s RETURNING value"
    for _attempt in range(2):
        with connection.cursor() as cursor:
            cursor.execute(sql, [count, name])
            row = cursor.fetchone()
        if row is not None:
            return int(row[0])
        # The row is missing (a flushed test database): create it; a concurrent creator is fine.
        CatalogCounter.objects.bulk_create([CatalogCounter(name=name, value=0)], ignore_conflicts=True)
    raise RuntimeError(f"catalog counter {name!r} could not be created")


def catalog_write_begin() -> None:
    """Take the catalog write lock (the change_seq counter row) for the rest of the transaction."""
    counter_take(name=CHANGE_SEQ_COUNTER, count=0)


def skus_touch(*, sku_ids: Iterable[int] | None = None, product_ids: Iterable[int] | None = None) -> None:
    """Give SKUs fresh change_seq values above every value handed out so far, distinct per SKU.

    Three queries whatever the count: bounds, counter, one UPDATE with change_seq = id + offset."""
    condition = Q()
    if sku_ids is not None:
        condition |= Q(pk__in=list(sku_ids))
    if product_ids is not None:
        condition |= Q(product_id__in=list(product_ids))
    if not condition:
        return
    queryset = SKU.objects.filter(condition)
    bounds = queryset.aggregate(low=Min("id"), high=Max("id"))
    if bounds["low"] is None:
        return
    span = bounds["high"] - bounds["low"] + 1
    top = counter_take(name=CHANGE_SEQ_COUNTER, count=span)
    offset = top - span + 1 - bounds["low"]
    queryset.update(change_seq=F("id") + offset, updated_at=timezone.now())


# --- validation helpers ------------------------------------------------------------------------


def code_validate(code: str) -> str:
    cleaned = (code or "").strip()
    if not CODE_PATTERN.match(cleaned):
        raise CodeInvalid(details={"code": cleaned[:48]})
    return cleaned


def price_validate(**prices: int | None) -> None:
    """Prices are whole, non-negative fen (None means "not given")."""
    bad = {
        name: value
        for name, value in prices.items()
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0)
    }
    if bad:
        raise PriceInvalid(details={"fields": sorted(bad)})


def plu_validate(plu: str | None) -> str | None:
    if plu in (None, ""):
        return None
    assert plu is not None
    if not PLU_PATTERN.match(plu):
        raise ScalePluInvalid(details={"scale_plu": plu})
    return plu


def variant_matrix(attributes: Mapping[str, Sequence[str]] | None) -> list[dict[str, str]]:
    """Every combination of the attribute values, in the order given: {"颜色": [红, 黑], "尺码": [S, M]}
    → [{颜色: 红, 尺码: S}, {颜色: 红, 尺码: M}, {颜色: 黑, 尺码: S}, …]."""
    if not attributes:
        return [{}]
    names: list[str] = []
    value_lists: list[list[str]] = []
    for raw_name, raw_values in attributes.items():
        name = str(raw_name).strip()
        values = [str(value).strip() for value in raw_values]
        if not name or not values or any(not value for value in values) or len(set(values)) != len(values):
            raise VariantAttributesInvalid(details={"attribute": name})
        names.append(name)
        value_lists.append(values)
    combinations = list(itertools.product(*value_lists))
    if len(combinations) > MAX_VARIANTS:
        raise VariantAttributesInvalid(
            _("At most %(max)d variants per product.") % {"max": MAX_VARIANTS},
            details={"count": len(combinations)},
        )
    return [dict(zip(names, combination, strict=True)) for combination in combinations]


def variant_name_of(attributes: dict[str, str]) -> str:
    return " / ".join(attributes.values())


def _search_keys_write(product: Product) -> None:
    """The keys a till search finds the product by: its name, pinyin and initials, its codes."""
    codes = [product.code, *SKU.objects.filter(product=product).values_list("code", flat=True)]
    SearchKey.objects.filter(product=product).delete()
    SearchKey.objects.bulk_create(
        [SearchKey(product=product, key=key) for key in search_keys_for(product.name, codes)]
    )


# --- products and SKUs --------------------------------------------------------------------------


@transaction.atomic
def product_create_with_variants(
    *,
    code: str,
    name: str,
    retail_price_fen: int,
    attributes: Mapping[str, Sequence[str]] | None = None,
    member_price_fen: int | None = None,
    cost_price_fen: int = 0,
    kind: str = Product.Kind.GOODS,
    category: Category | None = None,
    brand: Brand | None = None,
    unit: Unit | None = None,
    vat_rate_bp: int | None = None,
    allow_negative_stock: bool | None = None,
    tracks_batches: bool = False,
    tracks_serials: bool = False,
    service_minutes: int | None = None,
    service_staff_needed: int | None = None,
    is_active: bool = True,
    barcodes: Sequence[str] = (),
    generate_barcodes: bool = False,
    sku_code: str | None = None,
    actor_id: int | None = None,
) -> Product:
    """Create a product and every SKU of its attribute matrix in one step (5 sizes × 4 colours = 20).

    SKU codes are the product code plus a two-digit serial in matrix order (T1001-01 … T1001-20);
    a product without attributes has one SKU whose code is the product code (or `sku_code`, which
    also names the SKU of a one-combination matrix). `barcodes` go to the first SKU (a single-SKU
    product); `generate_barcodes` gives every SKU an in-store EAN-13."""
    code = code_validate(code)
    name = (name or "").strip()
    if not name:
        raise NameRequired()
    price_validate(
        retail_price_fen=retail_price_fen, member_price_fen=member_price_fen, cost_price_fen=cost_price_fen
    )
    matrix = variant_matrix(attributes)
    if sku_code is not None:
        sku_code = code_validate(sku_code)
    for barcode in barcodes:
        barcode_validate(barcode)
    catalog_write_begin()
    full, initials = name_pinyin(name)
    product = Product(
        code=code,
        name=name,
        name_pinyin=full[:400],
        name_initials=initials[:100],
        kind=kind,
        category=category,
        brand=brand,
        unit=unit,
        vat_rate_bp=vat_rate_bp,
        allow_negative_stock=allow_negative_stock,
        tracks_batches=tracks_batches,
        tracks_serials=tracks_serials,
        service_minutes=service_minutes,
        service_staff_needed=service_staff_needed,
        is_active=is_active,
    )
    try:
        with transaction.atomic():
            product.save()
    except IntegrityError:
        raise ProductCodeTaken(details={"code": code}) from None
    skus = [
        SKU(
            product=product,
            code=_matrix_sku_code(code, index, values, sku_code if len(matrix) == 1 else None),
            attributes=values,
            variant_name=variant_name_of(values),
            retail_price_fen=retail_price_fen,
            member_price_fen=member_price_fen,
            cost_price_fen=cost_price_fen,
        )
        for index, values in enumerate(matrix, start=1)
    ]
    try:
        with transaction.atomic():
            skus = SKU.objects.bulk_create(skus)
    except IntegrityError:
        raise SkuCodeTaken(details={"product_code": code}) from None
    _search_keys_write(product)
    if barcodes:
        _barcodes_insert(skus[0], list(barcodes))
    if generate_barcodes:
        for sku in skus:
            if not barcodes or sku is not skus[0]:
                _instore_barcode_insert(sku)
    skus_touch(product_ids=[product.pk])
    audit_record(
        action="product.create",
        obj=product,
        actor_id=actor_id,
        after={
            "code": code,
            "name": name,
            "sku_count": len(skus),
            "retail_price_fen": retail_price_fen,
            "member_price_fen": member_price_fen,
            "cost_price_fen": cost_price_fen,
        },
    )
    return product


def _matrix_sku_code(product_code: str, index: int, values: dict[str, str], given: str | None) -> str:
    if given:
        return given
    return product_code if not values else f"{product_code}-{index:02d}"


@transaction.atomic
def sku_add(
    *,
    product: Product,
    attributes: dict[str, str] | None = None,
    retail_price_fen: int,
    member_price_fen: int | None = None,
    cost_price_fen: int = 0,
    code: str | None = None,
    scale_plu: str | None = None,
    actor_id: int | None = None,
) -> SKU:
    """Add one variant to an existing product; without a code it gets the product code + next serial."""
    price_validate(
        retail_price_fen=retail_price_fen, member_price_fen=member_price_fen, cost_price_fen=cost_price_fen
    )
    scale_plu = plu_validate(scale_plu)
    catalog_write_begin()
    values = {str(key).strip(): str(value).strip() for key, value in (attributes or {}).items()}
    if code is None:
        code = f"{product.code}-{SKU.objects.filter(product=product).count() + 1:02d}"
    sku = SKU(
        product=product,
        code=code_validate(code),
        attributes=values,
        variant_name=variant_name_of(values),
        retail_price_fen=retail_price_fen,
        member_price_fen=member_price_fen,
        cost_price_fen=cost_price_fen,
        scale_plu=scale_plu,
    )
    try:
        with transaction.atomic():
            sku.save()
    except IntegrityError:
        if scale_plu and SKU.objects.filter(scale_plu=scale_plu).exists():
            raise ScalePluTaken(details={"scale_plu": scale_plu}) from None
        raise SkuCodeTaken(details={"code": code}) from None
    _search_keys_write(product)
    skus_touch(sku_ids=[sku.pk])
    audit_record(
        action="sku.create",
        obj=sku,
        actor_id=actor_id,
        after={"code": sku.code, "attributes": values, "retail_price_fen": retail_price_fen},
    )
    sku.refresh_from_db()
    return sku


def _field_value(instance: Any, field: str) -> Any:
    """A JSON-friendly value of a field for the audit log (foreign keys as their id)."""
    if field in ("category", "brand", "unit", "store"):
        return getattr(instance, f"{field}_id")
    return getattr(instance, field)


@transaction.atomic
def product_update(*, product: Product, actor_id: int | None = None, **changes: Any) -> Product:
    """Change a product's own fields (not its prices: see sku_price_set). A new name rebuilds the pinyin
    and search keys; every SKU of the product reaches the tills with its next change_seq.
    Deactivating hides the product from tills and keeps it for history."""
    unknown = set(changes) - set(PRODUCT_FIELDS)
    if unknown:
        raise TypeError(f"product_update got unknown fields: {sorted(unknown)}")
    catalog_write_begin()
    product = Product.objects.select_for_update().get(pk=product.pk)
    before = {field: _field_value(product, field) for field in changes}
    for field, value in changes.items():
        setattr(product, field, value.strip() if field == "name" and isinstance(value, str) else value)
    if "name" in changes:
        if not product.name:
            raise NameRequired()
        full, initials = name_pinyin(product.name)
        product.name_pinyin, product.name_initials = full[:400], initials[:100]
    product.save()
    if "name" in changes and before["name"] != product.name:
        _search_keys_write(product)
    after = {field: _field_value(product, field) for field in changes}
    skus_touch(product_ids=[product.pk])
    if before != after:
        audit_record(action="product.update", obj=product, actor_id=actor_id, before=before, after=after)
    return product


@transaction.atomic
def sku_update(
    *,
    sku: SKU,
    actor_id: int | None = None,
    is_active: bool | None = None,
    variant_name: str | None = None,
    attributes: dict[str, str] | None = None,
    scale_plu: str | None = None,
    clear_scale_plu: bool = False,
) -> SKU:
    """Change a SKU's own fields (not prices, not barcodes). A deactivated SKU disappears from tills."""
    if scale_plu is not None:
        plu_validate(scale_plu)
    catalog_write_begin()
    sku = SKU.objects.select_for_update().get(pk=sku.pk)
    changes: dict[str, Any] = {}
    if is_active is not None:
        changes["is_active"] = is_active
    if variant_name is not None:
        changes["variant_name"] = variant_name.strip()
    if attributes is not None:
        changes["attributes"] = {str(key): str(value) for key, value in attributes.items()}
    if scale_plu is not None or clear_scale_plu:
        changes["scale_plu"] = None if clear_scale_plu else scale_plu
    before = {field: getattr(sku, field) for field in changes}
    for field, value in changes.items():
        setattr(sku, field, value)
    try:
        with transaction.atomic():
            sku.save()
    except IntegrityError:
        raise ScalePluTaken(details={"scale_plu": scale_plu}) from None
    skus_touch(sku_ids=[sku.pk])
    if before != changes:
        audit_record(action="sku.update", obj=sku, actor_id=actor_id, before=before, after=changes)
    sku.refresh_from_db()
    return sku


# --- prices ------------------------------------------------------------------------------------


@transaction.atomic
def sku_price_set(
    *,
    sku: SKU,
    retail_price_fen: int | None = None,
    member_price_fen: int | None = None,
    cost_price_fen: int | None = None,
    clear_member_price: bool = False,
    actor_id: int | None = None,
    reason: str = "",
) -> SKU:
    """Change the unified prices of a SKU (None keeps a price). Audited with before/after; every till
    sees the new price with its next change download."""
    price_validate(
        retail_price_fen=retail_price_fen, member_price_fen=member_price_fen, cost_price_fen=cost_price_fen
    )
    catalog_write_begin()
    sku = SKU.objects.select_for_update().select_related("product").get(pk=sku.pk)
    fields = ("retail_price_fen", "member_price_fen", "cost_price_fen")
    before = {field: getattr(sku, field) for field in fields}
    if retail_price_fen is not None:
        sku.retail_price_fen = retail_price_fen
    if member_price_fen is not None:
        sku.member_price_fen = member_price_fen
    elif clear_member_price:
        sku.member_price_fen = None
    if cost_price_fen is not None:
        sku.cost_price_fen = cost_price_fen
    after = {field: getattr(sku, field) for field in fields}
    if after == before:
        return sku
    SKU.objects.filter(pk=sku.pk).update(**after)
    skus_touch(sku_ids=[sku.pk])
    audit_record(
        action="price.change",
        obj=sku,
        actor_id=actor_id,
        before=before,
        after={**after, "reason": reason} if reason else after,
    )
    sku.refresh_from_db()
    return sku


@transaction.atomic
def store_price_set(
    *, store: Store, sku: SKU, retail_price_fen: int | None, actor_id: int | None = None, reason: str = ""
) -> StorePrice | None:
    """Set (or with None, remove) one store's own retail price for a SKU, overriding the unified price.

    Audited with before/after and the store; the store's tills get it with the SKU's next change."""
    price_validate(retail_price_fen=retail_price_fen)
    catalog_write_begin()
    current = StorePrice.objects.select_for_update().filter(store=store, sku=sku).first()
    before = {"retail_price_fen": current.retail_price_fen if current else None}
    after = {"retail_price_fen": retail_price_fen}
    if before == after:
        return current
    result: StorePrice | None
    if retail_price_fen is None:
        assert current is not None
        current.delete()
        result = None
    elif current is None:
        result = StorePrice.objects.create(store=store, sku=sku, retail_price_fen=retail_price_fen)
    else:
        current.retail_price_fen = retail_price_fen
        current.save(update_fields=["retail_price_fen"])
        result = current
    skus_touch(sku_ids=[sku.pk])
    audit_record(
        action="price.store_override",
        obj=sku,
        actor_id=actor_id,
        store_id=store.pk,
        before=before,
        after={**after, "reason": reason} if reason else after,
    )
    return result


@transaction.atomic
def price_change_schedule(
    *,
    sku: SKU,
    effective_at: datetime,
    store: Store | None = None,
    retail_price_fen: int | None = None,
    member_price_fen: int | None = None,
    cost_price_fen: int | None = None,
    actor_id: int | None = None,
) -> PriceChange:
    """Plan a price change for a moment. A store's change carries a retail price only (its override)."""
    price_validate(
        retail_price_fen=retail_price_fen, member_price_fen=member_price_fen, cost_price_fen=cost_price_fen
    )
    if retail_price_fen is None and member_price_fen is None and cost_price_fen is None:
        raise PriceChangeInvalid()
    if store is not None and (
        member_price_fen is not None or cost_price_fen is not None or retail_price_fen is None
    ):
        raise PriceChangeInvalid(_("A store's price change sets its retail price only."))
    if timezone.is_naive(effective_at):
        raise PriceChangeInvalid(_("The effective time needs a time zone."))
    change = PriceChange.objects.create(
        sku=sku,
        store=store,
        retail_price_fen=retail_price_fen,
        member_price_fen=member_price_fen,
        cost_price_fen=cost_price_fen,
        effective_at=effective_at,
        created_by_id=actor_id,
    )
    audit_record(
        action="price.schedule",
        obj=sku,
        actor_id=actor_id,
        store_id=store.pk if store else None,
        after={
            "price_change_id": change.pk,
            "effective_at": effective_at.isoformat(),
            "retail_price_fen": retail_price_fen,
            "member_price_fen": member_price_fen,
            "cost_price_fen": cost_price_fen,
        },
    )
    return change


@transaction.atomic
def price_change_cancel(*, change: PriceChange, actor_id: int | None = None) -> bool:
    """Cancel a pending change; False when it was already applied or cancelled."""
    cancelled = PriceChange.objects.filter(pk=change.pk, status=PriceChange.Status.PENDING).update(
        status=PriceChange.Status.CANCELLED
    )
    if cancelled:
        audit_record(
            action="price.schedule_cancel", obj=change.sku, actor_id=actor_id, before={"id": change.pk}
        )
    return bool(cancelled)


def price_changes_apply_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """Apply every pending change whose time has come, oldest first, each in its own transaction.

    A change is claimed with a guarded UPDATE (pending → applied), so two workers never apply it
    twice; it is applied through the audited price services as its creator."""
    now = now or timezone.now()
    due = list(
        PriceChange.objects.filter(status=PriceChange.Status.PENDING, effective_at__lte=now)
        .order_by("effective_at", "id")
        .values_list("id", flat=True)[:limit]
    )
    applied = 0
    for change_id in due:
        with transaction.atomic():
            catalog_write_begin()
            claimed = PriceChange.objects.filter(pk=change_id, status=PriceChange.Status.PENDING).update(
                status=PriceChange.Status.APPLIED, applied_at=now
            )
            if not claimed:
                continue
            change = PriceChange.objects.select_related("sku", "store").get(pk=change_id)
            if change.store is not None:
                store_price_set(
                    store=change.store,
                    sku=change.sku,
                    retail_price_fen=change.retail_price_fen,
                    actor_id=change.created_by_id,
                    reason=f"scheduled #{change.pk}",
                )
            else:
                sku_price_set(
                    sku=change.sku,
                    retail_price_fen=change.retail_price_fen,
                    member_price_fen=change.member_price_fen,
                    cost_price_fen=change.cost_price_fen,
                    actor_id=change.created_by_id,
                    reason=f"scheduled #{change.pk}",
                )
            applied += 1
    return applied


# --- barcodes ----------------------------------------------------------------------------------


def _barcodes_insert(sku: SKU, codes: list[str]) -> list[Barcode]:
    has_primary = Barcode.objects.filter(sku=sku, is_primary=True).exists()
    rows = [
        Barcode(sku=sku, code=code, is_primary=not has_primary and index == 0)
        for index, code in enumerate(codes)
    ]
    try:
        with transaction.atomic():
            return Barcode.objects.bulk_create(rows)
    except IntegrityError:
        taken = list(Barcode.objects.filter(code__in=codes).values_list("code", flat=True))
        raise BarcodeTaken(details={"barcodes": taken}) from None


def _instore_barcode_insert(sku: SKU) -> Barcode:
    prefix = scale_barcode_format().instore_prefix
    for _attempt in range(50):
        number = counter_take(name=INSTORE_BARCODE_COUNTER)
        body = f"{prefix}{number:010d}"
        code = body + gs1_check_digit(body)
        try:
            return _barcodes_insert(sku, [code])[0]
        except BarcodeTaken:
            continue  # someone typed this in-store code by hand: take the next number
    raise BarcodeTaken(_("Could not find a free in-store barcode."))


@transaction.atomic
def barcode_add(*, sku: SKU, code: str, is_primary: bool = False, actor_id: int | None = None) -> Barcode:
    """Add a barcode to a SKU (a SKU has any number); the check digit must be right and the code free.
    The first barcode of a SKU, or one added with is_primary, becomes its primary (printed) barcode."""
    code = (code or "").strip()
    barcode_validate(code)
    catalog_write_begin()
    if is_primary:
        Barcode.objects.filter(sku=sku, is_primary=True).update(is_primary=False)
    barcode = _barcodes_insert(sku, [code])[0]
    skus_touch(sku_ids=[sku.pk])
    audit_record(action="barcode.add", obj=sku, actor_id=actor_id, after={"barcode": code})
    return barcode


@transaction.atomic
def barcode_remove(*, barcode: Barcode, actor_id: int | None = None) -> None:
    """Remove a barcode; if it was the primary one, the SKU's oldest remaining barcode becomes primary."""
    catalog_write_begin()
    sku_id = barcode.sku_id
    Barcode.objects.filter(pk=barcode.pk).delete()
    if barcode.is_primary:
        successor = Barcode.objects.filter(sku_id=sku_id).order_by("id").first()
        if successor is not None:
            Barcode.objects.filter(pk=successor.pk).update(is_primary=True)
    skus_touch(sku_ids=[sku_id])
    audit_record(
        action="barcode.remove", obj=barcode.sku, actor_id=actor_id, before={"barcode": barcode.code}
    )


@transaction.atomic
def barcode_generate_instore(*, sku: SKU, actor_id: int | None = None) -> Barcode:
    """Give a SKU a new in-store EAN-13 (prefix 20–29, valid check digit, unique, never a scale code)."""
    catalog_write_begin()
    barcode = _instore_barcode_insert(sku)
    skus_touch(sku_ids=[sku.pk])
    audit_record(
        action="barcode.add", obj=sku, actor_id=actor_id, after={"barcode": barcode.code, "generated": True}
    )
    return barcode


@transaction.atomic
def barcodes_generate_missing(*, sku_ids: Iterable[int], actor_id: int | None = None) -> list[Barcode]:
    """An in-store barcode for every one of these SKUs that has none yet."""
    catalog_write_begin()
    missing = list(SKU.objects.filter(pk__in=list(sku_ids), barcodes__isnull=True).order_by("pk"))
    created = [_instore_barcode_insert(sku) for sku in missing]
    if missing:
        skus_touch(sku_ids=[sku.pk for sku in missing])
        audit_record(
            action="barcode.generate",
            actor_id=actor_id,
            after={"barcodes": [barcode.code for barcode in created]},
        )
    return created
