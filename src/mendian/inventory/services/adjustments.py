"""Stock adjustments: damage, samples or corrections as one document with its moves and an audit row."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence

from django.db import IntegrityError, transaction

from mendian.catalog.models import SKU
from mendian.core.services import audit_record
from mendian.inventory.errors import ClientIdReused, LineInvalid, SkuUnknown
from mendian.inventory.models import StockAdjustment
from mendian.inventory.services.levels import StockChange, stock_apply
from mendian.stores.models import Store


def _skus_require(sku_ids: Iterable[int]) -> dict[int, SKU]:
    wanted = set(sku_ids)
    skus = {sku.pk: sku for sku in SKU.objects.select_related("product").filter(pk__in=wanted)}
    if len(skus) != len(wanted):
        raise SkuUnknown(details={"sku_ids": sorted(wanted - set(skus))})
    return skus


def _lines_check(lines: Sequence[StockChange], *, positive: bool = False) -> dict[int, SKU]:
    if not lines:
        raise LineInvalid()
    for line in lines:
        if line.qty == 0 or (positive and line.qty < 0):
            raise LineInvalid(details={"sku_id": line.sku_id, "qty": line.qty})
    return _skus_require(line.sku_id for line in lines)


def _adjustment_repeat(existing: StockAdjustment, *, store: Store, reason: str) -> StockAdjustment:
    """The first adjustment of a client_id, provided the repeat is for the same store and reason."""
    if existing.store_id != store.pk or existing.reason != reason:
        raise ClientIdReused()
    return existing


@transaction.atomic
def stock_adjust(
    *,
    store: Store,
    reason: str,
    lines: Sequence[StockChange],
    actor_id: int | None,
    note: str = "",
    client_id: uuid.UUID | None = None,
) -> StockAdjustment:
    """Record damage, samples or a correction as one document with its moves and an audit row.

    A repeat with the same client_id returns the first document and changes nothing, also when it runs
    at the same time as the first: the unique constraint on client_id decides which one is first."""
    if reason not in StockAdjustment.Reason.values:
        raise LineInvalid(details={"reason": reason})
    if client_id is not None:
        existing = StockAdjustment.objects.filter(client_id=client_id).first()
        if existing is not None:
            return _adjustment_repeat(existing, store=store, reason=reason)
    _lines_check(lines)
    try:
        # In a savepoint, so that when a repeat running alongside inserted the client_id first, this
        # transaction survives the refused insert and reads the winner.
        with transaction.atomic():
            adjustment = StockAdjustment.objects.create(
                store=store, reason=reason, note=note, client_id=client_id, created_by_id=actor_id
            )
    except IntegrityError:
        winner = StockAdjustment.objects.filter(client_id=client_id).first() if client_id else None
        if winner is None:
            raise
        return _adjustment_repeat(winner, store=store, reason=reason)
    moves = stock_apply(
        store=store,
        changes=lines,
        reason=reason,
        source_type="adjustment",
        source_id=str(adjustment.pk),
        actor_id=actor_id,
        note=note,
    )
    audit_record(
        action="stock.adjust",
        obj=adjustment,
        actor_id=actor_id,
        store_id=store.pk,
        after={
            "reason": reason,
            "note": note,
            "lines": [
                {"sku_id": move.sku_id, "qty": move.qty, "balance_after": move.balance_after}
                for move in moves
            ],
        },
    )
    return adjustment
