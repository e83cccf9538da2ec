"""Shared fixtures: two stores with a register each, staff of every role, and a JSON API client."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from mendian.stores import services as store_services
from mendian.stores.models import Register, StaffProfile, Store
from mendian.stores.roles import roles_sync

PASSWORD = "correct-horse-battery"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    from django.conf import settings

    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL=postgres://…)")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip_pg)


class ApiClient:
    """Calls /api/v1/ with JSON and, when given, a bearer token. Returns (status, parsed body)."""

    def __init__(self, token: str | None = None, client: Client | None = None, language: str | None = None):
        self.client = client or Client()
        self.token = token
        self.language = language

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        headers: dict[str, str] = {}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if self.language:
            headers["Accept-Language"] = self.language
        headers.update(extra or {})
        return headers

    @staticmethod
    def _parse(response: Any) -> Any:
        if not response.content:
            return None
        if response.get("Content-Type", "").startswith("application/json"):
            return response.json()
        return response.content

    def get(self, path: str, headers: dict[str, str] | None = None, **params: Any) -> tuple[int, Any]:
        response = self.client.get("/api/v1" + path, params, headers=self._headers(headers))
        return response.status_code, self._parse(response)

    def post(
        self, path: str, body: Any = None, headers: dict[str, str] | None = None, raw: str | None = None
    ) -> tuple[int, Any]:
        data = raw if raw is not None else json.dumps(body if body is not None else {})
        response = self.client.post(
            "/api/v1" + path, data=data, content_type="application/json", headers=self._headers(headers)
        )
        return response.status_code, self._parse(response)

    def put(self, path: str, body: Any = None, headers: dict[str, str] | None = None) -> tuple[int, Any]:
        response = self.client.put(
            "/api/v1" + path,
            data=json.dumps(body or {}),
            content_type="application/json",
            headers=self._headers(headers),
        )
        return response.status_code, self._parse(response)

    def patch(self, path: str, body: Any = None, headers: dict[str, str] | None = None) -> tuple[int, Any]:
        response = self.client.patch(
            "/api/v1" + path,
            data=json.dumps(body if body is not None else {}),
            content_type="application/json",
            headers=self._headers(headers),
        )
        return response.status_code, self._parse(response)

    def delete(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, Any]:
        response = self.client.delete("/api/v1" + path, headers=self._headers(headers))
        return response.status_code, self._parse(response)


@dataclass
class Chain:
    store_a: Store
    store_b: Store
    register_a: Register
    register_a_token: str
    register_b: Register
    register_b_token: str


@pytest.fixture
def chain(db: None) -> Chain:
    roles_sync()
    store_a = store_services.store_create(code="A01", name="A店")
    store_b = store_services.store_create(code="B01", name="B店")
    register_a, token_a = store_services.register_create(store=store_a, code="T1", name="A1")
    register_b, token_b = store_services.register_create(store=store_b, code="T1", name="B1")
    return Chain(store_a, store_b, register_a, token_a, register_b, token_b)


@pytest.fixture
def make_staff(db: None) -> Callable[..., StaffProfile]:
    counter = {"n": 0}

    def make(
        roles: list[str],
        stores: list[Store] | None = None,
        *,
        all_stores: bool = False,
        pin: str = "1234",
        username: str | None = None,
    ) -> StaffProfile:
        counter["n"] += 1
        number = counter["n"]
        return store_services.staff_create(
            username=username or f"staff{number}",
            password=PASSWORD,
            employee_no=f"E{number:04d}",
            display_name=f"员工{number}",
            roles=roles,
            stores=stores or [],
            all_stores=all_stores,
            pin=pin,
        )

    return make


@pytest.fixture
def token_for() -> Callable[[StaffProfile], str]:
    """A bearer token for a staff member (signed in with a password, not at a till)."""

    def issue(profile: StaffProfile, register: Register | None = None) -> str:
        _token, raw = store_services.api_token_issue(user=profile.user, register=register)
        return raw

    return issue


@pytest.fixture
def api_as(token_for: Callable[..., str]) -> Callable[..., ApiClient]:
    def make(
        profile: StaffProfile, register: Register | None = None, language: str | None = None
    ) -> ApiClient:
        return ApiClient(token_for(profile, register), language=language)

    return make


@pytest.fixture
def hq_admin(chain: Chain, make_staff: Callable[..., StaffProfile]) -> StaffProfile:
    return make_staff(["hq_admin"], all_stores=True, username="hq")


@pytest.fixture
def cashier_a(chain: Chain, make_staff: Callable[..., StaffProfile]) -> StaffProfile:
    return make_staff(["cashier"], [chain.store_a], username="cashier_a", pin="2468")


@pytest.fixture
def manager_a(chain: Chain, make_staff: Callable[..., StaffProfile]) -> StaffProfile:
    return make_staff(["store_manager"], [chain.store_a], username="manager_a", pin="1357")
