"""The ledger invariant under random sequences of sales, receipts, adjustments, transfers and stocktakes.

After every step, for every store × SKU: level == sum of moves; every batch row == sum of its moves
and never negative; and the total over stores plus what is in transit changes only by receipts,
sales, adjustments, stocktake variances and transfer receiving differences."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from mendian.core.errors import DomainError
from mendian.inventory.models import BatchStock, StockLevel, StockMove, Transfer
from mendian.inventory.selectors import stock_in_transit
from mendian.inventory.services import (
    CountEntry,
    StockChange,
    TransferReceipt,
    batch_create,
    stock_adjust,
    stock_apply,
    stocktake_count,
    stocktake_create,
    stocktake_post,
    transfer_approve,
    transfer_create,
    transfer_receive,
    transfer_ship,
)


@pytest.mark.django_db
def test_the_ledger_invariant_holds_under_random_operations(chain, make_sku, hq_admin):
    stores = [chain.store_a, chain.store_b]
    skus = [
        make_sku("可乐"),
        make_sku("牛奶", tracks_batches=True),
        make_sku("散装糖", allow_negative_stock=True),
    ]
    today = timezone.localdate()
    batches = [
        batch_create(sku=skus[1], batch_no="EARLY", expiry_date=today + timedelta(days=5)),
        batch_create(sku=skus[1], batch_no="LATE", expiry_date=today + timedelta(days=50)),
    ]
    user = hq_admin.user
    store_ix = st.integers(0, 1)
    sku_ix = st.integers(0, len(skus) - 1)

    class Ledger(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.atomic = transaction.atomic()
            self.atomic.__enter__()
            self.expected_total = {sku.pk: 0 for sku in skus}
            self.shipped: list[Transfer] = []

        def teardown(self) -> None:
            transaction.set_rollback(True)
            self.atomic.__exit__(None, None, None)

        def _apply(
            self, store_index: int, sku_index: int, qty: int, reason: str, batch_id: int | None = None
        ) -> None:
            try:
                stock_apply(
                    store=stores[store_index],
                    changes=[StockChange(skus[sku_index].pk, qty, batch_id=batch_id)],
                    reason=reason,
                    actor_id=user.pk,
                )
            except DomainError:
                return
            self.expected_total[skus[sku_index].pk] += qty

        @rule(store=store_ix, sku=sku_ix, qty=st.integers(1, 6), batch=st.sampled_from([None, 0, 1]))
        def receipt(self, store: int, sku: int, qty: int, batch: int | None) -> None:
            batch_id = batches[batch].pk if batch is not None and sku == 1 else None
            self._apply(store, sku, qty, "receipt", batch_id)

        @rule(store=store_ix, sku=sku_ix, qty=st.integers(1, 6))
        def sale(self, store: int, sku: int, qty: int) -> None:
            self._apply(store, sku, -qty, "sale")

        @rule(
            store=store_ix,
            sku=sku_ix,
            qty=st.integers(-4, 4).filter(bool),
            reason=st.sampled_from(["damage", "adjustment"]),
        )
        def adjustment(self, store: int, sku: int, qty: int, reason: str) -> None:
            try:
                stock_adjust(
                    store=stores[store],
                    reason=reason,
                    lines=[StockChange(skus[sku].pk, qty)],
                    actor_id=user.pk,
                )
            except DomainError:
                return
            self.expected_total[skus[sku].pk] += qty

        @rule(source=store_ix, sku=sku_ix, qty=st.integers(1, 5))
        def transfer_ship(self, source: int, sku: int, qty: int) -> None:
            transfer = transfer_create(
                from_store=stores[source],
                to_store=stores[1 - source],
                lines=[StockChange(skus[sku].pk, qty)],
                actor_id=user.pk,
            )
            transfer_approve(transfer=transfer, actor_id=user.pk)
            try:
                transfer_ship(transfer=transfer, actor_id=user.pk)
            except DomainError:
                return
            self.shipped.append(transfer)

        @rule(data=st.data(), short=st.integers(0, 2))
        def transfer_receive(self, data: st.DataObject, short: int) -> None:
            if not self.shipped:
                return
            transfer = self.shipped.pop(data.draw(st.integers(0, len(self.shipped) - 1)))
            line = transfer.lines.get()
            received = max(0, (line.shipped_qty or 0) - short)
            transfer_receive(
                transfer=transfer,
                actor_id=user.pk,
                receipts=[TransferReceipt(line.pk, received, "破损" if short else "")],
            )
            self.expected_total[line.sku_id] += received - (line.shipped_qty or 0)

        @rule(store=store_ix, sku=sku_ix, counted=st.integers(0, 8))
        def stocktake(self, store: int, sku: int, counted: int) -> None:
            sheet = stocktake_create(store=stores[store], actor_id=user.pk)
            stocktake_count(stocktake=sheet, entries=[CountEntry(skus[sku].pk, counted)], actor_id=user.pk)
            for move in stocktake_post(stocktake=sheet, actor_id=user.pk):
                self.expected_total[move.sku_id] += move.qty
            level = StockLevel.objects.filter(store=stores[store], sku=skus[sku]).first()
            assert (level.on_hand_qty if level else 0) == counted

        @invariant()
        def level_equals_sum_of_moves(self) -> None:
            sums = {
                (row["store_id"], row["sku_id"]): row["total"]
                for row in StockMove.objects.values("store_id", "sku_id").annotate(total=Sum("qty"))
            }
            levels = {(lv.store_id, lv.sku_id): lv.on_hand_qty for lv in StockLevel.objects.all()}
            assert {key: qty for key, qty in levels.items() if qty or key in sums} == sums
            last = {}
            for move in StockMove.objects.order_by("id"):
                last[(move.store_id, move.sku_id)] = move.balance_after
            assert {key: levels[key] for key in last} == last

        @invariant()
        def batch_rows_equal_their_moves(self) -> None:
            batch_sums = {
                (row["store_id"], row["batch_id"]): row["total"]
                for row in StockMove.objects.filter(batch__isnull=False)
                .values("store_id", "batch_id")
                .annotate(total=Sum("qty"))
            }
            rows = {(row.store_id, row.batch_id): row.qty for row in BatchStock.objects.all()}
            assert all(qty >= 0 for qty in rows.values())
            assert {key: qty for key, qty in rows.items() if qty or key in batch_sums} == batch_sums

        @invariant()
        def transfers_conserve_stock(self) -> None:
            on_hand = {
                row["sku_id"]: row["total"]
                for row in StockLevel.objects.values("sku_id").annotate(total=Sum("on_hand_qty"))
            }
            in_transit: dict[int, int] = {}
            for row in stock_in_transit(user=user):
                in_transit[row["sku_id"]] = in_transit.get(row["sku_id"], 0) + row["qty"]
            for sku in skus:
                assert on_hand.get(sku.pk, 0) + in_transit.get(sku.pk, 0) == self.expected_total[sku.pk]

    run_state_machine_as_test(
        Ledger, settings=settings(max_examples=30, stateful_step_count=12, deadline=None, database=None)
    )
