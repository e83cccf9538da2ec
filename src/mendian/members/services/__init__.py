"""Writes of the members domain. Every balance change locks its balance row (select_for_update), re-checks
the rule inside the lock, writes with a compare-and-set update (so SQLite, where the lock is a no-op,
cannot lose an update either) and appends a ledger entry; DB check constraints back every "never negative".
"""

from __future__ import annotations

# Callers reach this error as services.WalletLimitExceeded.
from mendian.members.errors import WalletLimitExceeded as WalletLimitExceeded
from mendian.members.services.count_cards import count_card_redeem, count_card_refund, count_card_sell
from mendian.members.services.import_export import ImportReport, members_export, members_import
from mendian.members.services.member_codes import MEMBER_CODE_PREFIX, member_code_issue, member_code_resolve
from mendian.members.services.memberships import (
    membership_buy,
    membership_refund,
    membership_renew,
    membership_upgrade,
    tier_upgrade_check,
    tiers_review,
)
from mendian.members.services.notices import (
    SMS_TOPIC,
    GreetingsResult,
    member_greetings_queue,
    member_sms_deliver,
)
from mendian.members.services.order_books import (
    MemberAccounts,
    checkout_member_books,
    member_accounts_lock,
    order_member_books_reverse,
    return_member_points,
    return_member_tenders,
)
from mendian.members.services.points import points_adjust, points_expire_due
from mendian.members.services.points_orders import (
    EarnLine,
    PointsReversal,
    points_earn_for_order,
    points_for_lines,
    points_needed_for,
    points_redeem_for_order,
    points_redeem_refund,
    points_redeem_reverse,
    points_reverse_for_return,
)
from mendian.members.services.presence import (
    MEMBER_CODE_CONFIRM_SECONDS,
    SMS_CODE_PATTERN,
    member_presence_proof,
)
from mendian.members.services.profiles import (
    PROFILE_FIELDS,
    member_consent_revoke_by_reply,
    member_register,
    member_update,
)
from mendian.members.services.rfm import RFM_WINDOW_DAYS, rfm_quintiles, rfm_recompute
from mendian.members.services.sms_codes import (
    COUNT_CARD_SMS_PURPOSE,
    SMS_CODE_MAX_ATTEMPTS,
    WALLET_SMS_PURPOSE,
    count_card_sms_code_request,
    member_sign_in_by_sms,
    sms_code_request,
    sms_code_verify,
    wallet_sms_code_request,
)
from mendian.members.services.wallet import (
    wallet_close_refund,
    wallet_debit,
    wallet_refund_to_card,
    wallet_spend_for_order,
    wallet_spend_reverse,
    wallet_split,
    wallet_top_up,
)

__all__ = [
    "COUNT_CARD_SMS_PURPOSE",
    "MEMBER_CODE_CONFIRM_SECONDS",
    "MEMBER_CODE_PREFIX",
    "PROFILE_FIELDS",
    "RFM_WINDOW_DAYS",
    "SMS_CODE_MAX_ATTEMPTS",
    "SMS_CODE_PATTERN",
    "SMS_TOPIC",
    "WALLET_SMS_PURPOSE",
    "EarnLine",
    "GreetingsResult",
    "ImportReport",
    "MemberAccounts",
    "PointsReversal",
    "checkout_member_books",
    "count_card_redeem",
    "count_card_refund",
    "count_card_sell",
    "count_card_sms_code_request",
    "member_accounts_lock",
    "member_code_issue",
    "member_code_resolve",
    "member_consent_revoke_by_reply",
    "member_greetings_queue",
    "member_presence_proof",
    "member_register",
    "member_sign_in_by_sms",
    "member_sms_deliver",
    "member_update",
    "members_export",
    "members_import",
    "membership_buy",
    "membership_refund",
    "membership_renew",
    "membership_upgrade",
    "order_member_books_reverse",
    "points_adjust",
    "points_earn_for_order",
    "points_expire_due",
    "points_for_lines",
    "points_needed_for",
    "points_redeem_for_order",
    "points_redeem_refund",
    "points_redeem_reverse",
    "points_reverse_for_return",
    "return_member_points",
    "return_member_tenders",
    "rfm_quintiles",
    "rfm_recompute",
    "sms_code_request",
    "sms_code_verify",
    "tier_upgrade_check",
    "tiers_review",
    "wallet_close_refund",
    "wallet_debit",
    "wallet_refund_to_card",
    "wallet_sms_code_request",
    "wallet_spend_for_order",
    "wallet_spend_reverse",
    "wallet_split",
    "wallet_top_up",
]
