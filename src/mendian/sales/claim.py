"""The receipt's claim link: a signed, expiring token naming one order, so that a customer without a
membership can join on the phone and have that order's points credited (once, see
`services.order_member_claim`)."""

from __future__ import annotations

from typing import Any

from django.core import signing
from django.urls import reverse

from mendian.sales.errors import OrderClaimExpired, OrderClaimInvalid

CLAIM_SALT = "mendian.sales.order-claim"
CLAIM_MAX_AGE_SECONDS = 7 * 24 * 3600


def order_claim_token(order_id: int) -> str:
    """A token naming the order, signed with the project secret and stamped with the time."""
    return signing.TimestampSigner(salt=CLAIM_SALT).sign(str(order_id))


def order_claim_token_resolve(token: str, *, max_age_seconds: int = CLAIM_MAX_AGE_SECONDS) -> int:
    """The order id behind a claim token; a tampered token is invalid, an old one expired."""
    signer = signing.TimestampSigner(salt=CLAIM_SALT)
    try:
        value = signer.unsign(token or "", max_age=max_age_seconds)
    except signing.SignatureExpired as exc:
        raise OrderClaimExpired() from exc
    except signing.BadSignature as exc:
        raise OrderClaimInvalid() from exc
    if not value.isdigit():
        raise OrderClaimInvalid()
    return int(value)


def order_claimable(order: Any) -> bool:
    """Only a completed, real sale without a member can still earn its points on the receipt."""
    return order.member_id is None and not order.is_training and order.status == "completed"


def order_claim_path(order: Any) -> str:
    """The claim page of an order, or "" when the order cannot be claimed."""
    if not order_claimable(order):
        return ""
    return reverse("sales:order_claim", args=[order_claim_token(order.pk)])
