"""Errors of the sales app: each has a stable code the till can act on and a translated message."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from mendian.core.errors import Conflict, DomainError, NotFound, PermissionDeniedError


class TendersInsufficient(DomainError):
    code = "tenders_insufficient"
    default_message = _("The payments do not cover the total.")


class TenderExceedsTotal(DomainError):
    code = "tender_exceeds_total"
    default_message = _("Only cash can be paid over the total; other payments must not exceed it.")


class TenderUnsupported(DomainError):
    code = "tender_unsupported"
    default_message = _("This kind of payment is not available yet.")


class TenderInvalid(DomainError):
    code = "tender_invalid"
    default_message = _("A payment is not valid.")


class ShiftNotOpen(Conflict):
    code = "shift_not_open"
    default_message = _("No shift is open on this register. Open a shift first.")


class ShiftAlreadyOpen(Conflict):
    code = "shift_already_open"
    default_message = _("A shift is already open on this register.")


class ShiftClosed(Conflict):
    code = "shift_closed"
    default_message = _("This shift is already closed.")


class CashInsufficient(Conflict):
    code = "drawer_cash_insufficient"
    default_message = _("There is not enough cash in the drawer.")


class SkuNotFound(DomainError):
    code = "sku_not_found"
    default_message = _("A product in the cart does not exist or is not for sale.")


class PriceMissing(DomainError):
    code = "price_missing"
    default_message = _("A product in the cart has no price.")


class AuthorizationRequired(PermissionDeniedError):
    code = "authorization_required"
    default_message = _("A manager must authorize price overrides and manual discounts.")


class AuthorizationFailed(PermissionDeniedError):
    code = "authorization_failed"
    default_message = _("The manager's employee number or PIN is wrong, or they may not authorize this.")


class DiscountInvalid(DomainError):
    code = "discount_invalid"
    default_message = _("The discount or price override is not valid.")


class OrderNotFound(NotFound):
    code = "order_not_found"
    default_message = _("Order not found.")


class ReturnInvalid(DomainError):
    code = "return_invalid"
    default_message = _("These items cannot be returned.")


class ReturnExceedsSold(Conflict):
    code = "return_exceeds_sold"
    default_message = _("More items would be returned than were sold.")


class OrderNotReturnable(Conflict):
    code = "order_not_returnable"
    default_message = _("This order cannot take returns in its current state.")


class OrderNotVoidable(Conflict):
    code = "order_not_voidable"
    default_message = _("Only an unpaid order can be voided.")


class IdempotencyMismatch(Conflict):
    code = "idempotency_key_reused"
    default_message = _("This id was already used for a different request.")


class OrderClaimInvalid(DomainError):
    code = "order_claim_invalid"
    default_message = _("This points link is not valid.")


class OrderClaimExpired(DomainError):
    code = "order_claim_expired"
    default_message = _("This points link has expired.")


class OrderAlreadyClaimed(Conflict):
    code = "order_already_claimed"
    default_message = _("The points of this order have already been credited to a member.")


class OrderNotClaimable(DomainError):
    code = "order_not_claimable"
    default_message = _("The points of this order cannot be claimed (training, voided or returned sale).")


class PrepaidInvalid(DomainError):
    code = "prepaid_invalid"
    default_message = _("This stored value or card sale is not valid.")
