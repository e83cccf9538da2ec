"""One-time SMS codes for signing in and for confirming a payment with points or stored value."""

from __future__ import annotations

import datetime as dt
import secrets

from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from mendian.core.money import yuan_str
from mendian.members import crypto
from mendian.members.errors import (
    MemberPhoneTaken,
    PhoneInvalid,
    SmsCodeInvalid,
    SmsRateLimited,
    WalletInsufficient,
)
from mendian.members.models import Member, SmsCode
from mendian.members.selectors import member_phone, program_get
from mendian.members.services.profiles import member_register

SMS_CODE_MAX_ATTEMPTS = 5
WALLET_SMS_PURPOSE = "wallet"
COUNT_CARD_SMS_PURPOSE = "count_card"


@transaction.atomic
def sms_code_request(
    *,
    phone: str,
    purpose: str = "login",
    amount_fen: int | None = None,
    member: Member | None = None,
    client_order_id: str = "",
) -> None:
    """Send a 6-digit code: at most one per resend interval and a daily number per phone; only its keyed
    hash is stored. The SMS goes out after commit. With `amount_fen` it confirms a payment by `member`
    of at most that amount in the till's order `client_order_id`, and the text names the amount; with
    the count-card purpose it confirms that `member` uses a service of a count card."""
    normalized = crypto.phone_normalize(phone)
    if normalized is None:
        raise PhoneInvalid()
    program = program_get()
    index = crypto.phone_blind_index(normalized)
    now = timezone.now()
    recent = SmsCode.objects.filter(phone_index=index, created_at__gte=now - dt.timedelta(days=1))
    if recent.filter(created_at__gte=now - dt.timedelta(seconds=program.sms_resend_seconds)).exists():
        raise SmsRateLimited(details={"retry_after_seconds": program.sms_resend_seconds})
    if recent.count() >= program.sms_daily_limit:
        raise SmsRateLimited(details={"retry_after_seconds": 86400})
    code = f"{secrets.randbelow(1_000_000):06d}"
    SmsCode.objects.create(
        phone_index=index,
        code_hash=crypto.secret_hash(f"{index}:{code}"),
        purpose=purpose,
        member=member,
        amount_fen=amount_fen,
        client_order_id=client_order_id,
        expires_at=now + dt.timedelta(seconds=program.sms_code_ttl_seconds),
    )
    minutes = max(program.sms_code_ttl_seconds // 60, 1)
    if purpose == COUNT_CARD_SMS_PURPOSE:
        text = _(
            "Your code to use a service of your count card is %(code)s, valid for %(minutes)s minutes. "
            "Do not tell anyone but the cashier."
        ) % {"code": code, "minutes": minutes}
    elif amount_fen is None:
        text = _("Your Mendian verification code is %(code)s, valid for %(minutes)s minutes.") % {
            "code": code,
            "minutes": minutes,
        }
    else:
        text = _(
            "Your code to pay ¥%(amount)s with points or stored value is %(code)s, valid for %(minutes)s "
            "minutes. Do not tell anyone but the cashier."
        ) % {"code": code, "minutes": minutes, "amount": yuan_str(amount_fen)}
    transaction.on_commit(lambda: _sms_deliver(phone=normalized, index=index, text=text, purpose=purpose))


def wallet_sms_code_request(*, member: Member, amount_fen: int, client_order_id: str) -> None:
    """The till's alternative to the live member code: text the member a one-time code that confirms
    paying at most `amount_fen` with points and stored value in the till's order `client_order_id`
    (same rate limits as sign-in codes)."""
    if amount_fen <= 0:
        raise WalletInsufficient(_("The amount must be positive."), code="wallet_amount_invalid")
    if not client_order_id:
        raise SmsCodeInvalid(_("Say which sale the code is for."), code="client_order_id_required")
    sms_code_request(
        phone=member_phone(member),
        purpose=WALLET_SMS_PURPOSE,
        amount_fen=amount_fen,
        member=member,
        client_order_id=client_order_id,
    )


def count_card_sms_code_request(*, member: Member) -> None:
    """The till's alternative to the live member code for using a count card: text the member a one-time
    code (same rate limits as sign-in codes)."""
    sms_code_request(phone=member_phone(member), purpose=COUNT_CARD_SMS_PURPOSE, member=member)


def _member_sms_confirmed(
    *,
    member: Member,
    code: str,
    purpose: str = WALLET_SMS_PURPOSE,
    amount_fen: int | None = None,
    client_order_id: str = "",
) -> bool:
    """A code texted to a member is good once, for that member and purpose, and a payment code only for
    the till's order it was asked for and at most the amount it names (`amount_fen` is the sum to
    confirm); it is marked used in the caller's transaction. Wrong tries are counted in the cache as
    well, because a refused payment rolls back the caller's transaction (and with it the attempts counted
    in the row)."""
    key = f"members:{purpose}-sms-fails:{member.pk}"
    if (cache.get(key) or 0) >= SMS_CODE_MAX_ATTEMPTS:
        return False
    with transaction.atomic():
        sms = (
            SmsCode.objects.select_for_update()
            .filter(
                member_id=member.pk,
                purpose=purpose,
                client_order_id=client_order_id,
                used_at__isnull=True,
                expires_at__gt=timezone.now(),
            )
            .order_by("-id")
            .first()
        )
        if sms is None or sms.attempts >= SMS_CODE_MAX_ATTEMPTS:
            right = False
        else:
            SmsCode.objects.filter(pk=sms.pk).update(attempts=F("attempts") + 1)
            right = (
                crypto.code_verify_secret(f"{sms.phone_index}:{(code or '').strip()}", sms.code_hash)
                and (sms.amount_fen is None or (amount_fen is not None and amount_fen <= sms.amount_fen))
                and SmsCode.objects.filter(pk=sms.pk, used_at__isnull=True).update(used_at=timezone.now())
                == 1
            )
    if not right:
        cache.add(key, 0, timeout=3600)
        cache.incr(key)
    return right


def _sms_deliver(*, phone: str, index: str, text: str, purpose: str, is_marketing: bool = False) -> None:
    from mendian.notifications.sms import SmsMessage, sms_provider

    sms_provider().send(
        SmsMessage(
            phone=phone,
            recipient_key=index,
            recipient_masked=crypto.phone_mask(phone),
            text=text,
            purpose=purpose,
            is_marketing=is_marketing,
        )
    )


def sms_code_verify(*, phone: str, code: str, purpose: str = "login") -> str:
    """Check a code (few tries, unexpired, once); returns the phone's blind index."""
    normalized = crypto.phone_normalize(phone)
    if normalized is None:
        raise PhoneInvalid()
    index = crypto.phone_blind_index(normalized)
    with transaction.atomic():
        sms = (
            SmsCode.objects.select_for_update()
            .filter(phone_index=index, purpose=purpose, used_at__isnull=True, expires_at__gt=timezone.now())
            .order_by("-id")
            .first()
        )
        if sms is None or sms.attempts >= SMS_CODE_MAX_ATTEMPTS:
            raise SmsCodeInvalid()
        SmsCode.objects.filter(pk=sms.pk).update(attempts=F("attempts") + 1)
        if not crypto.code_verify_secret(f"{index}:{(code or '').strip()}", sms.code_hash):
            wrong = True
        else:
            wrong = not SmsCode.objects.filter(pk=sms.pk, used_at__isnull=True).update(used_at=timezone.now())
    if wrong:
        raise SmsCodeInvalid()
    return index


def member_sign_in_by_sms(
    *, phone: str, code: str, referral_code: str = "", channel: str = Member.Channel.SELF_SERVICE
) -> tuple[Member, bool]:
    """Member-centre sign-in: a valid code signs in, registering the phone when it is new (through
    `channel`: the member centre itself or a receipt's claim QR)."""
    index = sms_code_verify(phone=phone, code=code)
    member = Member.objects.filter(phone_index=index).first()
    if member is not None:
        return member, False
    try:
        return member_register(phone=phone, channel=channel, referral_code=referral_code), True
    except MemberPhoneTaken:
        return Member.objects.get(phone_index=index), False
