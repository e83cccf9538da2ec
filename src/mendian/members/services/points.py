"""The points ledger: locking the account, adding and taking lots, manual adjustments and expiry."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from mendian.core.services import audit_record
from mendian.members.errors import LedgerBusy, MemberNotFound, PointsInsufficient, PointsRedeemInvalid
from mendian.members.models import LoyaltyProgram, Member, PointsAccount, PointsEntry
from mendian.members.selectors import program_get


def _points_lock(member: Member | int) -> PointsAccount:
    member_id = member if isinstance(member, int) else member.pk
    account = PointsAccount.objects.select_for_update().filter(member_id=member_id).first()
    if account is None:
        raise MemberNotFound()
    return account


def _points_cas(account: PointsAccount, new_balance: int) -> None:
    updated = PointsAccount.objects.filter(pk=account.pk, balance=account.balance).update(balance=new_balance)
    if updated != 1:
        raise LedgerBusy()
    account.balance = new_balance


def _points_add_lot(
    *,
    account: PointsAccount,
    points: int,
    kind: str,
    program: LoyaltyProgram,
    now: dt.datetime,
    **entry_fields: Any,
) -> PointsEntry:
    new_balance = account.balance + points
    _points_cas(account, new_balance)
    return PointsEntry.objects.create(
        account=account,
        kind=kind,
        points=points,
        balance_after=new_balance,
        remaining=points,
        expires_at=now + dt.timedelta(days=program.points_validity_days),
        **entry_fields,
    )


def _points_take(*, account: PointsAccount, points: int, kind: str, **entry_fields: Any) -> PointsEntry:
    """Take points from the lots that expire first; refuses (nothing written) when the balance is short."""
    if points > account.balance:
        raise PointsInsufficient(details={"balance": account.balance, "requested": points})
    lots = list(
        PointsEntry.objects.select_for_update()
        .filter(account=account, remaining__gt=0)
        .order_by(F("expires_at").asc(nulls_last=True), "id")
    )
    left = points
    changed = []
    for lot in lots:
        if left == 0:
            break
        used = min(lot.remaining, left)
        lot.remaining -= used
        left -= used
        changed.append(lot)
    if left:
        # The lots disagree with the balance: a broken invariant, never paper over it.
        raise LedgerBusy(details={"lots_short": left})
    PointsEntry.objects.bulk_update(changed, ["remaining"])
    new_balance = account.balance - points
    _points_cas(account, new_balance)
    return PointsEntry.objects.create(
        account=account, kind=kind, points=-points, balance_after=new_balance, remaining=0, **entry_fields
    )


@transaction.atomic
def points_adjust(
    *, member: Member, points: int, reason: str, actor_id: int | None, store_id: int | None = None
) -> PointsEntry:
    """A manual change of points (needs members.adjust_balance, checked by the caller); always audited."""
    if points == 0 or not reason.strip():
        raise PointsRedeemInvalid(_("Give a non-zero number of points and a reason."), code="adjust_invalid")
    account = _points_lock(member)
    before = account.balance
    if points > 0:
        entry = _points_add_lot(
            account=account,
            points=points,
            kind=PointsEntry.Kind.ADJUST,
            program=program_get(),
            now=timezone.now(),
            reason=reason,
            actor_id=actor_id,
            store_id=store_id,
        )
    else:
        entry = _points_take(
            account=account,
            points=-points,
            kind=PointsEntry.Kind.ADJUST,
            reason=reason,
            actor_id=actor_id,
            store_id=store_id,
        )
    audit_record(
        action="member.points_adjust",
        obj=member,
        before={"points": before},
        after={"points": account.balance, "reason": reason},
        actor_id=actor_id,
        store_id=store_id,
    )
    return entry


def points_expire_due(*, now: dt.datetime | None = None) -> int:
    """Expire the unused points of every lot past its expiry; one short transaction per member."""
    now = now or timezone.now()
    account_ids = list(
        PointsEntry.objects.filter(remaining__gt=0, expires_at__lte=now)
        .values_list("account_id", flat=True)
        .distinct()
        .order_by("account_id")
    )
    expired = 0
    for account_id in account_ids:
        expired += _points_expire_account(account_id=account_id, now=now)
    return expired


@transaction.atomic
def _points_expire_account(*, account_id: int, now: dt.datetime) -> int:
    account = PointsAccount.objects.select_for_update().get(pk=account_id)
    lots = list(
        PointsEntry.objects.select_for_update().filter(account=account, remaining__gt=0, expires_at__lte=now)
    )
    points = sum(lot.remaining for lot in lots)
    if not points:
        return 0
    for lot in lots:
        lot.remaining = 0
    PointsEntry.objects.bulk_update(lots, ["remaining"])
    new_balance = account.balance - points
    _points_cas(account, new_balance)
    PointsEntry.objects.create(
        account=account,
        kind=PointsEntry.Kind.EXPIRE,
        points=-points,
        balance_after=new_balance,
        source_type="expiry",
        source_id=now.date().isoformat(),
    )
    return points
