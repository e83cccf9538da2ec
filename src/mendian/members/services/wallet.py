"""Stored value: top-ups, verified debits, refunds to the card and closing a card's balance.

A function given `account` uses it as the member's wallet account already locked by the caller
(order_books.member_accounts_lock takes a member's accounts in the one fixed order); else it locks it."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from mendian.core.money import cumulative_refund_share, round_half_up
from mendian.core.services import audit_record
from mendian.members.errors import (
    LedgerBusy,
    MemberNotFound,
    WalletInsufficient,
    WalletLimitExceeded,
    WalletVerificationRequired,
)
from mendian.members.models import LoyaltyProgram, Member, TopUpPlan, WalletAccount, WalletEntry
from mendian.members.selectors import program_get
from mendian.members.services.presence import member_presence_proof


def _wallet_lock(member: Member | int) -> WalletAccount:
    member_id = member if isinstance(member, int) else member.pk
    account = WalletAccount.objects.select_for_update().filter(member_id=member_id).first()
    if account is None:
        raise MemberNotFound()
    return account


def _wallet_write(
    *, account: WalletAccount, principal_fen: int, bonus_fen: int, kind: str, **entry_fields: Any
) -> WalletEntry:
    new_principal = account.principal_fen + principal_fen
    new_bonus = account.bonus_fen + bonus_fen
    if new_principal < 0 or new_bonus < 0:
        raise WalletInsufficient(details={"balance_fen": account.balance_fen})
    updated = WalletAccount.objects.filter(
        pk=account.pk, principal_fen=account.principal_fen, bonus_fen=account.bonus_fen
    ).update(principal_fen=new_principal, bonus_fen=new_bonus)
    if updated != 1:
        raise LedgerBusy()
    account.principal_fen, account.bonus_fen = new_principal, new_bonus
    return WalletEntry.objects.create(
        account=account,
        kind=kind,
        principal_fen=principal_fen,
        bonus_fen=bonus_fen,
        principal_after_fen=new_principal,
        bonus_after_fen=new_bonus,
        **entry_fields,
    )


def _top_up_entry(member: Member, client_top_up_id: str) -> WalletEntry | None:
    return WalletEntry.objects.filter(
        account__member=member,
        kind=WalletEntry.Kind.TOP_UP,
        source_type="top_up",
        source_id=client_top_up_id,
    ).first()


@transaction.atomic
def wallet_top_up(
    *,
    member: Member,
    payment_method: str,
    plan: TopUpPlan | None = None,
    amount_fen: int = 0,
    bonus_fen: int = 0,
    client_top_up_id: str = "",
    store_id: int | None = None,
    actor_id: int | None = None,
) -> WalletEntry:
    """Add money (principal) and the plan's bonus apart; refuses to go above the card's legal maximum.
    A top-up is a liability, not revenue: at a till the money is taken by the sales app's prepaid
    document (tenders, drawer, shift), which calls this inside its transaction. Once per client id and
    card: a repeat, even a concurrent one, returns the first entry (re-checked under the card's lock and
    backed by the `wallet_top_up_once` unique constraint)."""
    if client_top_up_id:
        existing = _top_up_entry(member, client_top_up_id)
        if existing is not None:
            return existing
    if plan is not None:
        amount_fen, bonus_fen = plan.amount_fen, plan.bonus_fen
    if amount_fen <= 0 or bonus_fen < 0:
        raise WalletLimitExceeded(_("The top-up amount must be positive."), code="top_up_invalid")
    program = program_get()
    account = _wallet_lock(member)
    if client_top_up_id:
        existing = _top_up_entry(member, client_top_up_id)
        if existing is not None:
            return existing
    if account.balance_fen + amount_fen + bonus_fen > program.wallet_max_balance_fen:
        raise WalletLimitExceeded(
            details={"max_balance_fen": program.wallet_max_balance_fen, "balance_fen": account.balance_fen}
        )
    source_id = client_top_up_id or secrets.token_hex(8)
    try:
        with transaction.atomic():
            entry = _wallet_write(
                account=account,
                principal_fen=amount_fen,
                bonus_fen=bonus_fen,
                kind=WalletEntry.Kind.TOP_UP,
                plan=plan,
                payment_method=payment_method,
                source_type="top_up",
                source_id=source_id,
                store_id=store_id,
                actor_id=actor_id,
            )
    except IntegrityError:
        existing = _top_up_entry(member, source_id)
        if existing is None:
            raise
        return existing
    audit_record(
        action="member.wallet_top_up",
        obj=member,
        after={"principal_fen": amount_fen, "bonus_fen": bonus_fen, "payment_method": payment_method},
        actor_id=actor_id,
        store_id=store_id,
    )
    return entry


def wallet_split(*, account: WalletAccount, amount_fen: int, order: str) -> tuple[int, int]:
    """How a spend divides into (principal, bonus) under the configured order."""
    if order == LoyaltyProgram.WalletSpendOrder.BONUS_FIRST:
        bonus = min(account.bonus_fen, amount_fen)
        return amount_fen - bonus, bonus
    if order == LoyaltyProgram.WalletSpendOrder.PROPORTIONAL and account.balance_fen:
        principal = round_half_up(Decimal(amount_fen) * account.principal_fen / account.balance_fen)
        principal = min(max(principal, amount_fen - account.bonus_fen), account.principal_fen)
        return principal, amount_fen - principal
    principal = min(account.principal_fen, amount_fen)
    return principal, amount_fen - principal


@transaction.atomic
def wallet_debit(
    *,
    member: Member,
    amount_fen: int,
    order_id: str | int,
    store_id: int | None = None,
    member_code: str = "",
    client_order_id: str = "",
    actor_id: int | None = None,
    account: WalletAccount | None = None,
) -> WalletEntry:
    """Pay one order with stored value alone, under the rules of `wallet_spend_for_order`; `member_code`
    is the member's proof of presence (live code, or a code texted for the till's order `client_order_id`)."""
    if amount_fen <= 0:
        raise WalletInsufficient(_("The amount must be positive."), code="wallet_amount_invalid")
    verified_by = member_presence_proof(
        member=member, code=member_code, amount_fen=amount_fen, client_order_id=client_order_id
    )
    entries = wallet_spend_for_order(
        member=member,
        amounts_fen=[amount_fen],
        order_id=order_id,
        verified_by=verified_by,
        store_id=store_id,
        actor_id=actor_id,
        account=account,
    )
    return entries[0]


@transaction.atomic
def wallet_spend_for_order(
    *,
    member: Member,
    amounts_fen: Sequence[int],
    order_id: str | int,
    verified_by: str,
    store_id: int | None = None,
    actor_id: int | None = None,
    account: WalletAccount | None = None,
) -> list[WalletEntry]:
    """Pay an order's stored-value tenders (one entry each): never below zero, split into principal and
    bonus by the program's order. Without proof that the member is present (`verified_by` empty) the
    order may spend at most the program's threshold, and so may all the member's unverified spends of
    the business day together, so that splitting a payment over tenders or orders does not avoid the
    proof. The day's spends are summed under the card's lock: concurrent orders cannot all pass."""
    if not amounts_fen or any(amount_fen <= 0 for amount_fen in amounts_fen):
        raise WalletInsufficient(_("The amount must be positive."), code="wallet_amount_invalid")
    program = program_get()
    threshold_fen = program.wallet_code_required_above_fen
    total_fen = sum(amounts_fen)
    if not verified_by and total_fen > threshold_fen:
        raise WalletVerificationRequired(details={"threshold_fen": threshold_fen})
    if account is None:
        account = _wallet_lock(member)
    if not verified_by:
        spent_fen = _unverified_spent_today_fen(account)
        if spent_fen + total_fen > threshold_fen:
            raise WalletVerificationRequired(
                _(
                    "Today's stored-value payments without the member's code have reached the limit; "
                    "ask for the member's live code or an SMS code."
                ),
                details={"threshold_fen": threshold_fen, "unverified_today_fen": spent_fen},
            )
    if total_fen > account.balance_fen:
        raise WalletInsufficient(details={"balance_fen": account.balance_fen, "requested_fen": total_fen})
    entries = []
    for amount_fen in amounts_fen:
        principal, bonus = wallet_split(
            account=account, amount_fen=amount_fen, order=program.wallet_spend_order
        )
        entries.append(
            _wallet_write(
                account=account,
                principal_fen=-principal,
                bonus_fen=-bonus,
                kind=WalletEntry.Kind.SPEND,
                source_type="order",
                source_id=str(order_id),
                store_id=store_id,
                actor_id=actor_id,
                verified_by=verified_by,
            )
        )
    return entries


def _unverified_spent_today_fen(account: WalletAccount) -> int:
    """What the card paid without the member's proof since the start of the business day (Asia/Shanghai,
    the project's time zone)."""
    day_start = timezone.localtime(timezone.now(), timezone.get_default_timezone()).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    spent = WalletEntry.objects.filter(
        account=account,
        kind=WalletEntry.Kind.SPEND,
        verified_by=WalletEntry.Verification.NONE,
        created_at__gte=day_start,
    ).aggregate(total=Sum(F("principal_fen") + F("bonus_fen")))
    return -(spent["total"] or 0)


@transaction.atomic
def wallet_refund_to_card(
    *,
    member: Member,
    order_id: str | int,
    return_id: str | int,
    amount_fen: int,
    store_id: int | None = None,
    actor_id: int | None = None,
    account: WalletAccount | None = None,
) -> WalletEntry | None:
    """A return paid with stored value goes back to the card (not out as cash), principal and bonus in
    the proportion the order spent them; all refunds of an order together return exactly what it spent."""
    source_id, related_id = str(order_id), str(return_id)
    repeat = WalletEntry.objects.filter(
        account__member=member, kind=WalletEntry.Kind.SPEND_REFUND, source_id=source_id, related_id=related_id
    ).first()
    if repeat is not None or amount_fen <= 0:
        return repeat
    if account is None:
        account = _wallet_lock(member)
    spent = WalletEntry.objects.filter(
        account=account, kind=WalletEntry.Kind.SPEND, source_type="order", source_id=source_id
    ).aggregate(principal=Sum("principal_fen"), bonus=Sum("bonus_fen"))
    spent_principal, spent_bonus = -(spent["principal"] or 0), -(spent["bonus"] or 0)
    prior = WalletEntry.objects.filter(
        account=account, kind=WalletEntry.Kind.SPEND_REFUND, source_type="order", source_id=source_id
    ).aggregate(principal=Sum("principal_fen"), bonus=Sum("bonus_fen"))
    prior_principal, prior_bonus = prior["principal"] or 0, prior["bonus"] or 0
    spent_total = spent_principal + spent_bonus
    if prior_principal + prior_bonus + amount_fen > spent_total:
        raise WalletInsufficient(
            _("More than the order paid with stored value."),
            code="wallet_refund_too_much",
            details={"refundable_fen": spent_total - prior_principal - prior_bonus},
        )
    principal = cumulative_refund_share(
        total=spent_principal,
        base_fen=spent_total,
        refunded_fen=prior_principal + prior_bonus,
        refund_fen=amount_fen,
        returned=prior_principal,
    )
    principal = min(principal, amount_fen)
    return _wallet_write(
        account=account,
        principal_fen=principal,
        bonus_fen=amount_fen - principal,
        kind=WalletEntry.Kind.SPEND_REFUND,
        source_type="order",
        source_id=source_id,
        related_id=related_id,
        store_id=store_id,
        actor_id=actor_id,
    )


@transaction.atomic
def wallet_spend_reverse(
    *,
    member: Member,
    order_id: str | int,
    reason: str,
    store_id: int | None = None,
    actor_id: int | None = None,
    account: WalletAccount | None = None,
) -> WalletEntry | None:
    """Give back to the card all that an order spent from it and has not had back yet, principal and bonus
    exactly as spent (an order voided before it was paid). Nothing left to give back writes nothing, so a
    repeat changes nothing."""
    source_id = str(order_id)
    if account is None:
        account = _wallet_lock(member)
    moved = WalletEntry.objects.filter(
        account=account,
        kind__in=[WalletEntry.Kind.SPEND, WalletEntry.Kind.SPEND_REFUND],
        source_type="order",
        source_id=source_id,
    ).aggregate(principal=Sum("principal_fen"), bonus=Sum("bonus_fen"))
    principal, bonus = -(moved["principal"] or 0), -(moved["bonus"] or 0)
    if principal <= 0 and bonus <= 0:
        return None
    return _wallet_write(
        account=account,
        principal_fen=max(principal, 0),
        bonus_fen=max(bonus, 0),
        kind=WalletEntry.Kind.SPEND_REFUND,
        reason=reason[:200],
        source_type="order",
        source_id=source_id,
        store_id=store_id,
        actor_id=actor_id,
    )


@transaction.atomic
def wallet_close_refund(
    *, member: Member, reason: str, actor_id: int | None, store_id: int | None = None
) -> WalletEntry | None:
    """Close a card's stored value: the principal goes back to the customer (the till's prepaid refund
    pays it out through the drawer or to a bank card), the bonus is forfeited because the customer never
    paid it. Returns the closing entry (its negative principal is what to pay back), or None when the
    card is empty."""
    account = _wallet_lock(member)
    principal, bonus = account.principal_fen, account.bonus_fen
    if principal == 0 and bonus == 0:
        return None
    entry = _wallet_write(
        account=account,
        principal_fen=-principal,
        bonus_fen=-bonus,
        kind=WalletEntry.Kind.TOP_UP_REFUND,
        reason=reason,
        source_type="refund",
        source_id=secrets.token_hex(8),
        store_id=store_id,
        actor_id=actor_id,
    )
    audit_record(
        action="member.wallet_refund",
        obj=member,
        before={"principal_fen": principal, "bonus_fen": bonus},
        after={"principal_fen": 0, "bonus_fen": 0, "reason": reason},
        actor_id=actor_id,
        store_id=store_id,
    )
    return entry
