"""Schemathesis drives every API operation with generated input: bad input is a 4xx, never a 500."""

import json
from urllib.parse import urlencode

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from mendian.config.api import api

schema = schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix="/api/v1"))


@pytest.fixture
def hq_token(hq_admin, token_for):
    return token_for(hq_admin)


@schema.parametrize()
@settings(max_examples=8, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_api_answers_generated_input_without_server_errors(case, hq_token, client):
    # given a generated request (valid or deliberately malformed) sent by an HQ admin
    kwargs = case.as_transport_kwargs(headers={"Authorization": f"Bearer {hq_token}"})
    headers = {k: v for k, v in (kwargs.get("headers") or {}).items() if k.lower() != "content-type"}
    query = urlencode(kwargs.get("params") or {}, doseq=True)
    body = kwargs.get("json")
    data = json.dumps(body) if body is not None else (kwargs.get("data") or "")
    # when it reaches the app
    response = client.generic(
        kwargs["method"],
        kwargs["url"] + ("?" + query if query else ""),
        data=data,
        content_type="application/json",
        headers=headers,
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
