"""Points and stored value as tenders at the real checkout, points earned on completion and reversed
by returns (sales.services calls members.services inside its transaction)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from mendian.catalog.models import SKU
from mendian.members import services
from mendian.members.models import Member, PointsAccount, PointsEntry, Tier, WalletAccount, WalletEntry
from mendian.sales import services as sales_services
from mendian.sales.models import Order
from mendian.stores.models import StaffProfile
from tests.conftest import ApiClient, Chain
from tests.sales.conftest import make_sku, order_body

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def till(chain: Chain, cashier_a: StaffProfile, api_as: Callable[..., ApiClient]) -> ApiClient:
    sales_services.shift_open(user=cashier_a.user, register=chain.register_a, float_fen=20000)
    return api_as(cashier_a, chain.register_a)


@pytest.fixture
def sku(chain: Chain) -> SKU:
    return make_sku("M1", 1250, store=chain.store_a)


def points_of(member: Member) -> int:
    return PointsAccount.objects.get(member=member).balance


def checkout(
    till: ApiClient,
    chain: Chain,
    sku: SKU,
    qty: int,
    member: Member | None,
    tenders: list[dict[str, Any]],
    member_code: str = "",
) -> tuple[int, Any]:
    extra: dict[str, Any] = {"member_id": member.pk} if member else {}
    if member_code:
        extra["member_code"] = member_code
    return till.post("/sales/orders", order_body(chain.register_a.pk, [(sku, qty)], tenders, **extra))


def test_pay_part_with_points_rest_cash_earn_on_the_cash_part_and_return_restores_everything(
    till: ApiClient, chain: Chain, sku: SKU, make_member: Callable[..., Member]
) -> None:
    member = make_member()
    services.points_adjust(member=member, points=1000, reason="开卡礼", actor_id=None)
    # When ¥25 is paid with 1,000 points (¥10) and ¥15 cash
    status, order = checkout(
        till,
        chain,
        sku,
        2,
        member,
        [{"kind": "points", "amount_fen": 1000}, {"kind": "cash", "amount_fen": 1500, "tendered_fen": 2000}],
        member_code=services.member_code_issue(member=member),
    )
    assert status == 201, order
    assert order["member_id"] == member.pk and order["change_fen"] == 500
    # Then the points paid and the cash part earned 15 points (1 per yuan)
    assert points_of(member) == 15
    kinds = list(
        PointsEntry.objects.filter(account__member=member).order_by("id").values_list("kind", "points")
    )
    assert kinds == [("adjust", 1000), ("redeem", -1000), ("earn", 15)]
    # When everything is returned
    line_id = order["lines"][0]["id"]
    status, ret = till.post(
        f"/sales/orders/{order['id']}/returns",
        {
            "client_return_id": str(uuid.uuid4()),
            "lines": [{"order_line_id": line_id, "qty": 2}],
            "restock": True,
            "reason": "不要了",
        },
    )
    assert status == 201, ret
    # Then the 1,000 points come back, the 15 earned go, and ¥15 cash goes out
    assert points_of(member) == 1000
    assert {t["kind"]: t["amount_fen"] for t in ret["tenders"]} == {"points": 1000, "cash": 1500}


def test_points_already_spent_are_deducted_from_the_refund(
    till: ApiClient, chain: Chain, sku: SKU, make_member: Callable[..., Member]
) -> None:
    member = make_member()
    status, order = checkout(till, chain, sku, 8, member, [{"kind": "cash", "amount_fen": 10000}])
    assert status == 201 and points_of(member) == 100
    # the member spends 100 points (¥1) on another order
    status, _second = checkout(
        till,
        chain,
        sku,
        1,
        member,
        [{"kind": "points", "amount_fen": 100}, {"kind": "cash", "amount_fen": 1150}],
        member_code=services.member_code_issue(member=member),
    )
    assert status == 201
    earned_second = 11
    assert points_of(member) == earned_second
    # returning the first order takes the 11 points left and keeps ¥0.89 (89 points) out of the refund
    line_id = order["lines"][0]["id"]
    status, ret = till.post(
        f"/sales/orders/{order['id']}/returns",
        {
            "client_return_id": str(uuid.uuid4()),
            "lines": [{"order_line_id": line_id, "qty": 8}],
            "restock": True,
            "reason": "x",
        },
    )
    assert status == 201, ret
    assert ret["refund_fen"] == 10000 - 89
    assert points_of(member) == 0
    assert Order.objects.get(pk=order["id"]).refunded_fen == 10000 - 89


def test_stored_value_tender_needs_the_live_code_above_the_threshold_and_refunds_to_the_card(
    till: ApiClient, chain: Chain, sku: SKU, make_member: Callable[..., Member]
) -> None:
    member = make_member()
    services.wallet_top_up(member=member, amount_fen=50000, bonus_fen=10000, payment_method="cash")
    # ¥250 > ¥200 threshold with only the card number: refused, nothing written
    status, error = checkout(
        till,
        chain,
        sku,
        20,
        member,
        [{"kind": "stored_value", "amount_fen": 25000, "reference": member.card_no}],
    )
    assert (status, error["error"]["code"]) == (403, "wallet_verification_required")
    assert Order.objects.count() == 0 and WalletEntry.objects.filter(kind="spend").count() == 0
    code = services.member_code_issue(member=member)
    status, order = checkout(
        till, chain, sku, 20, member, [{"kind": "stored_value", "amount_fen": 25000, "reference": code}]
    )
    assert status == 201, order
    account = WalletAccount.objects.get(member=member)
    assert (account.principal_fen, account.bonus_fen) == (25000, 10000)
    line_id = order["lines"][0]["id"]
    status, ret = till.post(
        f"/sales/orders/{order['id']}/returns",
        {
            "client_return_id": str(uuid.uuid4()),
            "lines": [{"order_line_id": line_id, "qty": 4}],
            "restock": True,
            "reason": "x",
        },
    )
    assert status == 201, ret
    assert [(t["kind"], t["amount_fen"]) for t in ret["tenders"]] == [("stored_value", 5000)]
    account.refresh_from_db()
    assert (account.principal_fen, account.bonus_fen) == (30000, 10000)


def test_short_balance_refuses_the_whole_sale(
    till: ApiClient, chain: Chain, sku: SKU, make_member: Callable[..., Member]
) -> None:
    member = make_member()
    status, error = checkout(
        till,
        chain,
        sku,
        2,
        member,
        [{"kind": "points", "amount_fen": 500}, {"kind": "cash", "amount_fen": 2000}],
        member_code=services.member_code_issue(member=member),
    )
    assert (status, error["error"]["code"]) == (409, "points_insufficient")
    assert Order.objects.count() == 0


def test_tier_discount_prices_the_member_cart(
    till: ApiClient, chain: Chain, sku: SKU, make_member: Callable[..., Member]
) -> None:
    member = make_member()
    silver = Tier.objects.create(code="s", name="银卡", rank=5, discount_bp=1000)
    Member.objects.filter(pk=member.pk).update(tier=silver)
    status, quote = till.post(
        "/sales/quote",
        {"register_id": chain.register_a.pk, "lines": [{"sku_id": sku.pk, "qty": 2}], "member_id": member.pk},
    )
    assert status == 200 and quote["total_fen"] == 2250
    status, error = till.post(
        "/sales/quote",
        {"register_id": chain.register_a.pk, "lines": [{"sku_id": sku.pk, "qty": 2}], "member_id": 999999},
    )
    assert (status, error["error"]["code"]) == (404, "member_not_found")


def test_member_checkout_runs_a_bounded_number_of_queries(
    till: ApiClient,
    chain: Chain,
    sku: SKU,
    make_member: Callable[..., Member],
    django_assert_max_num_queries: Any,
) -> None:
    member = make_member()
    services.points_adjust(member=member, points=1000, reason="x", actor_id=None)
    checkout(till, chain, sku, 1, member, [{"kind": "cash", "amount_fen": 1250}])  # warm-up
    with django_assert_max_num_queries(60):
        status, _order = checkout(
            till,
            chain,
            sku,
            2,
            member,
            [{"kind": "points", "amount_fen": 500}, {"kind": "cash", "amount_fen": 2000}],
            member_code=services.member_code_issue(member=member),
        )
    assert status == 201
