"""Reads of the members domain: the program, tiers a member qualifies for, look-ups, pricing, serialization."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.db.models import F, Q, QuerySet, Sum
from django.utils import timezone

from mendian.core.money import cumulative_refund_share, round_half_up
from mendian.members import crypto
from mendian.members.errors import MemberNotFound
from mendian.members.models import (
    LoyaltyProgram,
    Member,
    MemberRfm,
    MembershipCard,
    PointsAccount,
    PointsEntry,
    SpendRecord,
    Tier,
    WalletAccount,
)

PHONE_PERMISSION = "members.view_member_phone"


def program_get() -> LoyaltyProgram:
    """The one program row, created with its dated defaults the first time it is read."""
    program = LoyaltyProgram.objects.filter(pk=1).first()
    if program is None:
        program, _created = LoyaltyProgram.objects.get_or_create(pk=1)
    return program


def points_reversal_due(*, account: PointsAccount, earn: PointsEntry, refund_fen: int) -> int:
    """The points a return of `refund_fen` more of an order must take back: cumulative over the
    order's returns (each of them is on the ledger, those that took back nothing too), so all of them
    together reverse exactly what the order earned (`earn`)."""
    prior = PointsEntry.objects.filter(
        account=account, kind=PointsEntry.Kind.EARN_REVERSAL, source_type="order", source_id=earn.source_id
    ).aggregate(points=Sum("points"), shortfall=Sum("shortfall_points"), value=Sum("value_fen"))
    return cumulative_refund_share(
        total=earn.points,
        base_fen=earn.value_fen,
        refunded_fen=prior["value"] or 0,
        refund_fen=refund_fen,
        returned=-(prior["points"] or 0) + (prior["shortfall"] or 0),
    )


def points_earned_for_order(*, member_id: int, order_id: int) -> int:
    """The points a member's order earned (what the customer display shows after the sale)."""
    earned = PointsEntry.objects.filter(
        account__member_id=member_id, kind=PointsEntry.Kind.EARN, source_type="order", source_id=str(order_id)
    ).aggregate(total=Sum("points"))
    return earned["total"] or 0


def points_return_shortfall_fen(*, member_id: int, order_id: int, refund_fen: int) -> int:
    """The money value of earned points a return of `refund_fen` of an order would deduct from its
    refund because the member already spent them — the figure services.points_reverse_for_return
    settles, read without writing or locking (for the quote of an exchange at the till)."""
    source_id = str(order_id)
    earn = PointsEntry.objects.filter(
        account__member_id=member_id, kind=PointsEntry.Kind.EARN, source_type="order", source_id=source_id
    ).first()
    account = PointsAccount.objects.filter(member_id=member_id).first()
    if earn is None or earn.value_fen <= 0 or account is None:
        return 0
    due = points_reversal_due(account=account, earn=earn, refund_fen=refund_fen)
    shortfall = due - min(due, account.balance)
    if not shortfall:
        return 0
    return round_half_up(Decimal(shortfall) * 100 / program_get().points_per_yuan_redeemed)


def tier_qualified(*, member: Member, now: dt.datetime | None = None) -> Tier | None:
    """The highest active tier whose rule the member meets now."""
    now = now or timezone.now()
    for tier in Tier.objects.filter(is_active=True).order_by("-rank"):
        since = now - dt.timedelta(days=tier.window_days)
        if tier.rule == Tier.Rule.NONE:
            return tier
        if tier.rule == Tier.Rule.SPEND:
            spend = SpendRecord.objects.filter(member=member, created_at__gt=since).aggregate(
                total=Sum("amount_fen")
            )
            if (spend["total"] or 0) >= tier.threshold_fen:
                return tier
        elif tier.rule == Tier.Rule.POINTS:
            earned = PointsEntry.objects.filter(
                account__member=member,
                created_at__gt=since,
                kind__in=[PointsEntry.Kind.EARN, PointsEntry.Kind.EARN_REVERSAL],
            ).aggregate(total=Sum("points"))
            if (earned["total"] or 0) >= tier.threshold_points:
                return tier
        elif tier.rule == Tier.Rule.PAID_CARD:
            if MembershipCard.objects.filter(member=member, plan__tier=tier, expires_at__gt=now).exists():
                return tier
    return None


def member_by_phone(phone: str) -> Member | None:
    normalized = crypto.phone_normalize(phone)
    if normalized is None:
        return None
    return (
        Member.objects.select_related("tier").filter(phone_index=crypto.phone_blind_index(normalized)).first()
    )


def members_search(query: str, *, limit: int = 20) -> list[Member]:
    """Till search: a full phone (exact, by blind index), a card number, or the phone's last four digits."""
    text = (query or "").strip()
    members: QuerySet[Member] = Member.objects.select_related("tier").filter(is_active=True)
    normalized = crypto.phone_normalize(text)
    if normalized is not None:
        return list(members.filter(phone_index=crypto.phone_blind_index(normalized))[:1])
    if text.isdigit() and len(text) == 4:
        return list(members.filter(phone_last4=text).order_by("-id")[:limit])
    if text.isdigit():
        return list(members.filter(card_no=text)[:1])
    if text:
        return list(
            members.filter(Q(name__icontains=text) | Q(referral_code=text.upper())).order_by("-id")[:limit]
        )
    return []


def member_get(member_id: int) -> Member:
    member = Member.objects.select_related("tier").filter(pk=member_id).first()
    if member is None:
        raise MemberNotFound()
    return member


def member_phone(member: Member) -> str:
    return crypto.text_decrypt(member.phone_encrypted)


def member_phone_for(member: Member, user: object) -> str:
    """The phone as this user may see it: in full with members.view_member_phone, else masked."""
    phone = member_phone(member)
    if getattr(user, "has_perm", None) and user.has_perm(PHONE_PERMISSION):  # type: ignore[attr-defined]
        return phone
    return crypto.phone_mask(phone)


def member_birthday(member: Member) -> dt.date | None:
    if not member.birthday_encrypted:
        return None
    return dt.date.fromisoformat(crypto.text_decrypt(member.birthday_encrypted))


def member_balances(member: Member) -> dict[str, int]:
    points = PointsAccount.objects.filter(member=member).values_list("balance", flat=True).first() or 0
    wallet = WalletAccount.objects.filter(member=member).values("principal_fen", "bonus_fen").first() or {
        "principal_fen": 0,
        "bonus_fen": 0,
    }
    return {
        "points": points,
        "wallet_principal_fen": wallet["principal_fen"],
        "wallet_bonus_fen": wallet["bonus_fen"],
        "wallet_balance_fen": wallet["principal_fen"] + wallet["bonus_fen"],
    }


def member_out(member: Member, user: object, *, with_balances: bool = True) -> dict[str, Any]:
    """A member as the API shows it to a staff user (phone masked unless allowed)."""
    data: dict[str, Any] = {
        "id": member.pk,
        "card_no": member.card_no,
        "phone": member_phone_for(member, user),
        "name": member.name,
        "gender": member.gender,
        "region": member.region,
        "channel": member.channel,
        "registered_store_id": member.registered_store_id,
        "marketing_consent": member.marketing_consent,
        "tags": member.tags,
        "tier": {
            "id": member.tier.pk,
            "code": member.tier.code,
            "name": member.tier.name,
            "discount_bp": member.tier.discount_bp,
        }
        if member.tier
        else None,
        "referral_code": member.referral_code,
        "created_at": member.created_at,
    }
    if with_balances:
        data.update(member_balances(member))
    return data


def points_history(member: Member, *, limit: int = 50) -> list[dict[str, Any]]:
    return [
        dict(row)
        for row in PointsEntry.objects.filter(account__member=member)
        .order_by("-id")
        .values(
            "id", "kind", "points", "balance_after", "expires_at", "source_type", "source_id", "created_at"
        )[:limit]
    ]


def wallet_history(member: Member, *, limit: int = 50) -> list[dict[str, Any]]:
    from mendian.members.models import WalletEntry

    return [
        dict(row)
        for row in WalletEntry.objects.filter(account__member=member)
        .order_by("-id")
        .values(
            "id",
            "kind",
            "principal_fen",
            "bonus_fen",
            "principal_after_fen",
            "bonus_after_fen",
            "source_type",
            "source_id",
            "created_at",
        )[:limit]
    ]


# ---------------------------------------------------------------- back-office profile

PROFILE_ORDER_LIMIT = 20
PROFILE_LEDGER_LIMIT = 50
FAVOURITE_CATEGORY_LIMIT = 5
BOUGHT_STATUSES = ("completed", "partially_refunded", "refunded")


def member_purchases(member: Member, *, limit: int = PROFILE_ORDER_LIMIT) -> list[dict[str, Any]]:
    """The member's latest real sales (training sales are not theirs)."""
    # The sales app sits above members: its models are looked up by name, never imported.
    order_model = apps.get_model("sales", "Order")
    return list(
        order_model.objects.filter(member_id=member.pk, is_training=False)
        .order_by("-id")
        .values(
            "id", "number", "store_id", "status", "total_fen", "refunded_fen", "created_at", "receipt_token"
        )[:limit]
    )


def member_favourite_categories(
    member: Member, *, limit: int = FAVOURITE_CATEGORY_LIMIT
) -> list[dict[str, Any]]:
    """The categories the member spent most on, net of returns (one grouped query)."""
    line_model = apps.get_model("sales", "OrderLine")
    return list(
        line_model.objects.filter(
            order__member_id=member.pk, order__is_training=False, order__status__in=BOUGHT_STATUSES
        )
        .values(category_id=F("sku__product__category_id"), category_name=F("sku__product__category__name"))
        .annotate(spend_fen=Sum(F("total_fen") - F("refunded_fen")), qty=Sum(F("qty") - F("refunded_qty")))
        .filter(spend_fen__gt=0)
        .order_by("-spend_fen", "category_id")[:limit]
    )


def member_rfm(member: Member) -> dict[str, Any] | None:
    """The scores of the last periodic computation (None: no purchase yet, or not computed yet)."""
    row = (
        MemberRfm.objects.filter(member=member)
        .values(
            "recency_score",
            "frequency_score",
            "monetary_score",
            "last_purchase_at",
            "order_count",
            "spend_fen",
            "computed_at",
        )
        .first()
    )
    return dict(row) if row is not None else None


def member_profile(member: Member, user: object) -> dict[str, Any]:
    """What the back office shows of a member: the member with balances, tags, RFM scores, favourite
    categories, purchase history and the latest ledger entries, in a fixed number of queries."""
    return {
        "member": member_out(member, user),
        "tags": list(member.tags or []),
        "rfm": member_rfm(member),
        "favourite_categories": member_favourite_categories(member),
        "orders": member_purchases(member),
        "points": points_history(member, limit=PROFILE_LEDGER_LIMIT),
        "wallet": wallet_history(member, limit=PROFILE_LEDGER_LIMIT),
    }
