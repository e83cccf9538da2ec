"""The pricing function: exact totals, and properties that hold for every cart (hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mendian.promotions.pricing import (
    CartLine,
    MemberPricing,
    PricingContext,
    price_cart,
    refund_share_fen,
)

AT = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def ctx(**kwargs: object) -> PricingContext:
    return PricingContext(store_id=1, at=AT, **kwargs)  # type: ignore[arg-type]


def test_list_prices_gift_and_override() -> None:
    # given a normal line, a gift and an overridden line
    lines = [
        CartLine(sku_id=1, qty=3, list_price_fen=1250),
        CartLine(sku_id=2, qty=1, list_price_fen=990, is_gift=True),
        CartLine(sku_id=3, qty=2, list_price_fen=5000, price_override_fen=4500),
    ]
    # when priced
    cart = price_cart(lines=lines, context=ctx())
    # then
    assert [(line.unit_price_fen, line.total_fen, line.discount_fen) for line in cart.lines] == [
        (1250, 3750, 0),
        (0, 0, 990),
        (4500, 9000, 1000),
    ]
    assert cart.lines[1].reasons == ["gift"]
    assert cart.lines[2].reasons == ["price_override"]
    assert (cart.subtotal_fen, cart.discount_fen, cart.total_fen) == (14740, 1990, 12750)


def test_member_price_and_tier_discount_take_the_better() -> None:
    member = MemberPricing(member_id=7, tier_discount_bp=1000, member_price_eligible=True)
    lines = [
        CartLine(sku_id=1, qty=1, list_price_fen=1000, member_price_fen=800),  # member price beats 10 %
        CartLine(sku_id=2, qty=2, list_price_fen=1000, member_price_fen=950),  # 10 % beats member price
        CartLine(sku_id=3, qty=1, list_price_fen=333),  # 299.7 → 300
    ]
    cart = price_cart(lines=lines, context=ctx(member=member))
    assert [line.unit_price_fen for line in cart.lines] == [800, 900, 300]
    assert [line.reasons[0] for line in cart.lines] == ["member_price", "tier_discount", "tier_discount"]
    assert cart.total_fen == 800 + 1800 + 300


def test_manual_discount_allocated_exactly() -> None:
    lines = [CartLine(sku_id=i, qty=1, list_price_fen=1000) for i in range(3)]
    cart = price_cart(lines=lines, context=ctx(manual_discount_fen=100))
    assert [line.total_fen for line in cart.lines] == [966, 967, 967]
    assert sum(line.manual_discount_fen for line in cart.lines) == 100
    assert cart.total_fen == 2900
    assert "manual_discount" in cart.lines[0].reasons


def test_manual_discount_capped_at_cart_value() -> None:
    cart = price_cart(
        lines=[CartLine(sku_id=1, qty=1, list_price_fen=500)], context=ctx(manual_discount_fen=900)
    )
    assert cart.total_fen == 0
    assert cart.manual_discount_fen == 500


def test_refund_shares_add_up_to_the_line_total() -> None:
    # a line of 3 units that cost 1000 fen in all: returning one unit at a time gives 333, 333, 334
    shares = [
        refund_share_fen(line_total_fen=1000, line_qty=3, refunded_qty=i, return_qty=1) for i in range(3)
    ]
    assert shares == [333, 333, 334]
    with pytest.raises(ValueError):
        refund_share_fen(line_total_fen=1000, line_qty=3, refunded_qty=2, return_qty=2)


line_strategy = st.builds(
    CartLine,
    sku_id=st.integers(1, 10_000),
    qty=st.integers(1, 50),
    list_price_fen=st.integers(0, 1_000_000),
    member_price_fen=st.one_of(st.none(), st.integers(0, 1_200_000)),
    category_id=st.none(),
    is_gift=st.booleans(),
    price_override_fen=st.one_of(st.none(), st.integers(-100, 1_200_000)),
)
member_strategy = st.one_of(
    st.none(),
    st.builds(
        MemberPricing,
        member_id=st.integers(1, 100),
        tier_discount_bp=st.integers(0, 10_000),
        member_price_eligible=st.booleans(),
    ),
)


@settings(max_examples=60, deadline=None)
@given(
    lines=st.lists(line_strategy, min_size=1, max_size=12),
    member=member_strategy,
    manual=st.integers(0, 5_000_000),
)
def test_pricing_properties(lines: list[CartLine], member: MemberPricing | None, manual: int) -> None:
    cart = price_cart(lines=lines, context=ctx(member=member, manual_discount_fen=manual))
    # line totals add up to the order total, and discounts reconcile with the list prices
    assert sum(line.total_fen for line in cart.lines) == cart.total_fen
    assert cart.subtotal_fen - cart.discount_fen == cart.total_fen
    # the manual discount is allocated exactly
    assert sum(line.manual_discount_fen for line in cart.lines) == cart.manual_discount_fen
    for cart_line, line in zip(lines, cart.lines, strict=True):
        # never negative, never above list
        assert 0 <= line.total_fen <= cart_line.list_price_fen * cart_line.qty
        assert line.discount_fen == cart_line.list_price_fen * cart_line.qty - line.total_fen
        # refunding all units one by one returns exactly the line total
        refunded = sum(
            refund_share_fen(line_total_fen=line.total_fen, line_qty=line.qty, refunded_qty=i, return_qty=1)
            for i in range(line.qty)
        )
        assert refunded == line.total_fen
