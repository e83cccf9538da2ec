"""Reads about stores and who may see them. Every query of store data goes through these scopes."""

from __future__ import annotations

import hashlib

from django.db.models import QuerySet
from django.utils import timezone

from mendian.core.errors import NotFound, PermissionDeniedError
from mendian.stores.models import ApiToken, Register, StaffProfile, Store


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def register_by_device_token(raw_token: str) -> Register | None:
    return (
        Register.objects.select_related("store")
        .filter(
            device_token_hash=token_hash(raw_token),
            token_revoked_at__isnull=True,
            is_active=True,
            store__is_active=True,
        )
        .first()
    )


def api_token_lookup(raw_token: str) -> ApiToken | None:
    """The live token with its user, the user's staff profile, its register and the register's store,
    in one query: the request needs all of them, and checked afresh on every request (a revoked
    token stops working at once)."""
    return (
        ApiToken.objects.select_related("user", "user__staff", "register", "register__store")
        .filter(key_hash=token_hash(raw_token), revoked_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )


def staff_profile(user: object) -> StaffProfile | None:
    if not getattr(user, "is_authenticated", False):
        return None
    try:
        return user.staff  # type: ignore[attr-defined, no-any-return]
    except StaffProfile.DoesNotExist:
        return None


def staff_store_ids(user: object) -> set[int] | None:
    """The stores a user may see: None means every store (HQ or superuser), else a set of ids."""
    if getattr(user, "is_superuser", False):
        return None
    profile = staff_profile(user)
    if profile is None or not profile.is_active:
        return set()
    if profile.all_stores:
        return None
    cached = getattr(profile, "_store_ids", None)
    if cached is None:
        cached = set(profile.stores.values_list("id", flat=True))
        profile._store_ids = cached  # type: ignore[attr-defined]
    return cached


def scope_to_stores(queryset: QuerySet, user: object, *, field: str = "store") -> QuerySet:
    """Limit any store-carrying queryset to the user's stores."""
    store_ids = staff_store_ids(user)
    if store_ids is None:
        return queryset
    lookup = "pk__in" if field == "pk" else f"{field}__in"
    return queryset.filter(**{lookup: store_ids})


def stores_visible_to(user: object) -> QuerySet[Store]:
    return scope_to_stores(Store.objects.all(), user, field="pk")


def registers_visible_to(user: object) -> QuerySet[Register]:
    return scope_to_stores(Register.objects.select_related("store"), user)


def store_access_check(user: object, store_id: int) -> None:
    """Another store's data does not exist for this user: 404, so ids of other stores leak nothing."""
    store_ids = staff_store_ids(user)
    if store_ids is not None and store_id not in store_ids:
        raise NotFound()


def permission_check(user: object, permission: str) -> None:
    if not getattr(user, "has_perm", None) or not user.has_perm(permission):  # type: ignore[attr-defined]
        raise PermissionDeniedError(details={"permission": permission})


def store_get(user: object, store_id: int) -> Store:
    store = stores_visible_to(user).filter(pk=store_id).first()
    if store is None:
        raise NotFound()
    return store


def register_get(user: object, register_id: int) -> Register:
    register = registers_visible_to(user).filter(pk=register_id).first()
    if register is None:
        raise NotFound()
    return register
