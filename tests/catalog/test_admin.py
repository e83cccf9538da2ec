"""Back-office pages of the catalog open and save through the services."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from mendian.catalog.models import SKU, Product
from mendian.core.models import AuditEntry


def _login(profile: object) -> Client:
    client = Client()
    client.force_login(profile.user)
    return client


def test_every_catalog_admin_page_opens_for_hq(
    hq_admin: object, make_product: Callable[..., Product]
) -> None:
    product = make_product("可口可乐 330ml", code="COLA", barcodes=["6901939621271"])
    sku = product.skus.get()
    client = _login(hq_admin)
    for path in [
        "category",
        "brand",
        "unit",
        "product",
        "sku",
        "barcode",
        "storeprice",
        "pricechange",
        "product/add",
        f"product/{product.pk}/change",
        f"sku/{sku.pk}/change",
        "product/import-catalog",
        "category/import",
    ]:
        response = client.get(f"/admin/catalog/{path}/")
        assert response.status_code == 200, path
    assert client.get("/admin/catalog/product/", {"q": "kkkl"}).content.count(b"COLA") >= 1
    response = client.get("/admin/catalog/product/export-csv/")
    assert response.status_code == 200 and "可口可乐".encode() in response.content


def test_admin_creates_a_variant_matrix_and_imports_a_file(hq_admin: object) -> None:
    client = _login(hq_admin)
    response = client.post(
        "/admin/catalog/product/add/",
        {
            "code": "HOODIE",
            "name": "连帽卫衣",
            "kind": "goods",
            "is_active": "on",
            "variant_attributes": "颜色: 灰, 黑\n尺码: M, L, XL",
            "retail_price": "199",
            "cost_price": "80",
            "skus-TOTAL_FORMS": "0",
            "skus-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    assert SKU.objects.filter(product__code="HOODIE").count() == 6
    assert set(SKU.objects.values_list("retail_price_fen", flat=True)) == {19900}
    upload = SimpleUploadedFile("c.csv", "商品编码,商品名称,零售价\nTEA,绿茶,4.00\nBAD!,坏,1\n".encode())
    response = client.post("/admin/catalog/product/import-catalog/", {"file": upload})
    assert response.status_code == 200 and not Product.objects.filter(code="TEA").exists()
    upload = SimpleUploadedFile("c.csv", "商品编码,商品名称,零售价\nTEA,绿茶,4.00\nBAD!,坏,1\n".encode())
    response = client.post(
        "/admin/catalog/product/import-catalog/", {"file": upload, "valid_rows_only": "on"}
    )
    assert response.status_code == 200 and Product.objects.filter(code="TEA").exists()
    assert AuditEntry.objects.filter(action="product.create").count() == 2


def test_sku_admin_prints_a_label_sheet_of_the_selected_skus(
    hq_admin: object, make_product: Callable[..., Product]
) -> None:
    product = make_product(
        "袜子", code="SOCK", attributes={"颜色": ["黑", "白", "灰"]}, retail_price_fen=1500
    )
    client = _login(hq_admin)
    response = client.post(
        "/admin/catalog/sku/",
        {
            "action": "labels_roll",
            "_selected_action": [str(pk) for pk in product.skus.values_list("pk", flat=True)],
        },
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", response.content)) == 3
