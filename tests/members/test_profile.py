"""The back-office member profile: purchase history, favourite categories by spend, RFM quintiles from
the periodic job, tags and ledgers, in the API and on the admin change page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from mendian.catalog.models import Category
from mendian.members import services
from mendian.members.models import Member, MemberRfm, SpendRecord
from mendian.members.tasks import rfm_recompute_task
from mendian.sales import services as sales_services
from mendian.stores.models import StaffProfile
from tests.conftest import ApiClient, Chain
from tests.sales.conftest import make_sku, order_body

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_quintiles_score_by_the_share_below_and_ties_alike() -> None:
    assert services.rfm_quintiles([10, 20, 30, 40, 50]) == [1, 2, 3, 4, 5]
    assert services.rfm_quintiles([0, 0, 0, 0, 100]) == [1, 1, 1, 1, 5]
    assert services.rfm_quintiles(list(range(10))) == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert services.rfm_quintiles([7]) == [1]


def buy(member: Member, order_id: str, amount_fen: int, days_ago: int) -> None:
    services.points_earn_for_order(
        member=member, lines=[services.EarnLine(amount_fen)], order_id=order_id, store_id=None
    )
    SpendRecord.objects.filter(source_id=order_id).update(
        created_at=timezone.now() - dt.timedelta(days=days_ago)
    )


def test_the_job_writes_rfm_quintiles_over_the_member_base(make_member: Callable[..., Member]) -> None:
    # Given five buyers: from one old small purchase to many recent large ones, and one who never bought
    members = [make_member() for _ in range(5)]
    never = make_member()
    for index, member in enumerate(members):
        for purchase in range(index + 1):
            buy(member, f"o{index}-{purchase}", 1000 * (index + 1), days_ago=50 - 10 * index + purchase)
    buy(members[0], "o-old", 99900, days_ago=400)  # outside the one-year window: recency only
    # When the nightly job runs
    assert rfm_recompute_task.call_local() == 5
    # Then each buyer has scores 1..5 in order, and the non-buyer has none
    scores = {
        row.member_id: (
            row.recency_score,
            row.frequency_score,
            row.monetary_score,
            row.order_count,
            row.spend_fen,
        )
        for row in MemberRfm.objects.all()
    }
    assert scores == {
        members[0].pk: (1, 1, 1, 1, 1000),
        members[1].pk: (2, 2, 2, 2, 4000),
        members[2].pk: (3, 3, 3, 3, 9000),
        members[3].pk: (4, 4, 4, 4, 16000),
        members[4].pk: (5, 5, 5, 5, 25000),
    }
    assert never.pk not in scores
    # And a rerun replaces the rows rather than adding to them
    assert services.rfm_recompute() == 5 and MemberRfm.objects.count() == 5


def test_profile_api_and_admin_page(
    chain: Chain,
    cashier_a: StaffProfile,
    hq_admin: StaffProfile,
    api_as: Callable[..., ApiClient],
    make_member: Callable[..., Member],
    django_assert_max_num_queries: Any,
) -> None:
    sales_services.shift_open(user=cashier_a.user, register=chain.register_a, float_fen=20000)
    till = api_as(cashier_a, chain.register_a)
    tea = Category.objects.create(code="tea", name="茶饮")
    snacks = Category.objects.create(code="snack", name="零食")
    tea_sku = make_sku("T1", 1800, store=chain.store_a, category=tea)
    snack_sku = make_sku("S1", 500, store=chain.store_a, category=snacks)
    member = make_member(tags=["VIP", "咖啡"])
    # Given two sales to the member: ¥36 of tea + ¥5 of snacks, then ¥15 of snacks
    for lines, total in (([(tea_sku, 2), (snack_sku, 1)], 4100), ([(snack_sku, 3)], 1500)):
        status, body = till.post(
            "/sales/orders",
            order_body(
                chain.register_a.pk,
                lines,
                [{"kind": "cash", "amount_fen": total, "tendered_fen": total}],
                member_id=member.pk,
            ),
        )
        assert status == 201, body
    services.rfm_recompute()
    # When the back office asks for the profile
    with django_assert_max_num_queries(16):
        status, profile = api_as(hq_admin).get(f"/members/{member.pk}/profile")
    # Then it shows history, categories by spend, RFM, tags and ledgers
    assert status == 200, profile
    assert profile["tags"] == ["VIP", "咖啡"]
    assert [
        (row["category_name"], row["spend_fen"], row["qty"]) for row in profile["favourite_categories"]
    ] == [
        ("茶饮", 3600, 2),
        ("零食", 2000, 4),
    ]
    assert [order["total_fen"] for order in profile["orders"]] == [1500, 4100]
    assert profile["rfm"]["order_count"] == 2 and profile["rfm"]["spend_fen"] == 5600
    assert [entry["points"] for entry in profile["points"]] == [15, 41]
    assert profile["wallet"] == []
    assert profile["member"]["id"] == member.pk
    # And the admin change page shows the same
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-CN")
    client.force_login(hq_admin.user)
    page = client.get(f"/admin/members/member/{member.pk}/change/").content.decode()
    assert 'data-testid="member-profile"' in page
    assert "茶饮" in page and "36.00" in page and "VIP" in page
    assert "R <b>1</b>" in page
    # A missing member is a 404, not a 500
    assert api_as(hq_admin).get("/members/999999/profile")[0] == 404
