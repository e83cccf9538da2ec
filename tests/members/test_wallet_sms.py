"""An SMS code as the alternative to the live member code for paying with points or stored value: sent
through the SMS interface (console backend), hashed, bound to the member, the most it may pay and the till's
order, good once, expiring and rate-limited."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone

from mendian.members import services
from mendian.members.errors import SmsRateLimited, WalletVerificationRequired
from mendian.members.models import LoyaltyProgram, Member, PointsAccount, SmsCode, WalletAccount, WalletEntry
from mendian.notifications.models import ConsoleSms
from mendian.sales.models import Order
from mendian.stores.models import StaffProfile
from tests.conftest import ApiClient, Chain

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_cache() -> None:
    cache.clear()


@pytest.fixture
def rich(make_member: Callable[..., Member]) -> Member:
    member = make_member()
    services.wallet_top_up(member=member, plan=None, amount_fen=100_000, payment_method="cash", actor_id=None)
    return member


ORDER = str(uuid.UUID(int=1))


def send_code(
    member: Member, amount_fen: int, capture: Callable[..., Any], client_order_id: str = ORDER
) -> str:
    with capture(execute=True):
        services.wallet_sms_code_request(
            member=member, amount_fen=amount_fen, client_order_id=client_order_id
        )
    sms = ConsoleSms.objects.latest("id")
    found = re.search(r"\d{6}", sms.text)
    assert found is not None
    return found.group()


def balance(member: Member) -> int:
    return WalletAccount.objects.get(member=member).balance_fen


def test_a_texted_code_confirms_one_spend_above_the_threshold(
    rich: Member, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    # Given a ¥300 spend (threshold ¥200) and a code texted to the member's phone
    code = send_code(rich, 30000, django_capture_on_commit_callbacks)
    sms = ConsoleSms.objects.latest("id")
    assert "300.00" in sms.text and sms.purpose == "wallet"
    stored = SmsCode.objects.get(purpose="wallet")
    assert code not in stored.code_hash and len(stored.code_hash) == 64
    assert (stored.member_id, stored.amount_fen, stored.client_order_id) == (rich.pk, 30000, ORDER)
    # When the till passes the code with the order it was asked for
    entry = services.wallet_debit(
        member=rich, amount_fen=30000, order_id="o1", member_code=code, client_order_id=ORDER
    )
    # Then the spend goes through, once
    assert entry.principal_fen == -30000 and entry.verified_by == "sms_code" and balance(rich) == 70000
    with pytest.raises(WalletVerificationRequired):
        services.wallet_debit(
            member=rich, amount_fen=30000, order_id="o2", member_code=code, client_order_id=ORDER
        )
    assert balance(rich) == 70000 and WalletEntry.objects.filter(kind="spend").count() == 1


def test_a_wrong_code_is_refused_and_tries_are_limited_even_when_the_checkout_rolls_back(
    rich: Member, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    code = send_code(rich, 30000, django_capture_on_commit_callbacks)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _attempt in range(5):
        with pytest.raises(WalletVerificationRequired):
            services.wallet_debit(
                member=rich, amount_fen=30000, order_id="o1", member_code=wrong, client_order_id=ORDER
            )
    # After five wrong tries even the right code no longer works
    with pytest.raises(WalletVerificationRequired):
        services.wallet_debit(
            member=rich, amount_fen=30000, order_id="o1", member_code=code, client_order_id=ORDER
        )
    assert balance(rich) == 100_000 and not WalletEntry.objects.filter(kind="spend").exists()


def test_an_expired_code_is_refused(
    rich: Member, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    code = send_code(rich, 30000, django_capture_on_commit_callbacks)
    SmsCode.objects.filter(purpose="wallet").update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    with pytest.raises(WalletVerificationRequired):
        services.wallet_debit(
            member=rich, amount_fen=30000, order_id="o1", member_code=code, client_order_id=ORDER
        )
    assert balance(rich) == 100_000


def test_a_code_pays_only_its_member_its_order_and_at_most_its_amount(
    rich: Member, make_member: Callable[..., Member], django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    # Given every stored-value spend needs proof, and a code texted to the member to pay ¥1.00 in order ORDER
    LoyaltyProgram.objects.update_or_create(pk=1, defaults={"wallet_code_required_above_fen": 0})
    code = send_code(rich, 100, django_capture_on_commit_callbacks)
    assert "1.00" in ConsoleSms.objects.latest("id").text
    other = make_member()
    services.wallet_top_up(member=other, amount_fen=100_000, payment_method="cash")
    other_order = str(uuid.UUID(int=2))
    # When it is used for ¥330, for another order, or for another member, then each is refused
    refused = [
        (rich, 33_000, ORDER),
        (rich, 33_000, other_order),
        (rich, 100, other_order),
        (other, 100, ORDER),
    ]
    for member, amount_fen, client_order_id in refused:
        with pytest.raises(WalletVerificationRequired):
            services.wallet_debit(
                member=member,
                amount_fen=amount_fen,
                order_id="o1",
                member_code=code,
                client_order_id=client_order_id,
            )
    assert balance(rich) == 100_000 and balance(other) == 100_000
    # When it is used by its member, in its order, for at most ¥1.00, then it pays, once
    entry = services.wallet_debit(
        member=rich, amount_fen=100, order_id="o1", member_code=code, client_order_id=ORDER
    )
    assert entry.verified_by == "sms_code" and balance(rich) == 100_000 - 100
    assert SmsCode.objects.get().used_at is not None


def test_codes_are_rate_limited(rich: Member, django_capture_on_commit_callbacks: Callable[..., Any]) -> None:
    send_code(rich, 30000, django_capture_on_commit_callbacks)
    with pytest.raises(SmsRateLimited):
        services.wallet_sms_code_request(member=rich, amount_fen=30000, client_order_id=ORDER)
    assert SmsCode.objects.filter(purpose="wallet").count() == 1


def test_the_till_asks_for_a_code_and_pays_with_it(
    chain: Chain,
    cashier_a: StaffProfile,
    api_as: Callable[..., ApiClient],
    rich: Member,
    settings: Any,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    till = api_as(cashier_a, chain.register_a)
    with django_capture_on_commit_callbacks(execute=True):
        status, body = till.post(
            f"/members/{rich.pk}/wallet/sms-code", {"amount_fen": 30000, "client_order_id": ORDER}
        )
    assert status == 202 and body == {"amount_fen": 30000}
    code = re.search(r"\d{6}", ConsoleSms.objects.latest("id").text)
    assert code is not None
    entry = services.wallet_debit(
        member=rich, amount_fen=30000, order_id="o1", member_code=code.group(), client_order_id=ORDER
    )
    assert entry.bonus_fen == 0 and balance(rich) == 70000
    for refused in ({"amount_fen": 0, "client_order_id": ORDER}, {"amount_fen": 30000}):
        status, body = till.post(f"/members/{rich.pk}/wallet/sms-code", refused)
        assert status == 422
    assert SmsCode.objects.count() == 1


def test_the_checkout_takes_one_code_for_the_orders_points_and_stored_value_once(
    chain: Chain,
    cashier_a: StaffProfile,
    api_as: Callable[..., ApiClient],
    rich: Member,
    settings: Any,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    from mendian.sales import services as sales_services
    from tests.sales.conftest import make_sku, order_body

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    sales_services.shift_open(user=cashier_a.user, register=chain.register_a, float_fen=20000)
    till = api_as(cashier_a, chain.register_a)
    sku = make_sku("W1", 30000, store=chain.store_a)
    services.points_adjust(member=rich, points=5000, reason="开卡礼", actor_id=None)
    # Given a code texted for ¥300 of points and stored value in the till's order ORDER
    code = send_code(rich, 30000, django_capture_on_commit_callbacks)
    tenders = [{"kind": "points", "amount_fen": 5000}, {"kind": "stored_value", "amount_fen": 25000}]

    def pay(member_code: str, client_order_id: str = ORDER) -> tuple[int, Any]:
        body = order_body(
            chain.register_a.pk, [(sku, 1)], tenders, member_id=rich.pk, member_code=member_code
        )
        return till.post("/sales/orders", {**body, "client_order_id": client_order_id})

    # A wrong code refuses the whole sale
    status, body = pay(f"{(int(code) + 1) % 1_000_000:06d}")
    assert (status, body["error"]["code"]) == (403, "member_verification_required")
    assert balance(rich) == 100_000 and not Order.objects.exists()
    # The right code in another sale is refused too
    status, body = pay(code, client_order_id=str(uuid.uuid4()))
    assert status == 403 and not Order.objects.exists()
    # The right code pays the sale it was texted for, points and stored value together
    status, body = pay(code)
    assert status == 201, body
    assert balance(rich) == 75_000 and PointsAccount.objects.get(member=rich).balance == 250
    # and cannot pay a second sale
    status, body = pay(code, client_order_id=str(uuid.uuid4()))
    assert status == 403 and balance(rich) == 75_000 and Order.objects.count() == 1


def test_a_code_for_one_yuan_does_not_pay_330_at_the_till(
    chain: Chain,
    cashier_a: StaffProfile,
    api_as: Callable[..., ApiClient],
    rich: Member,
    settings: Any,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    from mendian.sales import services as sales_services
    from tests.sales.conftest import make_sku, order_body

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    sales_services.shift_open(user=cashier_a.user, register=chain.register_a, float_fen=20000)
    till = api_as(cashier_a, chain.register_a)
    sku = make_sku("W2", 33_000, store=chain.store_a)
    # Given the member received "pay ¥1.00 … is <code>" for the till's order
    code = send_code(rich, 100, django_capture_on_commit_callbacks)
    # When the cashier pays ¥330 of stored value with it in that order
    body = order_body(
        chain.register_a.pk,
        [(sku, 1)],
        [{"kind": "stored_value", "amount_fen": 33_000}],
        member_id=rich.pk,
        member_code=code,
    )
    status, error = till.post("/sales/orders", {**body, "client_order_id": ORDER})
    # Then it is refused, nothing is written and the code is not used up
    assert (status, error["error"]["code"]) == (403, "wallet_verification_required")
    assert balance(rich) == 100_000 and not Order.objects.exists()
    assert SmsCode.objects.get().used_at is None
