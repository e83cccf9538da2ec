"""Messages the console SMS backend "sent": the development stand-in for a real SMS provider."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ConsoleSms(models.Model):
    """One SMS the console backend delivered. Real providers do not write here.

    The recipient is kept as a lookup key (`recipient_key`, e.g. a keyed hash of the phone) and a
    masked form, never in clear."""

    recipient_key = models.CharField(_("recipient key"), max_length=64, db_index=True)
    recipient_masked = models.CharField(_("recipient"), max_length=20)
    purpose = models.CharField(_("purpose"), max_length=32)
    text = models.TextField(_("text"))
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("console SMS")
        verbose_name_plural = _("console SMS outbox")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.recipient_masked}: {self.text[:30]}"
