"""Writes of the members domain. Every balance change locks its balance row (select_for_update), re-checks
the rule inside the lock, writes with a compare-and-set update (so SQLite, where the lock is a no-op,
cannot lose an update either) and appends a ledger entry; DB check constraints back every "never negative".
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count, F, Max, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from mendian.core.money import round_half_up
from mendian.core.services import audit_record
from mendian.members import crypto
from mendian.members.errors import CountCardUnavailable, MemberNotFound, MemberPhoneTaken, PhoneInvalid

# Callers reach this error as services.WalletLimitExceeded.
from mendian.members.errors import WalletLimitExceeded as WalletLimitExceeded
from mendian.members.models import CountCard, CountCardEntry, CountCardPlan, Member, MemberRfm, SpendRecord
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

# ---------------------------------------------------------------- count cards


@transaction.atomic
def count_card_sell(
    *, member: Member, plan: CountCardPlan, store_id: int | None, actor_id: int | None = None
) -> CountCard:
    """Sell a package of uses; it expires after the plan's validity."""
    now = timezone.now()
    card = CountCard.objects.create(
        member=member,
        plan=plan,
        uses_total=plan.uses_qty,
        uses_left=plan.uses_qty,
        price_fen=plan.price_fen,
        expires_at=now + dt.timedelta(days=plan.validity_days),
        store_id=store_id,
    )
    CountCardEntry.objects.create(
        card=card,
        kind=CountCardEntry.Kind.PURCHASE,
        uses_qty=plan.uses_qty,
        uses_after=plan.uses_qty,
        value_fen=plan.price_fen,
        store_id=store_id,
        actor_id=actor_id,
    )
    return card


@transaction.atomic
def count_card_redeem(
    *, card_id: int, member: Member, sku_id: int, store_id: int, actor_id: int | None = None
) -> CountCardEntry:
    """Use one service of a count card: the card must be the member's, active, unexpired, valid in this
    store and cover the service; uses never go below zero."""
    card = (
        CountCard.objects.select_for_update(of=("self",))
        .select_related("plan")
        .filter(pk=card_id, member=member)
        .first()
    )
    if card is None:
        raise CountCardUnavailable(code="count_card_not_found")
    if card.status != CountCard.Status.ACTIVE or card.expires_at <= timezone.now():
        raise CountCardUnavailable(
            _("This count card has expired or was refunded."), code="count_card_expired"
        )
    plan_store_ids = set(card.plan.stores.values_list("id", flat=True))
    if plan_store_ids and store_id not in plan_store_ids:
        raise CountCardUnavailable(
            _("This count card is not valid in this store."), code="count_card_wrong_store"
        )
    if not card.plan.skus.filter(pk=sku_id).exists():
        raise CountCardUnavailable(
            _("This count card does not cover this service."), code="count_card_wrong_service"
        )
    updated = CountCard.objects.filter(pk=card.pk, uses_left__gte=1).update(uses_left=F("uses_left") - 1)
    if updated != 1:
        raise CountCardUnavailable(_("This count card has no uses left."), code="count_card_used_up")
    return CountCardEntry.objects.create(
        card=card,
        kind=CountCardEntry.Kind.REDEEM,
        uses_qty=-1,
        uses_after=card.uses_left - 1,
        sku_id=sku_id,
        store_id=store_id,
        actor_id=actor_id,
    )


@transaction.atomic
def count_card_refund(*, card_id: int, actor_id: int | None, store_id: int | None = None) -> int:
    """Refund the unused uses pro rata to the price paid; returns the money to pay back."""
    card = CountCard.objects.select_for_update().filter(pk=card_id).first()
    if card is None or card.status != CountCard.Status.ACTIVE:
        raise CountCardUnavailable(code="count_card_not_refundable")
    refund_fen = round_half_up(Decimal(card.price_fen) * card.uses_left / card.uses_total)
    left = card.uses_left
    CountCard.objects.filter(pk=card.pk).update(uses_left=0, status=CountCard.Status.REFUNDED)
    if left:
        CountCardEntry.objects.create(
            card=card,
            kind=CountCardEntry.Kind.REFUND,
            uses_qty=-left,
            uses_after=0,
            value_fen=refund_fen,
            store_id=store_id,
            actor_id=actor_id,
        )
    audit_record(
        action="member.count_card_refund",
        obj=card,
        before={"uses_left": left},
        after={"refund_fen": refund_fen},
        actor_id=actor_id,
        store_id=store_id,
    )
    return refund_fen


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


# ---------------------------------------------------------------- RFM (periodic job)

RFM_WINDOW_DAYS = 365


def rfm_quintiles(values: Sequence[int]) -> list[int]:
    """Score each value 1-5 by the share of the base strictly below it (equal values score the same)."""
    ordered = sorted(values)
    count = len(ordered)
    return [1 + bisect_left(ordered, value) * 5 // count for value in values]


@transaction.atomic
def rfm_recompute(*, now: dt.datetime | None = None, window_days: int = RFM_WINDOW_DAYS) -> int:
    """Recompute every buying member's RFM row from the spend records: recency of the last purchase,
    number of purchases and net spend in the window, each as a quintile over all members who bought.
    Members without a purchase have no row. Returns the number of rows written."""
    now = now or timezone.now()
    since = now - dt.timedelta(days=window_days)
    rows = list(
        SpendRecord.objects.filter(amount_fen__gt=0)
        .values("member_id")
        .annotate(
            last=Max("created_at"),
            orders=Count("id", filter=Q(created_at__gte=since)),
        )
        .order_by("member_id")
    )
    net = dict(
        SpendRecord.objects.filter(created_at__gte=since)
        .values("member_id")
        .annotate(total=Sum("amount_fen"))
        .values_list("member_id", "total")
    )
    if not rows:
        MemberRfm.objects.all().delete()
        return 0
    recency = rfm_quintiles([int(row["last"].timestamp()) for row in rows])
    frequency = rfm_quintiles([row["orders"] for row in rows])
    spend = [max(net.get(row["member_id"]) or 0, 0) for row in rows]
    monetary = rfm_quintiles(spend)
    objects = [
        MemberRfm(
            member_id=row["member_id"],
            last_purchase_at=row["last"],
            order_count=row["orders"],
            spend_fen=spend_fen,
            recency_score=r,
            frequency_score=f,
            monetary_score=m,
            computed_at=now,
        )
        for row, r, f, m, spend_fen in zip(rows, recency, frequency, monetary, spend, strict=True)
    ]
    MemberRfm.objects.bulk_create(
        objects,
        batch_size=1000,
        update_conflicts=True,
        unique_fields=["member"],
        update_fields=[
            "last_purchase_at",
            "order_count",
            "spend_fen",
            "recency_score",
            "frequency_score",
            "monetary_score",
            "computed_at",
        ],
    )
    MemberRfm.objects.exclude(computed_at=now).delete()
    return len(objects)


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
