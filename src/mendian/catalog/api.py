"""API of the catalog app (mounted at /api/v1/catalog/): till look-up, search and change feed,
products and SKUs, prices, barcodes, scheduled price changes, labels, import and export."""

from __future__ import annotations

import json
from typing import Any

from django.db.models import Prefetch, Q
from django.http import HttpRequest, HttpResponse
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile

from mendian.catalog import labels, selectors, services, spreadsheets
from mendian.catalog.errors import BarcodeNotFound
from mendian.catalog.models import SKU, Barcode, Brand, Category, PriceChange, Product, Unit
from mendian.catalog.schemas import (
    BarcodeIn,
    BarcodeOut,
    ChangesOut,
    ImportReportOut,
    LabelsIn,
    LookupOut,
    PriceChangeIn,
    PriceChangeOut,
    PriceIn,
    ProductCreateIn,
    ProductOut,
    ProductPage,
    ProductUpdateIn,
    SearchOut,
    SkuCreateIn,
    SkuOut,
    SkuUpdateIn,
    StorePriceIn,
    StorePriceOut,
)
from mendian.core.errors import DomainError, NotFound
from mendian.stores.selectors import permission_check, store_access_check, store_get

router = Router(tags=["catalog"])


def _till_store_id(request: HttpRequest, store_id: int | None) -> int | None:
    """Prices are those of the store asked for, else of the till the caller signed in at."""
    if store_id is not None:
        store_access_check(request.user, store_id)
        return store_id
    register = getattr(request, "mendian_register", None)
    return register.store_id if register is not None else None


def _json(data: Any, status: int = 200) -> HttpResponse:
    """Compact JSON straight from rows (a full catalogue page is thousands of items)."""
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return HttpResponse(body.encode(), status=status, content_type="application/json")


# --- till --------------------------------------------------------------------------------------


@router.get("/changes", response=ChangesOut, summary="SKUs changed since a cursor (till catalogue sync)")
def changes(
    request: HttpRequest,
    since: int = 0,
    limit: int = selectors.CHANGES_DEFAULT_LIMIT,
    store_id: int | None = None,
) -> HttpResponse:
    """Start with since=0 to download the whole catalogue, then keep asking with `next_cursor` while
    `has_more`; later calls return only what changed. Inactive SKUs come with is_active false."""
    permission_check(request.user, "catalog.view_sku")
    page = selectors.catalog_changes_json(
        since=since, limit=limit, store_id=_till_store_id(request, store_id)
    )
    # The items arrive as JSON text written by the database: a full download is 100,000 SKUs.
    tail = json.dumps({"next_cursor": page.next_cursor, "has_more": page.has_more})
    body = '{"items":' + page.items_json + "," + tail[1:]
    return HttpResponse(body.encode(), content_type="application/json")


@router.get("/lookup", response=LookupOut, summary="Find the item of a scanned or typed code")
def lookup(request: HttpRequest, code: str, store_id: int | None = None) -> HttpResponse:
    permission_check(request.user, "catalog.view_sku")
    result = selectors.till_lookup(code=code, store_id=_till_store_id(request, store_id))
    if result is None:
        raise BarcodeNotFound(details={"code": code[:48]})
    return _json(
        {
            "item": result.item,
            "matched_by": result.matched_by,
            "scale_weight_g": result.scale.weight_g if result.scale else None,
            "scale_price_fen": result.scale.price_fen if result.scale else None,
        }
    )


@router.get("/search", response=SearchOut, summary="Search sellable items by name, pinyin or initials")
def search(request: HttpRequest, q: str, limit: int = 20, store_id: int | None = None) -> HttpResponse:
    permission_check(request.user, "catalog.view_sku")
    items = selectors.till_search(q=q, limit=limit, store_id=_till_store_id(request, store_id))
    return _json({"items": items})


# --- products and SKUs ---------------------------------------------------------------------------


def _products_queryset() -> Any:
    return Product.objects.prefetch_related(
        Prefetch("skus", queryset=SKU.objects.order_by("code").prefetch_related("barcodes"))
    )


def _sku_out(sku: SKU, show_cost: bool) -> dict[str, Any]:
    return {
        "id": sku.pk,
        "product_id": sku.product_id,
        "code": sku.code,
        "attributes": sku.attributes,
        "variant_name": sku.variant_name,
        "retail_price_fen": sku.retail_price_fen,
        "member_price_fen": sku.member_price_fen,
        "cost_price_fen": sku.cost_price_fen if show_cost else None,
        "scale_plu": sku.scale_plu,
        "is_active": sku.is_active,
        "barcodes": [
            barcode.code for barcode in sorted(sku.barcodes.all(), key=lambda b: (not b.is_primary, b.pk))
        ],
        "change_seq": sku.change_seq,
    }


def _product_out(product: Product, show_cost: bool) -> dict[str, Any]:
    return {
        "id": product.pk,
        "code": product.code,
        "name": product.name,
        "name_pinyin": product.name_pinyin,
        "name_initials": product.name_initials,
        "kind": product.kind,
        "category_id": product.category_id,
        "brand_id": product.brand_id,
        "unit_id": product.unit_id,
        "vat_rate_bp": product.vat_rate_bp,
        "service_minutes": product.service_minutes,
        "service_staff_needed": product.service_staff_needed,
        "is_active": product.is_active,
        "skus": [_sku_out(sku, show_cost) for sku in product.skus.all()],
    }


def _shows_cost(request: HttpRequest) -> bool:
    return bool(request.user.has_perm("catalog.change_price"))


def _product_get(product_id: int) -> Product:
    product = _products_queryset().filter(pk=product_id).first()
    if product is None:
        raise NotFound()
    return product


def _related(model: Any, pk: int | None) -> Any:
    if pk is None:
        return None
    instance = model.objects.filter(pk=pk).first()
    if instance is None:
        raise DomainError(code="related_not_found", details={model._meta.model_name: pk})
    return instance


@router.get("/products", response=list[ProductOut], summary="Products with their SKUs")
def product_list(
    request: HttpRequest,
    page: Query[ProductPage],
    q: str = "",
    category_id: int | None = None,
    is_active: bool | None = None,
) -> list[dict[str, Any]]:
    permission_check(request.user, "catalog.view_product")
    products = _products_queryset().order_by("code")
    if q:
        products = products.filter(
            Q(name__icontains=q) | Q(code__icontains=q) | Q(name_initials__startswith=q.lower())
        )
    if category_id is not None:
        products = products.filter(category_id=category_id)
    if is_active is not None:
        products = products.filter(is_active=is_active)
    limit = max(1, min(page.limit, 200))
    show_cost = _shows_cost(request)
    return [_product_out(product, show_cost) for product in products[page.offset : page.offset + limit]]


@router.post("/products", response={201: ProductOut}, summary="Create a product with all its variants")
def product_create(request: HttpRequest, payload: ProductCreateIn) -> Status:
    permission_check(request.user, "catalog.add_product")
    product = services.product_create_with_variants(
        code=payload.code,
        name=payload.name,
        kind=payload.kind,
        category=_related(Category, payload.category_id),
        brand=_related(Brand, payload.brand_id),
        unit=_related(Unit, payload.unit_id),
        vat_rate_bp=payload.vat_rate_bp,
        attributes=payload.attributes,
        retail_price_fen=payload.retail_price_fen,
        member_price_fen=payload.member_price_fen,
        cost_price_fen=payload.cost_price_fen,
        barcodes=payload.barcodes,
        generate_barcodes=payload.generate_barcodes,
        service_minutes=payload.service_minutes,
        service_staff_needed=payload.service_staff_needed,
        is_active=payload.is_active,
        actor_id=request.user.pk,
    )
    return Status(201, _product_out(_product_get(product.pk), _shows_cost(request)))


@router.get("/products/{product_id}", response=ProductOut, summary="One product")
def product_detail(request: HttpRequest, product_id: int) -> dict[str, Any]:
    permission_check(request.user, "catalog.view_product")
    return _product_out(_product_get(product_id), _shows_cost(request))


@router.patch("/products/{product_id}", response=ProductOut, summary="Change a product")
def product_patch(request: HttpRequest, product_id: int, payload: ProductUpdateIn) -> dict[str, Any]:
    permission_check(request.user, "catalog.change_product")
    product = _product_get(product_id)
    given = payload.model_dump(exclude_unset=True)
    changes: dict[str, Any] = {}
    for key, value in given.items():
        if key == "category_id":
            changes["category"] = _related(Category, value)
        elif key == "brand_id":
            changes["brand"] = _related(Brand, value)
        elif key == "unit_id":
            changes["unit"] = _related(Unit, value)
        elif value is not None or key in {"vat_rate_bp", "service_minutes", "service_staff_needed"}:
            changes[key] = value
    services.product_update(product=product, actor_id=request.user.pk, **changes)
    return _product_out(_product_get(product_id), _shows_cost(request))


@router.delete(
    "/products/{product_id}", response=ProductOut, summary="Deactivate a product (kept for history)"
)
def product_deactivate(request: HttpRequest, product_id: int) -> dict[str, Any]:
    permission_check(request.user, "catalog.change_product")
    services.product_update(product=_product_get(product_id), is_active=False, actor_id=request.user.pk)
    return _product_out(_product_get(product_id), _shows_cost(request))


@router.post("/products/{product_id}/skus", response={201: SkuOut}, summary="Add a variant")
def sku_create(request: HttpRequest, product_id: int, payload: SkuCreateIn) -> Status:
    permission_check(request.user, "catalog.add_sku")
    sku = services.sku_add(
        product=_product_get(product_id),
        code=payload.code,
        attributes=payload.attributes,
        retail_price_fen=payload.retail_price_fen,
        member_price_fen=payload.member_price_fen,
        cost_price_fen=payload.cost_price_fen,
        scale_plu=payload.scale_plu or None,
        actor_id=request.user.pk,
    )
    return Status(201, _sku_out(_sku_get(sku.pk), _shows_cost(request)))


def _sku_get(sku_id: int) -> SKU:
    sku = SKU.objects.prefetch_related("barcodes").filter(pk=sku_id).first()
    if sku is None:
        raise NotFound()
    return sku


@router.get("/skus/{sku_id}", response=SkuOut, summary="One SKU")
def sku_detail(request: HttpRequest, sku_id: int) -> dict[str, Any]:
    permission_check(request.user, "catalog.view_sku")
    return _sku_out(_sku_get(sku_id), _shows_cost(request))


@router.patch("/skus/{sku_id}", response=SkuOut, summary="Change a SKU (activate, name, scale PLU)")
def sku_patch(request: HttpRequest, sku_id: int, payload: SkuUpdateIn) -> dict[str, Any]:
    permission_check(request.user, "catalog.change_sku")
    services.sku_update(
        sku=_sku_get(sku_id),
        is_active=payload.is_active,
        variant_name=payload.variant_name,
        scale_plu=payload.scale_plu or None,
        clear_scale_plu=payload.scale_plu == "",
        actor_id=request.user.pk,
    )
    return _sku_out(_sku_get(sku_id), _shows_cost(request))


@router.put("/skus/{sku_id}/price", response=SkuOut, summary="Change the unified prices (audited)")
def sku_price(request: HttpRequest, sku_id: int, payload: PriceIn) -> dict[str, Any]:
    permission_check(request.user, "catalog.change_price")
    services.sku_price_set(
        sku=_sku_get(sku_id),
        retail_price_fen=payload.retail_price_fen,
        member_price_fen=payload.member_price_fen,
        cost_price_fen=payload.cost_price_fen,
        clear_member_price=payload.clear_member_price,
        reason=payload.reason,
        actor_id=request.user.pk,
    )
    return _sku_out(_sku_get(sku_id), True)


@router.put(
    "/skus/{sku_id}/store-prices/{store_id}",
    response=StorePriceOut,
    summary="Set or remove a store's own price",
)
def store_price(request: HttpRequest, sku_id: int, store_id: int, payload: StorePriceIn) -> dict[str, Any]:
    permission_check(request.user, "catalog.change_storeprice")
    store = store_get(request.user, store_id)
    sku = _sku_get(sku_id)
    services.store_price_set(
        store=store,
        sku=sku,
        retail_price_fen=payload.retail_price_fen,
        reason=payload.reason,
        actor_id=request.user.pk,
    )
    resolved = selectors.price_for(store.pk, sku)
    return {
        "store_id": store.pk,
        "sku_id": sku.pk,
        "retail_price_fen": resolved.retail_price_fen,
        "unified_retail_price_fen": resolved.unified_retail_price_fen,
        "is_store_override": resolved.is_store_override,
    }


@router.post("/skus/{sku_id}/barcodes", response={201: BarcodeOut}, summary="Add a barcode")
def barcode_create(request: HttpRequest, sku_id: int, payload: BarcodeIn) -> Status:
    permission_check(request.user, "catalog.add_barcode")
    barcode = services.barcode_add(
        sku=_sku_get(sku_id), code=payload.code, is_primary=payload.is_primary, actor_id=request.user.pk
    )
    return Status(201, barcode)


@router.post(
    "/skus/{sku_id}/barcodes/generate", response={201: BarcodeOut}, summary="Generate an in-store barcode"
)
def barcode_generate(request: HttpRequest, sku_id: int) -> Status:
    permission_check(request.user, "catalog.add_barcode")
    return Status(201, services.barcode_generate_instore(sku=_sku_get(sku_id), actor_id=request.user.pk))


@router.delete("/barcodes/{barcode_id}", response={204: None}, summary="Remove a barcode")
def barcode_delete(request: HttpRequest, barcode_id: int) -> Status:
    permission_check(request.user, "catalog.delete_barcode")
    barcode = Barcode.objects.select_related("sku").filter(pk=barcode_id).first()
    if barcode is None:
        raise NotFound()
    services.barcode_remove(barcode=barcode, actor_id=request.user.pk)
    return Status(204, None)


# --- scheduled price changes -----------------------------------------------------------------------


@router.post("/price-changes", response={201: PriceChangeOut}, summary="Schedule a price change")
def price_change_create(request: HttpRequest, payload: PriceChangeIn) -> Status:
    permission_check(request.user, "catalog.change_price")
    store = store_get(request.user, payload.store_id) if payload.store_id is not None else None
    change = services.price_change_schedule(
        sku=_sku_get(payload.sku_id),
        store=store,
        effective_at=payload.effective_at,
        retail_price_fen=payload.retail_price_fen,
        member_price_fen=payload.member_price_fen,
        cost_price_fen=payload.cost_price_fen,
        actor_id=request.user.pk,
    )
    return Status(201, change)


@router.get("/price-changes", response=list[PriceChangeOut], summary="Scheduled price changes")
def price_change_list(
    request: HttpRequest, status: str | None = None, sku_id: int | None = None, limit: int = 100
) -> list[PriceChange]:
    permission_check(request.user, "catalog.view_pricechange")
    changes = PriceChange.objects.order_by("effective_at", "id")
    if status:
        changes = changes.filter(status=status)
    if sku_id is not None:
        changes = changes.filter(sku_id=sku_id)
    return list(changes[: max(1, min(limit, 500))])


@router.delete("/price-changes/{change_id}", response={204: None}, summary="Cancel a pending price change")
def price_change_cancel(request: HttpRequest, change_id: int) -> Status:
    permission_check(request.user, "catalog.change_price")
    change = PriceChange.objects.select_related("sku").filter(pk=change_id).first()
    if change is None:
        raise NotFound()
    services.price_change_cancel(change=change, actor_id=request.user.pk)
    return Status(204, None)


# --- labels, import, export --------------------------------------------------------------------------


@router.post(
    "/labels",
    response={200: None},
    summary="Label sheet as PDF or PNG (A4 or 40×30 mm roll)",
    openapi_extra={
        "responses": {
            "200": {"content": {"application/pdf": {}, "image/png": {}}, "description": "The labels."}
        }
    },
)
def label_sheet(request: HttpRequest, payload: LabelsIn) -> HttpResponse:
    permission_check(request.user, "catalog.view_sku")
    contents = labels.label_contents_for(
        lines=[(line.sku_id, line.copies) for line in payload.items],
        store_id=_till_store_id(request, payload.store_id),
    )
    pages = labels.labels_render(contents, payload.layout)
    if payload.format == "pdf":
        return HttpResponse(labels.labels_pdf(pages, payload.layout), content_type="application/pdf")
    return HttpResponse(labels.labels_png(pages, payload.layout, payload.page), content_type="image/png")


@router.post("/import", response=ImportReportOut, summary="Import products, variants, prices and barcodes")
def catalog_import(
    request: HttpRequest, file: File[UploadedFile], valid_rows_only: Form[bool] = False
) -> dict[str, Any]:
    """CSV or XLSX, one row per SKU. With errors nothing is written unless valid_rows_only is true."""
    permission_check(request.user, "catalog.add_product")
    permission_check(request.user, "catalog.change_price")
    report = spreadsheets.catalog_import(
        content=file.read(),
        filename=file.name or "",
        valid_rows_only=valid_rows_only,
        actor_id=request.user.pk,
    )
    return report.__dict__


@router.get(
    "/export",
    response={200: None},
    summary="Export every SKU as CSV or XLSX (the import format)",
    openapi_extra={"responses": {"200": {"description": "The file."}}},
)
def catalog_export(request: HttpRequest, format: str = "csv") -> HttpResponse:
    permission_check(request.user, "catalog.view_product")
    permission_check(request.user, "catalog.change_price")  # the file carries cost prices
    table = spreadsheets.catalog_export_rows()
    if format == "xlsx":
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        response = HttpResponse(spreadsheets.table_to_xlsx(table), content_type=content_type)
        filename = "catalog.xlsx"
    else:
        response = HttpResponse(spreadsheets.table_to_csv(table), content_type="text/csv; charset=utf-8")
        filename = "catalog.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
