"""Bulk member import from an uploaded file and the audited CSV export of the member list."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from mendian.core.services import audit_record
from mendian.members import crypto
from mendian.members.errors import MemberPhoneTaken, PhoneInvalid
from mendian.members.models import Member
from mendian.members.services.profiles import member_register


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
