"""Count cards: selling a package of service uses, redeeming one use and refunding the unused ones."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from mendian.core.money import round_half_up
from mendian.core.services import audit_record
from mendian.members.errors import CountCardUnavailable, MemberVerificationRequired
from mendian.members.models import CountCard, CountCardEntry, CountCardPlan, Member
from mendian.members.services.presence import member_presence_proof
from mendian.members.services.sms_codes import COUNT_CARD_SMS_PURPOSE


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
    *, card_id: int, member_code: str, sku_id: int, store_id: int, actor_id: int | None = None
) -> CountCardEntry:
    """Use one service of a count card, only with proof that the card's member is present: their live
    code, or a code texted to them for count cards (`count_card_sms_code_request`), never the printed
    card number or the phone. The card must be active, unexpired, valid in this store and cover the
    service; uses never go below zero."""
    card = (
        CountCard.objects.select_for_update(of=("self",))
        .select_related("plan", "member")
        .filter(pk=card_id, member__is_active=True)
        .first()
    )
    if card is None:
        raise CountCardUnavailable(code="count_card_not_found")
    if not member_presence_proof(member=card.member, code=member_code, sms_purpose=COUNT_CARD_SMS_PURPOSE):
        raise MemberVerificationRequired(
            _("Using a count card needs the member's live code or an SMS code sent to the member.")
        )
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
def count_card_refund(
    *, card_id: int, actor_id: int | None, member: Member | None = None, store_id: int | None = None
) -> CountCardEntry:
    """Take back a card's unused uses, valued pro rata to the price paid; the returned entry's
    `value_fen` is what the till's prepaid refund pays out. Only the member's own active card with uses
    left can be refunded."""
    cards = CountCard.objects.select_for_update().filter(pk=card_id)
    if member is not None:
        cards = cards.filter(member=member)
    card = cards.first()
    if card is None:
        raise CountCardUnavailable(code="count_card_not_found")
    if card.status != CountCard.Status.ACTIVE or card.uses_left <= 0:
        raise CountCardUnavailable(
            _("This count card has no unused uses to pay back."), code="count_card_not_refundable"
        )
    refund_fen = round_half_up(Decimal(card.price_fen) * card.uses_left / card.uses_total)
    left = card.uses_left
    CountCard.objects.filter(pk=card.pk).update(uses_left=0, status=CountCard.Status.REFUNDED)
    entry = CountCardEntry.objects.create(
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
    return entry
