"""Errors of the inventory app: a stable code and a translated message each."""

from django.utils.translation import gettext_lazy as _

from mendian.core.errors import Conflict, DomainError


class StockInsufficient(Conflict):
    code = "stock_insufficient"
    default_message = _("Not enough stock.")


class SkuUnknown(DomainError):
    code = "sku_unknown"
    default_message = _("One of the SKUs does not exist.")


class SerialRequired(DomainError):
    code = "serial_required"
    default_message = _("This product tracks serial numbers: give the serial number of every unit sold.")


class SerialCountMismatch(DomainError):
    code = "serial_count_mismatch"
    default_message = _("Give exactly one serial number per unit.")


class SerialUnavailable(Conflict):
    code = "serial_unavailable"
    default_message = _("This serial number is unknown, already sold or not in this store.")


class SerialDuplicate(Conflict):
    code = "serial_duplicate"
    default_message = _("This serial number is already in stock.")


class BatchInvalid(DomainError):
    code = "batch_invalid"
    default_message = _("This batch does not exist or belongs to another SKU.")


class BatchInsufficient(Conflict):
    code = "batch_insufficient"
    default_message = _("Not enough stock of this batch.")


class BatchExpired(Conflict):
    code = "batch_expired"
    default_message = _("This batch has expired and cannot be sold.")


class BatchDatesConflict(Conflict):
    code = "batch_dates_conflict"
    default_message = _("This batch number already exists with other dates.")


class TransferStateInvalid(Conflict):
    code = "transfer_state_invalid"
    default_message = _("The transfer is not in a state that allows this.")


class TransferSameStore(DomainError):
    code = "transfer_same_store"
    default_message = _("A transfer needs two different stores.")


class DifferenceReasonRequired(DomainError):
    code = "difference_reason_required"
    default_message = _("Give a reason when the received quantity differs from the shipped quantity.")


class StocktakeClosed(Conflict):
    code = "stocktake_closed"
    default_message = _("This stocktake is already posted or cancelled.")


class StocktakeSkuOutOfScope(DomainError):
    code = "stocktake_sku_out_of_scope"
    default_message = _("This SKU is not in the categories of this stocktake.")


class ClientIdReused(Conflict):
    code = "client_id_reused"
    default_message = _("This client id was already used for a different document.")


class LineInvalid(DomainError):
    code = "line_invalid"
    default_message = _("Every line needs a SKU and a quantity other than zero.")
