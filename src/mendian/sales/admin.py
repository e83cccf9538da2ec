"""Back office pages for sales: orders, returns, stored value and card sales, shifts with their drawer ledger, the exception log.

All read-only (a sale changes only through the till's services) and scoped to the staff's stores."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from unfold.admin import TabularInline

from mendian.core.money import yuan_display
from mendian.sales.models import (
    CashDrawerEntry,
    ExceptionLog,
    HeldOrder,
    Order,
    OrderLine,
    OrderTender,
    PrepaidSale,
    PrepaidTender,
    Return,
    ReturnLine,
    ReturnTender,
    Shift,
)
from mendian.stores.admin import StoreScopedAdmin


class ReadOnlyMixin:
    """Sales records are written by services only; the back office reads them."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class OrderLineInline(ReadOnlyMixin, TabularInline):
    model = OrderLine
    extra = 0
    fields = [
        "line_no",
        "sku_code",
        "name",
        "qty",
        "list_price_fen",
        "unit_price_fen",
        "discount_fen",
        "total_fen",
        "is_gift",
        "refunded_qty",
        "refunded_fen",
    ]
    readonly_fields = fields


class OrderTenderInline(ReadOnlyMixin, TabularInline):
    model = OrderTender
    extra = 0
    fields = [
        "kind",
        "amount_fen",
        "tendered_fen",
        "change_fen",
        "refunded_fen",
        "status",
        "reference",
        "card_last4",
        "approval_code",
    ]
    readonly_fields = fields


@admin.register(Order)
class OrderAdmin(ReadOnlyMixin, StoreScopedAdmin):
    list_display = [
        "number",
        "store",
        "register",
        "cashier",
        "total_display",
        "status",
        "is_training",
        "created_at",
    ]
    list_filter = ["store", "status", "is_training", "business_date"]
    search_fields = ["number", "client_order_id", "receipt_token", "note"]
    date_hierarchy = "created_at"
    list_select_related = ["store", "register__store", "cashier"]
    inlines = [OrderLineInline, OrderTenderInline]
    readonly_fields = [field.name for field in Order._meta.fields]

    @admin.display(description=_("total"), ordering="total_fen")
    def total_display(self, obj: Order) -> str:
        return yuan_display(obj.total_fen)


class ReturnLineInline(ReadOnlyMixin, TabularInline):
    model = ReturnLine
    extra = 0
    fields = ["order_line", "sku", "name", "qty", "refund_fen"]
    readonly_fields = fields


class ReturnTenderInline(ReadOnlyMixin, TabularInline):
    model = ReturnTender
    extra = 0
    fields = ["kind", "amount_fen", "reference", "original_tender"]
    readonly_fields = fields


@admin.register(Return)
class ReturnAdmin(ReadOnlyMixin, StoreScopedAdmin):
    list_display = ["id", "store", "register", "order", "refund_display", "restock", "reason", "created_at"]
    list_filter = ["store", "restock", "is_training", "business_date"]
    search_fields = ["order__number", "reason", "client_return_id"]
    list_select_related = ["store", "register__store", "order"]
    inlines = [ReturnLineInline, ReturnTenderInline]
    readonly_fields = [field.name for field in Return._meta.fields]

    @admin.display(description=_("refund"), ordering="refund_fen")
    def refund_display(self, obj: Return) -> str:
        return yuan_display(obj.refund_fen)


class PrepaidTenderInline(ReadOnlyMixin, TabularInline):
    model = PrepaidTender
    extra = 0
    fields = ["kind", "amount_fen", "tendered_fen", "change_fen", "reference", "card_last4"]
    readonly_fields = fields


@admin.register(PrepaidSale)
class PrepaidSaleAdmin(ReadOnlyMixin, StoreScopedAdmin):
    """Stored value, count cards and paid cards sold or paid back at the tills (money taken in advance)."""

    list_display = [
        "number",
        "store",
        "register",
        "kind",
        "description",
        "amount_display",
        "bonus_display",
        "member",
        "cashier",
        "created_at",
    ]
    list_filter = ["store", "kind", "business_date"]
    search_fields = ["number", "client_id", "description", "reason"]
    date_hierarchy = "created_at"
    list_select_related = ["store", "register__store", "cashier", "member"]
    inlines = [PrepaidTenderInline]
    readonly_fields = [field.name for field in PrepaidSale._meta.fields]

    @admin.display(description=_("amount"), ordering="amount_fen")
    def amount_display(self, obj: PrepaidSale) -> str:
        return ("-" if obj.is_refund else "") + yuan_display(obj.amount_fen)

    @admin.display(description=_("bonus"), ordering="bonus_fen")
    def bonus_display(self, obj: PrepaidSale) -> str:
        return yuan_display(obj.bonus_fen)


class CashDrawerEntryInline(ReadOnlyMixin, TabularInline):
    model = CashDrawerEntry
    extra = 0
    fields = [
        "created_at",
        "kind",
        "amount_fen",
        "balance_after",
        "source_type",
        "source_id",
        "reason",
        "actor",
    ]
    readonly_fields = fields


@admin.register(Shift)
class ShiftAdmin(ReadOnlyMixin, StoreScopedAdmin):
    list_display = [
        "register",
        "opened_by",
        "opened_at",
        "closed_at",
        "order_count",
        "sales_display",
        "cash_expected_display",
        "variance_display",
    ]
    list_filter = ["store", "business_date"]
    list_select_related = ["register__store", "opened_by"]
    inlines = [CashDrawerEntryInline]
    readonly_fields = [field.name for field in Shift._meta.fields]

    @admin.display(description=_("sales"), ordering="sales_fen")
    def sales_display(self, obj: Shift) -> str:
        return yuan_display(obj.sales_fen)

    @admin.display(description=_("cash expected"), ordering="cash_balance_fen")
    def cash_expected_display(self, obj: Shift) -> str:
        return yuan_display(obj.cash_balance_fen)

    @admin.display(description=_("variance"), ordering="variance_fen")
    def variance_display(self, obj: Shift) -> str:
        return "" if obj.variance_fen is None else yuan_display(obj.variance_fen)


@admin.register(ExceptionLog)
class ExceptionLogAdmin(ReadOnlyMixin, StoreScopedAdmin):
    list_display = ["created_at", "kind", "store", "register", "actor", "amount_display", "message", "order"]
    list_filter = ["kind", "store", "is_training"]
    search_fields = ["message", "order__number"]
    date_hierarchy = "created_at"
    list_select_related = ["store", "register__store", "actor", "order"]
    readonly_fields = [field.name for field in ExceptionLog._meta.fields]

    @admin.display(description=_("amount"), ordering="amount_fen")
    def amount_display(self, obj: ExceptionLog) -> str:
        return "" if obj.amount_fen is None else yuan_display(obj.amount_fen)


@admin.register(HeldOrder)
class HeldOrderAdmin(ReadOnlyMixin, StoreScopedAdmin):
    list_display = ["created_at", "store", "register", "cashier", "label", "total_fen"]
    list_filter = ["store"]
    list_select_related = ["store", "register__store", "cashier"]
