"""Member registration and profile changes, including revoking marketing consent by SMS reply."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from mendian.core.services import audit_record
from mendian.members import crypto
from mendian.members.errors import MemberPhoneTaken, PhoneInvalid
from mendian.members.models import Member, PointsAccount, Tier, WalletAccount


def _card_no_new() -> str:
    return "8" + "".join(secrets.choice("0123456789") for _ in range(11))


def _referral_code_new() -> str:
    return "".join(secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(8))


def _birthday_fields(birthday: dt.date | None) -> dict[str, str]:
    if birthday is None:
        return {"birthday_encrypted": "", "birthday_mmdd": ""}
    return {
        "birthday_encrypted": crypto.text_encrypt(birthday.isoformat()),
        "birthday_mmdd": birthday.strftime("%m%d"),
    }


@transaction.atomic
def member_register(
    *,
    phone: str,
    channel: str = Member.Channel.TILL,
    store_id: int | None = None,
    name: str = "",
    gender: str = "",
    birthday: dt.date | None = None,
    region: str = "",
    marketing_consent: bool = False,
    referral_code: str = "",
    tags: Iterable[str] = (),
    notes: str = "",
    actor_id: int | None = None,
) -> Member:
    """Register a member by phone. The unique blind index, not a look-up first, stops a duplicate phone;
    the phone is stored only encrypted. A valid referral code links the referrer."""
    normalized = crypto.phone_normalize(phone)
    if normalized is None:
        raise PhoneInvalid()
    index = crypto.phone_blind_index(normalized)
    referrer = None
    if referral_code:
        referrer = Member.objects.filter(referral_code=referral_code.strip().upper(), is_active=True).first()
    entry_tier = Tier.objects.filter(is_active=True, rule=Tier.Rule.NONE).order_by("rank").first()
    now = timezone.now()
    member = Member(
        phone_encrypted=crypto.text_encrypt(normalized),
        phone_index=index,
        phone_last4=normalized[-4:],
        name=name.strip()[:50],
        gender=gender,
        region=region.strip()[:100],
        registered_store_id=store_id,
        channel=Member.Channel.REFERRAL
        if referrer is not None and channel == Member.Channel.SELF_SERVICE
        else channel,
        marketing_consent=marketing_consent,
        marketing_consent_at=now if marketing_consent else None,
        tags=sorted({tag.strip() for tag in tags if tag.strip()}),
        notes=notes,
        tier=entry_tier,
        tier_since=now if entry_tier else None,
        referred_by=referrer,
        **_birthday_fields(birthday),
    )
    for attempt in range(5):
        member.card_no = _card_no_new()
        member.referral_code = _referral_code_new()
        try:
            with transaction.atomic():
                member.save(force_insert=True)
            break
        except IntegrityError:
            existing = Member.objects.filter(phone_index=index).values_list("pk", flat=True).first()
            if existing is not None:
                raise MemberPhoneTaken(details={"member_id": existing}) from None
            if attempt == 4:
                raise
            member.pk = None
    PointsAccount.objects.create(member=member)
    WalletAccount.objects.create(member=member)
    audit_record(
        action="member.create",
        obj=member,
        after={"card_no": member.card_no, "channel": member.channel, "store_id": store_id},
        actor_id=actor_id,
        store_id=store_id,
    )
    return member


PROFILE_FIELDS = {"name", "gender", "birthday", "region", "marketing_consent", "tags", "notes"}


@transaction.atomic
def member_update(*, member: Member, actor_id: int | None = None, **changes: Any) -> Member:
    """Change profile fields; a change of marketing consent records its time (evidence under PIPL)."""
    unknown = set(changes) - PROFILE_FIELDS
    if unknown:
        raise ValueError(f"not a profile field: {sorted(unknown)}")
    member = Member.objects.select_for_update().get(pk=member.pk)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for name, value in changes.items():
        if name == "birthday":
            for key, encoded in _birthday_fields(value).items():
                setattr(member, key, encoded)
            after["birthday"] = "changed"
            continue
        if name == "tags":
            value = sorted({str(tag).strip() for tag in value if str(tag).strip()})
        if name == "marketing_consent" and value != member.marketing_consent:
            member.marketing_consent_at = timezone.now()
        before[name] = getattr(member, name)
        setattr(member, name, value)
        after[name] = value
    member.save()
    audit_record(action="member.update", obj=member, before=before, after=after, actor_id=actor_id)
    return member


@transaction.atomic
def member_consent_revoke_by_reply(*, phone: str) -> bool:
    """An SMS reply R / T / TD / N / 退订 revokes marketing consent."""
    normalized = crypto.phone_normalize(phone)
    if normalized is None:
        return False
    member = Member.objects.filter(phone_index=crypto.phone_blind_index(normalized)).first()
    if member is None or not member.marketing_consent:
        return False
    member_update(member=member, marketing_consent=False)
    return True
