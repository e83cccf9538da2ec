"""Price overrides and manual discounts, and the manager who authorizes them at the till."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.hashers import check_password
from django.utils.translation import gettext_lazy as _

from mendian.sales.errors import AuthorizationFailed, AuthorizationRequired, DiscountInvalid
from mendian.sales.selectors import LineInput, SkuInfo
from mendian.stores.models import StaffProfile, Store
from mendian.stores.selectors import staff_store_ids

PERMISSION_OVERRIDE = "sales.override_price"


@dataclass(frozen=True)
class AuthorizerInput:
    employee_no: str
    pin: str


def authorizer_verify(*, authorizer: AuthorizerInput | None, store: Store, permission: str) -> Any:
    """A manager present at the till: right employee number and PIN, the permission, and the store."""
    if authorizer is None:
        raise AuthorizationRequired()
    profile = (
        StaffProfile.objects.select_related("user")
        .filter(employee_no=authorizer.employee_no, is_active=True, user__is_active=True)
        .first()
    )
    if profile is None or not profile.pin_hash or not check_password(authorizer.pin, profile.pin_hash):
        raise AuthorizationFailed()
    user = profile.user
    store_ids = staff_store_ids(user)
    if not user.has_perm(permission) or (store_ids is not None and store.pk not in store_ids):
        raise AuthorizationFailed()
    return user


def overrides_authorize(
    *,
    store: Store,
    lines: list[LineInput],
    priced: Any,
    infos: dict[int, SkuInfo],
    manual_discount_fen: int,
    authorizer: AuthorizerInput | None,
    reason: str,
) -> Any:
    """The rules for price overrides and a manual discount, for a checkout and for the quote of an
    exchange: within the list price and the total, a reason, and a manager's employee number and
    PIN. Returns the manager, or None when the cart has neither."""
    overrides = [line for line in lines if line.price_override_fen is not None]
    for line in overrides:
        assert line.price_override_fen is not None
        if not 0 <= line.price_override_fen <= infos[line.sku_id].list_price_fen:
            raise DiscountInvalid(details={"sku_id": line.sku_id})
    if manual_discount_fen < 0 or manual_discount_fen > priced.total_fen + priced.manual_discount_fen:
        raise DiscountInvalid(details={"manual_discount_fen": manual_discount_fen})
    if not (overrides or manual_discount_fen):
        return None
    if not reason.strip():
        raise DiscountInvalid(_("Give a reason for the override or discount."), code="reason_required")
    return authorizer_verify(authorizer=authorizer, store=store, permission=PERMISSION_OVERRIDE)
