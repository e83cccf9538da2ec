"""API of the inventory app (mounted at /api/v1/inventory/): parse, authorize, call a service, serialize.

Every read is scoped to the caller's stores: another store's data answers 404. Creating endpoints
accept a client-generated `client_id` (and the Idempotency-Key header), so a retry creates nothing new."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from mendian.catalog.models import SKU
from mendian.inventory import selectors, services
from mendian.inventory.errors import SkuUnknown
from mendian.inventory.models import Alert, StockMove, Stocktake, Transfer
from mendian.inventory.schemas import (
    AdjustmentIn,
    AdjustmentOut,
    AlertOut,
    BatchIn,
    BatchOut,
    CountsIn,
    InTransitOut,
    OnHandRowOut,
    PostIn,
    SerialOut,
    SlowMoverOut,
    StockChangeIn,
    StockLevelOut,
    StockMoveOut,
    StocktakeIn,
    StocktakeLineOut,
    StocktakeOut,
    StocktakeSummaryOut,
    TransferIn,
    TransferOut,
    TransferReceiveIn,
    VarianceOut,
)
from mendian.stores.selectors import permission_check, store_access_check, store_get

router = Router(tags=["inventory"])

MAX_PAGE = 500
# As deep as any list is paged (the sales order list has the same bound); SQLite writes the offset into
# the SQL, so a larger one (2**63) failed there as a 500 instead of a validation error.
MAX_OFFSET = 1_000_000


class Page(Schema):
    limit: int = Field(default=100, ge=1, le=MAX_PAGE)
    offset: int = Field(default=0, ge=0, le=MAX_OFFSET)


def _changes(lines: list[StockChangeIn]) -> list[services.StockChange]:
    return [services.StockChange(line.sku_id, line.qty, tuple(line.serials), line.batch_id) for line in lines]


def _move_out(move: StockMove) -> dict[str, Any]:
    return {
        "id": move.pk,
        "store_id": move.store_id,
        "sku_id": move.sku_id,
        "qty": move.qty,
        "balance_after": move.balance_after,
        "reason": move.reason,
        "source_type": move.source_type,
        "source_id": move.source_id,
        "actor_id": move.actor_id,
        "note": move.note,
        "batch_id": move.batch_id,
        "serials": move.serials or [],
        "created_at": move.created_at,
    }


# --- stock levels and moves ------------------------------------------------------------------------


@router.get("/levels", response=list[StockLevelOut], summary="Stock levels (on hand) per store × SKU")
def level_list(
    request: HttpRequest,
    page: Query[Page],
    store_id: int | None = None,
    sku_id: int | None = None,
    category_id: int | None = None,
) -> list[dict[str, Any]]:
    permission_check(request.user, "inventory.view_stocklevel")
    levels = selectors.stock_levels(
        user=request.user, store_id=store_id, sku_id=sku_id, category_id=category_id
    )
    return [
        {
            "store_id": level.store_id,
            "sku_id": level.sku_id,
            "sku_code": level.sku.code,
            "name": str(level.sku),
            "on_hand_qty": level.on_hand_qty,
            "updated_at": level.updated_at,
        }
        for level in levels[page.offset : page.offset + page.limit]
    ]


@router.get("/moves", response=list[StockMoveOut], summary="The stock ledger, newest first")
def move_list(
    request: HttpRequest,
    page: Query[Page],
    store_id: int | None = None,
    sku_id: int | None = None,
    reason: str | None = None,
    source_type: str | None = None,
    source_id: str | None = None,
) -> list[dict[str, Any]]:
    permission_check(request.user, "inventory.view_stockmove")
    moves = selectors.stock_moves(
        user=request.user,
        store_id=store_id,
        sku_id=sku_id,
        reason=reason,
        source_type=source_type,
        source_id=source_id,
    )
    return [_move_out(move) for move in moves[page.offset : page.offset + page.limit]]


@router.get("/in-transit", response=list[InTransitOut], summary="Stock shipped and not yet received")
def in_transit(request: HttpRequest, store_id: int | None = None) -> list[dict[str, Any]]:
    permission_check(request.user, "inventory.view_transfer")
    return selectors.stock_in_transit(user=request.user, store_id=store_id)


# --- adjustments -----------------------------------------------------------------------------------


def _adjustment_out(request: HttpRequest, adjustment: Any) -> dict[str, Any]:
    moves = selectors.stock_moves(user=request.user, source_type="adjustment", source_id=str(adjustment.pk))
    return {
        "id": adjustment.pk,
        "store_id": adjustment.store_id,
        "reason": adjustment.reason,
        "note": adjustment.note,
        "client_id": adjustment.client_id,
        "created_at": adjustment.created_at,
        "moves": [_move_out(move) for move in moves.order_by("id")],
    }


@router.post("/adjustments", response={201: AdjustmentOut}, summary="Record damage, samples or a correction")
def adjustment_create(request: HttpRequest, payload: AdjustmentIn) -> Status[dict[str, Any]]:
    permission_check(request.user, "inventory.add_stockadjustment")
    store = store_get(request.user, payload.store_id)
    adjustment = services.stock_adjust(
        store=store,
        reason=payload.reason,
        lines=_changes(payload.lines),
        actor_id=request.user.pk,
        note=payload.note,
        client_id=payload.client_id,
    )
    return Status(201, _adjustment_out(request, adjustment))


@router.get("/adjustments/{adjustment_id}", response=AdjustmentOut, summary="One adjustment with its moves")
def adjustment_detail(request: HttpRequest, adjustment_id: int) -> dict[str, Any]:
    permission_check(request.user, "inventory.view_stockadjustment")
    return _adjustment_out(request, selectors.adjustment_get(user=request.user, adjustment_id=adjustment_id))


# --- transfers -------------------------------------------------------------------------------------


def _transfer_out(transfer: Transfer) -> dict[str, Any]:
    return {
        "id": transfer.pk,
        "number": transfer.number,
        "from_store_id": transfer.from_store_id,
        "to_store_id": transfer.to_store_id,
        "status": transfer.status,
        "note": transfer.note,
        "client_id": transfer.client_id,
        "created_at": transfer.created_at,
        "approved_at": transfer.approved_at,
        "shipped_at": transfer.shipped_at,
        "received_at": transfer.received_at,
        "lines": [
            {
                "id": line.pk,
                "sku_id": line.sku_id,
                "batch_id": line.batch_id,
                "serials": line.serials or [],
                "requested_qty": line.requested_qty,
                "shipped_qty": line.shipped_qty,
                "received_qty": line.received_qty,
                "difference_qty": line.difference_qty,
                "difference_reason": line.difference_reason,
            }
            for line in transfer.lines.all()
        ],
    }


def _transfer_fresh(request: HttpRequest, transfer_id: int) -> dict[str, Any]:
    return _transfer_out(selectors.transfer_get(user=request.user, transfer_id=transfer_id))


@router.get("/transfers", response=list[TransferOut], summary="Transfers from or to my stores")
def transfer_list(
    request: HttpRequest, page: Query[Page], store_id: int | None = None, status: str | None = None
) -> list[dict[str, Any]]:
    permission_check(request.user, "inventory.view_transfer")
    transfers = selectors.transfers_visible(user=request.user).prefetch_related("lines")
    if store_id is not None:
        store_access_check(request.user, store_id)
        transfers = transfers.filter(from_store_id=store_id) | transfers.filter(to_store_id=store_id)
    if status:
        transfers = transfers.filter(status=status)
    return [
        _transfer_out(transfer)
        for transfer in transfers.order_by("-id")[page.offset : page.offset + page.limit]
    ]


@router.post("/transfers", response={201: TransferOut}, summary="Request a transfer between two stores")
def transfer_create(request: HttpRequest, payload: TransferIn) -> Status[dict[str, Any]]:
    permission_check(request.user, "inventory.add_transfer")
    from_store = store_get(request.user, payload.from_store_id)
    to_store = (
        store_get(request.user, payload.to_store_id) if payload.to_store_id != from_store.pk else from_store
    )
    transfer = services.transfer_create(
        from_store=from_store,
        to_store=to_store,
        lines=_changes(payload.lines),
        actor_id=request.user.pk,
        note=payload.note,
        client_id=payload.client_id,
    )
    return Status(201, _transfer_fresh(request, transfer.pk))


@router.get("/transfers/{transfer_id}", response=TransferOut, summary="One transfer")
def transfer_detail(request: HttpRequest, transfer_id: int) -> dict[str, Any]:
    permission_check(request.user, "inventory.view_transfer")
    return _transfer_fresh(request, transfer_id)


@router.post("/transfers/{transfer_id}/approve", response=TransferOut, summary="Approve (source store)")
def transfer_approve(request: HttpRequest, transfer_id: int) -> dict[str, Any]:
    permission_check(request.user, "inventory.change_transfer")
    transfer = selectors.transfer_get(user=request.user, transfer_id=transfer_id)
    store_access_check(request.user, transfer.from_store_id)
    services.transfer_approve(transfer=transfer, actor_id=request.user.pk)
    return _transfer_fresh(request, transfer_id)


@router.post(
    "/transfers/{transfer_id}/ship", response=TransferOut, summary="Ship: the goods leave the source"
)
def transfer_ship(request: HttpRequest, transfer_id: int) -> dict[str, Any]:
    permission_check(request.user, "inventory.change_transfer")
    transfer = selectors.transfer_get(user=request.user, transfer_id=transfer_id)
    store_access_check(request.user, transfer.from_store_id)
    services.transfer_ship(transfer=transfer, actor_id=request.user.pk)
    return _transfer_fresh(request, transfer_id)


@router.post("/transfers/{transfer_id}/receive", response=TransferOut, summary="Receive at the destination")
def transfer_receive(request: HttpRequest, transfer_id: int, payload: TransferReceiveIn) -> dict[str, Any]:
    permission_check(request.user, "inventory.change_transfer")
    transfer = selectors.transfer_get(user=request.user, transfer_id=transfer_id)
    store_access_check(request.user, transfer.to_store_id)
    services.transfer_receive(
        transfer=transfer,
        actor_id=request.user.pk,
        receipts=[
            services.TransferReceipt(line.line_id, line.received_qty, line.reason, tuple(line.serials))
            for line in payload.lines
        ],
    )
    return _transfer_fresh(request, transfer_id)


@router.post("/transfers/{transfer_id}/cancel", response=TransferOut, summary="Cancel before shipping")
def transfer_cancel(request: HttpRequest, transfer_id: int) -> dict[str, Any]:
    permission_check(request.user, "inventory.change_transfer")
    transfer = selectors.transfer_get(user=request.user, transfer_id=transfer_id)
    services.transfer_cancel(transfer=transfer, actor_id=request.user.pk)
    return _transfer_fresh(request, transfer_id)


# --- stocktakes ------------------------------------------------------------------------------------


def _stocktake_out(stocktake: Stocktake) -> dict[str, Any]:
    hide_expected = stocktake.is_blind and stocktake.status == Stocktake.Status.COUNTING
    return {
        "id": stocktake.pk,
        "number": stocktake.number,
        "store_id": stocktake.store_id,
        "scope": stocktake.scope,
        "category_ids": sorted(stocktake.categories.values_list("id", flat=True)),
        "is_blind": stocktake.is_blind,
        "status": stocktake.status,
        "note": stocktake.note,
        "client_id": stocktake.client_id,
        "created_at": stocktake.created_at,
        "posted_at": stocktake.posted_at,
        "lines": [
            StocktakeLineOut(
                sku_id=line.sku_id,
                sku_code=line.sku.code,
                name=str(line.sku),
                expected_qty=None if hide_expected else line.expected_qty,
                counted_qty=line.counted_qty,
            )
            for line in selectors.stocktake_lines(stocktake=stocktake)
        ],
    }


@router.get("/stocktakes", response=list[StocktakeSummaryOut], summary="Stocktakes of my stores")
def stocktake_list(
    request: HttpRequest, page: Query[Page], store_id: int | None = None, status: str | None = None
) -> list[Any]:
    permission_check(request.user, "inventory.view_stocktake")
    stocktakes = selectors.stocktakes_visible(user=request.user)
    if store_id is not None:
        store_access_check(request.user, store_id)
        stocktakes = stocktakes.filter(store_id=store_id)
    if status:
        stocktakes = stocktakes.filter(status=status)
    return [
        _stocktake_out(stocktake) for stocktake in stocktakes[page.offset : page.offset + min(page.limit, 20)]
    ]


@router.post("/stocktakes", response={201: StocktakeOut}, summary="Open a count sheet (full or by category)")
def stocktake_create(request: HttpRequest, payload: StocktakeIn) -> Status[dict[str, Any]]:
    permission_check(request.user, "inventory.add_stocktake")
    store = store_get(request.user, payload.store_id)
    stocktake = services.stocktake_create(
        store=store,
        actor_id=request.user.pk,
        category_ids=payload.category_ids,
        is_blind=payload.is_blind,
        note=payload.note,
        client_id=payload.client_id,
    )
    return Status(201, _stocktake_out(stocktake))


@router.get("/stocktakes/{stocktake_id}", response=StocktakeOut, summary="One count sheet")
def stocktake_detail(request: HttpRequest, stocktake_id: int) -> dict[str, Any]:
    permission_check(request.user, "inventory.view_stocktake")
    return _stocktake_out(selectors.stocktake_get(user=request.user, stocktake_id=stocktake_id))


@router.post(
    "/stocktakes/{stocktake_id}/counts", response=StocktakeOut, summary="Record counts (scan or enter)"
)
def stocktake_count(request: HttpRequest, stocktake_id: int, payload: CountsIn) -> dict[str, Any]:
    permission_check(request.user, "inventory.change_stocktake")
    stocktake = selectors.stocktake_get(user=request.user, stocktake_id=stocktake_id)
    services.stocktake_count(
        stocktake=stocktake,
        entries=[services.CountEntry(entry.sku_id, entry.qty, entry.add) for entry in payload.entries],
        actor_id=request.user.pk,
    )
    return _stocktake_out(stocktake)


@router.get("/stocktakes/{stocktake_id}/variance", response=list[VarianceOut], summary="Variance report")
def stocktake_variance(request: HttpRequest, stocktake_id: int) -> list[dict[str, Any]]:
    # The variance reveals the expected quantity, so on a blind count only those who post may see it.
    permission_check(request.user, "inventory.post_stocktake")
    stocktake = selectors.stocktake_get(user=request.user, stocktake_id=stocktake_id)
    return selectors.stocktake_variance(stocktake=stocktake)


@router.post(
    "/stocktakes/{stocktake_id}/post", response=StocktakeOut, summary="Post the variances as stock moves"
)
def stocktake_post(request: HttpRequest, stocktake_id: int, payload: PostIn) -> dict[str, Any]:
    permission_check(request.user, "inventory.post_stocktake")
    stocktake = selectors.stocktake_get(user=request.user, stocktake_id=stocktake_id)
    services.stocktake_post(
        stocktake=stocktake, actor_id=request.user.pk, uncounted_as_zero=payload.uncounted_as_zero
    )
    stocktake.refresh_from_db()
    return _stocktake_out(stocktake)


# --- alerts ----------------------------------------------------------------------------------------


def _alert_out(alert: Alert) -> dict[str, Any]:
    return {
        "id": alert.pk,
        "store_id": alert.store_id,
        "sku_id": alert.sku_id,
        "batch_id": alert.batch_id,
        "kind": alert.kind,
        "status": alert.status,
        "qty": alert.qty,
        "threshold_qty": alert.threshold_qty,
        "suggested_order_qty": alert.suggested_order_qty,
        "expiry_date": alert.expiry_date,
        "created_at": alert.created_at,
        "resolved_at": alert.resolved_at,
    }


@router.get("/alerts", response=list[AlertOut], summary="Stock alerts")
def alert_list(
    request: HttpRequest, page: Query[Page], store_id: int | None = None, status: str | None = "open"
) -> list[dict[str, Any]]:
    permission_check(request.user, "inventory.view_alert")
    alerts = selectors.alerts_visible(user=request.user, store_id=store_id, status=status)
    return [_alert_out(alert) for alert in alerts[page.offset : page.offset + page.limit]]


@router.post("/alerts/{alert_id}/resolve", response=AlertOut, summary="Resolve an alert")
def alert_resolve(request: HttpRequest, alert_id: int) -> dict[str, Any]:
    permission_check(request.user, "inventory.change_alert")
    alert = selectors.alert_get(user=request.user, alert_id=alert_id)
    return _alert_out(services.alert_resolve(alert=alert, actor_id=request.user.pk))


# --- batches and serials ---------------------------------------------------------------------------


@router.get("/batches", response=list[BatchOut], summary="Batches of a SKU, earliest expiry first")
def batch_list(request: HttpRequest, sku_id: int) -> list[Any]:
    permission_check(request.user, "inventory.view_batch")
    return list(selectors.batches_of(sku_id=sku_id))


@router.post("/batches", response={201: BatchOut}, summary="Create (or fetch the same) batch of a SKU")
def batch_create(request: HttpRequest, payload: BatchIn) -> Status[Any]:
    permission_check(request.user, "inventory.add_batch")
    sku = SKU.objects.filter(pk=payload.sku_id).first()
    if sku is None:
        raise SkuUnknown(details={"sku_ids": [payload.sku_id]})
    batch = services.batch_create(
        sku=sku,
        batch_no=payload.batch_no,
        production_date=payload.production_date,
        expiry_date=payload.expiry_date,
    )
    return Status(201, batch)


@router.get("/serials", response=list[SerialOut], summary="Serial numbers in my stores")
def serial_list(
    request: HttpRequest,
    page: Query[Page],
    store_id: int | None = None,
    sku_id: int | None = None,
    status: str | None = None,
) -> list[Any]:
    permission_check(request.user, "inventory.view_serialnumber")
    serials = selectors.serials_visible(user=request.user, store_id=store_id, sku_id=sku_id, status=status)
    return list(serials[page.offset : page.offset + page.limit])


# --- reports ---------------------------------------------------------------------------------------


@router.get("/reports/on-hand", response=list[OnHandRowOut], summary="Stock on hand with cost value")
def report_on_hand(
    request: HttpRequest, store_id: int | None = None, by_category: bool = True
) -> list[dict[str, Any]]:
    permission_check(request.user, "inventory.view_stocklevel")
    return selectors.report_on_hand(user=request.user, store_id=store_id, by_category=by_category)


@router.get("/reports/movements", response=list[StockMoveOut], summary="Movement history of a SKU")
def report_movements(
    request: HttpRequest, sku_id: int, page: Query[Page], store_id: int | None = None
) -> list[dict[str, Any]]:
    permission_check(request.user, "inventory.view_stockmove")
    moves = selectors.stock_moves(user=request.user, store_id=store_id, sku_id=sku_id)
    return [_move_out(move) for move in moves[page.offset : page.offset + page.limit]]


@router.get(
    "/reports/slow-movers", response=list[SlowMoverOut], summary="SKUs in stock with no sale in N days"
)
def report_slow_movers(request: HttpRequest, store_id: int, days: int = 30) -> list[dict[str, Any]]:
    permission_check(request.user, "inventory.view_stocklevel")
    return selectors.report_slow_movers(user=request.user, store_id=store_id, days=max(1, min(days, 3650)))
