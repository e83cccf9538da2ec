"""Benchmark of the members ledgers (not a test): single-thread latency of the services a checkout calls,
and contended stored-value spends on one card from N threads.

    .venv/bin/python bench/members_ledgers.py [--ops 500] [--threads 16]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/m_bench .venv/bin/python bench/members_ledgers.py

Creates a throwaway database (its own MENDIAN_DATA_DIR temp dir; on PostgreSQL a test_… database next
to the one in DATABASE_URL). Last line: wallet_debit_ms=… points_redeem_ms=… points_earn_ms=…
resolve_code_ms=… contended_spends_per_s=…
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

DATA_DIR = tempfile.mkdtemp(prefix="mendian-bench-members-")
os.environ["MENDIAN_DATA_DIR"] = DATA_DIR
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mendian.config.settings")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from mendian.members import services  # noqa: E402
from mendian.members.errors import WalletInsufficient  # noqa: E402
from mendian.members.models import Member  # noqa: E402


def timed(label: str, count: int, action: Callable[[int], object]) -> float:
    samples = []
    for index in range(count):
        start = time.perf_counter()
        action(index)
        samples.append((time.perf_counter() - start) * 1000)
    p50 = statistics.median(samples)
    p99 = sorted(samples)[int(len(samples) * 0.99) - 1]
    print(f"{label:<16} p50 {p50:6.2f} ms   p99 {p99:6.2f} ms   ({count} ops)")
    return p50


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ops", type=int, default=500)
    parser.add_argument("--threads", type=int, default=16)
    args = parser.parse_args()
    old_name = connection.creation.create_test_db(verbosity=0)
    try:
        print(f"database: {connection.vendor}")
        member = services.member_register(phone="13800000001")
        services.wallet_top_up(member=member, amount_fen=400_000, payment_method="cash")
        services.points_adjust(member=member, points=1_000_000, reason="bench", actor_id=None)
        ref = Member(pk=member.pk)
        # The member is present (live code): unverified spends would stop at the program's daily threshold.
        live_code = services.member_code_issue(member=member)
        debit = timed(
            "wallet_debit",
            args.ops,
            lambda i: services.wallet_debit(
                member=ref, amount_fen=10, order_id=f"w{i}", member_code=live_code
            ),
        )
        redeem = timed(
            "points_redeem",
            args.ops,
            lambda i: services.points_redeem_for_order(
                member=ref, amount_fen=100, order_total_fen=10_000, order_id=f"p{i}"
            ),
        )
        lines = [services.EarnLine(1250), services.EarnLine(3300), services.EarnLine(990)]
        earn = timed(
            "points_earn",
            args.ops,
            lambda i: services.points_earn_for_order(
                member=member, lines=lines, order_id=f"e{i}", store_id=None
            ),
        )
        code = services.member_code_issue(member=member)
        resolve = timed("resolve_code", args.ops, lambda i: services.member_code_resolve(code=code))

        card = services.member_register(phone="13800000002")
        services.wallet_top_up(member=card, amount_fen=100_000, payment_method="cash")
        card_code = services.member_code_issue(member=card)
        done = [0]
        lock = threading.Lock()

        def spender(worker: int) -> None:
            try:
                for attempt in range(10_000):
                    try:
                        services.wallet_debit(
                            member=Member(pk=card.pk),
                            amount_fen=100,
                            order_id=f"{worker}-{attempt}",
                            member_code=card_code,
                        )
                    except WalletInsufficient:
                        return
                    with lock:
                        done[0] += 1
            finally:
                connection.close()

        threads = [threading.Thread(target=spender, args=(n,)) for n in range(args.threads)]
        start = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - start
        rate = done[0] / elapsed
        print(f"contended: {done[0]} spends of ¥1 from {args.threads} threads on one card in {elapsed:.1f} s")
        print(
            f"wallet_debit_ms={debit:.2f} points_redeem_ms={redeem:.2f} points_earn_ms={earn:.2f} "
            f"resolve_code_ms={resolve:.2f} contended_spends_per_s={rate:.0f}"
        )
    finally:
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
