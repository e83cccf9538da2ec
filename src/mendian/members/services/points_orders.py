"""Points against orders: earning, referral rewards, reversal on a return, and paying with points.

A function given `account` uses it as the member's points account already locked by the caller
(order_books.member_accounts_lock takes a member's accounts in the one fixed order); else it locks it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from mendian.core.money import allocate, cumulative_refund_share, round_half_up
from mendian.core.services import outbox_enqueue
from mendian.members.errors import PointsRedeemCapExceeded, PointsRedeemInvalid
from mendian.members.models import (
    LoyaltyProgram,
    Member,
    PointsAccount,
    PointsCategoryRule,
    PointsEntry,
    ReferralReward,
    SpendRecord,
)
from mendian.members.selectors import points_reversal_due, program_get
from mendian.members.services.memberships import tier_upgrade_check
from mendian.members.services.notices import SMS_TOPIC
from mendian.members.services.points import _points_add_lot, _points_lock, _points_take


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
    account: PointsAccount | None = None,
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
        if account is None:
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
    account: PointsAccount | None = None,
) -> PointsReversal:
    """Take back the points a returned share of an order earned. Cumulative over partial returns, so all
    returns of an order together reverse exactly what it earned: every return is written to the ledger
    with its refund, one whose share rounds to no points too (else the next one would reckon from too
    little). Points already spent are taken from the balance; what the balance lacks is never taken
    below zero but returned as a money value (`shortfall_fen`) that the refund must deduct. A repeat of
    the same return changes nothing."""
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
    if account is None:
        account = _points_lock(member)
    due = points_reversal_due(account=account, earn=earn, refund_fen=refund_fen)
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
    account: PointsAccount | None = None,
) -> PointsEntry:
    """Pay part of an order with points at the program's rate, at most the program's share of the order."""
    program = program_get()
    cap_fen = order_total_fen * program.points_redeem_cap_bp // 10000
    if amount_fen > cap_fen:
        raise PointsRedeemCapExceeded(details={"max_fen": cap_fen})
    points = points_needed_for(amount_fen=amount_fen, program=program)
    if account is None:
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
    account: PointsAccount | None = None,
) -> PointsEntry | None:
    """Give back the points that paid a refunded share of an order, as a new lot. Cumulative, so all refunds
    of an order return exactly the points it used: every refund is written to the ledger with its
    amount, one whose share rounds to no points too."""
    source_id, related_id = str(order_id), str(return_id)
    repeat = PointsEntry.objects.filter(
        account__member=member,
        kind=PointsEntry.Kind.REDEEM_REFUND,
        source_id=source_id,
        related_id=related_id,
    ).first()
    if repeat is not None or amount_fen <= 0:
        return repeat
    if account is None:
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
    give = cumulative_refund_share(
        total=used_points,
        base_fen=used_value,
        refunded_fen=prior["value"] or 0,
        refund_fen=amount_fen,
        returned=prior["points"] or 0,
    )
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


@transaction.atomic
def points_redeem_reverse(
    *,
    member: Member,
    order_id: str | int,
    reason: str,
    store_id: int | None = None,
    actor_id: int | None = None,
    account: PointsAccount | None = None,
) -> PointsEntry | None:
    """Give back, as a new lot, all the points that paid an order and have not come back yet (an order
    voided before it was paid). Nothing left to give back writes nothing, so a repeat changes nothing."""
    source_id = str(order_id)
    if account is None:
        account = _points_lock(member)
    moved = PointsEntry.objects.filter(
        account=account,
        kind__in=[PointsEntry.Kind.REDEEM, PointsEntry.Kind.REDEEM_REFUND],
        source_type="order",
        source_id=source_id,
    ).aggregate(
        points=Sum("points"),
        redeemed_fen=Sum("value_fen", filter=Q(kind=PointsEntry.Kind.REDEEM)),
        refunded_fen=Sum("value_fen", filter=Q(kind=PointsEntry.Kind.REDEEM_REFUND)),
    )
    give = -(moved["points"] or 0)
    if give <= 0:
        return None
    return _points_add_lot(
        account=account,
        points=give,
        kind=PointsEntry.Kind.REDEEM_REFUND,
        program=program_get(),
        now=timezone.now(),
        value_fen=max((moved["redeemed_fen"] or 0) - (moved["refunded_fen"] or 0), 0),
        reason=reason[:200],
        source_type="order",
        source_id=source_id,
        store_id=store_id,
        actor_id=actor_id,
    )
