"""API of the sales app (mounted at /api/v1/sales/): parse, authorize, call a service, serialize."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from mendian.members import selectors as member_selectors
from mendian.sales import selectors, services
from mendian.sales.errors import ShiftNotOpen
from mendian.sales.schemas import (
    DailyCloseOut,
    ExceptionIn,
    ExceptionOut,
    ExchangeIn,
    ExchangeOut,
    ExchangeQuoteIn,
    ExchangeQuoteOut,
    HeldIn,
    HeldOut,
    Id,
    OrderIn,
    OrderOut,
    PrepaidRefundIn,
    PrepaidSaleIn,
    PrepaidSaleOut,
    QuoteIn,
    QuoteOut,
    ReturnIn,
    ReturnOut,
    ShiftCashIn,
    ShiftCloseIn,
    ShiftOpenIn,
    ShiftReportOut,
    UnreceiptedReturnIn,
    VoidIn,
)
from mendian.sales.selectors import LineInput
from mendian.stores.selectors import permission_check, store_get

router = Router(tags=["sales"])


def _line_inputs(lines: list[Any]) -> list[LineInput]:
    return [
        LineInput(
            sku_id=line.sku_id,
            qty=line.qty,
            serials=tuple(line.serials),
            batch_id=line.batch_id,
            price_override_fen=line.price_override_fen,
            is_gift=line.is_gift,
        )
        for line in lines
    ]


@router.post("/quote", response=QuoteOut, summary="Price a cart without saving it")
def quote(request: HttpRequest, payload: QuoteIn) -> dict[str, Any]:
    permission_check(request.user, "sales.add_order")
    register = selectors.register_for_sale(request.user, payload.register_id)
    return selectors.cart_quote(
        register=register,
        lines=_line_inputs(payload.lines),
        member_id=payload.member_id,
        manual_discount_fen=payload.manual_discount_fen,
    )


@router.post("/orders", response={200: OrderOut, 201: OrderOut}, summary="Check out a sale (idempotent)")
def order_create(request: HttpRequest, payload: OrderIn) -> Status:
    permission_check(request.user, "sales.add_order")
    register = selectors.register_for_sale(
        request.user, payload.register_id, known=getattr(request, "mendian_register", None)
    )
    result = services.order_checkout(
        user=request.user,
        register=register,
        client_order_id=str(payload.client_order_id),
        lines=_line_inputs(payload.lines),
        tenders=[
            services.TenderInput(
                kind=tender.kind,
                amount_fen=tender.amount_fen,
                tendered_fen=tender.tendered_fen,
                reference=tender.reference,
                card_last4=tender.card_last4,
                approval_code=tender.approval_code,
            )
            for tender in payload.tenders
        ],
        member_id=payload.member_id,
        note=payload.note,
        manual_discount_fen=payload.manual_discount_fen,
        authorizer=services.AuthorizerInput(
            employee_no=payload.authorizer.employee_no, pin=payload.authorizer.pin
        )
        if payload.authorizer
        else None,
        reason=payload.reason,
        member_code=payload.member_code,
    )
    return Status(
        201 if result.created else 200, selectors.order_out(result.order, result.lines, result.tenders)
    )


class OrderFilter(Schema):
    store_id: Id | None = None
    register_id: Id | None = None
    date_from: date | None = None
    date_to: date | None = None
    status: str | None = None
    is_training: bool | None = None
    number: str | None = Field(default=None, max_length=40)
    limit: int = Field(default=50, ge=1, le=200)
    offset: int = Field(default=0, ge=0, le=1_000_000)


@router.get("/orders", response=list[OrderOut], summary="Orders of my stores")
def order_list(request: HttpRequest, filters: Query[OrderFilter]) -> list[dict[str, Any]]:
    permission_check(request.user, "sales.view_order")
    orders = selectors.order_list(
        request.user,
        store_id=filters.store_id,
        register_id=filters.register_id,
        date_from=filters.date_from,
        date_to=filters.date_to,
        status=filters.status,
        is_training=filters.is_training,
        number=filters.number,
    )[filters.offset : filters.offset + filters.limit]
    return [selectors.order_detail_out(order) for order in orders]


@router.get("/orders/{order_id}", response=OrderOut, summary="One order")
def order_detail(request: HttpRequest, order_id: Id) -> dict[str, Any]:
    permission_check(request.user, "sales.view_order")
    return selectors.order_detail_out(selectors.order_get(request.user, order_id))


@router.post("/orders/{order_id}/void", response=OrderOut, summary="Void an unpaid order")
def order_void(request: HttpRequest, order_id: Id, payload: VoidIn) -> dict[str, Any]:
    permission_check(request.user, "sales.change_order")
    order = selectors.order_get(request.user, order_id)
    services.order_void(user=request.user, order=order, reason=payload.reason)
    return selectors.order_detail_out(selectors.order_get(request.user, order_id))


@router.post(
    "/orders/{order_id}/returns",
    response={200: ReturnOut, 201: ReturnOut},
    summary="Return goods of an order",
)
def order_return(request: HttpRequest, order_id: Id, payload: ReturnIn) -> Status:
    permission_check(request.user, "sales.refund_order")
    order = selectors.order_get(request.user, order_id)
    register_id = payload.register_id or getattr(getattr(request, "mendian_register", None), "pk", None)
    register = selectors.register_for_sale(request.user, register_id or order.register_id)
    ret, created = services.order_return(
        user=request.user,
        order=order,
        register=register,
        client_return_id=str(payload.client_return_id),
        lines=_return_line_inputs(payload.lines),
        restock=payload.restock,
        reason=payload.reason,
    )
    return Status(201 if created else 200, selectors.return_out(selectors.return_get(request.user, ret.pk)))


@router.post(
    "/returns/unreceipted", response={200: ReturnOut, 201: ReturnOut}, summary="Return without receipt"
)
def return_unreceipted(request: HttpRequest, payload: UnreceiptedReturnIn) -> Status:
    permission_check(request.user, "sales.refund_unreceipted")
    register = selectors.register_for_sale(request.user, payload.register_id)
    ret, created = services.return_unreceipted(
        user=request.user,
        register=register,
        client_return_id=str(payload.client_return_id),
        lines=[
            services.UnreceiptedLineInput(
                sku_id=line.sku_id,
                qty=line.qty,
                refund_unit_fen=line.refund_unit_fen,
                serials=tuple(line.serials),
            )
            for line in payload.lines
        ],
        restock=payload.restock,
        reason=payload.reason,
    )
    return Status(201 if created else 200, selectors.return_out(selectors.return_get(request.user, ret.pk)))


def _return_line_inputs(lines: list[Any]) -> list[services.ReturnLineInput]:
    return [
        services.ReturnLineInput(order_line_id=line.order_line_id, qty=line.qty, serials=tuple(line.serials))
        for line in lines
    ]


def _tender_inputs(tenders: list[Any]) -> list[services.TenderInput]:
    return [
        services.TenderInput(
            kind=tender.kind,
            amount_fen=tender.amount_fen,
            tendered_fen=tender.tendered_fen,
            reference=tender.reference,
            card_last4=tender.card_last4,
            approval_code=tender.approval_code,
        )
        for tender in tenders
    ]


def _authorizer_input(authorizer: Any) -> services.AuthorizerInput | None:
    if authorizer is None:
        return None
    return services.AuthorizerInput(employee_no=authorizer.employee_no, pin=authorizer.pin)


@router.post(
    "/exchanges", response={200: ExchangeOut, 201: ExchangeOut}, summary="Exchange: a return and a sale"
)
def exchange_create(request: HttpRequest, payload: ExchangeIn) -> Status:
    permission_check(request.user, "sales.refund_order")
    permission_check(request.user, "sales.add_order")
    order = selectors.order_get(request.user, payload.order_id)
    register = selectors.register_for_sale(request.user, payload.register_id)
    ret, result = services.order_exchange(
        user=request.user,
        order=order,
        register=register,
        client_return_id=str(payload.client_return_id),
        return_lines=_return_line_inputs(payload.return_lines),
        client_order_id=str(payload.sale.client_order_id),
        lines=_line_inputs(payload.sale.lines),
        tenders=_tender_inputs(payload.sale.tenders),
        restock=payload.restock,
        reason=payload.reason,
        member_id=payload.sale.member_id,
        note=payload.sale.note,
        manual_discount_fen=payload.sale.manual_discount_fen,
        authorizer=_authorizer_input(payload.sale.authorizer),
        override_reason=payload.sale.reason,
    )
    body = {
        "returned": selectors.return_out(selectors.return_get(request.user, ret.pk)),
        "order": selectors.order_out(result.order, result.lines, result.tenders),
    }
    return Status(201 if result.created else 200, body)


@router.post(
    "/exchanges/quote",
    response=ExchangeQuoteOut,
    summary="What an exchange would refund and charge, without saving it",
)
def exchange_quote(request: HttpRequest, payload: ExchangeQuoteIn) -> dict[str, Any]:
    permission_check(request.user, "sales.refund_order")
    permission_check(request.user, "sales.add_order")
    order = selectors.order_get(request.user, payload.order_id)
    register = selectors.register_for_sale(request.user, payload.register_id)
    return services.order_exchange_quote(
        order=order,
        register=register,
        return_lines=_return_line_inputs(payload.return_lines),
        lines=_line_inputs(payload.sale.lines),
        member_id=payload.sale.member_id,
        manual_discount_fen=payload.sale.manual_discount_fen,
        authorizer=_authorizer_input(payload.sale.authorizer),
        override_reason=payload.sale.reason,
    )


@router.get("/returns/{return_id}", response=ReturnOut, summary="One return")
def return_detail(request: HttpRequest, return_id: Id) -> dict[str, Any]:
    permission_check(request.user, "sales.view_order")
    return selectors.return_out(selectors.return_get(request.user, return_id))


# Held carts ------------------------------------------------------------------------------------


def _held_out(held: Any) -> dict[str, Any]:
    return {
        "id": held.pk,
        "register_id": held.register_id,
        "cashier_id": held.cashier_id,
        "label": held.label,
        "cart": held.cart,
        "total_fen": held.total_fen,
        "created_at": held.created_at,
    }


@router.post("/held", response={201: HeldOut}, summary="Hold a cart (挂单)")
def held_create(request: HttpRequest, payload: HeldIn) -> Status:
    permission_check(request.user, "sales.add_heldorder")
    register = selectors.register_for_sale(request.user, payload.register_id)
    held = services.held_create(
        user=request.user,
        register=register,
        cart=payload.cart,
        label=payload.label,
        total_fen=payload.total_fen,
    )
    return Status(201, _held_out(held))


@router.get("/held", response=list[HeldOut], summary="Held carts of a register")
def held_list(request: HttpRequest, register_id: Id) -> list[dict[str, Any]]:
    permission_check(request.user, "sales.view_heldorder")
    register = selectors.register_for_sale(request.user, register_id)
    return [_held_out(held) for held in selectors.held_list(request.user, register)]


@router.delete("/held/{held_id}", response={204: None}, summary="Resume or discard a held cart")
def held_delete(request: HttpRequest, held_id: Id) -> Status:
    permission_check(request.user, "sales.delete_heldorder")
    services.held_delete(held=selectors.held_get(request.user, held_id))
    return Status(204, None)


# Stored value and cards ------------------------------------------------------------------------


@router.post(
    "/prepaid",
    response={200: PrepaidSaleOut, 201: PrepaidSaleOut},
    summary="Sell stored value, a count card or a paid membership card for cash or card (idempotent)",
)
def prepaid_sell(request: HttpRequest, payload: PrepaidSaleIn) -> Status:
    permission_check(request.user, "sales.add_prepaidsale")
    register = selectors.register_for_sale(request.user, payload.register_id)
    sale, created = services.prepaid_sell(
        user=request.user,
        register=register,
        client_id=str(payload.client_id),
        member=member_selectors.member_get(payload.member_id),
        item=services.PrepaidItem(kind=payload.kind, plan_id=payload.plan_id, amount_fen=payload.amount_fen),
        tenders=_tender_inputs(payload.tenders),
    )
    return Status(201 if created else 200, selectors.prepaid_out(sale))


@router.post(
    "/prepaid/refunds",
    response={200: PrepaidSaleOut, 201: PrepaidSaleOut},
    summary="Pay back stored value, a count card or a paid card in cash or to a card (idempotent)",
)
def prepaid_refund(request: HttpRequest, payload: PrepaidRefundIn) -> Status:
    permission_check(request.user, "sales.add_prepaidsale")
    register = selectors.register_for_sale(request.user, payload.register_id)
    sale, created = services.prepaid_refund(
        user=request.user,
        register=register,
        client_id=str(payload.client_id),
        member=member_selectors.member_get(payload.member_id),
        kind=payload.kind,
        count_card_id=payload.count_card_id,
        tender=_tender_inputs([payload.tender])[0],
        reason=payload.reason,
        authorizer=_authorizer_input(payload.authorizer),
    )
    return Status(201 if created else 200, selectors.prepaid_out(sale))


@router.get("/prepaid/{sale_id}", response=PrepaidSaleOut, summary="One stored value or card sale")
def prepaid_get(request: HttpRequest, sale_id: Id) -> dict[str, Any]:
    permission_check(request.user, "sales.view_prepaidsale")
    return selectors.prepaid_out(selectors.prepaid_get(request.user, sale_id))


# Shifts ----------------------------------------------------------------------------------------


@router.post("/shifts/open", response={201: ShiftReportOut}, summary="Open a shift with a cash float")
def shift_open(request: HttpRequest, payload: ShiftOpenIn) -> Status:
    permission_check(request.user, "sales.add_shift")
    register = selectors.register_for_sale(request.user, payload.register_id)
    shift = services.shift_open(user=request.user, register=register, float_fen=payload.float_fen)
    return Status(201, selectors.shift_report(shift))


@router.get("/shifts/current", response={200: ShiftReportOut}, summary="The open shift of a register")
def shift_current(request: HttpRequest, register_id: Id) -> dict[str, Any]:
    permission_check(request.user, "sales.view_shift")
    register = selectors.register_for_sale(request.user, register_id)
    shift = selectors.shift_current(register)
    if shift is None:
        raise ShiftNotOpen(details={"register_id": register.pk})
    return selectors.shift_report(shift)


@router.post("/shifts/{shift_id}/cash", response=ShiftReportOut, summary="Paid in, paid out, or no-sale")
def shift_cash(request: HttpRequest, shift_id: Id, payload: ShiftCashIn) -> dict[str, Any]:
    permission_check(request.user, "sales.add_cashdrawerentry")
    shift = selectors.shift_get(request.user, shift_id)
    shift = services.shift_cash_move(
        user=request.user,
        shift=shift,
        kind=payload.kind,
        amount_fen=payload.amount_fen,
        reason=payload.reason,
    )
    return selectors.shift_report(shift)


@router.get("/shifts/{shift_id}/report", response=ShiftReportOut, summary="X report (or Z once closed)")
def shift_report(request: HttpRequest, shift_id: Id) -> dict[str, Any]:
    permission_check(request.user, "sales.view_shift")
    return selectors.shift_report(selectors.shift_get(request.user, shift_id))


@router.post(
    "/shifts/{shift_id}/close", response=ShiftReportOut, summary="Close with counted cash → Z report"
)
def shift_close(request: HttpRequest, shift_id: Id, payload: ShiftCloseIn) -> dict[str, Any]:
    permission_check(request.user, "sales.change_shift")
    shift = selectors.shift_get(request.user, shift_id)
    shift = services.shift_close(user=request.user, shift=shift, counted=payload.counted)
    return selectors.shift_report(shift)


@router.get("/daily-close", response=DailyCloseOut, summary="A store's day: all shifts summed")
def daily_close(request: HttpRequest, store_id: Id, date: date) -> dict[str, Any]:
    permission_check(request.user, "sales.view_shift")
    store = store_get(request.user, store_id)
    return selectors.daily_close(store, date)


# Exception log ---------------------------------------------------------------------------------


def _exception_out(entry: Any) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "store_id": entry.store_id,
        "register_id": entry.register_id,
        "actor_id": entry.actor_id,
        "kind": entry.kind,
        "order_id": entry.order_id,
        "amount_fen": entry.amount_fen,
        "message": entry.message,
        "details": entry.details,
        "is_training": entry.is_training,
        "created_at": entry.created_at,
    }


@router.post("/exceptions", response={201: ExceptionOut}, summary="Report an exception seen at the till")
def exception_create(request: HttpRequest, payload: ExceptionIn) -> Status:
    permission_check(request.user, "sales.add_exceptionlog")
    register = selectors.register_for_sale(request.user, payload.register_id)
    entry = services.exception_report(
        user=request.user,
        register=register,
        kind=payload.kind,
        message=payload.message,
        amount_fen=payload.amount_fen,
        details=payload.details,
    )
    return Status(201, _exception_out(entry))


@router.get("/exceptions", response=list[ExceptionOut], summary="Exception log of my stores")
def exception_list(
    request: HttpRequest,
    store_id: Id | None = None,
    kind: str | None = None,
    date_from: date | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    permission_check(request.user, "sales.view_exceptions")
    if store_id is not None:
        store_get(request.user, store_id)
    entries = selectors.exception_list(request.user, store_id=store_id, kind=kind, date_from=date_from)
    return [_exception_out(entry) for entry in entries[: max(1, min(limit, 500))]]
