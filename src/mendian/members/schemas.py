"""Input and output shapes of the members API. Money in fen."""

from __future__ import annotations

import datetime as dt
from typing import Literal
from uuid import UUID

from ninja import Schema
from pydantic import Field


class TierOut(Schema):
    id: int
    code: str
    name: str
    discount_bp: int


class MemberOut(Schema):
    id: int
    card_no: str
    phone: str
    name: str
    gender: str
    region: str
    channel: str
    registered_store_id: int | None
    marketing_consent: bool
    tags: list[str]
    tier: TierOut | None
    referral_code: str
    created_at: dt.datetime
    points: int
    wallet_principal_fen: int
    wallet_bonus_fen: int
    wallet_balance_fen: int


class ResolvedMemberOut(MemberOut):
    live_code: bool = Field(
        description="True when a live QR was scanned (the member is present with their phone)."
    )
    points_per_yuan_redeemed: int
    points_redeem_cap_bp: int
    wallet_code_required_above_fen: int


class MemberRegisterIn(Schema):
    phone: str = Field(max_length=20)
    name: str = Field("", max_length=50)
    gender: Literal["", "f", "m"] = ""
    birthday: dt.date | None = None
    region: str = Field("", max_length=100)
    marketing_consent: bool = False
    referral_code: str = Field("", max_length=16)
    store_id: int | None = None


class MemberUpdateIn(Schema):
    """A partial change: a field left out stays as it is. Only birthday takes null (it clears it); the
    other fields have no null in the database, so an explicit null is refused with 422."""

    # None is only what "left out" looks like: pydantic never validates a default, so these fields
    # refuse an explicit null while the OpenAPI schema does not offer one.
    name: str = Field(None, max_length=50)  # type: ignore[assignment]
    gender: Literal["", "f", "m"] = None  # type: ignore[assignment]
    birthday: dt.date | None = None
    region: str = Field(None, max_length=100)  # type: ignore[assignment]
    marketing_consent: bool = None  # type: ignore[assignment]
    tags: list[str] = None  # type: ignore[assignment]
    notes: str = Field(None, max_length=2000)  # type: ignore[assignment]


class ResolveCodeIn(Schema):
    code: str = Field(max_length=200)


class PointsEntryOut(Schema):
    id: int
    kind: str
    points: int
    balance_after: int
    expires_at: dt.datetime | None
    source_type: str
    source_id: str
    created_at: dt.datetime


class WalletEntryOut(Schema):
    id: int
    kind: str
    principal_fen: int
    bonus_fen: int
    principal_after_fen: int
    bonus_after_fen: int
    source_type: str
    source_id: str
    created_at: dt.datetime


class PointsAdjustIn(Schema):
    points: int = Field(ge=-10_000_000, le=10_000_000)
    reason: str = Field(min_length=1, max_length=200)


class WalletSmsCodeIn(Schema):
    """What the code may pay: the sum of the sale's points and stored-value tenders, and the sale (the
    till's client order id)."""

    amount_fen: int = Field(gt=0, le=100_000_000)
    client_order_id: UUID


class TopUpPlanOut(Schema):
    id: int
    name: str
    amount_fen: int
    bonus_fen: int


class CountCardPlanOut(Schema):
    id: int
    name: str
    price_fen: int
    uses_qty: int
    validity_days: int


class MembershipPlanOut(Schema):
    id: int
    name: str
    price_fen: int
    validity_days: int
    tier_name: str
    tier_rank: int


class MembershipCardOut(Schema):
    plan_id: int
    plan_name: str
    tier_rank: int
    price_fen: int
    starts_at: dt.datetime
    expires_at: dt.datetime
    is_valid: bool


class CountCardRedeemIn(Schema):
    code: str = Field(max_length=200)
    sku_id: int


class CountCardOut(Schema):
    id: int
    plan_id: int
    plan_name: str
    uses_total: int
    uses_left: int
    expires_at: dt.datetime
    status: str


class ImportErrorOut(Schema):
    row: int
    code: str
    message: str


class ImportReportOut(Schema):
    created: int
    duplicates: int
    errors: list[ImportErrorOut]


class RfmOut(Schema):
    recency_score: int
    frequency_score: int
    monetary_score: int
    last_purchase_at: dt.datetime
    order_count: int
    spend_fen: int
    computed_at: dt.datetime


class FavouriteCategoryOut(Schema):
    category_id: int | None
    category_name: str | None
    spend_fen: int
    qty: int


class PurchaseOut(Schema):
    id: int
    number: str
    store_id: int
    status: str
    total_fen: int
    refunded_fen: int
    created_at: dt.datetime


class MemberProfileOut(Schema):
    member: MemberOut
    tags: list[str]
    rfm: RfmOut | None
    favourite_categories: list[FavouriteCategoryOut]
    orders: list[PurchaseOut]
    points: list[PointsEntryOut]
    wallet: list[WalletEntryOut]
