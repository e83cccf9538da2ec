"""Demo inventory on top of the demo catalogue: low-stock and near-expiry rules, a transfer in transit,
and the first alert scan. Running it twice changes nothing."""

from __future__ import annotations

from django.db import transaction

from mendian.catalog.models import SKU, Product
from mendian.inventory import services
from mendian.inventory.models import StockLevel, Transfer
from mendian.stores.models import Store

DEMO_NOTE = "演示调拨"


@transaction.atomic
def demo_inventory() -> int:
    """Returns the number of alerts raised."""
    stores = list(Store.objects.filter(code__in=["SH01", "SH02"]).order_by("code"))
    if len(stores) < 2 or Transfer.objects.filter(note=DEMO_NOTE).exists():
        return 0
    skus = list(SKU.objects.filter(product__kind=Product.Kind.GOODS, is_active=True).order_by("code")[:12])
    if not skus:
        return 0
    for store in stores:
        services.expiry_rule_set(store=store, days=7)
        for sku in skus[:6]:
            on_hand = (
                StockLevel.objects.filter(store=store, sku=sku).values_list("on_hand_qty", flat=True).first()
                or 0
            )
            # the first three sit at or below their reorder point, so the alerts page has something to show
            reorder_point = on_hand + 5 if skus.index(sku) < 3 else max(0, on_hand // 4)
            services.stock_rule_set(
                store=store,
                sku=sku,
                min_qty=0,
                reorder_point_qty=reorder_point,
                max_qty=reorder_point * 3 or 10,
            )
    source, destination = stores
    movable = [
        sku
        for sku in skus[6:]
        if not sku.product.tracks_serials
        and (
            StockLevel.objects.filter(store=source, sku=sku).values_list("on_hand_qty", flat=True).first()
            or 0
        )
        >= 2
    ]
    if movable:
        transfer = services.transfer_create(
            from_store=source,
            to_store=destination,
            lines=[services.StockChange(sku.pk, 2) for sku in movable[:3]],
            actor_id=None,
            note=DEMO_NOTE,
        )
        services.transfer_approve(transfer=transfer, actor_id=None)
        services.transfer_ship(transfer=transfer, actor_id=None)
    return len(services.alerts_scan())
