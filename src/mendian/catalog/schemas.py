"""Input and output schemas of the catalog API. Money is integer fen."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Schema
from pydantic import Field


class TillItemOut(Schema):
    """A sellable SKU as a till stores it; `price_fen` is the price in the caller's store."""

    id: int
    code: str
    product_id: int
    product_code: str
    name: str
    variant_name: str
    attributes: dict[str, str]
    kind: str
    category_id: int | None
    unit: str | None
    is_weighed: bool
    service_minutes: int | None
    barcodes: list[str]
    scale_plu: str | None
    retail_price_fen: int
    member_price_fen: int | None
    store_price_fen: int | None
    price_fen: int
    is_active: bool
    change_seq: int


class ChangesOut(Schema):
    items: list[TillItemOut]
    next_cursor: int = Field(description="Ask with since=next_cursor next time.")
    has_more: bool = Field(description="More changes are waiting: ask again at once.")


class LookupOut(Schema):
    item: TillItemOut
    matched_by: Literal["barcode", "scale", "sku_code"]
    scale_weight_g: int | None = Field(None, description="Weight printed in a scale barcode, grams.")
    scale_price_fen: int | None = Field(None, description="Price printed in a scale barcode, fen.")


class SearchOut(Schema):
    items: list[TillItemOut]


class SkuOut(Schema):
    id: int
    product_id: int
    code: str
    attributes: dict[str, str]
    variant_name: str
    retail_price_fen: int
    member_price_fen: int | None
    cost_price_fen: int | None = Field(None, description="Only for staff who may change prices.")
    scale_plu: str | None
    is_active: bool
    barcodes: list[str]
    change_seq: int


# As deep as any list is paged (the sales order list has the same bound); SQLite writes the offset into
# the SQL, so a larger one (2**63) failed there as a 500 instead of a validation error.
MAX_OFFSET = 1_000_000


class ProductPage(Schema):
    limit: int = 50  # the product list clamps it to 1..200
    offset: int = Field(default=0, ge=0, le=MAX_OFFSET)


class ProductOut(Schema):
    id: int
    code: str
    name: str
    name_pinyin: str
    name_initials: str
    kind: str
    category_id: int | None
    brand_id: int | None
    unit_id: int | None
    vat_rate_bp: int | None
    service_minutes: int | None
    service_staff_needed: int | None
    is_active: bool
    skus: list[SkuOut]


class ProductCreateIn(Schema):
    code: str = Field(..., max_length=40)
    name: str = Field(..., min_length=1, max_length=200)
    kind: Literal["goods", "service"] = "goods"
    category_id: int | None = None
    brand_id: int | None = None
    unit_id: int | None = None
    vat_rate_bp: int | None = Field(None, ge=0, le=10000)
    attributes: dict[str, list[str]] | None = Field(
        None, description='Variant matrix, e.g. {"颜色": ["白", "黑"], "尺码": ["S", "M", "L"]}.'
    )
    retail_price_fen: int = Field(..., ge=0)
    member_price_fen: int | None = Field(None, ge=0)
    cost_price_fen: int = Field(0, ge=0)
    barcodes: list[str] = Field(default_factory=list, description="Barcodes of a single-SKU product.")
    generate_barcodes: bool = Field(False, description="Give every SKU an in-store EAN-13.")
    service_minutes: int | None = Field(None, ge=1)
    service_staff_needed: int | None = Field(None, ge=1)
    is_active: bool = True


class ProductUpdateIn(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    kind: Literal["goods", "service"] | None = None
    category_id: int | None = None
    brand_id: int | None = None
    unit_id: int | None = None
    vat_rate_bp: int | None = Field(None, ge=0, le=10000)
    service_minutes: int | None = Field(None, ge=1)
    service_staff_needed: int | None = Field(None, ge=1)
    is_active: bool | None = None


class SkuCreateIn(Schema):
    code: str | None = Field(None, max_length=48)
    attributes: dict[str, str] = Field(default_factory=dict)
    retail_price_fen: int = Field(..., ge=0)
    member_price_fen: int | None = Field(None, ge=0)
    cost_price_fen: int = Field(0, ge=0)
    scale_plu: str | None = None


class SkuUpdateIn(Schema):
    is_active: bool | None = None
    variant_name: str | None = Field(None, max_length=100)
    scale_plu: str | None = Field(None, description='5 digits; "" removes it.')


class PriceIn(Schema):
    retail_price_fen: int | None = Field(None, ge=0)
    member_price_fen: int | None = Field(None, ge=0)
    cost_price_fen: int | None = Field(None, ge=0)
    clear_member_price: bool = False
    reason: str = Field("", max_length=100)


class StorePriceIn(Schema):
    retail_price_fen: int | None = Field(..., ge=0, description="null removes the store's override.")
    reason: str = Field("", max_length=100)


class StorePriceOut(Schema):
    store_id: int
    sku_id: int
    retail_price_fen: int
    unified_retail_price_fen: int
    is_store_override: bool


class BarcodeIn(Schema):
    code: str = Field(..., max_length=32)
    is_primary: bool = False


class BarcodeOut(Schema):
    id: int
    sku_id: int
    code: str
    is_primary: bool


class PriceChangeIn(Schema):
    sku_id: int
    store_id: int | None = None
    effective_at: datetime
    retail_price_fen: int | None = Field(None, ge=0)
    member_price_fen: int | None = Field(None, ge=0)
    cost_price_fen: int | None = Field(None, ge=0)


class PriceChangeOut(Schema):
    id: int
    sku_id: int
    store_id: int | None
    effective_at: datetime
    retail_price_fen: int | None
    member_price_fen: int | None
    cost_price_fen: int | None
    status: str
    applied_at: datetime | None


class LabelLineIn(Schema):
    sku_id: int
    copies: int = Field(1, ge=1, le=500)


class LabelsIn(Schema):
    items: list[LabelLineIn] = Field(..., min_length=1, max_length=500)
    layout: Literal["a4", "roll_40x30"] = "a4"
    format: Literal["png", "pdf"] = "pdf"
    page: int = Field(1, ge=1, description="PNG of an A4 sheet: which page.")
    store_id: int | None = Field(None, description="Print this store's prices (default: the caller's till).")


class ImportRowErrorOut(Schema):
    row: int
    errors: list[str]


class ImportReportOut(Schema):
    rows_total: int
    rows_valid: int
    products_created: int
    skus_created: int
    skus_updated: int
    written: bool
    errors: list[ImportRowErrorOut]
