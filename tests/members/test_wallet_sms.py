"""An SMS code as the alternative to the live member code for stored-value spends above the threshold:
sent through the SMS interface (console backend), hashed, good once, expiring and rate-limited."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone

from mendian.members import services
from mendian.members.errors import SmsRateLimited, WalletVerificationRequired
from mendian.members.models import Member, SmsCode, WalletAccount, WalletEntry
from mendian.notifications.models import ConsoleSms
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


def send_code(member: Member, amount_fen: int, capture: Callable[..., Any]) -> str:
    with capture(execute=True):
        services.wallet_sms_code_request(member=member, amount_fen=amount_fen)
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
    # When the till passes the code with the stored-value tender
    entry = services.wallet_debit(member=rich, amount_fen=30000, order_id="o1", member_code=code)
    # Then the spend goes through, once
    assert entry.principal_fen == -30000 and balance(rich) == 70000
    with pytest.raises(WalletVerificationRequired):
        services.wallet_debit(member=rich, amount_fen=30000, order_id="o2", member_code=code)
    assert balance(rich) == 70000 and WalletEntry.objects.filter(kind="spend").count() == 1


def test_a_wrong_code_is_refused_and_tries_are_limited_even_when_the_checkout_rolls_back(
    rich: Member, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    code = send_code(rich, 30000, django_capture_on_commit_callbacks)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _attempt in range(5):
        with pytest.raises(WalletVerificationRequired):
            services.wallet_debit(member=rich, amount_fen=30000, order_id="o1", member_code=wrong)
    # After five wrong tries even the right code no longer works
    with pytest.raises(WalletVerificationRequired):
        services.wallet_debit(member=rich, amount_fen=30000, order_id="o1", member_code=code)
    assert balance(rich) == 100_000 and not WalletEntry.objects.filter(kind="spend").exists()


def test_an_expired_code_is_refused(
    rich: Member, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    code = send_code(rich, 30000, django_capture_on_commit_callbacks)
    SmsCode.objects.filter(purpose="wallet").update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    with pytest.raises(WalletVerificationRequired):
        services.wallet_debit(member=rich, amount_fen=30000, order_id="o1", member_code=code)
    assert balance(rich) == 100_000


def test_codes_are_rate_limited(rich: Member, django_capture_on_commit_callbacks: Callable[..., Any]) -> None:
    send_code(rich, 30000, django_capture_on_commit_callbacks)
    with pytest.raises(SmsRateLimited):
        services.wallet_sms_code_request(member=rich, amount_fen=30000)
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
        status, body = till.post(f"/members/{rich.pk}/wallet/sms-code", {"amount_fen": 30000})
    assert status == 202 and body == {"amount_fen": 30000}
    code = re.search(r"\d{6}", ConsoleSms.objects.latest("id").text)
    assert code is not None
    entry = services.wallet_debit(member=rich, amount_fen=30000, order_id="o1", member_code=code.group())
    assert entry.bonus_fen == 0 and balance(rich) == 70000
    status, body = till.post(f"/members/{rich.pk}/wallet/sms-code", {"amount_fen": 0})
    assert status == 422


def test_the_checkout_takes_a_stored_value_tender_confirmed_by_sms_once(
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
    code = send_code(rich, 30000, django_capture_on_commit_callbacks)

    def pay(reference: str) -> tuple[int, Any]:
        tender = {"kind": "stored_value", "amount_fen": 30000, "reference": reference}
        return till.post(
            "/sales/orders", order_body(chain.register_a.pk, [(sku, 1)], [tender], member_id=rich.pk)
        )

    # A wrong code refuses the whole sale
    status, body = pay(f"{(int(code) + 1) % 1_000_000:06d}")
    assert status == 403 and body["error"]["code"] == "wallet_verification_required"
    assert balance(rich) == 100_000
    # The right code pays; the same code cannot pay a second sale
    status, body = pay(code)
    assert status == 201, body
    assert balance(rich) == 70000
    status, body = pay(code)
    assert status == 403 and balance(rich) == 70000
