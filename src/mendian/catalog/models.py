"""One product library for every store and channel: categories, brands, products, SKUs, barcodes, prices."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Category(models.Model):
    """A node of the category tree (饮料 > 碳酸饮料)."""

    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    sort_order = models.IntegerField(_("sort order"), default=0)
    vat_rate_bp = models.PositiveIntegerField(
        _("VAT rate (basis points)"),
        default=1300,
        help_text=_("1300 = 13 %; used when the product sets none."),
    )
    tax_code = models.CharField(_("tax classification code"), max_length=19, blank=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


class Brand(models.Model):
    """A brand (可口可乐, 农夫山泉); names are unique."""

    name = models.CharField(_("name"), max_length=100, unique=True)

    class Meta:
        verbose_name = _("brand")
        verbose_name_plural = _("brands")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Unit(models.Model):
    """Unit of measure (个, 瓶, 千克). Weighed units sell fractional quantities in grams."""

    name = models.CharField(_("name"), max_length=20, unique=True)
    is_weighed = models.BooleanField(_("sold by weight"), default=False)

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    """A product as the customer knows it (a T-shirt style); what is sold and stocked is its SKU."""

    class Kind(models.TextChoices):
        GOODS = "goods", _("goods")
        SERVICE = "service", _("service item")

    code = models.CharField(_("product code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_pinyin = models.CharField(_("pinyin"), max_length=400, blank=True, db_index=True)
    name_initials = models.CharField(_("pinyin initials"), max_length=100, blank=True, db_index=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.GOODS)
    category = models.ForeignKey(
        Category, verbose_name=_("category"), null=True, blank=True, on_delete=models.PROTECT
    )
    brand = models.ForeignKey(
        Brand, verbose_name=_("brand"), null=True, blank=True, on_delete=models.SET_NULL
    )
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), null=True, blank=True, on_delete=models.PROTECT)
    vat_rate_bp = models.PositiveIntegerField(_("VAT rate (basis points)"), null=True, blank=True)
    allow_negative_stock = models.BooleanField(
        _("may sell below zero stock"), null=True, blank=True, help_text=_("Empty: use the store's default.")
    )
    tracks_batches = models.BooleanField(_("tracks batches / expiry"), default=False)
    tracks_serials = models.BooleanField(_("tracks serial numbers"), default=False)
    service_minutes = models.PositiveIntegerField(_("service duration (minutes)"), null=True, blank=True)
    service_staff_needed = models.PositiveSmallIntegerField(_("staff needed"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class SKU(models.Model):
    """A sellable variant (红色 / L) with its own code, barcodes and prices. Money in fen."""

    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="skus"
    )
    code = models.CharField(_("SKU code"), max_length=48, unique=True)
    attributes = models.JSONField(
        _("attributes"), default=dict, blank=True, help_text=_('e.g. {"颜色": "红", "尺码": "L"}')
    )
    variant_name = models.CharField(_("variant"), max_length=100, blank=True)
    retail_price_fen = models.BigIntegerField(_("retail price (fen)"))
    member_price_fen = models.BigIntegerField(_("member price (fen)"), null=True, blank=True)
    cost_price_fen = models.BigIntegerField(_("cost price (fen)"), default=0)
    scale_plu = models.CharField(
        _("scale PLU"),
        max_length=5,
        null=True,
        blank=True,
        unique=True,
        help_text=_("5-digit PLU the shop's label scales print into price/weight barcodes."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    # Monotonic change cursor for tills: every write of a SKU, its price or barcodes bumps it.
    change_seq = models.BigIntegerField(_("change sequence"), default=0, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("SKU")
        verbose_name_plural = _("SKUs")
        ordering = ["code"]
        permissions = [("change_price", _("Can change prices"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(retail_price_fen__gte=0), name="sku_retail_price_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(member_price_fen__isnull=True) | Q(member_price_fen__gte=0),
                name="sku_member_price_not_negative",
            ),
            models.CheckConstraint(condition=Q(cost_price_fen__gte=0), name="sku_cost_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.product.name} {self.variant_name}".strip()


class Barcode(models.Model):
    """One of a SKU's barcodes (EAN-13, EAN-8, UPC-A, or an in-store code starting with 2)."""

    sku = models.ForeignKey(SKU, verbose_name=_("SKU"), on_delete=models.CASCADE, related_name="barcodes")
    code = models.CharField(_("barcode"), max_length=32, unique=True)
    is_primary = models.BooleanField(_("primary"), default=False)

    class Meta:
        verbose_name = _("barcode")
        verbose_name_plural = _("barcodes")

    def __str__(self) -> str:
        return self.code


class StorePrice(models.Model):
    """A store's own price for a SKU, overriding the unified retail price."""

    store = models.ForeignKey("stores.Store", verbose_name=_("store"), on_delete=models.CASCADE)
    sku = models.ForeignKey(SKU, verbose_name=_("SKU"), on_delete=models.CASCADE, related_name="store_prices")
    retail_price_fen = models.BigIntegerField(_("retail price (fen)"))

    class Meta:
        verbose_name = _("store price")
        verbose_name_plural = _("store prices")
        constraints = [
            models.UniqueConstraint(fields=["store", "sku"], name="store_price_unique"),
            models.CheckConstraint(condition=Q(retail_price_fen__gte=0), name="store_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.store_id}:{self.sku_id}={self.retail_price_fen}"


class CatalogCounter(models.Model):
    """A named monotonic counter (the tills' change cursor, in-store barcode numbers).

    Values are taken with a row-locking UPDATE … RETURNING inside the writer's transaction, so the
    counter is handed out in commit order: a till that has seen value n has seen every value below n.
    """

    name = models.CharField(_("name"), max_length=32, primary_key=True)
    value = models.BigIntegerField(_("value"), default=0)

    class Meta:
        verbose_name = _("catalog counter")
        verbose_name_plural = _("catalog counters")

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


class SearchKey(models.Model):
    """One suffix of a product's name, full pinyin or pinyin initials (可乐, kele, kl for 可口可乐), or
    one of its codes (the product's, each SKU's; lower case).

    A till search is then one index range scan over `key` instead of a LIKE '%…%' over every product.
    Rebuilt by the catalog services whenever a product's name changes or it gets a SKU.
    """

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="search_keys")
    key = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("search key")
        verbose_name_plural = _("search keys")
        indexes = [models.Index(fields=["key"], name="catalog_searchkey_key")]

    def __str__(self) -> str:
        return self.key


class PriceChange(models.Model):
    """A price change planned for a moment: unified (no store) or one store's override.

    Empty price fields keep the current value. The periodic task applies each change once, at or
    after `effective_at`, through the same audited service as a manual change.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        APPLIED = "applied", _("applied")
        CANCELLED = "cancelled", _("cancelled")

    sku = models.ForeignKey(
        SKU, verbose_name=_("SKU"), on_delete=models.CASCADE, related_name="price_changes"
    )
    store = models.ForeignKey(
        "stores.Store",
        verbose_name=_("store"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        help_text=_("Empty: the unified price of every store."),
    )
    retail_price_fen = models.BigIntegerField(_("retail price (fen)"), null=True, blank=True)
    member_price_fen = models.BigIntegerField(_("member price (fen)"), null=True, blank=True)
    cost_price_fen = models.BigIntegerField(_("cost price (fen)"), null=True, blank=True)
    effective_at = models.DateTimeField(_("effective at"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)

    class Meta:
        verbose_name = _("scheduled price change")
        verbose_name_plural = _("scheduled price changes")
        ordering = ["effective_at", "id"]
        indexes = [models.Index(fields=["status", "effective_at"], name="catalog_pricechange_due")]
        constraints = [
            models.CheckConstraint(
                condition=Q(retail_price_fen__isnull=True) | Q(retail_price_fen__gte=0),
                name="price_change_retail_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(member_price_fen__isnull=True) | Q(member_price_fen__gte=0),
                name="price_change_member_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(cost_price_fen__isnull=True) | Q(cost_price_fen__gte=0),
                name="price_change_cost_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sku_id} @ {self.effective_at:%Y-%m-%d %H:%M}"
