"""Money is an integer number of fen. These helpers are the only place fen meet yuan or fractions."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

FEN_PER_YUAN = 100


def round_half_up(value: Decimal | int | str) -> int:
    """Round a fractional fen amount half-up (away from zero at .5) to a whole fen."""
    amount = Decimal(value)
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def fen_from_yuan(yuan: str | Decimal | int) -> int:
    """Parse a yuan amount ("12.30") into fen; more than two decimals round half-up."""
    try:
        amount = Decimal(str(yuan).strip())
    except InvalidOperation:
        raise ValueError(f"not a yuan amount: {yuan!r}") from None
    if not amount.is_finite():
        raise ValueError(f"not a yuan amount: {yuan!r}")
    try:
        return round_half_up(amount * FEN_PER_YUAN)
    except InvalidOperation:
        # More digits than Decimal's precision (1e400): rounding it to the fen is refused, and it is
        # no amount of money anyway.
        raise ValueError(f"not a yuan amount: {yuan!r}") from None


def yuan_str(fen: int) -> str:
    """Format fen as a plain yuan string with two decimals ("-12.30"), as gateways and receipts want."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), FEN_PER_YUAN)
    return f"{sign}{whole}.{cents:02d}"


def yuan_display(fen: int) -> str:
    """Format fen for people: ¥1,234.50."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), FEN_PER_YUAN)
    return f"{sign}¥{whole:,}.{cents:02d}"


def fen_percent(fen: int, percent: Decimal | int | str) -> int:
    """The given percent of an amount, half-up to the fen."""
    return round_half_up(Decimal(fen) * Decimal(percent) / 100)


def round_to_jiao(fen: int) -> int:
    """Cash rounding to the nearest jiao (10 fen), half-up."""
    return round_half_up(Decimal(fen) / 10) * 10


def allocate(total_fen: int, weights: list[int]) -> list[int]:
    """Split total_fen over weights in proportion, in whole fen that add up exactly to total_fen.

    Largest-remainder method: each share is floored, then the fen left over go to the shares with
    the biggest remainders (earliest first on ties). A refund of one line then returns exactly
    what that line was charged.
    """
    if not weights:
        if total_fen:
            raise ValueError("cannot allocate a non-zero amount over no weights")
        return []
    if any(weight < 0 for weight in weights):
        raise ValueError("weights must not be negative")
    weight_sum = sum(weights)
    if weight_sum == 0:
        weights = [1] * len(weights)
        weight_sum = len(weights)
    sign = -1 if total_fen < 0 else 1
    magnitude = abs(total_fen)
    shares = [magnitude * weight // weight_sum for weight in weights]
    remainders = [(magnitude * weight % weight_sum, -index) for index, weight in enumerate(weights)]
    leftover = magnitude - sum(shares)
    for _remainder, negative_index in sorted(remainders, reverse=True)[:leftover]:
        shares[-negative_index] += 1
    return [sign * share for share in shares]


def cumulative_refund_share(
    *, total: int, base_fen: int, refunded_fen: int, refund_fen: int, returned: int
) -> int:
    """The part of `total` (points an order earned or was paid with, principal it spent) that a refund of
    `refund_fen` more of `base_fen` gives back, when `refunded_fen` was refunded before and `returned` of
    `total` went back with it: `total` × the cumulative refund ÷ `base_fen`, half-up, less what went back
    before. Reckoned on the cumulative amount, so all the refunds of `base_fen` together give back
    exactly `total` however they are split. Never negative; a refund beyond `base_fen` gives nothing more.
    """
    if base_fen <= 0:
        return 0
    cumulative = min(refunded_fen + refund_fen, base_fen)
    return max(round_half_up(Decimal(total) * cumulative / base_fen) - returned, 0)
