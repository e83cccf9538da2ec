"""Returns against a receipt: the one allocation of a return's money and the return's writes."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from mendian.catalog.models import SKU
from mendian.core.money import allocate
from mendian.core.services import audit_record
from mendian.inventory.services import StockChange, stock_apply
from mendian.members import services as member_services
from mendian.promotions.pricing import refund_share_fen
from mendian.sales.errors import IdempotencyMismatch, OrderNotReturnable, ReturnExceedsSold, ReturnInvalid
from mendian.sales.models import (
    CashDrawerEntry,
    Order,
    OrderLine,
    OrderTender,
    Return,
    ReturnLine,
    ReturnTender,
    Shift,
    TenderKind,
)
from mendian.sales.selectors import business_date_for
from mendian.sales.services.cash_drawer import _cash_entries, _lock_open_shift
from mendian.sales.services.tenders import MEMBER_TENDER_KINDS
from mendian.stores.models import Register, Store


@dataclass(frozen=True)
class ReturnLineInput:
    """Units of an order line coming back; for a line sold with serial numbers, `serials` names them
    (may be left out when all the line's units not yet returned come back)."""

    order_line_id: int
    qty: int
    serials: tuple[str, ...] = ()


def order_return(
    *,
    user: Any,
    order: Order,
    register: Register,
    client_return_id: str,
    lines: list[ReturnLineInput],
    restock: bool = True,
    reason: str = "",
) -> tuple[Return, bool]:
    """Take goods of an order back. Each returned unit refunds exactly what was paid for it after the
    order's allocated discounts (the last unit of a line takes the remaining fen), spread over the
    original tenders; cash goes out of the drawer of the shift open on this register.

    Runs once per client_return_id: a repeat of the same return (even concurrent) answers with the
    first one; the id reused for another return is refused (409, nothing written)."""
    existing = Return.objects.filter(client_return_id=client_return_id).first()
    if existing is not None:
        return _return_repeat(existing, order=order, lines=lines, exchange=False), False
    if order.store_id != register.store_id:
        raise ReturnInvalid(
            _("Return goods at a till of the store that sold them."), code="return_wrong_store"
        )
    if not lines or any(line.qty <= 0 for line in lines):
        raise ReturnInvalid()
    return _order_return_write(
        user=user,
        order=order,
        register=register,
        client_return_id=client_return_id,
        lines=lines,
        restock=restock,
        reason=reason,
    )


def _return_repeat(existing: Return, *, order: Order, lines: list[ReturnLineInput], exchange: bool) -> Return:
    """A repeat of a return: the first one, provided the repeat is the same return — of the same order,
    the same lines and quantities (and the serial numbers it names), an exchange only if the first was."""
    wanted: Counter[int] = Counter()
    named: dict[int, set[str]] = {}
    for line in lines:
        wanted[line.order_line_id] += line.qty
        if line.serials:
            named.setdefault(line.order_line_id, set()).update(line.serials)
    recorded = {line.order_line_id: line for line in existing.lines.all()}
    same = (
        existing.order_id == order.pk
        and (existing.exchange_order_id is not None) == exchange
        and {line_id: line.qty for line_id, line in recorded.items()} == dict(wanted)
        and all(set(recorded[line_id].serials) == serials for line_id, serials in named.items())
    )
    if not same:
        raise IdempotencyMismatch(details={"return_id": existing.pk})
    return existing


@dataclass(frozen=True)
class ReturnPlan:
    """Where the money of a return goes: `refund_fen` in all, of it `credit_fen` spent on the new goods
    of an exchange, and `tender_shares` back to each original tender (in the order given)."""

    refund_fen: int
    credit_fen: int
    line_refunds: dict[int, int]  # order line id → refund, after any deduction
    tender_shares: list[int]


def _return_line_refunds(order_lines: list[OrderLine], wanted: Counter[int]) -> dict[int, int]:
    """What each returned line gives back: its units' share of the line total after the order's
    allocated discounts (the last unit of a line takes the remaining fen). Refuses more than sold."""
    refunds: dict[int, int] = {}
    for line in order_lines:
        qty = wanted[line.pk]
        if line.refunded_qty + qty > line.qty:
            raise ReturnExceedsSold(
                details={"order_line_id": line.pk, "returnable_qty": line.qty - line.refunded_qty}
            )
        refunds[line.pk] = refund_share_fen(
            line_total_fen=line.total_fen, line_qty=line.qty, refunded_qty=line.refunded_qty, return_qty=qty
        )
    return refunds


def _return_serials(
    order_lines: list[OrderLine], lines: list[ReturnLineInput], wanted: Counter[int]
) -> dict[int, list[str]]:
    """The serial numbers each returned line brings back: those the return names, which must be units the
    line sold and that have not come back yet, one per unit. A return of all the units still out may
    leave them unnamed; a partial return of a serialized line must name them."""
    named: dict[int, list[str]] = {}
    for wanted_line in lines:
        named.setdefault(wanted_line.order_line_id, []).extend(wanted_line.serials)
    serialized_ids = [line.pk for line in order_lines if line.serials]
    returned: dict[int, set[str]] = {line_id: set() for line_id in serialized_ids}
    if serialized_ids:
        for line_id, serials in ReturnLine.objects.filter(order_line_id__in=serialized_ids).values_list(
            "order_line_id", "serials"
        ):
            returned[line_id].update(serials)
    result: dict[int, list[str]] = {}
    for line in order_lines:
        given = named.get(line.pk, [])
        if not line.serials:
            if given:
                raise ReturnInvalid(
                    _("This line was sold without serial numbers."),
                    code="serials_invalid",
                    details={"order_line_id": line.pk},
                )
            result[line.pk] = []
            continue
        still_out = [serial for serial in line.serials if serial not in returned[line.pk]]
        if not given:
            if wanted[line.pk] != len(still_out):
                raise ReturnInvalid(
                    _("Name the serial numbers of the units that come back."),
                    code="serials_required",
                    details={"order_line_id": line.pk, "serials": still_out},
                )
            given = still_out
        if len(given) != wanted[line.pk] or len(set(given)) != len(given) or not set(given) <= set(still_out):
            raise ReturnInvalid(
                _("The serial numbers must be units of this line that have not come back yet, one per unit."),
                code="serials_invalid",
                details={"order_line_id": line.pk, "serials": still_out},
            )
        result[line.pk] = list(given)
    return result


def _return_plan(
    *,
    line_refunds: dict[int, int],
    order_line_ids: list[int],
    remaining: list[int],
    points_short_fen: int = 0,
    credit_cap_fen: int = 0,
) -> ReturnPlan:
    """The one allocation of a return's money, for returns, exchanges and the quote of an exchange.

    The refund is the lines' refunds, at most what the tenders still hold (`remaining`, one per
    original tender), less the money value of earned points the member already spent. In an exchange
    it first pays for the new goods (up to `credit_cap_fen`); the rest is spread over the original
    tenders in proportion to what they still hold. What the refund falls short of the lines' refunds
    is taken off the lines in order."""
    lines_fen = sum(line_refunds.values())
    refund_total = min(lines_fen, sum(remaining))
    refund_total -= min(max(0, points_short_fen), refund_total)
    credit = min(refund_total, max(0, credit_cap_fen))
    shares = allocate(refund_total - credit, remaining) if remaining else []
    excess = lines_fen - refund_total  # cash rounding left less paid than the lines' totals
    refunds: dict[int, int] = {}
    for line_id in order_line_ids:
        refund = line_refunds[line_id]
        taken = min(excess, refund)
        refunds[line_id] = refund - taken
        excess -= taken
    return ReturnPlan(refund_fen=refund_total, credit_fen=credit, line_refunds=refunds, tender_shares=shares)


@transaction.atomic
def _order_return_write(
    *,
    user: Any,
    order: Order,
    register: Register,
    client_return_id: str,
    lines: list[ReturnLineInput],
    restock: bool,
    reason: str,
    credit_cap_fen: int = 0,
    sale_member_id: int | None = None,
    exchange: bool = False,
) -> tuple[Return, bool]:
    """The return's writes, once per client_return_id: (the return, whether it was created now)."""
    locked = Order.objects.select_for_update().get(pk=order.pk)
    # A repeat that waited for the order's lock behind its first finds the first here, now committed.
    existing = Return.objects.filter(client_return_id=client_return_id).first()
    if existing is not None:
        return _return_repeat(existing, order=order, lines=lines, exchange=exchange), False
    if locked.status not in (Order.Status.COMPLETED, Order.Status.PARTIALLY_REFUNDED):
        raise OrderNotReturnable(details={"status": locked.status})
    training = locked.is_training
    shift = None if training else _lock_open_shift(register)
    wanted: Counter[int] = Counter()
    for wanted_line in lines:
        wanted[wanted_line.order_line_id] += wanted_line.qty
    order_lines = list(
        OrderLine.objects.select_for_update().filter(order_id=locked.pk, pk__in=list(wanted)).order_by("pk")
    )
    if len(order_lines) != len(wanted):
        raise ReturnInvalid(
            details={"order_line_ids": sorted(set(wanted) - {line.pk for line in order_lines})}
        )
    refunds = _return_line_refunds(order_lines, wanted)
    serials = _return_serials(order_lines, lines, wanted)
    tenders = list(
        OrderTender.objects.select_for_update()
        .filter(order_id=locked.pk, status=OrderTender.Status.COMPLETED)
        .order_by("pk")
    )
    plan_args: dict[str, Any] = {
        "line_refunds": refunds,
        "order_line_ids": [line.pk for line in order_lines],
        "remaining": [tender.amount_fen - tender.refunded_fen for tender in tenders],
        "credit_cap_fen": credit_cap_fen,
    }
    plan = _return_plan(**plan_args)
    member_ids = [member_id for member_id in (locked.member_id, sale_member_id) if member_id is not None]
    if member_ids and not training:
        # Lock order: order, shift, order lines and tenders, member accounts, stock levels — as checkout
        # and voids. An exchange takes its new sale's member here too, so that two members' accounts
        # are taken in the one order of member_accounts_lock, never one member's then the other's.
        member_services.member_accounts_lock(*member_ids)
    try:
        with transaction.atomic():
            ret = Return.objects.create(
                store_id=locked.store_id,
                register_id=register.pk,
                shift_id=shift.pk if shift is not None else None,
                order_id=locked.pk,
                cashier_id=user.pk,
                client_return_id=client_return_id,
                business_date=shift.business_date if shift is not None else business_date_for(register.store),
                is_training=training,
                restock=restock,
                reason=reason,
                refund_fen=plan.refund_fen,
            )
    except IntegrityError:
        # The same id raced in on another order: the unique constraint decides, the first one answers.
        winner = Return.objects.filter(client_return_id=client_return_id).first()
        if winner is None:
            raise
        return _return_repeat(winner, order=order, lines=lines, exchange=exchange), False
    if locked.member_id is not None and not training:
        # Points the returned goods earned come back; what the member already spent of them is kept
        # out of the refund (members.services never takes a balance below zero).
        points_short_fen = member_services.return_member_points(
            member_id=locked.member_id,
            order_id=locked.pk,
            return_id=ret.pk,
            refund_fen=sum(refunds.values()),
            store_id=locked.store_id,
            actor_id=user.pk,
        )
        if points_short_fen:
            plan = _return_plan(**plan_args, points_short_fen=points_short_fen)
            Return.objects.filter(pk=ret.pk).update(refund_fen=plan.refund_fen)
            ret.refund_fen = plan.refund_fen
    refund_total = plan.refund_fen
    # In an exchange the refund first pays for the new goods; only the rest goes back to the tenders.
    credit = plan.credit_fen
    line_rows = []
    for line in order_lines:
        refund = plan.line_refunds[line.pk]
        line_rows.append(
            ReturnLine(
                ret_id=ret.pk,
                order_line_id=line.pk,
                sku_id=line.sku_id,
                name=line.name,
                qty=wanted[line.pk],
                refund_fen=refund,
                serials=serials[line.pk],
            )
        )
        line.refunded_qty += wanted[line.pk]
        line.refunded_fen += refund
    ReturnLine.objects.bulk_create(line_rows)
    OrderLine.objects.bulk_update(order_lines, ["refunded_qty", "refunded_fen"])
    tender_rows = []
    refunds_by_kind: Counter[str] = Counter()
    for tender, share in zip(tenders, plan.tender_shares, strict=True):
        if not share:
            continue
        tender.refunded_fen += share
        refunds_by_kind[tender.kind] += share
        tender_rows.append(
            ReturnTender(
                ret_id=ret.pk,
                original_tender_id=tender.pk,
                kind=tender.kind,
                amount_fen=share,
                reference=tender.reference,
            )
        )
    if credit:
        refunds_by_kind[TenderKind.EXCHANGE_CREDIT] += credit
        tender_rows.append(ReturnTender(ret_id=ret.pk, kind=TenderKind.EXCHANGE_CREDIT, amount_fen=credit))
    ReturnTender.objects.bulk_create(tender_rows)
    OrderTender.objects.bulk_update(tenders, ["refunded_fen"])
    ret.exchange_credit_fen = credit  # type: ignore[attr-defined]
    if locked.member_id is not None and not training:
        member_services.return_member_tenders(
            member_id=locked.member_id,
            order_id=locked.pk,
            return_id=ret.pk,
            refunds=[
                (kind, amount) for kind, amount in refunds_by_kind.items() if kind in MEMBER_TENDER_KINDS
            ],
            store_id=locked.store_id,
            actor_id=user.pk,
        )
    all_back = all(line.refunded_qty == line.qty for line in OrderLine.objects.filter(order_id=locked.pk))
    Order.objects.filter(pk=locked.pk).update(
        refunded_fen=F("refunded_fen") + refund_total,
        status=Order.Status.REFUNDED if all_back else Order.Status.PARTIALLY_REFUNDED,
    )
    if not training:
        assert shift is not None
        _return_books(
            user=user,
            store=register.store,
            shift=shift,
            ret=ret,
            changes=[
                StockChange(line.sku_id, wanted[line.pk], tuple(serials[line.pk]), line.batch_id)
                for line in order_lines
            ],
            restock=restock,
            refunds_by_kind=refunds_by_kind,
        )
    audit_record(
        action="order.refund",
        obj=locked,
        after={
            "return_id": ret.pk,
            "refund_fen": refund_total,
            "lines": {str(k): v for k, v in wanted.items()},
        },
        actor_id=user.pk,
        store_id=locked.store_id,
        register_id=register.pk,
    )
    return ret, True


def _return_books(
    *,
    user: Any,
    store: Store,
    shift: Shift,
    ret: Return,
    changes: list[StockChange],
    restock: bool,
    refunds_by_kind: Counter[str],
) -> None:
    """Stock back in (or in and straight out as damaged), cash out of the drawer, shift rollup. Serial
    numbers and batches come back with their units: a returned unit is sellable again, a batch line
    returns to its batch."""
    service_sku_ids = set(
        SKU.objects.filter(pk__in=[change.sku_id for change in changes], product__kind="service").values_list(
            "pk", flat=True
        )
    )
    changes = [change for change in changes if change.sku_id not in service_sku_ids]
    stock_apply(
        store=store,
        changes=changes,
        reason="return",
        source_type="sales.return",
        source_id=str(ret.pk),
        actor_id=user.pk,
    )
    if not restock:
        stock_apply(
            store=store,
            changes=[
                StockChange(change.sku_id, -change.qty, change.serials, change.batch_id) for change in changes
            ],
            reason="damage",
            source_type="sales.return",
            source_id=str(ret.pk),
            actor_id=user.pk,
            check_available=False,
        )
    cash_out = refunds_by_kind.get(TenderKind.CASH, 0)
    entries, balance = _cash_entries(
        shift=shift,
        movements=[(CashDrawerEntry.Kind.REFUND_OUT, -cash_out)],
        source_type="return",
        source_id=str(ret.pk),
        actor_id=user.pk,
    )
    CashDrawerEntry.objects.bulk_create(entries)
    by_kind = dict(shift.refunds_by_tender)
    for kind, amount in refunds_by_kind.items():
        by_kind[kind] = by_kind.get(kind, 0) + amount
    Shift.objects.filter(pk=shift.pk).update(
        return_count=F("return_count") + 1,
        refunds_fen=F("refunds_fen") + ret.refund_fen,
        cash_balance_fen=balance,
        refunds_by_tender=by_kind,
    )
