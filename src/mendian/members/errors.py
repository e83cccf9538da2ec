"""Errors of the members domain: each has a stable code and a translated message."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from mendian.core.errors import Conflict, DomainError, NotFound


class MemberNotFound(NotFound):
    code = "member_not_found"
    default_message = _("No such member.")


class PhoneInvalid(DomainError):
    code = "phone_invalid"
    default_message = _("Enter an 11-digit mainland mobile number.")


class MemberPhoneTaken(Conflict):
    code = "member_phone_taken"
    default_message = _("A member with this phone number already exists.")


class PointsInsufficient(Conflict):
    code = "points_insufficient"
    default_message = _("The member does not have enough points.")


class PointsRedeemInvalid(DomainError):
    code = "points_redeem_invalid"
    default_message = _("This amount cannot be paid with points.")


class PointsRedeemCapExceeded(DomainError):
    code = "points_redeem_cap_exceeded"
    default_message = _("Points may pay only part of this order.")


class WalletInsufficient(Conflict):
    code = "wallet_insufficient"
    default_message = _("The stored value balance is not enough.")


class WalletLimitExceeded(DomainError):
    code = "wallet_limit_exceeded"
    default_message = _("This top-up would take the card above its highest allowed balance.")


class WalletVerificationRequired(DomainError):
    status = 403
    code = "wallet_verification_required"
    default_message = _("Spending this much needs the member's live code or an SMS code sent to the member.")


class MemberVerificationRequired(DomainError):
    status = 403
    code = "member_verification_required"
    default_message = _("Paying with points needs the member's live code or an SMS code sent to the member.")


class LedgerBusy(Conflict):
    code = "ledger_busy"
    default_message = _("The balance changed at the same moment; try again.")


class CountCardUnavailable(DomainError):
    code = "count_card_unavailable"
    default_message = _("This count card cannot be used for this.")


class MembershipInvalid(DomainError):
    code = "membership_invalid"
    default_message = _("This membership change is not possible.")


class MemberCodeInvalid(DomainError):
    code = "member_code_invalid"
    default_message = _("This member code is not valid.")


class MemberCodeExpired(DomainError):
    code = "member_code_expired"
    default_message = _("This member code has expired; ask the customer to refresh it.")


class SmsCodeInvalid(DomainError):
    code = "sms_code_invalid"
    default_message = _("The SMS code is wrong or has expired.")


class SmsRateLimited(DomainError):
    status = 429
    code = "sms_rate_limited"
    default_message = _("Too many codes requested; wait a moment.")


class ImportFileInvalid(DomainError):
    code = "import_file_invalid"
    default_message = _("The file could not be read. Upload a CSV or XLSX file with a header row.")
