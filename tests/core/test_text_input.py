"""Text the database cannot store (a lone UTF-16 surrogate, a NUL character) is refused at the API's
door with 422 wherever it comes in: a JSON string, a JSON object key, a query parameter."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from mendian.catalog import services as catalog_services
from mendian.catalog.models import SKU, Product
from mendian.core.models import AuditEntry
from mendian.stores.models import StaffProfile
from tests.conftest import ApiClient

# JSON text as a client writes it: the escape is valid JSON but decodes to a lone surrogate.
LONE_SURROGATE = "\\ud800"
NUL = "\\u0000"


def _fields(body: dict) -> list[dict]:
    return body["error"]["details"]["fields"]


@pytest.mark.parametrize("escape", [LONE_SURROGATE, NUL])
def test_a_product_name_the_database_cannot_store_is_a_422_and_nothing_is_written(
    escape: str, hq_admin: StaffProfile, api_as: Callable[..., ApiClient]
) -> None:
    # given an HQ admin
    api = api_as(hq_admin, language="en")
    # when a product is created with a name holding the escape
    raw = f'{{"code": "BAD1", "name": "可乐{escape}", "retail_price_fen": 350}}'
    status, body = api.post("/catalog/products", raw=raw)
    # then it is a 422 in the error format that names the field, and no product exists
    assert status == 422
    assert body["error"]["code"] == "validation_error"
    assert body["error"]["message"] == "Some fields are missing or invalid."
    assert _fields(body) == [
        {
            "loc": ["body", "name"],
            "type": "string_invalid_characters",
            "message": "Text may not contain NUL characters or unpaired UTF-16 surrogates.",
        }
    ]
    assert not Product.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="product.").exists()


@pytest.mark.parametrize(
    ("attributes", "loc"),
    [
        (f'{{"颜色": "白{LONE_SURROGATE}"}}', ["body", "attributes", "颜色"]),
        # the key itself is the bad text: the location shows it with the surrogate replaced
        (f'{{"颜{LONE_SURROGATE}": "白"}}', ["body", "attributes", "颜\ufffd"]),
        (f'{{"颜色": "白{NUL}"}}', ["body", "attributes", "颜色"]),
    ],
)
def test_sku_attributes_the_database_cannot_store_are_a_422_and_nothing_is_written(
    attributes: str,
    loc: list[str],
    hq_admin: StaffProfile,
    api_as: Callable[..., ApiClient],
) -> None:
    # given a product with one SKU
    product = catalog_services.product_create_with_variants(code="P1", name="可乐", retail_price_fen=350)
    skus_before = SKU.objects.count()
    # when a variant is added with such an attribute
    raw = f'{{"attributes": {attributes}, "retail_price_fen": 300}}'
    status, body = api_as(hq_admin, language="zh-hans").post(f"/catalog/products/{product.pk}/skus", raw=raw)
    # then it is refused, translated, and no SKU was added
    assert status == 422
    assert body["error"]["message"] == "有字段缺失或无效。"
    assert [field["loc"] for field in _fields(body)] == [loc]
    assert _fields(body)[0]["message"] == "文本不能包含 NUL 字符或不成对的 UTF-16 代理项。"
    assert SKU.objects.count() == skus_before


def test_a_nul_character_in_a_query_parameter_is_a_422(
    hq_admin: StaffProfile, api_as: Callable[..., ApiClient]
) -> None:
    # given an HQ admin; when a search term carries a NUL character (PostgreSQL refuses it in a query)
    status, body = api_as(hq_admin, language="zh-hant").get("/catalog/search", q="可\x00乐")
    # then it is a 422 naming the parameter
    assert status == 422
    assert [field["loc"] for field in _fields(body)] == [["query", "q"]]
    assert _fields(body)[0]["message"] == "文字不能包含 NUL 字元或不成對的 UTF-16 代理項。"


def test_ordinary_text_with_escapes_still_passes(
    hq_admin: StaffProfile, api_as: Callable[..., ApiClient]
) -> None:
    # given a name written with JSON escapes of ordinary characters and a real surrogate pair (an emoji)
    raw = json.dumps({"code": "OK1", "name": "可乐 \U0001f964", "retail_price_fen": 350}, ensure_ascii=True)
    assert "\\ud83e\\udd64" in raw
    # when it is sent
    status, _body = api_as(hq_admin).post("/catalog/products", raw=raw)
    # then the product is created with the emoji intact
    assert status == 201
    assert Product.objects.get(code="OK1").name == "可乐 \U0001f964"
