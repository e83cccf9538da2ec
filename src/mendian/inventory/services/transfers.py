"""Transfers between stores: request, approve, ship (transfer_out), receive (transfer_in) or cancel."""

from __future__ import annotations

import secrets
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from mendian.core.services import audit_record
from mendian.inventory.errors import (
    ClientIdReused,
    DifferenceReasonRequired,
    LineInvalid,
    SerialCountMismatch,
    SerialRequired,
    TransferSameStore,
    TransferStateInvalid,
)
from mendian.inventory.models import SerialNumber, StockMove, Transfer, TransferLine
from mendian.inventory.services.adjustments import _lines_check
from mendian.inventory.services.levels import StockChange, stock_apply
from mendian.stores.models import Store

Reason = StockMove.Reason
SerialStatus = SerialNumber.Status


def _number(prefix: str) -> str:
    return f"{prefix}{timezone.localdate():%Y%m%d}{secrets.token_hex(3).upper()}"


def _transfer_advance(transfer: Transfer, *, allowed: Sequence[str], to: str, **fields: Any) -> None:
    """Move the transfer to the next state with a guarded update, so two clicks do it once."""
    updated = Transfer.objects.filter(pk=transfer.pk, status__in=list(allowed)).update(status=to, **fields)
    if not updated:
        current = Transfer.objects.filter(pk=transfer.pk).values_list("status", flat=True).first()
        raise TransferStateInvalid(details={"status": current, "wanted": to})
    transfer.status = to
    for name, value in fields.items():
        setattr(transfer, name, value)


def _transfer_repeat(existing: Transfer, *, from_store: Store, to_store: Store) -> Transfer:
    """The first transfer of a client_id, provided the repeat is between the same two stores."""
    if (existing.from_store_id, existing.to_store_id) != (from_store.pk, to_store.pk):
        raise ClientIdReused()
    return existing


@transaction.atomic
def transfer_create(
    *,
    from_store: Store,
    to_store: Store,
    lines: Sequence[StockChange],
    actor_id: int | None,
    note: str = "",
    client_id: uuid.UUID | None = None,
) -> Transfer:
    """Request goods from one store for another (qty positive per line); a repeat client_id returns the first,
    also when it runs at the same time as the first (the unique constraint on client_id decides)."""
    if from_store.pk == to_store.pk:
        raise TransferSameStore()
    if client_id is not None:
        existing = Transfer.objects.filter(client_id=client_id).first()
        if existing is not None:
            return _transfer_repeat(existing, from_store=from_store, to_store=to_store)
    skus = _lines_check(lines, positive=True)
    for line in lines:
        if skus[line.sku_id].product.tracks_serials and not line.serials:
            raise SerialRequired(details={"sku_id": line.sku_id, "qty": line.qty})
        if line.serials and len(line.serials) != line.qty:
            raise SerialCountMismatch(details={"sku_id": line.sku_id})
    try:
        # In a savepoint, so that when a repeat running alongside inserted the client_id first, this
        # transaction survives the refused insert and reads the winner.
        with transaction.atomic():
            transfer = Transfer.objects.create(
                number=_number("DB"),
                from_store=from_store,
                to_store=to_store,
                note=note,
                client_id=client_id,
                requested_by_id=actor_id,
            )
    except IntegrityError:
        winner = Transfer.objects.filter(client_id=client_id).first() if client_id else None
        if winner is None:
            raise
        return _transfer_repeat(winner, from_store=from_store, to_store=to_store)
    TransferLine.objects.bulk_create(
        [
            TransferLine(
                transfer=transfer,
                sku_id=line.sku_id,
                batch_id=line.batch_id,
                serials=list(line.serials),
                requested_qty=line.qty,
            )
            for line in lines
        ]
    )
    audit_record(action="transfer.create", obj=transfer, actor_id=actor_id, store_id=from_store.pk)
    return transfer


@transaction.atomic
def transfer_approve(*, transfer: Transfer, actor_id: int | None) -> Transfer:
    """Approve a requested transfer; only a requested one can be."""
    _transfer_advance(
        transfer,
        allowed=[Transfer.Status.REQUESTED],
        to=Transfer.Status.APPROVED,
        approved_by_id=actor_id,
        approved_at=timezone.now(),
    )
    audit_record(action="transfer.approve", obj=transfer, actor_id=actor_id, store_id=transfer.from_store_id)
    return transfer


@transaction.atomic
def transfer_ship(*, transfer: Transfer, actor_id: int | None) -> Transfer:
    """Ship an approved transfer: the goods leave the source store (transfer_out) and are in transit."""
    _transfer_advance(
        transfer, allowed=[Transfer.Status.APPROVED], to=Transfer.Status.SHIPPED, shipped_at=timezone.now()
    )
    lines = list(transfer.lines.all())
    stock_apply(
        store=Store.objects.get(pk=transfer.from_store_id),
        changes=[
            StockChange(line.sku_id, -line.requested_qty, tuple(line.serials), line.batch_id)
            for line in lines
        ],
        reason=Reason.TRANSFER_OUT,
        source_type="transfer",
        source_id=str(transfer.pk),
        actor_id=actor_id,
        note=transfer.number,
    )
    for line in lines:
        line.shipped_qty = line.requested_qty
    TransferLine.objects.bulk_update(lines, ["shipped_qty"])
    audit_record(action="transfer.ship", obj=transfer, actor_id=actor_id, store_id=transfer.from_store_id)
    return transfer


@dataclass(frozen=True)
class TransferReceipt:
    """What arrived of one transfer line; a difference from the shipped quantity needs a reason."""

    line_id: int
    received_qty: int
    reason: str = ""
    serials: tuple[str, ...] = ()


@transaction.atomic
def transfer_receive(
    *, transfer: Transfer, actor_id: int | None, receipts: Sequence[TransferReceipt] = ()
) -> Transfer:
    """Receive a shipped transfer into the destination (transfer_in), into the batches it left from.

    Lines not listed arrived in full. A line received short or over records the difference and its
    reason on the line and in the audit log; what did not arrive leaves the books with the transfer."""
    lines = {line.pk: line for line in transfer.lines.all()}
    given = {receipt.line_id: receipt for receipt in receipts}
    unknown = set(given) - set(lines)
    if unknown:
        raise LineInvalid(details={"line_ids": sorted(unknown)})
    for given_receipt in given.values():
        line = lines[given_receipt.line_id]
        if given_receipt.received_qty < 0:
            raise LineInvalid(details={"line_id": line.pk})
        if given_receipt.received_qty != (line.shipped_qty or 0) and not given_receipt.reason.strip():
            raise DifferenceReasonRequired(details={"line_id": line.pk})
    _transfer_advance(
        transfer, allowed=[Transfer.Status.SHIPPED], to=Transfer.Status.RECEIVED, received_at=timezone.now()
    )
    out_moves: dict[int, list[StockMove]] = defaultdict(list)
    for move in StockMove.objects.filter(
        store_id=transfer.from_store_id,
        source_type="transfer",
        source_id=str(transfer.pk),
        reason=Reason.TRANSFER_OUT,
    ).order_by("id"):
        out_moves[move.sku_id].append(move)
    changes: list[StockChange] = []
    differences: list[dict[str, Any]] = []
    lost_serials: list[tuple[int, str]] = []
    for line in lines.values():
        shipped = line.shipped_qty or 0
        receipt = given.get(line.pk)
        line.received_qty = receipt.received_qty if receipt else shipped
        line.difference_reason = receipt.reason.strip()[:200] if receipt else ""
        if line.serials:
            arrived = list(receipt.serials) if receipt and receipt.serials else list(line.serials)
            if len(arrived) != line.received_qty or not set(arrived) <= set(line.serials):
                raise SerialCountMismatch(details={"line_id": line.pk})
            lost_serials.extend((line.sku_id, serial) for serial in line.serials if serial not in arrived)
            if arrived:
                changes.append(StockChange(line.sku_id, len(arrived), tuple(arrived)))
        else:
            remaining = line.received_qty
            for move in out_moves[line.sku_id]:
                taken = min(-move.qty, remaining)
                if taken <= 0:
                    break
                changes.append(StockChange(line.sku_id, taken, batch_id=move.batch_id))
                move.qty += taken  # consumed, so two lines of one SKU do not take the same batch twice
                remaining -= taken
            if remaining:
                changes.append(StockChange(line.sku_id, remaining))
        if line.received_qty != shipped:
            differences.append(
                {
                    "line_id": line.pk,
                    "sku_id": line.sku_id,
                    "shipped_qty": shipped,
                    "received_qty": line.received_qty,
                    "reason": line.difference_reason,
                }
            )
    TransferLine.objects.bulk_update(list(lines.values()), ["received_qty", "difference_reason"])
    stock_apply(
        store=Store.objects.get(pk=transfer.to_store_id),
        changes=changes,
        reason=Reason.TRANSFER_IN,
        source_type="transfer",
        source_id=str(transfer.pk),
        actor_id=actor_id,
        note=transfer.number,
    )
    if lost_serials:
        lost = Q()
        for sku_id, serial in lost_serials:
            lost |= Q(sku_id=sku_id, serial=serial)
        SerialNumber.objects.filter(lost, status=SerialStatus.IN_TRANSIT).update(
            status=SerialStatus.REMOVED, updated_at=timezone.now()
        )
    audit_record(
        action="transfer.receive",
        obj=transfer,
        actor_id=actor_id,
        store_id=transfer.to_store_id,
        after={"differences": differences},
    )
    return transfer


@transaction.atomic
def transfer_cancel(*, transfer: Transfer, actor_id: int | None) -> Transfer:
    """Cancel a transfer that has not shipped; nothing has moved yet, so no stock changes."""
    _transfer_advance(
        transfer,
        allowed=[Transfer.Status.REQUESTED, Transfer.Status.APPROVED],
        to=Transfer.Status.CANCELLED,
        cancelled_at=timezone.now(),
    )
    audit_record(action="transfer.cancel", obj=transfer, actor_id=actor_id, store_id=transfer.from_store_id)
    return transfer
