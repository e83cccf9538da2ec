"""Reads of the core."""

from __future__ import annotations

from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from mendian.core.models import WorkerHeartbeat


def health_report() -> tuple[bool, dict[str, object]]:
    """Database reachable, migrations applied, age of the worker's last heartbeat."""
    report: dict[str, object] = {}
    healthy = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        report["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - health must report any database failure, not raise it
        return False, {"database": f"error: {type(exc).__name__}"}
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    report["migrations"] = "ok" if not pending else f"{len(pending)} pending"
    healthy = healthy and not pending
    beat = WorkerHeartbeat.objects.filter(name="worker").values_list("beat_at", flat=True).first()
    report["worker_heartbeat_age_s"] = (
        None if beat is None else round((timezone.now() - beat).total_seconds(), 1)
    )
    return healthy, report
