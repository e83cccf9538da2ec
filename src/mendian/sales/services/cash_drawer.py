"""Shifts and the cash drawer: opening, cash moves outside a sale, closing, and the drawer ledger."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mendian.core.errors import DomainError
from mendian.core.services import audit_record
from mendian.core.sql import columns, instance_from
from mendian.sales.errors import CashInsufficient, ShiftAlreadyOpen, ShiftClosed, ShiftNotOpen
from mendian.sales.models import CashDrawerEntry, ExceptionLog, Shift
from mendian.sales.selectors import business_date_for
from mendian.sales.services.exception_log import exception_record
from mendian.stores.models import Register


def _lock_open_shift(register: Register) -> Shift:
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns(Shift, 'sh')} FROM {Shift._meta.db_table} sh "
            f"WHERE sh.register_id = %s AND sh.closed_at IS NULL ORDER BY sh.id LIMIT 1{lock}",
            [register.pk],
        )
        row = cursor.fetchone()
    if row is None:
        raise ShiftNotOpen(details={"register_id": register.pk})
    shift: Shift = instance_from(Shift, row)
    return shift


def _cash_entries(
    *,
    shift: Shift,
    movements: list[tuple[str, int]],
    source_type: str,
    source_id: str,
    actor_id: int,
    reason: str = "",
) -> tuple[list[CashDrawerEntry], int]:
    """Ledger entries for signed cash movements on a locked shift; returns them and the new balance."""
    balance = shift.cash_balance_fen
    entries: list[CashDrawerEntry] = []
    for kind, amount in movements:
        if not amount:
            continue
        balance += amount
        if balance < 0:
            raise CashInsufficient(details={"cash_balance_fen": balance - amount, "requested_fen": -amount})
        entries.append(
            CashDrawerEntry(
                shift_id=shift.pk,
                store_id=shift.store_id,
                kind=kind,
                amount_fen=amount,
                balance_after=balance,
                source_type=source_type,
                source_id=source_id,
                reason=reason,
                actor_id=actor_id,
            )
        )
    return entries, balance


@transaction.atomic
def shift_open(*, user: Any, register: Register, float_fen: int) -> Shift:
    """Open a register's shift with its cash float. One open shift per register (a DB constraint)."""
    if float_fen < 0:
        raise DomainError(_("The float cannot be negative."), code="float_invalid")
    try:
        with transaction.atomic():
            shift = Shift.objects.create(
                store_id=register.store_id,
                register_id=register.pk,
                opened_by_id=user.pk,
                business_date=business_date_for(register.store),
                float_fen=float_fen,
                cash_balance_fen=float_fen,
            )
    except IntegrityError:
        raise ShiftAlreadyOpen(details={"register_id": register.pk}) from None
    if float_fen:
        CashDrawerEntry.objects.create(
            shift=shift,
            store_id=register.store_id,
            kind=CashDrawerEntry.Kind.FLOAT,
            amount_fen=float_fen,
            balance_after=float_fen,
            source_type="shift",
            source_id=str(shift.pk),
            actor_id=user.pk,
        )
    audit_record(
        action="shift.open",
        obj=shift,
        after={"float_fen": float_fen},
        actor_id=user.pk,
        store_id=register.store_id,
        register_id=register.pk,
    )
    return shift


CASH_MOVE_KINDS = {"paid_in", "paid_out", "no_sale"}


@transaction.atomic
def shift_cash_move(*, user: Any, shift: Shift, kind: str, amount_fen: int, reason: str) -> Shift:
    """Cash put in or taken out of the drawer outside a sale, with a reason; a drawer opened without
    a sale is only logged. The drawer balance never goes below zero."""
    if kind not in CASH_MOVE_KINDS:
        raise DomainError(_("Unknown cash movement."), code="cash_kind_invalid")
    if not reason.strip():
        raise DomainError(_("Give a reason."), code="reason_required")
    if kind != "no_sale" and amount_fen <= 0:
        raise DomainError(_("The amount must be positive."), code="amount_invalid")
    locked = Shift.objects.select_for_update().get(pk=shift.pk)
    if locked.closed_at is not None:
        raise ShiftClosed()
    register = Register.objects.get(pk=locked.register_id)
    if kind == "no_sale":
        exception_record(
            store_id=locked.store_id,
            register_id=locked.register_id,
            actor_id=user.pk,
            kind=ExceptionLog.Kind.DRAWER_OPEN,
            message=reason,
            is_training=register.is_training,
        )
        Shift.objects.filter(pk=locked.pk).update(no_sale_count=F("no_sale_count") + 1)
    else:
        signed = amount_fen if kind == "paid_in" else -amount_fen
        entries, balance = _cash_entries(
            shift=locked,
            movements=[(kind, signed)],
            source_type="shift",
            source_id=str(locked.pk),
            actor_id=user.pk,
            reason=reason,
        )
        CashDrawerEntry.objects.bulk_create(entries)
        counter = "paid_in_fen" if kind == "paid_in" else "paid_out_fen"
        Shift.objects.filter(pk=locked.pk).update(
            cash_balance_fen=balance, **{counter: F(counter) + amount_fen}
        )
        audit_record(
            action=f"shift.{kind}",
            obj=locked,
            after={"amount_fen": amount_fen, "reason": reason},
            actor_id=user.pk,
            store_id=locked.store_id,
            register_id=locked.register_id,
        )
    locked.refresh_from_db()
    return locked


@transaction.atomic
def shift_close(*, user: Any, shift: Shift, counted: dict[int, int]) -> Shift:
    """Close a shift with the cash counted by denomination: variance = counted − expected. After this
    the register takes no more sales until a new shift opens."""
    if any(denomination <= 0 or count < 0 for denomination, count in counted.items()):
        raise DomainError(_("Denominations and counts must be positive."), code="count_invalid")
    locked = Shift.objects.select_for_update().get(pk=shift.pk)
    if locked.closed_at is not None:
        raise ShiftClosed()
    counted_fen = sum(denomination * count for denomination, count in counted.items())
    variance = counted_fen - locked.cash_balance_fen
    now = timezone.now()
    Shift.objects.filter(pk=locked.pk).update(
        closed_at=now,
        closed_by_id=user.pk,
        counted={str(denomination): count for denomination, count in sorted(counted.items(), reverse=True)},
        cash_counted_fen=counted_fen,
        variance_fen=variance,
    )
    if variance:
        exception_record(
            store_id=locked.store_id,
            register_id=locked.register_id,
            actor_id=user.pk,
            kind=ExceptionLog.Kind.CASH_VARIANCE,
            amount_fen=variance,
            details={"expected_fen": locked.cash_balance_fen, "counted_fen": counted_fen},
        )
    audit_record(
        action="shift.close",
        obj=locked,
        after={"expected_fen": locked.cash_balance_fen, "counted_fen": counted_fen, "variance_fen": variance},
        actor_id=user.pk,
        store_id=locked.store_id,
        register_id=locked.register_id,
    )
    locked.refresh_from_db()
    return locked
