"""The one pricing function: cart + member + time + store → priced cart, every discount with its reason.

Pure: plain frozen dataclasses in and out, no ORM. The caller resolves the list price (unified retail
price or the store's override) into CartLine.list_price_fen. The till, the online shop and a refund
all price through price_cart, so what a customer is charged and what a return gives back agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from mendian.core.money import allocate, round_half_up

BASIS_POINTS = 10_000

REASON_LIST_PRICE = "list_price"
REASON_GIFT = "gift"
REASON_PRICE_OVERRIDE = "price_override"
REASON_MEMBER_PRICE = "member_price"
REASON_TIER_DISCOUNT = "tier_discount"
REASON_MANUAL_DISCOUNT = "manual_discount"


@dataclass(frozen=True)
class CartLine:
    """One line of a cart as the caller knows it; prices in fen per unit."""

    sku_id: int
    qty: int
    list_price_fen: int
    member_price_fen: int | None = None
    category_id: int | None = None
    is_gift: bool = False
    price_override_fen: int | None = None


@dataclass(frozen=True)
class MemberPricing:
    """What a member is entitled to: a tier discount in basis points (500 = 5 % off) and member prices."""

    member_id: int
    tier_discount_bp: int = 0
    member_price_eligible: bool = True


@dataclass(frozen=True)
class PricingContext:
    store_id: int
    at: datetime
    member: MemberPricing | None = None
    manual_discount_fen: int = 0


@dataclass(frozen=True)
class PricedLine:
    """A priced line: unit price after line rules, the line's whole discount against list, its total."""

    sku_id: int
    qty: int
    list_price_fen: int
    unit_price_fen: int
    discount_fen: int
    total_fen: int
    reasons: list[str] = field(default_factory=list)
    manual_discount_fen: int = 0


@dataclass(frozen=True)
class PricedCart:
    lines: list[PricedLine]
    subtotal_fen: int
    discount_fen: int
    total_fen: int
    manual_discount_fen: int


def _unit_price(line: CartLine, member: MemberPricing | None) -> tuple[int, str]:
    """The best per-unit price a line earns before order-level discounts, and why."""
    if line.is_gift:
        return 0, REASON_GIFT
    if line.price_override_fen is not None:
        return max(0, min(line.price_override_fen, line.list_price_fen)), REASON_PRICE_OVERRIDE
    best, reason = line.list_price_fen, REASON_LIST_PRICE
    if member is not None:
        if (
            member.member_price_eligible
            and line.member_price_fen is not None
            and line.member_price_fen < best
        ):
            best, reason = max(0, line.member_price_fen), REASON_MEMBER_PRICE
        if 0 < member.tier_discount_bp <= BASIS_POINTS:
            tier_price = round_half_up(
                Decimal(line.list_price_fen) * (BASIS_POINTS - member.tier_discount_bp) / BASIS_POINTS
            )
            if tier_price < best:
                best, reason = tier_price, REASON_TIER_DISCOUNT
    return best, reason


def price_cart(*, lines: list[CartLine], context: PricingContext) -> PricedCart:
    """Price a cart. Rules: a line total is never negative and never above its list total; a manual
    order discount is capped at what the lines cost and allocated over them in proportion, in whole
    fen, so the line totals add up exactly to the order total."""
    if any(line.qty <= 0 for line in lines):
        raise ValueError("quantities must be positive")
    if any(line.list_price_fen < 0 for line in lines):
        raise ValueError("list prices must not be negative")
    units: list[tuple[int, str]] = [_unit_price(line, context.member) for line in lines]
    pre_totals = [unit * line.qty for (unit, _reason), line in zip(units, lines, strict=True)]
    manual = max(0, min(context.manual_discount_fen, sum(pre_totals)))
    shares = allocate(manual, pre_totals) if lines else []
    priced: list[PricedLine] = []
    for line, (unit, reason), pre_total, share in zip(lines, units, pre_totals, shares, strict=True):
        list_total = line.list_price_fen * line.qty
        total = pre_total - share
        reasons = [reason]
        if share:
            reasons.append(REASON_MANUAL_DISCOUNT)
        priced.append(
            PricedLine(
                sku_id=line.sku_id,
                qty=line.qty,
                list_price_fen=line.list_price_fen,
                unit_price_fen=unit,
                discount_fen=list_total - total,
                total_fen=total,
                reasons=reasons,
                manual_discount_fen=share,
            )
        )
    subtotal = sum(line.list_price_fen * line.qty for line in lines)
    total = sum(line.total_fen for line in priced)
    return PricedCart(
        lines=priced,
        subtotal_fen=subtotal,
        discount_fen=subtotal - total,
        total_fen=total,
        manual_discount_fen=manual,
    )


def refund_share_fen(*, line_total_fen: int, line_qty: int, refunded_qty: int, return_qty: int) -> int:
    """What returning `return_qty` more units of a line gives back, given `refunded_qty` already returned.

    Cumulative floor shares: the refunds of all units of a line add up exactly to its total, and the
    last unit returned takes the remaining fen."""
    if return_qty <= 0 or refunded_qty < 0 or refunded_qty + return_qty > line_qty:
        raise ValueError("return quantity out of range")
    after = line_total_fen * (refunded_qty + return_qty) // line_qty
    before = line_total_fen * refunded_qty // line_qty
    return after - before
