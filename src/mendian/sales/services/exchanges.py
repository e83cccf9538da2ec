"""Exchanges: a return and a new sale settled together, and the quote of one."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from mendian.core.errors import DomainError
from mendian.core.money import round_to_jiao
from mendian.members import selectors as member_selectors
from mendian.sales.errors import IdempotencyMismatch, OrderNotReturnable, ReturnInvalid, ShiftNotOpen
from mendian.sales.models import Order, OrderLine, OrderTender, Return, Shift
from mendian.sales.selectors import LineInput, cart_price, quote_out
from mendian.sales.services.checkout import CheckoutResult, _existing_checkout, order_checkout
from mendian.sales.services.overrides import AuthorizerInput, overrides_authorize
from mendian.sales.services.returns import (
    ReturnLineInput,
    _order_return_write,
    _return_line_refunds,
    _return_plan,
    _return_repeat,
    _return_serials,
)
from mendian.sales.services.tenders import TenderInput
from mendian.stores.models import Register


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
    itself. `reason` is the reason for the return.

    Runs once per client_return_id: a repeat of the same exchange (even concurrent) answers with the
    first return and order; the id reused for another return or exchange is refused (409)."""
    existing = Return.objects.filter(client_return_id=client_return_id).first()
    if existing is not None:
        return _exchange_repeat(
            existing, order=order, register=register, return_lines=return_lines, lines=lines
        )
    _exchange_check(order=order, register=register, return_lines=return_lines)
    priced, _infos = cart_price(
        store=register.store, lines=lines, member_id=member_id, manual_discount_fen=manual_discount_fen
    )
    with transaction.atomic():
        ret, created = _order_return_write(
            user=user,
            order=order,
            register=register,
            client_return_id=client_return_id,
            lines=return_lines,
            restock=restock,
            reason=reason,
            credit_cap_fen=priced.total_fen,
            sale_member_id=member_id,
            exchange=True,
        )
        if not created:
            return _exchange_repeat(
                ret, order=order, register=register, return_lines=return_lines, lines=lines
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


def _exchange_repeat(
    existing: Return,
    *,
    order: Order,
    register: Register,
    return_lines: list[ReturnLineInput],
    lines: list[LineInput],
) -> tuple[Return, CheckoutResult]:
    """A repeat of an exchange: its first return and order, provided both are the same as asked."""
    ret = _return_repeat(existing, order=order, lines=return_lines, exchange=True)
    assert ret.exchange_order_id is not None
    return ret, _existing_checkout(
        Order.objects.get(pk=ret.exchange_order_id), register=register, lines=lines
    )


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

    Refuses what the exchange refuses, with the same errors (more returned than sold, serial numbers
    that are not the line's units still out, an order that takes no returns, no open shift, overrides
    without a manager's PIN)."""
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
    _return_serials(order_lines, return_lines, wanted)
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
