"""Stored value, count cards and paid membership cards sold (and refunded) at a till: a document with
real tenders, cash-drawer entries and its own shift rollup, apart from goods sales."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from mendian.core.errors import DomainError, PermissionDeniedError
from mendian.core.services import audit_record
from mendian.members import services as member_services
from mendian.members.models import CountCardPlan, Member, MembershipPlan, TopUpPlan
from mendian.sales.errors import IdempotencyMismatch, PrepaidInvalid, TenderInvalid
from mendian.sales.models import CashDrawerEntry, PrepaidSale, PrepaidTender, Shift, TenderKind
from mendian.sales.services.cash_drawer import _cash_entries, _lock_open_shift
from mendian.sales.services.checkout import _next_order_number
from mendian.sales.services.overrides import AuthorizerInput, authorizer_verify
from mendian.sales.services.tenders import Settlement, TenderInput, tenders_settle
from mendian.stores.models import Register

PERMISSION_PREPAID_REFUND = "sales.refund_prepaidsale"
PREPAID_TENDER_KINDS = (TenderKind.CASH, TenderKind.CARD)
SALE_KINDS = frozenset(
    {
        PrepaidSale.Kind.TOP_UP,
        PrepaidSale.Kind.COUNT_CARD,
        PrepaidSale.Kind.MEMBERSHIP_BUY,
        PrepaidSale.Kind.MEMBERSHIP_RENEW,
        PrepaidSale.Kind.MEMBERSHIP_UPGRADE,
    }
)


@dataclass(frozen=True)
class PrepaidItem:
    """What the member buys: a kind, the plan (top-up plan, count-card plan or paid-card plan) and, for a
    top-up without a plan, the amount."""

    kind: str
    plan_id: int | None = None
    amount_fen: int = 0


@dataclass(frozen=True)
class _MemberBooked:
    """What the members app wrote for the document: the money, the bonus, the plan and its ledger row."""

    amount_fen: int
    description: str
    bonus_fen: int = 0
    plan_id: int | None = None
    source_id: str = ""
    details: dict[str, Any] | None = None


def prepaid_sell(
    *,
    user: Any,
    register: Register,
    client_id: str,
    member: Member,
    item: PrepaidItem,
    tenders: list[TenderInput],
) -> tuple[PrepaidSale, bool]:
    """Sell stored value, a count card or a paid card for cash or card: the member's ledger, the
    document, its tenders, the drawer's cash and the shift's prepaid rollup in one transaction.

    Runs once per client_id (a unique constraint decides between concurrent repeats); a repeat with
    another member, kind or register is refused. Returns the document and whether it was created."""
    if item.kind not in SALE_KINDS:
        raise PrepaidInvalid(details={"kind": item.kind})
    _tender_kinds_check(tenders)
    return _once(
        client_id=client_id,
        member=member,
        kind=item.kind,
        register=register,
        write=lambda: _sell_write(
            user=user, register=register, client_id=client_id, member=member, item=item, tenders=tenders
        ),
    )


def prepaid_refund(
    *,
    user: Any,
    register: Register,
    client_id: str,
    member: Member,
    kind: str,
    tender: TenderInput,
    reason: str,
    count_card_id: int | None = None,
    authorizer: AuthorizerInput | None = None,
) -> tuple[PrepaidSale, bool]:
    """Pay a member back for stored value (the principal; the bonus is forfeited), the unused uses of a
    count card or the unused time of a paid card, in cash from the drawer or back to a bank card.

    Needs `sales.refund_prepaidsale`, or a manager with it present at the till (employee number and
    PIN), and a reason. Runs once per client_id."""
    if kind not in PrepaidSale.REFUND_KINDS:
        raise PrepaidInvalid(details={"kind": kind})
    if not reason.strip():
        raise DomainError(_("Give a reason."), code="reason_required")
    _tender_kinds_check([tender])
    return _once(
        client_id=client_id,
        member=member,
        kind=kind,
        register=register,
        write=lambda: _refund_write(
            user=user,
            register=register,
            client_id=client_id,
            member=member,
            kind=kind,
            tender=tender,
            reason=reason.strip(),
            count_card_id=count_card_id,
            authorizer=authorizer,
        ),
    )


def _tender_kinds_check(tenders: list[TenderInput]) -> None:
    if not tenders:
        raise TenderInvalid(_("Choose how the money is paid."), code="tender_missing")
    for tender in tenders:
        if tender.kind not in PREPAID_TENDER_KINDS:
            raise TenderInvalid(
                _("Stored value and cards are paid in cash or by bank card."),
                details={"kind": tender.kind},
            )


def _once(
    *,
    client_id: str,
    member: Member,
    kind: str,
    register: Register,
    write: Callable[[], PrepaidSale],
) -> tuple[PrepaidSale, bool]:
    """Run `write` unless this client id was already written; the loser of a concurrent race gets the
    winner's document (the unique constraint on client_id, or on the top-up's ledger row, decides)."""
    existing = PrepaidSale.objects.filter(client_id=client_id).first()
    if existing is not None:
        return _replayed(existing, member=member, kind=kind, register=register), False
    try:
        return write(), True
    except IntegrityError:
        winner = PrepaidSale.objects.filter(client_id=client_id).first()
        if winner is None:
            raise
        return _replayed(winner, member=member, kind=kind, register=register), False


def _replayed(sale: PrepaidSale, *, member: Member, kind: str, register: Register) -> PrepaidSale:
    if sale.member_id != member.pk or sale.kind != kind or sale.register_id != register.pk:
        raise IdempotencyMismatch(details={"prepaid_sale_id": sale.pk})
    return sale


def _open_shift_for(register: Register) -> Shift:
    if register.is_training:
        raise PrepaidInvalid(
            _("A training till cannot sell or refund stored value and cards."), code="prepaid_training"
        )
    return _lock_open_shift(register)


@transaction.atomic
def _sell_write(
    *,
    user: Any,
    register: Register,
    client_id: str,
    member: Member,
    item: PrepaidItem,
    tenders: list[TenderInput],
) -> PrepaidSale:
    shift = _open_shift_for(register)
    booked = _member_book_sale(user=user, register=register, client_id=client_id, member=member, item=item)
    settlement = tenders_settle(total_fen=booked.amount_fen, tenders=tenders, round_cash=False)
    sale = _document_write(
        user=user,
        register=register,
        shift=shift,
        client_id=client_id,
        member=member,
        kind=item.kind,
        booked=booked,
        settlement=settlement,
    )
    audit_record(
        action=f"prepaid.{item.kind}",
        obj=sale,
        after={
            "member_id": member.pk,
            "amount_fen": booked.amount_fen,
            "bonus_fen": booked.bonus_fen,
            "tenders": settlement.by_kind,
        },
        actor_id=user.pk,
        store_id=register.store_id,
        register_id=register.pk,
    )
    return sale


def _member_book_sale(
    *, user: Any, register: Register, client_id: str, member: Member, item: PrepaidItem
) -> _MemberBooked:
    """Write the member's side (stored value, count card or paid card) and say what it costs."""
    store_id = register.store_id
    if item.kind == PrepaidSale.Kind.TOP_UP:
        plan = None
        if item.plan_id is not None:
            plan = TopUpPlan.objects.filter(pk=item.plan_id, is_active=True).first()
            if plan is None:
                raise PrepaidInvalid(_("This top-up offer is not available."), code="top_up_plan_not_found")
        entry = member_services.wallet_top_up(
            member=member,
            plan=plan,
            amount_fen=item.amount_fen,
            payment_method="till",
            client_top_up_id=client_id,
            store_id=store_id,
            actor_id=user.pk,
        )
        return _MemberBooked(
            amount_fen=entry.principal_fen,
            bonus_fen=entry.bonus_fen,
            description=plan.name if plan is not None else str(_("Stored value top-up")),
            plan_id=plan.pk if plan is not None else None,
            source_id=str(entry.pk),
            details={"balance_after_fen": entry.principal_after_fen + entry.bonus_after_fen},
        )
    if item.kind == PrepaidSale.Kind.COUNT_CARD:
        count_plan = (
            CountCardPlan.objects.filter(pk=item.plan_id, is_active=True).first() if item.plan_id else None
        )
        if count_plan is None:
            raise PrepaidInvalid(_("This count card is not for sale."), code="count_card_plan_not_found")
        card = member_services.count_card_sell(
            member=member, plan=count_plan, store_id=store_id, actor_id=user.pk
        )
        return _MemberBooked(
            amount_fen=card.price_fen,
            description=count_plan.name,
            plan_id=count_plan.pk,
            source_id=str(card.pk),
            details={"uses": card.uses_total, "expires_at": card.expires_at.isoformat()},
        )
    payment = _membership_book(member=member, item=item, store_id=store_id)
    return _MemberBooked(
        amount_fen=payment.amount_fen,
        description=payment.plan.name,
        plan_id=payment.plan_id,
        source_id=str(payment.pk),
        details={"expires_at": payment.card.expires_at.isoformat()},
    )


def _membership_book(*, member: Member, item: PrepaidItem, store_id: int) -> Any:
    if item.kind == PrepaidSale.Kind.MEMBERSHIP_RENEW:
        return member_services.membership_renew(member=member, payment_method="till", store_id=store_id)
    plan = MembershipPlan.objects.filter(pk=item.plan_id, is_active=True).first() if item.plan_id else None
    if plan is None:
        raise PrepaidInvalid(_("This paid card is not for sale."), code="membership_plan_not_found")
    if item.kind == PrepaidSale.Kind.MEMBERSHIP_BUY:
        return member_services.membership_buy(
            member=member, plan=plan, payment_method="till", store_id=store_id
        )
    return member_services.membership_upgrade(
        member=member, plan=plan, payment_method="till", store_id=store_id
    )


@transaction.atomic
def _refund_write(
    *,
    user: Any,
    register: Register,
    client_id: str,
    member: Member,
    kind: str,
    tender: TenderInput,
    reason: str,
    count_card_id: int | None,
    authorizer: AuthorizerInput | None,
) -> PrepaidSale:
    authorizer_user = None
    if not user.has_perm(PERMISSION_PREPAID_REFUND):
        if authorizer is None:
            raise PermissionDeniedError(
                _("A manager must authorize refunds of stored value and cards."),
                code="authorization_required",
            )
        authorizer_user = authorizer_verify(
            authorizer=authorizer, store=register.store, permission=PERMISSION_PREPAID_REFUND
        )
    shift = _open_shift_for(register)
    booked = _member_book_refund(
        user=user, register=register, member=member, kind=kind, reason=reason, count_card_id=count_card_id
    )
    if booked.amount_fen <= 0:
        raise PrepaidInvalid(_("There is nothing to pay back."), code="prepaid_nothing_to_refund")
    payout = TenderInput(
        kind=tender.kind,
        amount_fen=booked.amount_fen,
        reference=tender.reference,
        card_last4=tender.card_last4,
        approval_code=tender.approval_code,
    )
    settlement = tenders_settle(total_fen=booked.amount_fen, tenders=[payout], round_cash=False)
    sale = _document_write(
        user=user,
        register=register,
        shift=shift,
        client_id=client_id,
        member=member,
        kind=kind,
        booked=booked,
        settlement=settlement,
        reason=reason,
        authorizer_id=authorizer_user.pk if authorizer_user is not None else None,
    )
    audit_record(
        action=f"prepaid.{kind}",
        obj=sale,
        after={
            "member_id": member.pk,
            "amount_fen": booked.amount_fen,
            "forfeited_bonus_fen": booked.bonus_fen,
            "tender": tender.kind,
            "reason": reason,
            "authorized_by": authorizer_user.pk if authorizer_user is not None else None,
        },
        actor_id=user.pk,
        store_id=register.store_id,
        register_id=register.pk,
    )
    return sale


def _member_book_refund(
    *,
    user: Any,
    register: Register,
    member: Member,
    kind: str,
    reason: str,
    count_card_id: int | None,
) -> _MemberBooked:
    store_id = register.store_id
    if kind == PrepaidSale.Kind.TOP_UP_REFUND:
        closed = member_services.wallet_close_refund(
            member=member, reason=reason, actor_id=user.pk, store_id=store_id
        )
        if closed is None:
            raise PrepaidInvalid(_("There is nothing to pay back."), code="prepaid_nothing_to_refund")
        return _MemberBooked(
            amount_fen=-closed.principal_fen,
            bonus_fen=-closed.bonus_fen,
            description=str(_("Stored value refund")),
            source_id=str(closed.pk),
        )
    if kind == PrepaidSale.Kind.COUNT_CARD_REFUND:
        if count_card_id is None:
            raise PrepaidInvalid(_("Choose the count card to refund."), code="count_card_missing")
        refunded = member_services.count_card_refund(
            card_id=count_card_id, member=member, actor_id=user.pk, store_id=store_id
        )
        return _MemberBooked(
            amount_fen=refunded.value_fen,
            description=str(_("Count card refund")),
            source_id=str(refunded.card_id),
            details={"uses_refunded": -refunded.uses_qty},
        )
    payment = member_services.membership_refund(member=member, actor_id=user.pk, store_id=store_id)
    return _MemberBooked(
        amount_fen=payment.amount_fen,
        description=str(_("Paid membership refund")),
        plan_id=payment.plan_id,
        source_id=str(payment.pk),
    )


def _document_write(
    *,
    user: Any,
    register: Register,
    shift: Shift,
    client_id: str,
    member: Member,
    kind: str,
    booked: _MemberBooked,
    settlement: Settlement,
    reason: str = "",
    authorizer_id: int | None = None,
) -> PrepaidSale:
    """The document, its tenders, the drawer's cash and the shift's prepaid rollup (the shift is locked)."""
    is_refund = kind in PrepaidSale.REFUND_KINDS
    sale = PrepaidSale.objects.create(
        store_id=register.store_id,
        register_id=register.pk,
        shift_id=shift.pk,
        cashier_id=user.pk,
        authorizer_id=authorizer_id,
        member_id=member.pk,
        client_id=client_id,
        number=_next_order_number(register, shift.business_date),
        business_date=shift.business_date,
        kind=kind,
        description=booked.description[:200],
        amount_fen=booked.amount_fen,
        bonus_fen=booked.bonus_fen,
        paid_fen=settlement.paid_fen + settlement.change_fen,  # handed over: no cash rounding here
        change_fen=settlement.change_fen,
        plan_id=booked.plan_id,
        source_id=booked.source_id,
        reason=reason,
        details=booked.details or {},
        receipt_token=secrets.token_urlsafe(16),
    )
    PrepaidTender.objects.bulk_create(
        [
            PrepaidTender(
                sale=sale,
                kind=tender.kind,
                amount_fen=tender.amount_fen,
                tendered_fen=tender.tendered_fen,
                change_fen=tender.change_fen,
                reference=tender.reference,
                card_last4=tender.card_last4,
                approval_code=tender.approval_code,
            )
            for tender in settlement.tenders
            if tender.amount_fen > 0
        ]
    )
    movements: list[tuple[str, int]]
    if is_refund:
        movements = [(CashDrawerEntry.Kind.REFUND_OUT, -settlement.by_kind.get(TenderKind.CASH, 0))]
    else:
        movements = [
            (CashDrawerEntry.Kind.SALE_CASH_IN, settlement.cash_in_fen),
            (CashDrawerEntry.Kind.CHANGE_OUT, -settlement.change_fen),
        ]
    entries, balance = _cash_entries(
        shift=shift, movements=movements, source_type="prepaid", source_id=str(sale.pk), actor_id=user.pk
    )
    CashDrawerEntry.objects.bulk_create(entries)
    sign = -1 if is_refund else 1
    by_kind = dict(shift.prepaid_by_kind)
    by_kind[kind] = by_kind.get(kind, 0) + booked.amount_fen
    by_tender = dict(shift.prepaid_by_tender)
    for tender_kind, amount in settlement.by_kind.items():
        by_tender[tender_kind] = by_tender.get(tender_kind, 0) + sign * amount
    Shift.objects.filter(pk=shift.pk).update(
        prepaid_count=shift.prepaid_count + 1,
        prepaid_in_fen=shift.prepaid_in_fen + (0 if is_refund else booked.amount_fen),
        prepaid_out_fen=shift.prepaid_out_fen + (booked.amount_fen if is_refund else 0),
        prepaid_by_kind=by_kind,
        prepaid_by_tender=by_tender,
        cash_balance_fen=balance,
    )
    return sale
