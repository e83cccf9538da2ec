"""A request body over DATA_UPLOAD_MAX_MEMORY_SIZE gets the API's JSON error with 413, wherever it is read."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from django.conf import settings
from django.test import Client

from mendian.core.models import IdempotencyRecord
from mendian.stores.models import StaffProfile, Store
from tests.conftest import ApiClient


def _too_large_json() -> str:
    return json.dumps({"code": "BIG", "name": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)})


@pytest.mark.parametrize("headers", [{}, {"Idempotency-Key": "big-1"}], ids=["plain", "idempotent"])
def test_a_json_body_over_the_limit_is_a_json_413(
    headers: dict[str, str], hq_admin: StaffProfile, api_as: Callable[..., ApiClient]
) -> None:
    # given an HQ admin; when a JSON body larger than the upload limit is posted
    status, body = api_as(hq_admin, language="en").post("/stores/", raw=_too_large_json(), headers=headers)
    # then the answer is the error format with 413, and nothing was created or kept
    assert status == 413
    assert body["error"] == {
        "code": "request_too_large",
        "message": "The request is too large.",
        "details": {"max_bytes": settings.DATA_UPLOAD_MAX_MEMORY_SIZE},
    }
    assert not Store.objects.filter(code="BIG").exists()
    assert not IdempotencyRecord.objects.exists()


def test_a_form_field_over_the_limit_on_an_upload_is_a_json_413(
    hq_admin: StaffProfile, token_for: Callable[..., str]
) -> None:
    # given an HQ admin uploading a catalogue file with a huge extra form field
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("c.csv", "商品编码,商品名称,零售价\n".encode(), content_type="text/csv")
    # when it is posted as multipart
    response = Client().post(
        "/api/v1/catalog/import",
        {"file": upload, "note": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)},
        headers={"Authorization": f"Bearer {token_for(hq_admin)}", "Accept-Language": "zh-hans"},
    )
    # then it is the JSON 413 too, translated
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "request_too_large"
    assert response.json()["error"]["message"] == "请求内容过大。"


def test_outside_the_api_a_too_large_body_keeps_django_s_400(hq_admin: StaffProfile) -> None:
    # given a signed-in page user; when a form over the limit is posted to a page
    client = Client()
    client.force_login(hq_admin.user)
    response = client.post(
        "/admin/login/",
        "a=" + "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1),
        content_type="application/x-www-form-urlencoded",
    )
    # then it is Django's own 400 page, not the API's JSON
    assert response.status_code == 400
    assert not response["Content-Type"].startswith("application/json")
