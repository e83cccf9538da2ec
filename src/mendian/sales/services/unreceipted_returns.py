"""Returns without a receipt, refunded in cash at today's price and logged as exceptions."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from mendian.core.errors import PermissionDeniedError
from mendian.core.services import audit_record
from mendian.inventory.services import StockChange
from mendian.sales.errors import IdempotencyMismatch, ReturnInvalid
from mendian.sales.models import ExceptionLog, Return, ReturnLine, ReturnTender, TenderKind
from mendian.sales.selectors import SkuInfo, business_date_for, sku_infos
from mendian.sales.services.cash_drawer import _lock_open_shift
from mendian.sales.services.exception_log import exception_record
from mendian.sales.services.returns import _return_books
from mendian.stores.models import Register


@dataclass(frozen=True)
class UnreceiptedLineInput:
    """Units coming back without a receipt; a serialized unit names its serial number (it must be a unit
    the chain sold), so it is sellable again."""

    sku_id: int
    qty: int
    refund_unit_fen: int | None = None
    serials: tuple[str, ...] = ()


def return_unreceipted(
    *,
    user: Any,
    register: Register,
    client_return_id: str,
    lines: list[UnreceiptedLineInput],
    restock: bool = True,
    reason: str = "",
) -> tuple[Return, bool]:
    """Take goods back without a receipt: needs `sales.refund_unreceipted`, refunds at most today's
    price of the store, in cash, and is logged as an exception.

    Runs once per client_return_id: a repeat of the same return (even concurrent) answers with the
    first one; the id reused for another return is refused (409, nothing written)."""
    if not user.has_perm("sales.refund_unreceipted"):
        raise PermissionDeniedError(details={"permission": "sales.refund_unreceipted"})
    existing = Return.objects.filter(client_return_id=client_return_id).first()
    if existing is not None:
        return _unreceipted_repeat(existing, lines=lines), False
    if not lines or any(line.qty <= 0 for line in lines):
        raise ReturnInvalid()
    if not reason.strip():
        raise ReturnInvalid(_("Give a reason for a return without receipt."), code="reason_required")
    infos = sku_infos(store=register.store, sku_ids=sorted({line.sku_id for line in lines}))
    priced_lines: list[tuple[UnreceiptedLineInput, int]] = []
    for line in lines:
        price = infos[line.sku_id].list_price_fen
        unit = price if line.refund_unit_fen is None else line.refund_unit_fen
        if not 0 <= unit <= price:
            raise ReturnInvalid(
                _("A return without receipt refunds at most the current price."),
                code="refund_above_price",
                details={"sku_id": line.sku_id, "max_unit_fen": price},
            )
        priced_lines.append((line, unit * line.qty))
    return _return_unreceipted_write(
        user=user,
        register=register,
        client_return_id=client_return_id,
        priced_lines=priced_lines,
        infos=infos,
        restock=restock,
        reason=reason,
    )


def _unreceipted_repeat(existing: Return, *, lines: list[UnreceiptedLineInput]) -> Return:
    """A repeat of a return without receipt: the first one, provided it is the same goods and quantities."""
    wanted: Counter[int] = Counter()
    for line in lines:
        wanted[line.sku_id] += line.qty
    recorded: Counter[int] = Counter()
    for sku_id, qty in existing.lines.values_list("sku_id", "qty"):
        recorded[sku_id] += qty
    if existing.order_id is not None or recorded != wanted:
        raise IdempotencyMismatch(details={"return_id": existing.pk})
    return existing


@transaction.atomic
def _return_unreceipted_write(
    *,
    user: Any,
    register: Register,
    client_return_id: str,
    priced_lines: list[tuple[UnreceiptedLineInput, int]],
    infos: dict[int, SkuInfo],
    restock: bool,
    reason: str,
) -> tuple[Return, bool]:
    training = register.is_training
    shift = None if training else _lock_open_shift(register)
    refund_total = sum(amount for _line, amount in priced_lines)
    try:
        with transaction.atomic():
            ret = Return.objects.create(
                store_id=register.store_id,
                register_id=register.pk,
                shift_id=shift.pk if shift is not None else None,
                cashier_id=user.pk,
                client_return_id=client_return_id,
                business_date=shift.business_date if shift is not None else business_date_for(register.store),
                is_training=training,
                restock=restock,
                reason=reason,
                refund_fen=refund_total,
            )
    except IntegrityError:
        # A repeat raced in: the unique constraint decides, the first one answers.
        winner = Return.objects.filter(client_return_id=client_return_id).first()
        if winner is None:
            raise
        return _unreceipted_repeat(winner, lines=[line for line, _amount in priced_lines]), False
    ReturnLine.objects.bulk_create(
        [
            ReturnLine(
                ret_id=ret.pk,
                sku_id=line.sku_id,
                name=infos[line.sku_id].name[:300],
                qty=line.qty,
                refund_fen=amount,
                serials=list(line.serials),
            )
            for line, amount in priced_lines
        ]
    )
    if refund_total:
        ReturnTender.objects.create(ret_id=ret.pk, kind=TenderKind.CASH, amount_fen=refund_total)
    if not training:
        assert shift is not None
        _return_books(
            user=user,
            store=register.store,
            shift=shift,
            ret=ret,
            changes=[
                StockChange(line.sku_id, line.qty, line.serials)
                for line, _amount in priced_lines
                if infos[line.sku_id].moves_stock
            ],
            restock=restock,
            refunds_by_kind=Counter({TenderKind.CASH: refund_total}),
        )
    exception_record(
        store_id=register.store_id,
        register_id=register.pk,
        actor_id=user.pk,
        kind=ExceptionLog.Kind.UNRECEIPTED_RETURN,
        amount_fen=refund_total,
        message=reason,
        details={"return_id": ret.pk},
        is_training=training,
    )
    audit_record(
        action="return.unreceipted",
        obj=ret,
        after={"refund_fen": refund_total, "reason": reason},
        actor_id=user.pk,
        store_id=register.store_id,
        register_id=register.pk,
    )
    return ret, True
