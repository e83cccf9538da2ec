"""Orders from the till, their lines and tenders, returns, held carts, shifts with the cash-drawer
ledger, and the exception log. Money is integer fen; rules that must always hold are DB constraints."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class TenderKind(models.TextChoices):
    CASH = "cash", _("cash")
    CARD = "card", _("bank card")
    PENDING_DIGITAL = "pending_digital", _("digital payment (pending)")
    POINTS = "points", _("points")
    STORED_VALUE = "stored_value", _("stored value")
    EXCHANGE_CREDIT = "exchange_credit", _("exchange credit")


class Shift(models.Model):
    """A cashier's session on one register, from opening float to counted close.

    The shift row is also the balance row of the register's cash drawer (`cash_balance_fen`, never
    negative) and the rollup the X/Z reports read, so reports never scan the order tables. Checkout
    locks it, so a close and a sale on the same register never interleave. At most one open shift
    per register."""

    store = models.ForeignKey("stores.Store", verbose_name=_("store"), on_delete=models.PROTECT)
    register = models.ForeignKey("stores.Register", verbose_name=_("register"), on_delete=models.PROTECT)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("opened by"), on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(_("opened at"), auto_now_add=True)
    business_date = models.DateField(_("business date"), db_index=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    float_fen = models.BigIntegerField(_("opening float (fen)"), default=0)
    cash_balance_fen = models.BigIntegerField(_("cash expected in drawer (fen)"), default=0)
    counted = models.JSONField(_("counted by denomination"), null=True, blank=True)
    cash_counted_fen = models.BigIntegerField(_("cash counted (fen)"), null=True, blank=True)
    variance_fen = models.BigIntegerField(_("variance (fen)"), null=True, blank=True)
    order_count = models.PositiveIntegerField(_("orders"), default=0)
    return_count = models.PositiveIntegerField(_("returns"), default=0)
    sales_fen = models.BigIntegerField(_("sales (fen)"), default=0)
    subtotal_fen = models.BigIntegerField(_("sales at list price (fen)"), default=0)
    discounts_fen = models.BigIntegerField(_("discounts (fen)"), default=0)
    tax_fen = models.BigIntegerField(_("tax (fen)"), default=0)
    rounding_fen = models.BigIntegerField(_("cash rounding (fen)"), default=0)
    refunds_fen = models.BigIntegerField(_("refunds (fen)"), default=0)
    paid_in_fen = models.BigIntegerField(_("paid in (fen)"), default=0)
    paid_out_fen = models.BigIntegerField(_("paid out (fen)"), default=0)
    no_sale_count = models.PositiveIntegerField(_("drawer opens without sale"), default=0)
    by_tender = models.JSONField(_("sales by tender"), default=dict, blank=True)
    refunds_by_tender = models.JSONField(_("refunds by tender"), default=dict, blank=True)
    prepaid_count = models.PositiveIntegerField(_("stored value and card sales"), default=0)
    prepaid_in_fen = models.BigIntegerField(_("stored value and cards sold (fen)"), default=0)
    prepaid_out_fen = models.BigIntegerField(_("stored value and cards refunded (fen)"), default=0)
    prepaid_by_kind = models.JSONField(_("stored value and cards by kind"), default=dict, blank=True)
    prepaid_by_tender = models.JSONField(_("stored value and cards by tender"), default=dict, blank=True)

    class Meta:
        verbose_name = _("shift")
        verbose_name_plural = _("shifts")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["register"], condition=Q(closed_at__isnull=True), name="shift_one_open_per_register"
            ),
            models.CheckConstraint(condition=Q(cash_balance_fen__gte=0), name="shift_cash_not_negative"),
            models.CheckConstraint(condition=Q(float_fen__gte=0), name="shift_float_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.register_id} {self.opened_at:%Y-%m-%d %H:%M}"


class CashDrawerEntry(models.Model):
    """Append-only ledger of the cash drawer: every fen in or out with its reason and the balance after.

    The sum of a shift's entries always equals its `cash_balance_fen`."""

    class Kind(models.TextChoices):
        FLOAT = "float", _("opening float")
        SALE_CASH_IN = "sale_cash_in", _("cash received")
        CHANGE_OUT = "change_out", _("change given")
        REFUND_OUT = "refund_out", _("cash refund")
        PAID_IN = "paid_in", _("paid in")
        PAID_OUT = "paid_out", _("paid out")

    shift = models.ForeignKey(
        Shift, verbose_name=_("shift"), on_delete=models.PROTECT, related_name="cash_entries"
    )
    store = models.ForeignKey("stores.Store", verbose_name=_("store"), on_delete=models.PROTECT)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    balance_after = models.BigIntegerField(_("balance after (fen)"))
    source_type = models.CharField(_("source document type"), max_length=20, blank=True)
    source_id = models.CharField(_("source document"), max_length=64, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True, on_delete=models.PROTECT
    )
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("cash drawer entry")
        verbose_name_plural = _("cash drawer entries")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(balance_after__gte=0), name="cash_entry_balance_not_negative"),
            models.CheckConstraint(
                condition=(Q(kind__in=["float", "sale_cash_in", "paid_in"]) & Q(amount_fen__gt=0))
                | (Q(kind__in=["change_out", "refund_out", "paid_out"]) & Q(amount_fen__lt=0)),
                name="cash_entry_sign_matches_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount_fen:+d} → {self.balance_after}"


class OrderCounter(models.Model):
    """The last order number handed out per register and business day (T1-20261122-0007)."""

    register = models.ForeignKey("stores.Register", on_delete=models.CASCADE)
    business_date = models.DateField()
    last_seq = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["register", "business_date"], name="order_counter_unique_day"),
        ]

    def __str__(self) -> str:
        return f"{self.register_id} {self.business_date} {self.last_seq}"


class Order(models.Model):
    """A sale at a till. Created once per client_order_id (the till's UUID); its totals equal the sum
    of its lines, and its tenders cover the total. Training orders are kept apart from the books."""

    class Status(models.TextChoices):
        PENDING_PAYMENT = "pending_payment", _("pending payment")
        COMPLETED = "completed", _("completed")
        PARTIALLY_REFUNDED = "partially_refunded", _("partially refunded")
        REFUNDED = "refunded", _("refunded")
        VOIDED = "voided", _("voided")

    store = models.ForeignKey("stores.Store", verbose_name=_("store"), on_delete=models.PROTECT)
    register = models.ForeignKey("stores.Register", verbose_name=_("register"), on_delete=models.PROTECT)
    shift = models.ForeignKey(
        Shift, verbose_name=_("shift"), null=True, blank=True, on_delete=models.PROTECT, related_name="orders"
    )
    cashier = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("cashier"), on_delete=models.PROTECT, related_name="+"
    )
    authorizer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("authorized by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    member_id = models.BigIntegerField(_("member"), null=True, blank=True, db_index=True)
    client_order_id = models.UUIDField(_("client order id"), unique=True)
    number = models.CharField(_("number"), max_length=40)
    business_date = models.DateField(_("business date"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.COMPLETED)
    is_training = models.BooleanField(_("training"), default=False)
    note = models.CharField(_("note"), max_length=500, blank=True)
    override_reason = models.CharField(_("reason for override or discount"), max_length=200, blank=True)
    subtotal_fen = models.BigIntegerField(_("subtotal at list price (fen)"))
    discount_fen = models.BigIntegerField(_("discount (fen)"))
    manual_discount_fen = models.BigIntegerField(_("manual discount (fen)"), default=0)
    total_fen = models.BigIntegerField(_("total (fen)"))
    rounding_fen = models.BigIntegerField(_("cash rounding (fen)"), default=0)
    paid_fen = models.BigIntegerField(_("paid (fen)"))
    change_fen = models.BigIntegerField(_("change (fen)"), default=0)
    tax_fen = models.BigIntegerField(_("tax included (fen)"), default=0)
    refunded_fen = models.BigIntegerField(_("refunded (fen)"), default=0)
    receipt_token = models.CharField(_("receipt token"), max_length=32, unique=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-id"]
        permissions = [
            ("override_price", _("Can authorize price overrides and manual discounts")),
            ("refund_order", _("Can refund an order with its receipt")),
            ("refund_unreceipted", _("Can refund without a receipt")),
            ("view_exceptions", _("Can view the exception log")),
        ]
        indexes = [
            models.Index(fields=["store", "business_date"]),
            models.Index(fields=["register", "created_at"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["store", "number"], name="order_number_unique_per_store"),
            models.CheckConstraint(condition=Q(total_fen__gte=0), name="order_total_not_negative"),
            models.CheckConstraint(
                condition=Q(total_fen__lte=F("subtotal_fen")), name="order_total_not_above_list"
            ),
            models.CheckConstraint(condition=Q(change_fen__gte=0), name="order_change_not_negative"),
            models.CheckConstraint(
                condition=Q(refunded_fen__gte=0) & Q(refunded_fen__lte=F("total_fen")),
                name="order_refund_within_total",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def receipt_url(self) -> str:
        return f"/r/{self.receipt_token}/"


class OrderLine(models.Model):
    """A sold SKU: a snapshot of its name and prices, what the customer paid for it after allocated
    order discounts (`total_fen`), and how much of it came back."""

    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="lines")
    line_no = models.PositiveSmallIntegerField(_("line"))
    sku = models.ForeignKey("catalog.SKU", verbose_name=_("SKU"), on_delete=models.PROTECT, related_name="+")
    sku_code = models.CharField(_("SKU code"), max_length=48)
    name = models.CharField(_("name"), max_length=300)
    qty = models.IntegerField(_("quantity"))
    list_price_fen = models.BigIntegerField(_("list price (fen)"))
    unit_price_fen = models.BigIntegerField(_("unit price (fen)"))
    price_override_fen = models.BigIntegerField(_("price override (fen)"), null=True, blank=True)
    discount_fen = models.BigIntegerField(_("discount (fen)"))
    total_fen = models.BigIntegerField(_("total (fen)"))
    tax_fen = models.BigIntegerField(_("tax included (fen)"), default=0)
    vat_rate_bp = models.PositiveIntegerField(_("VAT rate (basis points)"), default=0)
    is_gift = models.BooleanField(_("gift"), default=False)
    reasons = models.JSONField(_("pricing reasons"), default=list, blank=True)
    serials = models.JSONField(_("serial numbers"), default=list, blank=True)
    batch_id = models.BigIntegerField(_("batch"), null=True, blank=True)
    refunded_qty = models.IntegerField(_("returned quantity"), default=0)
    refunded_fen = models.BigIntegerField(_("refunded (fen)"), default=0)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["order", "line_no"]
        constraints = [
            models.CheckConstraint(condition=Q(qty__gt=0), name="order_line_qty_positive"),
            models.CheckConstraint(condition=Q(total_fen__gte=0), name="order_line_total_not_negative"),
            models.CheckConstraint(
                condition=Q(refunded_qty__gte=0) & Q(refunded_qty__lte=F("qty")),
                name="order_line_refund_qty_range",
            ),
            models.CheckConstraint(
                condition=Q(refunded_fen__gte=0) & Q(refunded_fen__lte=F("total_fen")),
                name="order_line_refund_within_total",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} × {self.qty}"


class OrderTender(models.Model):
    """One payment towards an order. Card tenders keep only the last 4 digits, the terminal reference
    and the approval code; never card data. Change is given only from cash."""

    class Status(models.TextChoices):
        COMPLETED = "completed", _("completed")
        PENDING = "pending", _("pending")
        FAILED = "failed", _("failed")

    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="tenders"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=TenderKind.choices)
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    tendered_fen = models.BigIntegerField(_("handed over (fen)"), default=0)
    change_fen = models.BigIntegerField(_("change (fen)"), default=0)
    refunded_fen = models.BigIntegerField(_("refunded (fen)"), default=0)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.COMPLETED)
    reference = models.CharField(_("reference"), max_length=64, blank=True)
    card_last4 = models.CharField(_("card last 4 digits"), max_length=4, blank=True)
    approval_code = models.CharField(_("approval code"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("tender")
        verbose_name_plural = _("tenders")
        ordering = ["order", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gte=0), name="tender_amount_not_negative"),
            models.CheckConstraint(condition=Q(change_fen__gte=0), name="tender_change_not_negative"),
            models.CheckConstraint(
                condition=Q(change_fen=0) | Q(kind="cash"), name="tender_change_only_cash"
            ),
            models.CheckConstraint(
                condition=Q(refunded_fen__gte=0) & Q(refunded_fen__lte=F("amount_fen")),
                name="tender_refund_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount_fen}"


class Return(models.Model):
    """Goods coming back: with the original order (refund = what was paid for those units after
    allocated discounts, back to the original tenders) or, with permission, without a receipt.
    Created once per client_return_id."""

    store = models.ForeignKey("stores.Store", verbose_name=_("store"), on_delete=models.PROTECT)
    register = models.ForeignKey("stores.Register", verbose_name=_("register"), on_delete=models.PROTECT)
    shift = models.ForeignKey(
        Shift,
        verbose_name=_("shift"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="returns",
    )
    order = models.ForeignKey(
        Order,
        verbose_name=_("order"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="returns",
    )
    exchange_order = models.ForeignKey(
        Order,
        verbose_name=_("exchange order"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    cashier = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("cashier"), on_delete=models.PROTECT, related_name="+"
    )
    client_return_id = models.UUIDField(_("client return id"), unique=True)
    business_date = models.DateField(_("business date"))
    is_training = models.BooleanField(_("training"), default=False)
    restock = models.BooleanField(_("back to stock"), default=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    refund_fen = models.BigIntegerField(_("refund (fen)"))
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("return")
        verbose_name_plural = _("returns")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(refund_fen__gte=0), name="return_refund_not_negative")
        ]

    def __str__(self) -> str:
        return f"R{self.pk}"


class ReturnLine(models.Model):
    ret = models.ForeignKey(Return, verbose_name=_("return"), on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(
        OrderLine,
        verbose_name=_("order line"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    sku = models.ForeignKey("catalog.SKU", verbose_name=_("SKU"), on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=300)
    qty = models.IntegerField(_("quantity"))
    refund_fen = models.BigIntegerField(_("refund (fen)"))
    # The serial numbers of the units that came back (a subset of the order line's, never twice).
    serials = models.JSONField(_("serial numbers"), default=list, blank=True)

    class Meta:
        verbose_name = _("return line")
        verbose_name_plural = _("return lines")
        constraints = [
            models.CheckConstraint(condition=Q(qty__gt=0), name="return_line_qty_positive"),
            models.CheckConstraint(condition=Q(refund_fen__gte=0), name="return_line_refund_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.name} × {self.qty}"


class ReturnTender(models.Model):
    ret = models.ForeignKey(
        Return, verbose_name=_("return"), on_delete=models.CASCADE, related_name="tenders"
    )
    original_tender = models.ForeignKey(
        OrderTender, verbose_name=_("original tender"), null=True, blank=True, on_delete=models.PROTECT
    )
    kind = models.CharField(_("kind"), max_length=20, choices=TenderKind.choices)
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    reference = models.CharField(_("reference"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("refund tender")
        verbose_name_plural = _("refund tenders")
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="return_tender_amount_positive")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount_fen}"


class PrepaidSale(models.Model):
    """Money a member pays in advance, or gets back, at a till: stored value (top-up, with a plan's bonus),
    a count card, a paid membership card (buy, renew, upgrade) and their refunds.

    It is a liability, not goods revenue, so it never counts in the shift's sales; it has its own tenders,
    cash-drawer entries and shift rollup (`prepaid_*`), and prints its own receipt. Created once per
    `client_id` (the till's UUID); a repeat returns the first document."""

    class Kind(models.TextChoices):
        TOP_UP = "top_up", _("stored value top-up")
        COUNT_CARD = "count_card", _("count card sale")
        MEMBERSHIP_BUY = "membership_buy", _("paid membership card")
        MEMBERSHIP_RENEW = "membership_renew", _("paid membership renewal")
        MEMBERSHIP_UPGRADE = "membership_upgrade", _("paid membership upgrade")
        TOP_UP_REFUND = "top_up_refund", _("stored value refund")
        COUNT_CARD_REFUND = "count_card_refund", _("count card refund")
        MEMBERSHIP_REFUND = "membership_refund", _("paid membership refund")

    REFUND_KINDS = frozenset({"top_up_refund", "count_card_refund", "membership_refund"})

    store = models.ForeignKey("stores.Store", verbose_name=_("store"), on_delete=models.PROTECT)
    register = models.ForeignKey("stores.Register", verbose_name=_("register"), on_delete=models.PROTECT)
    shift = models.ForeignKey(
        Shift,
        verbose_name=_("shift"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="prepaid",
    )
    cashier = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("cashier"), on_delete=models.PROTECT, related_name="+"
    )
    authorizer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("authorized by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    member = models.ForeignKey(
        "members.Member", verbose_name=_("member"), on_delete=models.PROTECT, related_name="+"
    )
    client_id = models.UUIDField(_("client document id"), unique=True)
    number = models.CharField(_("number"), max_length=40)
    business_date = models.DateField(_("business date"))
    is_training = models.BooleanField(_("training"), default=False)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    description = models.CharField(_("description"), max_length=200)
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    bonus_fen = models.BigIntegerField(_("stored value bonus (fen)"), default=0)
    paid_fen = models.BigIntegerField(_("handed over (fen)"), default=0)
    change_fen = models.BigIntegerField(_("change (fen)"), default=0)
    plan_id = models.BigIntegerField(_("plan"), null=True, blank=True)
    source_id = models.CharField(_("member ledger document"), max_length=64, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    receipt_token = models.CharField(_("receipt token"), max_length=32, unique=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("stored value and card sale")
        verbose_name_plural = _("stored value and card sales")
        ordering = ["-id"]
        permissions = [("refund_prepaidsale", _("Can pay back stored value and cards"))]
        indexes = [models.Index(fields=["store", "business_date"], name="prepaid_store_day_idx")]
        constraints = [
            models.UniqueConstraint(fields=["store", "number"], name="prepaid_number_unique_per_store"),
            models.CheckConstraint(condition=Q(amount_fen__gte=0), name="prepaid_amount_not_negative"),
            models.CheckConstraint(condition=Q(bonus_fen__gte=0), name="prepaid_bonus_not_negative"),
            models.CheckConstraint(condition=Q(change_fen__gte=0), name="prepaid_change_not_negative"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_refund(self) -> bool:
        return self.kind in self.REFUND_KINDS

    @property
    def receipt_url(self) -> str:
        return f"/r/{self.receipt_token}/"


class PrepaidTender(models.Model):
    """One payment towards (or, for a refund, out of) a prepaid sale. Never stored value or points:
    stored value is not bought with stored value. Card tenders keep only the reference and last 4 digits."""

    sale = models.ForeignKey(
        PrepaidSale,
        verbose_name=_("stored value and card sale"),
        on_delete=models.CASCADE,
        related_name="tenders",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=TenderKind.choices)
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    tendered_fen = models.BigIntegerField(_("handed over (fen)"), default=0)
    change_fen = models.BigIntegerField(_("change (fen)"), default=0)
    reference = models.CharField(_("reference"), max_length=64, blank=True)
    card_last4 = models.CharField(_("card last 4 digits"), max_length=4, blank=True)
    approval_code = models.CharField(_("approval code"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("stored value and card sale tender")
        verbose_name_plural = _("stored value and card sale tenders")
        ordering = ["sale", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="prepaid_tender_amount_positive"),
            models.CheckConstraint(condition=Q(change_fen__gte=0), name="prepaid_tender_change_not_negative"),
            models.CheckConstraint(
                condition=Q(kind__in=["cash", "card"]), name="prepaid_tender_cash_or_card"
            ),
            models.CheckConstraint(
                condition=Q(change_fen=0) | Q(kind="cash"), name="prepaid_tender_change_only_cash"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount_fen}"


class HeldOrder(models.Model):
    """A cart put aside at a register (挂单), resumed later by fetching and deleting it."""

    store = models.ForeignKey("stores.Store", verbose_name=_("store"), on_delete=models.CASCADE)
    register = models.ForeignKey("stores.Register", verbose_name=_("register"), on_delete=models.CASCADE)
    cashier = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("cashier"), on_delete=models.CASCADE, related_name="+"
    )
    label = models.CharField(_("label"), max_length=100, blank=True)
    cart = models.JSONField(_("cart"))
    total_fen = models.BigIntegerField(_("total (fen)"), default=0)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("held order")
        verbose_name_plural = _("held orders")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.label or f"#{self.pk}"


class ExceptionLog(models.Model):
    """Something at the till a manager should see: out-of-stock attempts, failed tenders, missing
    prices, voids, overrides, drawer opens, cash variances. Append-only."""

    class Kind(models.TextChoices):
        OUT_OF_STOCK = "out_of_stock", _("out of stock")
        TENDER_FAILED = "tender_failed", _("payment failed")
        PRICE_MISSING = "price_missing", _("price missing")
        LINE_VOID = "line_void", _("line voided")
        ORDER_VOID = "order_void", _("order voided")
        PRICE_OVERRIDE = "price_override", _("price override")
        MANUAL_DISCOUNT = "manual_discount", _("manual discount")
        DRAWER_OPEN = "drawer_open", _("drawer opened without sale")
        UNRECEIPTED_RETURN = "unreceipted_return", _("return without receipt")
        CASH_VARIANCE = "cash_variance", _("cash variance")

    store = models.ForeignKey("stores.Store", verbose_name=_("store"), on_delete=models.PROTECT)
    register = models.ForeignKey(
        "stores.Register", verbose_name=_("register"), null=True, blank=True, on_delete=models.PROTECT
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True, on_delete=models.PROTECT
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, db_index=True)
    order = models.ForeignKey(
        Order, verbose_name=_("order"), null=True, blank=True, on_delete=models.SET_NULL
    )
    amount_fen = models.BigIntegerField(_("amount (fen)"), null=True, blank=True)
    message = models.CharField(_("message"), max_length=300, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    is_training = models.BooleanField(_("training"), default=False)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("exception")
        verbose_name_plural = _("exception log")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.created_at:%Y-%m-%d %H:%M}"
