"""Writes of the sales app: checkout, returns, voids, held carts, shifts and the cash drawer, exceptions.

Checkout is the hot path: a fixed number of queries whatever the line count (SKUs, store prices,
stock levels each in one query; lines, tenders, moves and cash entries with bulk_create), one short
transaction, and the unique client_order_id deciding which of several identical posts wins.

Each concept lives in its own module; this package only re-exports their public names, so callers keep
`from mendian.sales import services` and `services.order_checkout(...)`."""

from mendian.sales.services.cash_drawer import CASH_MOVE_KINDS, shift_cash_move, shift_close, shift_open
from mendian.sales.services.checkout import MAX_LINES, CheckoutResult, order_checkout
from mendian.sales.services.claims import order_member_claim
from mendian.sales.services.exception_log import CLIENT_EXCEPTION_KINDS, exception_record, exception_report
from mendian.sales.services.exchanges import order_exchange, order_exchange_quote
from mendian.sales.services.held_carts import held_create, held_delete
from mendian.sales.services.overrides import (
    PERMISSION_OVERRIDE,
    AuthorizerInput,
    authorizer_verify,
    overrides_authorize,
)
from mendian.sales.services.prepaid import PrepaidItem, prepaid_refund, prepaid_sell
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

__all__ = [
    "CASH_MOVE_KINDS",
    "CLIENT_EXCEPTION_KINDS",
    "MAX_LINES",
    "MEMBER_TENDER_KINDS",
    "PERMISSION_OVERRIDE",
    "AuthorizerInput",
    "CheckoutResult",
    "PrepaidItem",
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
    "prepaid_refund",
    "prepaid_sell",
    "return_unreceipted",
    "shift_cash_move",
    "shift_close",
    "shift_open",
    "tenders_settle",
]
