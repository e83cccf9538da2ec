from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mendian.core.money import (
    allocate,
    cumulative_refund_share,
    fen_from_yuan,
    fen_percent,
    round_half_up,
    round_to_jiao,
    yuan_display,
    yuan_str,
)


def test_round_half_up_rounds_halves_away_from_zero():
    assert round_half_up(Decimal("2.5")) == 3
    assert round_half_up(Decimal("2.4999")) == 2
    assert round_half_up(Decimal("-2.5")) == -3


def test_yuan_conversions_at_the_edges():
    assert fen_from_yuan("12.30") == 1230
    assert fen_from_yuan("0.005") == 1
    assert yuan_str(1230) == "12.30"
    assert yuan_str(-5) == "-0.05"
    assert yuan_display(123450) == "¥1,234.50"
    with pytest.raises(ValueError):
        fen_from_yuan("abc")
    with pytest.raises(ValueError):
        fen_from_yuan("NaN")


@pytest.mark.parametrize("yuan", ["1e400", "-1e400", "1e30", "Infinity", "-inf"])
def test_amounts_beyond_decimal_precision_or_not_finite_are_a_value_error(yuan):
    # given an amount Decimal can read but not round to a whole fen; when it is converted; then ValueError
    with pytest.raises(ValueError, match="not a yuan amount"):
        fen_from_yuan(yuan)


def test_percent_and_jiao_rounding():
    assert fen_percent(999, 5) == 50  # 49.95 → 50
    assert round_to_jiao(1234) == 1230
    assert round_to_jiao(1235) == 1240


def test_allocate_gives_leftover_fen_to_largest_remainders():
    # given 100 fen over three equal weights, when allocated, then the first share takes the extra fen
    assert allocate(100, [1, 1, 1]) == [34, 33, 33]
    assert allocate(-100, [1, 1, 1]) == [-34, -33, -33]
    assert allocate(0, [5, 5]) == [0, 0]
    assert allocate(10, [0, 0]) == [5, 5]


@given(
    total=st.integers(min_value=-(10**9), max_value=10**9),
    weights=st.lists(st.integers(min_value=0, max_value=10**7), min_size=1, max_size=30),
)
def test_allocate_always_adds_up_exactly(total, weights):
    shares = allocate(total, weights)
    assert sum(shares) == total
    assert len(shares) == len(weights)
    if sum(weights) > 0:
        for share, weight in zip(shares, weights, strict=True):
            exact = Decimal(total) * weight / sum(weights)
            assert abs(Decimal(share) - exact) < 1


@given(
    total=st.integers(0, 10**6),
    base=st.integers(1, 10**7),
    cuts=st.lists(st.floats(0, 1), max_size=8),
)
def test_cumulative_refund_shares_add_up_to_the_total_however_the_refund_is_split(total, base, cuts):
    # given refunds of `base` split at arbitrary points
    points = sorted({int(base * cut) for cut in cuts} | {base})
    returned = refunded = 0
    for point in points:
        # when each refund takes its cumulative share
        share = cumulative_refund_share(
            total=total, base_fen=base, refunded_fen=refunded, refund_fen=point - refunded, returned=returned
        )
        # then no share is negative, and what went back so far is the cumulative share
        assert share >= 0
        returned += share
        refunded = point
        assert returned == round_half_up(Decimal(total) * refunded / base)
    # and all of them together give back exactly the total
    assert returned == total
