"""Errors of the catalog: each has a stable code for the API and a translated message."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from mendian.core.errors import Conflict, DomainError, NotFound


class BarcodeInvalid(DomainError):
    code = "barcode_invalid"
    default_message = _(
        "This is not a valid EAN-13, EAN-8 or UPC-A barcode: check the length and the check digit."
    )


class BarcodeTaken(Conflict):
    code = "barcode_taken"
    default_message = _("This barcode already belongs to another item.")


class BarcodeNotFound(NotFound):
    code = "barcode_not_found"
    default_message = _("No active item has this barcode or code.")


class ProductCodeTaken(Conflict):
    code = "product_code_taken"
    default_message = _("A product with this code already exists.")


class SkuCodeTaken(Conflict):
    code = "sku_code_taken"
    default_message = _("A SKU with this code already exists.")


class ScalePluTaken(Conflict):
    code = "scale_plu_taken"
    default_message = _("Another SKU already uses this scale PLU.")


class CodeInvalid(DomainError):
    code = "code_invalid"
    default_message = _("Codes may use letters, digits, - and _ only.")


class VariantAttributesInvalid(DomainError):
    code = "variant_attributes_invalid"
    default_message = _("Each attribute needs a name and at least one distinct, non-empty value.")


class PriceInvalid(DomainError):
    code = "price_invalid"
    default_message = _("Prices are whole fen and may not be negative.")


class PriceChangeInvalid(DomainError):
    code = "price_change_invalid"
    default_message = _("A scheduled price change needs at least one new price.")


class ImportFileInvalid(DomainError):
    code = "import_file_invalid"
    default_message = _("The file could not be read. Upload a CSV (UTF-8) or XLSX file with a header row.")


class ImportRowsInvalid(DomainError):
    code = "import_rows_invalid"
    default_message = _("Some rows have errors; nothing was imported.")


class LabelRequestInvalid(DomainError):
    code = "label_request_invalid"
    default_message = _("Choose at least one item and between 1 and 500 copies.")


class ScalePluInvalid(DomainError):
    code = "scale_plu_invalid"
    default_message = _("A scale PLU is exactly 5 digits.")


class NameRequired(DomainError):
    code = "name_required"
    default_message = _("The name may not be empty.")
