"""The catalog API: till look-up, search and changes; product CRUD with permissions; labels; import/export."""

from __future__ import annotations

import re
from collections.abc import Callable
from io import BytesIO

from django.test import Client
from PIL import Image

from mendian.catalog import services
from mendian.catalog.barcodes import scale_barcode_build
from mendian.catalog.models import SKU, Product, StorePrice
from mendian.core.models import AuditEntry

from .conftest import ean13


def test_cashier_cannot_change_prices_and_nothing_is_written(
    chain: object, cashier_a: object, api_as: Callable[..., object], make_product: Callable[..., Product]
) -> None:
    sku = SKU.objects.get(product=make_product(retail_price_fen=350))
    api = api_as(cashier_a, chain.register_a)
    status, body = api.put(f"/catalog/skus/{sku.pk}/price", {"retail_price_fen": 1})
    assert status == 403 and body["error"]["code"] == "permission_denied"
    status, _body = api.put(
        f"/catalog/skus/{sku.pk}/store-prices/{chain.store_a.pk}", {"retail_price_fen": 1}
    )
    assert status == 403
    status, _body = api.post("/catalog/products", {"code": "X1", "name": "X", "retail_price_fen": 1})
    assert status == 403
    sku.refresh_from_db()
    assert sku.retail_price_fen == 350 and not StorePrice.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="price.").exists()
    # but the cashier's till may look items up, search and sync
    assert api.get("/catalog/lookup", code=sku.code)[0] == 200


def test_hq_creates_a_product_matrix_and_changes_prices_through_the_api(
    chain: object, hq_admin: object, api_as: Callable[..., object]
) -> None:
    api = api_as(hq_admin)
    status, body = api.post(
        "/catalog/products",
        {
            "code": "POLO",
            "name": "男士Polo衫",
            "attributes": {"颜色": ["白", "黑", "红", "蓝"], "尺码": ["S", "M", "L", "XL", "XXL"]},
            "retail_price_fen": 12900,
            "cost_price_fen": 5000,
            "generate_barcodes": True,
        },
    )
    assert status == 201, body
    assert len(body["skus"]) == 20 and body["name_initials"] == "nspolos"
    assert all(len(sku["barcodes"]) == 1 and sku["barcodes"][0].startswith("20") for sku in body["skus"])
    sku_id = body["skus"][0]["id"]
    status, body = api.put(f"/catalog/skus/{sku_id}/price", {"retail_price_fen": 9900, "reason": "清仓"})
    assert status == 200 and body["retail_price_fen"] == 9900 and body["cost_price_fen"] == 5000
    status, body = api.put(
        f"/catalog/skus/{sku_id}/store-prices/{chain.store_b.pk}", {"retail_price_fen": 8900}
    )
    assert status == 200 and body == {
        "store_id": chain.store_b.pk,
        "sku_id": sku_id,
        "retail_price_fen": 8900,
        "unified_retail_price_fen": 9900,
        "is_store_override": True,
    }
    status, body = api.put(f"/catalog/skus/{sku_id}/price", {"retail_price_fen": -5})
    assert status == 422
    status, body = api.post("/catalog/products", {"code": "POLO", "name": "重复", "retail_price_fen": 1})
    assert status == 409 and body["error"]["code"] == "product_code_taken"
    status, body = api.post(f"/catalog/skus/{sku_id}/barcodes", {"code": "6901939621272"})
    assert status == 400 and body["error"]["code"] == "barcode_invalid"


def test_till_syncs_from_cursor_zero_with_its_store_price_in_fixed_queries(
    chain: object,
    cashier_a: object,
    api_as: Callable[..., object],
    make_product: Callable[..., Product],
    django_assert_max_num_queries: Callable[..., object],
) -> None:
    make_product("袜子", code="SOCK", attributes={"颜色": ["黑", "白", "灰"]}, retail_price_fen=1500)
    cola = make_product("可口可乐 330ml", code="COLA", barcodes=[ean13("690000000001")])
    services.store_price_set(store=chain.store_a, sku=SKU.objects.get(product=cola), retail_price_fen=300)
    api = api_as(cashier_a, chain.register_a)
    api.get("/catalog/changes", since=0, limit=1)  # warm up the session and permission caches
    # token + user, two permission queries, then the page as ONE query (JSON built by the database)
    # inside a savepoint (+ SET LOCAL jit on PostgreSQL): fixed, whatever the number of rows.
    with django_assert_max_num_queries(7):
        status, body = api.get("/catalog/changes", since=0, limit=100)
    assert status == 200 and not body["has_more"] and len(body["items"]) == 4
    cola_row = next(item for item in body["items"] if item["code"] == "COLA")
    assert (
        cola_row["price_fen"] == 300
        and cola_row["store_price_fen"] == 300
        and cola_row["retail_price_fen"] == 350
    )
    status, again = api.get("/catalog/changes", since=body["next_cursor"])
    assert again == {"items": [], "next_cursor": body["next_cursor"], "has_more": False}


def test_lookup_of_scale_label_and_unknown_code(
    chain: object, cashier_a: object, api_as: Callable[..., object], make_product: Callable[..., Product]
) -> None:
    sku = SKU.objects.get(product=make_product("苹果", code="APPLE", retail_price_fen=1280))
    services.sku_update(sku=sku, scale_plu="00011")
    api = api_as(cashier_a, chain.register_a)
    status, body = api.get(
        "/catalog/lookup", code=scale_barcode_build(plu="00011", weight_g=1500, price_fen=1920)
    )
    assert status == 200 and body["matched_by"] == "scale"
    assert (body["item"]["id"], body["scale_weight_g"], body["scale_price_fen"]) == (sku.pk, 1500, 1920)
    status, body = api.get("/catalog/lookup", code="6901939621271")
    assert status == 404 and body["error"]["code"] == "barcode_not_found"
    status, body = api.get("/catalog/search", q="pg")
    assert status == 200 and [item["code"] for item in body["items"]] == ["APPLE"]


def test_label_sheets_as_pdf_pages_and_png_sizes(
    chain: object, hq_admin: object, api_as: Callable[..., object], make_product: Callable[..., Product]
) -> None:
    cola = SKU.objects.get(product=make_product("可口可乐 330ml", code="COLA", barcodes=["6901939621271"]))
    tee = make_product("T恤", code="TEE", attributes={"尺码": ["S", "M"]}, retail_price_fen=5900)
    tee_s = tee.skus.order_by("code").first()
    api = api_as(hq_admin)
    # 20 + 10 = 30 labels: two A4 pages of 24
    lines = [{"sku_id": cola.pk, "copies": 20}, {"sku_id": tee_s.pk, "copies": 10}]
    status, pdf = api.post("/catalog/labels", {"items": lines, "layout": "a4", "format": "pdf"})
    assert status == 200 and pdf.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf)) == 2
    status, png = api.post("/catalog/labels", {"items": lines, "layout": "a4", "format": "png", "page": 2})
    image = Image.open(BytesIO(png))
    assert status == 200 and image.size == (1240, 1754)
    # roll labels: 40 × 30 mm at 203 dpi, one per page in a PDF, one strip as PNG
    lines = [{"sku_id": cola.pk, "copies": 3}]
    status, pdf = api.post("/catalog/labels", {"items": lines, "layout": "roll_40x30", "format": "pdf"})
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf)) == 3
    status, png = api.post("/catalog/labels", {"items": lines, "layout": "roll_40x30", "format": "png"})
    strip = Image.open(BytesIO(png))
    assert strip.size == (320, 720)
    # the label is not blank: the barcode's bars are black pixels in the lower half
    lower = strip.crop((0, 120, 320, 240)).convert("L")
    assert lower.histogram()[0] > 1000
    status, body = api.post("/catalog/labels", {"items": [{"sku_id": 999999, "copies": 1}]})
    assert status == 400 and body["error"]["code"] == "label_request_invalid"


def test_escpos_label_printing_sends_raster_images_and_cuts(make_product: Callable[..., Product]) -> None:
    from escpos.printer import Dummy

    from mendian.catalog.labels import label_contents_for, labels_print_escpos

    sku = SKU.objects.get(product=make_product("农夫山泉 550ml", code="NFSQ", barcodes=["6921168509256"]))
    printer = Dummy()
    printed = labels_print_escpos(printer, label_contents_for(lines=[(sku.pk, 2)], store_id=None))
    output = printer.output
    assert printed == 2
    assert output.count(b"\x1dv0") == 2  # GS v 0: raster bit image, one per label
    assert output.count(b"\x1dV") == 2  # GS V: cut after each label


def test_openapi_documents_the_catalog_endpoints(db: None) -> None:
    schema = Client().get("/api/v1/openapi.json").json()
    for path in ("/api/v1/catalog/changes", "/api/v1/catalog/lookup", "/api/v1/catalog/products"):
        assert path in schema["paths"]
    assert "TillItemOut" in schema["components"]["schemas"]


def test_store_manager_sets_own_store_price_but_not_another_store_or_the_unified_price(
    chain: object, manager_a: object, api_as: Callable[..., object], make_product: Callable[..., Product]
) -> None:
    sku = SKU.objects.get(product=make_product(retail_price_fen=350))
    api = api_as(manager_a)
    status, body = api.put(
        f"/catalog/skus/{sku.pk}/store-prices/{chain.store_a.pk}", {"retail_price_fen": 330}
    )
    assert status == 200 and body["retail_price_fen"] == 330
    status, _body = api.put(
        f"/catalog/skus/{sku.pk}/store-prices/{chain.store_b.pk}", {"retail_price_fen": 1}
    )
    assert status == 404
    status, _body = api.put(f"/catalog/skus/{sku.pk}/price", {"retail_price_fen": 1})
    assert status == 403
    assert list(StorePrice.objects.values_list("store_id", "retail_price_fen")) == [(chain.store_a.pk, 330)]


def test_change_feed_json_written_by_the_database_equals_the_selector_rows(
    chain: object, cashier_a: object, api_as: Callable[..., object], make_product: Callable[..., Product]
) -> None:
    from mendian.catalog.models import Unit
    from mendian.catalog.selectors import catalog_changes

    kilogram = Unit.objects.create(name="千克", is_weighed=True)
    pork = SKU.objects.get(product=make_product("五花肉", code="PORK", unit=kilogram, retail_price_fen=3580))
    services.sku_update(sku=pork, scale_plu="00001")
    cola = SKU.objects.get(product=make_product("可口可乐", code="COLA", barcodes=[ean13("690000000001")]))
    services.barcode_add(sku=cola, code="036000291452")
    services.store_price_set(store=chain.store_a, sku=cola, retail_price_fen=300)
    make_product("洗剪吹", code="CUT", kind="service", service_minutes=45, retail_price_fen=4800)
    tee = make_product(
        "T恤", code="TEE", attributes={"颜色": ["白"], "尺码": ["S", "M"]}, member_price_fen=4900
    )
    services.sku_update(sku=tee.skus.order_by("code").first(), is_active=False)
    status, body = api_as(cashier_a, chain.register_a).get("/catalog/changes", since=0, limit=3)
    expected = catalog_changes(since=0, limit=3, store_id=chain.store_a.pk)
    assert status == 200 and body["items"] == expected.items
    assert (body["next_cursor"], body["has_more"]) == (expected.next_cursor, True)
    status, body = api_as(cashier_a, chain.register_a).get("/catalog/changes", since=body["next_cursor"])
    rest = catalog_changes(since=expected.next_cursor, store_id=chain.store_a.pk)
    assert body["items"] == rest.items and len(rest.items) == 2 and body["has_more"] is False
    cola_row = next(item for page in (expected.items, rest.items) for item in page if item["code"] == "COLA")
    assert cola_row["barcodes"] == [ean13("690000000001"), "036000291452"] and cola_row["price_fen"] == 300
