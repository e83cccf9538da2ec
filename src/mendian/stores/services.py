"""Writes about stores, registers, staff and tokens. Each is one transaction with its audit row."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mendian.core.errors import Conflict, DomainError
from mendian.core.services import audit_record
from mendian.stores.models import ApiToken, Register, StaffProfile, Store
from mendian.stores.roles import ROLES, role_group_name
from mendian.stores.selectors import token_hash

PIN_PATTERN = re.compile(r"^\d{4,6}$")
API_TOKEN_LIFETIME = timedelta(hours=12)


@transaction.atomic
def store_create(*, code: str, name: str, address: str = "", phone: str = "", **fields: Any) -> Store:
    store = Store(code=code, name=name, address=address, phone=phone, **fields)
    store.full_clean(validate_unique=False)
    try:
        with transaction.atomic():
            store.save()
    except IntegrityError:
        raise Conflict(_("A store with this code already exists."), code="store_code_taken") from None
    audit_record(action="store.create", obj=store, after={"code": code, "name": name}, store_id=store.pk)
    return store


@transaction.atomic
def register_create(*, store: Store, code: str, name: str, is_training: bool = False) -> tuple[Register, str]:
    """Create a till and its device token; the raw token is returned once and never stored."""
    raw_token = secrets.token_urlsafe(24)
    try:
        with transaction.atomic():
            register = Register.objects.create(
                store=store,
                code=code,
                name=name,
                is_training=is_training,
                device_token_hash=token_hash(raw_token),
            )
    except IntegrityError:
        raise Conflict(
            _("This store already has a register with this code."), code="register_code_taken"
        ) from None
    audit_record(
        action="register.create", obj=register, after={"code": code, "name": name}, store_id=store.pk
    )
    return register, raw_token


@transaction.atomic
def register_token_rotate(*, register: Register) -> str:
    raw_token = secrets.token_urlsafe(24)
    Register.objects.filter(pk=register.pk).update(
        device_token_hash=token_hash(raw_token), token_revoked_at=None
    )
    ApiToken.objects.filter(register=register, revoked_at__isnull=True).update(revoked_at=timezone.now())
    audit_record(
        action="register.token_rotate", obj=register, store_id=register.store_id, register_id=register.pk
    )
    return raw_token


@transaction.atomic
def register_token_revoke(*, register: Register) -> None:
    """A lost or stolen till: its device token and every session signed in on it stop working."""
    now = timezone.now()
    Register.objects.filter(pk=register.pk).update(token_revoked_at=now)
    ApiToken.objects.filter(register=register, revoked_at__isnull=True).update(revoked_at=now)
    audit_record(
        action="register.token_revoke", obj=register, store_id=register.store_id, register_id=register.pk
    )


def pin_validate(pin: str) -> None:
    if not PIN_PATTERN.match(pin or ""):
        raise DomainError(_("The PIN must be 4 to 6 digits."), code="pin_invalid")


@transaction.atomic
def staff_create(
    *,
    username: str,
    password: str | None,
    employee_no: str,
    display_name: str,
    roles: Iterable[str],
    stores: Iterable[Store] = (),
    all_stores: bool = False,
    pin: str | None = None,
) -> StaffProfile:
    user_model = get_user_model()
    if user_model.objects.filter(username=username).exists():
        raise Conflict(_("This username is taken."), code="username_taken")
    if StaffProfile.objects.filter(employee_no=employee_no).exists():
        raise Conflict(_("This employee number is taken."), code="employee_no_taken")
    role_list = list(roles)
    unknown = [role for role in role_list if role not in ROLES]
    if unknown:
        raise DomainError(_("Unknown role."), code="role_unknown", details={"roles": unknown})
    if pin is not None:
        pin_validate(pin)
    user = user_model(username=username, is_staff=True, first_name=display_name[:150])
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    profile = StaffProfile.objects.create(
        user=user,
        employee_no=employee_no,
        display_name=display_name,
        all_stores=all_stores,
        pin_hash=make_password(pin) if pin else "",
    )
    store_list = list(stores)
    profile.stores.set(store_list)
    user.groups.set(Group.objects.filter(name__in=[role_group_name(role) for role in role_list]))
    audit_record(
        action="staff.create",
        obj=profile,
        after={"roles": role_list, "stores": [store.code for store in store_list], "all_stores": all_stores},
    )
    return profile


@transaction.atomic
def staff_pin_set(*, profile: StaffProfile, pin: str) -> None:
    pin_validate(pin)
    StaffProfile.objects.filter(pk=profile.pk).update(pin_hash=make_password(pin))
    audit_record(action="staff.pin_set", obj=profile)


@transaction.atomic
def staff_access_set(
    *, profile: StaffProfile, roles: Iterable[str], stores: Iterable[Store], all_stores: bool
) -> None:
    """Change what a staff member may do and where: a permission change, always audited."""
    role_list = list(roles)
    unknown = [role for role in role_list if role not in ROLES]
    if unknown:
        raise DomainError(_("Unknown role."), code="role_unknown", details={"roles": unknown})
    before = {
        "groups": sorted(profile.user.groups.values_list("name", flat=True)),
        "stores": sorted(profile.stores.values_list("code", flat=True)),
        "all_stores": profile.all_stores,
    }
    store_list = list(stores)
    profile.user.groups.set(Group.objects.filter(name__in=[role_group_name(role) for role in role_list]))
    profile.stores.set(store_list)
    StaffProfile.objects.filter(pk=profile.pk).update(all_stores=all_stores)
    after = {
        "groups": sorted(role_group_name(role) for role in role_list),
        "stores": sorted(store.code for store in store_list),
        "all_stores": all_stores,
    }
    audit_record(action="staff.access_change", obj=profile, before=before, after=after)


@transaction.atomic
def api_token_issue(*, user: Any, register: Register | None = None) -> tuple[ApiToken, str]:
    raw_token = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        register=register,
        key_hash=token_hash(raw_token),
        expires_at=timezone.now() + API_TOKEN_LIFETIME,
    )
    audit_record(
        action="auth.token_issue",
        obj=token,
        actor_id=user.pk,
        store_id=register.store_id if register else None,
        register_id=register.pk if register else None,
    )
    return token, raw_token


@transaction.atomic
def api_token_revoke(*, token: ApiToken) -> None:
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    audit_record(action="auth.token_revoke", obj=token)
