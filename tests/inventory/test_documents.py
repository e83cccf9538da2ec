"""Transfers, stocktakes, adjustments and alerts, built through the services."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from mendian.catalog.models import Category
from mendian.core.models import AuditEntry, OutboxMessage
from mendian.inventory import selectors
from mendian.inventory.errors import (
    DifferenceReasonRequired,
    SerialRequired,
    StockInsufficient,
    StocktakeClosed,
    StocktakeSkuOutOfScope,
    TransferStateInvalid,
)
from mendian.inventory.models import Alert, BatchStock, SerialNumber, StockLevel, StockMove, Transfer
from mendian.inventory.services import (
    CountEntry,
    StockChange,
    TransferReceipt,
    alerts_scan,
    batch_create,
    expiry_rule_set,
    stock_adjust,
    stock_apply,
    stock_rule_set,
    stocktake_count,
    stocktake_create,
    stocktake_post,
    transfer_approve,
    transfer_cancel,
    transfer_create,
    transfer_receive,
    transfer_ship,
)

pytestmark = pytest.mark.django_db


def on_hand(store, sku) -> int:
    return StockLevel.objects.filter(store=store, sku=sku).values_list("on_hand_qty", flat=True).first() or 0


# --- transfers -------------------------------------------------------------------------------------


def test_transfer_request_approve_ship_receive(chain, make_sku, receive, hq_admin):
    cola, chips = make_sku("可乐"), make_sku("薯片")
    receive(chain.store_a, cola, 10)
    receive(chain.store_a, chips, 4)
    actor = hq_admin.user.pk
    transfer = transfer_create(
        from_store=chain.store_a,
        to_store=chain.store_b,
        lines=[StockChange(cola.pk, 6), StockChange(chips.pk, 4)],
        actor_id=actor,
    )
    # shipping before approval is refused
    with pytest.raises(TransferStateInvalid):
        transfer_ship(transfer=transfer, actor_id=actor)
    transfer_approve(transfer=transfer, actor_id=actor)
    transfer_ship(transfer=transfer, actor_id=actor)
    # then the goods left A and are in transit to B
    assert (on_hand(chain.store_a, cola), on_hand(chain.store_b, cola)) == (4, 0)
    in_transit = {
        (row["to_store_id"], row["sku_id"]): row["qty"]
        for row in selectors.stock_in_transit(user=hq_admin.user)
    }
    assert in_transit == {(chain.store_b.pk, cola.pk): 6, (chain.store_b.pk, chips.pk): 4}
    with pytest.raises(TransferStateInvalid):
        transfer_cancel(transfer=transfer, actor_id=actor)
    # when B receives 5 cola (one broken) and all chips
    cola_line = transfer.lines.get(sku=cola)
    with pytest.raises(DifferenceReasonRequired):
        transfer_receive(transfer=transfer, actor_id=actor, receipts=[TransferReceipt(cola_line.pk, 5)])
    transfer_receive(
        transfer=transfer, actor_id=actor, receipts=[TransferReceipt(cola_line.pk, 5, "一瓶破损")]
    )
    # then
    assert (on_hand(chain.store_b, cola), on_hand(chain.store_b, chips)) == (5, 4)
    cola_line.refresh_from_db()
    assert (cola_line.shipped_qty, cola_line.received_qty, cola_line.difference_qty) == (6, 5, -1)
    assert cola_line.difference_reason == "一瓶破损"
    assert list(selectors.stock_in_transit(user=hq_admin.user)) == []
    assert StockMove.objects.filter(source_type="transfer", source_id=str(transfer.pk)).count() == 4
    audit = AuditEntry.objects.get(action="transfer.receive")
    assert audit.after["differences"][0]["received_qty"] == 5
    with pytest.raises(TransferStateInvalid):
        transfer_receive(transfer=transfer, actor_id=actor)
    assert on_hand(chain.store_b, cola) == 5


def test_shipping_more_than_on_hand_is_refused_and_leaves_it_approved(chain, make_sku, receive):
    sku = make_sku()
    receive(chain.store_a, sku, 2)
    transfer = transfer_create(
        from_store=chain.store_a, to_store=chain.store_b, lines=[StockChange(sku.pk, 3)], actor_id=None
    )
    transfer_approve(transfer=transfer, actor_id=None)
    with pytest.raises(StockInsufficient):
        transfer_ship(transfer=transfer, actor_id=None)
    assert Transfer.objects.get(pk=transfer.pk).status == "approved"
    assert on_hand(chain.store_a, sku) == 2


def test_cancel_before_ship_and_client_id_repeat(chain, make_sku):
    sku = make_sku()
    client_id = uuid.uuid4()
    first = transfer_create(
        from_store=chain.store_a,
        to_store=chain.store_b,
        lines=[StockChange(sku.pk, 1)],
        actor_id=None,
        client_id=client_id,
    )
    again = transfer_create(
        from_store=chain.store_a,
        to_store=chain.store_b,
        lines=[StockChange(sku.pk, 1)],
        actor_id=None,
        client_id=client_id,
    )
    assert again.pk == first.pk and Transfer.objects.count() == 1
    transfer_cancel(transfer=first, actor_id=None)
    assert Transfer.objects.get(pk=first.pk).status == "cancelled"
    assert not StockMove.objects.exists()


def test_a_transfer_moves_batches_and_serials(chain, make_sku, receive):
    milk = make_sku("牛奶", tracks_batches=True)
    phone = make_sku("手机", tracks_serials=True)
    batch = batch_create(sku=milk, batch_no="M1", expiry_date=timezone.localdate() + timedelta(days=9))
    receive(chain.store_a, milk, 3, batch_id=batch.pk)
    receive(chain.store_a, phone, 2, serials=("IMEI1", "IMEI2"))
    with pytest.raises(SerialRequired):
        transfer_create(
            from_store=chain.store_a, to_store=chain.store_b, lines=[StockChange(phone.pk, 1)], actor_id=None
        )
    transfer = transfer_create(
        from_store=chain.store_a,
        to_store=chain.store_b,
        lines=[StockChange(milk.pk, 2), StockChange(phone.pk, 2, ("IMEI1", "IMEI2"))],
        actor_id=None,
    )
    transfer_approve(transfer=transfer, actor_id=None)
    transfer_ship(transfer=transfer, actor_id=None)
    assert SerialNumber.objects.get(serial="IMEI1").status == "in_transit"
    phone_line = transfer.lines.get(sku=phone)
    transfer_receive(
        transfer=transfer,
        actor_id=None,
        receipts=[TransferReceipt(phone_line.pk, 1, "少到一台", ("IMEI2",))],
    )
    assert BatchStock.objects.get(store=chain.store_b, batch=batch).qty == 2
    assert BatchStock.objects.get(store=chain.store_a, batch=batch).qty == 1
    assert [(s.serial, s.status, s.store_id) for s in SerialNumber.objects.order_by("serial")] == [
        ("IMEI1", "removed", chain.store_a.pk),
        ("IMEI2", "in_stock", chain.store_b.pk),
    ]
    assert (on_hand(chain.store_b, phone), on_hand(chain.store_a, phone)) == (1, 0)


# --- stocktakes ------------------------------------------------------------------------------------


def test_a_partial_blind_stocktake_posts_its_variances_once(chain, make_sku, receive, hq_admin):
    drinks = Category.objects.create(code="D", name="饮料")
    soda = Category.objects.create(code="D1", name="碳酸饮料", parent=drinks)
    snacks = Category.objects.create(code="S", name="零食")
    cola, water, chips = (
        make_sku("可乐", category=soda),
        make_sku("矿泉水", category=drinks),
        make_sku("薯片", category=snacks),
    )
    for sku, qty in ((cola, 10), (water, 5), (chips, 7)):
        receive(chain.store_a, sku, qty)
    actor = hq_admin.user.pk
    stocktake = stocktake_create(store=chain.store_a, actor_id=actor, category_ids=[drinks.pk], is_blind=True)
    assert sorted(stocktake.lines.values_list("sku_id", "expected_qty")) == sorted(
        [(cola.pk, 10), (water.pk, 5)]
    )
    # counting: cola scanned 8 times, water entered as 6; chips are not on this sheet
    stocktake_count(stocktake=stocktake, entries=[CountEntry(cola.pk, 1, add=True)] * 8, actor_id=actor)
    stocktake_count(stocktake=stocktake, entries=[CountEntry(water.pk, 6)], actor_id=actor)
    with pytest.raises(StocktakeSkuOutOfScope):
        stocktake_count(stocktake=stocktake, entries=[CountEntry(chips.pk, 7)], actor_id=actor)
    # a sale during the count: the posted variance is taken against stock at posting
    stock_apply(store=chain.store_a, changes=[StockChange(cola.pk, -1)], reason="sale")
    report = {row["sku_id"]: row for row in selectors.stocktake_variance(stocktake=stocktake)}
    assert (
        report[cola.pk]["counted_qty"],
        report[cola.pk]["on_hand_qty"],
        report[cola.pk]["variance_qty"],
    ) == (8, 9, -1)
    assert report[cola.pk]["variance_cost_fen"] == -200
    moves = stocktake_post(stocktake=stocktake, actor_id=actor)
    assert sorted((m.sku_id, m.qty, m.reason) for m in moves) == sorted(
        [(cola.pk, -1, "stocktake"), (water.pk, 1, "stocktake")]
    )
    assert (on_hand(chain.store_a, cola), on_hand(chain.store_a, water), on_hand(chain.store_a, chips)) == (
        8,
        6,
        7,
    )
    with pytest.raises(StocktakeClosed):
        stocktake_post(stocktake=stocktake, actor_id=actor)
    with pytest.raises(StocktakeClosed):
        stocktake_count(stocktake=stocktake, entries=[CountEntry(cola.pk, 1)], actor_id=actor)
    assert StockMove.objects.filter(reason="stocktake").count() == 2
    assert AuditEntry.objects.filter(action="stocktake.post").count() == 1


def test_a_stocktake_may_take_stock_below_what_a_sale_could(chain, make_sku, receive):
    sku = make_sku()
    receive(chain.store_a, sku, 3)
    stocktake = stocktake_create(store=chain.store_a, actor_id=None)
    stocktake_count(stocktake=stocktake, entries=[CountEntry(sku.pk, 0)], actor_id=None)
    stocktake_post(stocktake=stocktake, actor_id=None)
    assert on_hand(chain.store_a, sku) == 0


# --- adjustments -----------------------------------------------------------------------------------


def test_an_adjustment_is_one_audited_document_and_a_repeat_changes_nothing(
    chain, make_sku, receive, manager_a
):
    sku = make_sku()
    receive(chain.store_a, sku, 5)
    client_id = uuid.uuid4()
    for _attempt in range(2):
        adjustment = stock_adjust(
            store=chain.store_a,
            reason="damage",
            lines=[StockChange(sku.pk, -2)],
            actor_id=manager_a.user.pk,
            note="摔碎",
            client_id=client_id,
        )
    assert on_hand(chain.store_a, sku) == 3
    move = StockMove.objects.get(source_type="adjustment", source_id=str(adjustment.pk))
    assert (move.qty, move.reason, move.actor_id) == (-2, "damage", manager_a.user.pk)
    audit = AuditEntry.objects.get(action="stock.adjust")
    assert audit.after["lines"] == [{"sku_id": sku.pk, "qty": -2, "balance_after": 3}]


# --- alerts ----------------------------------------------------------------------------------------


def test_the_alert_job_raises_each_alert_once_and_resolves_it(chain, make_sku, receive):
    cola = make_sku("可乐")
    milk = make_sku("牛奶", tracks_batches=True)
    receive(chain.store_a, cola, 3)
    today = timezone.localdate()
    soon = batch_create(sku=milk, batch_no="S", expiry_date=today + timedelta(days=2))
    later = batch_create(sku=milk, batch_no="L", expiry_date=today + timedelta(days=60))
    receive(chain.store_a, milk, 4, batch_id=soon.pk)
    receive(chain.store_a, milk, 4, batch_id=later.pk)
    stock_rule_set(store=chain.store_a, sku=cola, min_qty=2, reorder_point_qty=5, max_qty=20)
    expiry_rule_set(store=chain.store_a, days=7)
    # when the job runs twice
    first = alerts_scan()
    second = alerts_scan()
    # then each subject raised once, with one outbox message each
    assert sorted((a.kind, a.sku_id, a.batch_id, a.qty) for a in first) == sorted(
        [("low_stock", cola.pk, None, 3), ("near_expiry", milk.pk, soon.pk, 4)]
    )
    assert second == []
    low = Alert.objects.get(kind="low_stock")
    assert (low.threshold_qty, low.suggested_order_qty, low.status) == (5, 17, "open")
    messages = OutboxMessage.objects.filter(topic="inventory.alert")
    assert sorted(m.payload["alert_id"] for m in messages) == sorted(a.pk for a in first)
    # when stock is refilled the low-stock alert is resolved, and a later shortage raises a new one
    receive(chain.store_a, cola, 10)
    assert alerts_scan() == []
    low.refresh_from_db()
    assert low.status == "resolved"
    stock_apply(store=chain.store_a, changes=[StockChange(cola.pk, -12)], reason="sale")
    again = alerts_scan()
    assert [(a.kind, a.qty) for a in again] == [("low_stock", 1)]
    assert Alert.objects.filter(status="open").count() == 2
