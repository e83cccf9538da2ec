"""On PostgreSQL, many tills spending from one card at once: exactly the balance is spent, never more."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection
from django.db.models import Sum

from mendian.members import services
from mendian.members.errors import PointsInsufficient, WalletInsufficient
from mendian.members.models import Member, PointsAccount, PointsEntry, WalletAccount, WalletEntry

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

    def spend(worker: int, attempt: int) -> bool:
        try:
            services.wallet_debit(member=Member(pk=member.pk), amount_fen=100, order_id=f"{worker}-{attempt}")
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
