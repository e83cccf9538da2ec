"""The member centre /m/ through Django's test client."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.test import Client

from mendian.members import services
from mendian.members.models import Member
from mendian.notifications.models import ConsoleSms

pytestmark = pytest.mark.django_db


def sign_in(client: Client, phone: str, capture: Callable[..., object]) -> Member:
    with capture(execute=True):  # type: ignore[operator]
        response = client.post("/m/login/", {"phone": phone, "action": "send"})
    assert response.status_code == 200 and 'data-testid="code-sent"' in response.content.decode()
    code = re.search(r"\d{6}", ConsoleSms.objects.latest("id").text)
    assert code is not None
    response = client.post("/m/login/", {"phone": phone, "code": code.group(), "action": "verify"})
    assert response.status_code == 302 and response["Location"] == "/m/"
    return Member.objects.latest("id")


def test_pages_need_a_signed_in_member() -> None:
    response = Client().get("/m/points/")
    assert response.status_code == 302 and response["Location"] == "/m/login/"


def test_sign_in_shows_the_card_with_a_live_code_in_chinese(
    django_capture_on_commit_callbacks: Callable[..., object],
) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-CN")
    member = sign_in(client, "13711112222", django_capture_on_commit_callbacks)
    page = client.get("/m/").content.decode()
    code = re.search(r'data-code="([^"]+)"', page)
    assert code is not None and services.member_code_resolve(code=code.group(1)) == (member, True)
    assert "<svg" in page and "137****2222" in page and "13711112222" not in page
    assert 'lang="zh-hans"' in page
    fresh = client.get("/m/code.json").json()
    assert services.member_code_resolve(code=fresh["code"])[0] == member


def test_wrong_code_does_not_sign_in(django_capture_on_commit_callbacks: Callable[..., object]) -> None:
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/m/login/", {"phone": "13711113333", "action": "send"})
    response = client.post("/m/login/", {"phone": "13711113333", "code": "abcdef", "action": "verify"})
    assert response.status_code == 200 and 'data-testid="error"' in response.content.decode()
    assert not Member.objects.exists()
    assert client.get("/m/").status_code == 302


def test_profile_consent_and_ledgers(django_capture_on_commit_callbacks: Callable[..., object]) -> None:
    client = Client()
    member = sign_in(client, "13711114444", django_capture_on_commit_callbacks)
    response = client.post(
        "/m/profile/",
        {
            "name": "小明",
            "gender": "m",
            "birthday": "1995-06-07",
            "region": "上海",
            "marketing_consent": "on",
        },
    )
    assert response.status_code == 200
    member.refresh_from_db()
    assert member.name == "小明" and member.marketing_consent and member.marketing_consent_at is not None
    assert member.birthday_mmdd == "0607"
    services.points_adjust(member=member, points=120, reason="测试", actor_id=None)
    services.wallet_top_up(member=member, amount_fen=10000, bonus_fen=2000, payment_method="cash")
    assert 'data-testid="points">120<' in client.get("/m/points/").content.decode()
    assert "¥120.00" in client.get("/m/wallet/").content.decode()
    for path in ["/m/cards/", "/m/orders/", "/m/referral/"]:
        assert client.get(path).status_code == 200
    assert member.referral_code in client.get("/m/referral/").content.decode()


def test_referral_link_links_the_new_member_to_the_referrer(
    make_member: Callable[..., Member], django_capture_on_commit_callbacks: Callable[..., object]
) -> None:
    referrer = make_member("13711115555")
    client = Client()
    page = client.get(f"/m/login/?ref={referrer.referral_code}").content.decode()
    assert f'value="{referrer.referral_code}"' in page
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        client.post("/m/login/", {"phone": "13711116666", "action": "send", "ref": referrer.referral_code})
    code = re.search(r"\d{6}", ConsoleSms.objects.latest("id").text)
    assert code is not None
    client.post("/m/login/", {"phone": "13711116666", "code": code.group(), "ref": referrer.referral_code})
    friend = Member.objects.latest("id")
    assert friend.referred_by_id == referrer.pk and friend.channel == Member.Channel.REFERRAL
