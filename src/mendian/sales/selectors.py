"""Reads of the sales app: what a till may see, carts priced for display, orders, shift reports.

Every read of store data is scoped to the caller's stores; another store's row is a 404."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from mendian.catalog.models import SKU, Category, Product, StorePrice
from mendian.core.errors import NotFound
from mendian.core.money import round_to_jiao
from mendian.promotions.pricing import CartLine, MemberPricing, PricedCart, PricingContext, price_cart
from mendian.sales.errors import OrderNotFound, PriceMissing, SkuNotFound
from mendian.sales.models import (
    ExceptionLog,
    HeldOrder,
    Order,
    OrderLine,
    OrderTender,
    PrepaidSale,
    Return,
    Shift,
)
from mendian.stores.models import Register, Store
from mendian.stores.selectors import scope_to_stores, staff_store_ids

DEFAULT_VAT_RATE_BP = 1300


@dataclass(frozen=True)
class LineInput:
    """A line as the till sends it."""

    sku_id: int
    qty: int
    serials: tuple[str, ...] = ()
    batch_id: int | None = None
    price_override_fen: int | None = None
    is_gift: bool = False


@dataclass(frozen=True)
class SkuInfo:
    sku_id: int
    code: str
    name: str
    list_price_fen: int
    member_price_fen: int | None
    category_id: int | None
    vat_rate_bp: int
    moves_stock: bool


def business_date_for(store: Store, at: datetime | None = None) -> date:
    """The store's business day of a moment: local date, minus one before the day's start time."""
    moment = (at or timezone.now()).astimezone(ZoneInfo(store.timezone or "Asia/Shanghai"))
    starts_at = store.business_day_starts_at
    if isinstance(starts_at, str):  # a default not yet round-tripped through the database
        hours, minutes = (int(part) for part in starts_at.split(":")[:2])
        before_start = (moment.hour, moment.minute) < (hours, minutes)
    else:
        before_start = moment.time() < starts_at
    return moment.date() - timedelta(days=1) if before_start else moment.date()


def register_for_sale(user: object, register_id: int, *, known: Register | None = None) -> Register:
    """A register of one of the caller's stores (with its store), else 404.

    `known` is the register the caller's bearer token is bound to, read in this request with its
    store: when it is the one asked for, the same checks run on it without reading it again."""
    if known is not None and known.pk == register_id:
        if not (known.is_active and known.store.is_active):
            raise NotFound(details={"register_id": register_id})
        store_ids = staff_store_ids(user)
        if store_ids is not None and known.store_id not in store_ids:
            raise NotFound(details={"register_id": register_id})
        return known
    register = (
        scope_to_stores(Register.objects.select_related("store"), user)
        .filter(pk=register_id, is_active=True, store__is_active=True)
        .first()
    )
    if register is None:
        raise NotFound(details={"register_id": register_id})
    return register


def sku_infos(*, store: Store, sku_ids: list[int]) -> dict[int, SkuInfo]:
    """Everything pricing and stock need about the cart's SKUs — SKU, product, category and the
    store's price override — in one hand-written query whatever their count (it runs on every quote
    and checkout; docs/adr/0004-hot-path-sql.md)."""
    with connection.cursor() as cursor:
        cursor.execute(_sku_infos_sql(len(sku_ids)), [store.pk, *sku_ids])
        rows = cursor.fetchall()
    missing = sorted(set(sku_ids) - {row[0] for row in rows})
    if missing:
        raise SkuNotFound(details={"sku_ids": missing})
    overrides = {row[0]: row[10] for row in rows if row[11] is not None}
    rows = [row[:10] for row in rows]
    infos: dict[int, SkuInfo] = {}
    for sku_id, code, variant, retail, member, product_name, kind, vat, category_id, category_vat in rows:
        if vat is None:
            vat = category_vat if category_vat is not None else DEFAULT_VAT_RATE_BP
        price = overrides.get(sku_id, retail)
        if price is None:
            raise PriceMissing(details={"sku_id": sku_id})
        infos[sku_id] = SkuInfo(
            sku_id=sku_id,
            code=code,
            name=f"{product_name} {variant}".strip(),
            list_price_fen=price,
            member_price_fen=member,
            category_id=category_id,
            vat_rate_bp=vat,
            moves_stock=kind != "service",
        )
    return infos


@cache
def _sku_infos_sql(count: int) -> str:
    def table(model: Any) -> str:
        return connection.ops.quote_name(model._meta.db_table)

    return (
        "SELECT s.id, s.code, s.variant_name, s.retail_price_fen, s.member_price_fen, p.name, p.kind, "
        "p.vat_rate_bp, p.category_id, c.vat_rate_bp, sp.retail_price_fen, sp.id "
        f"FROM {table(SKU)} s JOIN {table(Product)} p ON p.id = s.product_id "
        f"LEFT JOIN {table(Category)} c ON c.id = p.category_id "
        f"LEFT JOIN {table(StorePrice)} sp ON sp.sku_id = s.id AND sp.store_id = %s "
        f"WHERE s.id IN ({', '.join(['%s'] * count)}) AND s.is_active AND p.is_active"
    )


def member_pricing_lookup(member_id: int | None) -> MemberPricing | None:
    """What a member is entitled to at the till: the member's tier (members app); unknown ids are refused."""
    if member_id is None:
        return None
    from mendian.members.selectors import member_get

    member = member_get(member_id)
    tier = member.tier
    return MemberPricing(
        member_id=member.pk,
        tier_discount_bp=tier.discount_bp if tier else 0,
        member_price_eligible=tier.member_price_eligible if tier else True,
    )


def cart_price(
    *,
    store: Store,
    lines: list[LineInput],
    member_id: int | None = None,
    manual_discount_fen: int = 0,
    at: datetime | None = None,
) -> tuple[PricedCart, dict[int, SkuInfo]]:
    """Resolve the cart's SKUs and prices and run the one pricing function."""
    infos = sku_infos(store=store, sku_ids=sorted({line.sku_id for line in lines}))
    cart_lines = [
        CartLine(
            sku_id=line.sku_id,
            qty=line.qty,
            list_price_fen=infos[line.sku_id].list_price_fen,
            member_price_fen=infos[line.sku_id].member_price_fen,
            category_id=infos[line.sku_id].category_id,
            is_gift=line.is_gift,
            price_override_fen=line.price_override_fen,
        )
        for line in lines
    ]
    context = PricingContext(
        store_id=store.pk,
        at=at or timezone.now(),
        member=member_pricing_lookup(member_id),
        manual_discount_fen=manual_discount_fen,
    )
    return price_cart(lines=cart_lines, context=context), infos


def cart_quote(
    *, register: Register, lines: list[LineInput], member_id: int | None = None, manual_discount_fen: int = 0
) -> dict[str, Any]:
    """A priced cart for the screen; nothing is saved."""
    priced, infos = cart_price(
        store=register.store, lines=lines, member_id=member_id, manual_discount_fen=manual_discount_fen
    )
    return quote_out(priced=priced, infos=infos, store=register.store)


def quote_out(*, priced: PricedCart, infos: dict[int, SkuInfo], store: Store) -> dict[str, Any]:
    """The API shape of a priced cart (the cart's quote, and the new goods of an exchange's quote)."""
    total = priced.total_fen
    return {
        "lines": [
            {
                "sku_id": line.sku_id,
                "sku_code": infos[line.sku_id].code,
                "name": infos[line.sku_id].name,
                "qty": line.qty,
                "list_price_fen": line.list_price_fen,
                "unit_price_fen": line.unit_price_fen,
                "discount_fen": line.discount_fen,
                "total_fen": line.total_fen,
                "reasons": line.reasons,
            }
            for line in priced.lines
        ],
        "subtotal_fen": priced.subtotal_fen,
        "discount_fen": priced.discount_fen,
        "total_fen": total,
        "cash_due_fen": round_to_jiao(total) if store.cash_rounding_to_jiao else total,
    }


def order_out(order: Order, lines: list[OrderLine], tenders: list[OrderTender]) -> dict[str, Any]:
    """The API shape of an order, built from rows already in memory (no queries)."""
    return {
        "id": order.pk,
        "number": order.number,
        "client_order_id": str(order.client_order_id),
        "status": order.status,
        "store_id": order.store_id,
        "register_id": order.register_id,
        "shift_id": order.shift_id,
        "cashier_id": order.cashier_id,
        "member_id": order.member_id,
        "is_training": order.is_training,
        "note": order.note,
        "business_date": order.business_date,
        "lines": [
            {
                "id": line.pk,
                "line_no": line.line_no,
                "sku_id": line.sku_id,
                "sku_code": line.sku_code,
                "name": line.name,
                "qty": line.qty,
                "list_price_fen": line.list_price_fen,
                "unit_price_fen": line.unit_price_fen,
                "discount_fen": line.discount_fen,
                "total_fen": line.total_fen,
                "tax_fen": line.tax_fen,
                "is_gift": line.is_gift,
                "reasons": line.reasons,
                "serials": line.serials,
                "refunded_qty": line.refunded_qty,
                "refunded_fen": line.refunded_fen,
            }
            for line in lines
        ],
        "tenders": [
            {
                "id": tender.pk,
                "kind": tender.kind,
                "amount_fen": tender.amount_fen,
                "tendered_fen": tender.tendered_fen,
                "change_fen": tender.change_fen,
                "refunded_fen": tender.refunded_fen,
                "status": tender.status,
                "reference": tender.reference,
                "card_last4": tender.card_last4,
                "approval_code": tender.approval_code,
            }
            for tender in tenders
        ],
        "subtotal_fen": order.subtotal_fen,
        "discount_fen": order.discount_fen,
        "manual_discount_fen": order.manual_discount_fen,
        "total_fen": order.total_fen,
        "rounding_fen": order.rounding_fen,
        "paid_fen": order.paid_fen,
        "change_fen": order.change_fen,
        "tax_fen": order.tax_fen,
        "refunded_fen": order.refunded_fen,
        "receipt_token": order.receipt_token,
        "receipt_url": order.receipt_url,
        "created_at": order.created_at,
    }


def orders_visible_to(user: object) -> QuerySet[Order]:
    return scope_to_stores(Order.objects.all(), user)


def order_get(user: object, order_id: int) -> Order:
    order = (
        orders_visible_to(user)
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.order_by("line_no")),
            Prefetch("tenders", queryset=OrderTender.objects.order_by("id")),
        )
        .filter(pk=order_id)
        .first()
    )
    if order is None:
        raise OrderNotFound()
    return order


def order_detail_out(order: Order) -> dict[str, Any]:
    return order_out(order, list(order.lines.all()), list(order.tenders.all()))


def order_for_display(*, register_id: int, receipt_token: str) -> Order | None:
    """The order a register's customer display is showing, by the receipt token the till published."""
    return (
        Order.objects.only("pk", "member_id", "is_training", "status")
        .filter(receipt_token=receipt_token, register_id=register_id)
        .first()
    )


def order_list(
    user: object,
    *,
    store_id: int | None = None,
    register_id: int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    status: str | None = None,
    is_training: bool | None = None,
    number: str | None = None,
) -> QuerySet[Order]:
    orders = orders_visible_to(user).prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.order_by("line_no")),
        Prefetch("tenders", queryset=OrderTender.objects.order_by("id")),
    )
    if store_id is not None:
        orders = orders.filter(store_id=store_id)
    if register_id is not None:
        orders = orders.filter(register_id=register_id)
    if date_from is not None:
        orders = orders.filter(business_date__gte=date_from)
    if date_to is not None:
        orders = orders.filter(business_date__lte=date_to)
    if status:
        orders = orders.filter(status=status)
    if is_training is not None:
        orders = orders.filter(is_training=is_training)
    if number:
        orders = orders.filter(number=number)
    return orders.order_by("-id")


def return_out(ret: Return) -> dict[str, Any]:
    return {
        "id": ret.pk,
        "client_return_id": str(ret.client_return_id),
        "order_id": ret.order_id,
        "exchange_order_id": ret.exchange_order_id,
        "store_id": ret.store_id,
        "register_id": ret.register_id,
        "refund_fen": ret.refund_fen,
        "restock": ret.restock,
        "reason": ret.reason,
        "is_training": ret.is_training,
        "lines": [
            {
                "id": line.pk,
                "order_line_id": line.order_line_id,
                "sku_id": line.sku_id,
                "name": line.name,
                "qty": line.qty,
                "refund_fen": line.refund_fen,
                "serials": line.serials,
            }
            for line in ret.lines.all()
        ],
        "tenders": [
            {"kind": tender.kind, "amount_fen": tender.amount_fen, "reference": tender.reference}
            for tender in ret.tenders.all()
        ],
        "created_at": ret.created_at,
    }


def return_get(user: object, return_id: int) -> Return:
    ret = (
        scope_to_stores(Return.objects.all(), user)
        .prefetch_related("lines", "tenders")
        .filter(pk=return_id)
        .first()
    )
    if ret is None:
        raise NotFound()
    return ret


def shift_current(register: Register) -> Shift | None:
    return Shift.objects.filter(register=register, closed_at__isnull=True).first()


def shift_get(user: object, shift_id: int) -> Shift:
    shift = scope_to_stores(Shift.objects.select_related("register"), user).filter(pk=shift_id).first()
    if shift is None:
        raise NotFound()
    return shift


def shift_report(shift: Shift) -> dict[str, Any]:
    """X report (open shift) or Z report (closed): read from the shift's own rollup, no order scan."""
    return {
        "shift_id": shift.pk,
        "store_id": shift.store_id,
        "register_id": shift.register_id,
        "business_date": shift.business_date,
        "opened_at": shift.opened_at,
        "opened_by_id": shift.opened_by_id,
        "closed_at": shift.closed_at,
        "closed_by_id": shift.closed_by_id,
        "is_closed": shift.closed_at is not None,
        "order_count": shift.order_count,
        "return_count": shift.return_count,
        "subtotal_fen": shift.subtotal_fen,
        "sales_fen": shift.sales_fen,
        "discounts_fen": shift.discounts_fen,
        "tax_fen": shift.tax_fen,
        "rounding_fen": shift.rounding_fen,
        "refunds_fen": shift.refunds_fen,
        "net_sales_fen": shift.sales_fen - shift.refunds_fen,
        "by_tender": dict(shift.by_tender),
        "refunds_by_tender": dict(shift.refunds_by_tender),
        "float_fen": shift.float_fen,
        "paid_in_fen": shift.paid_in_fen,
        "paid_out_fen": shift.paid_out_fen,
        "no_sale_count": shift.no_sale_count,
        "prepaid_count": shift.prepaid_count,
        "prepaid_in_fen": shift.prepaid_in_fen,
        "prepaid_out_fen": shift.prepaid_out_fen,
        "prepaid_by_kind": dict(shift.prepaid_by_kind),
        "prepaid_by_tender": dict(shift.prepaid_by_tender),
        "cash_expected_fen": shift.cash_balance_fen,
        "cash_counted_fen": shift.cash_counted_fen,
        "variance_fen": shift.variance_fen,
        "counted": shift.counted,
    }


ROLLUP_FIELDS = (
    "order_count",
    "return_count",
    "subtotal_fen",
    "sales_fen",
    "discounts_fen",
    "tax_fen",
    "rounding_fen",
    "refunds_fen",
    "paid_in_fen",
    "paid_out_fen",
    "no_sale_count",
    "float_fen",
    "prepaid_count",
    "prepaid_in_fen",
    "prepaid_out_fen",
)


def daily_close(store: Store, business_date: date) -> dict[str, Any]:
    """A store's day: the sum of its shifts' rollups (training registers never touch them)."""
    shifts = list(Shift.objects.filter(store=store, business_date=business_date, register__is_training=False))
    totals: dict[str, Any] = {name: sum(getattr(shift, name) for shift in shifts) for name in ROLLUP_FIELDS}
    by_tender: Counter[str] = Counter()
    refunds_by_tender: Counter[str] = Counter()
    prepaid_by_kind: Counter[str] = Counter()
    prepaid_by_tender: Counter[str] = Counter()
    for shift in shifts:
        by_tender.update(shift.by_tender)
        refunds_by_tender.update(shift.refunds_by_tender)
        prepaid_by_kind.update(shift.prepaid_by_kind)
        prepaid_by_tender.update(shift.prepaid_by_tender)
    closed = [shift for shift in shifts if shift.closed_at is not None]
    return {
        "store_id": store.pk,
        "business_date": business_date,
        "shift_count": len(shifts),
        "open_shift_count": len(shifts) - len(closed),
        **totals,
        "net_sales_fen": totals["sales_fen"] - totals["refunds_fen"],
        "by_tender": dict(by_tender),
        "refunds_by_tender": dict(refunds_by_tender),
        "prepaid_by_kind": dict(prepaid_by_kind),
        "prepaid_by_tender": dict(prepaid_by_tender),
        "cash_expected_fen": sum(shift.cash_balance_fen for shift in shifts),
        "cash_counted_fen": sum(shift.cash_counted_fen or 0 for shift in closed),
        "variance_fen": sum(shift.variance_fen or 0 for shift in closed),
        "shifts": [shift_report(shift) for shift in shifts],
    }


def prepaid_get(user: object, sale_id: int) -> PrepaidSale:
    sale = scope_to_stores(PrepaidSale.objects.all(), user).filter(pk=sale_id).first()
    if sale is None:
        raise NotFound()
    return sale


def prepaid_out(sale: PrepaidSale) -> dict[str, Any]:
    """The API shape of a stored value or card sale (one query for its tenders)."""
    return {
        "id": sale.pk,
        "number": sale.number,
        "client_id": str(sale.client_id),
        "kind": sale.kind,
        "kind_label": str(PrepaidSale.Kind(sale.kind).label),
        "is_refund": sale.is_refund,
        "description": sale.description,
        "store_id": sale.store_id,
        "register_id": sale.register_id,
        "shift_id": sale.shift_id,
        "cashier_id": sale.cashier_id,
        "member_id": sale.member_id,
        "business_date": sale.business_date,
        "amount_fen": sale.amount_fen,
        "bonus_fen": sale.bonus_fen,
        "paid_fen": sale.paid_fen,
        "change_fen": sale.change_fen,
        "reason": sale.reason,
        "details": sale.details,
        "tenders": [
            {
                "kind": tender.kind,
                "amount_fen": tender.amount_fen,
                "tendered_fen": tender.tendered_fen,
                "change_fen": tender.change_fen,
                "reference": tender.reference,
                "card_last4": tender.card_last4,
            }
            for tender in sale.tenders.order_by("id")
        ],
        "receipt_url": sale.receipt_url,
        "created_at": sale.created_at,
    }


def held_list(user: object, register: Register) -> QuerySet[HeldOrder]:
    return scope_to_stores(HeldOrder.objects.filter(register=register), user).order_by("id")


def held_get(user: object, held_id: int) -> HeldOrder:
    held = scope_to_stores(HeldOrder.objects.all(), user).filter(pk=held_id).first()
    if held is None:
        raise NotFound()
    return held


def exception_list(
    user: object, *, store_id: int | None = None, kind: str | None = None, date_from: date | None = None
) -> QuerySet[ExceptionLog]:
    entries = scope_to_stores(ExceptionLog.objects.all(), user)
    if store_id is not None:
        entries = entries.filter(store_id=store_id)
    if kind:
        entries = entries.filter(kind=kind)
    if date_from is not None:
        entries = entries.filter(created_at__date__gte=date_from)
    return entries.order_by("-id")
