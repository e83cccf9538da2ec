"""Writes of the members domain. Every balance change locks its balance row (select_for_update), re-checks
the rule inside the lock, writes with a compare-and-set update (so SQLite, where the lock is a no-op,
cannot lose an update either) and appends a ledger entry; DB check constraints back every "never negative".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from mendian.core.services import audit_record
from mendian.members import crypto
from mendian.members.errors import MemberNotFound, MemberPhoneTaken, PhoneInvalid

# Callers reach this error as services.WalletLimitExceeded.
from mendian.members.errors import WalletLimitExceeded as WalletLimitExceeded
from mendian.members.models import Member
from mendian.members.services.count_cards import count_card_redeem, count_card_refund, count_card_sell
from mendian.members.services.member_codes import MEMBER_CODE_PREFIX, member_code_issue, member_code_resolve
from mendian.members.services.memberships import (
    membership_buy,
    membership_renew,
    membership_upgrade,
    tier_upgrade_check,
    tiers_review,
)
from mendian.members.services.notices import (
    SMS_TOPIC,
    GreetingsResult,
    birthday_coupon_hook,
    member_greetings_queue,
    member_sms_deliver,
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
    points_reverse_for_return,
)
from mendian.members.services.profiles import (
    PROFILE_FIELDS,
    member_consent_revoke_by_reply,
    member_register,
    member_update,
)
from mendian.members.services.rfm import RFM_WINDOW_DAYS, rfm_quintiles, rfm_recompute
from mendian.members.services.sms_codes import (
    SMS_CODE_MAX_ATTEMPTS,
    WALLET_SMS_PURPOSE,
    member_sign_in_by_sms,
    sms_code_request,
    sms_code_verify,
    wallet_sms_code_request,
)
from mendian.members.services.wallet import (
    MEMBER_CODE_CONFIRM_SECONDS,
    SMS_CODE_PATTERN,
    wallet_close_refund,
    wallet_debit,
    wallet_refund_to_card,
    wallet_split,
    wallet_top_up,
)

# ---------------------------------------------------------------- import and export


@dataclass
class ImportReport:
    created: int = 0
    duplicates: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)


def members_import(*, rows: list[dict[str, str]], store_id: int | None, actor_id: int | None) -> ImportReport:
    """Register the members of an uploaded file, one savepoint per row: a bad row is reported with its
    line number and the reason and does not stop the others; a phone seen before (in the file or already
    a member) is skipped as a duplicate."""
    from mendian.members import member_import

    report = ImportReport()
    seen: set[str] = set()
    for number, row in enumerate(rows, start=2):  # line 1 is the header
        if not row:
            continue
        phone = crypto.phone_normalize(row.get("phone", ""))
        if phone is None:
            report.errors.append(
                {"row": number, "code": "phone_invalid", "message": str(PhoneInvalid.default_message)}
            )
            continue
        gender = member_import.parse_gender(row.get("gender", ""))
        if gender is None:
            report.errors.append(
                {"row": number, "code": "gender_invalid", "message": _("Gender must be 男 or 女.")}
            )
            continue
        try:
            birthday = member_import.parse_birthday(row.get("birthday", ""))
        except ValueError:
            report.errors.append(
                {"row": number, "code": "birthday_invalid", "message": _("Write the birthday as 1990-05-17.")}
            )
            continue
        index = crypto.phone_blind_index(phone)
        if index in seen:
            report.duplicates += 1
            continue
        seen.add(index)
        try:
            member_register(
                phone=phone,
                channel=Member.Channel.IMPORT,
                store_id=store_id,
                name=row.get("name", ""),
                gender=gender,
                birthday=birthday,
                region=row.get("region", ""),
                marketing_consent=member_import.parse_bool(row.get("marketing_consent", "")),
                tags=member_import.parse_tags(row.get("tags", "")),
                notes=row.get("notes", ""),
                actor_id=actor_id,
            )
        except MemberPhoneTaken:
            report.duplicates += 1
            continue
        report.created += 1
    audit_record(
        action="member.import",
        after={"created": report.created, "duplicates": report.duplicates, "errors": len(report.errors)},
        actor_id=actor_id,
        store_id=store_id,
    )
    return report


@transaction.atomic
def members_export(*, user: Any, store_id: int | None = None) -> bytes:
    """The member list as CSV for a user with members.export_member (checked by the caller). Phones are
    in full only for users who may see them. Every export is audited (PIPL)."""
    from mendian.members import member_import
    from mendian.members.selectors import member_birthday, member_phone_for

    members = Member.objects.select_related("tier", "registered_store").order_by("id")
    if store_id is not None:
        members = members.filter(registered_store_id=store_id)
    rows = []
    for member in members.iterator(chunk_size=500):
        birthday = member_birthday(member)
        rows.append(
            [
                member.card_no,
                member_phone_for(member, user),
                member.name,
                member.get_gender_display() if member.gender else "",
                birthday.isoformat() if birthday else "",
                member.region,
                member.tier.name if member.tier else "",
                member.registered_store.code if member.registered_store else "",
                member.get_channel_display(),
                "是" if member.marketing_consent else "否",
                "、".join(member.tags),
                member.created_at.date().isoformat(),
            ]
        )
    audit_record(
        action="member.export",
        after={
            "rows": len(rows),
            "store_id": store_id,
            "full_phones": bool(user.has_perm("members.view_member_phone")),
        },
        actor_id=user.pk,
    )
    header = [
        "卡号",
        "手机号",
        "姓名",
        "性别",
        "生日",
        "地区",
        "等级",
        "注册门店",
        "注册渠道",
        "营销同意",
        "标签",
        "注册日期",
    ]
    return member_import.csv_bytes(header, rows)


# ---------------------------------------------------------------- checkout (called by sales inside its transaction)


def checkout_member_books(
    *,
    member_id: int,
    order_id: int,
    order_total_fen: int,
    store_id: int,
    member_tenders: Sequence[tuple[str, int, str]],
    earn_lines: Sequence[EarnLine] | None,
    actor_id: int | None,
) -> None:
    """Take the points and stored-value tenders of an order (kind, amount, scanned code) from the member's
    ledgers, and credit the points a completed order earns (`earn_lines`; None while payment is pending).
    Runs inside the checkout's transaction, so a refusal undoes the whole sale."""
    member = Member.objects.select_related("tier").filter(pk=member_id, is_active=True).first()
    if member is None:
        raise MemberNotFound()
    points_paid_fen = 0
    for kind, amount_fen, reference in member_tenders:
        if kind == "points":
            points_redeem_for_order(
                member=member,
                amount_fen=amount_fen,
                order_total_fen=order_total_fen,
                order_id=order_id,
                store_id=store_id,
                actor_id=actor_id,
            )
            points_paid_fen += amount_fen
        elif kind == "stored_value":
            wallet_debit(
                member=member,
                amount_fen=amount_fen,
                order_id=order_id,
                store_id=store_id,
                member_code=reference,
                actor_id=actor_id,
            )
    if earn_lines is not None:
        points_earn_for_order(
            member=member,
            lines=earn_lines,
            order_id=order_id,
            store_id=store_id,
            excluded_fen=points_paid_fen,
            actor_id=actor_id,
        )


def return_member_points(
    *, member_id: int, order_id: int, return_id: int, refund_fen: int, store_id: int, actor_id: int | None
) -> int:
    """Reverse the points earned by the returned share of an order; returns the money value of points the
    member had already spent (to deduct from the refund)."""
    member = Member.objects.filter(pk=member_id).first()
    if member is None:
        return 0
    reversal = points_reverse_for_return(
        member=member,
        order_id=order_id,
        return_id=return_id,
        refund_fen=refund_fen,
        store_id=store_id,
        actor_id=actor_id,
    )
    return reversal.shortfall_fen


def return_member_tenders(
    *,
    member_id: int,
    order_id: int,
    return_id: int,
    refunds: Sequence[tuple[str, int]],
    store_id: int,
    actor_id: int | None,
) -> None:
    """Refund the points and stored-value shares of a return back to the member's ledgers."""
    member = Member.objects.filter(pk=member_id).first()
    if member is None:
        raise MemberNotFound()
    for kind, amount_fen in refunds:
        if amount_fen <= 0:
            continue
        if kind == "points":
            points_redeem_refund(
                member=member,
                order_id=order_id,
                return_id=return_id,
                amount_fen=amount_fen,
                store_id=store_id,
                actor_id=actor_id,
            )
        elif kind == "stored_value":
            wallet_refund_to_card(
                member=member,
                order_id=order_id,
                return_id=return_id,
                amount_fen=amount_fen,
                store_id=store_id,
                actor_id=actor_id,
            )


__all__ = [
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
    "PointsReversal",
    "birthday_coupon_hook",
    "checkout_member_books",
    "count_card_redeem",
    "count_card_refund",
    "count_card_sell",
    "member_code_issue",
    "member_code_resolve",
    "member_consent_revoke_by_reply",
    "member_greetings_queue",
    "member_register",
    "member_sign_in_by_sms",
    "member_sms_deliver",
    "member_update",
    "members_export",
    "members_import",
    "membership_buy",
    "membership_renew",
    "membership_upgrade",
    "points_adjust",
    "points_earn_for_order",
    "points_expire_due",
    "points_for_lines",
    "points_needed_for",
    "points_redeem_for_order",
    "points_redeem_refund",
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
    "wallet_split",
    "wallet_top_up",
]
