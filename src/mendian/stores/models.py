"""Stores, their registers (tills), staff profiles and API tokens."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from mendian.stores.printers import printer_url_validate

store_code_validator = RegexValidator(
    r"^[A-Za-z0-9_-]{1,32}$", _("Use letters, digits, - or _ (at most 32).")
)


class Store(models.Model):
    """A shop of the chain. Every transactional row carries its store."""

    code = models.CharField(_("code"), max_length=32, unique=True, validators=[store_code_validator])
    name = models.CharField(_("name"), max_length=100)
    address = models.CharField(_("address"), max_length=255, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    timezone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    opening_hours = models.CharField(
        _("opening hours"), max_length=100, blank=True, help_text=_("e.g. 09:00-22:00")
    )
    business_day_starts_at = models.TimeField(
        _("business day starts at"),
        default="04:00",
        help_text=_("Sales before this time count for the previous day."),
    )
    cash_rounding_to_jiao = models.BooleanField(_("round cash to the jiao"), default=False)
    allow_negative_stock = models.BooleanField(
        _("may sell below zero stock"), default=False, help_text=_("Default for products that do not set it.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("store")
        verbose_name_plural = _("stores")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Register(models.Model):
    """A till or other device of one store. It signs in with a device token that can be revoked."""

    store = models.ForeignKey(
        Store, verbose_name=_("store"), on_delete=models.PROTECT, related_name="registers"
    )
    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=100)
    device_token_hash = models.CharField(_("device token (hash)"), max_length=64, blank=True, db_index=True)
    token_revoked_at = models.DateTimeField(_("token revoked at"), null=True, blank=True)
    is_training = models.BooleanField(_("training mode"), default=False)
    printer_url = models.CharField(
        _("receipt printer"),
        max_length=255,
        blank=True,
        validators=[printer_url_validate],
        help_text=_(
            "e.g. tcp://192.168.1.50:9100, usb://04b8:0202, serial:///dev/ttyUSB0, file:///tmp/receipt.bin"
        ),
    )
    paper_width_mm = models.PositiveSmallIntegerField(
        _("paper width (mm)"), choices=[(58, "58 mm"), (80, "80 mm")], default=80
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("register")
        verbose_name_plural = _("registers")
        ordering = ["store__code", "code"]
        constraints = [
            models.UniqueConstraint(fields=["store", "code"], name="register_unique_code_per_store")
        ]

    def __str__(self) -> str:
        return f"{self.store.code}/{self.code} {self.name}"


class StaffProfile(models.Model):
    """A person who works for the merchant: the Django user plus employee number, till PIN and stores.

    Roles are Django groups (see roles.py); `all_stores` gives HQ reach over every store."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="staff"
    )
    employee_no = models.CharField(_("employee number"), max_length=32, unique=True)
    display_name = models.CharField(_("name"), max_length=100)
    pin_hash = models.CharField(_("PIN (hash)"), max_length=255, blank=True)
    stores = models.ManyToManyField(Store, verbose_name=_("stores"), blank=True, related_name="staff")
    all_stores = models.BooleanField(
        _("all stores (HQ)"), default=False, help_text=_("Sees and manages every store of the chain.")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")
        ordering = ["employee_no"]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.employee_no})"


class ApiToken(models.Model):
    """A bearer token for the API, issued to a staff user, optionally bound to the register it signed in at.

    Only the SHA-256 of the token is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    register = models.ForeignKey(
        Register, null=True, blank=True, on_delete=models.CASCADE, related_name="api_tokens"
    )
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"token {self.pk} of {self.user}"
