"""API input and output shapes of the inventory app. Quantities are integers, money integer fen."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from ninja import Schema
from pydantic import Field


class StockChangeIn(Schema):
    sku_id: int
    qty: int = Field(description="Signed for adjustments (negative takes stock out), positive for transfers.")
    batch_id: int | None = None
    serials: list[str] = Field(default_factory=list, max_length=1000)


class StockLevelOut(Schema):
    store_id: int
    sku_id: int
    sku_code: str
    name: str
    on_hand_qty: int
    updated_at: datetime


class StockMoveOut(Schema):
    id: int
    store_id: int
    sku_id: int
    qty: int
    balance_after: int
    reason: str
    source_type: str
    source_id: str
    actor_id: int | None
    note: str
    batch_id: int | None
    serials: list[str]
    created_at: datetime


class AdjustmentIn(Schema):
    store_id: int
    reason: Literal["damage", "sample", "adjustment"]
    note: str = Field(default="", max_length=200)
    client_id: uuid.UUID | None = None
    lines: list[StockChangeIn] = Field(min_length=1, max_length=500)


class AdjustmentOut(Schema):
    id: int
    store_id: int
    reason: str
    note: str
    client_id: uuid.UUID | None
    created_at: datetime
    moves: list[StockMoveOut]


class TransferIn(Schema):
    from_store_id: int
    to_store_id: int
    note: str = Field(default="", max_length=200)
    client_id: uuid.UUID | None = None
    lines: list[StockChangeIn] = Field(min_length=1, max_length=500)


class TransferLineOut(Schema):
    id: int
    sku_id: int
    batch_id: int | None
    serials: list[str]
    requested_qty: int
    shipped_qty: int | None
    received_qty: int | None
    difference_qty: int | None
    difference_reason: str


class TransferOut(Schema):
    id: int
    number: str
    from_store_id: int
    to_store_id: int
    status: str
    note: str
    client_id: uuid.UUID | None
    created_at: datetime
    approved_at: datetime | None
    shipped_at: datetime | None
    received_at: datetime | None
    lines: list[TransferLineOut]


class TransferReceiptIn(Schema):
    line_id: int
    received_qty: int = Field(ge=0)
    reason: str = Field(default="", max_length=200)
    serials: list[str] = Field(default_factory=list, max_length=1000)


class TransferReceiveIn(Schema):
    lines: list[TransferReceiptIn] = Field(default_factory=list, max_length=500)


class InTransitOut(Schema):
    from_store_id: int
    to_store_id: int
    sku_id: int
    qty: int


class StocktakeIn(Schema):
    store_id: int
    category_ids: list[int] = Field(default_factory=list, max_length=200)
    is_blind: bool = False
    note: str = Field(default="", max_length=200)
    client_id: uuid.UUID | None = None


class StocktakeLineOut(Schema):
    sku_id: int
    sku_code: str
    name: str
    expected_qty: int | None = Field(description="Hidden (null) on a blind count until it is posted.")
    counted_qty: int | None


class StocktakeSummaryOut(Schema):
    id: int
    number: str
    store_id: int
    scope: str
    is_blind: bool
    status: str
    note: str
    created_at: datetime
    posted_at: datetime | None


class StocktakeOut(Schema):
    id: int
    number: str
    store_id: int
    scope: str
    category_ids: list[int]
    is_blind: bool
    status: str
    note: str
    client_id: uuid.UUID | None
    created_at: datetime
    posted_at: datetime | None
    lines: list[StocktakeLineOut]


class CountIn(Schema):
    sku_id: int
    qty: int = Field(ge=0, le=10_000_000)
    add: bool = Field(default=False, description="true adds to the count (a scan is qty 1), false sets it.")


class CountsIn(Schema):
    entries: list[CountIn] = Field(min_length=1, max_length=2000)


class PostIn(Schema):
    uncounted_as_zero: bool = False


class VarianceOut(Schema):
    sku_id: int
    sku_code: str
    name: str
    expected_qty: int | None
    counted_qty: int
    on_hand_qty: int
    variance_qty: int
    variance_cost_fen: int


class AlertOut(Schema):
    id: int
    store_id: int
    sku_id: int
    batch_id: int | None
    kind: str
    status: str
    qty: int
    threshold_qty: int | None
    suggested_order_qty: int | None
    expiry_date: date | None
    created_at: datetime
    resolved_at: datetime | None


class OnHandRowOut(Schema):
    store_id: int
    category_id: int | None
    category_name: str
    qty: int
    cost_value_fen: int


class SlowMoverOut(Schema):
    store_id: int
    sku_id: int
    sku_code: str
    name: str
    on_hand_qty: int
    cost_value_fen: int
    last_sale_at: datetime | None


class BatchIn(Schema):
    sku_id: int
    batch_no: str = Field(min_length=1, max_length=64)
    production_date: date | None = None
    expiry_date: date | None = None


class BatchOut(Schema):
    id: int
    sku_id: int
    batch_no: str
    production_date: date | None
    expiry_date: date | None


class SerialOut(Schema):
    sku_id: int
    serial: str
    store_id: int
    status: str
    updated_at: datetime
