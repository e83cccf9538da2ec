"""On PostgreSQL, one member's stored-value checkouts and returns of earlier stored-value orders on several
tills at once: the member's accounts are locked in one fixed order, so nothing deadlocks and the ledgers
balance. MENDIAN_CONCURRENCY_SECONDS sets how long the tills run (20 s by default)."""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.db.models import Sum
from django.test import Client

from mendian.members import services as member_services
from mendian.members.models import PointsAccount, PointsEntry, WalletAccount, WalletEntry
from mendian.sales import services as sales_services
from mendian.stores import services as store_services
from mendian.stores.models import StaffProfile
from tests.conftest import ApiClient, Chain
from tests.sales.conftest import make_sku

TILLS = 4
SECONDS = float(os.environ.get("MENDIAN_CONCURRENCY_SECONDS", "20"))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_stored_value_checkouts_and_returns_of_one_member_never_deadlock(
    chain: Chain, cashier_a: StaffProfile, api_as: Callable[..., ApiClient]
) -> None:
    # Given 4 tills of store A with open shifts, and a member with ¥400 + ¥100 bonus on the card
    tills = []
    for number in range(TILLS):
        register, _device_token = store_services.register_create(
            store=chain.store_a, code=f"C{number}", name=f"收银{number}"
        )
        sales_services.shift_open(user=cashier_a.user, register=register, float_fen=100_000)
        tills.append((register, api_as(cashier_a, register).token))
    sku = make_sku("CC1", 1250, stock=100_000, store=chain.store_a)
    member = member_services.member_register(phone="13700001234", name="王五")
    member_services.wallet_top_up(member=member, amount_fen=40_000, bonus_fen=10_000, payment_method="cash")

    # The member shows their live code at each till (so the day's cap on unverified stored value does
    # not stop the run); it stays good for the confirmation window, longer than the test.
    live_code = member_services.member_code_issue(member=member)

    def sale_body(register_id: int) -> dict[str, Any]:
        # ¥25: ¥15 from the card, ¥10 in cash (which earns points)
        return {
            "client_order_id": str(uuid.uuid4()),
            "register_id": register_id,
            "member_id": member.pk,
            "member_code": live_code,
            "lines": [{"sku_id": sku.pk, "qty": 2}],
            "tenders": [
                {"kind": "stored_value", "amount_fen": 1500},
                {"kind": "cash", "amount_fen": 1000},
            ],
        }

    # and an earlier stored-value order per till to return
    earlier: list[list[dict[str, Any]]] = []
    for register, token in tills:
        status, order = ApiClient(token).post("/sales/orders", sale_body(register.pk))
        assert status == 201, order
        earlier.append([order])
    points_per_order = PointsAccount.objects.get(member=member).balance // TILLS
    assert points_per_order == 25

    statuses: Counter[tuple[str, int]] = Counter()
    failures: list[Any] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(TILLS)
    deadline = time.monotonic() + SECONDS

    def till_work(index: int) -> None:
        register, token = tills[index]
        # A till of its own: a deadlock answers 500 here rather than raising in the thread
        api = ApiClient(token, client=Client(raise_request_exception=False))
        try:
            start.wait()
            step = 0
            while time.monotonic() < deadline:
                # When each till alternates a stored-value sale and a return of the member's earlier order
                if step % 2 == 0 or not earlier[index]:
                    status, body = api.post("/sales/orders", sale_body(register.pk))
                    kind = "checkout"
                    if status == 201:
                        earlier[index].append(body)
                else:
                    order = earlier[index].pop(0)
                    status, body = api.post(
                        f"/sales/orders/{order['id']}/returns",
                        {
                            "client_return_id": str(uuid.uuid4()),
                            "lines": [{"order_line_id": order["lines"][0]["id"], "qty": 2}],
                            "reason": "退货",
                        },
                    )
                    kind = "return"
                with lock:
                    statuses[(kind, status)] += 1
                    if status >= 300:
                        failures.append((kind, status, body))
                step += 1
        except BaseException as exc:  # noqa: BLE001 - reported to the test thread below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=till_work, args=(index,)) for index in range(TILLS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=SECONDS + 120)

    # Then no request failed (a deadlock would be a 500), and both kinds ran on every till
    assert not errors, errors[:3]
    assert failures == [], failures[:3]
    assert set(statuses) == {("checkout", 201), ("return", 201)}, statuses
    assert statuses[("return", 201)] >= TILLS, statuses
    # and each ledger balances: the balance is the sum of its entries
    wallet = WalletAccount.objects.get(member=member)
    sums = WalletEntry.objects.filter(account=wallet).aggregate(p=Sum("principal_fen"), b=Sum("bonus_fen"))
    assert (sums["p"], sums["b"]) == (wallet.principal_fen, wallet.bonus_fen)
    spent = TILLS + statuses[("checkout", 201)] - statuses[("return", 201)]
    assert wallet.principal_fen + wallet.bonus_fen == 50_000 - 1500 * spent
    points = PointsAccount.objects.get(member=member)
    entries = PointsEntry.objects.filter(account=points)
    assert entries.aggregate(s=Sum("points"))["s"] == points.balance == points_per_order * spent
    assert entries.filter(points__gt=0).aggregate(s=Sum("remaining"))["s"] == points.balance
