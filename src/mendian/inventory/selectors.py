"""Reads of the inventory: levels, moves, documents and reports, always scoped to the caller's stores."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import F, Max, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone

from mendian.core.errors import NotFound
from mendian.inventory.models import (
    Alert,
    Batch,
    SerialNumber,
    StockAdjustment,
    StockLevel,
    StockMove,
    Stocktake,
    StocktakeLine,
    Transfer,
    TransferLine,
)
from mendian.stores.selectors import scope_to_stores, staff_store_ids, store_access_check


def stock_levels(
    *, user: object, store_id: int | None = None, sku_id: int | None = None, category_id: int | None = None
) -> QuerySet[StockLevel]:
    levels = scope_to_stores(StockLevel.objects.select_related("sku__product"), user)
    if store_id is not None:
        store_access_check(user, store_id)
        levels = levels.filter(store_id=store_id)
    if sku_id is not None:
        levels = levels.filter(sku_id=sku_id)
    if category_id is not None:
        levels = levels.filter(sku__product__category_id=category_id)
    return levels.order_by("store_id", "sku__code")


def stock_moves(
    *,
    user: object,
    store_id: int | None = None,
    sku_id: int | None = None,
    reason: str | None = None,
    source_type: str | None = None,
    source_id: str | None = None,
) -> QuerySet[StockMove]:
    """The ledger, newest first; the movement history of a SKU is this filtered by sku_id."""
    moves = scope_to_stores(StockMove.objects.all(), user)
    if store_id is not None:
        store_access_check(user, store_id)
        moves = moves.filter(store_id=store_id)
    if sku_id is not None:
        moves = moves.filter(sku_id=sku_id)
    if reason:
        moves = moves.filter(reason=reason)
    if source_type:
        moves = moves.filter(source_type=source_type)
    if source_id:
        moves = moves.filter(source_id=source_id)
    return moves.order_by("-id")


def adjustment_get(*, user: object, adjustment_id: int) -> StockAdjustment:
    adjustment = scope_to_stores(StockAdjustment.objects.all(), user).filter(pk=adjustment_id).first()
    if adjustment is None:
        raise NotFound()
    return adjustment


def transfers_visible(*, user: object) -> QuerySet[Transfer]:
    """A transfer is visible to the staff of either of its stores."""
    transfers = Transfer.objects.select_related("from_store", "to_store")
    store_ids = staff_store_ids(user)
    if store_ids is None:
        return transfers
    return transfers.filter(Q(from_store_id__in=store_ids) | Q(to_store_id__in=store_ids))


def transfer_get(*, user: object, transfer_id: int) -> Transfer:
    transfer = transfers_visible(user=user).filter(pk=transfer_id).first()
    if transfer is None:
        raise NotFound()
    return transfer


def stock_in_transit(*, user: object, store_id: int | None = None) -> list[dict[str, Any]]:
    """Quantities shipped and not yet received, per source store, destination store and SKU."""
    lines = TransferLine.objects.filter(transfer__status=Transfer.Status.SHIPPED)
    store_ids = staff_store_ids(user)
    if store_ids is not None:
        lines = lines.filter(
            Q(transfer__from_store_id__in=store_ids) | Q(transfer__to_store_id__in=store_ids)
        )
    if store_id is not None:
        store_access_check(user, store_id)
        lines = lines.filter(Q(transfer__from_store_id=store_id) | Q(transfer__to_store_id=store_id))
    rows = (
        lines.values(
            "sku_id", from_store_id=F("transfer__from_store_id"), to_store_id=F("transfer__to_store_id")
        )
        .annotate(qty=Sum("shipped_qty"))
        .order_by("to_store_id", "sku_id")
    )
    return list(rows)


def stocktakes_visible(*, user: object) -> QuerySet[Stocktake]:
    return scope_to_stores(Stocktake.objects.all(), user)


def stocktake_get(*, user: object, stocktake_id: int) -> Stocktake:
    stocktake = stocktakes_visible(user=user).filter(pk=stocktake_id).first()
    if stocktake is None:
        raise NotFound()
    return stocktake


def stocktake_lines(*, stocktake: Stocktake) -> QuerySet[StocktakeLine]:
    return stocktake.lines.select_related("sku__product").order_by("sku__code")


def stocktake_variance(*, stocktake: Stocktake) -> list[dict[str, Any]]:
    """Per counted line: counted, on hand now (or posted), variance and its cost value in fen."""
    on_hand = dict(
        StockLevel.objects.filter(store_id=stocktake.store_id).values_list("sku_id", "on_hand_qty")
    )
    rows = []
    for line in stocktake_lines(stocktake=stocktake):
        if line.counted_qty is None:
            continue
        if line.posted_variance_qty is not None:
            variance = line.posted_variance_qty
            current = line.counted_qty - variance
        else:
            current = on_hand.get(line.sku_id, 0)
            variance = line.counted_qty - current
        rows.append(
            {
                "sku_id": line.sku_id,
                "sku_code": line.sku.code,
                "name": str(line.sku),
                "expected_qty": line.expected_qty,
                "counted_qty": line.counted_qty,
                "on_hand_qty": current,
                "variance_qty": variance,
                "variance_cost_fen": variance * line.sku.cost_price_fen,
            }
        )
    return rows


def alerts_visible(
    *, user: object, store_id: int | None = None, status: str | None = None
) -> QuerySet[Alert]:
    alerts = scope_to_stores(Alert.objects.select_related("sku__product", "batch"), user)
    if store_id is not None:
        store_access_check(user, store_id)
        alerts = alerts.filter(store_id=store_id)
    if status:
        alerts = alerts.filter(status=status)
    return alerts.order_by("-id")


def alert_get(*, user: object, alert_id: int) -> Alert:
    alert = alerts_visible(user=user).filter(pk=alert_id).first()
    if alert is None:
        raise NotFound()
    return alert


def batches_of(*, sku_id: int) -> QuerySet[Batch]:
    return Batch.objects.filter(sku_id=sku_id).order_by("expiry_date", "id")


def serials_visible(
    *, user: object, store_id: int | None = None, sku_id: int | None = None, status: str | None = None
) -> QuerySet[SerialNumber]:
    serials = scope_to_stores(SerialNumber.objects.all(), user)
    if store_id is not None:
        store_access_check(user, store_id)
        serials = serials.filter(store_id=store_id)
    if sku_id is not None:
        serials = serials.filter(sku_id=sku_id)
    if status:
        serials = serials.filter(status=status)
    return serials.order_by("serial")


# --- reports ---------------------------------------------------------------------------------------


def report_on_hand(
    *, user: object, store_id: int | None = None, by_category: bool = True
) -> list[dict[str, Any]]:
    """Stock on hand per store (and category) with its cost value: cost_price_fen × qty."""
    levels = scope_to_stores(StockLevel.objects.all(), user)
    if store_id is not None:
        store_access_check(user, store_id)
        levels = levels.filter(store_id=store_id)
    keys = (
        ["store_id", "sku__product__category_id", "sku__product__category__name"]
        if by_category
        else ["store_id"]
    )
    rows = (
        levels.values(*keys)
        .annotate(qty=Sum("on_hand_qty"), cost_value_fen=Sum(F("on_hand_qty") * F("sku__cost_price_fen")))
        .order_by(*keys)
    )
    return [
        {
            "store_id": row["store_id"],
            "category_id": row.get("sku__product__category_id"),
            "category_name": row.get("sku__product__category__name") or "",
            "qty": row["qty"] or 0,
            "cost_value_fen": row["cost_value_fen"] or 0,
        }
        for row in rows
    ]


def report_slow_movers(*, user: object, store_id: int, days: int = 30) -> list[dict[str, Any]]:
    """SKUs with stock in the store and no sale in the last `days` days, oldest last sale first."""
    store_access_check(user, store_id)
    since = timezone.now() - timedelta(days=days)
    last_sale = (
        StockMove.objects.filter(store_id=store_id, sku_id=OuterRef("sku_id"), reason=StockMove.Reason.SALE)
        .values("sku_id")
        .annotate(last=Max("created_at"))
        .values("last")
    )
    levels = (
        StockLevel.objects.filter(store_id=store_id, on_hand_qty__gt=0)
        .annotate(last_sale_at=Subquery(last_sale))
        .filter(Q(last_sale_at__isnull=True) | Q(last_sale_at__lt=since))
        .select_related("sku__product")
        .order_by(F("last_sale_at").asc(nulls_first=True), "sku__code")
    )
    return [
        {
            "store_id": level.store_id,
            "sku_id": level.sku_id,
            "sku_code": level.sku.code,
            "name": str(level.sku),
            "on_hand_qty": level.on_hand_qty,
            "cost_value_fen": level.on_hand_qty * level.sku.cost_price_fen,
            "last_sale_at": level.last_sale_at,  # type: ignore[attr-defined]
        }
        for level in levels
    ]
