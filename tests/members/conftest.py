"""Members fixtures: a member registered through the real service, and tiers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from mendian.members import services
from mendian.members.models import Member, Tier


@pytest.fixture
def make_member(db: None) -> Callable[..., Member]:
    counter = {"n": 0}

    def make(phone: str | None = None, **fields: Any) -> Member:
        counter["n"] += 1
        return services.member_register(phone=phone or f"1380000{counter['n']:04d}", **fields)

    return make


@pytest.fixture
def member(make_member: Callable[..., Member]) -> Member:
    return make_member("13812341234", name="张三")


@pytest.fixture
def tiers(db: None) -> dict[str, Tier]:
    return {
        "normal": Tier.objects.create(code="normal", name="普通会员", rank=0, rule=Tier.Rule.NONE),
        "silver": Tier.objects.create(
            code="silver",
            name="银卡",
            rank=10,
            rule=Tier.Rule.SPEND,
            threshold_fen=100_000,
            window_days=365,
            discount_bp=500,
            points_multiplier_bp=15000,
        ),
        "gold": Tier.objects.create(
            code="gold",
            name="金卡",
            rank=20,
            rule=Tier.Rule.PAID_CARD,
            discount_bp=1000,
            points_multiplier_bp=20000,
        ),
    }
