"""API input and output shapes of the sales app. Amounts are integer fen."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from ninja import Schema
from pydantic import Field

MAX_FEN = 10**12
MAX_QTY = 100_000
MAX_ID = 2**63 - 1  # a database bigint: larger ids would overflow the driver, not just miss

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Denomination = Annotated[int, Field(ge=1, le=1_000_000)]
Count = Annotated[int, Field(ge=0, le=1_000_000)]


class CartLineIn(Schema):
    sku_id: Id
    qty: int = Field(gt=0, le=MAX_QTY)
    serials: list[str] = Field(default_factory=list, max_length=1000)
    batch_id: Id | None = None
    price_override_fen: int | None = Field(default=None, ge=0, le=MAX_FEN)
    is_gift: bool = False


class QuoteIn(Schema):
    register_id: Id
    lines: list[CartLineIn] = Field(min_length=1, max_length=200)
    member_id: Id | None = None
    manual_discount_fen: int = Field(default=0, ge=0, le=MAX_FEN)


class QuoteLineOut(Schema):
    sku_id: int
    sku_code: str
    name: str
    qty: int
    list_price_fen: int
    unit_price_fen: int
    discount_fen: int
    total_fen: int
    reasons: list[str]


class QuoteOut(Schema):
    lines: list[QuoteLineOut]
    subtotal_fen: int
    discount_fen: int
    total_fen: int
    cash_due_fen: int


class AuthorizerIn(Schema):
    employee_no: str = Field(min_length=1, max_length=32)
    pin: str = Field(min_length=4, max_length=6)


class TenderIn(Schema):
    kind: Literal["cash", "card", "pending_digital", "points", "stored_value"]
    amount_fen: int = Field(ge=0, le=MAX_FEN)
    tendered_fen: int | None = Field(default=None, ge=0, le=MAX_FEN)
    reference: str = Field(default="", max_length=64)
    card_last4: str = Field(default="", pattern=r"^(\d{4})?$")
    approval_code: str = Field(default="", max_length=32)


class OrderIn(Schema):
    client_order_id: UUID
    register_id: Id
    lines: list[CartLineIn] = Field(min_length=1, max_length=200)
    member_id: Id | None = None
    note: str = Field(default="", max_length=500)
    manual_discount_fen: int = Field(default=0, ge=0, le=MAX_FEN)
    authorizer: AuthorizerIn | None = None
    reason: str = Field(default="", max_length=200)
    tenders: list[TenderIn] = Field(min_length=1, max_length=20)
    # Proof that the member is present for points and stored-value tenders: the live member code scanned
    # at the till, or the 6-digit code texted to the member.
    member_code: str = Field(default="", max_length=128)


class OrderLineOut(Schema):
    id: int
    line_no: int
    sku_id: int
    sku_code: str
    name: str
    qty: int
    list_price_fen: int
    unit_price_fen: int
    discount_fen: int
    total_fen: int
    tax_fen: int
    is_gift: bool
    reasons: list[str]
    serials: list[str]
    refunded_qty: int
    refunded_fen: int


class OrderTenderOut(Schema):
    id: int
    kind: str
    amount_fen: int
    tendered_fen: int
    change_fen: int
    refunded_fen: int
    status: str
    reference: str
    card_last4: str
    approval_code: str


class OrderOut(Schema):
    id: int
    number: str
    client_order_id: str
    status: str
    store_id: int
    register_id: int
    shift_id: int | None
    cashier_id: int
    member_id: int | None
    is_training: bool
    note: str
    business_date: date
    lines: list[OrderLineOut]
    tenders: list[OrderTenderOut]
    subtotal_fen: int
    discount_fen: int
    manual_discount_fen: int
    total_fen: int
    rounding_fen: int
    paid_fen: int
    change_fen: int
    tax_fen: int
    refunded_fen: int
    receipt_token: str
    receipt_url: str
    created_at: datetime


class VoidIn(Schema):
    reason: str = Field(min_length=1, max_length=200)


class ReturnLineIn(Schema):
    order_line_id: Id
    qty: int = Field(gt=0, le=MAX_QTY)
    # Which units come back, for a line sold with serial numbers (all its units still out when left empty).
    serials: list[str] = Field(default_factory=list, max_length=1000)


class ReturnIn(Schema):
    client_return_id: UUID
    register_id: Id | None = None
    lines: list[ReturnLineIn] = Field(min_length=1, max_length=200)
    restock: bool = True
    reason: str = Field(default="", max_length=200)


class UnreceiptedLineIn(Schema):
    sku_id: Id
    qty: int = Field(gt=0, le=MAX_QTY)
    refund_unit_fen: int | None = Field(default=None, ge=0, le=MAX_FEN)
    serials: list[str] = Field(default_factory=list, max_length=1000)


class UnreceiptedReturnIn(Schema):
    client_return_id: UUID
    register_id: Id
    lines: list[UnreceiptedLineIn] = Field(min_length=1, max_length=200)
    restock: bool = True
    reason: str = Field(min_length=1, max_length=200)


class ReturnLineOut(Schema):
    id: int
    order_line_id: int | None
    sku_id: int
    name: str
    qty: int
    refund_fen: int
    serials: list[str]


class ReturnTenderOut(Schema):
    kind: str
    amount_fen: int
    reference: str


class ReturnOut(Schema):
    id: int
    client_return_id: str
    order_id: int | None
    exchange_order_id: int | None
    store_id: int
    register_id: int
    refund_fen: int
    restock: bool
    reason: str
    is_training: bool
    lines: list[ReturnLineOut]
    tenders: list[ReturnTenderOut]
    created_at: datetime


class HeldIn(Schema):
    register_id: Id
    label: str = Field(default="", max_length=100)
    cart: dict[str, object]
    total_fen: int = Field(default=0, ge=0, le=MAX_FEN)


class HeldOut(Schema):
    id: int
    register_id: int
    cashier_id: int
    label: str
    cart: dict[str, object]
    total_fen: int
    created_at: datetime


class ShiftOpenIn(Schema):
    register_id: Id
    float_fen: int = Field(default=0, ge=0, le=MAX_FEN)


class ShiftCashIn(Schema):
    kind: Literal["paid_in", "paid_out", "no_sale"]
    amount_fen: int = Field(default=0, ge=0, le=MAX_FEN)
    reason: str = Field(min_length=1, max_length=200)


class ShiftCloseIn(Schema):
    counted: dict[Denomination, Count] = Field(default_factory=dict, max_length=50)


class ShiftReportOut(Schema):
    shift_id: int
    store_id: int
    register_id: int
    business_date: date
    opened_at: datetime
    opened_by_id: int
    closed_at: datetime | None
    closed_by_id: int | None
    is_closed: bool
    order_count: int
    return_count: int
    subtotal_fen: int
    sales_fen: int
    discounts_fen: int
    tax_fen: int
    rounding_fen: int
    refunds_fen: int
    net_sales_fen: int
    by_tender: dict[str, int]
    refunds_by_tender: dict[str, int]
    float_fen: int
    paid_in_fen: int
    paid_out_fen: int
    no_sale_count: int
    prepaid_count: int
    prepaid_in_fen: int
    prepaid_out_fen: int
    prepaid_by_kind: dict[str, int]
    prepaid_by_tender: dict[str, int]
    cash_expected_fen: int
    cash_counted_fen: int | None
    variance_fen: int | None
    counted: dict[str, int] | None


class DailyCloseOut(Schema):
    store_id: int
    business_date: date
    shift_count: int
    open_shift_count: int
    order_count: int
    return_count: int
    subtotal_fen: int
    sales_fen: int
    discounts_fen: int
    tax_fen: int
    rounding_fen: int
    refunds_fen: int
    net_sales_fen: int
    paid_in_fen: int
    paid_out_fen: int
    no_sale_count: int
    float_fen: int
    by_tender: dict[str, int]
    refunds_by_tender: dict[str, int]
    prepaid_count: int
    prepaid_in_fen: int
    prepaid_out_fen: int
    prepaid_by_kind: dict[str, int]
    prepaid_by_tender: dict[str, int]
    cash_expected_fen: int
    cash_counted_fen: int
    variance_fen: int
    shifts: list[ShiftReportOut]


class ExceptionIn(Schema):
    register_id: Id
    kind: Literal["line_void", "order_void", "price_missing", "tender_failed", "out_of_stock"]
    message: str = Field(default="", max_length=300)
    amount_fen: int | None = Field(default=None, ge=-MAX_FEN, le=MAX_FEN)
    details: dict[str, object] = Field(default_factory=dict)


class ExceptionOut(Schema):
    id: int
    store_id: int
    register_id: int | None
    actor_id: int | None
    kind: str
    order_id: int | None
    amount_fen: int | None
    message: str
    details: dict[str, object]
    is_training: bool
    created_at: datetime


class ExchangeQuoteSaleIn(Schema):
    lines: list[CartLineIn] = Field(min_length=1, max_length=200)
    member_id: Id | None = None
    manual_discount_fen: int = Field(default=0, ge=0, le=MAX_FEN)
    authorizer: AuthorizerIn | None = None
    # Why the new goods' prices were changed (the return's reason is the exchange's own `reason`).
    reason: str = Field(default="", max_length=200)


class ExchangeSaleIn(ExchangeQuoteSaleIn):
    client_order_id: UUID
    tenders: list[TenderIn] = Field(default_factory=list, max_length=20)
    note: str = Field(default="", max_length=500)


class ExchangeQuoteIn(Schema):
    """An exchange without its ids and tenders (they are ignored when sent)."""

    order_id: Id
    register_id: Id
    return_lines: list[ReturnLineIn] = Field(min_length=1, max_length=200)
    restock: bool = True
    reason: str = Field(default="", max_length=200)
    sale: ExchangeQuoteSaleIn


class ExchangeIn(ExchangeQuoteIn):
    client_return_id: UUID
    sale: ExchangeSaleIn


class ExchangeOut(Schema):
    returned: ReturnOut
    order: OrderOut


class ExchangeQuoteLineOut(Schema):
    order_line_id: int
    sku_id: int
    name: str
    qty: int
    refund_fen: int


class ExchangeQuoteTenderOut(Schema):
    kind: str
    amount_fen: int
    reference: str
    card_last4: str


class ExchangeQuoteOut(Schema):
    order_id: int
    return_lines: list[ExchangeQuoteLineOut]
    refund_fen: int = Field(description="What the returned goods refund in all.")
    credit_fen: int = Field(description="Of the refund, what pays for the new goods.")
    sale: QuoteOut
    due_fen: int = Field(
        description="What the customer pays beyond the credit (0 when the refund covers it)."
    )
    cash_due_fen: int = Field(
        description="due_fen when paid in cash (rounded to the jiao where the store rounds)."
    )
    refund_back_fen: int = Field(description="Of the refund, what goes back to the original payments.")
    refund_tenders: list[ExchangeQuoteTenderOut]
    net_fen: int = Field(
        description="due_fen − refund_back_fen: positive the customer pays, negative they get money back."
    )


class PrepaidTenderIn(TenderIn):
    """Stored value and cards are bought with money: cash or a bank card (the digital channels later)."""

    kind: Literal["cash", "card"]  # type: ignore[assignment]


class PrepaidSaleIn(Schema):
    """Sell stored value (a top-up plan, or an amount), a count card or a paid membership card."""

    client_id: UUID
    register_id: Id
    member_id: Id
    kind: Literal["top_up", "count_card", "membership_buy", "membership_renew", "membership_upgrade"]
    plan_id: Id | None = None
    amount_fen: int = Field(default=0, ge=0, le=MAX_FEN)
    tenders: list[PrepaidTenderIn] = Field(min_length=1, max_length=10)


class PrepaidRefundIn(Schema):
    """Pay back a stored-value card's principal, a count card's unused uses or a paid card's unused time."""

    client_id: UUID
    register_id: Id
    member_id: Id
    kind: Literal["top_up_refund", "count_card_refund", "membership_refund"]
    count_card_id: Id | None = None
    tender: PrepaidTenderIn
    reason: str = Field(min_length=1, max_length=200)
    authorizer: AuthorizerIn | None = None


class PrepaidTenderOut(Schema):
    kind: str
    amount_fen: int
    tendered_fen: int
    change_fen: int
    reference: str
    card_last4: str


class PrepaidSaleOut(Schema):
    id: int
    number: str
    client_id: str
    kind: str
    kind_label: str
    is_refund: bool
    description: str
    store_id: int
    register_id: int
    shift_id: int | None
    cashier_id: int
    member_id: int
    business_date: date
    amount_fen: int
    bonus_fen: int
    paid_fen: int
    change_fen: int
    reason: str
    details: dict[str, object]
    tenders: list[PrepaidTenderOut]
    receipt_url: str
    created_at: datetime
