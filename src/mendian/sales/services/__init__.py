"""Writes of the sales app: checkout, returns, voids, held carts, shifts and the cash drawer, exceptions.

Checkout is the hot path: a fixed number of queries whatever the line count (SKUs, store prices,
stock levels each in one query; lines, tenders, moves and cash entries with bulk_create), one short
transaction, and the unique client_order_id deciding which of several identical posts wins."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from mendian.core.errors import DomainError, PermissionDeniedError
from mendian.core.money import round_to_jiao
from mendian.core.services import audit_record
from mendian.members import selectors as member_selectors
from mendian.members import services as member_services
from mendian.sales.errors import IdempotencyMismatch, OrderNotReturnable, ReturnInvalid, ShiftNotOpen
from mendian.sales.models import (
    ExceptionLog,
    HeldOrder,
    Order,
    OrderLine,
    OrderTender,
    Return,
    ReturnLine,
    ReturnTender,
    Shift,
    TenderKind,
)
from mendian.sales.selectors import LineInput, SkuInfo, business_date_for, cart_price, quote_out, sku_infos
from mendian.sales.services.cash_drawer import (
    CASH_MOVE_KINDS,
    _lock_open_shift,
    shift_cash_move,
    shift_close,
    shift_open,
)
from mendian.sales.services.checkout import MAX_LINES, CheckoutResult, _existing_checkout, order_checkout
from mendian.sales.services.exception_log import CLIENT_EXCEPTION_KINDS, exception_record, exception_report
from mendian.sales.services.overrides import (
    PERMISSION_OVERRIDE,
    AuthorizerInput,
    authorizer_verify,
    overrides_authorize,
)
from mendian.sales.services.returns import (
    ReturnLineInput,
    ReturnPlan,
    _order_return_write,
    _return_books,
    _return_line_refunds,
    _return_plan,
    order_return,
)
from mendian.sales.services.tenders import (
    MEMBER_TENDER_KINDS,
    SettledTender,
    Settlement,
    TenderInput,
    tenders_settle,
)
from mendian.sales.services.voids import order_void
from mendian.stores.models import Register

__all__ = [
    "CASH_MOVE_KINDS",
    "CLIENT_EXCEPTION_KINDS",
    "MAX_LINES",
    "MEMBER_TENDER_KINDS",
    "PERMISSION_OVERRIDE",
    "AuthorizerInput",
    "CheckoutResult",
    "ReturnLineInput",
    "ReturnPlan",
    "SettledTender",
    "Settlement",
    "TenderInput",
    "UnreceiptedLineInput",
    "authorizer_verify",
    "exception_record",
    "exception_report",
    "held_create",
    "held_delete",
    "order_checkout",
    "order_exchange",
    "order_exchange_quote",
    "order_member_claim",
    "order_return",
    "order_void",
    "overrides_authorize",
    "return_unreceipted",
    "shift_cash_move",
    "shift_close",
    "shift_open",
    "tenders_settle",
]


@dataclass(frozen=True)
class UnreceiptedLineInput:
    sku_id: int
    qty: int
    refund_unit_fen: int | None = None


def order_exchange(
    *,
    user: Any,
    order: Order,
    register: Register,
    client_return_id: str,
    return_lines: list[ReturnLineInput],
    client_order_id: str,
    lines: list[LineInput],
    tenders: list[TenderInput],
    restock: bool = True,
    reason: str = "",
    member_id: int | None = None,
    note: str = "",
    manual_discount_fen: int = 0,
    authorizer: AuthorizerInput | None = None,
    override_reason: str = "",
) -> tuple[Return, CheckoutResult]:
    """An exchange is a return and a new sale settled together, in one transaction: the refund of the
    returned goods pays for the new ones first; the customer pays any difference with the usual
    tenders, or gets the rest back on the original tenders.

    The new goods may carry price overrides and a manual discount under the same rules as a checkout
    (a manager's employee number and PIN, and `override_reason`), checked and audited by the checkout
    itself. `reason` is the reason for the return."""
    existing = Return.objects.filter(client_return_id=client_return_id).first()
    if existing is not None and existing.exchange_order_id is not None:
        repeat = _existing_checkout(
            Order.objects.get(pk=existing.exchange_order_id), register=register, lines=lines
        )
        return existing, repeat
    if existing is not None:
        raise IdempotencyMismatch(details={"return_id": existing.pk})
    _exchange_check(order=order, register=register, return_lines=return_lines)
    priced, _infos = cart_price(
        store=register.store, lines=lines, member_id=member_id, manual_discount_fen=manual_discount_fen
    )
    with transaction.atomic():
        ret = _order_return_write(
            user=user,
            order=order,
            register=register,
            client_return_id=client_return_id,
            lines=return_lines,
            restock=restock,
            reason=reason,
            credit_cap_fen=priced.total_fen,
        )
        result = order_checkout(
            user=user,
            register=register,
            client_order_id=client_order_id,
            lines=lines,
            tenders=tenders,
            member_id=member_id,
            note=note,
            manual_discount_fen=manual_discount_fen,
            authorizer=authorizer,
            reason=override_reason,
            exchange_credit_fen=ret.exchange_credit_fen,  # type: ignore[attr-defined]
        )
        if not result.created:
            raise IdempotencyMismatch(details={"order_id": result.order.pk})
        Return.objects.filter(pk=ret.pk).update(exchange_order=result.order)
        ret.exchange_order_id = result.order.pk
    return ret, result


def _exchange_check(*, order: Order, register: Register, return_lines: list[ReturnLineInput]) -> None:
    """What an exchange (and its quote) refuses before reading any line."""
    if order.store_id != register.store_id:
        raise ReturnInvalid(
            _("Return goods at a till of the store that sold them."), code="return_wrong_store"
        )
    if not return_lines or any(line.qty <= 0 for line in return_lines):
        raise ReturnInvalid()


def order_exchange_quote(
    *,
    order: Order,
    register: Register,
    return_lines: list[ReturnLineInput],
    lines: list[LineInput],
    member_id: int | None = None,
    manual_discount_fen: int = 0,
    authorizer: AuthorizerInput | None = None,
    override_reason: str = "",
) -> dict[str, Any]:
    """What an exchange would do, without writing or locking anything: the refund of each returned
    line and in all (the same plan as the exchange: `_return_line_refunds` and `_return_plan`), the
    new goods priced by the one pricing function, and what is left to settle — paid by the customer
    (`due_fen`, `cash_due_fen` when paid in cash) or given back on the original tenders.

    Refuses what the exchange refuses, with the same errors (more returned than sold, an order that
    takes no returns, no open shift, overrides without a manager's PIN)."""
    _exchange_check(order=order, register=register, return_lines=return_lines)
    if not lines:
        raise DomainError(_("The cart is empty."), code="cart_empty")
    if order.status not in (Order.Status.COMPLETED, Order.Status.PARTIALLY_REFUNDED):
        raise OrderNotReturnable(details={"status": order.status})
    if (
        not (order.is_training and register.is_training)
        and not Shift.objects.filter(register_id=register.pk, closed_at__isnull=True).exists()
    ):
        raise ShiftNotOpen(details={"register_id": register.pk})
    wanted: Counter[int] = Counter()
    for wanted_line in return_lines:
        wanted[wanted_line.order_line_id] += wanted_line.qty
    order_lines = list(OrderLine.objects.filter(order_id=order.pk, pk__in=list(wanted)).order_by("pk"))
    if len(order_lines) != len(wanted):
        raise ReturnInvalid(
            details={"order_line_ids": sorted(set(wanted) - {line.pk for line in order_lines})}
        )
    line_refunds = _return_line_refunds(order_lines, wanted)
    tenders = list(
        OrderTender.objects.filter(order_id=order.pk, status=OrderTender.Status.COMPLETED).order_by("pk")
    )
    store = register.store
    priced, infos = cart_price(
        store=store, lines=lines, member_id=member_id, manual_discount_fen=manual_discount_fen
    )
    overrides_authorize(
        store=store,
        lines=lines,
        priced=priced,
        infos=infos,
        manual_discount_fen=manual_discount_fen,
        authorizer=authorizer,
        reason=override_reason,
    )
    points_short_fen = 0
    if order.member_id is not None and not order.is_training:
        points_short_fen = member_selectors.points_return_shortfall_fen(
            member_id=order.member_id, order_id=order.pk, refund_fen=sum(line_refunds.values())
        )
    plan = _return_plan(
        line_refunds=line_refunds,
        order_line_ids=[line.pk for line in order_lines],
        remaining=[tender.amount_fen - tender.refunded_fen for tender in tenders],
        points_short_fen=points_short_fen,
        credit_cap_fen=priced.total_fen,
    )
    due = priced.total_fen - plan.credit_fen
    back = plan.refund_fen - plan.credit_fen
    return {
        "order_id": order.pk,
        "return_lines": [
            {
                "order_line_id": line.pk,
                "sku_id": line.sku_id,
                "name": line.name,
                "qty": wanted[line.pk],
                "refund_fen": plan.line_refunds[line.pk],
            }
            for line in order_lines
        ],
        "refund_fen": plan.refund_fen,
        "credit_fen": plan.credit_fen,
        "sale": quote_out(priced=priced, infos=infos, store=store),
        "due_fen": due,
        "cash_due_fen": round_to_jiao(due) if store.cash_rounding_to_jiao else due,
        "refund_back_fen": back,
        "refund_tenders": [
            {
                "kind": tender.kind,
                "amount_fen": share,
                "reference": tender.reference,
                "card_last4": tender.card_last4,
            }
            for tender, share in zip(tenders, plan.tender_shares, strict=True)
            if share
        ],
        "net_fen": due - back,
    }


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
    price of the store, in cash, and is logged as an exception."""
    if not user.has_perm("sales.refund_unreceipted"):
        raise PermissionDeniedError(details={"permission": "sales.refund_unreceipted"})
    existing = Return.objects.filter(client_return_id=client_return_id).first()
    if existing is not None:
        return existing, False
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
    try:
        return _return_unreceipted_write(
            user=user,
            register=register,
            client_return_id=client_return_id,
            priced_lines=priced_lines,
            infos=infos,
            restock=restock,
            reason=reason,
        ), True
    except IntegrityError:
        winner = Return.objects.filter(client_return_id=client_return_id).first()
        if winner is None:
            raise
        return winner, False


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
) -> Return:
    training = register.is_training
    shift = None if training else _lock_open_shift(register)
    refund_total = sum(amount for _line, amount in priced_lines)
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
    ReturnLine.objects.bulk_create(
        [
            ReturnLine(
                ret_id=ret.pk,
                sku_id=line.sku_id,
                name=infos[line.sku_id].name[:300],
                qty=line.qty,
                refund_fen=amount,
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
            stock_lines=[
                (line.sku_id, line.qty) for line, _amount in priced_lines if infos[line.sku_id].moves_stock
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
    return ret


@transaction.atomic
def held_create(
    *, user: Any, register: Register, cart: dict[str, Any], label: str = "", total_fen: int = 0
) -> HeldOrder:
    """Put a cart aside at a register (挂单); it holds no stock and no money."""
    return HeldOrder.objects.create(
        store_id=register.store_id,
        register_id=register.pk,
        cashier_id=user.pk,
        label=label,
        cart=cart,
        total_fen=total_fen,
    )


@transaction.atomic
def held_delete(*, held: HeldOrder) -> None:
    """Resume (the till took the cart back) or discard a held cart."""
    HeldOrder.objects.filter(pk=held.pk).delete()


@transaction.atomic
def order_member_claim(*, token: str, member_id: int) -> Order:
    """Attach a completed sale without a member to the member who scanned its receipt's claim QR and
    credit its points exactly once: the order row is locked and attached only while it has no member;
    training, voided, pending and returned sales cannot be claimed."""
    from mendian.sales.claim import order_claim_token_resolve
    from mendian.sales.errors import OrderAlreadyClaimed, OrderClaimInvalid, OrderNotClaimable

    order_id = order_claim_token_resolve(token)
    order = Order.objects.select_for_update().filter(pk=order_id).first()
    if order is None:
        raise OrderClaimInvalid()
    if order.member_id is not None:
        raise OrderAlreadyClaimed()
    if order.is_training or order.status != Order.Status.COMPLETED:
        raise OrderNotClaimable(details={"status": order.status})
    if not Order.objects.filter(pk=order.pk, member_id__isnull=True).update(member_id=member_id):
        raise OrderAlreadyClaimed()
    order.member_id = member_id
    lines = list(order.lines.values_list("total_fen", "sku__product__category_id"))
    member_services.checkout_member_books(
        member_id=member_id,
        order_id=order.pk,
        order_total_fen=order.total_fen,
        store_id=order.store_id,
        member_tenders=[],
        earn_lines=[member_services.EarnLine(total_fen, category_id) for total_fen, category_id in lines],
        actor_id=None,
    )
    audit_record(
        action="order.member_claim",
        obj=order,
        after={"member_id": member_id},
        store_id=order.store_id,
        register_id=order.register_id,
    )
    return order
