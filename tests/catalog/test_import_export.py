"""Import of products, variants, prices and barcodes from CSV/XLSX, with a per-row error report."""

from __future__ import annotations

from collections.abc import Callable

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from mendian.catalog import services, spreadsheets
from mendian.catalog.models import SKU, Barcode, Category, Product
from mendian.core.models import AuditEntry

from .conftest import ean13

HEADER = "商品编码,商品名称,SKU编码,规格,零售价,会员价,进价,条码,分类编码,品牌,单位\n"
GOOD_ROWS = (
    f"COLA,可口可乐 330ml,,,3.50,3.20,1.80,{ean13('690000000011')},DRINK,可口可乐,瓶\n"
    "TEE,纯棉T恤,TEE-WS,颜色:白;尺码:S,99,,30,,,,件\n"
    "TEE,纯棉T恤,TEE-WM,颜色:白;尺码:M,99,,30,,,,件\n"
)
BAD_ROWS = (
    "BAD CODE,空格编码,,,1.00,,,,,,\n"  # line 5: bad code
    "NEW1,新品,,,abc,,,,,,\n"  # line 6: bad price
    f"NEW2,新品二,,,1.00,,,{ean13('690000000011')[:-1]}0,NOPE,,\n"  # line 7: bad barcode, unknown category
)


def _csv(text: str) -> bytes:
    return text.encode("utf-8-sig")


def test_file_with_bad_rows_writes_nothing_and_reports_every_row(db: None) -> None:
    Category.objects.create(code="DRINK", name="饮料")
    report = spreadsheets.catalog_import(content=_csv(HEADER + GOOD_ROWS + BAD_ROWS), filename="catalog.csv")
    assert not report.written and report.rows_total == 6 and report.rows_valid == 3
    assert [error["row"] for error in report.errors] == [5, 6, 7]
    assert len(report.errors[2]["errors"]) == 2
    assert not Product.objects.exists() and not SKU.objects.exists() and not Barcode.objects.exists()
    assert not AuditEntry.objects.exists()


def test_valid_rows_mode_writes_the_good_rows_only(db: None) -> None:
    Category.objects.create(code="DRINK", name="饮料")
    report = spreadsheets.catalog_import(
        content=_csv(HEADER + GOOD_ROWS + BAD_ROWS), filename="catalog.csv", valid_rows_only=True
    )
    assert report.written and (report.products_created, report.skus_created) == (2, 3)
    assert [error["row"] for error in report.errors] == [5, 6, 7]
    cola = SKU.objects.select_related("product__category", "product__brand", "product__unit").get(code="COLA")
    assert (cola.retail_price_fen, cola.member_price_fen, cola.cost_price_fen) == (350, 320, 180)
    assert (cola.product.category.code, cola.product.brand.name, cola.product.unit.name) == (
        "DRINK",
        "可口可乐",
        "瓶",
    )
    assert list(cola.barcodes.values_list("code", flat=True)) == [ean13("690000000011")]
    tee = SKU.objects.get(code="TEE-WM")
    assert tee.attributes == {"颜色": "白", "尺码": "M"} and tee.variant_name == "白 / M"
    assert set(Product.objects.values_list("code", flat=True)) == {"COLA", "TEE"}


def test_reimport_updates_prices_with_audit_and_export_round_trips_as_xlsx(db: None) -> None:
    Category.objects.create(code="DRINK", name="饮料")
    spreadsheets.catalog_import(content=_csv(HEADER + GOOD_ROWS), filename="c.csv")
    changed = GOOD_ROWS.replace("COLA,可口可乐 330ml,,,3.50", "COLA,可口可乐 330ml,,,3.80")
    report = spreadsheets.catalog_import(content=_csv(HEADER + changed), filename="c.csv")
    assert report.written and (report.products_created, report.skus_created, report.skus_updated) == (0, 0, 3)
    assert SKU.objects.get(code="COLA").retail_price_fen == 380
    entry = AuditEntry.objects.get(action="price.change")
    assert (entry.before["retail_price_fen"], entry.after["retail_price_fen"]) == (350, 380)
    # export as XLSX, import it again: nothing changes, nothing is created
    table = spreadsheets.catalog_export_rows()
    assert table[0][:3] == ["商品编码", "商品名称", "SKU编码"] and len(table) == 4
    xlsx = spreadsheets.table_to_xlsx(table)
    report = spreadsheets.catalog_import(content=xlsx, filename="catalog.xlsx")
    assert report.written and report.errors == [] and report.skus_created == 0
    assert AuditEntry.objects.filter(action="price.change").count() == 1
    csv_bytes = spreadsheets.table_to_csv(table)
    assert csv_bytes.startswith(b"\xef\xbb\xbf") and "可口可乐".encode() in csv_bytes


def test_import_through_the_api_reports_errors_and_needs_permission(
    chain: object, hq_admin: object, cashier_a: object, token_for: Callable[..., str]
) -> None:
    services.product_create_with_variants(code="OLD", name="旧品", retail_price_fen=100)
    client = Client()
    upload = SimpleUploadedFile("c.csv", _csv(HEADER + BAD_ROWS), content_type="text/csv")
    response = client.post(
        "/api/v1/catalog/import", {"file": upload}, headers={"Authorization": f"Bearer {token_for(hq_admin)}"}
    )
    body = response.json()
    assert response.status_code == 200 and not body["written"] and len(body["errors"]) == 3
    upload = SimpleUploadedFile("c.csv", _csv(HEADER + GOOD_ROWS), content_type="text/csv")
    response = client.post(
        "/api/v1/catalog/import",
        {"file": upload},
        headers={"Authorization": f"Bearer {token_for(cashier_a)}"},
    )
    assert response.status_code == 403 and Product.objects.count() == 1
    response = client.get(
        "/api/v1/catalog/export",
        {"format": "csv"},
        headers={"Authorization": f"Bearer {token_for(hq_admin)}"},
    )
    assert response.status_code == 200 and "旧品" in response.content.decode("utf-8-sig")
    response = client.post(
        "/api/v1/catalog/import",
        {"file": SimpleUploadedFile("x.xlsx", b"not a workbook")},
        headers={"Authorization": f"Bearer {token_for(hq_admin)}"},
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "import_file_invalid"


def test_prices_out_of_range_or_not_finite_are_row_errors_and_nothing_is_written(db: None) -> None:
    # given a file whose prices are huge, infinite or not a number, beside a price at the maximum
    rows = (
        "BIG1,巨价一,,,1e400,,,,,,\n"  # line 2
        "BIG2,巨价二,,,3.00,1e30,,,,,\n"  # line 3
        "BIG3,巨价三,,,3.00,,10000000.01,,,,\n"  # line 4: one fen above the maximum
        "INF,无穷,,,Infinity,,,,,,\n"  # line 5
        "NAN,非数,,,NaN,,,,,,\n"  # line 6
        "TINY,负巨,,,-1e400,,,,,,\n"  # line 7
        "MAX,最贵,,,10000000.00,,,,,,\n"  # line 8: the maximum itself is fine
    )
    # when it is imported
    report = spreadsheets.catalog_import(content=_csv(HEADER + rows), filename="catalog.csv")
    # then each bad price is an error of its own row, the good row is valid, and nothing is written
    assert not report.written and (report.rows_total, report.rows_valid) == (7, 1)
    assert [(error["row"], error["errors"]) for error in report.errors] == [
        (2, ["零售价 不是有效金额：1e400"]),
        (3, ["会员价 不是有效金额：1e30"]),
        (4, ["进价 不能超过 10000000.00：10000000.01"]),
        (5, ["零售价 不是有效金额：Infinity"]),
        (6, ["零售价 不是有效金额：NaN"]),
        (7, ["零售价 不是有效金额：-1e400"]),
    ]
    assert not Product.objects.exists() and not SKU.objects.exists()
    assert not AuditEntry.objects.exists()


def test_a_huge_number_cell_in_xlsx_is_a_row_error(db: None) -> None:
    # given an XLSX file whose price cell holds the number 1e300
    table = [["商品编码", "商品名称", "零售价"], ["BIG", "巨价", 1e300], ["OK", "正常", 3.5]]
    # when it is imported with the valid rows only
    report = spreadsheets.catalog_import(
        content=spreadsheets.table_to_xlsx(table), filename="c.xlsx", valid_rows_only=True
    )
    # then the huge row is reported and the other one written
    assert [error["row"] for error in report.errors] == [2]
    assert list(SKU.objects.values_list("code", "retail_price_fen")) == [("OK", 350)]


def test_a_huge_price_through_the_api_is_a_row_error_in_the_report(
    chain: object, hq_admin: object, token_for: Callable[..., str]
) -> None:
    # given an HQ admin uploading a file with the price 1e400
    upload = SimpleUploadedFile("c.csv", _csv(HEADER + "BIG,巨价,,,1e400,,,,,,\n"), content_type="text/csv")
    # when it is imported through the API
    response = Client().post(
        "/api/v1/catalog/import",
        {"file": upload},
        headers={"Authorization": f"Bearer {token_for(hq_admin)}", "Accept-Language": "en"},
    )
    # then the answer is the report, with the row's error, and nothing was written
    assert response.status_code == 200
    body = response.json()
    assert not body["written"]
    assert body["errors"] == [{"row": 2, "errors": ["Retail price is not an amount: 1e400"]}]
    assert not Product.objects.exists()
