"""The API's error format, translated by Accept-Language, and never a 500 on bad input."""

import pytest

from tests.conftest import ApiClient


def test_malformed_json_is_a_400_in_the_error_format(hq_admin, api_as):
    status, body = api_as(hq_admin).post("/stores/", raw="{not json")
    assert status == 400
    assert body["error"]["code"] == "malformed_json"
    assert body["error"]["message"] == "请求内容不是有效的 JSON。"


def test_wrong_types_give_422_with_the_fields(hq_admin, api_as):
    status, body = api_as(hq_admin).post("/stores/registers", {"store_id": "abc", "code": "T9", "name": "x"})
    assert status == 422
    assert body["error"]["code"] == "validation_error"
    assert ["body", "payload", "store_id"] in [field["loc"] for field in body["error"]["details"]["fields"]]


def test_messages_follow_accept_language(hq_admin, api_as):
    status_zh, zh = api_as(hq_admin, language="zh-hans").get("/stores/999999")
    status_en, en = api_as(hq_admin, language="en").get("/stores/999999")
    status_hant, hant = api_as(hq_admin, language="zh-hant").get("/stores/999999")
    assert status_zh == status_en == status_hant == 404
    assert zh["error"] == {"code": "not_found", "message": "未找到。", "details": {}}
    assert en["error"]["message"] == "Not found."
    assert hant["error"]["message"] == "找不到。"


def test_no_token_is_401_and_a_bad_token_too(db):
    status, body = ApiClient().get("/stores/")
    assert status == 401
    assert body["error"]["code"] == "unauthenticated"
    status, _body = ApiClient("not-a-token").get("/stores/")
    assert status == 401


def test_session_post_without_csrf_is_refused(hq_admin, chain):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(hq_admin.user)
    response = client.post(
        "/api/v1/stores/", data={"code": "X1", "name": "x"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "csrf_failed"


def test_an_id_too_large_for_the_database_is_never_a_500(hq_admin, api_as):
    # SQLite cannot bind such an integer (422); PostgreSQL compares it as numeric and finds nothing.
    status, body = api_as(hq_admin).get("/stores/registers", store_id=10**30)
    assert (status, body) in [(200, []), (422, body)]
    if status == 422:
        assert body["error"]["code"] == "value_out_of_range"


LISTS_WITH_AN_OFFSET = [
    ("/inventory/levels", {}),
    ("/inventory/moves", {}),
    ("/inventory/transfers", {}),
    ("/inventory/stocktakes", {}),
    ("/inventory/alerts", {}),
    ("/inventory/serials", {}),
    ("/inventory/reports/movements", {"sku_id": 1}),
    ("/catalog/products", {}),
    ("/sales/orders", {}),
]


@pytest.mark.parametrize(("path", "params"), LISTS_WITH_AN_OFFSET)
@pytest.mark.parametrize("offset", [2**63, -1])
def test_an_offset_beyond_the_bound_is_a_422_on_every_list(hq_admin, api_as, path, params, offset):
    # Given an offset no list can reach (or a negative one)
    # When a list is asked for it
    status, body = api_as(hq_admin).get(path, offset=offset, **params)
    # Then the answer is a validation error naming the offset, not a 500
    assert status == 422, body
    assert body["error"]["code"] == "validation_error"
    assert [field["loc"] for field in body["error"]["details"]["fields"]] == [["query", "offset"]]
