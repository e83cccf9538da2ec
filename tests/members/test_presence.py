"""Points and stored value are spent only with proof that the member is present: one proof (the live
member code scanned at the till, or a code texted to the member) for the whole order's member tenders.
Points always need it; stored value above the program's threshold, counted over the order's tenders and
over the member's unverified spends of the business day."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone

from mendian.catalog.models import SKU, Product
from mendian.members import services
from mendian.members.errors import WalletVerificationRequired
from mendian.members.models import (
    CountCard,
    CountCardEntry,
    CountCardPlan,
    Member,
    PointsAccount,
    PointsEntry,
    SmsCode,
    WalletAccount,
    WalletEntry,
)
from mendian.members.selectors import member_phone
from mendian.notifications.models import ConsoleSms
from mendian.sales import services as sales_services
from mendian.sales.models import Order
from mendian.stores.models import StaffProfile
from tests.conftest import ApiClient, Chain
from tests.sales.conftest import make_sku, order_body

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_password_hashing_and_fresh_cache(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()


@pytest.fixture
def till(chain: Chain, cashier_a: StaffProfile, api_as: Callable[..., ApiClient]) -> ApiClient:
    sales_services.shift_open(user=cashier_a.user, register=chain.register_a, float_fen=20000)
    return api_as(cashier_a, chain.register_a)


@pytest.fixture
def sku(chain: Chain) -> SKU:
    """¥10.00 an item, so the cart's total is what the test needs."""
    return make_sku("P1", 1000, store=chain.store_a, stock=1000)


@pytest.fixture
def rich(make_member: Callable[..., Member]) -> Member:
    """A member with 10,000 points (¥100) and ¥1,000 stored value."""
    member = make_member()
    services.points_adjust(member=member, points=10_000, reason="开卡礼", actor_id=None)
    services.wallet_top_up(member=member, amount_fen=100_000, payment_method="cash")
    return member


def pay(
    till: ApiClient,
    chain: Chain,
    sku: SKU,
    qty: int,
    member: Member,
    tenders: list[dict[str, Any]],
    **extra: Any,
) -> tuple[int, Any]:
    return till.post(
        "/sales/orders", order_body(chain.register_a.pk, [(sku, qty)], tenders, member_id=member.pk, **extra)
    )


def sv(*amounts_fen: int) -> list[dict[str, Any]]:
    return [{"kind": "stored_value", "amount_fen": amount_fen} for amount_fen in amounts_fen]


def wallet_balance(member: Member) -> int:
    return WalletAccount.objects.get(member=member).balance_fen


def points_balance(member: Member) -> int:
    return PointsAccount.objects.get(member=member).balance


def spends(member: Member) -> list[tuple[int, str]]:
    return list(
        WalletEntry.objects.filter(account__member=member, kind="spend")
        .order_by("id")
        .values_list("principal_fen", "verified_by")
    )


# ------------------------------------------------------------------ points


def test_points_without_proof_are_refused_and_nothing_is_written(
    till: ApiClient, chain: Chain, sku: SKU, rich: Member
) -> None:
    # Given a ¥20 cart and a member attached by id only
    tenders = [{"kind": "points", "amount_fen": 500}, {"kind": "cash", "amount_fen": 1500}]
    # When ¥5 of it is paid with points, without proof or with the printed card number as "proof"
    for extra in ({}, {"member_code": rich.card_no}):
        status, error = pay(till, chain, sku, 2, rich, tenders, **extra)
        # Then the sale is refused and nothing is written
        assert (status, error["error"]["code"]) == (403, "member_verification_required"), error
    assert Order.objects.count() == 0
    assert points_balance(rich) == 10_000
    assert not PointsEntry.objects.filter(account__member=rich, kind="redeem").exists()


def test_points_refusal_is_translated(
    chain: Chain, cashier_a: StaffProfile, api_as: Callable[..., ApiClient], sku: SKU, rich: Member
) -> None:
    sales_services.shift_open(user=cashier_a.user, register=chain.register_a, float_fen=0)
    till_zh = api_as(cashier_a, chain.register_a, language="zh-hans")
    status, error = pay(till_zh, chain, sku, 2, rich, [{"kind": "points", "amount_fen": 2000}])
    assert status == 403
    assert (
        error["error"]["message"] == "使用积分支付需要会员出示动态会员码，或输入发送到会员手机的短信验证码。"
    )


def test_points_with_the_live_code_pay(till: ApiClient, chain: Chain, sku: SKU, rich: Member) -> None:
    code = services.member_code_issue(member=rich)
    status, order = pay(
        till,
        chain,
        sku,
        2,
        rich,
        [{"kind": "points", "amount_fen": 500}, {"kind": "cash", "amount_fen": 1500}],
        member_code=code,
    )
    assert status == 201, order
    # 10,000 − 500 redeemed + 15 earned on the ¥15 cash
    assert points_balance(rich) == 10_000 - 500 + 15


def test_another_members_live_code_proves_nothing(
    till: ApiClient, chain: Chain, sku: SKU, rich: Member, make_member: Callable[..., Member]
) -> None:
    other = make_member()
    status, error = pay(
        till,
        chain,
        sku,
        2,
        rich,
        [{"kind": "points", "amount_fen": 2000}],
        member_code=services.member_code_issue(member=other),
    )
    assert (status, error["error"]["code"]) == (403, "member_verification_required")
    assert points_balance(rich) == 10_000 and Order.objects.count() == 0


def test_a_live_code_older_than_the_confirmation_window_proves_nothing(
    till: ApiClient, chain: Chain, sku: SKU, rich: Member
) -> None:
    old = timezone.now() - dt.timedelta(seconds=services.MEMBER_CODE_CONFIRM_SECONDS + 1)
    status, error = pay(
        till,
        chain,
        sku,
        2,
        rich,
        [{"kind": "points", "amount_fen": 2000}],
        member_code=services.member_code_issue(member=rich, now=old),
    )
    assert (status, error["error"]["code"]) == (403, "member_verification_required")


# ------------------------------------------------------------------ stored value


def test_stored_value_below_the_threshold_needs_no_proof(
    till: ApiClient, chain: Chain, sku: SKU, rich: Member
) -> None:
    # Given the default threshold of ¥200: a ¥150 order paid with stored value, no code
    status, order = pay(till, chain, sku, 15, rich, sv(15_000))
    assert status == 201, order
    assert wallet_balance(rich) == 85_000
    assert spends(rich) == [(-15_000, "")]


def test_stored_value_split_over_tenders_above_the_threshold_is_refused(
    till: ApiClient, chain: Chain, sku: SKU, rich: Member
) -> None:
    # Given a ¥660 order paid as 3 × ¥190 + ¥90 stored value: each tender below ¥200, the order above it
    tenders = sv(19_000, 19_000, 19_000, 9_000)
    # When no code is given, then the whole sale is refused and nothing is written
    status, error = pay(till, chain, sku, 66, rich, tenders)
    assert (status, error["error"]["code"]) == (403, "wallet_verification_required"), error
    assert error["error"]["details"] == {"threshold_fen": 20_000}
    assert Order.objects.count() == 0 and spends(rich) == [] and wallet_balance(rich) == 100_000
    # When the member's live code is given for the order, then it pays, each tender marked verified
    status, order = pay(
        till, chain, sku, 66, rich, tenders, member_code=services.member_code_issue(member=rich)
    )
    assert status == 201, order
    assert spends(rich) == [(-19_000, "live_code")] * 3 + [(-9_000, "live_code")]
    assert wallet_balance(rich) == 34_000


def test_a_code_in_a_stored_value_tenders_reference_still_proves_the_order(
    till: ApiClient, chain: Chain, sku: SKU, rich: Member
) -> None:
    # Tills sent the code with the stored-value tender before member_code existed
    code = services.member_code_issue(member=rich)
    tenders = [
        {"kind": "points", "amount_fen": 5000},
        {"kind": "stored_value", "amount_fen": 20_000, "reference": code},
        {"kind": "stored_value", "amount_fen": 5000},
    ]
    status, order = pay(till, chain, sku, 30, rich, tenders)
    assert status == 201, order
    assert points_balance(rich) == 10_000 - 5000 + 250  # the ¥250 paid in stored value earns points
    assert spends(rich) == [(-20_000, "live_code"), (-5000, "live_code")]


def test_unverified_spends_of_the_day_together_stay_within_the_threshold(
    till: ApiClient, chain: Chain, sku: SKU, rich: Member
) -> None:
    # Given ¥150 spent today without a code (and ¥190 yesterday, which no longer counts)
    status, _order = pay(till, chain, sku, 19, rich, sv(19_000))
    assert status == 201
    yesterday = timezone.localtime() - dt.timedelta(days=1)
    WalletEntry.objects.filter(account__member=rich, kind="spend").update(created_at=yesterday)
    status, _order = pay(till, chain, sku, 15, rich, sv(15_000))
    assert status == 201
    # When another ¥60 is paid without a code, then it is refused: ¥210 unverified today is above ¥200
    status, error = pay(till, chain, sku, 6, rich, sv(6000))
    assert (status, error["error"]["code"]) == (403, "wallet_verification_required")
    assert error["error"]["details"] == {"threshold_fen": 20_000, "unverified_today_fen": 15_000}
    assert wallet_balance(rich) == 100_000 - 19_000 - 15_000 and Order.objects.count() == 2
    # But ¥50 more is still allowed, and with the live code any amount
    status, _order = pay(till, chain, sku, 5, rich, sv(5000))
    assert status == 201
    status, _order = pay(
        till, chain, sku, 6, rich, sv(6000), member_code=services.member_code_issue(member=rich)
    )
    assert status == 201
    assert spends(rich) == [(-19_000, ""), (-15_000, ""), (-5000, ""), (-6000, "live_code")]


def test_wallet_debit_on_its_own_keeps_the_daily_limit(rich: Member) -> None:
    services.wallet_debit(member=rich, amount_fen=20_000, order_id="o1")
    with pytest.raises(WalletVerificationRequired):
        services.wallet_debit(member=rich, amount_fen=1, order_id="o2")
    entry = services.wallet_debit(
        member=rich, amount_fen=1, order_id="o2", member_code=services.member_code_issue(member=rich)
    )
    assert entry.verified_by == "live_code" and wallet_balance(rich) == 100_000 - 20_001


# ------------------------------------------------------------------ count cards


@pytest.fixture
def count_card(chain: Chain, rich: Member) -> tuple[CountCard, SKU]:
    """A 10-use haircut card of the member, valid in store A."""
    service = make_sku("HAIR", 8000, store=None, stock=None, kind=Product.Kind.SERVICE)
    plan = CountCardPlan.objects.create(name="洗剪吹10次", uses_qty=10, price_fen=50_000)
    plan.skus.add(service)
    plan.stores.add(chain.store_a)
    return services.count_card_sell(member=rich, plan=plan, store_id=chain.store_a.pk), service


def redeem(till: ApiClient, card: CountCard, sku: SKU, code: str) -> tuple[int, Any]:
    return till.post(f"/members/count-cards/{card.pk}/redeem", {"code": code, "sku_id": sku.pk})


def uses_left(card: CountCard) -> int:
    return CountCard.objects.get(pk=card.pk).uses_left


def test_a_count_card_is_not_used_with_the_printed_card_number_or_the_phone(
    till: ApiClient, rich: Member, make_member: Callable[..., Member], count_card: tuple[CountCard, SKU]
) -> None:
    card, service = count_card
    other = make_member()
    # When the cashier types the card number, the phone, or scans another member's live code
    for code in (rich.card_no, member_phone(rich), services.member_code_issue(member=other)):
        status, error = redeem(till, card, service, code)
        # Then nothing is used
        assert (status, error["error"]["code"]) == (403, "member_verification_required"), code
    assert uses_left(card) == 10
    assert not CountCardEntry.objects.filter(card=card, kind="redeem").exists()


def test_a_count_card_is_used_with_the_members_live_code(
    till: ApiClient, rich: Member, count_card: tuple[CountCard, SKU]
) -> None:
    card, service = count_card
    status, body = redeem(till, card, service, services.member_code_issue(member=rich))
    assert status == 200, body
    assert body["uses_left"] == 9 and uses_left(card) == 9


def test_a_count_card_is_used_with_a_count_card_code_texted_to_the_member_once(
    till: ApiClient,
    rich: Member,
    count_card: tuple[CountCard, SKU],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    card, service = count_card
    # Given a payment code texted to the member: it does not use a count card
    with django_capture_on_commit_callbacks(execute=True):
        services.wallet_sms_code_request(member=rich, amount_fen=100, client_order_id=str(uuid.uuid4()))
    payment_code = re.search(r"\d{6}", ConsoleSms.objects.latest("id").text)
    assert payment_code is not None
    status, _error = redeem(till, card, service, payment_code.group())
    assert status == 403 and uses_left(card) == 10
    # When the cashier texts a count-card code to the card's member
    SmsCode.objects.update(created_at=timezone.now() - dt.timedelta(minutes=5))  # past the resend interval
    with django_capture_on_commit_callbacks(execute=True):
        status, _body = till.post(f"/members/count-cards/{card.pk}/sms-code")
    assert status == 202
    sms = ConsoleSms.objects.latest("id")
    assert sms.purpose == "count_card" and sms.recipient_masked == "138****0001"
    code = re.search(r"\d{6}", sms.text)
    assert code is not None
    # Then it uses one service, once
    status, body = redeem(till, card, service, code.group())
    assert status == 200, body
    assert uses_left(card) == 9
    status, _error = redeem(till, card, service, code.group())
    assert status == 403 and uses_left(card) == 9
