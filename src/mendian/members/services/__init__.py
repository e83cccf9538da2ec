"""Writes of the members domain. Every balance change locks its balance row (select_for_update), re-checks
the rule inside the lock, writes with a compare-and-set update (so SQLite, where the lock is a no-op,
cannot lose an update either) and appends a ledger entry; DB check constraints back every "never negative".
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from mendian.core.money import allocate, round_half_up
from mendian.core.services import audit_record, outbox_enqueue
from mendian.members import crypto
from mendian.members.errors import (
    CountCardUnavailable,
    LedgerBusy,
    MemberCodeExpired,
    MemberCodeInvalid,
    MemberNotFound,
    MemberPhoneTaken,
    PhoneInvalid,
    PointsRedeemCapExceeded,
    PointsRedeemInvalid,
    WalletInsufficient,
    WalletLimitExceeded,
    WalletVerificationRequired,
)
from mendian.members.models import (
    CountCard,
    CountCardEntry,
    CountCardPlan,
    LoyaltyProgram,
    Member,
    MemberRfm,
    PointsCategoryRule,
    PointsEntry,
    ReferralReward,
    SpendRecord,
    TopUpPlan,
    WalletAccount,
    WalletEntry,
)
from mendian.members.selectors import points_reversal_due, program_get
from mendian.members.services.member_codes import MEMBER_CODE_PREFIX, member_code_issue, member_code_resolve
from mendian.members.services.memberships import (
    membership_buy,
    membership_renew,
    membership_upgrade,
    tier_upgrade_check,
    tiers_review,
)
from mendian.members.services.notices import (
    SMS_TOPIC,
    GreetingsResult,
    birthday_coupon_hook,
    member_greetings_queue,
    member_sms_deliver,
)
from mendian.members.services.points import (
    _points_add_lot,
    _points_lock,
    _points_take,
    points_adjust,
    points_expire_due,
)
from mendian.members.services.profiles import (
    PROFILE_FIELDS,
    member_consent_revoke_by_reply,
    member_register,
    member_update,
)
from mendian.members.services.sms_codes import (
    SMS_CODE_MAX_ATTEMPTS,
    WALLET_SMS_PURPOSE,
    _wallet_sms_confirmed,
    member_sign_in_by_sms,
    sms_code_request,
    sms_code_verify,
    wallet_sms_code_request,
)

# A live code shown at the till may be used to confirm a stored-value payment a little later in the sale.
MEMBER_CODE_CONFIRM_SECONDS = 15 * 60
SMS_CODE_PATTERN = re.compile(r"\d{6}")


# ---------------------------------------------------------------- points


@dataclass(frozen=True)
class EarnLine:
    """A paid line of an order: what was paid for it and its category (for category rules)."""

    amount_fen: int
    category_id: int | None = None


@dataclass(frozen=True)
class PointsReversal:
    """What a return took back: points from the balance, and points the balance lacked, settled in money."""

    points_reversed: int
    shortfall_points: int
    shortfall_fen: int


def points_for_lines(*, member: Member, lines: Sequence[EarnLine], excluded_fen: int = 0) -> int:
    """Points a purchase earns: points per yuan × category multiplier × tier multiplier, on what was paid
    in money (the part paid with points, `excluded_fen`, is spread over the lines and earns nothing)."""
    program = program_get()
    amounts = [max(line.amount_fen, 0) for line in lines]
    excluded = allocate(min(excluded_fen, sum(amounts)), amounts) if amounts else []
    category_ids = {line.category_id for line in lines if line.category_id is not None}
    rules: dict[int | None, int] = (
        dict(
            PointsCategoryRule.objects.filter(category_id__in=category_ids).values_list(
                "category_id", "multiplier_bp"
            )
        )
        if category_ids
        else {}
    )
    weighted: int = sum(
        (amount - excluded_share) * rules.get(line.category_id, 10000)
        for line, amount, excluded_share in zip(lines, amounts, excluded, strict=True)
    )
    tier_bp = member.tier.points_multiplier_bp if member.tier_id and member.tier else 10000
    return int(weighted * program.points_per_yuan * tier_bp // (100 * 10000 * 10000))


@transaction.atomic
def points_earn_for_order(
    *,
    member: Member,
    lines: Sequence[EarnLine],
    order_id: str | int,
    store_id: int | None,
    excluded_fen: int = 0,
    actor_id: int | None = None,
) -> PointsEntry | None:
    """Credit the points of a completed order as a lot that expires after the program's validity, record
    the spend for tier rules, upgrade the tier at once, and reward a referral on the first purchase.
    Runs once per order: a repeat returns the first entry."""
    source_id = str(order_id)
    existing = PointsEntry.objects.filter(
        account__member=member, kind=PointsEntry.Kind.EARN, source_type="order", source_id=source_id
    ).first()
    if (
        existing is not None
        or SpendRecord.objects.filter(
            member=member, source_type="order", source_id=source_id, amount_fen__gte=0
        ).exists()
    ):
        return existing
    program = program_get()
    now = timezone.now()
    order_fen = sum(line.amount_fen for line in lines)
    points = points_for_lines(member=member, lines=lines, excluded_fen=excluded_fen)
    SpendRecord.objects.create(
        member=member,
        amount_fen=max(order_fen - excluded_fen, 0),
        source_type="order",
        source_id=source_id,
        store_id=store_id,
    )
    entry = None
    if points > 0:
        account = _points_lock(member)
        entry = _points_add_lot(
            account=account,
            points=points,
            kind=PointsEntry.Kind.EARN,
            program=program,
            now=now,
            value_fen=order_fen,
            source_type="order",
            source_id=source_id,
            store_id=store_id,
            actor_id=actor_id,
        )
    first = Member.objects.filter(pk=member.pk, first_purchase_at__isnull=True).update(first_purchase_at=now)
    if first and member.referred_by_id:
        _referral_reward(member=member, source_id=source_id, program=program, now=now)
    tier_upgrade_check(member=member)
    return entry


def _referral_reward(*, member: Member, source_id: str, program: LoyaltyProgram, now: dt.datetime) -> None:
    """Both sides get points once per new phone (the unique index of the referred phone enforces it)."""
    points = program.referral_reward_points
    if points <= 0 or member.referred_by_id is None:
        return
    try:
        with transaction.atomic():
            ReferralReward.objects.create(
                referred_phone_index=member.phone_index,
                referrer_id=member.referred_by_id,
                referred=member,
                points_each=points,
                source_id=source_id,
            )
    except IntegrityError:
        return
    for member_id in sorted([member.pk, member.referred_by_id]):
        account = _points_lock(member_id)
        _points_add_lot(
            account=account,
            points=points,
            kind=PointsEntry.Kind.REFERRAL,
            program=program,
            now=now,
            source_type="order",
            source_id=source_id,
        )
    outbox_enqueue(
        topic=SMS_TOPIC,
        payload={"member_id": member.referred_by_id, "template": "referral_reward", "points": points},
    )


@transaction.atomic
def points_reverse_for_return(
    *,
    member: Member,
    order_id: str | int,
    return_id: str | int,
    refund_fen: int,
    store_id: int | None = None,
    actor_id: int | None = None,
) -> PointsReversal:
    """Take back the points a returned share of an order earned. Cumulative over partial returns, so all
    returns of an order together reverse exactly what it earned. Points already spent are taken from
    the balance; what the balance lacks is never taken below zero but returned as a money value
    (`shortfall_fen`) that the refund must deduct. A repeat of the same return changes nothing."""
    source_id, related_id = str(order_id), str(return_id)
    earn = PointsEntry.objects.filter(
        account__member=member, kind=PointsEntry.Kind.EARN, source_type="order", source_id=source_id
    ).first()
    program = program_get()
    repeat = PointsEntry.objects.filter(
        account__member=member,
        kind=PointsEntry.Kind.EARN_REVERSAL,
        source_id=source_id,
        related_id=related_id,
    ).first()
    if repeat is not None:
        return _reversal_result(repeat, program)
    if not SpendRecord.objects.filter(member=member, source_type="return", source_id=related_id).exists():
        SpendRecord.objects.create(
            member=member,
            amount_fen=-refund_fen,
            source_type="return",
            source_id=related_id,
            store_id=store_id,
        )
    if earn is None or earn.value_fen <= 0:
        return PointsReversal(0, 0, 0)
    account = _points_lock(member)
    due = points_reversal_due(account=account, earn=earn, refund_fen=refund_fen)
    if due == 0:
        return PointsReversal(0, 0, 0)
    take = min(due, account.balance)
    shortfall = due - take
    if take:
        entry = _points_take(
            account=account,
            points=take,
            kind=PointsEntry.Kind.EARN_REVERSAL,
            shortfall_points=shortfall,
            value_fen=refund_fen,
            source_type="order",
            source_id=source_id,
            related_id=related_id,
            store_id=store_id,
            actor_id=actor_id,
        )
    else:
        entry = PointsEntry.objects.create(
            account=account,
            kind=PointsEntry.Kind.EARN_REVERSAL,
            points=0,
            balance_after=account.balance,
            shortfall_points=shortfall,
            value_fen=refund_fen,
            source_type="order",
            source_id=source_id,
            related_id=related_id,
            store_id=store_id,
            actor_id=actor_id,
        )
    return _reversal_result(entry, program)


def _reversal_result(entry: PointsEntry, program: LoyaltyProgram) -> PointsReversal:
    shortfall_fen = round_half_up(Decimal(entry.shortfall_points) * 100 / program.points_per_yuan_redeemed)
    return PointsReversal(-entry.points, entry.shortfall_points, shortfall_fen)


def points_needed_for(*, amount_fen: int, program: LoyaltyProgram | None = None) -> int:
    """Points that pay `amount_fen`; raises when the amount is not a whole number of points."""
    program = program or program_get()
    numerator = amount_fen * program.points_per_yuan_redeemed
    if amount_fen <= 0 or numerator % 100:
        raise PointsRedeemInvalid(details={"points_per_yuan": program.points_per_yuan_redeemed})
    return numerator // 100


@transaction.atomic
def points_redeem_for_order(
    *,
    member: Member,
    amount_fen: int,
    order_total_fen: int,
    order_id: str | int,
    store_id: int | None = None,
    actor_id: int | None = None,
) -> PointsEntry:
    """Pay part of an order with points at the program's rate, at most the program's share of the order."""
    program = program_get()
    cap_fen = order_total_fen * program.points_redeem_cap_bp // 10000
    if amount_fen > cap_fen:
        raise PointsRedeemCapExceeded(details={"max_fen": cap_fen})
    points = points_needed_for(amount_fen=amount_fen, program=program)
    account = _points_lock(member)
    return _points_take(
        account=account,
        points=points,
        kind=PointsEntry.Kind.REDEEM,
        value_fen=amount_fen,
        source_type="order",
        source_id=str(order_id),
        store_id=store_id,
        actor_id=actor_id,
    )


@transaction.atomic
def points_redeem_refund(
    *,
    member: Member,
    order_id: str | int,
    return_id: str | int,
    amount_fen: int,
    store_id: int | None = None,
    actor_id: int | None = None,
) -> PointsEntry | None:
    """Give back the points that paid a refunded share of an order (cumulative, so all refunds of an order
    return exactly the points it used), as a new lot."""
    source_id, related_id = str(order_id), str(return_id)
    repeat = PointsEntry.objects.filter(
        account__member=member,
        kind=PointsEntry.Kind.REDEEM_REFUND,
        source_id=source_id,
        related_id=related_id,
    ).first()
    if repeat is not None or amount_fen <= 0:
        return repeat
    account = _points_lock(member)
    used = PointsEntry.objects.filter(
        account=account, kind=PointsEntry.Kind.REDEEM, source_type="order", source_id=source_id
    ).aggregate(points=Sum("points"), value=Sum("value_fen"))
    used_points, used_value = -(used["points"] or 0), used["value"] or 0
    if used_points <= 0 or used_value <= 0:
        return None
    prior = PointsEntry.objects.filter(
        account=account, kind=PointsEntry.Kind.REDEEM_REFUND, source_type="order", source_id=source_id
    ).aggregate(points=Sum("points"), value=Sum("value_fen"))
    refunded = min((prior["value"] or 0) + amount_fen, used_value)
    give = round_half_up(Decimal(used_points) * refunded / used_value) - (prior["points"] or 0)
    if give <= 0:
        return None
    return _points_add_lot(
        account=account,
        points=give,
        kind=PointsEntry.Kind.REDEEM_REFUND,
        program=program_get(),
        now=timezone.now(),
        value_fen=amount_fen,
        source_type="order",
        source_id=source_id,
        related_id=related_id,
        store_id=store_id,
        actor_id=actor_id,
    )


# ---------------------------------------------------------------- stored value


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
    A top-up is a liability, not revenue. A repeat with the same client id returns the first entry."""
    if client_top_up_id:
        existing = WalletEntry.objects.filter(
            account__member=member,
            kind=WalletEntry.Kind.TOP_UP,
            source_type="top_up",
            source_id=client_top_up_id,
        ).first()
        if existing is not None:
            return existing
    if plan is not None:
        amount_fen, bonus_fen = plan.amount_fen, plan.bonus_fen
    if amount_fen <= 0 or bonus_fen < 0:
        raise WalletLimitExceeded(_("The top-up amount must be positive."), code="top_up_invalid")
    program = program_get()
    account = _wallet_lock(member)
    if account.balance_fen + amount_fen + bonus_fen > program.wallet_max_balance_fen:
        raise WalletLimitExceeded(
            details={"max_balance_fen": program.wallet_max_balance_fen, "balance_fen": account.balance_fen}
        )
    entry = _wallet_write(
        account=account,
        principal_fen=amount_fen,
        bonus_fen=bonus_fen,
        kind=WalletEntry.Kind.TOP_UP,
        plan=plan,
        payment_method=payment_method,
        source_type="top_up",
        source_id=client_top_up_id or secrets.token_hex(8),
        store_id=store_id,
        actor_id=actor_id,
    )
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
    actor_id: int | None = None,
) -> WalletEntry:
    """Pay with stored value: never below zero, split into principal and bonus by the program's order.
    Above the program's threshold the member's live code (scanned at the till) or a 6-digit code sent to
    the member's phone (`wallet_sms_code_request`, good once) must confirm it."""
    if amount_fen <= 0:
        raise WalletInsufficient(_("The amount must be positive."), code="wallet_amount_invalid")
    program = program_get()
    if amount_fen > program.wallet_code_required_above_fen:
        verified = False
        if SMS_CODE_PATTERN.fullmatch(member_code or ""):
            verified = _wallet_sms_confirmed(member=member, code=member_code)
        elif member_code:
            try:
                scanned, is_live = member_code_resolve(
                    code=member_code, max_age_seconds=MEMBER_CODE_CONFIRM_SECONDS
                )
                verified = is_live and scanned.pk == member.pk
            except (MemberCodeInvalid, MemberCodeExpired, MemberNotFound):
                verified = False
        if not verified:
            raise WalletVerificationRequired(
                details={"threshold_fen": program.wallet_code_required_above_fen}
            )
    account = _wallet_lock(member)
    if amount_fen > account.balance_fen:
        raise WalletInsufficient(details={"balance_fen": account.balance_fen, "requested_fen": amount_fen})
    principal, bonus = wallet_split(account=account, amount_fen=amount_fen, order=program.wallet_spend_order)
    return _wallet_write(
        account=account,
        principal_fen=-principal,
        bonus_fen=-bonus,
        kind=WalletEntry.Kind.SPEND,
        source_type="order",
        source_id=str(order_id),
        store_id=store_id,
        actor_id=actor_id,
    )


@transaction.atomic
def wallet_refund_to_card(
    *,
    member: Member,
    order_id: str | int,
    return_id: str | int,
    amount_fen: int,
    store_id: int | None = None,
    actor_id: int | None = None,
) -> WalletEntry | None:
    """A return paid with stored value goes back to the card (not out as cash), principal and bonus in
    the proportion the order spent them; all refunds of an order together return exactly what it spent."""
    source_id, related_id = str(order_id), str(return_id)
    repeat = WalletEntry.objects.filter(
        account__member=member, kind=WalletEntry.Kind.SPEND_REFUND, source_id=source_id, related_id=related_id
    ).first()
    if repeat is not None or amount_fen <= 0:
        return repeat
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
    cumulative = prior_principal + prior_bonus + amount_fen
    principal = round_half_up(Decimal(spent_principal) * cumulative / spent_total) - prior_principal
    principal = min(max(principal, 0), amount_fen)
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
def wallet_close_refund(
    *, member: Member, reason: str, actor_id: int | None, store_id: int | None = None
) -> int:
    """Refund a card's stored value: the principal goes back to the customer (the original payment), the
    bonus is forfeited because the customer never paid it. Returns the principal to pay back."""
    account = _wallet_lock(member)
    principal, bonus = account.principal_fen, account.bonus_fen
    if principal == 0 and bonus == 0:
        return 0
    _wallet_write(
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
    return principal


# ---------------------------------------------------------------- count cards


@transaction.atomic
def count_card_sell(
    *, member: Member, plan: CountCardPlan, store_id: int | None, actor_id: int | None = None
) -> CountCard:
    """Sell a package of uses; it expires after the plan's validity."""
    now = timezone.now()
    card = CountCard.objects.create(
        member=member,
        plan=plan,
        uses_total=plan.uses_qty,
        uses_left=plan.uses_qty,
        price_fen=plan.price_fen,
        expires_at=now + dt.timedelta(days=plan.validity_days),
        store_id=store_id,
    )
    CountCardEntry.objects.create(
        card=card,
        kind=CountCardEntry.Kind.PURCHASE,
        uses_qty=plan.uses_qty,
        uses_after=plan.uses_qty,
        value_fen=plan.price_fen,
        store_id=store_id,
        actor_id=actor_id,
    )
    return card


@transaction.atomic
def count_card_redeem(
    *, card_id: int, member: Member, sku_id: int, store_id: int, actor_id: int | None = None
) -> CountCardEntry:
    """Use one service of a count card: the card must be the member's, active, unexpired, valid in this
    store and cover the service; uses never go below zero."""
    card = (
        CountCard.objects.select_for_update(of=("self",))
        .select_related("plan")
        .filter(pk=card_id, member=member)
        .first()
    )
    if card is None:
        raise CountCardUnavailable(code="count_card_not_found")
    if card.status != CountCard.Status.ACTIVE or card.expires_at <= timezone.now():
        raise CountCardUnavailable(
            _("This count card has expired or was refunded."), code="count_card_expired"
        )
    plan_store_ids = set(card.plan.stores.values_list("id", flat=True))
    if plan_store_ids and store_id not in plan_store_ids:
        raise CountCardUnavailable(
            _("This count card is not valid in this store."), code="count_card_wrong_store"
        )
    if not card.plan.skus.filter(pk=sku_id).exists():
        raise CountCardUnavailable(
            _("This count card does not cover this service."), code="count_card_wrong_service"
        )
    updated = CountCard.objects.filter(pk=card.pk, uses_left__gte=1).update(uses_left=F("uses_left") - 1)
    if updated != 1:
        raise CountCardUnavailable(_("This count card has no uses left."), code="count_card_used_up")
    return CountCardEntry.objects.create(
        card=card,
        kind=CountCardEntry.Kind.REDEEM,
        uses_qty=-1,
        uses_after=card.uses_left - 1,
        sku_id=sku_id,
        store_id=store_id,
        actor_id=actor_id,
    )


@transaction.atomic
def count_card_refund(*, card_id: int, actor_id: int | None, store_id: int | None = None) -> int:
    """Refund the unused uses pro rata to the price paid; returns the money to pay back."""
    card = CountCard.objects.select_for_update().filter(pk=card_id).first()
    if card is None or card.status != CountCard.Status.ACTIVE:
        raise CountCardUnavailable(code="count_card_not_refundable")
    refund_fen = round_half_up(Decimal(card.price_fen) * card.uses_left / card.uses_total)
    left = card.uses_left
    CountCard.objects.filter(pk=card.pk).update(uses_left=0, status=CountCard.Status.REFUNDED)
    if left:
        CountCardEntry.objects.create(
            card=card,
            kind=CountCardEntry.Kind.REFUND,
            uses_qty=-left,
            uses_after=0,
            value_fen=refund_fen,
            store_id=store_id,
            actor_id=actor_id,
        )
    audit_record(
        action="member.count_card_refund",
        obj=card,
        before={"uses_left": left},
        after={"refund_fen": refund_fen},
        actor_id=actor_id,
        store_id=store_id,
    )
    return refund_fen


# ---------------------------------------------------------------- import and export


@dataclass
class ImportReport:
    created: int = 0
    duplicates: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)


def members_import(*, rows: list[dict[str, str]], store_id: int | None, actor_id: int | None) -> ImportReport:
    """Register the members of an uploaded file, one savepoint per row: a bad row is reported with its
    line number and the reason and does not stop the others; a phone seen before (in the file or already
    a member) is skipped as a duplicate."""
    from mendian.members import member_import

    report = ImportReport()
    seen: set[str] = set()
    for number, row in enumerate(rows, start=2):  # line 1 is the header
        if not row:
            continue
        phone = crypto.phone_normalize(row.get("phone", ""))
        if phone is None:
            report.errors.append(
                {"row": number, "code": "phone_invalid", "message": str(PhoneInvalid.default_message)}
            )
            continue
        gender = member_import.parse_gender(row.get("gender", ""))
        if gender is None:
            report.errors.append(
                {"row": number, "code": "gender_invalid", "message": _("Gender must be 男 or 女.")}
            )
            continue
        try:
            birthday = member_import.parse_birthday(row.get("birthday", ""))
        except ValueError:
            report.errors.append(
                {"row": number, "code": "birthday_invalid", "message": _("Write the birthday as 1990-05-17.")}
            )
            continue
        index = crypto.phone_blind_index(phone)
        if index in seen:
            report.duplicates += 1
            continue
        seen.add(index)
        try:
            member_register(
                phone=phone,
                channel=Member.Channel.IMPORT,
                store_id=store_id,
                name=row.get("name", ""),
                gender=gender,
                birthday=birthday,
                region=row.get("region", ""),
                marketing_consent=member_import.parse_bool(row.get("marketing_consent", "")),
                tags=member_import.parse_tags(row.get("tags", "")),
                notes=row.get("notes", ""),
                actor_id=actor_id,
            )
        except MemberPhoneTaken:
            report.duplicates += 1
            continue
        report.created += 1
    audit_record(
        action="member.import",
        after={"created": report.created, "duplicates": report.duplicates, "errors": len(report.errors)},
        actor_id=actor_id,
        store_id=store_id,
    )
    return report


@transaction.atomic
def members_export(*, user: Any, store_id: int | None = None) -> bytes:
    """The member list as CSV for a user with members.export_member (checked by the caller). Phones are
    in full only for users who may see them. Every export is audited (PIPL)."""
    from mendian.members import member_import
    from mendian.members.selectors import member_birthday, member_phone_for

    members = Member.objects.select_related("tier", "registered_store").order_by("id")
    if store_id is not None:
        members = members.filter(registered_store_id=store_id)
    rows = []
    for member in members.iterator(chunk_size=500):
        birthday = member_birthday(member)
        rows.append(
            [
                member.card_no,
                member_phone_for(member, user),
                member.name,
                member.get_gender_display() if member.gender else "",
                birthday.isoformat() if birthday else "",
                member.region,
                member.tier.name if member.tier else "",
                member.registered_store.code if member.registered_store else "",
                member.get_channel_display(),
                "是" if member.marketing_consent else "否",
                "、".join(member.tags),
                member.created_at.date().isoformat(),
            ]
        )
    audit_record(
        action="member.export",
        after={
            "rows": len(rows),
            "store_id": store_id,
            "full_phones": bool(user.has_perm("members.view_member_phone")),
        },
        actor_id=user.pk,
    )
    header = [
        "卡号",
        "手机号",
        "姓名",
        "性别",
        "生日",
        "地区",
        "等级",
        "注册门店",
        "注册渠道",
        "营销同意",
        "标签",
        "注册日期",
    ]
    return member_import.csv_bytes(header, rows)


# ---------------------------------------------------------------- checkout (called by sales inside its transaction)


def checkout_member_books(
    *,
    member_id: int,
    order_id: int,
    order_total_fen: int,
    store_id: int,
    member_tenders: Sequence[tuple[str, int, str]],
    earn_lines: Sequence[EarnLine] | None,
    actor_id: int | None,
) -> None:
    """Take the points and stored-value tenders of an order (kind, amount, scanned code) from the member's
    ledgers, and credit the points a completed order earns (`earn_lines`; None while payment is pending).
    Runs inside the checkout's transaction, so a refusal undoes the whole sale."""
    member = Member.objects.select_related("tier").filter(pk=member_id, is_active=True).first()
    if member is None:
        raise MemberNotFound()
    points_paid_fen = 0
    for kind, amount_fen, reference in member_tenders:
        if kind == "points":
            points_redeem_for_order(
                member=member,
                amount_fen=amount_fen,
                order_total_fen=order_total_fen,
                order_id=order_id,
                store_id=store_id,
                actor_id=actor_id,
            )
            points_paid_fen += amount_fen
        elif kind == "stored_value":
            wallet_debit(
                member=member,
                amount_fen=amount_fen,
                order_id=order_id,
                store_id=store_id,
                member_code=reference,
                actor_id=actor_id,
            )
    if earn_lines is not None:
        points_earn_for_order(
            member=member,
            lines=earn_lines,
            order_id=order_id,
            store_id=store_id,
            excluded_fen=points_paid_fen,
            actor_id=actor_id,
        )


def return_member_points(
    *, member_id: int, order_id: int, return_id: int, refund_fen: int, store_id: int, actor_id: int | None
) -> int:
    """Reverse the points earned by the returned share of an order; returns the money value of points the
    member had already spent (to deduct from the refund)."""
    member = Member.objects.filter(pk=member_id).first()
    if member is None:
        return 0
    reversal = points_reverse_for_return(
        member=member,
        order_id=order_id,
        return_id=return_id,
        refund_fen=refund_fen,
        store_id=store_id,
        actor_id=actor_id,
    )
    return reversal.shortfall_fen


def return_member_tenders(
    *,
    member_id: int,
    order_id: int,
    return_id: int,
    refunds: Sequence[tuple[str, int]],
    store_id: int,
    actor_id: int | None,
) -> None:
    """Refund the points and stored-value shares of a return back to the member's ledgers."""
    member = Member.objects.filter(pk=member_id).first()
    if member is None:
        raise MemberNotFound()
    for kind, amount_fen in refunds:
        if amount_fen <= 0:
            continue
        if kind == "points":
            points_redeem_refund(
                member=member,
                order_id=order_id,
                return_id=return_id,
                amount_fen=amount_fen,
                store_id=store_id,
                actor_id=actor_id,
            )
        elif kind == "stored_value":
            wallet_refund_to_card(
                member=member,
                order_id=order_id,
                return_id=return_id,
                amount_fen=amount_fen,
                store_id=store_id,
                actor_id=actor_id,
            )


# ---------------------------------------------------------------- RFM (periodic job)

RFM_WINDOW_DAYS = 365


def rfm_quintiles(values: Sequence[int]) -> list[int]:
    """Score each value 1-5 by the share of the base strictly below it (equal values score the same)."""
    ordered = sorted(values)
    count = len(ordered)
    return [1 + bisect_left(ordered, value) * 5 // count for value in values]


@transaction.atomic
def rfm_recompute(*, now: dt.datetime | None = None, window_days: int = RFM_WINDOW_DAYS) -> int:
    """Recompute every buying member's RFM row from the spend records: recency of the last purchase,
    number of purchases and net spend in the window, each as a quintile over all members who bought.
    Members without a purchase have no row. Returns the number of rows written."""
    now = now or timezone.now()
    since = now - dt.timedelta(days=window_days)
    rows = list(
        SpendRecord.objects.filter(amount_fen__gt=0)
        .values("member_id")
        .annotate(
            last=Max("created_at"),
            orders=Count("id", filter=Q(created_at__gte=since)),
        )
        .order_by("member_id")
    )
    net = dict(
        SpendRecord.objects.filter(created_at__gte=since)
        .values("member_id")
        .annotate(total=Sum("amount_fen"))
        .values_list("member_id", "total")
    )
    if not rows:
        MemberRfm.objects.all().delete()
        return 0
    recency = rfm_quintiles([int(row["last"].timestamp()) for row in rows])
    frequency = rfm_quintiles([row["orders"] for row in rows])
    spend = [max(net.get(row["member_id"]) or 0, 0) for row in rows]
    monetary = rfm_quintiles(spend)
    objects = [
        MemberRfm(
            member_id=row["member_id"],
            last_purchase_at=row["last"],
            order_count=row["orders"],
            spend_fen=spend_fen,
            recency_score=r,
            frequency_score=f,
            monetary_score=m,
            computed_at=now,
        )
        for row, r, f, m, spend_fen in zip(rows, recency, frequency, monetary, spend, strict=True)
    ]
    MemberRfm.objects.bulk_create(
        objects,
        batch_size=1000,
        update_conflicts=True,
        unique_fields=["member"],
        update_fields=[
            "last_purchase_at",
            "order_count",
            "spend_fen",
            "recency_score",
            "frequency_score",
            "monetary_score",
            "computed_at",
        ],
    )
    MemberRfm.objects.exclude(computed_at=now).delete()
    return len(objects)


__all__ = [
    "MEMBER_CODE_CONFIRM_SECONDS",
    "MEMBER_CODE_PREFIX",
    "PROFILE_FIELDS",
    "RFM_WINDOW_DAYS",
    "SMS_CODE_MAX_ATTEMPTS",
    "SMS_CODE_PATTERN",
    "SMS_TOPIC",
    "WALLET_SMS_PURPOSE",
    "EarnLine",
    "GreetingsResult",
    "ImportReport",
    "PointsReversal",
    "birthday_coupon_hook",
    "checkout_member_books",
    "count_card_redeem",
    "count_card_refund",
    "count_card_sell",
    "member_code_issue",
    "member_code_resolve",
    "member_consent_revoke_by_reply",
    "member_greetings_queue",
    "member_register",
    "member_sign_in_by_sms",
    "member_sms_deliver",
    "member_update",
    "members_export",
    "members_import",
    "membership_buy",
    "membership_renew",
    "membership_upgrade",
    "points_adjust",
    "points_earn_for_order",
    "points_expire_due",
    "points_for_lines",
    "points_needed_for",
    "points_redeem_for_order",
    "points_redeem_refund",
    "points_reverse_for_return",
    "return_member_points",
    "return_member_tenders",
    "rfm_quintiles",
    "rfm_recompute",
    "sms_code_request",
    "sms_code_verify",
    "tier_upgrade_check",
    "tiers_review",
    "wallet_close_refund",
    "wallet_debit",
    "wallet_refund_to_card",
    "wallet_sms_code_request",
    "wallet_split",
    "wallet_top_up",
]
