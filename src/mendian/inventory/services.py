"""Every change of stock goes through stock_apply: the level rows and the moves change together."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from mendian.inventory.errors import StockInsufficient
from mendian.inventory.models import StockLevel, StockMove
from mendian.stores.models import Store


@dataclass(frozen=True)
class StockChange:
    """A signed quantity for one SKU: negative takes stock out, positive puts it in."""

    sku_id: int
    qty: int


@transaction.atomic
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

    Levels are locked in pk order and re-checked inside the lock: when a product (or else the store)
    does not allow negative stock, a change that would take on-hand below zero raises
    StockInsufficient and nothing is written. `check_available=False` is for corrections that must
    be recorded whatever the balance (a stocktake posts the counted quantity).
    """
    net: dict[int, int] = defaultdict(int)
    for change in changes:
        net[change.sku_id] += change.qty
    net = {sku_id: qty for sku_id, qty in net.items() if qty}
    if not net:
        return []
    StockLevel.objects.bulk_create(
        [StockLevel(store_id=store.pk, sku_id=sku_id) for sku_id in net], ignore_conflicts=True
    )
    levels = list(
        StockLevel.objects.select_for_update(of=("self",))
        .filter(store_id=store.pk, sku_id__in=list(net))
        .select_related("sku__product")
        .order_by("pk")
    )
    short: list[dict[str, int]] = []
    now = timezone.now()
    for level in levels:
        new_qty = level.on_hand_qty + net[level.sku_id]
        allow_negative = level.sku.product.allow_negative_stock
        if allow_negative is None:
            allow_negative = store.allow_negative_stock
        if check_available and net[level.sku_id] < 0 and new_qty < 0 and not allow_negative:
            short.append({"sku_id": level.sku_id, "on_hand_qty": level.on_hand_qty, "requested_qty": -net[level.sku_id]})
        level.on_hand_qty = new_qty
        level.updated_at = now
    if short:
        raise StockInsufficient(details={"lines": short})
    StockLevel.objects.bulk_update(levels, ["on_hand_qty", "updated_at"])
    return StockMove.objects.bulk_create(
        [
            StockMove(
                store_id=store.pk,
                sku_id=level.sku_id,
                qty=net[level.sku_id],
                balance_after=level.on_hand_qty,
                reason=reason,
                source_type=source_type,
                source_id=source_id,
                actor_id=actor_id,
                note=note,
            )
            for level in levels
        ]
    )
