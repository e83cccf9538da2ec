"""Background jobs of the catalog: apply scheduled price changes when their time comes."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from mendian.catalog import services


@db_periodic_task(crontab(minute="*"))
def price_changes_apply_task() -> int:
    """Every minute: apply the price changes that are due (each once, audited)."""
    return services.price_changes_apply_due()
