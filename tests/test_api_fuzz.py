"""Schemathesis drives every API operation with generated input, as each role: bad input is a 4xx, never a
500, every refusal uses the error format, and every answer the schema describes matches it.

Kept short for CI: schemathesis' boundary cases plus 8 generated examples per operation as HQ, then 3
derandomised generated examples per operation and role; staff are created with a fast password hasher
(argon2 takes most of a second per hash on the build machine, twice per staff member).
"""

import json
import os
from urllib.parse import urlencode

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from mendian.config.api import api

schema = schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix="/api/v1"))
ROLES = ["hq_admin", "store_manager", "cashier", "stock_clerk", "finance", "marketing"]
# A deeper run on a developer's machine: MENDIAN_FUZZ_EXAMPLES=50 pytest tests/test_api_fuzz.py
EXAMPLES_PER_ROLE = int(os.environ.get("MENDIAN_FUZZ_EXAMPLES", "3"))


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def chain(db):
    """The shared two-store chain without re-running roles_sync (a third of a second per test): the
    role groups are in the test database already, synced after its migrations."""
    from django.contrib.auth.models import Group

    from mendian.stores import services as store_services
    from mendian.stores.roles import ROLES as ROLE_GROUPS
    from tests.conftest import Chain

    assert Group.objects.filter(name__in=[name for name, _patterns in ROLE_GROUPS.values()]).count() == len(
        ROLE_GROUPS
    )
    store_a = store_services.store_create(code="A01", name="A店")
    store_b = store_services.store_create(code="B01", name="B店")
    register_a, token_a = store_services.register_create(store=store_a, code="T1", name="A1")
    register_b, token_b = store_services.register_create(store=store_b, code="T1", name="B1")
    return Chain(store_a, store_b, register_a, token_a, register_b, token_b)


@pytest.fixture
def hq_token(hq_admin, token_for):
    return token_for(hq_admin)


@pytest.fixture(params=ROLES)
def role_token(request, chain, make_staff, token_for):
    """A bearer token of one staff member of the role: HQ for all stores, the others for store A; the
    cashier signed in at store A's till, as at work."""
    role = request.param
    if role == "hq_admin":
        return token_for(make_staff([role], all_stores=True))
    register = chain.register_a if role == "cashier" else None
    return token_for(make_staff([role], [chain.store_a]), register)


def _send_and_check(case, token, client):
    kwargs = case.as_transport_kwargs(headers={"Authorization": f"Bearer {token}"})
    headers = {k: v for k, v in (kwargs.get("headers") or {}).items() if k.lower() != "content-type"}
    query = urlencode(kwargs.get("params") or {}, doseq=True)
    body = kwargs.get("json")
    data = json.dumps(body) if body is not None else (kwargs.get("data") or "")
    url = kwargs["url"] + ("?" + query if query else "")
    # when it reaches the app
    response = client.generic(
        kwargs["method"], url, data=data, content_type="application/json", headers=headers
    )
    # then it never fails on our side, and every refusal uses the error format
    assert response.status_code < 500, (case.method, case.path, response.content[:500])
    if response.status_code >= 400 and response.status_code != 405:
        assert response["Content-Type"].startswith("application/json"), (
            case.method,
            case.path,
            response.content[:300],
        )
        assert set(response.json()["error"]) == {"code", "message", "details"}
    # and an answer with a status the schema documents has the documented media type and shape
    sent = requests.Request(kwargs["method"], "http://testserver" + url, headers=headers, data=data).prepare()
    case.validate_response(
        schemathesis.Response(
            status_code=response.status_code,
            headers={name: [value] for name, value in response.headers.items()},
            content=response.content,
            request=sent,
            elapsed=0.0,
            verify=True,
        ),
        checks=[response_schema_conformance, content_type_conformance],
    )


@schema.parametrize()
@hypothesis_settings(max_examples=8, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_api_answers_boundary_and_generated_input_without_server_errors(case, hq_token, client):
    # given a request from schemathesis' boundary cases (valid and deliberately malformed) or generated
    # from the schema, sent by an HQ admin, who may call every operation
    _send_and_check(case, hq_token, client)


@schema.parametrize()
@hypothesis_settings(
    max_examples=EXAMPLES_PER_ROLE,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.generate],
)
def test_api_answers_generated_input_as_every_role_without_server_errors(case, role_token, client):
    # given a few requests generated from the schema, sent by a member of staff of each role (what a role
    # may not do is refused before any work; what it may do runs with its store scope)
    _send_and_check(case, role_token, client)
