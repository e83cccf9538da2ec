"""Voiding an unpaid order gives back everything its checkout took: stock, cash, stored value and points."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.db.models import Sum

from mendian.catalog.models import SKU
from mendian.inventory.models import BatchStock, SerialNumber
from mendian.inventory.services import StockChange, batch_create, stock_apply
from mendian.members import services as member_services
from mendian.members.models import (
    LoyaltyProgram,
    Member,
    PointsAccount,
    PointsEntry,
    WalletAccount,
    WalletEntry,
)
from mendian.members.selectors import program_get
from mendian.stores.models import StaffProfile
from tests.conftest import ApiClient
from tests.sales.conftest import Till, make_sku, on_hand, order_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def member() -> Member:
    return member_services.member_register(phone="13900001111", name="李四")


@pytest.fixture
def manager(manager_a: StaffProfile, api_as: Callable[..., ApiClient]) -> ApiClient:
    return api_as(manager_a)


def wallet_of(member: Member) -> tuple[int, int]:
    account = WalletAccount.objects.get(member=member)
    return account.principal_fen, account.bonus_fen


def assert_ledgers_balance(member: Member) -> None:
    """Invariant: each balance equals the sum of its ledger entries; unused lots add up to the balance."""
    points = PointsAccount.objects.get(member=member)
    entries = PointsEntry.objects.filter(account=points)
    assert (entries.aggregate(s=Sum("points"))["s"] or 0) == points.balance
    assert (entries.filter(points__gt=0).aggregate(s=Sum("remaining"))["s"] or 0) == points.balance
    wallet = WalletAccount.objects.get(member=member)
    sums = WalletEntry.objects.filter(account=wallet).aggregate(p=Sum("principal_fen"), b=Sum("bonus_fen"))
    assert ((sums["p"] or 0), (sums["b"] or 0)) == (wallet.principal_fen, wallet.bonus_fen)


def pending_order(till: Till, sku: SKU, member: Member, tenders: list[dict[str, Any]]) -> dict[str, Any]:
    # the member shows their live code at the till: points and stored value need their presence
    body = order_body(
        till.chain.register_a.pk,
        [(sku, 2)],
        tenders,
        member_id=member.pk,
        member_code=member_services.member_code_issue(member=member),
    )
    status, order = till.api.post("/sales/orders", body)
    assert status == 201, order
    assert order["status"] == "pending_payment"
    return order


def test_void_gives_the_stored_value_back_as_principal_and_bonus_as_spent(
    till: Till, member: Member, manager: ApiClient
) -> None:
    # given a card of ¥80 principal + ¥20 bonus spent in proportion
    LoyaltyProgram.objects.filter(pk=program_get().pk).update(
        wallet_spend_order=LoyaltyProgram.WalletSpendOrder.PROPORTIONAL
    )
    member_services.wallet_top_up(member=member, amount_fen=8000, bonus_fen=2000, payment_method="cash")
    # and a ¥25 order paid ¥15 from the card and ¥10 by a digital payment still pending
    order = pending_order(
        till,
        till.skus[0],
        member,
        [
            {"kind": "stored_value", "amount_fen": 1500, "reference": member.card_no},
            {"kind": "pending_digital", "amount_fen": 1000},
        ],
    )
    assert wallet_of(member) == (8000 - 1200, 2000 - 300)
    # when the order is voided
    status, voided = manager.post(f"/sales/orders/{order['id']}/void", {"reason": "顾客放弃"})
    # then the card is back to ¥80 + ¥20, by one refund entry pointing at the order
    assert status == 200, voided
    assert voided["status"] == "voided"
    assert wallet_of(member) == (8000, 2000)
    refunds = list(
        WalletEntry.objects.filter(account__member=member, kind=WalletEntry.Kind.SPEND_REFUND).values_list(
            "principal_fen", "bonus_fen", "source_type", "source_id"
        )
    )
    assert refunds == [(1200, 300, "order", str(order["id"]))]
    assert on_hand(till.chain.store_a, till.skus[0]) == 100
    assert_ledgers_balance(member)
    # and voiding again changes nothing
    status, error = manager.post(f"/sales/orders/{order['id']}/void", {"reason": "顾客放弃"})
    assert (status, error["error"]["code"]) == (409, "order_not_voidable")
    assert wallet_of(member) == (8000, 2000)
    assert WalletEntry.objects.filter(account__member=member).count() == 3


def test_void_gives_the_redeemed_points_back(till: Till, member: Member, manager: ApiClient) -> None:
    # given 1,000 points, 500 of them (¥5) paying part of a ¥25 order whose other ¥20 is pending
    member_services.points_adjust(member=member, points=1000, reason="开卡礼", actor_id=None)
    order = pending_order(
        till,
        till.skus[0],
        member,
        [{"kind": "points", "amount_fen": 500}, {"kind": "pending_digital", "amount_fen": 2000}],
    )
    assert PointsAccount.objects.get(member=member).balance == 500
    # when the order is voided
    status, voided = manager.post(f"/sales/orders/{order['id']}/void", {"reason": "顾客放弃"})
    # then the 500 points come back as a refund of the order; a pending order earned nothing to reverse
    assert status == 200, voided
    assert PointsAccount.objects.get(member=member).balance == 1000
    assert list(
        PointsEntry.objects.filter(account__member=member)
        .order_by("id")
        .values_list("kind", "points", "source_type", "source_id")
    ) == [
        ("adjust", 1000, "", ""),
        ("redeem", -500, "order", str(order["id"])),
        ("redeem_refund", 500, "order", str(order["id"])),
    ]
    assert_ledgers_balance(member)


def test_void_of_an_order_paid_with_points_and_stored_value_gives_both_back(
    till: Till, member: Member, manager: ApiClient
) -> None:
    # given ¥25 paid 300 points (¥3) + ¥12 from the card + ¥10 pending
    member_services.points_adjust(member=member, points=800, reason="开卡礼", actor_id=None)
    member_services.wallet_top_up(member=member, amount_fen=5000, bonus_fen=500, payment_method="cash")
    order = pending_order(
        till,
        till.skus[0],
        member,
        [
            {"kind": "points", "amount_fen": 300},
            {"kind": "stored_value", "amount_fen": 1200, "reference": member.card_no},
            {"kind": "pending_digital", "amount_fen": 1000},
        ],
    )
    assert (PointsAccount.objects.get(member=member).balance, wallet_of(member)) == (500, (3800, 500))
    # when it is voided
    status, _voided = manager.post(f"/sales/orders/{order['id']}/void", {"reason": "顾客放弃"})
    # then both balances are back where they were
    assert status == 200
    assert (PointsAccount.objects.get(member=member).balance, wallet_of(member)) == (800, (5000, 500))
    assert_ledgers_balance(member)


def test_void_puts_serials_and_batches_back(till: Till, manager: ApiClient) -> None:
    # given a pending order of one serialized phone (IMEI-9) and 2 units of milk batch L-07
    phone = make_sku("PHONE", 100_000, stock=None, tracks_serials=True)
    stock_apply(store=till.chain.store_a, changes=[StockChange(phone.pk, 1, ("IMEI-9",))], reason="receipt")
    milk = make_sku("MILK", 600, stock=None, tracks_batches=True)
    batch = batch_create(sku=milk, batch_no="L-07")
    stock_apply(
        store=till.chain.store_a, changes=[StockChange(milk.pk, 4, batch_id=batch.pk)], reason="receipt"
    )
    status, order = till.api.post(
        "/sales/orders",
        {
            "client_order_id": str(uuid.uuid4()),
            "register_id": till.chain.register_a.pk,
            "lines": [
                {"sku_id": phone.pk, "qty": 1, "serials": ["IMEI-9"]},
                {"sku_id": milk.pk, "qty": 2, "batch_id": batch.pk},
            ],
            "tenders": [{"kind": "pending_digital", "amount_fen": 101_200}],
        },
    )
    assert status == 201, order
    assert SerialNumber.objects.get(sku=phone, serial="IMEI-9").status == "sold"
    assert BatchStock.objects.get(store=till.chain.store_a, batch=batch).qty == 2
    # when it is voided
    status, voided = manager.post(f"/sales/orders/{order['id']}/void", {"reason": "顾客放弃"})
    # then the phone is sellable again and the batch holds its 4 units
    assert status == 200, voided
    assert SerialNumber.objects.get(sku=phone, serial="IMEI-9").status == "returned"
    assert BatchStock.objects.get(store=till.chain.store_a, batch=batch).qty == 4
    assert (on_hand(till.chain.store_a, phone), on_hand(till.chain.store_a, milk)) == (1, 4)
