"""Paid membership cards (buy, renew, upgrade, refund) and the tiers members move between."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from mendian.core.money import round_half_up
from mendian.core.services import audit_record, outbox_enqueue
from mendian.members.errors import MembershipInvalid
from mendian.members.models import Member, MembershipCard, MembershipPayment, MembershipPlan, Tier
from mendian.members.selectors import tier_qualified
from mendian.members.services.notices import SMS_TOPIC


@transaction.atomic
def membership_buy(
    *, member: Member, plan: MembershipPlan, payment_method: str, store_id: int | None = None
) -> MembershipPayment:
    """Buy a paid card (or a new one after the old expired); it grants its tier at once."""
    now = timezone.now()
    card = MembershipCard.objects.select_for_update().filter(member=member).first()
    if card is not None and card.expires_at > now:
        raise MembershipInvalid(
            _("The member already holds a valid card: renew or upgrade it."), code="membership_active"
        )
    expires = now + dt.timedelta(days=plan.validity_days)
    if card is None:
        card = MembershipCard.objects.create(
            member=member, plan=plan, starts_at=now, expires_at=expires, paid_total_fen=plan.price_fen
        )
    else:
        MembershipCard.objects.filter(pk=card.pk).update(
            plan=plan, starts_at=now, expires_at=expires, paid_total_fen=F("paid_total_fen") + plan.price_fen
        )
    payment = MembershipPayment.objects.create(
        card=card,
        kind=MembershipPayment.Kind.BUY,
        plan=plan,
        amount_fen=plan.price_fen,
        payment_method=payment_method,
        store_id=store_id,
    )
    tier_upgrade_check(member=member)
    return payment


@transaction.atomic
def membership_renew(
    *, member: Member, payment_method: str, store_id: int | None = None
) -> MembershipPayment:
    """Extend the card by its plan's validity, from its end (or from today when it has lapsed)."""
    card = (
        MembershipCard.objects.select_for_update(of=("self",))
        .select_related("plan")
        .filter(member=member)
        .first()
    )
    if card is None:
        raise MembershipInvalid(_("The member has no paid card to renew."), code="membership_missing")
    start = max(card.expires_at, timezone.now())
    card.expires_at = start + dt.timedelta(days=card.plan.validity_days)
    card.paid_total_fen += card.plan.price_fen
    card.save(update_fields=["expires_at", "paid_total_fen"])
    payment = MembershipPayment.objects.create(
        card=card,
        kind=MembershipPayment.Kind.RENEW,
        plan=card.plan,
        amount_fen=card.plan.price_fen,
        payment_method=payment_method,
        store_id=store_id,
    )
    tier_upgrade_check(member=member)
    return payment


@transaction.atomic
def membership_upgrade(
    *, member: Member, plan: MembershipPlan, payment_method: str, store_id: int | None = None
) -> MembershipPayment:
    """Move a valid card to a higher plan, paying the price difference; the end date stays."""
    card = (
        MembershipCard.objects.select_for_update(of=("self",))
        .select_related("plan__tier")
        .filter(member=member)
        .first()
    )
    if card is None or card.expires_at <= timezone.now():
        raise MembershipInvalid(_("Only a valid card can be upgraded."), code="membership_missing")
    if plan.tier.rank <= card.plan.tier.rank:
        raise MembershipInvalid(_("Choose a higher plan."), code="membership_not_higher")
    difference = max(plan.price_fen - card.plan.price_fen, 0)
    card.plan = plan
    card.paid_total_fen += difference
    card.save(update_fields=["plan", "paid_total_fen"])
    payment = MembershipPayment.objects.create(
        card=card,
        kind=MembershipPayment.Kind.UPGRADE,
        plan=plan,
        amount_fen=difference,
        payment_method=payment_method,
        store_id=store_id,
    )
    tier_upgrade_check(member=member)
    return payment


@transaction.atomic
def membership_refund(
    *, member: Member, actor_id: int | None, store_id: int | None = None, now: dt.datetime | None = None
) -> MembershipPayment:
    """Take back a valid paid card: its unused time is paid back pro rata to the plan's price per day of
    validity, never more than the card's payments less earlier refunds. The card ends now and the member
    moves to the tier they qualify for without it. The returned payment's `amount_fen` is what the till's
    prepaid refund pays out."""
    now = now or timezone.now()
    card = (
        MembershipCard.objects.select_for_update(of=("self",))
        .select_related("plan")
        .filter(member=member)
        .first()
    )
    if card is None or card.expires_at <= now:
        raise MembershipInvalid(_("Only a valid card can be refunded."), code="membership_missing")
    validity_seconds = card.plan.validity_days * 86400
    refund_fen = 0
    if validity_seconds:
        remaining_seconds = Decimal((card.expires_at - now).total_seconds())
        refund_fen = round_half_up(Decimal(card.plan.price_fen) * remaining_seconds / validity_seconds)
    refunded_before = (
        MembershipPayment.objects.filter(card=card, kind=MembershipPayment.Kind.REFUND).aggregate(
            total=Sum("amount_fen")
        )["total"]
        or 0
    )
    refund_fen = max(min(refund_fen, card.paid_total_fen - refunded_before), 0)
    expired_at = card.expires_at
    MembershipCard.objects.filter(pk=card.pk).update(expires_at=now)
    payment = MembershipPayment.objects.create(
        card=card,
        kind=MembershipPayment.Kind.REFUND,
        plan=card.plan,
        amount_fen=refund_fen,
        payment_method="refund",
        store_id=store_id,
    )
    member = Member.objects.select_related("tier").get(pk=member.pk)
    best = tier_qualified(member=member, now=now)
    if (best.pk if best else None) != member.tier_id:
        _tier_set(member=member, tier=best, reason="downgrade")
    audit_record(
        action="member.membership_refund",
        obj=card,
        before={"expires_at": expired_at.isoformat()},
        after={"expires_at": now.isoformat(), "refund_fen": refund_fen},
        actor_id=actor_id,
        store_id=store_id,
    )
    return payment


def _tier_set(*, member: Member, tier: Tier | None, reason: str) -> None:
    old = member.tier
    Member.objects.filter(pk=member.pk).update(tier=tier, tier_since=timezone.now())
    member.tier = tier
    outbox_enqueue(
        topic=SMS_TOPIC,
        payload={
            "member_id": member.pk,
            "template": "tier_changed",
            "reason": reason,
            "old_tier": old.name if old else "",
            "new_tier": tier.name if tier else "",
        },
    )


@transaction.atomic
def tier_upgrade_check(*, member: Member) -> bool:
    """Upgrades apply at once (after a purchase or a paid card); downgrades wait for the daily job."""
    member = Member.objects.select_related("tier").get(pk=member.pk)
    best = tier_qualified(member=member)
    current_rank = member.tier.rank if member.tier else -1
    if best is not None and best.rank > current_rank:
        _tier_set(member=member, tier=best, reason="upgrade")
        return True
    return False


def tiers_review(*, now: dt.datetime | None = None) -> int:
    """Daily: move each member to the tier they qualify for now, down as well as up, with a notice."""
    changed = 0
    for member_id in Member.objects.filter(is_active=True).values_list("pk", flat=True).iterator():
        with transaction.atomic():
            member = Member.objects.select_for_update(of=("self",)).select_related("tier").get(pk=member_id)
            best = tier_qualified(member=member, now=now)
            if (best.pk if best else None) != member.tier_id:
                reason = (
                    "upgrade"
                    if (best.rank if best else -1) > (member.tier.rank if member.tier else -1)
                    else "downgrade"
                )
                _tier_set(member=member, tier=best, reason=reason)
                changed += 1
    return changed
