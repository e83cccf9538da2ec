"""Periodic jobs of the members domain (huey): points expiry, tier review, birthdays and renewals, RFM scores."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from mendian.members import services


@db_periodic_task(crontab(minute="10", hour="0"))
def points_expire_task() -> int:
    return services.points_expire_due()


@db_periodic_task(crontab(minute="30", hour="2"))
def tiers_review_task() -> int:
    return services.tiers_review()


@db_periodic_task(crontab(minute="0", hour="9"))
def member_greetings_task() -> int:
    result = services.member_greetings_queue()
    return result.birthdays + result.renewals


@db_periodic_task(crontab(minute="40", hour="3"))
def rfm_recompute_task() -> int:
    return services.rfm_recompute()
