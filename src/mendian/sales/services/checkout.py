"""Checkout, the hot path: a cart sold at a till in one short transaction, once per client order id."""

from __future__ import annotations

import secrets
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext_lazy as _

from mendian.core.errors import DomainError
from mendian.core.money import round_half_up
from mendian.core.services import audit_record
from mendian.core.sql import row_update, rows_insert
from mendian.inventory.errors import StockInsufficient
from mendian.inventory.services import StockChange, stock_apply
from mendian.members import services as member_services
from mendian.sales.errors import (
    IdempotencyMismatch,
    PriceMissing,
    SkuNotFound,
    TenderExceedsTotal,
    TenderInvalid,
    TendersInsufficient,
    TenderUnsupported,
)
from mendian.sales.models import CashDrawerEntry, ExceptionLog, Order, OrderLine, OrderTender, Shift
from mendian.sales.selectors import LineInput, SkuInfo, business_date_for, cart_price
from mendian.sales.services.cash_drawer import _cash_entries, _lock_open_shift
from mendian.sales.services.exception_log import exception_record
from mendian.sales.services.overrides import AuthorizerInput, overrides_authorize
from mendian.sales.services.tenders import MEMBER_TENDER_KINDS, Settlement, TenderInput, tenders_settle
from mendian.stores.models import Register

MAX_LINES = 200


@dataclass
class CheckoutResult:
    order: Order
    lines: list[OrderLine]
    tenders: list[OrderTender]
    created: bool


def _next_order_number(register: Register, business_date: Any) -> str:
    """One upsert hands out the next number of the register's day, whatever the concurrency."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO sales_ordercounter (register_id, business_date, last_seq) VALUES (%s, %s, 1) "
            "ON CONFLICT (register_id, business_date) DO UPDATE SET last_seq = sales_ordercounter.last_seq + 1 "
            "RETURNING last_seq",
            [register.pk, business_date.isoformat()],
        )
        row = cursor.fetchone()
    assert row is not None
    return f"{register.code}-{business_date:%Y%m%d}-{row[0]:04d}"


def _line_tax_fen(total_fen: int, vat_rate_bp: int) -> int:
    """VAT contained in a tax-inclusive amount: gross − round(gross / (1 + rate))."""
    if not vat_rate_bp or not total_fen:
        return 0
    net = round_half_up(Decimal(total_fen) * 10_000 / (10_000 + vat_rate_bp))
    return total_fen - net


def order_checkout(
    *,
    user: Any,
    register: Register,
    client_order_id: str,
    lines: list[LineInput],
    tenders: list[TenderInput],
    member_id: int | None = None,
    note: str = "",
    manual_discount_fen: int = 0,
    authorizer: AuthorizerInput | None = None,
    reason: str = "",
    exchange_credit_fen: int = 0,
    member_code: str = "",
) -> CheckoutResult:
    """Sell a cart at a till: price it, check the tenders cover it, and write the order, lines,
    tenders, stock moves, cash-drawer entries and shift rollup in one transaction.

    `member_code` proves that the member is present for the order's points and stored-value tenders
    (the live code scanned at the till, or a code texted to the member); the members app decides when
    one is needed.

    Runs once per client_order_id: a repeat (even concurrent) returns the first order, decided by the
    unique constraint. A refused sale writes nothing but an exception-log row."""
    existing_id = _order_id_by_client_id(client_order_id)
    if existing_id is not None:
        return _existing_checkout(Order.objects.get(pk=existing_id), register=register, lines=lines)
    store = register.store
    if not lines:
        raise DomainError(_("The cart is empty."), code="cart_empty")
    if len(lines) > MAX_LINES:
        raise DomainError(_("Too many lines in one order."), code="cart_too_large")
    if any(line.qty <= 0 for line in lines):
        raise DomainError(_("Quantities must be positive."), code="qty_invalid")
    try:
        priced, infos = cart_price(
            store=store, lines=lines, member_id=member_id, manual_discount_fen=manual_discount_fen
        )
    except (SkuNotFound, PriceMissing) as exc:
        exception_record(
            store_id=store.pk,
            register_id=register.pk,
            actor_id=user.pk,
            kind=ExceptionLog.Kind.PRICE_MISSING,
            message=str(exc.message),
            details=exc.details,
            is_training=register.is_training,
        )
        raise
    authorizer_user = overrides_authorize(
        store=store,
        lines=lines,
        priced=priced,
        infos=infos,
        manual_discount_fen=manual_discount_fen,
        authorizer=authorizer,
        reason=reason,
    )
    try:
        settlement = tenders_settle(
            total_fen=priced.total_fen,
            tenders=tenders,
            round_cash=store.cash_rounding_to_jiao,
            credit_fen=exchange_credit_fen,
        )
    except (TendersInsufficient, TenderExceedsTotal, TenderInvalid, TenderUnsupported) as exc:
        exception_record(
            store_id=store.pk,
            register_id=register.pk,
            actor_id=user.pk,
            kind=ExceptionLog.Kind.TENDER_FAILED,
            amount_fen=priced.total_fen,
            message=str(exc.message),
            details={"code": exc.code, **exc.details},
            is_training=register.is_training,
        )
        raise
    try:
        return _checkout_write(
            user=user,
            register=register,
            client_order_id=client_order_id,
            lines=lines,
            priced=priced,
            infos=infos,
            settlement=settlement,
            member_id=member_id,
            note=note,
            authorizer_user=authorizer_user,
            reason=reason,
            member_code=member_code,
        )
    except StockInsufficient as exc:
        exception_record(
            store_id=store.pk,
            register_id=register.pk,
            actor_id=user.pk,
            kind=ExceptionLog.Kind.OUT_OF_STOCK,
            message=str(exc.message),
            details=exc.details,
        )
        raise
    except IntegrityError:
        winner = Order.objects.filter(client_order_id=client_order_id).first()
        if winner is None:
            raise
        return _existing_checkout(winner, register=register, lines=lines)


def _order_id_by_client_id(client_order_id: str) -> int | None:
    value = Order._meta.get_field("client_order_id").get_db_prep_value(client_order_id, connection)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {Order._meta.db_table} WHERE client_order_id = %s", [value])
        row = cursor.fetchone()
    return row[0] if row else None


def _existing_checkout(order: Order, *, register: Register, lines: list[LineInput]) -> CheckoutResult:
    """A repeat of a sale: the first order, provided the repeat is the same sale."""
    order_lines = list(order.lines.order_by("line_no"))
    same_cart = Counter((line.sku_id, line.qty) for line in order_lines) == Counter(
        (line.sku_id, line.qty) for line in lines
    )
    if order.register_id != register.pk or not same_cart:
        raise IdempotencyMismatch(details={"order_id": order.pk})
    return CheckoutResult(
        order=order, lines=order_lines, tenders=list(order.tenders.order_by("id")), created=False
    )


@transaction.atomic
def _checkout_write(
    *,
    user: Any,
    register: Register,
    client_order_id: str,
    lines: list[LineInput],
    priced: Any,
    infos: dict[int, SkuInfo],
    settlement: Settlement,
    member_id: int | None,
    note: str,
    authorizer_user: Any,
    reason: str,
    member_code: str,
) -> CheckoutResult:
    store = register.store
    training = register.is_training
    shift = None if training else _lock_open_shift(register)
    business_date = shift.business_date if shift is not None else business_date_for(store)
    line_taxes = [
        _line_tax_fen(priced_line.total_fen, infos[priced_line.sku_id].vat_rate_bp)
        for priced_line in priced.lines
    ]
    status = Order.Status.PENDING_PAYMENT if settlement.has_pending else Order.Status.COMPLETED
    order = Order(
        store_id=store.pk,
        register_id=register.pk,
        shift_id=shift.pk if shift is not None else None,
        cashier_id=user.pk,
        authorizer_id=authorizer_user.pk if authorizer_user is not None else None,
        member_id=member_id,
        client_order_id=client_order_id,
        number=_next_order_number(register, business_date),
        business_date=business_date,
        status=status,
        is_training=training,
        note=note,
        override_reason=reason if authorizer_user is not None else "",
        subtotal_fen=priced.subtotal_fen,
        discount_fen=priced.discount_fen,
        manual_discount_fen=priced.manual_discount_fen,
        total_fen=priced.total_fen,
        rounding_fen=settlement.rounding_fen,
        paid_fen=settlement.paid_fen,
        change_fen=settlement.change_fen,
        tax_fen=sum(line_taxes),
        receipt_token=secrets.token_urlsafe(16),
    )
    rows_insert([order])
    order_lines = [
        OrderLine(
            order_id=order.pk,
            line_no=index,
            sku_id=line.sku_id,
            sku_code=infos[line.sku_id].code,
            name=infos[line.sku_id].name[:300],
            qty=line.qty,
            list_price_fen=priced_line.list_price_fen,
            unit_price_fen=priced_line.unit_price_fen,
            price_override_fen=line.price_override_fen,
            discount_fen=priced_line.discount_fen,
            total_fen=priced_line.total_fen,
            tax_fen=tax,
            vat_rate_bp=infos[line.sku_id].vat_rate_bp,
            is_gift=line.is_gift,
            reasons=priced_line.reasons,
            serials=list(line.serials),
            batch_id=line.batch_id,
        )
        for index, (line, priced_line, tax) in enumerate(zip(lines, priced.lines, line_taxes, strict=True), 1)
    ]
    rows_insert(order_lines)
    order_tenders = [
        OrderTender(
            order_id=order.pk,
            kind=tender.kind,
            amount_fen=tender.amount_fen,
            tendered_fen=tender.tendered_fen,
            change_fen=tender.change_fen,
            status=tender.status,
            reference=tender.reference,
            card_last4=tender.card_last4,
            approval_code=tender.approval_code,
        )
        for tender in settlement.tenders
    ]
    rows_insert(order_tenders)
    _member_books(
        order=order,
        member_id=member_id,
        priced=priced,
        infos=infos,
        settlement=settlement,
        user=user,
        member_code=member_code,
    )
    if not training:
        assert shift is not None
        stock_apply(
            store=store,
            changes=[
                StockChange(line.sku_id, -line.qty, line.serials, line.batch_id)
                for line in lines
                if infos[line.sku_id].moves_stock
            ],
            reason="sale",
            source_type="sales.order",
            source_id=str(order.pk),
            actor_id=user.pk,
        )
        entries, balance = _cash_entries(
            shift=shift,
            movements=[
                (CashDrawerEntry.Kind.SALE_CASH_IN, settlement.cash_in_fen),
                (CashDrawerEntry.Kind.CHANGE_OUT, -settlement.change_fen),
            ],
            source_type="order",
            source_id=str(order.pk),
            actor_id=user.pk,
        )
        rows_insert(entries)
        by_tender = dict(shift.by_tender)
        for kind, amount in settlement.by_kind.items():
            by_tender[kind] = by_tender.get(kind, 0) + amount
        # The shift row is locked (FOR UPDATE; on SQLite the IMMEDIATE transaction), so plain values
        # computed from it are safe, and cheaper to build than F() expressions on the hot path.
        row_update(
            Shift,
            shift.pk,
            order_count=shift.order_count + 1,
            subtotal_fen=shift.subtotal_fen + priced.subtotal_fen,
            sales_fen=shift.sales_fen + priced.total_fen,
            discounts_fen=shift.discounts_fen + priced.discount_fen,
            tax_fen=shift.tax_fen + order.tax_fen,
            rounding_fen=shift.rounding_fen + settlement.rounding_fen,
            cash_balance_fen=balance,
            by_tender=by_tender,
        )
    if authorizer_user is not None:
        kind = (
            ExceptionLog.Kind.MANUAL_DISCOUNT
            if priced.manual_discount_fen
            else ExceptionLog.Kind.PRICE_OVERRIDE
        )
        details = {
            "authorized_by": authorizer_user.pk,
            "reason": reason,
            "manual_discount_fen": priced.manual_discount_fen,
            "overrides": [
                {
                    "sku_id": line.sku_id,
                    "list_price_fen": infos[line.sku_id].list_price_fen,
                    "price_override_fen": line.price_override_fen,
                }
                for line in lines
                if line.price_override_fen is not None
            ],
        }
        exception_record(
            store_id=store.pk,
            register_id=register.pk,
            actor_id=user.pk,
            kind=kind,
            order_id=order.pk,
            amount_fen=priced.discount_fen,
            message=reason,
            details=details,
            is_training=training,
        )
        audit_record(
            action="order.price_override",
            obj=order,
            after=details,
            actor_id=user.pk,
            store_id=store.pk,
            register_id=register.pk,
        )
    return CheckoutResult(order=order, lines=order_lines, tenders=order_tenders, created=True)


def _member_books(
    *,
    order: Order,
    member_id: int | None,
    priced: Any,
    infos: dict[int, SkuInfo],
    settlement: Settlement,
    user: Any,
    member_code: str,
) -> None:
    """Points and stored-value tenders come off the member's ledgers, with `member_code` as the proof that
    the member is present; a completed order earns points. A training till never touches real balances."""
    member_tenders = [
        (tender.kind, tender.amount_fen, tender.reference)
        for tender in settlement.tenders
        if tender.kind in MEMBER_TENDER_KINDS
    ]
    if member_id is None or order.is_training:
        if member_tenders:
            raise TenderInvalid(
                _("Attach a member (not on a training till) to pay with points or stored value."),
                code="member_required",
            )
        return
    member_services.checkout_member_books(
        member_id=member_id,
        order_id=order.pk,
        order_total_fen=order.total_fen,
        store_id=order.store_id,
        member_tenders=member_tenders,
        earn_lines=[
            member_services.EarnLine(priced_line.total_fen, infos[priced_line.sku_id].category_id)
            for priced_line in priced.lines
        ]
        if order.status == Order.Status.COMPLETED
        else None,
        actor_id=user.pk,
        member_code=member_code,
        client_order_id=str(order.client_order_id),
    )
