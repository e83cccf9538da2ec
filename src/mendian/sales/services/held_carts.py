"""Held carts (挂单): carts put aside at a register."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from mendian.sales.models import HeldOrder
from mendian.stores.models import Register


@transaction.atomic
def held_create(
    *, user: Any, register: Register, cart: dict[str, Any], label: str = "", total_fen: int = 0
) -> HeldOrder:
    """Put a cart aside at a register (挂单); it holds no stock and no money."""
    return HeldOrder.objects.create(
        store_id=register.store_id,
        register_id=register.pk,
        cashier_id=user.pk,
        label=label,
        cart=cart,
        total_fen=total_fen,
    )


@transaction.atomic
def held_delete(*, held: HeldOrder) -> None:
    """Resume (the till took the cart back) or discard a held cart."""
    HeldOrder.objects.filter(pk=held.pk).delete()
