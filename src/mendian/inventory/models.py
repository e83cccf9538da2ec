"""Stock per store × SKU as a ledger: StockLevel is the balance row, StockMove the append-only entries."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class StockLevel(models.Model):
    """On-hand quantity of one SKU in one store. Always equals the sum of its moves."""

    store = models.ForeignKey("stores.Store", verbose_name=_("store"), on_delete=models.PROTECT)
    sku = models.ForeignKey("catalog.SKU", verbose_name=_("SKU"), on_delete=models.PROTECT, related_name="stock_levels")
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
    sku = models.ForeignKey("catalog.SKU", verbose_name=_("SKU"), on_delete=models.PROTECT, related_name="stock_moves")
    qty = models.BigIntegerField(_("quantity"))
    balance_after = models.BigIntegerField(_("balance after"))
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    source_type = models.CharField(_("source document type"), max_length=40, blank=True)
    source_id = models.CharField(_("source document"), max_length=64, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True, on_delete=models.PROTECT
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
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
