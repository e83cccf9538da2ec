"""Import and export of products, variants, prices and barcodes as CSV or XLSX, one row per SKU.

Prices in the files are in yuan ("3.50"), as merchants write them; inside they are fen. An import
first checks every row and reports the errors per row; nothing is written if any row is wrong,
unless the caller asks to import the valid rows only. The writes go through the catalog services,
so pinyin, change cursors and price audit rows are the same as for a change made by hand.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from mendian.catalog import services
from mendian.catalog.barcodes import barcode_kind
from mendian.catalog.errors import ImportFileInvalid
from mendian.catalog.models import SKU, Barcode, Brand, Category, Product, Unit
from mendian.core.money import fen_from_yuan, yuan_str

# (key, header written on export); either is accepted on import.
COLUMNS: list[tuple[str, str]] = [
    ("product_code", "商品编码"),
    ("product_name", "商品名称"),
    ("sku_code", "SKU编码"),
    ("attributes", "规格"),
    ("retail_price", "零售价"),
    ("member_price", "会员价"),
    ("cost_price", "进价"),
    ("barcodes", "条码"),
    ("category_code", "分类编码"),
    ("brand", "品牌"),
    ("unit", "单位"),
    ("kind", "类型"),
    ("is_active", "启用"),
]
HEADER_ALIASES = {alias.lower(): key for key, label in COLUMNS for alias in (key, label)}
TRUE_WORDS = {"1", "true", "yes", "y", "是", "启用", "on"}
FALSE_WORDS = {"0", "false", "no", "n", "否", "停用", "off"}
KIND_WORDS = {"goods": "goods", "商品": "goods", "service": "service", "服务": "service"}
MAX_ROWS = 20000
# ¥10,000,000.00: no shelf price comes near it, so a larger one is a typo (or a hostile file), and the
# bound keeps every price far inside the database's integers.
PRICE_MAX_FEN = 1_000_000_000
_SPLIT = re.compile(r"[\s,;，；、]+")


@dataclass
class ImportRow:
    """One checked row of the file (line is its line number in the file, the header being line 1)."""

    line: int
    product_code: str
    product_name: str
    sku_code: str
    attributes: dict[str, str]
    retail_price_fen: int | None
    member_price_fen: int | None
    cost_price_fen: int | None
    barcodes: list[str]
    category_code: str
    brand: str
    unit: str
    kind: str
    is_active: bool | None
    errors: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    rows_total: int = 0
    rows_valid: int = 0
    products_created: int = 0
    skus_created: int = 0
    skus_updated: int = 0
    written: bool = False
    errors: list[dict[str, Any]] = field(default_factory=list)


# --- reading files -------------------------------------------------------------------------------


def rows_read(content: bytes, filename: str) -> list[dict[str, str]]:
    """The rows of a CSV (UTF-8, with or without BOM; GB18030 accepted) or XLSX file as dicts keyed
    by column key. Raises ImportFileInvalid when the file cannot be read or has no known columns."""
    if filename.lower().endswith(".xlsx"):
        table = _xlsx_table(content)
    else:
        table = _csv_table(content)
    if not table:
        raise ImportFileInvalid()
    header = [HEADER_ALIASES.get(str(cell or "").strip().lower(), "") for cell in table[0]]
    if "product_code" not in header:
        raise ImportFileInvalid(details={"missing_columns": ["product_code"]})
    rows = []
    for raw in table[1:]:
        values = {
            key: str(cell if cell is not None else "").strip()
            for key, cell in zip(header, raw, strict=False)
            if key
        }
        if any(values.values()):
            rows.append(values)
        else:
            rows.append({})  # keep the numbering of lines; empty rows are skipped later
    if len(rows) > MAX_ROWS:
        raise ImportFileInvalid(details={"max_rows": MAX_ROWS})
    return rows


def _csv_table(content: bytes) -> list[list[Any]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ImportFileInvalid()
    try:
        return [row for row in csv.reader(io.StringIO(text))]
    except csv.Error:
        raise ImportFileInvalid() from None


def _xlsx_table(content: bytes) -> list[list[Any]]:
    from zipfile import BadZipFile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (InvalidFileException, BadZipFile, OSError, KeyError, ValueError):
        raise ImportFileInvalid() from None
    sheet = workbook.worksheets[0]
    table = [[_cell_text(cell) for cell in row] for row in sheet.iter_rows(values_only=True)]
    workbook.close()
    return table


def _cell_text(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) >= 1e7:
        return str(int(value))  # a barcode typed into Excel becomes a float
    return value


# --- checking rows -------------------------------------------------------------------------------


def _price(raw: str, label: str, errors: list[str], *, required: bool) -> int | None:
    if not raw:
        if required:
            errors.append(_("%(column)s is required.") % {"column": label})
        return None
    try:
        fen = fen_from_yuan(raw.replace("¥", "").replace(",", ""))
    except ValueError:
        errors.append(_("%(column)s is not an amount: %(value)s") % {"column": label, "value": raw})
        return None
    if fen < 0:
        errors.append(_("%(column)s may not be negative.") % {"column": label})
        return None
    if fen > PRICE_MAX_FEN:
        errors.append(
            _("%(column)s may not be more than %(max)s: %(value)s")
            % {"column": label, "max": yuan_str(PRICE_MAX_FEN), "value": raw}
        )
        return None
    return fen


def _attributes(raw: str, errors: list[str]) -> dict[str, str]:
    attributes: dict[str, str] = {}
    for part in re.split(r"[;；]", raw):
        if not part.strip():
            continue
        name, separator, value = (
            re.split(r"([:：=])", part, maxsplit=1) if re.search(r"[:：=]", part) else (part, "", "")
        )
        if not separator or not name.strip() or not value.strip():
            errors.append(_("Write attributes as name:value;name:value, e.g. 颜色:白;尺码:L."))
            return {}
        attributes[name.strip()] = value.strip()
    return attributes


def row_check(line: int, values: dict[str, str]) -> ImportRow:
    """Check one row on its own (codes, prices, barcodes, flags); cross-row and database checks follow."""
    errors: list[str] = []
    product_code = values.get("product_code", "")
    if not services.CODE_PATTERN.match(product_code):
        errors.append(_("The product code is missing or has characters other than letters, digits, - and _."))
    sku_code = values.get("sku_code", "")
    if sku_code and not services.CODE_PATTERN.match(sku_code):
        errors.append(_("The SKU code has characters other than letters, digits, - and _."))
    barcodes = [code for code in _SPLIT.split(values.get("barcodes", "")) if code]
    for code in barcodes:
        if barcode_kind(code) is None:
            errors.append(
                _("Barcode %(barcode)s is not a valid EAN-13, EAN-8 or UPC-A code.") % {"barcode": code}
            )
    active_word = values.get("is_active", "").lower()
    is_active: bool | None = None
    if active_word in TRUE_WORDS:
        is_active = True
    elif active_word in FALSE_WORDS:
        is_active = False
    elif active_word:
        errors.append(_("Active must be 1 or 0 (是/否)."))
    kind_word = values.get("kind", "").lower()
    if kind_word and kind_word not in KIND_WORDS:
        errors.append(_("Kind must be goods or service (商品/服务)."))
    return ImportRow(
        line=line,
        product_code=product_code,
        product_name=values.get("product_name", ""),
        sku_code=sku_code,
        attributes=_attributes(values.get("attributes", ""), errors),
        retail_price_fen=_price(values.get("retail_price", ""), _("Retail price"), errors, required=True),
        member_price_fen=_price(values.get("member_price", ""), _("Member price"), errors, required=False),
        cost_price_fen=_price(values.get("cost_price", ""), _("Cost price"), errors, required=False),
        barcodes=barcodes,
        category_code=values.get("category_code", ""),
        brand=values.get("brand", ""),
        unit=values.get("unit", ""),
        kind=KIND_WORDS.get(kind_word, ""),
        is_active=is_active,
        errors=errors,
    )


def rows_check(raw_rows: list[dict[str, str]]) -> list[ImportRow]:
    """Check every row, then what only the whole file and the database can tell: duplicate SKU codes
    or barcodes in the file, unknown categories, barcodes or SKU codes that belong to another item.
    A fixed number of queries whatever the row count."""
    rows = [row_check(index + 2, values) for index, values in enumerate(raw_rows) if values]
    product_codes = {row.product_code for row in rows}
    existing_products = set(Product.objects.filter(code__in=product_codes).values_list("code", flat=True))
    for row in rows:
        if not row.sku_code and not row.attributes:
            row.sku_code = row.product_code
        if row.product_code not in existing_products and not row.product_name:
            row.errors.append(_("A new product needs a name."))
    sku_counts = Counter(row.sku_code for row in rows if row.sku_code)
    barcode_counts = Counter(code for row in rows for code in row.barcodes)
    sku_owner = dict(SKU.objects.filter(code__in=list(sku_counts)).values_list("code", "product__code"))
    barcode_owner = dict(
        Barcode.objects.filter(code__in=list(barcode_counts)).values_list("code", "sku__code")
    )
    categories = set(
        Category.objects.filter(
            code__in={row.category_code for row in rows if row.category_code}
        ).values_list("code", flat=True)
    )
    for row in rows:
        if row.sku_code and sku_counts[row.sku_code] > 1:
            row.errors.append(
                _("SKU code %(code)s appears more than once in the file.") % {"code": row.sku_code}
            )
        owner = sku_owner.get(row.sku_code)
        if owner is not None and owner != row.product_code:
            row.errors.append(
                _("SKU code %(code)s belongs to product %(product)s.")
                % {"code": row.sku_code, "product": owner}
            )
        for code in row.barcodes:
            if barcode_counts[code] > 1:
                row.errors.append(
                    _("Barcode %(barcode)s appears more than once in the file.") % {"barcode": code}
                )
            holder = barcode_owner.get(code)
            if holder is not None and holder != row.sku_code:
                row.errors.append(
                    _("Barcode %(barcode)s already belongs to SKU %(sku)s.")
                    % {"barcode": code, "sku": holder}
                )
        if row.category_code and row.category_code not in categories:
            row.errors.append(_("Unknown category code %(code)s.") % {"code": row.category_code})
    return rows


# --- writing -------------------------------------------------------------------------------------


def catalog_import(
    *, content: bytes, filename: str, valid_rows_only: bool = False, actor_id: int | None = None
) -> ImportReport:
    """Import a file: check every row, and write nothing when a row is wrong — unless valid_rows_only,
    when the good rows are written and the report lists the rest. One transaction for all writes."""
    rows = rows_check(rows_read(content, filename))
    report = ImportReport(rows_total=len(rows))
    report.errors = [{"row": row.line, "errors": row.errors} for row in rows if row.errors]
    valid = [row for row in rows if not row.errors]
    report.rows_valid = len(valid)
    if (report.errors and not valid_rows_only) or not valid:
        return report
    _rows_write(valid, report, actor_id)
    report.written = True
    return report


@transaction.atomic
def _rows_write(rows: list[ImportRow], report: ImportReport, actor_id: int | None) -> None:
    categories = {category.code: category for category in Category.objects.all()}
    brands: dict[str, Brand] = {}
    units: dict[str, Unit] = {}

    def brand_of(name: str) -> Brand | None:
        if not name:
            return None
        if name not in brands:
            brands[name] = Brand.objects.get_or_create(name=name)[0]
        return brands[name]

    def unit_of(name: str) -> Unit | None:
        if not name:
            return None
        if name not in units:
            units[name] = Unit.objects.get_or_create(name=name)[0]
        return units[name]

    products = {
        product.code: product
        for product in Product.objects.filter(code__in={row.product_code for row in rows})
    }
    skus = {
        sku.code: sku for sku in SKU.objects.filter(code__in={row.sku_code for row in rows if row.sku_code})
    }
    for row in rows:
        product = products.get(row.product_code)
        if product is None:
            product = services.product_create_with_variants(
                code=row.product_code,
                name=row.product_name,
                attributes={name: [value] for name, value in row.attributes.items()} or None,
                sku_code=row.sku_code or None,
                retail_price_fen=row.retail_price_fen or 0,
                member_price_fen=row.member_price_fen,
                cost_price_fen=row.cost_price_fen or 0,
                kind=row.kind or Product.Kind.GOODS,
                category=categories.get(row.category_code),
                brand=brand_of(row.brand),
                unit=unit_of(row.unit),
                is_active=row.is_active if row.is_active is not None else True,
                barcodes=row.barcodes,
                actor_id=actor_id,
            )
            products[product.code] = product
            report.products_created += 1
            report.skus_created += 1
            continue
        changes: dict[str, Any] = {}
        if row.product_name and row.product_name != product.name:
            changes["name"] = row.product_name
        if row.category_code and categories[row.category_code].pk != product.category_id:
            changes["category"] = categories[row.category_code]
        if row.brand and (product.brand is None or product.brand.name != row.brand):
            changes["brand"] = brand_of(row.brand)
        if row.unit and (product.unit is None or product.unit.name != row.unit):
            changes["unit"] = unit_of(row.unit)
        if row.kind and row.kind != product.kind:
            changes["kind"] = row.kind
        if changes:
            product = services.product_update(product=product, actor_id=actor_id, **changes)
            products[product.code] = product
        sku = skus.get(row.sku_code) if row.sku_code else None
        if sku is None:
            sku = services.sku_add(
                product=product,
                attributes=row.attributes,
                code=row.sku_code or None,
                retail_price_fen=row.retail_price_fen or 0,
                member_price_fen=row.member_price_fen,
                cost_price_fen=row.cost_price_fen or 0,
                actor_id=actor_id,
            )
            report.skus_created += 1
        else:
            services.sku_price_set(
                sku=sku,
                retail_price_fen=row.retail_price_fen,
                member_price_fen=row.member_price_fen,
                cost_price_fen=row.cost_price_fen,
                actor_id=actor_id,
                reason="import",
            )
            if (row.attributes and row.attributes != sku.attributes) or (
                row.is_active is not None and row.is_active != sku.is_active
            ):
                services.sku_update(
                    sku=sku,
                    attributes=row.attributes or None,
                    variant_name=services.variant_name_of(row.attributes) if row.attributes else None,
                    is_active=row.is_active,
                    actor_id=actor_id,
                )
            report.skus_updated += 1
        present = set(Barcode.objects.filter(sku=sku).values_list("code", flat=True))
        for code in row.barcodes:
            if code not in present:
                services.barcode_add(sku=sku, code=code, actor_id=actor_id)


# --- export --------------------------------------------------------------------------------------


def catalog_export_rows() -> list[list[str]]:
    """Every SKU as a row of the import format (header first), in three queries."""
    barcodes: dict[int, list[str]] = {}
    for sku_id, code in Barcode.objects.order_by("sku_id", "-is_primary", "id").values_list("sku_id", "code"):
        barcodes.setdefault(sku_id, []).append(code)
    table = [[label for _key, label in COLUMNS]]
    for row in SKU.objects.order_by("product__code", "code").values(
        "id",
        "code",
        "attributes",
        "retail_price_fen",
        "member_price_fen",
        "cost_price_fen",
        "is_active",
        "product__code",
        "product__name",
        "product__category__code",
        "product__brand__name",
        "product__unit__name",
        "product__kind",
    ):
        table.append(
            [
                row["product__code"],
                row["product__name"],
                row["code"],
                ";".join(f"{name}:{value}" for name, value in (row["attributes"] or {}).items()),
                yuan_str(row["retail_price_fen"]),
                yuan_str(row["member_price_fen"]) if row["member_price_fen"] is not None else "",
                yuan_str(row["cost_price_fen"]),
                " ".join(barcodes.get(row["id"], [])),
                row["product__category__code"] or "",
                row["product__brand__name"] or "",
                row["product__unit__name"] or "",
                row["product__kind"],
                "1" if row["is_active"] else "0",
            ]
        )
    return table


def table_to_csv(table: list[list[str]]) -> bytes:
    """CSV in UTF-8 with a BOM, so Excel on a Chinese Windows opens it with the right characters."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows(table)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def table_to_xlsx(table: list[list[str]]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "商品"
    for row in table:
        sheet.append(row)
    for cells in sheet.iter_cols(min_row=2):
        for cell in cells:
            cell.number_format = "@"  # keep barcodes and codes as text
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
