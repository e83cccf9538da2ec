"""Back office pages of the product library. Saving goes through the catalog services, so pinyin,
change cursors for tills and price audit rows are the same as through the API."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportModelAdmin
from unfold.admin import ModelAdmin, TabularInline
from unfold.contrib.import_export.forms import ExportForm, ImportForm
from unfold.decorators import action

from mendian.catalog import labels, services, spreadsheets
from mendian.catalog.models import SKU, Barcode, Brand, Category, PriceChange, Product, StorePrice, Unit
from mendian.core.errors import DomainError
from mendian.core.money import fen_from_yuan, yuan_display
from mendian.stores.selectors import scope_to_stores, staff_store_ids


class ServiceSavingAdmin(ModelAdmin):
    """save_model calls a service; when the service refuses, the message is shown and the form reopens."""

    def construct_change_message(
        self, request: HttpRequest, form: Any, formsets: Any, add: bool = False
    ) -> Any:
        return super().construct_change_message(request, form, [], add)  # inlines are read-only

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        return super().log_addition(request, obj, message) if obj.pk is not None else None

    def response_add(self, request: HttpRequest, obj: Any, post_url_continue: str | None = None) -> Any:
        if obj.pk is None:
            return redirect(request.path)
        return super().response_add(request, obj, post_url_continue)


class SimpleImportExportAdmin(ImportExportModelAdmin, ModelAdmin):
    """Reference lists without rules of their own (categories, brands, units): django-import-export."""

    import_form_class = ImportForm
    export_form_class = ExportForm


@admin.register(Category)
class CategoryAdmin(SimpleImportExportAdmin):
    list_display = ["code", "name", "parent", "sort_order", "vat_rate_bp", "tax_code"]
    search_fields = ["code", "name"]
    list_filter = ["parent"]
    autocomplete_fields = ["parent"]


@admin.register(Brand)
class BrandAdmin(SimpleImportExportAdmin):
    list_display = ["name"]
    search_fields = ["name"]


@admin.register(Unit)
class UnitAdmin(SimpleImportExportAdmin):
    list_display = ["name", "is_weighed"]
    search_fields = ["name"]


def _yuan_field(label: Any, required: bool) -> forms.CharField:
    return forms.CharField(label=label, required=required, help_text=_("In yuan, e.g. 3.50"))


def _fen_or_none(value: str) -> int | None:
    return fen_from_yuan(value) if value not in (None, "") else None


class ProductForm(forms.ModelForm):
    """The product's own fields plus, on creation, the variant matrix and its prices."""

    variant_attributes = forms.CharField(
        label=_("variant attributes"),
        required=False,
        help_text=_("One attribute per line: name: value, value, … e.g. 颜色: 白, 黑 and 尺码: S, M, L"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    retail_price = _yuan_field(_("retail price"), required=False)
    member_price = _yuan_field(_("member price"), required=False)
    cost_price = _yuan_field(_("cost price"), required=False)
    barcode = forms.CharField(
        label=_("barcode"), required=False, help_text=_("For a product without variants.")
    )
    generate_barcodes = forms.BooleanField(label=_("generate in-store barcodes"), required=False)

    class Meta:
        model = Product
        fields = [
            "code",
            "name",
            "kind",
            "category",
            "brand",
            "unit",
            "vat_rate_bp",
            "allow_negative_stock",
            "tracks_batches",
            "tracks_serials",
            "service_minutes",
            "service_staff_needed",
            "is_active",
        ]

    def clean_variant_attributes(self) -> dict[str, list[str]]:
        attributes: dict[str, list[str]] = {}
        for line in (self.cleaned_data.get("variant_attributes") or "").splitlines():
            if not line.strip():
                continue
            name, separator, values = line.replace("：", ":").partition(":")
            if not separator:
                raise forms.ValidationError(_("Write each attribute as name: value, value"))
            attributes[name.strip()] = [
                value.strip() for value in values.replace("，", ",").split(",") if value.strip()
            ]
        return attributes

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for field in ("retail_price", "member_price", "cost_price"):
            try:
                cleaned[f"{field}_fen"] = _fen_or_none(cleaned.get(field) or "")
            except ValueError:
                self.add_error(field, _("Not an amount."))
        if self.instance.pk is None and cleaned.get("retail_price_fen") is None:
            self.add_error("retail_price", _("A new product needs a retail price."))
        return cleaned


class SkuInline(TabularInline):
    model = SKU
    extra = 0
    can_delete = False
    show_change_link = True
    fields = [
        "code",
        "variant_name",
        "retail_price_fen",
        "member_price_fen",
        "scale_plu",
        "is_active",
        "change_seq",
    ]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Product)
class ProductAdmin(ServiceSavingAdmin):
    form = ProductForm
    list_display = ["code", "name", "kind", "category", "brand", "sku_count", "is_active"]
    list_filter = ["kind", "is_active", "category", "brand"]
    search_fields = ["code", "name", "name_initials", "name_pinyin"]
    readonly_fields = ["name_pinyin", "name_initials", "created_at", "updated_at"]
    inlines = [SkuInline]
    actions_list = ["import_catalog", "export_csv", "export_xlsx"]
    actions = ["deactivate", "activate"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("category", "brand")

    @admin.display(description=_("SKUs"))
    def sku_count(self, obj: Product) -> int:
        return obj.skus.count()

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = list(ProductForm.Meta.fields)
        if obj is None:
            return [
                *fields,
                "variant_attributes",
                "retail_price",
                "member_price",
                "cost_price",
                "barcode",
                "generate_barcodes",
            ]
        return [*fields, "name_pinyin", "name_initials", "created_at", "updated_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [*self.readonly_fields, "code"] if obj is not None else list(self.readonly_fields)

    def save_model(self, request: HttpRequest, obj: Product, form: Any, change: bool) -> None:
        data = form.cleaned_data
        try:
            if not change:
                created = services.product_create_with_variants(
                    code=data["code"],
                    name=data["name"],
                    kind=data["kind"],
                    category=data.get("category"),
                    brand=data.get("brand"),
                    unit=data.get("unit"),
                    vat_rate_bp=data.get("vat_rate_bp"),
                    allow_negative_stock=data.get("allow_negative_stock"),
                    tracks_batches=data.get("tracks_batches", False),
                    tracks_serials=data.get("tracks_serials", False),
                    service_minutes=data.get("service_minutes"),
                    service_staff_needed=data.get("service_staff_needed"),
                    is_active=data.get("is_active", True),
                    attributes=data.get("variant_attributes") or None,
                    retail_price_fen=data["retail_price_fen"],
                    member_price_fen=data.get("member_price_fen"),
                    cost_price_fen=data.get("cost_price_fen") or 0,
                    barcodes=[data["barcode"]] if data.get("barcode") else [],
                    generate_barcodes=data.get("generate_barcodes", False),
                    actor_id=request.user.pk,
                )
                obj.pk = created.pk
            else:
                changes = {
                    field: data[field] for field in form.changed_data if field in services.PRODUCT_FIELDS
                }
                services.product_update(product=obj, actor_id=request.user.pk, **changes)
        except DomainError as error:
            self.message_user(request, str(error.message), messages.ERROR)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        return None  # SKUs change through their own page and the services

    # Named permissions, not "app.codename": unfold's system check would query the permission table,
    # which does not exist yet when `migrate` runs its checks on a new database.
    def has_import_catalog_permission(self, request: HttpRequest) -> bool:
        return bool(
            request.user.has_perm("catalog.add_product") and request.user.has_perm("catalog.change_price")
        )

    def has_export_catalog_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("catalog.change_price"))  # the file carries cost prices

    @admin.action(description=_("Deactivate (hide from tills)"))
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        for product in queryset:
            services.product_update(product=product, is_active=False, actor_id=request.user.pk)

    @admin.action(description=_("Activate"))
    def activate(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        for product in queryset:
            services.product_update(product=product, is_active=True, actor_id=request.user.pk)

    @action(description=_("Import CSV/XLSX"), url_path="import-catalog", permissions=["import_catalog"])
    def import_catalog(self, request: HttpRequest) -> HttpResponse:
        report = None
        form = CatalogImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                report = spreadsheets.catalog_import(
                    content=upload.read(),
                    filename=upload.name,
                    valid_rows_only=form.cleaned_data["valid_rows_only"],
                    actor_id=request.user.pk,
                )
            except DomainError as error:
                self.message_user(request, str(error.message), messages.ERROR)
            else:
                if report.written:
                    self.message_user(
                        request,
                        _(
                            "Imported: %(products)d new products, %(created)d new SKUs, %(updated)d SKUs updated."
                        )
                        % {
                            "products": report.products_created,
                            "created": report.skus_created,
                            "updated": report.skus_updated,
                        },
                        messages.SUCCESS,
                    )
                else:
                    self.message_user(
                        request, _("Some rows have errors; nothing was imported."), messages.WARNING
                    )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Import products, variants, prices and barcodes"),
            "form": form,
            "report": report,
            "columns": spreadsheets.COLUMNS,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/catalog/import.html", context)

    @action(description=_("Export CSV"), url_path="export-csv", permissions=["export_catalog"])
    def export_csv(self, request: HttpRequest) -> HttpResponse:
        response = HttpResponse(
            spreadsheets.table_to_csv(spreadsheets.catalog_export_rows()),
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = 'attachment; filename="catalog.csv"'
        return response

    @action(description=_("Export XLSX"), url_path="export-xlsx", permissions=["export_catalog"])
    def export_xlsx(self, request: HttpRequest) -> HttpResponse:
        response = HttpResponse(
            spreadsheets.table_to_xlsx(spreadsheets.catalog_export_rows()),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = 'attachment; filename="catalog.xlsx"'
        return response


class CatalogImportForm(forms.Form):
    file = forms.FileField(label=_("file (CSV or XLSX)"))
    valid_rows_only = forms.BooleanField(
        label=_("import valid rows"),
        required=False,
        help_text=_("Import the rows without errors even when other rows have errors."),
    )


class BarcodeInline(TabularInline):
    model = Barcode
    extra = 0
    fields = ["code", "is_primary"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class SkuForm(forms.ModelForm):
    class Meta:
        model = SKU
        fields = [
            "variant_name",
            "retail_price_fen",
            "member_price_fen",
            "cost_price_fen",
            "scale_plu",
            "is_active",
        ]


@admin.register(SKU)
class SkuAdmin(ServiceSavingAdmin):
    form = SkuForm
    list_display = [
        "code",
        "product",
        "variant_name",
        "retail_price",
        "member_price",
        "scale_plu",
        "is_active",
    ]
    list_filter = ["is_active", "product__kind", "product__category"]
    search_fields = ["code", "product__name", "product__name_initials", "barcodes__code", "scale_plu"]
    readonly_fields = ["product", "code", "attributes", "change_seq", "updated_at"]
    inlines = [BarcodeInline]
    actions = ["generate_barcodes", "labels_a4", "labels_roll"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("product")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # SKUs are created with their product (variant matrix) or by import

    @admin.display(description=_("retail price"), ordering="retail_price_fen")
    def retail_price(self, obj: SKU) -> str:
        return yuan_display(obj.retail_price_fen)

    @admin.display(description=_("member price"), ordering="member_price_fen")
    def member_price(self, obj: SKU) -> str:
        return yuan_display(obj.member_price_fen) if obj.member_price_fen is not None else "—"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        readonly = list(self.readonly_fields)
        if not request.user.has_perm("catalog.change_price"):
            readonly += ["retail_price_fen", "member_price_fen", "cost_price_fen"]
        return readonly

    def save_model(self, request: HttpRequest, obj: SKU, form: Any, change: bool) -> None:
        data = form.cleaned_data
        try:
            prices = {
                field: data[field]
                for field in ("retail_price_fen", "member_price_fen", "cost_price_fen")
                if field in form.changed_data
            }
            if prices:
                services.sku_price_set(
                    sku=obj,
                    retail_price_fen=prices.get("retail_price_fen"),
                    member_price_fen=prices.get("member_price_fen"),
                    cost_price_fen=prices.get("cost_price_fen"),
                    clear_member_price="member_price_fen" in prices and prices["member_price_fen"] is None,
                    actor_id=request.user.pk,
                )
            if {"variant_name", "scale_plu", "is_active"} & set(form.changed_data):
                services.sku_update(
                    sku=obj,
                    variant_name=data.get("variant_name"),
                    is_active=data.get("is_active"),
                    scale_plu=data.get("scale_plu") or None,
                    clear_scale_plu=not data.get("scale_plu"),
                    actor_id=request.user.pk,
                )
        except DomainError as error:
            self.message_user(request, str(error.message), messages.ERROR)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        return None

    def _labels(self, queryset: QuerySet[SKU], layout: str) -> HttpResponse:
        contents = labels.label_contents_for(
            lines=[(sku.pk, 1) for sku in queryset.order_by("code")], store_id=None
        )
        response = HttpResponse(
            labels.labels_pdf(labels.labels_render(contents, layout), layout), content_type="application/pdf"
        )
        response["Content-Disposition"] = f'attachment; filename="labels-{layout}.pdf"'
        return response

    @admin.action(description=_("Print labels: A4 sheet (PDF)"))
    def labels_a4(self, request: HttpRequest, queryset: QuerySet[SKU]) -> HttpResponse:
        return self._labels(queryset, "a4")

    @admin.action(description=_("Print labels: 40×30 mm roll (PDF)"))
    def labels_roll(self, request: HttpRequest, queryset: QuerySet[SKU]) -> HttpResponse:
        return self._labels(queryset, "roll_40x30")

    @admin.action(description=_("Generate in-store barcodes for SKUs without one"))
    def generate_barcodes(self, request: HttpRequest, queryset: QuerySet[SKU]) -> None:
        created = services.barcodes_generate_missing(
            sku_ids=list(queryset.values_list("pk", flat=True)), actor_id=request.user.pk
        )
        self.message_user(
            request, _("%(count)d barcodes generated.") % {"count": len(created)}, messages.SUCCESS
        )


class BarcodeForm(forms.ModelForm):
    class Meta:
        model = Barcode
        fields = ["sku", "code", "is_primary"]


@admin.register(Barcode)
class BarcodeAdmin(ServiceSavingAdmin):
    form = BarcodeForm
    list_display = ["code", "sku", "is_primary"]
    search_fields = ["code", "sku__code", "sku__product__name"]
    autocomplete_fields = ["sku"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("sku__product")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False if obj is not None else super().has_change_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Barcode, form: Any, change: bool) -> None:
        try:
            created = services.barcode_add(
                sku=obj.sku, code=obj.code, is_primary=obj.is_primary, actor_id=request.user.pk
            )
            obj.pk = created.pk
        except DomainError as error:
            self.message_user(request, str(error.message), messages.ERROR)

    def delete_model(self, request: HttpRequest, obj: Barcode) -> None:
        services.barcode_remove(barcode=obj, actor_id=request.user.pk)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Barcode]) -> None:
        for barcode in queryset:
            services.barcode_remove(barcode=barcode, actor_id=request.user.pk)


@admin.register(StorePrice)
class StorePriceAdmin(ServiceSavingAdmin):
    list_display = ["store", "sku", "retail_price"]
    list_filter = ["store"]
    search_fields = ["sku__code", "sku__product__name"]
    autocomplete_fields = ["sku"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return scope_to_stores(
            super().get_queryset(request).select_related("store", "sku__product"), request.user
        )

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "store" and field is not None:
            field.queryset = scope_to_stores(field.queryset, request.user, field="pk")
        return field

    @admin.display(description=_("retail price"), ordering="retail_price_fen")
    def retail_price(self, obj: StorePrice) -> str:
        return yuan_display(obj.retail_price_fen)

    def save_model(self, request: HttpRequest, obj: StorePrice, form: Any, change: bool) -> None:
        try:
            saved = services.store_price_set(
                store=obj.store, sku=obj.sku, retail_price_fen=obj.retail_price_fen, actor_id=request.user.pk
            )
            if saved is not None:
                obj.pk = saved.pk
        except DomainError as error:
            self.message_user(request, str(error.message), messages.ERROR)

    def delete_model(self, request: HttpRequest, obj: StorePrice) -> None:
        services.store_price_set(
            store=obj.store, sku=obj.sku, retail_price_fen=None, actor_id=request.user.pk
        )

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[StorePrice]) -> None:
        for price in queryset.select_related("store", "sku"):
            self.delete_model(request, price)


@admin.register(PriceChange)
class PriceChangeAdmin(ServiceSavingAdmin):
    list_display = [
        "sku",
        "store",
        "effective_at",
        "retail_price_fen",
        "member_price_fen",
        "status",
        "applied_at",
    ]
    list_filter = ["status", "store"]
    search_fields = ["sku__code", "sku__product__name"]
    autocomplete_fields = ["sku"]
    fields = ["sku", "store", "effective_at", "retail_price_fen", "member_price_fen", "cost_price_fen"]
    actions = ["cancel"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request).select_related("sku__product", "store")
        store_ids = staff_store_ids(request.user)
        if store_ids is None:
            return queryset
        return queryset.filter(store_id__in=store_ids)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False if obj is not None else super().has_change_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: PriceChange, form: Any, change: bool) -> None:
        try:
            created = services.price_change_schedule(
                sku=obj.sku,
                store=obj.store,
                effective_at=obj.effective_at,
                retail_price_fen=obj.retail_price_fen,
                member_price_fen=obj.member_price_fen,
                cost_price_fen=obj.cost_price_fen,
                actor_id=request.user.pk,
            )
            obj.pk = created.pk
        except DomainError as error:
            self.message_user(request, str(error.message), messages.ERROR)

    @admin.action(description=_("Cancel the selected pending changes"))
    def cancel(self, request: HttpRequest, queryset: QuerySet[PriceChange]) -> None:
        for change in queryset.select_related("sku"):
            services.price_change_cancel(change=change, actor_id=request.user.pk)
