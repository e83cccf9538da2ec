"""Member notices: daily birthday and renewal greetings, and the outbox handler that sends member SMS."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mendian.core.services import outbox_enqueue
from mendian.members import crypto
from mendian.members.models import Member, MemberNotice, MembershipCard
from mendian.members.services.sms_codes import _sms_deliver

SMS_TOPIC = "members.sms"


@dataclass
class GreetingsResult:
    birthdays: int = 0
    renewals: int = 0
    member_ids: list[int] = field(default_factory=list)


def member_greetings_queue(*, today: dt.date | None = None, renewal_days: int = 7) -> GreetingsResult:
    """Daily: queue birthday greetings (and the birthday-coupon hook) and renewal reminders for paid cards
    ending within `renewal_days`, once per member and occasion."""
    today = today or timezone.localdate()
    result = GreetingsResult()
    for member in Member.objects.filter(is_active=True, birthday_mmdd=today.strftime("%m%d")).select_related(
        "tier"
    ):
        if _notice_once(member=member, key=f"birthday-{today.year}"):
            outbox_enqueue(
                topic=SMS_TOPIC,
                payload={
                    "member_id": member.pk,
                    "template": "birthday",
                    "gift": member.tier.birthday_gift if member.tier else "",
                },
            )
            result.birthdays += 1
            result.member_ids.append(member.pk)
    horizon = timezone.now() + dt.timedelta(days=renewal_days)
    cards = MembershipCard.objects.filter(
        expires_at__gt=timezone.now(), expires_at__lte=horizon
    ).select_related("member")
    for card in cards:
        if _notice_once(member=card.member, key=f"renewal-{card.expires_at:%Y%m%d}"):
            outbox_enqueue(
                topic=SMS_TOPIC,
                payload={
                    "member_id": card.member_id,
                    "template": "renewal",
                    "expires": card.expires_at.date().isoformat(),
                },
            )
            result.renewals += 1
    return result


def _notice_once(*, member: Member, key: str) -> bool:
    try:
        with transaction.atomic():
            MemberNotice.objects.create(member=member, key=key)
    except IntegrityError:
        return False
    return True


def member_sms_deliver(payload: dict[str, Any]) -> None:
    """Outbox handler of `members.sms`: render the template and send it to the member's phone."""
    member = Member.objects.filter(pk=int(payload.get("member_id") or 0)).first()
    if member is None:
        return
    template = payload.get("template", "")
    is_marketing = template in {"birthday"}
    if is_marketing and not member.marketing_consent:
        return
    texts = {
        "birthday": _("Happy birthday from Mendian! %(gift)s") % {"gift": payload.get("gift", "")},
        "renewal": _("Your paid membership ends on %(date)s. Renew at any store.")
        % {"date": payload.get("expires", "")},
        "tier_changed": _("Your member level is now %(tier)s.") % {"tier": payload.get("new_tier", "")},
        "referral_reward": _("You earned %(points)s points for referring a friend.")
        % {"points": payload.get("points", 0)},
    }
    text = texts.get(template)
    if text is None:
        raise LookupError(f"unknown member SMS template {template!r}")
    phone = crypto.text_decrypt(member.phone_encrypted)
    _sms_deliver(
        phone=phone, index=member.phone_index, text=text, purpose=template, is_marketing=is_marketing
    )
