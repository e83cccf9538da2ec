"""Every change of stock goes through stock_apply: the level rows, batch rows, serial numbers and the moves
change together, in a fixed number of queries whatever the number of lines."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from mendian.catalog.models import SKU, Product
from mendian.core.sql import placeholders, rows_insert, rows_update
from mendian.inventory.errors import SkuUnknown, StockInsufficient
from mendian.inventory.models import BatchStock, SerialNumber, StockLevel, StockMove
from mendian.inventory.services.batches_serials import (
    _batches_allocate,
    _Move,
    _serials_fetch,
    _serials_move,
    _serials_validate,
)
from mendian.stores.models import Store


@dataclass(frozen=True)
class StockChange:
    """A signed quantity for one SKU: negative takes stock out, positive puts it in.

    `serials` names the units of a serialized SKU (one per unit); `batch_id` names the batch, else an
    outgoing change of a batch-tracked product is picked first-expiry-first-out."""

    sku_id: int
    qty: int
    serials: tuple[str, ...] = ()
    batch_id: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.serials, tuple):
            object.__setattr__(self, "serials", tuple(self.serials))


def stock_apply(
    *,
    store: Store,
    changes: Iterable[StockChange],
    reason: str,
    source_type: str = "",
    source_id: str = "",
    actor_id: int | None = None,
    note: str = "",
    check_available: bool = True,
) -> list[StockMove]:
    """Apply several stock changes of one store in a fixed number of queries, whatever their count.

    Levels (then batch rows, then serial numbers) are locked in pk order and re-checked inside the
    lock: when a product (or else the store) does not allow negative stock, a change that would take
    on-hand below zero raises StockInsufficient and nothing is written. `check_available=False` is
    for corrections that must be recorded whatever the balance (a stocktake posts the counted
    quantity). A sale of a serialized SKU must name one available serial per unit; an outgoing
    change of a batch-tracked product that names no batch is taken first-expiry-first-out (expired
    batches are never sold). A batch's stock never goes below zero.
    """
    changes = [change for change in changes if change.qty]
    if not changes:
        return []
    # What every ledger row of this change records about where it came from.
    document = {
        "reason": reason,
        "source_type": source_type,
        "source_id": source_id,
        "actor_id": actor_id,
        "note": note,
    }
    if not connection.in_atomic_block:
        with transaction.atomic():
            return _stock_apply(store, changes, document, check_available)
    return _stock_apply(store, changes, document, check_available)


def _stock_apply(
    store: Store, changes: list[StockChange], document: dict[str, Any], check_available: bool
) -> list[StockMove]:
    """Plain SKUs with their level rows in place take three statements (lock, update, insert) and
    no savepoint: the check runs before any write, so a refusal leaves the caller's transaction
    usable. Anything else (batches, serials, a first sale in a store) takes the general path."""
    if not any(change.serials or change.batch_id is not None for change in changes):
        moves = _stock_apply_plain(store, changes, document, check_available)
        if moves is not None:
            return moves
    return _stock_apply_tracked(store, changes, document, check_available)


def _moves_group(changes: Iterable[StockChange]) -> dict[tuple[int, int | None, bool], _Move]:
    """One move per SKU, batch and direction."""
    groups: dict[tuple[int, int | None, bool], _Move] = {}
    for change in changes:
        key = (change.sku_id, change.batch_id, change.qty > 0)
        group = groups.setdefault(key, _Move(change.sku_id, 0, change.batch_id))
        group.qty += change.qty
        group.serials.extend(change.serials)
    return groups


def _ledger_write(
    store: Store,
    moves: list[_Move],
    levels: dict[int, tuple[int, int]],
    document: dict[str, Any],
    now: datetime,
) -> list[StockMove]:
    """Write the moves to the ledger, each with the SKU's balance after it, and the levels' new
    on-hand quantities. `levels`: SKU id → (level pk, on-hand quantity as locked)."""
    running = {sku_id: on_hand for sku_id, (_pk, on_hand) in levels.items()}
    entries: list[StockMove] = []
    for move in moves:
        running[move.sku_id] += move.qty
        entries.append(
            StockMove(
                store_id=store.pk,
                sku_id=move.sku_id,
                qty=move.qty,
                balance_after=running[move.sku_id],
                batch_id=move.batch_id,
                serials=move.serials,
                **document,
            )
        )
    rows_update(
        StockLevel,
        {pk: {"on_hand_qty": running[sku_id]} for sku_id, (pk, _on_hand) in levels.items()},
        updated_at=now,
    )
    rows_insert(entries)
    return entries


def _allows_negative(product_setting: bool | None, store: Store) -> bool:
    return store.allow_negative_stock if product_setting is None else product_setting


def _stock_apply_plain(
    store: Store, changes: list[StockChange], document: dict[str, Any], check_available: bool
) -> list[StockMove] | None:
    """The fast path, or None when a SKU tracks batches or serials or has no level row yet."""
    moves = list(_moves_group(changes).values())
    sku_ids = sorted({move.sku_id for move in moves})
    level_table = StockLevel._meta.db_table
    lock = " FOR UPDATE OF l" if connection.features.has_select_for_update_of else ""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT l.id, l.sku_id, l.on_hand_qty, p.tracks_batches, p.tracks_serials, p.allow_negative_stock "
            f"FROM {level_table} l JOIN {SKU._meta.db_table} s ON s.id = l.sku_id "
            f"JOIN {Product._meta.db_table} p ON p.id = s.product_id "
            f"WHERE l.store_id = %s AND l.sku_id IN ({placeholders(sku_ids)}) ORDER BY l.id{lock}",
            [store.pk, *sku_ids],
        )
        rows = cursor.fetchall()
    if len(rows) != len(sku_ids) or any(row[3] or row[4] for row in rows):
        return None
    net: dict[int, int] = defaultdict(int)
    for move in moves:
        net[move.sku_id] += move.qty
    short = [
        {"sku_id": sku_id, "on_hand_qty": on_hand, "requested_qty": -net[sku_id]}
        for _pk, sku_id, on_hand, _batches, _serials, allow_negative in rows
        if check_available
        and net[sku_id] < 0
        and on_hand + net[sku_id] < 0
        and not _allows_negative(allow_negative, store)
    ]
    if short:
        raise StockInsufficient(details={"lines": short})
    levels = {sku_id: (pk, on_hand) for pk, sku_id, on_hand, *_rest in rows}
    return _ledger_write(store, moves, levels, document, timezone.now())


@transaction.atomic
def _stock_apply_tracked(
    store: Store, changes: list[StockChange], document: dict[str, Any], check_available: bool
) -> list[StockMove]:
    """The general path: creates missing level rows, allocates batches, moves serial numbers."""
    reason = document["reason"]
    groups = _moves_group(changes)
    sku_ids = sorted({move.sku_id for move in groups.values()})
    StockLevel.objects.bulk_create(
        [StockLevel(store_id=store.pk, sku_id=sku_id) for sku_id in sku_ids], ignore_conflicts=True
    )
    levels = list(
        StockLevel.objects.select_for_update(of=("self",))
        .filter(store_id=store.pk, sku_id__in=sku_ids)
        .select_related("sku__product")
        .order_by("pk")
    )
    if len(levels) != len(sku_ids):
        raise SkuUnknown(details={"sku_ids": sorted(set(sku_ids) - {level.sku_id for level in levels})})
    products = {level.sku_id: level.sku.product for level in levels}
    today = timezone.localdate()

    _serials_validate(groups.values(), products, reason)
    moves = list(groups.values())
    batched_qty: dict[int, int] = {}
    if any(move.batch_id is not None or products[move.sku_id].tracks_batches for move in moves):
        moves, batch_stocks, batched_qty = _batches_allocate(
            store, moves, products, reason=reason, today=today
        )
    else:
        batch_stocks = []
    serial_rows = _serials_fetch(moves)

    net: dict[int, int] = defaultdict(int)
    unbatched_out: dict[int, int] = defaultdict(int)
    for move in moves:
        net[move.sku_id] += move.qty
        if move.batch_id is None and move.qty < 0:
            unbatched_out[move.sku_id] -= move.qty
    short: list[dict[str, int]] = []
    now = timezone.now()
    for level in levels:
        delta = net[level.sku_id]
        new_qty = level.on_hand_qty + delta
        allow_negative = _allows_negative(products[level.sku_id].allow_negative_stock, store)
        if not check_available or delta >= 0 or allow_negative:
            continue
        # What the batches could not give comes from stock outside any batch; expired batches are
        # not sellable, so they do not count towards it.
        unbatched_on_hand = level.on_hand_qty - batched_qty.get(level.sku_id, 0)
        if new_qty < 0 or (
            level.sku_id in batched_qty and unbatched_out[level.sku_id] > max(unbatched_on_hand, 0)
        ):
            short.append({"sku_id": level.sku_id, "on_hand_qty": level.on_hand_qty, "requested_qty": -delta})
    if short:
        raise StockInsufficient(details={"lines": short})

    new_serials, changed_serials = _serials_move(store, moves, serial_rows, products, reason=reason, now=now)

    rows_update(BatchStock, {row.pk: {"qty": row.qty} for row in batch_stocks})
    if new_serials:
        SerialNumber.objects.bulk_create(new_serials)
    rows_update(
        SerialNumber,
        {row.pk: {"status": row.status, "store": row.store_id} for row in changed_serials},
        updated_at=now,
    )
    levels_locked = {level.sku_id: (level.pk, level.on_hand_qty) for level in levels}
    return _ledger_write(store, moves, levels_locked, document, now)
