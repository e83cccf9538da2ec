"""RFM scores: the periodic recompute of each buying member's recency, frequency and spend quintiles."""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from collections.abc import Sequence

from django.db import transaction
from django.db.models import Count, Max, Q, Sum
from django.utils import timezone

from mendian.members.models import MemberRfm, SpendRecord

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
