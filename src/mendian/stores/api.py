"""API of stores, registers and sign-in."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status

from mendian.core.errors import DomainError, PermissionDeniedError, Unauthenticated
from mendian.stores import selectors, services
from mendian.stores.models import Register, Store
from mendian.stores.schemas import (
    MeOut,
    RegisterCreatedOut,
    RegisterIn,
    RegisterOut,
    StoreIn,
    StoreOut,
    TokenIn,
    TokenOut,
)

auth_router = Router(tags=["auth"])
router = Router(tags=["stores"])


@auth_router.post("/token", response=TokenOut, auth=None, summary="Get a bearer token")
def token_create(request: HttpRequest, payload: TokenIn) -> dict[str, object]:
    if payload.username:
        user = authenticate(request, username=payload.username, password=payload.password)
    else:
        user = authenticate(
            request, register_token=payload.register_token, employee_no=payload.employee_no, pin=payload.pin
        )
    if user is None:
        raise Unauthenticated(_("Wrong sign-in details."), code="invalid_credentials")
    if getattr(request, "axes_locked_out", False):
        raise DomainError(_("Too many failed sign-in attempts."), code="locked_out")
    register = getattr(user, "mendian_register", None)
    token, raw = services.api_token_issue(user=user, register=register)
    profile = selectors.staff_profile(user)
    return {
        "token": raw,
        "expires_at": token.expires_at,
        "user_id": user.pk,
        "display_name": profile.display_name if profile else user.get_username(),
        "register_id": register.pk if register else None,
        "store_id": register.store_id if register else None,
    }


@auth_router.get("/me", response=MeOut, summary="Who am I")
def me(request: HttpRequest) -> dict[str, object]:
    user = request.user
    profile = selectors.staff_profile(user)
    store_ids = selectors.staff_store_ids(user)
    register = getattr(request, "mendian_register", None)
    return {
        "user_id": user.pk,
        "username": user.get_username(),
        "display_name": profile.display_name if profile else user.get_username(),
        "employee_no": profile.employee_no if profile else None,
        "roles": sorted(user.groups.values_list("name", flat=True)),  # type: ignore[attr-defined]
        "all_stores": store_ids is None,
        "store_ids": sorted(store_ids) if store_ids is not None else [],
        "register_id": register.pk if register else None,
    }


@auth_router.post("/logout", response={204: None}, summary="Revoke the bearer token in use")
def logout(request: HttpRequest) -> Status:
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        token = selectors.api_token_lookup(header[7:].strip())
        if token is not None:
            services.api_token_revoke(token=token)
    return Status(204, None)


@router.get("/", response=list[StoreOut], summary="Stores I can see")
def store_list(request: HttpRequest) -> list[Store]:
    selectors.permission_check(request.user, "stores.view_store")
    return list(selectors.stores_visible_to(request.user))


@router.post("/", response={201: StoreOut}, summary="Create a store (HQ)")
def store_create(request: HttpRequest, payload: StoreIn) -> Status:
    selectors.permission_check(request.user, "stores.add_store")
    if selectors.staff_store_ids(request.user) is not None:
        raise PermissionDeniedError(_("Only HQ staff can open a store."))
    return Status(201, services.store_create(**payload.dict()))


@router.post(
    "/registers",
    response={201: RegisterCreatedOut},
    summary="Create a register; its device token is shown once",
)
def register_create(request: HttpRequest, payload: RegisterIn) -> Status:
    selectors.permission_check(request.user, "stores.add_register")
    store = selectors.store_get(request.user, payload.store_id)
    register, raw_token = services.register_create(
        store=store, code=payload.code, name=payload.name, is_training=payload.is_training
    )
    return Status(201, {**_register_out(register), "device_token": raw_token})


@router.get("/registers", response=list[RegisterOut], summary="Registers I can see")
def register_list(request: HttpRequest, store_id: int | None = None) -> list[dict[str, object]]:
    selectors.permission_check(request.user, "stores.view_register")
    registers = selectors.registers_visible_to(request.user)
    if store_id is not None:
        registers = registers.filter(store_id=store_id)
    return [_register_out(register) for register in registers]


@router.get("/registers/{register_id}", response=RegisterOut, summary="One register")
def register_detail(request: HttpRequest, register_id: int) -> dict[str, object]:
    selectors.permission_check(request.user, "stores.view_register")
    return _register_out(selectors.register_get(request.user, register_id))


@router.post(
    "/registers/{register_id}/revoke", response=RegisterOut, summary="Revoke a register's device token"
)
def register_revoke(request: HttpRequest, register_id: int) -> dict[str, object]:
    selectors.permission_check(request.user, "stores.change_register")
    register = selectors.register_get(request.user, register_id)
    services.register_token_revoke(register=register)
    register.refresh_from_db()
    return _register_out(register)


@router.get("/{store_id}", response=StoreOut, summary="One store")
def store_detail(request: HttpRequest, store_id: int) -> Store:
    selectors.permission_check(request.user, "stores.view_store")
    return selectors.store_get(request.user, store_id)


def _register_out(register: Register) -> dict[str, object]:
    return {
        "id": register.pk,
        "store_id": register.store_id,
        "code": register.code,
        "name": register.name,
        "is_training": register.is_training,
        "is_active": register.is_active,
        "token_revoked": register.token_revoked_at is not None,
        "paper_width_mm": register.paper_width_mm,
    }
