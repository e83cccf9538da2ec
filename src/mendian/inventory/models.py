"""Stock per store × SKU as a ledger: StockLevel is the balance row, StockMove the append-only entries."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class StockLevel(models.Model):
    """On-hand quantity of one SKU in one store. Always equals the sum of its moves."""

    store = models.ForeignKey("stores.Store", verbose_name=_("store"), on_delete=models.PROTECT)
    sku = models.ForeignKey(
        "catalog.SKU", verbose_name=_("SKU"), on_delete=models.PROTECT, related_name="stock_levels"
    )
    on_hand_qty = models.BigIntegerField(_("on hand"), default=0)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("stock level")
        verbose_name_plural = _("stock levels")
        constraints = [models.UniqueConstraint(fields=["store", "sku"], name="stock_level_unique")]

    def __str__(self) -> str:
        return f"{self.store_id}/{self.sku_id}: {self.on_hand_qty}"


class StockMove(models.Model):
    """One change of stock with its reason and source document; `balance_after` is the level after it."""

    class Reason(models.TextChoices):
        SALE = "sale", _("sale")
        RETURN = "return", _("customer return")
        RECEIPT = "receipt", _("goods receipt")
        TRANSFER_OUT = "transfer_out", _("transfer out")
        TRANSFER_IN = "transfer_in", _("transfer in")
        ADJUSTMENT = "adjustment", _("adjustment")
        STOCKTAKE = "stocktake", _("stocktake")
        DAMAGE = "damage", _("damage")
        SAMPLE = "sample", _("sample")
        OPENING = "opening", _("opening balance")

    store = models.ForeignKey("stores.Store", verbose_name=_("store"), on_delete=models.PROTECT)
    sku = models.ForeignKey(
        "catalog.SKU", verbose_name=_("SKU"), on_delete=models.PROTECT, related_name="stock_moves"
    )
    qty = models.BigIntegerField(_("quantity"))
    balance_after = models.BigIntegerField(_("balance after"))
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    source_type = models.CharField(_("source document type"), max_length=40, blank=True)
    source_id = models.CharField(_("source document"), max_length=64, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True, on_delete=models.PROTECT
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    batch = models.ForeignKey(
        "inventory.Batch",
        verbose_name=_("batch"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="moves",
    )
    serials = models.JSONField(_("serial numbers"), default=list, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("stock move")
        verbose_name_plural = _("stock moves")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["store", "sku", "id"]),
            models.Index(fields=["source_type", "source_id"]),
        ]
        constraints = [models.CheckConstraint(condition=~Q(qty=0), name="stock_move_qty_not_zero")]

    def __str__(self) -> str:
        return f"{self.reason} {self.qty:+d} → {self.balance_after}"


class Batch(models.Model):
    """A lot of one SKU with its production and expiry dates; the batch number is unique per SKU.

    A batch belongs to the SKU, not to a store: its stock per store is kept in BatchStock."""

    sku = models.ForeignKey(
        "catalog.SKU", verbose_name=_("SKU"), on_delete=models.PROTECT, related_name="batches"
    )
    batch_no = models.CharField(_("batch number"), max_length=64)
    production_date = models.DateField(_("production date"), null=True, blank=True)
    expiry_date = models.DateField(_("expiry date"), null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("batch")
        verbose_name_plural = _("batches")
        ordering = ["expiry_date", "id"]
        constraints = [
            models.UniqueConstraint(fields=["sku", "batch_no"], name="batch_unique_no_per_sku"),
            models.CheckConstraint(
                condition=Q(production_date__isnull=True)
                | Q(expiry_date__isnull=True)
                | Q(expiry_date__gte=models.F("production_date")),
                name="batch_expiry_after_production",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.batch_no} ({self.expiry_date or '-'})"


class BatchStock(models.Model):
    """Quantity of one batch in one store: always the sum of that store's moves naming the batch.

    Never negative; the part of a store's stock of a SKU not in any batch is level minus these rows."""

    store = models.ForeignKey("stores.Store", verbose_name=_("store"), on_delete=models.PROTECT)
    sku = models.ForeignKey("catalog.SKU", verbose_name=_("SKU"), on_delete=models.PROTECT, related_name="+")
    batch = models.ForeignKey(Batch, verbose_name=_("batch"), on_delete=models.PROTECT, related_name="stocks")
    qty = models.BigIntegerField(_("quantity"), default=0)

    class Meta:
        verbose_name = _("batch stock")
        verbose_name_plural = _("batch stock")
        constraints = [
            models.UniqueConstraint(fields=["store", "batch"], name="batch_stock_unique"),
            models.CheckConstraint(condition=Q(qty__gte=0), name="batch_stock_not_negative"),
        ]
        indexes = [models.Index(fields=["store", "sku"])]

    def __str__(self) -> str:
        return f"{self.store_id}/{self.batch_id}: {self.qty}"


class SerialNumber(models.Model):
    """One serialized unit (串号, IMEI): which store holds it and whether it is in stock, sold or returned.

    A serial number is unique per SKU; only an in-stock or returned unit can be sold."""

    class Status(models.TextChoices):
        IN_STOCK = "in_stock", _("in stock")
        SOLD = "sold", _("sold")
        RETURNED = "returned", _("returned")
        IN_TRANSIT = "in_transit", _("in transit")
        REMOVED = "removed", _("written off")

    AVAILABLE = (Status.IN_STOCK, Status.RETURNED)

    sku = models.ForeignKey(
        "catalog.SKU", verbose_name=_("SKU"), on_delete=models.PROTECT, related_name="serials"
    )
    serial = models.CharField(_("serial number"), max_length=64)
    store = models.ForeignKey("stores.Store", verbose_name=_("store"), on_delete=models.PROTECT)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.IN_STOCK)
    batch = models.ForeignKey(Batch, verbose_name=_("batch"), null=True, blank=True, on_delete=models.PROTECT)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("serial number")
        verbose_name_plural = _("serial numbers")
        ordering = ["serial"]
        constraints = [models.UniqueConstraint(fields=["sku", "serial"], name="serial_unique_per_sku")]
        indexes = [models.Index(fields=["store", "sku", "status"]), models.Index(fields=["serial"])]

    def __str__(self) -> str:
        return self.serial


class StockAdjustment(models.Model):
    """A manual stock correction (damage, sample, adjustment) as a document; its moves point to it.

    `client_id` makes a retried request create it once."""

    class Reason(models.TextChoices):
        DAMAGE = "damage", _("damage")
        SAMPLE = "sample", _("sample")
        ADJUSTMENT = "adjustment", _("adjustment")

    store = models.ForeignKey("stores.Store", verbose_name=_("store"), on_delete=models.PROTECT)
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)
    client_id = models.UUIDField(_("client id"), null=True, blank=True, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True, on_delete=models.PROTECT
    )
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("stock adjustment")
        verbose_name_plural = _("stock adjustments")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} #{self.pk}"


class Transfer(models.Model):
    """Goods sent from one store to another: requested → approved → shipped (in transit) → received.

    Shipping takes the stock out of the source (transfer_out), receiving puts what arrived into the
    destination (transfer_in); a difference is recorded per line with its reason."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("requested")
        APPROVED = "approved", _("approved")
        SHIPPED = "shipped", _("shipped (in transit)")
        RECEIVED = "received", _("received")
        CANCELLED = "cancelled", _("cancelled")

    number = models.CharField(_("number"), max_length=32, unique=True)
    from_store = models.ForeignKey(
        "stores.Store", verbose_name=_("from store"), on_delete=models.PROTECT, related_name="transfers_out"
    )
    to_store = models.ForeignKey(
        "stores.Store", verbose_name=_("to store"), on_delete=models.PROTECT, related_name="transfers_in"
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.REQUESTED)
    note = models.CharField(_("note"), max_length=200, blank=True)
    client_id = models.UUIDField(_("client id"), null=True, blank=True, unique=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(from_store=models.F("to_store")), name="transfer_between_two_stores"
            )
        ]

    def __str__(self) -> str:
        return self.number


class TransferLine(models.Model):
    """One SKU of a transfer: requested, shipped and received quantities, and why they differ."""

    transfer = models.ForeignKey(
        Transfer, verbose_name=_("transfer"), on_delete=models.CASCADE, related_name="lines"
    )
    sku = models.ForeignKey("catalog.SKU", verbose_name=_("SKU"), on_delete=models.PROTECT, related_name="+")
    batch = models.ForeignKey(Batch, verbose_name=_("batch"), null=True, blank=True, on_delete=models.PROTECT)
    serials = models.JSONField(_("serial numbers"), default=list, blank=True)
    requested_qty = models.BigIntegerField(_("requested"))
    shipped_qty = models.BigIntegerField(_("shipped"), null=True, blank=True)
    received_qty = models.BigIntegerField(_("received"), null=True, blank=True)
    difference_reason = models.CharField(_("reason for difference"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("transfer line")
        verbose_name_plural = _("transfer lines")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(requested_qty__gt=0), name="transfer_line_qty_positive"),
            models.CheckConstraint(
                condition=Q(received_qty__isnull=True) | Q(received_qty__gte=0),
                name="transfer_line_received_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sku_id} × {self.requested_qty}"

    @property
    def difference_qty(self) -> int | None:
        if self.received_qty is None or self.shipped_qty is None:
            return None
        return self.received_qty - self.shipped_qty


class Stocktake(models.Model):
    """A count sheet (盘点单) of one store, full or for some categories; posting adjusts stock to the count once."""

    class Status(models.TextChoices):
        COUNTING = "counting", _("counting")
        POSTED = "posted", _("posted")
        CANCELLED = "cancelled", _("cancelled")

    class Scope(models.TextChoices):
        FULL = "full", _("full")
        PARTIAL = "partial", _("partial (by category)")

    number = models.CharField(_("number"), max_length=32, unique=True)
    store = models.ForeignKey("stores.Store", verbose_name=_("store"), on_delete=models.PROTECT)
    scope = models.CharField(_("scope"), max_length=16, choices=Scope.choices, default=Scope.FULL)
    categories = models.ManyToManyField("catalog.Category", verbose_name=_("categories"), blank=True)
    is_blind = models.BooleanField(
        _("blind count"), default=False, help_text=_("Counters do not see the expected quantity.")
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.COUNTING)
    note = models.CharField(_("note"), max_length=200, blank=True)
    client_id = models.UUIDField(_("client id"), null=True, blank=True, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("posted by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    posted_at = models.DateTimeField(_("posted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("stocktake")
        verbose_name_plural = _("stocktakes")
        ordering = ["-id"]
        permissions = [("post_stocktake", _("Can post a stocktake's adjustments"))]

    def __str__(self) -> str:
        return self.number


class StocktakeLine(models.Model):
    """One SKU on a count sheet: the quantity expected when the sheet was made, the count, the posted variance."""

    stocktake = models.ForeignKey(
        Stocktake, verbose_name=_("stocktake"), on_delete=models.CASCADE, related_name="lines"
    )
    sku = models.ForeignKey("catalog.SKU", verbose_name=_("SKU"), on_delete=models.PROTECT, related_name="+")
    expected_qty = models.BigIntegerField(_("expected"))
    counted_qty = models.BigIntegerField(_("counted"), null=True, blank=True)
    posted_variance_qty = models.BigIntegerField(_("posted variance"), null=True, blank=True)
    counted_at = models.DateTimeField(_("counted at"), null=True, blank=True)
    counted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("counted by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("stocktake line")
        verbose_name_plural = _("stocktake lines")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["stocktake", "sku"], name="stocktake_line_unique_sku"),
            models.CheckConstraint(
                condition=Q(counted_qty__isnull=True) | Q(counted_qty__gte=0),
                name="stocktake_count_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sku_id}: {self.counted_qty}/{self.expected_qty}"


class StockRule(models.Model):
    """Low-stock rule of one store × SKU: alert at or below the reorder point, refill up to the maximum."""

    store = models.ForeignKey("stores.Store", verbose_name=_("store"), on_delete=models.CASCADE)
    sku = models.ForeignKey("catalog.SKU", verbose_name=_("SKU"), on_delete=models.CASCADE, related_name="+")
    min_qty = models.BigIntegerField(_("minimum"), default=0)
    reorder_point_qty = models.BigIntegerField(_("reorder point"), default=0)
    max_qty = models.BigIntegerField(_("maximum"), null=True, blank=True)

    class Meta:
        verbose_name = _("low-stock rule")
        verbose_name_plural = _("low-stock rules")
        constraints = [
            models.UniqueConstraint(fields=["store", "sku"], name="stock_rule_unique"),
            models.CheckConstraint(
                condition=Q(min_qty__gte=0) & Q(reorder_point_qty__gte=models.F("min_qty")),
                name="stock_rule_min_le_reorder_point",
            ),
            models.CheckConstraint(
                condition=Q(max_qty__isnull=True) | Q(max_qty__gte=models.F("reorder_point_qty")),
                name="stock_rule_reorder_point_le_max",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.store_id}/{self.sku_id} ≤{self.reorder_point_qty}"


class ExpiryRule(models.Model):
    """Near-expiry rule: warn this many days before a batch expires (for one product, or every product)."""

    store = models.ForeignKey("stores.Store", verbose_name=_("store"), on_delete=models.CASCADE)
    product = models.ForeignKey(
        "catalog.Product",
        verbose_name=_("product"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        help_text=_("Empty: every product of the store."),
    )
    days = models.PositiveIntegerField(_("days before expiry"))

    class Meta:
        verbose_name = _("near-expiry rule")
        verbose_name_plural = _("near-expiry rules")
        constraints = [
            models.UniqueConstraint(fields=["store", "product"], name="expiry_rule_unique"),
            models.UniqueConstraint(
                fields=["store"], condition=Q(product__isnull=True), name="expiry_rule_unique_store_default"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.store_id}/{self.product_id or '*'}: {self.days}"


class Alert(models.Model):
    """A stock alert (low stock, near expiry, expired); at most one open alert per subject (dedupe_key)."""

    class Kind(models.TextChoices):
        LOW_STOCK = "low_stock", _("low stock")
        NEAR_EXPIRY = "near_expiry", _("near expiry")
        EXPIRED = "expired", _("expired")

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        RESOLVED = "resolved", _("resolved")

    store = models.ForeignKey("stores.Store", verbose_name=_("store"), on_delete=models.CASCADE)
    sku = models.ForeignKey("catalog.SKU", verbose_name=_("SKU"), on_delete=models.CASCADE, related_name="+")
    batch = models.ForeignKey(Batch, verbose_name=_("batch"), null=True, blank=True, on_delete=models.CASCADE)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    dedupe_key = models.CharField(_("subject"), max_length=100)
    qty = models.BigIntegerField(_("quantity"))
    threshold_qty = models.BigIntegerField(_("threshold"), null=True, blank=True)
    suggested_order_qty = models.BigIntegerField(_("suggested order"), null=True, blank=True)
    expiry_date = models.DateField(_("expiry date"), null=True, blank=True)
    created_at = models.DateTimeField(_("raised at"), auto_now_add=True, db_index=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("stock alert")
        verbose_name_plural = _("stock alerts")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["dedupe_key"], condition=Q(status="open"), name="alert_one_open_per_subject"
            ),
        ]
        indexes = [models.Index(fields=["store", "status"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.dedupe_key}"
