"""Member data at rest, the rotating member code and SMS sign-in."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest
from cryptography.exceptions import InvalidTag
from django.db import connection
from django.utils import timezone

from mendian.members import crypto, services
from mendian.members.errors import (
    MemberCodeExpired,
    MemberCodeInvalid,
    MemberPhoneTaken,
    SmsCodeInvalid,
    SmsRateLimited,
)
from mendian.members.models import Member, SmsCode
from mendian.members.selectors import member_phone, members_search
from mendian.notifications.models import ConsoleSms

pytestmark = pytest.mark.django_db


def sms_code_in(text: str) -> str:
    match = re.search(r"\d{6}", text)
    assert match is not None
    return match.group()


def test_no_plaintext_phone_or_birthday_in_the_member_table(make_member: Callable[..., Member]) -> None:
    member = make_member("138 1234 5678", birthday=dt.date(1990, 5, 17))
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM members_member")
        rows = cursor.fetchall()
    dump = repr(rows)
    assert "13812345678" not in dump and "1990-05-17" not in dump
    assert "5678" in dump  # the last four, for till search, and nothing more
    assert member_phone(member) == "13812345678"
    assert members_search("13812345678") == [member]
    assert members_search("5678") == [member]


def test_phone_is_unique_whatever_its_spelling(make_member: Callable[..., Member]) -> None:
    make_member("13812345678")
    with pytest.raises(MemberPhoneTaken):
        make_member("+86 138-1234-5678")
    assert Member.objects.count() == 1


def test_tampered_ciphertext_does_not_decrypt() -> None:
    token = crypto.text_encrypt("13812345678")
    raw = bytearray(__import__("base64").b64decode(token))
    raw[-1] ^= 1
    with pytest.raises(InvalidTag):
        crypto.text_decrypt(__import__("base64").b64encode(bytes(raw)).decode())


def test_rotating_code_resolves_within_its_validity_and_is_refused_after_it(member: Member) -> None:
    issued_at = timezone.now()
    code = services.member_code_issue(member=member, now=issued_at)
    assert services.member_code_resolve(code=code, now=issued_at + dt.timedelta(seconds=59)) == (member, True)
    with pytest.raises(MemberCodeExpired):
        services.member_code_resolve(code=code, now=issued_at + dt.timedelta(seconds=61))
    assert services.member_code_resolve(code=member.card_no) == (member, False)


def test_tampered_rotating_code_is_refused(make_member: Callable[..., Member], member: Member) -> None:
    other = make_member()
    code = services.member_code_issue(member=member)
    prefix, _member_id, stamp, tag = code.split(".")
    for forged in [
        f"{prefix}.{other.pk}.{stamp}.{tag}",
        f"{prefix}.{member.pk}.{int(stamp) + 600}.{tag}",
        code[:-1] + "0" if code[-1] != "0" else code[:-1] + "1",
        "garbage",
    ]:
        with pytest.raises(MemberCodeInvalid):
            services.member_code_resolve(code=forged)


def test_sms_sign_in_registers_a_new_phone_with_a_hashed_expiring_rate_limited_code(
    django_capture_on_commit_callbacks: Callable[..., object],
) -> None:
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        services.sms_code_request(phone="13900001111")
    sms = ConsoleSms.objects.get()
    code = sms_code_in(sms.text)
    assert sms.recipient_masked == "139****1111" and "13900001111" not in sms.text
    assert code not in SmsCode.objects.get().code_hash
    with pytest.raises(SmsRateLimited):
        services.sms_code_request(phone="13900001111")
    with pytest.raises(SmsCodeInvalid):
        services.member_sign_in_by_sms(phone="13900001111", code="000000" if code != "000000" else "111111")
    member, created = services.member_sign_in_by_sms(phone="13900001111", code=code)
    assert created and member.channel == Member.Channel.SELF_SERVICE
    with pytest.raises(SmsCodeInvalid):  # used once
        services.member_sign_in_by_sms(phone="13900001111", code=code)


def test_sms_code_expires(django_capture_on_commit_callbacks: Callable[..., object]) -> None:
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        services.sms_code_request(phone="13900002222")
    code = sms_code_in(ConsoleSms.objects.get().text)
    SmsCode.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    with pytest.raises(SmsCodeInvalid):
        services.member_sign_in_by_sms(phone="13900002222", code=code)
    assert not Member.objects.exists()


def test_birthday_job_queues_one_greeting_per_year(make_member: Callable[..., Member]) -> None:
    from mendian.core.models import OutboxMessage

    today = timezone.localdate()
    member = make_member(birthday=today.replace(year=1990), marketing_consent=True)
    make_member(birthday=(today + dt.timedelta(days=3)).replace(year=1991))
    assert services.member_greetings_queue(today=today).member_ids == [member.pk]
    assert services.member_greetings_queue(today=today).birthdays == 0
    message = OutboxMessage.objects.get(topic="members.sms", payload__template="birthday")
    services.member_sms_deliver(message.payload)
    assert "拒收请回复R" in ConsoleSms.objects.get(purpose="birthday").text
