"""Template tags of the receipt: the claim link of an order (join and earn its points)."""

from __future__ import annotations

from typing import Any

from django import template

from mendian.sales.claim import order_claim_path as _order_claim_path

register = template.Library()


@register.simple_tag
def order_claim_path(order: Any) -> str:
    """The order's claim page, or "" when it cannot be claimed."""
    return _order_claim_path(order)
