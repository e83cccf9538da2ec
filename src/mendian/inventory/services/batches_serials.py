"""Batches and serial numbers: batch_create, and the helpers with which stock_apply allocates batches
first-expiry-first-out and moves serial numbers."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q

from mendian.catalog.models import SKU, Product
from mendian.inventory.errors import (
    BatchDatesConflict,
    BatchExpired,
    BatchInsufficient,
    BatchInvalid,
    SerialCountMismatch,
    SerialDuplicate,
    SerialRequired,
    SerialUnavailable,
)
from mendian.inventory.models import Batch, BatchStock, SerialNumber, StockMove
from mendian.stores.models import Store

Reason = StockMove.Reason
SerialStatus = SerialNumber.Status


@dataclass
class _Move:
    sku_id: int
    qty: int
    batch_id: int | None = None
    serials: list[str] = field(default_factory=list)


def _serial_target_status(reason: str, qty: int) -> str:
    if qty < 0:
        if reason == Reason.SALE:
            return SerialStatus.SOLD
        if reason == Reason.TRANSFER_OUT:
            return SerialStatus.IN_TRANSIT
        return SerialStatus.REMOVED
    if reason == Reason.RETURN:
        return SerialStatus.RETURNED
    return SerialStatus.IN_STOCK


def _serial_may_move(serial: SerialNumber, *, store_id: int, reason: str, qty: int) -> bool:
    """Which units a change may take: out of stock only what this store holds; back only what left it."""
    if qty < 0:
        return serial.store_id == store_id and serial.status in SerialNumber.AVAILABLE
    if reason == Reason.RETURN:
        return serial.status == SerialStatus.SOLD
    if reason == Reason.TRANSFER_IN:
        return serial.status == SerialStatus.IN_TRANSIT
    return serial.status == SerialStatus.REMOVED


def _serials_validate(moves: Iterable[_Move], products: dict[int, Product], reason: str) -> None:
    seen: set[tuple[int, str]] = set()
    for move in moves:
        product = products[move.sku_id]
        if not move.serials:
            if product.tracks_serials and reason == Reason.SALE and move.qty < 0:
                raise SerialRequired(details={"sku_id": move.sku_id, "qty": -move.qty})
            continue
        if len(move.serials) != abs(move.qty):
            raise SerialCountMismatch(
                details={"sku_id": move.sku_id, "qty": abs(move.qty), "serial_count": len(move.serials)}
            )
        for serial in move.serials:
            if not serial or (move.sku_id, serial) in seen:
                raise SerialCountMismatch(details={"sku_id": move.sku_id, "serial": serial})
            seen.add((move.sku_id, serial))


def _serials_fetch(moves: list[_Move]) -> dict[tuple[int, str], SerialNumber]:
    wanted = {(move.sku_id, serial) for move in moves for serial in move.serials}
    if not wanted:
        return {}
    rows = (
        SerialNumber.objects.select_for_update()
        .filter(
            sku_id__in={sku_id for sku_id, _serial in wanted}, serial__in={serial for _sku, serial in wanted}
        )
        .order_by("pk")
    )
    return {(row.sku_id, row.serial): row for row in rows if (row.sku_id, row.serial) in wanted}


def _serials_move(
    store: Store,
    moves: list[_Move],
    rows: dict[tuple[int, str], SerialNumber],
    products: dict[int, Product],
    *,
    reason: str,
    now: Any,
) -> tuple[list[SerialNumber], list[SerialNumber]]:
    created: list[SerialNumber] = []
    changed: list[SerialNumber] = []
    for move in moves:
        for serial in move.serials:
            row = rows.get((move.sku_id, serial))
            target = _serial_target_status(reason, move.qty)
            if row is None:
                if move.qty < 0 or reason in (Reason.RETURN, Reason.TRANSFER_IN):
                    raise SerialUnavailable(details={"sku_id": move.sku_id, "serial": serial})
                created.append(
                    SerialNumber(
                        sku_id=move.sku_id,
                        serial=serial,
                        store_id=store.pk,
                        status=target,
                        batch_id=move.batch_id,
                    )
                )
                continue
            if not _serial_may_move(row, store_id=store.pk, reason=reason, qty=move.qty):
                error = (
                    SerialDuplicate
                    if move.qty > 0 and row.status in SerialNumber.AVAILABLE
                    else SerialUnavailable
                )
                raise error(details={"sku_id": move.sku_id, "serial": serial, "status": row.status})
            row.status = target
            row.store_id = store.pk
            row.updated_at = now
            changed.append(row)
    return created, changed


def _batches_allocate(
    store: Store, moves: list[_Move], products: dict[int, Product], *, reason: str, today: date
) -> tuple[list[_Move], list[BatchStock], dict[int, int]]:
    """Split outgoing changes of batch-tracked products over batches, earliest expiry first, and
    apply every batch delta to its BatchStock row (locked). Returns the final moves, the changed rows
    and, per SKU picked FEFO, the quantity held in batches before the change."""
    named = {move.batch_id for move in moves if move.batch_id is not None}
    if named:
        batches = {batch.pk: batch for batch in Batch.objects.filter(pk__in=named)}
        for move in moves:
            if move.batch_id is not None and (
                move.batch_id not in batches or batches[move.batch_id].sku_id != move.sku_id
            ):
                raise BatchInvalid(details={"sku_id": move.sku_id, "batch_id": move.batch_id})
        BatchStock.objects.bulk_create(
            [BatchStock(store_id=store.pk, sku_id=batches[pk].sku_id, batch_id=pk) for pk in sorted(named)],
            ignore_conflicts=True,
        )
    fefo_skus = {
        move.sku_id
        for move in moves
        if move.batch_id is None and move.qty < 0 and products[move.sku_id].tracks_batches
    }
    rows = list(
        BatchStock.objects.select_for_update(of=("self",))
        .filter(Q(batch_id__in=named) | Q(sku_id__in=fefo_skus, qty__gt=0), store_id=store.pk)
        .select_related("batch")
        .order_by("pk")
    )
    by_batch = {row.batch_id: row for row in rows}
    batched_qty = {sku_id: 0 for sku_id in fefo_skus}
    for row in rows:
        if row.sku_id in batched_qty:
            batched_qty[row.sku_id] += row.qty
    candidates: dict[int, list[BatchStock]] = defaultdict(list)
    for row in sorted(rows, key=lambda r: (r.batch.expiry_date or date.max, r.batch_id)):
        if row.qty > 0:
            candidates[row.sku_id].append(row)
    result: list[_Move] = []
    changed: dict[int, BatchStock] = {}
    for move in moves:
        if move.batch_id is not None:
            row = by_batch[move.batch_id]
            if (
                reason == Reason.SALE
                and move.qty < 0
                and row.batch.expiry_date
                and row.batch.expiry_date < today
            ):
                raise BatchExpired(details={"sku_id": move.sku_id, "batch_id": move.batch_id})
            if row.qty + move.qty < 0:
                raise BatchInsufficient(
                    details={
                        "sku_id": move.sku_id,
                        "batch_id": move.batch_id,
                        "qty": row.qty,
                        "requested_qty": -move.qty,
                    }
                )
            row.qty += move.qty
            changed[row.pk] = row
            result.append(move)
            continue
        if move.qty > 0 or move.sku_id not in fefo_skus or move.serials:
            result.append(move)
            continue
        remaining = -move.qty
        for row in candidates[move.sku_id]:
            if remaining == 0:
                break
            expired = row.batch.expiry_date is not None and row.batch.expiry_date < today
            if row.qty <= 0 or (reason == Reason.SALE and expired):
                continue
            taken = min(row.qty, remaining)
            row.qty -= taken
            remaining -= taken
            changed[row.pk] = row
            result.append(_Move(move.sku_id, -taken, row.batch_id))
        if remaining:
            result.append(_Move(move.sku_id, -remaining, None))
    return result, list(changed.values()), batched_qty


@transaction.atomic
def batch_create(
    *, sku: SKU, batch_no: str, production_date: date | None = None, expiry_date: date | None = None
) -> Batch:
    """A batch of a SKU; asking again with the same number and dates returns the same batch, with other
    dates it is refused (a unique constraint, not a look-up, stops a duplicate)."""
    batch_no = batch_no.strip()
    if not batch_no:
        raise BatchInvalid()
    if production_date and expiry_date and expiry_date < production_date:
        raise BatchInvalid(details={"expiry_date": str(expiry_date)})
    try:
        with transaction.atomic():
            return Batch.objects.create(
                sku=sku, batch_no=batch_no, production_date=production_date, expiry_date=expiry_date
            )
    except IntegrityError:
        existing = Batch.objects.get(sku=sku, batch_no=batch_no)
    if existing.production_date != production_date or existing.expiry_date != expiry_date:
        raise BatchDatesConflict(details={"batch_id": existing.pk})
    return existing
