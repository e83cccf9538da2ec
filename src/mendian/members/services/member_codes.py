"""The live member code: issuing the rotating QR payload and resolving a scanned code to a member."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from mendian.members import crypto
from mendian.members.errors import MemberCodeExpired, MemberCodeInvalid, MemberNotFound
from mendian.members.models import Member
from mendian.members.selectors import program_get

MEMBER_CODE_PREFIX = "M1"


def member_code_issue(*, member: Member, now: dt.datetime | None = None) -> str:
    """The rotating QR payload: M1.<member id>.<unix time>.<HMAC tag>."""
    stamp = int((now or timezone.now()).timestamp())
    message = f"{MEMBER_CODE_PREFIX}.{member.pk}.{stamp}"
    return f"{message}.{crypto.code_sign(message)}"


def member_code_resolve(
    *, code: str, now: dt.datetime | None = None, max_age_seconds: int | None = None
) -> tuple[Member, bool]:
    """The member behind a scanned code: a live QR (True: the member is present with their phone) or the
    static card number (False). A QR whose tag does not match or that is older than its validity is refused."""
    code = (code or "").strip()
    if code.isdigit():
        member = Member.objects.select_related("tier").filter(card_no=code, is_active=True).first()
        if member is None:
            raise MemberNotFound()
        return member, False
    member_id = live_code_member_id(code=code, now=now, max_age_seconds=max_age_seconds)
    member = Member.objects.select_related("tier").filter(pk=member_id, is_active=True).first()
    if member is None:
        raise MemberNotFound()
    return member, True


def live_code_member_id(
    *, code: str, now: dt.datetime | None = None, max_age_seconds: int | None = None
) -> int:
    """The member id a live QR was issued for, checked by its tag and age alone (no query): a card number,
    a forged or an expired code raises."""
    parts = (code or "").strip().split(".")
    if len(parts) != 4 or parts[0] != MEMBER_CODE_PREFIX or not parts[1].isdigit() or not parts[2].isdigit():
        raise MemberCodeInvalid()
    message = ".".join(parts[:3])
    if not crypto.code_verify(message, parts[3]):
        raise MemberCodeInvalid()
    ttl = max_age_seconds if max_age_seconds is not None else program_get().member_code_ttl_seconds
    age = (now or timezone.now()).timestamp() - int(parts[2])
    if age > ttl or age < -30:
        raise MemberCodeExpired()
    return int(parts[1])
