"""Writes of the sales app: checkout, returns, voids, held carts, shifts and the cash drawer, exceptions.

Checkout is the hot path: a fixed number of queries whatever the line count (SKUs, store prices,
stock levels each in one query; lines, tenders, moves and cash entries with bulk_create), one short
transaction, and the unique client_order_id deciding which of several identical posts wins."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from mendian.core.services import audit_record
from mendian.members import services as member_services
from mendian.sales.models import HeldOrder, Order
from mendian.sales.services.cash_drawer import CASH_MOVE_KINDS, shift_cash_move, shift_close, shift_open
from mendian.sales.services.checkout import MAX_LINES, CheckoutResult, order_checkout
from mendian.sales.services.exception_log import CLIENT_EXCEPTION_KINDS, exception_record, exception_report
from mendian.sales.services.exchanges import order_exchange, order_exchange_quote
from mendian.sales.services.overrides import (
    PERMISSION_OVERRIDE,
    AuthorizerInput,
    authorizer_verify,
    overrides_authorize,
)
from mendian.sales.services.returns import ReturnLineInput, ReturnPlan, order_return
from mendian.sales.services.tenders import (
    MEMBER_TENDER_KINDS,
    SettledTender,
    Settlement,
    TenderInput,
    tenders_settle,
)
from mendian.sales.services.unreceipted_returns import UnreceiptedLineInput, return_unreceipted
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
