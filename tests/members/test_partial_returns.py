"""Partial returns of one order: reckoned on the cumulative refund, all of them together reverse exactly
the points the order earned and give back exactly the points that paid it, however the refund is split."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mendian.catalog.models import SKU
from mendian.core.money import round_half_up
from mendian.members import services
from mendian.members.models import LoyaltyProgram, Member, PointsAccount, PointsEntry
from mendian.members.selectors import program_get
from mendian.members.services import EarnLine
from mendian.sales import services as sales_services
from mendian.stores.models import StaffProfile
from tests.conftest import ApiClient, Chain
from tests.sales.conftest import make_sku

pytestmark = pytest.mark.django_db

_phones = itertools.count(1)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def reversed_points(member: Member, order_id: int | str) -> int:
    """Points taken back from an order's earnings so far, including any the balance lacked."""
    totals = PointsEntry.objects.filter(
        account__member=member, kind=PointsEntry.Kind.EARN_REVERSAL, source_id=str(order_id)
    ).aggregate(points=Sum("points"), shortfall=Sum("shortfall_points"))
    return -(totals["points"] or 0) + (totals["shortfall"] or 0)


def test_returning_an_order_one_unit_at_a_time_reverses_exactly_what_it_earned(
    chain: Chain, cashier_a: StaffProfile, api_as: Callable[..., ApiClient]
) -> None:
    # given an order of 1 × ¥6.50 and 4 × ¥0.15 (¥7.10) that earned 7 points
    sales_services.shift_open(user=cashier_a.user, register=chain.register_a, float_fen=10_000)
    till = api_as(cashier_a, chain.register_a)
    big: SKU = make_sku("BIG", 650, store=chain.store_a)
    small: SKU = make_sku("SMALL", 15, store=chain.store_a)
    member = services.member_register(phone="13600000001")
    status, order = till.post(
        "/sales/orders",
        {
            "client_order_id": str(uuid.uuid4()),
            "register_id": chain.register_a.pk,
            "member_id": member.pk,
            "lines": [{"sku_id": big.pk, "qty": 1}, {"sku_id": small.pk, "qty": 4}],
            "tenders": [{"kind": "cash", "amount_fen": 710}],
        },
    )
    assert status == 201, order
    assert PointsAccount.objects.get(member=member).balance == 7
    big_line, small_line = order["lines"]
    # when the 5 units come back one at a time, the ¥0.15 ones first
    after_each = []
    for line_id in [small_line["id"]] * 4 + [big_line["id"]]:
        status, ret = till.post(
            f"/sales/orders/{order['id']}/returns",
            {"client_return_id": str(uuid.uuid4()), "lines": [{"order_line_id": line_id, "qty": 1}]},
        )
        assert status == 201, ret
        after_each.append(reversed_points(member, order["id"]))
    # then each return reverses its cumulative share (7 × 15/710 … rounded half-up), 7 in all
    assert after_each == [0, 0, 0, 1, 7]
    assert PointsAccount.objects.get(member=member).balance == 0
    # and every return is on the ledger, the ones that reversed nothing too
    assert (
        PointsEntry.objects.filter(account__member=member, kind=PointsEntry.Kind.EARN_REVERSAL).count() == 5
    )


def test_refunds_of_points_paid_give_back_exactly_the_points_used_at_any_rate(
    make_member: Callable[..., Member],
) -> None:
    # given 10 points per yuan redeemed (1 point pays 10 fen), and 10 points paying ¥1 of an order
    LoyaltyProgram.objects.filter(pk=program_get().pk).update(points_per_yuan_redeemed=10)
    member = make_member()
    services.points_adjust(member=member, points=10, reason="开卡礼", actor_id=None)
    services.points_redeem_for_order(member=member, amount_fen=100, order_total_fen=1000, order_id="o1")
    # when the points' share comes back as 4, 4 and 92 fen
    given_back = []
    for return_id, amount_fen in (("r1", 4), ("r2", 4), ("r3", 92)):
        services.points_redeem_refund(
            member=member, order_id="o1", return_id=return_id, amount_fen=amount_fen
        )
        given_back.append(PointsAccount.objects.get(member=member).balance)
    # then the cumulative shares are 0.4 → 0, 0.8 → 1 and 10 points: all 10 come back
    assert given_back == [0, 1, 10]


refund_splits = st.integers(1, 60_000).flatmap(
    lambda value: st.tuples(
        st.just(value),
        st.lists(st.integers(1, value), max_size=6, unique=True).map(lambda cuts: sorted({*cuts, value})),
    )
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(split=refund_splits, spent_share=st.integers(0, 100))
def test_any_split_of_returns_reverses_exactly_the_points_earned(
    split: tuple[int, list[int]], spent_share: int
) -> None:
    # given an order worth `value` fen that earned its points, part of them spent since
    value, cuts = split
    member = services.member_register(phone=f"1590{next(_phones):07d}")
    services.points_earn_for_order(member=member, lines=[EarnLine(value)], order_id="o", store_id=None)
    earned = PointsAccount.objects.get(member=member).balance
    if earned and spent_share:
        services.points_adjust(
            member=member, points=-(earned * spent_share // 100) or -1, reason="spent", actor_id=None
        )
    # when it comes back in returns of the refunds between the cuts
    before = 0
    for index, cut in enumerate(cuts):
        services.points_reverse_for_return(
            member=member, order_id="o", return_id=f"r{index}", refund_fen=cut - before
        )
        before = cut
        # then after each return the order has given back its cumulative share, rounded half-up
        assert reversed_points(member, "o") == round_half_up(Decimal(earned) * cut / value)
    # and all the returns together reverse exactly what it earned; the ledger still balances
    assert reversed_points(member, "o") == earned
    account = PointsAccount.objects.get(member=member)
    assert account.balance == (
        PointsEntry.objects.filter(account=account).aggregate(s=Sum("points"))["s"] or 0
    )
