"""Stocktakes: open a count sheet, record counts, post the variances as stock moves once, or cancel."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from mendian.catalog.models import SKU, Category, Product
from mendian.core.services import audit_record
from mendian.inventory.errors import ClientIdReused, LineInvalid, StocktakeClosed, StocktakeSkuOutOfScope
from mendian.inventory.models import StockLevel, StockMove, Stocktake, StocktakeLine
from mendian.inventory.services.adjustments import _skus_require
from mendian.inventory.services.levels import StockChange, stock_apply
from mendian.inventory.services.transfers import _number
from mendian.stores.models import Store

Reason = StockMove.Reason


def _category_tree_ids(category_ids: Iterable[int]) -> set[int]:
    found = set(category_ids)
    frontier = set(found)
    while frontier:
        frontier = set(Category.objects.filter(parent_id__in=frontier).values_list("id", flat=True)) - found
        found |= frontier
    return found


def _stocktake_repeat(existing: Stocktake, *, store: Store) -> Stocktake:
    """The first count sheet of a client_id, provided the repeat is for the same store."""
    if existing.store_id != store.pk:
        raise ClientIdReused()
    return existing


@transaction.atomic
def stocktake_create(
    *,
    store: Store,
    actor_id: int | None,
    category_ids: Sequence[int] = (),
    is_blind: bool = False,
    note: str = "",
    client_id: uuid.UUID | None = None,
) -> Stocktake:
    """Open a count sheet: every stocked goods SKU of the store, or of the given categories (and their
    sub-categories), with the quantity expected now. A repeat client_id returns the first sheet, also when
    it runs at the same time as the first (the unique constraint on client_id decides)."""
    if client_id is not None:
        existing = Stocktake.objects.filter(client_id=client_id).first()
        if existing is not None:
            return _stocktake_repeat(existing, store=store)
    categories = list(Category.objects.filter(pk__in=set(category_ids)))
    if len(categories) != len(set(category_ids)):
        raise StocktakeSkuOutOfScope(details={"category_ids": sorted(category_ids)})
    try:
        # In a savepoint, so that when a repeat running alongside inserted the client_id first, this
        # transaction survives the refused insert and reads the winner.
        with transaction.atomic():
            stocktake = Stocktake.objects.create(
                number=_number("PD"),
                store=store,
                scope=Stocktake.Scope.PARTIAL if categories else Stocktake.Scope.FULL,
                is_blind=is_blind,
                note=note,
                client_id=client_id,
                created_by_id=actor_id,
            )
    except IntegrityError:
        winner = Stocktake.objects.filter(client_id=client_id).first() if client_id else None
        if winner is None:
            raise
        return _stocktake_repeat(winner, store=store)
    if categories:
        stocktake.categories.set(categories)
    on_hand = dict(StockLevel.objects.filter(store=store).values_list("sku_id", "on_hand_qty"))
    skus = SKU.objects.filter(product__kind=Product.Kind.GOODS).filter(
        Q(is_active=True, product__is_active=True)
        | Q(pk__in=[sku_id for sku_id, qty in on_hand.items() if qty])
    )
    if categories:
        skus = skus.filter(product__category_id__in=_category_tree_ids(c.pk for c in categories))
    StocktakeLine.objects.bulk_create(
        [
            StocktakeLine(stocktake=stocktake, sku_id=sku_id, expected_qty=on_hand.get(sku_id, 0))
            for sku_id in skus.order_by("code").values_list("id", flat=True)
        ]
    )
    audit_record(action="stocktake.create", obj=stocktake, actor_id=actor_id, store_id=store.pk)
    return stocktake


@dataclass(frozen=True)
class CountEntry:
    """A count of one SKU: `add=True` adds to what was counted (each scan is +1), else sets it."""

    sku_id: int
    qty: int
    add: bool = False


@transaction.atomic
def stocktake_count(
    *, stocktake: Stocktake, entries: Sequence[CountEntry], actor_id: int | None
) -> list[StocktakeLine]:
    """Record counts on an open sheet. A SKU found that is not on the sheet is added (if in scope)."""
    locked = Stocktake.objects.select_for_update().filter(pk=stocktake.pk).first()
    if locked is None or locked.status != Stocktake.Status.COUNTING:
        raise StocktakeClosed()
    if not entries:
        raise LineInvalid()
    skus = _skus_require(entry.sku_id for entry in entries)
    lines = {
        line.sku_id: line for line in StocktakeLine.objects.filter(stocktake=stocktake, sku_id__in=list(skus))
    }
    missing = [sku_id for sku_id in skus if sku_id not in lines]
    if missing:
        if locked.scope == Stocktake.Scope.PARTIAL:
            in_scope = _category_tree_ids(locked.categories.values_list("id", flat=True))
            outside = [sku_id for sku_id in missing if skus[sku_id].product.category_id not in in_scope]
            if outside:
                raise StocktakeSkuOutOfScope(details={"sku_ids": outside})
        on_hand = dict(
            StockLevel.objects.filter(store_id=locked.store_id, sku_id__in=missing).values_list(
                "sku_id", "on_hand_qty"
            )
        )
        for line in StocktakeLine.objects.bulk_create(
            [
                StocktakeLine(stocktake=locked, sku_id=sku_id, expected_qty=on_hand.get(sku_id, 0))
                for sku_id in missing
            ]
        ):
            lines[line.sku_id] = line
    now = timezone.now()
    for entry in entries:
        line = lines[entry.sku_id]
        new_qty = (line.counted_qty or 0) + entry.qty if entry.add else entry.qty
        if new_qty < 0:
            raise LineInvalid(details={"sku_id": entry.sku_id, "qty": new_qty})
        line.counted_qty = new_qty
        line.counted_at = now
        line.counted_by_id = actor_id
    changed = list(lines.values())
    StocktakeLine.objects.bulk_update(changed, ["counted_qty", "counted_at", "counted_by"])
    return changed


@transaction.atomic
def stocktake_post(
    *, stocktake: Stocktake, actor_id: int | None, uncounted_as_zero: bool = False
) -> list[StockMove]:
    """Post the count in one step: each counted SKU's stock becomes the counted quantity through
    stocktake moves (check_available=False). A sheet is posted once; a second post is refused."""
    updated = Stocktake.objects.filter(pk=stocktake.pk, status=Stocktake.Status.COUNTING).update(
        status=Stocktake.Status.POSTED, posted_at=timezone.now(), posted_by_id=actor_id
    )
    if not updated:
        raise StocktakeClosed()
    lines = list(StocktakeLine.objects.filter(stocktake=stocktake))
    if not uncounted_as_zero:
        lines = [line for line in lines if line.counted_qty is not None]
    sku_ids = [line.sku_id for line in lines]
    # Lock the levels first so the variance is computed from the quantity the moves will change.
    on_hand = dict(
        StockLevel.objects.select_for_update()
        .filter(store_id=stocktake.store_id, sku_id__in=sku_ids)
        .order_by("pk")
        .values_list("sku_id", "on_hand_qty")
    )
    changes: list[StockChange] = []
    for line in lines:
        line.posted_variance_qty = (line.counted_qty or 0) - on_hand.get(line.sku_id, 0)
        if line.posted_variance_qty:
            changes.append(StockChange(line.sku_id, line.posted_variance_qty))
    StocktakeLine.objects.bulk_update(lines, ["posted_variance_qty"])
    moves = stock_apply(
        store=Store.objects.get(pk=stocktake.store_id),
        changes=changes,
        reason=Reason.STOCKTAKE,
        source_type="stocktake",
        source_id=str(stocktake.pk),
        actor_id=actor_id,
        note=stocktake.number,
        check_available=False,
    )
    stocktake.refresh_from_db()
    audit_record(
        action="stocktake.post",
        obj=stocktake,
        actor_id=actor_id,
        store_id=stocktake.store_id,
        after={"variances": [{"sku_id": c.sku_id, "qty": c.qty} for c in changes]},
    )
    return moves


@transaction.atomic
def stocktake_cancel(*, stocktake: Stocktake, actor_id: int | None) -> Stocktake:
    """Drop an unposted count sheet; stock is unchanged."""
    if not Stocktake.objects.filter(pk=stocktake.pk, status=Stocktake.Status.COUNTING).update(
        status=Stocktake.Status.CANCELLED
    ):
        raise StocktakeClosed()
    stocktake.refresh_from_db()
    audit_record(action="stocktake.cancel", obj=stocktake, actor_id=actor_id, store_id=stocktake.store_id)
    return stocktake
