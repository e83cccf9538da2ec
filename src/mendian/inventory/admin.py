"""Back-office pages of the inventory (Unfold, Chinese by default), scoped to the staff member's stores.

The ledger pages are read-only: stock changes only through the services (adjustments, transfers,
stocktakes), which the actions below call."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin, TabularInline

from mendian.core.errors import DomainError
from mendian.inventory import services
from mendian.inventory.models import (
    Alert,
    Batch,
    BatchStock,
    ExpiryRule,
    SerialNumber,
    StockAdjustment,
    StockLevel,
    StockMove,
    StockRule,
    Stocktake,
    StocktakeLine,
    Transfer,
    TransferLine,
)
from mendian.stores.admin import StoreScopedAdmin
from mendian.stores.selectors import staff_store_ids, stores_visible_to


class ReadOnlyMixin:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class StoreChoicesMixin:
    """Forms offer only the staff member's stores."""

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name in {"store", "from_store", "to_store"}:
            kwargs["queryset"] = stores_visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]


def _run_each(
    admin_page: ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet,
    action: Callable[[Any], object],
    done: Any,
) -> None:
    """Apply a service to every selected row; a refused row is reported, the others go ahead."""
    succeeded = 0
    for obj in queryset:
        try:
            action(obj)
        except DomainError as exc:
            admin_page.message_user(request, f"{obj}: {exc.message}", messages.ERROR)
        else:
            succeeded += 1
    if succeeded:
        admin_page.message_user(request, f"{done}: {succeeded}", messages.SUCCESS)


@admin.register(StockLevel)
class StockLevelAdmin(ReadOnlyMixin, StoreScopedAdmin):
    list_display = ["store", "sku", "on_hand_qty", "updated_at"]
    list_filter = [("store", admin.RelatedOnlyFieldListFilter), "sku__product__category"]
    search_fields = ["sku__code", "sku__product__name", "sku__barcodes__code"]
    list_select_related = ["store", "sku__product"]


@admin.register(StockMove)
class StockMoveAdmin(ReadOnlyMixin, StoreScopedAdmin):
    list_display = [
        "created_at",
        "store",
        "sku",
        "reason",
        "qty",
        "balance_after",
        "batch",
        "source_type",
        "source_id",
        "actor",
    ]
    list_filter = ["reason", ("store", admin.RelatedOnlyFieldListFilter), "created_at"]
    search_fields = ["sku__code", "sku__product__name", "source_id", "note"]
    list_select_related = ["store", "sku__product", "batch", "actor"]
    date_hierarchy = "created_at"


@admin.register(Batch)
class BatchAdmin(ModelAdmin):
    list_display = ["batch_no", "sku", "production_date", "expiry_date", "created_at"]
    search_fields = ["batch_no", "sku__code", "sku__product__name"]
    list_filter = ["expiry_date"]
    list_select_related = ["sku__product"]
    autocomplete_fields = ["sku"]
    readonly_fields = ["created_at"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A batch with stock keeps its dates: they decide FEFO picking and alerts.
        return obj is None and super().has_change_permission(request, obj)


@admin.register(BatchStock)
class BatchStockAdmin(ReadOnlyMixin, StoreScopedAdmin):
    list_display = ["store", "sku", "batch", "qty"]
    list_filter = [("store", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["batch__batch_no", "sku__code", "sku__product__name"]
    list_select_related = ["store", "sku__product", "batch"]


@admin.register(SerialNumber)
class SerialNumberAdmin(ReadOnlyMixin, StoreScopedAdmin):
    list_display = ["serial", "sku", "store", "status", "updated_at"]
    list_filter = ["status", ("store", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["serial", "sku__code", "sku__product__name"]
    list_select_related = ["store", "sku__product"]


@admin.register(StockAdjustment)
class StockAdjustmentAdmin(ReadOnlyMixin, StoreScopedAdmin):
    list_display = ["id", "store", "reason", "note", "created_by", "created_at"]
    list_filter = ["reason", ("store", admin.RelatedOnlyFieldListFilter), "created_at"]
    search_fields = ["note"]


class TransferLineInline(ReadOnlyMixin, TabularInline):
    model = TransferLine
    fields = ["sku", "batch", "requested_qty", "shipped_qty", "received_qty", "difference_reason", "serials"]
    readonly_fields = fields
    extra = 0


@admin.register(Transfer)
class TransferAdmin(StoreChoicesMixin, ModelAdmin):
    list_display = ["number", "from_store", "to_store", "status", "created_at", "shipped_at", "received_at"]
    list_filter = [
        "status",
        ("from_store", admin.RelatedOnlyFieldListFilter),
        ("to_store", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["number", "note"]
    inlines = [TransferLineInline]
    readonly_fields = [
        "number",
        "status",
        "requested_by",
        "approved_by",
        "created_at",
        "approved_at",
        "shipped_at",
        "received_at",
        "cancelled_at",
        "client_id",
    ]
    actions = ["approve", "ship", "receive_in_full", "cancel"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        transfers = super().get_queryset(request).select_related("from_store", "to_store")
        store_ids = staff_store_ids(request.user)
        if store_ids is None:
            return transfers
        return transfers.filter(Q(from_store_id__in=store_ids) | Q(to_store_id__in=store_ids))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # created through the API (or the till), where the lines are entered

    @admin.action(description=_("Approve"))
    def approve(self, request: HttpRequest, queryset: QuerySet[Transfer]) -> None:
        _run_each(
            self,
            request,
            queryset,
            lambda t: services.transfer_approve(transfer=t, actor_id=request.user.pk),
            _("Approved"),
        )

    @admin.action(description=_("Ship (stock leaves the source store)"))
    def ship(self, request: HttpRequest, queryset: QuerySet[Transfer]) -> None:
        _run_each(
            self,
            request,
            queryset,
            lambda t: services.transfer_ship(transfer=t, actor_id=request.user.pk),
            _("Shipped"),
        )

    @admin.action(description=_("Receive everything shipped"))
    def receive_in_full(self, request: HttpRequest, queryset: QuerySet[Transfer]) -> None:
        _run_each(
            self,
            request,
            queryset,
            lambda t: services.transfer_receive(transfer=t, actor_id=request.user.pk),
            _("Received"),
        )

    @admin.action(description=_("Cancel"))
    def cancel(self, request: HttpRequest, queryset: QuerySet[Transfer]) -> None:
        _run_each(
            self,
            request,
            queryset,
            lambda t: services.transfer_cancel(transfer=t, actor_id=request.user.pk),
            _("Cancelled"),
        )


class StocktakeLineInline(ReadOnlyMixin, TabularInline):
    model = StocktakeLine
    fields = ["sku", "expected_qty", "counted_qty", "posted_variance_qty", "counted_at", "counted_by"]
    readonly_fields = fields
    extra = 0


@admin.register(Stocktake)
class StocktakeAdmin(StoreScopedAdmin):
    list_display = ["number", "store", "scope", "is_blind", "status", "created_at", "posted_at"]
    list_filter = ["status", ("store", admin.RelatedOnlyFieldListFilter), "scope"]
    search_fields = ["number", "note"]
    inlines = [StocktakeLineInline]
    readonly_fields = [
        "number",
        "store",
        "scope",
        "categories",
        "is_blind",
        "status",
        "created_by",
        "posted_by",
        "posted_at",
        "client_id",
    ]
    actions = ["post", "cancel"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # sheets are opened and counted through the API on a phone or scanner

    @admin.action(description=_("Post the variances"), permissions=["post"])
    def post(self, request: HttpRequest, queryset: QuerySet[Stocktake]) -> None:
        _run_each(
            self,
            request,
            queryset,
            lambda s: services.stocktake_post(stocktake=s, actor_id=request.user.pk),
            _("Posted"),
        )

    def has_post_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("inventory.post_stocktake")

    @admin.action(description=_("Cancel"))
    def cancel(self, request: HttpRequest, queryset: QuerySet[Stocktake]) -> None:
        _run_each(
            self,
            request,
            queryset,
            lambda s: services.stocktake_cancel(stocktake=s, actor_id=request.user.pk),
            _("Cancelled"),
        )


@admin.register(StockRule)
class StockRuleAdmin(StoreChoicesMixin, StoreScopedAdmin):
    list_display = ["store", "sku", "min_qty", "reorder_point_qty", "max_qty"]
    list_filter = [("store", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["sku__code", "sku__product__name"]
    autocomplete_fields = ["sku"]
    list_select_related = ["store", "sku__product"]


@admin.register(ExpiryRule)
class ExpiryRuleAdmin(StoreChoicesMixin, StoreScopedAdmin):
    list_display = ["store", "product", "days"]
    list_filter = [("store", admin.RelatedOnlyFieldListFilter)]
    autocomplete_fields = ["product"]


@admin.register(Alert)
class AlertAdmin(StoreScopedAdmin):
    """The alerts page: open alerts first, with what to order."""

    list_display = [
        "created_at",
        "store",
        "kind",
        "sku",
        "batch",
        "qty",
        "threshold_qty",
        "suggested_order_qty",
        "expiry_date",
        "status",
    ]
    list_filter = ["status", "kind", ("store", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["sku__code", "sku__product__name", "batch__batch_no"]
    list_select_related = ["store", "sku__product", "batch"]
    readonly_fields = [field.name for field in Alert._meta.fields]
    actions = ["resolve"]
    ordering = ["status", "-id"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Mark resolved"))
    def resolve(self, request: HttpRequest, queryset: QuerySet[Alert]) -> None:
        _run_each(
            self,
            request,
            queryset,
            lambda a: services.alert_resolve(alert=a, actor_id=request.user.pk),
            _("Resolved"),
        )
