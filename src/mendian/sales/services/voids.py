"""Voiding an order that is not paid yet."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F

from mendian.core.services import audit_record
from mendian.inventory.services import StockChange, stock_apply
from mendian.members import services as member_services
from mendian.sales.errors import OrderNotVoidable, ShiftClosed
from mendian.sales.models import CashDrawerEntry, ExceptionLog, Order, OrderTender, Shift, TenderKind
from mendian.sales.services.cash_drawer import _cash_entries
from mendian.sales.services.exception_log import exception_record


@transaction.atomic
def order_void(*, user: Any, order: Order, reason: str) -> Order:
    """Void an order that is not paid yet (a pending digital payment): its goods go back to stock, the
    points and stored value it took go back to the member, and it leaves the shift's totals. A paid
    order is returned instead, never voided."""
    locked = Order.objects.select_for_update().get(pk=order.pk)
    if locked.status != Order.Status.PENDING_PAYMENT:
        raise OrderNotVoidable(details={"status": locked.status})
    lines = list(locked.lines.select_related("sku__product").order_by("line_no"))
    tenders = list(locked.tenders.all())
    if not locked.is_training:
        # Lock order: order, shift, member accounts, stock levels — the same as checkout and returns,
        # so no deadlock.
        shift = Shift.objects.select_for_update().get(pk=locked.shift_id) if locked.shift_id else None
        if shift is not None and shift.closed_at is not None:
            raise ShiftClosed()
        if locked.member_id is not None:
            member_services.order_member_books_reverse(
                member_id=locked.member_id,
                order_id=locked.pk,
                store_id=locked.store_id,
                reason=reason,
                actor_id=user.pk,
            )
        stock_apply(
            store=locked.store,
            changes=[
                StockChange(line.sku_id, line.qty, tuple(line.serials), line.batch_id)
                for line in lines
                if line.sku.product.kind != "service"
            ],
            reason="return",
            source_type="sales.order_void",
            source_id=str(locked.pk),
            actor_id=user.pk,
            note="void",
        )
        if shift is not None:
            movements: list[tuple[str, int]] = []
            cash_in = sum(tender.tendered_fen for tender in tenders if tender.kind == TenderKind.CASH)
            change = sum(tender.change_fen for tender in tenders if tender.kind == TenderKind.CASH)
            if cash_in - change:
                movements.append((CashDrawerEntry.Kind.REFUND_OUT, -(cash_in - change)))
            entries, balance = _cash_entries(
                shift=shift,
                movements=movements,
                source_type="order_void",
                source_id=str(locked.pk),
                actor_id=user.pk,
            )
            CashDrawerEntry.objects.bulk_create(entries)
            by_tender = dict(shift.by_tender)
            for tender in tenders:
                by_tender[tender.kind] = by_tender.get(tender.kind, 0) - tender.amount_fen
            Shift.objects.filter(pk=shift.pk).update(
                order_count=F("order_count") - 1,
                subtotal_fen=F("subtotal_fen") - locked.subtotal_fen,
                sales_fen=F("sales_fen") - locked.total_fen,
                discounts_fen=F("discounts_fen") - locked.discount_fen,
                tax_fen=F("tax_fen") - locked.tax_fen,
                rounding_fen=F("rounding_fen") - locked.rounding_fen,
                cash_balance_fen=balance,
                by_tender=by_tender,
            )
    OrderTender.objects.filter(order=locked, status=OrderTender.Status.PENDING).update(
        status=OrderTender.Status.FAILED
    )
    Order.objects.filter(pk=locked.pk).update(status=Order.Status.VOIDED)
    exception_record(
        store_id=locked.store_id,
        register_id=locked.register_id,
        actor_id=user.pk,
        kind=ExceptionLog.Kind.ORDER_VOID,
        order_id=locked.pk,
        amount_fen=locked.total_fen,
        message=reason,
        is_training=locked.is_training,
    )
    audit_record(
        action="order.void",
        obj=locked,
        before={"status": locked.status},
        after={"status": Order.Status.VOIDED, "reason": reason},
        actor_id=user.pk,
        store_id=locked.store_id,
        register_id=locked.register_id,
    )
    locked.status = Order.Status.VOIDED
    return locked
