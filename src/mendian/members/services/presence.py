"""Proof that the member is at the till: their live member code, or a one-time code texted to them."""

from __future__ import annotations

import re

from mendian.members.errors import MemberCodeExpired, MemberCodeInvalid
from mendian.members.models import Member, WalletEntry
from mendian.members.services.member_codes import live_code_member_id
from mendian.members.services.sms_codes import WALLET_SMS_PURPOSE, _member_sms_confirmed

# A live code shown at the till may be used to confirm a payment a little later in the sale.
MEMBER_CODE_CONFIRM_SECONDS = 15 * 60
SMS_CODE_PATTERN = re.compile(r"\d{6}")


def member_presence_proof(
    *,
    member: Member,
    code: str,
    amount_fen: int | None = None,
    client_order_id: str = "",
    sms_purpose: str = WALLET_SMS_PURPOSE,
) -> str:
    """How `code` proves that `member` is present to pay `amount_fen` (all the points and stored-value
    tenders of the till's order `client_order_id`) or to use a count card (`sms_purpose`): their live QR
    scanned at the till (`live_code`), a 6-digit code texted to them for this purpose (a payment code for
    this order and at least this amount; `sms_code`, used up by this check), or nothing (""). The printed
    card number and the phone prove nothing: every cashier sees them in the member search."""
    code = (code or "").strip()
    if not code:
        return WalletEntry.Verification.NONE
    if SMS_CODE_PATTERN.fullmatch(code):
        if _member_sms_confirmed(
            member=member,
            code=code,
            purpose=sms_purpose,
            amount_fen=amount_fen,
            client_order_id=client_order_id,
        ):
            return WalletEntry.Verification.SMS_CODE
        return WalletEntry.Verification.NONE
    try:
        member_id = live_code_member_id(code=code, max_age_seconds=MEMBER_CODE_CONFIRM_SECONDS)
    except (MemberCodeInvalid, MemberCodeExpired):
        return WalletEntry.Verification.NONE
    if member_id != member.pk:
        return WalletEntry.Verification.NONE
    return WalletEntry.Verification.LIVE_CODE
