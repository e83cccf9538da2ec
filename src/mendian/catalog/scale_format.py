"""How the shop's label scales encode price and weight in a barcode — the one place to configure it.

A scale prints a label whose barcode starts with `prefix` followed by a flag digit:

* 13 digits: ``2 F PPPPP VVVVV C`` — PLU (5 digits) and one value: the weight in grams when F is
  a weight flag, the price in fen when F is a price flag; C is the EAN-13 check digit.
* 18 digits: ``2 F PPPPP WWWWW VVVVV C`` — PLU, weight in grams and price in fen; C is the GS1
  mod-10 check digit over the 17 digits before it.

The defaults (27 = weight, 28 = price) suit Dahua/Aclas scales set to their common formats.
A shop whose scales print something else sets ``CATALOG_SCALE_BARCODE`` in the Django settings,
e.g. ``{"prefix": "2", "weight_flags": ["1"], "price_flags": ["2", "3"]}``. In-store codes the
system generates start with ``instore_prefix`` (20 by default), which must not collide with a flag.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class ScaleBarcodeFormat:
    prefix: str = "2"
    weight_flags: tuple[str, ...] = ("7",)
    price_flags: tuple[str, ...] = ("8",)
    plu_digits: int = 5
    value_digits: int = 5
    instore_prefix: str = "20"

    def __post_init__(self) -> None:
        flags = set(self.weight_flags) | set(self.price_flags)
        if (
            self.instore_prefix[: len(self.prefix)] == self.prefix
            and self.instore_prefix[len(self.prefix) :][:1] in flags
        ):
            raise ValueError("CATALOG_SCALE_BARCODE: in-store prefix collides with a scale flag")
        if len(self.instore_prefix) != 2 or not self.instore_prefix.startswith("2"):
            raise ValueError("CATALOG_SCALE_BARCODE: in-store prefix must be two digits from 20 to 29")

    @property
    def flags(self) -> tuple[str, ...]:
        return self.weight_flags + self.price_flags


DEFAULT_SCALE_BARCODE_FORMAT = ScaleBarcodeFormat()


def scale_barcode_format() -> ScaleBarcodeFormat:
    """The format in force: the defaults above, overridden by settings.CATALOG_SCALE_BARCODE."""
    override = getattr(settings, "CATALOG_SCALE_BARCODE", None)
    if not override:
        return DEFAULT_SCALE_BARCODE_FORMAT
    values = dict(override)
    for key in ("weight_flags", "price_flags"):
        if key in values:
            values[key] = tuple(str(flag) for flag in values[key])
    return ScaleBarcodeFormat(**values)
