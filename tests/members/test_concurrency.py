"""On PostgreSQL, many tills spending from one card at once: exactly the balance is spent, never more, and
without the member's code never more than the program's threshold in a day."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.db.models import F, Sum

from mendian.members import services
from mendian.members.errors import PointsInsufficient, WalletInsufficient
from mendian.members.models import Member, PointsAccount, PointsEntry, WalletAccount, WalletEntry
from mendian.sales.models import Order
from mendian.stores.models import StaffProfile
from tests.conftest import ApiClient, Chain

WORKERS = 16
ATTEMPTS = 200


def _run_workers(spend_once: Callable[[int, int], bool]) -> int:
    """Each worker tries up to ATTEMPTS spends; returns how many succeeded in all. A worker stops at its
    first refusal: nothing tops the card up during the test, so every later attempt could only be refused
    too (and each costs a transaction on a slow machine)."""
    successes = [0] * WORKERS
    errors: list[BaseException] = []
    start = threading.Barrier(WORKERS)

    def work(worker: int) -> None:
        try:
            start.wait()
            for attempt in range(ATTEMPTS):
                if not spend_once(worker, attempt):
                    break
                successes[worker] += 1
        except BaseException as exc:  # noqa: BLE001 - reported to the test thread below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(worker,)) for worker in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors[:3]
    return sum(successes)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_stored_value_spends_never_overdraw() -> None:
    # Given a card with ¥1,000 and 16 tills trying 200 spends of ¥1 each (¥3,200 in all)
    member = services.member_register(phone="13500000001")
    services.wallet_top_up(member=member, amount_fen=80_000, bonus_fen=20_000, payment_method="cash")
    live_code = services.member_code_issue(member=member)  # the member is present: no daily limit

    def spend(worker: int, attempt: int) -> bool:
        try:
            services.wallet_debit(
                member=Member(pk=member.pk),
                amount_fen=100,
                order_id=f"{worker}-{attempt}",
                member_code=live_code,
            )
        except WalletInsufficient:
            return False
        return True

    succeeded = _run_workers(spend)
    # Then exactly ¥1,000 was spent: 1,000 spends, no overdraft, ledger = balance
    account = WalletAccount.objects.get(member=member)
    assert succeeded == 1000
    assert (account.principal_fen, account.bonus_fen) == (0, 0)
    spent = WalletEntry.objects.filter(account=account, kind="spend").aggregate(
        p=Sum("principal_fen"), b=Sum("bonus_fen")
    )
    assert (spent["p"], spent["b"]) == (-80_000, -20_000)
    assert WalletEntry.objects.filter(account=account, kind="spend").count() == 1000


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_points_redemptions_never_overdraw() -> None:
    member = services.member_register(phone="13500000002")
    for _ in range(10):
        services.points_adjust(member=member, points=10_000, reason="开业活动", actor_id=None)

    def redeem(worker: int, attempt: int) -> bool:
        try:
            services.points_redeem_for_order(
                member=Member(pk=member.pk),
                amount_fen=100,
                order_total_fen=10_000,
                order_id=f"{worker}-{attempt}",
            )
        except PointsInsufficient:
            return False
        return True

    succeeded = _run_workers(redeem)
    account = PointsAccount.objects.get(member=member)
    assert succeeded == 1000  # 100 points each, 100,000 points in all
    assert account.balance == 0
    entries = PointsEntry.objects.filter(account=account)
    assert entries.aggregate(s=Sum("points"))["s"] == 0
    assert entries.filter(points__gt=0).aggregate(s=Sum("remaining"))["s"] == 0


def _tills_of_store_a(
    chain: Chain, cashier: StaffProfile, token_for: Callable[..., str]
) -> list[tuple[int, str]]:
    """WORKERS tills of store A, each with its open shift and a bearer token bound to it (register id,
    token), so that nothing but the member's card serialises their sales."""
    from mendian.sales import services as sales_services
    from mendian.stores import services as store_services

    tills = []
    for number in range(WORKERS):
        register, _device_token = store_services.register_create(
            store=chain.store_a, code=f"C{number:02d}", name=f"收银台{number}"
        )
        sales_services.shift_open(user=cashier.user, register=register, float_fen=0)
        tills.append((register.pk, token_for(cashier, register)))
    return tills


def _post_from_every_till(
    tills: list[tuple[int, str]], orders_each: int, body_for: Callable[[int], dict[str, Any]]
) -> list[tuple[int, Any]]:
    """Every till posts `orders_each` orders in a row, all tills at once, each thread with its own Django
    test Client; returns every answer."""
    answers: list[tuple[int, Any]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(len(tills))

    def work(register_id: int, token: str) -> None:
        try:
            client = ApiClient(token)
            start.wait()
            for _ in range(orders_each):
                answer = client.post("/sales/orders", body_for(register_id))
                with lock:
                    answers.append(answer)
        except BaseException as exc:  # noqa: BLE001 - reported to the test thread below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=till) for till in tills]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors[:3]
    return answers


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_split_stored_value_tenders_without_a_code_are_refused_on_every_till(
    chain: Chain, cashier_a: StaffProfile, token_for: Callable[..., str], settings: Any
) -> None:
    from tests.sales.conftest import make_sku, order_body

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Given a card with ¥1,000, a ¥250 product and 16 tills
    member = services.member_register(phone="13500000003")
    services.wallet_top_up(member=member, amount_fen=100_000, payment_method="cash")
    sku = make_sku("C250", 25_000, store=chain.store_a, stock=1000)
    tills = _tills_of_store_a(chain, cashier_a, token_for)
    tenders = [{"kind": "stored_value", "amount_fen": amount} for amount in (10_000, 10_000, 5_000)]

    # When each till pays the ¥250 with three stored-value tenders below the ¥200 threshold, without a code
    answers = _post_from_every_till(
        tills,
        1,
        lambda register_id: order_body(register_id, [(sku, 1)], tenders, member_id=member.pk),
    )

    # Then every sale is refused and the card is untouched
    assert (
        sorted((status, body["error"]["code"]) for status, body in answers)
        == [(403, "wallet_verification_required")] * WORKERS
    )
    assert WalletAccount.objects.get(member=member).balance_fen == 100_000
    assert not WalletEntry.objects.filter(kind="spend").exists()
    assert not Order.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_small_unverified_orders_on_many_tills_never_spend_more_than_the_daily_threshold(
    chain: Chain, cashier_a: StaffProfile, token_for: Callable[..., str], settings: Any
) -> None:
    from tests.sales.conftest import make_sku, order_body

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Given a card with ¥1,000, a ¥30 product and 16 tills
    member = services.member_register(phone="13500000004")
    services.wallet_top_up(member=member, amount_fen=100_000, payment_method="cash")
    sku = make_sku("C30", 3000, store=chain.store_a, stock=1000)
    tills = _tills_of_store_a(chain, cashier_a, token_for)
    tenders = [{"kind": "stored_value", "amount_fen": 3000}]

    # When every till sells it 3 times paid with stored value, without a code (48 × ¥30 = ¥1,440)
    answers = _post_from_every_till(
        tills,
        3,
        lambda register_id: order_body(register_id, [(sku, 1)], tenders, member_id=member.pk),
    )

    # Then only 6 sales (¥180) went through: a 7th would take the day's unverified spending above ¥200
    statuses = sorted(status for status, _body in answers)
    assert statuses == [201] * 6 + [403] * 42, answers
    assert {body["error"]["code"] for status, body in answers if status == 403} == {
        "wallet_verification_required"
    }
    spent = WalletEntry.objects.filter(kind="spend").aggregate(total=Sum(F("principal_fen") + F("bonus_fen")))
    assert spent["total"] == -18_000
    assert WalletAccount.objects.get(member=member).balance_fen == 100_000 - 18_000
    assert Order.objects.count() == 6
