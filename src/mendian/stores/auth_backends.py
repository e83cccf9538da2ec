"""Sign-in at a till: the register's device token plus an employee number and PIN."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import BaseBackend
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend
from django.contrib.auth.hashers import check_password
from django.contrib.auth.models import Permission
from django.db.models import Q
from django.http import HttpRequest

from mendian.stores.models import StaffProfile
from mendian.stores.selectors import register_by_device_token


class RegisterPinBackend(BaseBackend):
    """authenticate(request, register_token=…, employee_no=…, pin=…) → the staff user, or None.

    The staff member must be active and work at the register's store (or at every store)."""

    def authenticate(  # type: ignore[override]
        self,
        request: HttpRequest | None,
        register_token: str | None = None,
        employee_no: str | None = None,
        pin: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if not (register_token and employee_no and pin):
            return None
        register = register_by_device_token(register_token)
        if register is None:
            return None
        profile = (
            StaffProfile.objects.select_related("user")
            .filter(employee_no=employee_no, is_active=True, user__is_active=True)
            .first()
        )
        if profile is None or not profile.pin_hash or not check_password(pin, profile.pin_hash):
            return None
        if not profile.all_stores and not profile.stores.filter(pk=register.store_id).exists():
            return None
        user = profile.user
        user.mendian_register = register  # type: ignore[attr-defined]
        return user

    def get_user(self, user_id: int) -> Any:
        return None


class ModelBackend(DjangoModelBackend):
    """Django's username/password backend, reading a user's permissions (own and through roles) in
    one query instead of two; still once per request, so a role change applies at once."""

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            permissions = Permission.objects.all()
            if not user_obj.is_superuser:
                permissions = permissions.filter(Q(user=user_obj) | Q(group__user=user_obj))
            rows = permissions.order_by().values_list("content_type__app_label", "codename").distinct()
            user_obj._perm_cache = {f"{app_label}.{codename}" for app_label, codename in rows}
        return user_obj._perm_cache  # type: ignore[no-any-return]


def axes_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """The name django-axes counts failures under: the username, or the employee number for PIN sign-in."""
    credentials = credentials or {}
    if credentials.get("username"):
        return str(credentials["username"])
    if credentials.get("employee_no"):
        return f"pin:{credentials['employee_no']}"
    return request.POST.get("username") if request is not None else None
