"""Background jobs of the inventory: the low-stock and near-expiry alert scan."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from mendian.inventory import services


@db_periodic_task(crontab(minute="*/15"))
def alerts_scan_task() -> int:
    """Every 15 minutes: raise new alerts (each queues an outbox message) and resolve cleared ones."""
    return len(services.alerts_scan())
