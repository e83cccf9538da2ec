"""The inventory app's writes, one concept per module; this package re-exports the names its callers use."""

from mendian.inventory.services.adjustments import stock_adjust
from mendian.inventory.services.alerts import (
    ALERT_TOPIC,
    alert_deliver,
    alert_resolve,
    alerts_scan,
    expiry_rule_set,
    stock_rule_set,
)
from mendian.inventory.services.batches_serials import batch_create
from mendian.inventory.services.levels import StockChange, stock_apply
from mendian.inventory.services.stocktakes import (
    CountEntry,
    stocktake_cancel,
    stocktake_count,
    stocktake_create,
    stocktake_post,
)
from mendian.inventory.services.transfers import (
    TransferReceipt,
    transfer_approve,
    transfer_cancel,
    transfer_create,
    transfer_receive,
    transfer_ship,
)

__all__ = [
    "ALERT_TOPIC",
    "CountEntry",
    "StockChange",
    "TransferReceipt",
    "alert_deliver",
    "alert_resolve",
    "alerts_scan",
    "batch_create",
    "expiry_rule_set",
    "stock_adjust",
    "stock_apply",
    "stock_rule_set",
    "stocktake_cancel",
    "stocktake_count",
    "stocktake_create",
    "stocktake_post",
    "transfer_approve",
    "transfer_cancel",
    "transfer_create",
    "transfer_receive",
    "transfer_ship",
]
