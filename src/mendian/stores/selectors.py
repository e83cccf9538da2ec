"""Reads about stores and who may see them. Every query of store data goes through these scopes."""

from __future__ import annotations

import hashlib
from functools import cache
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from mendian.core.errors import NotFound, PermissionDeniedError
from mendian.core.sql import columns, instance_from, width
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
    the user's permissions (own and through roles) and the staff's store ids — in one hand-written
    query, since every API request runs it (docs/adr/0004-hot-path-sql.md). Nothing is cached across
    requests: a revoked token, a role change or a store unassigned applies at once."""
    now = ApiToken._meta.get_field("expires_at").get_db_prep_value(timezone.now(), connection)
    with connection.cursor() as cursor:
        cursor.execute(_token_sql(), [token_hash(raw_token), now])
        row = cursor.fetchone()
    if row is None:
        return None
    token = instance_from(ApiToken, row)
    offset = width(ApiToken)
    user = instance_from(get_user_model(), row, offset)
    offset += width(get_user_model())
    profile = instance_from(StaffProfile, row, offset)
    offset += width(StaffProfile)
    register = instance_from(Register, row, offset)
    offset += width(Register)
    store = instance_from(Store, row, offset)
    permissions, store_ids = row[offset + width(Store) :]
    ApiToken.user.field.set_cached_value(token, user)
    ApiToken.register.field.set_cached_value(token, register)
    get_user_model().staff.related.set_cached_value(user, profile)  # type: ignore[attr-defined]
    if profile is not None:
        StaffProfile.user.field.set_cached_value(profile, user)
        profile._store_ids = {int(pk) for pk in store_ids.split(",")} if store_ids else set()  # type: ignore[attr-defined]
    if register is not None:
        Register.store.field.set_cached_value(register, store)
    if not user.is_superuser:
        user._perm_cache = set(permissions.split(",")) if permissions else set()
    return token


@cache
def _token_sql() -> str:
    user_model = get_user_model()
    quote = connection.ops.quote_name

    def table(model: Any) -> str:
        return quote(model._meta.db_table)

    def agg(expression: str) -> str:
        if connection.vendor == "postgresql":
            return f"string_agg({expression}, ',')"
        return f"group_concat({expression}, ',')"

    user_permissions = user_model.user_permissions.through  # type: ignore[attr-defined]
    user_groups = user_model.groups.through  # type: ignore[attr-defined]
    group_permissions = Group.permissions.through
    staff_stores = StaffProfile.stores.through
    permission_name = "ct.app_label || '.' || p.codename"
    return (
        f"SELECT {columns(ApiToken, 't')}, {columns(user_model, 'u')}, {columns(StaffProfile, 'sp')}, "
        f"{columns(Register, 'r')}, {columns(Store, 's')}, "
        f"(SELECT {agg(permission_name)} FROM {table(Permission)} p "
        f"JOIN {table(ContentType)} ct ON ct.id = p.content_type_id WHERE p.id IN ("
        f"SELECT up.permission_id FROM {table(user_permissions)} up WHERE up.user_id = u.id "
        f"UNION SELECT gp.permission_id FROM {table(group_permissions)} gp "
        f"JOIN {table(user_groups)} ug ON ug.group_id = gp.group_id WHERE ug.user_id = u.id)), "
        f"(SELECT {agg('CAST(ss.store_id AS TEXT)')} FROM {table(staff_stores)} ss "
        "WHERE ss.staffprofile_id = sp.id) "
        f"FROM {table(ApiToken)} t JOIN {table(user_model)} u ON u.id = t.user_id "
        f"LEFT JOIN {table(StaffProfile)} sp ON sp.user_id = u.id "
        f"LEFT JOIN {table(Register)} r ON r.id = t.register_id "
        f"LEFT JOIN {table(Store)} s ON s.id = r.store_id "
        "WHERE t.key_hash = %s AND t.revoked_at IS NULL AND t.expires_at > %s"
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
