"""Tenders at the till: what each kind of tender takes and how a set of tenders settles a total."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from mendian.core.money import round_to_jiao
from mendian.sales.errors import TenderExceedsTotal, TenderInvalid, TendersInsufficient, TenderUnsupported
from mendian.sales.models import OrderTender, TenderKind

MEMBER_TENDER_KINDS = (TenderKind.POINTS, TenderKind.STORED_VALUE)


@dataclass(frozen=True)
class TenderInput:
    kind: str
    amount_fen: int
    tendered_fen: int | None = None
    reference: str = ""
    card_last4: str = ""
    approval_code: str = ""


@dataclass
class SettledTender:
    """A tender after settlement: what it pays towards the order and the change it gives."""

    kind: str
    amount_fen: int
    tendered_fen: int
    change_fen: int
    status: str
    reference: str = ""
    card_last4: str = ""
    approval_code: str = ""


@dataclass
class Settlement:
    tenders: list[SettledTender]
    paid_fen: int
    change_fen: int
    rounding_fen: int
    cash_in_fen: int  # cash put into the drawer (handed over)
    has_pending: bool = False
    by_kind: dict[str, int] = field(default_factory=dict)


def _tender_apply(tender: TenderInput) -> None:
    """The one place that knows how each kind of tender is taken. Points and stored value are taken
    from the member's ledgers by the members app inside the checkout transaction (_member_books)."""
    if tender.kind == TenderKind.EXCHANGE_CREDIT:
        raise TenderUnsupported(details={"kind": tender.kind})
    if tender.kind in MEMBER_TENDER_KINDS:
        # Taken from the member's ledgers by members.services inside the checkout transaction.
        if tender.amount_fen <= 0:
            raise TenderInvalid(details={"kind": tender.kind})
        return
    if tender.kind not in (TenderKind.CASH, TenderKind.CARD, TenderKind.PENDING_DIGITAL):
        raise TenderInvalid(details={"kind": tender.kind})
    if tender.amount_fen < 0 or (tender.tendered_fen is not None and tender.tendered_fen < 0):
        raise TenderInvalid(details={"kind": tender.kind})
    if (
        tender.kind == TenderKind.CARD
        and tender.card_last4
        and not (len(tender.card_last4) == 4 and tender.card_last4.isdigit())
    ):
        raise TenderInvalid(_("Keep only the last 4 digits of a card."), details={"kind": tender.kind})


def tenders_settle(
    *, total_fen: int, tenders: list[TenderInput], round_cash: bool, credit_fen: int = 0
) -> Settlement:
    """Check that the tenders cover the total and work out change and cash rounding.

    Non-cash tenders pay exactly their amount and together may not exceed the total (no change from a
    card). Cash pays what is left, rounded to the jiao when the store rounds cash; what is handed over
    beyond that is change, given from the last cash tender. `credit_fen` is the credit of goods
    returned in the same exchange, spent first."""
    for tender in tenders:
        _tender_apply(tender)
    if credit_fen:
        tenders = [TenderInput(kind=TenderKind.EXCHANGE_CREDIT, amount_fen=credit_fen), *tenders]
    non_cash = [tender for tender in tenders if tender.kind != TenderKind.CASH]
    cash = [tender for tender in tenders if tender.kind == TenderKind.CASH]
    non_cash_fen = sum(tender.amount_fen for tender in non_cash)
    if non_cash_fen > total_fen:
        raise TenderExceedsTotal(details={"total_fen": total_fen, "non_cash_fen": non_cash_fen})
    remaining = total_fen - non_cash_fen
    settled = [
        SettledTender(
            kind=tender.kind,
            amount_fen=tender.amount_fen,
            tendered_fen=tender.amount_fen,
            change_fen=0,
            status=OrderTender.Status.PENDING
            if tender.kind == TenderKind.PENDING_DIGITAL
            else OrderTender.Status.COMPLETED,
            reference=tender.reference,
            card_last4=tender.card_last4,
            approval_code=tender.approval_code,
        )
        for tender in non_cash
    ]
    rounding = 0
    change = 0
    cash_in = 0
    if cash:
        cash_due = round_to_jiao(remaining) if round_cash else remaining
        rounding = cash_due - remaining
        handed = [
            tender.tendered_fen if tender.tendered_fen is not None else tender.amount_fen for tender in cash
        ]
        cash_in = sum(handed)
        if cash_in < cash_due:
            raise TendersInsufficient(
                details={
                    "total_fen": total_fen,
                    "due_fen": cash_due + non_cash_fen,
                    "paid_fen": cash_in + non_cash_fen,
                }
            )
        change = cash_in - cash_due
        left = cash_due
        for index, (tender, given) in enumerate(zip(cash, handed, strict=True)):
            applied = min(given, left) if index < len(cash) - 1 else left
            left -= applied
            settled.append(
                SettledTender(
                    kind=TenderKind.CASH,
                    amount_fen=applied,
                    tendered_fen=given,
                    change_fen=given - applied,
                    status=OrderTender.Status.COMPLETED,
                    reference=tender.reference,
                )
            )
        paid = non_cash_fen + cash_due
    else:
        if non_cash_fen < total_fen:
            raise TendersInsufficient(
                details={"total_fen": total_fen, "due_fen": total_fen, "paid_fen": non_cash_fen}
            )
        paid = non_cash_fen
    settled = [tender for tender in settled if tender.amount_fen > 0 or tender.tendered_fen > 0]
    by_kind: Counter[str] = Counter()
    for settled_tender in settled:
        by_kind[settled_tender.kind] += settled_tender.amount_fen
    return Settlement(
        tenders=settled,
        paid_fen=paid,
        change_fen=change,
        rounding_fen=rounding,
        cash_in_fen=cash_in,
        has_pending=any(tender.status == OrderTender.Status.PENDING for tender in settled),
        by_kind=dict(by_kind),
    )
