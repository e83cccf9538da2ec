"""Low-stock and expiry rules, and the alerts a scan raises from them and resolves."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from mendian.catalog.models import SKU, Product
from mendian.core.services import audit_record, outbox_enqueue
from mendian.inventory.errors import LineInvalid
from mendian.inventory.models import Alert, BatchStock, ExpiryRule, StockLevel, StockRule
from mendian.stores.models import Store

logger = logging.getLogger(__name__)

ALERT_TOPIC = "inventory.alert"


@transaction.atomic
def stock_rule_set(
    *, store: Store, sku: SKU, min_qty: int, reorder_point_qty: int, max_qty: int | None = None
) -> StockRule:
    """Set the low-stock rule of a store × SKU (min ≤ reorder point ≤ max, backed by DB constraints)."""
    if min_qty < 0 or reorder_point_qty < min_qty or (max_qty is not None and max_qty < reorder_point_qty):
        raise LineInvalid(
            details={"min_qty": min_qty, "reorder_point_qty": reorder_point_qty, "max_qty": max_qty}
        )
    rule, _created = StockRule.objects.update_or_create(
        store=store,
        sku=sku,
        defaults={"min_qty": min_qty, "reorder_point_qty": reorder_point_qty, "max_qty": max_qty},
    )
    return rule


@transaction.atomic
def expiry_rule_set(*, store: Store, days: int, product: Product | None = None) -> ExpiryRule:
    """Warn `days` before a batch expires, for one product or (product None) the whole store."""
    rule, _created = ExpiryRule.objects.update_or_create(
        store=store, product=product, defaults={"days": days}
    )
    return rule


def _alert_candidates(today: date) -> dict[str, Alert]:
    found: dict[str, Alert] = {}
    rules = list(
        StockRule.objects.values_list("store_id", "sku_id", "min_qty", "reorder_point_qty", "max_qty")
    )
    levels = {
        (store_id, sku_id): qty
        for store_id, sku_id, qty in StockLevel.objects.filter(
            Q(store_id__in={r[0] for r in rules}) & Q(sku_id__in={r[1] for r in rules})
        ).values_list("store_id", "sku_id", "on_hand_qty")
    }
    for store_id, sku_id, _min_qty, reorder_point_qty, max_qty in rules:
        qty = levels.get((store_id, sku_id), 0)
        if qty <= reorder_point_qty:
            key = f"low_stock:{store_id}:{sku_id}"
            found[key] = Alert(
                store_id=store_id,
                sku_id=sku_id,
                kind=Alert.Kind.LOW_STOCK,
                dedupe_key=key,
                qty=qty,
                threshold_qty=reorder_point_qty,
                suggested_order_qty=max(0, (max_qty if max_qty is not None else reorder_point_qty) - qty)
                or None,
            )
    store_days: dict[int, int] = {}
    product_days: dict[tuple[int, int], int] = {}
    for store_id, product_id, days in ExpiryRule.objects.values_list("store_id", "product_id", "days"):
        if product_id is None:
            store_days[store_id] = days
        else:
            product_days[(store_id, product_id)] = days
    if store_days or product_days:
        horizon = today + timedelta(days=max([*store_days.values(), *product_days.values()]))
        stocks = BatchStock.objects.filter(
            qty__gt=0, batch__expiry_date__isnull=False, batch__expiry_date__lte=horizon
        ).values_list("store_id", "sku_id", "batch_id", "qty", "batch__expiry_date", "sku__product_id")
        for store_id, sku_id, batch_id, qty, expiry, product_id in stocks:
            warn_days = product_days.get((store_id, product_id), store_days.get(store_id))
            if warn_days is None or expiry is None or expiry > today + timedelta(days=warn_days):
                continue
            kind = Alert.Kind.EXPIRED if expiry < today else Alert.Kind.NEAR_EXPIRY
            key = f"{kind}:{store_id}:{batch_id}"
            found[key] = Alert(
                store_id=store_id,
                sku_id=sku_id,
                batch_id=batch_id,
                kind=kind,
                dedupe_key=key,
                qty=qty,
                expiry_date=expiry,
            )
    return found


@transaction.atomic
def alerts_scan(*, today: date | None = None) -> list[Alert]:
    """Raise an alert for every low-stock or (near-)expired subject that has no open alert, queue one
    outbox message per new alert, and resolve open alerts whose condition has cleared.

    At most one alert per subject is open: the partial unique constraint on dedupe_key backs it."""
    today = today or timezone.localdate()
    candidates = _alert_candidates(today)
    open_alerts = {
        alert.dedupe_key: alert
        for alert in Alert.objects.select_for_update().filter(status=Alert.Status.OPEN)
    }
    cleared = [alert.pk for key, alert in open_alerts.items() if key not in candidates]
    if cleared:
        Alert.objects.filter(pk__in=cleared).update(status=Alert.Status.RESOLVED, resolved_at=timezone.now())
    new_alerts = [alert for key, alert in candidates.items() if key not in open_alerts]
    created = Alert.objects.bulk_create(new_alerts)
    for alert in created:
        outbox_enqueue(
            topic=ALERT_TOPIC,
            payload={
                "alert_id": alert.pk,
                "kind": alert.kind,
                "store_id": alert.store_id,
                "sku_id": alert.sku_id,
                "batch_id": alert.batch_id,
                "qty": alert.qty,
                "threshold_qty": alert.threshold_qty,
                "expiry_date": alert.expiry_date.isoformat() if alert.expiry_date else None,
            },
        )
    return created


@transaction.atomic
def alert_resolve(*, alert: Alert, actor_id: int | None) -> Alert:
    """Close an open alert by hand (the next scan raises it again if the condition still holds)."""
    Alert.objects.filter(pk=alert.pk, status=Alert.Status.OPEN).update(
        status=Alert.Status.RESOLVED, resolved_at=timezone.now()
    )
    alert.refresh_from_db()
    audit_record(action="alert.resolve", obj=alert, actor_id=actor_id, store_id=alert.store_id)
    return alert


def alert_deliver(payload: dict[str, Any]) -> None:
    """Outbox handler of inventory.alert: logs it (notifications route it to people later)."""
    logger.warning("stock alert %s", payload)
