"""API input and output shapes of the stores app."""

from __future__ import annotations

from datetime import datetime

from ninja import Schema
from pydantic import Field, model_validator


class TokenIn(Schema):
    """Either username + password, or a register's device token + employee number + PIN."""

    username: str | None = Field(default=None, max_length=150)
    password: str | None = Field(default=None, max_length=256)
    register_token: str | None = Field(default=None, max_length=128)
    employee_no: str | None = Field(default=None, max_length=32)
    pin: str | None = Field(default=None, max_length=6)

    @model_validator(mode="after")
    def one_way_to_sign_in(self) -> TokenIn:
        by_password = bool(self.username and self.password)
        by_pin = bool(self.register_token and self.employee_no and self.pin)
        if by_password == by_pin:
            raise ValueError("give username and password, or register_token, employee_no and pin")
        return self


class TokenOut(Schema):
    token: str
    expires_at: datetime
    user_id: int
    display_name: str
    register_id: int | None
    store_id: int | None


class StoreOut(Schema):
    id: int
    code: str
    name: str
    address: str
    phone: str
    timezone: str
    opening_hours: str
    is_active: bool


class RegisterOut(Schema):
    id: int
    store_id: int
    code: str
    name: str
    is_training: bool
    is_active: bool
    token_revoked: bool
    paper_width_mm: int


class MeOut(Schema):
    user_id: int
    username: str
    display_name: str
    employee_no: str | None
    roles: list[str]
    all_stores: bool
    store_ids: list[int]
    register_id: int | None


class StoreIn(Schema):
    code: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")
    name: str = Field(min_length=1, max_length=100)
    address: str = Field(default="", max_length=255)
    phone: str = Field(default="", max_length=32)
    opening_hours: str = Field(default="", max_length=100)


class RegisterIn(Schema):
    store_id: int
    code: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=100)
    is_training: bool = False


class RegisterCreatedOut(RegisterOut):
    device_token: str
