"""Barcode arithmetic: GS1 check digits, EAN-13/EAN-8/UPC-A validation, scale (price/weight) codes."""

from __future__ import annotations

from dataclasses import dataclass

from mendian.catalog.errors import BarcodeInvalid
from mendian.catalog.scale_format import ScaleBarcodeFormat, scale_barcode_format

KIND_BY_LENGTH = {13: "EAN13", 8: "EAN8", 12: "UPCA"}


def gs1_check_digit(body: str) -> str:
    """The GS1 mod-10 check digit of a digit string (weights 3, 1, 3, … from the right)."""
    total = sum(int(digit) * (3 if index % 2 == 0 else 1) for index, digit in enumerate(reversed(body)))
    return str((10 - total % 10) % 10)


def gs1_is_valid(code: str) -> bool:
    return len(code) >= 2 and code.isascii() and code.isdigit() and gs1_check_digit(code[:-1]) == code[-1]


def barcode_kind(code: str) -> str | None:
    """EAN13, EAN8 or UPCA when the code has that length and a correct check digit, else None."""
    kind = KIND_BY_LENGTH.get(len(code))
    if kind is None or not gs1_is_valid(code):
        return None
    return kind


def barcode_validate(code: str) -> str:
    """Return the kind of a valid barcode; raise BarcodeInvalid (translated) otherwise."""
    cleaned = (code or "").strip()
    kind = barcode_kind(cleaned)
    if kind is None:
        raise BarcodeInvalid(details={"barcode": cleaned[:32]})
    return kind


def barcode_candidates(code: str) -> list[str]:
    """The stored forms a scanned code may have: a UPC-A scans as EAN-13 with a leading 0 and back."""
    candidates = [code]
    if len(code) == 13 and code.startswith("0"):
        candidates.append(code[1:])
    elif len(code) == 12:
        candidates.append("0" + code)
    return candidates


@dataclass(frozen=True)
class ScaleReading:
    """What a scale barcode says: the PLU of the item and its weight in grams and/or price in fen."""

    plu: str
    weight_g: int | None
    price_fen: int | None


def scale_barcode_parse(code: str, fmt: ScaleBarcodeFormat | None = None) -> ScaleReading | None:
    """Parse a 13- or 18-digit scale barcode; None when the code is not one (or its check digit is wrong)."""
    fmt = fmt or scale_barcode_format()
    head = len(fmt.prefix) + 1
    short_length = head + fmt.plu_digits + fmt.value_digits + 1
    long_length = short_length + fmt.value_digits
    if len(code) not in (short_length, long_length) or not code.startswith(fmt.prefix):
        return None
    flag = code[len(fmt.prefix)]
    if flag not in fmt.flags or not gs1_is_valid(code):
        return None
    plu = code[head : head + fmt.plu_digits]
    first = int(code[head + fmt.plu_digits : head + fmt.plu_digits + fmt.value_digits])
    if len(code) == long_length:
        second = int(code[head + fmt.plu_digits + fmt.value_digits : long_length - 1])
        return ScaleReading(plu=plu, weight_g=first, price_fen=second)
    if flag in fmt.weight_flags:
        return ScaleReading(plu=plu, weight_g=first, price_fen=None)
    return ScaleReading(plu=plu, weight_g=None, price_fen=first)


def scale_barcode_build(
    *,
    plu: str,
    weight_g: int | None = None,
    price_fen: int | None = None,
    fmt: ScaleBarcodeFormat | None = None,
) -> str:
    """The barcode a scale would print (used by tests, demo data and label previews)."""
    fmt = fmt or scale_barcode_format()
    if weight_g is not None and price_fen is not None:
        body = f"{fmt.prefix}{fmt.weight_flags[0]}{plu}{weight_g:0{fmt.value_digits}d}{price_fen:0{fmt.value_digits}d}"
    elif weight_g is not None:
        body = f"{fmt.prefix}{fmt.weight_flags[0]}{plu}{weight_g:0{fmt.value_digits}d}"
    elif price_fen is not None:
        body = f"{fmt.prefix}{fmt.price_flags[0]}{plu}{price_fen:0{fmt.value_digits}d}"
    else:
        raise ValueError("a scale barcode carries a weight, a price or both")
    return body + gs1_check_digit(body)
