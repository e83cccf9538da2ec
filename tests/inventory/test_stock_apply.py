"""stock_apply: the ledger, the negative-stock policy, batches picked FEFO, serial numbers, query counts."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from mendian.inventory.errors import (
    BatchExpired,
    BatchInsufficient,
    BatchInvalid,
    SerialCountMismatch,
    SerialDuplicate,
    SerialRequired,
    SerialUnavailable,
    SkuUnknown,
    StockInsufficient,
)
from mendian.inventory.models import BatchStock, SerialNumber, StockLevel, StockMove
from mendian.inventory.services import StockChange, batch_create, stock_apply

pytestmark = pytest.mark.django_db


def level(store, sku) -> int:
    return StockLevel.objects.get(store=store, sku=sku).on_hand_qty


def moves_sum(store, sku) -> int:
    return StockMove.objects.filter(store=store, sku=sku).aggregate(total=Sum("qty"))["total"] or 0


def test_a_sale_writes_a_move_with_the_balance_after(chain, make_sku, receive):
    # given 10 in store A
    sku = make_sku()
    receive(chain.store_a, sku, 10)
    # when 3 are sold
    moves = stock_apply(
        store=chain.store_a,
        changes=[StockChange(sku.pk, -3)],
        reason="sale",
        source_type="order",
        source_id="9",
    )
    # then
    assert [(m.qty, m.balance_after, m.reason, m.source_id) for m in moves] == [(-3, 7, "sale", "9")]
    assert level(chain.store_a, sku) == 7 == moves_sum(chain.store_a, sku)


def test_a_sale_beyond_stock_is_refused_and_writes_nothing(chain, make_sku, receive):
    sku, other = make_sku(), make_sku("雪碧")
    receive(chain.store_a, sku, 1)
    receive(chain.store_a, other, 5)
    before = StockMove.objects.count()
    with pytest.raises(StockInsufficient) as caught:
        stock_apply(
            store=chain.store_a, changes=[StockChange(other.pk, -1), StockChange(sku.pk, -2)], reason="sale"
        )
    assert caught.value.details == {"lines": [{"sku_id": sku.pk, "on_hand_qty": 1, "requested_qty": 2}]}
    assert StockMove.objects.count() == before
    assert (level(chain.store_a, sku), level(chain.store_a, other)) == (1, 5)


def test_negative_stock_follows_the_product_else_the_store(chain, make_sku):
    allowed = make_sku(allow_negative_stock=True)
    store_default = make_sku()
    # the product allows it although the store does not
    stock_apply(store=chain.store_a, changes=[StockChange(allowed.pk, -2)], reason="sale")
    assert level(chain.store_a, allowed) == -2
    with pytest.raises(StockInsufficient):
        stock_apply(store=chain.store_a, changes=[StockChange(store_default.pk, -1)], reason="sale")
    # the store allows it: a product that says nothing follows the store; one that forbids it does not
    chain.store_b.allow_negative_stock = True
    chain.store_b.save()
    forbidden = make_sku(allow_negative_stock=False)
    stock_apply(store=chain.store_b, changes=[StockChange(store_default.pk, -1)], reason="sale")
    assert level(chain.store_b, store_default) == -1
    with pytest.raises(StockInsufficient):
        stock_apply(store=chain.store_b, changes=[StockChange(forbidden.pk, -1)], reason="sale")


def test_an_unknown_sku_is_refused(chain):
    with pytest.raises((SkuUnknown, Exception)) as caught:
        stock_apply(store=chain.store_a, changes=[StockChange(999_999, 1)], reason="receipt")
    assert caught.type is SkuUnknown or "FOREIGN KEY" in str(caught.value).upper()
    assert not StockMove.objects.exists()


def test_the_query_count_is_the_same_for_1_and_20_lines(chain, make_sku, receive, django_assert_num_queries):
    skus = [make_sku(f"商品{i}") for i in range(20)]
    for sku in skus:
        receive(chain.store_a, sku, 5)
    # Plain SKUs with level rows: lock, update, insert the moves (no savepoint).
    with django_assert_num_queries(3) as one:
        stock_apply(store=chain.store_a, changes=[StockChange(skus[0].pk, -1)], reason="sale")
    with django_assert_num_queries(3) as twenty:
        stock_apply(store=chain.store_a, changes=[StockChange(sku.pk, -1) for sku in skus], reason="sale")
    assert len(one.captured_queries) == len(twenty.captured_queries)
    assert all(level(chain.store_a, sku) == 3 for sku in skus[:1]) and level(chain.store_a, skus[1]) == 4


def test_a_refusal_leaves_the_callers_transaction_usable(chain, make_sku, receive):
    """The fast path checks before it writes: a caller that catches StockInsufficient inside its
    own transaction can go on writing (on PostgreSQL a failed statement would poison it)."""
    sku = make_sku("矿泉水")
    receive(chain.store_a, sku, 2)
    with transaction.atomic():
        with pytest.raises(StockInsufficient) as caught:
            stock_apply(store=chain.store_a, changes=[StockChange(sku.pk, -3)], reason="sale")
        assert caught.value.details["lines"] == [{"sku_id": sku.pk, "on_hand_qty": 2, "requested_qty": 3}]
        moves = stock_apply(store=chain.store_a, changes=[StockChange(sku.pk, -2)], reason="sale")
    assert [(move.qty, move.balance_after) for move in moves] == [(-2, 0)]
    assert moves[0].pk == StockMove.objects.filter(sku=sku, reason="sale").get().pk
    assert level(chain.store_a, sku) == 0


def test_a_first_move_in_a_store_creates_the_level_row(chain, make_sku):
    sku = make_sku("新品")
    moves = stock_apply(store=chain.store_a, changes=[StockChange(sku.pk, 4)], reason="receipt")
    assert moves[0].balance_after == 4 and level(chain.store_a, sku) == 4
    moves = stock_apply(
        store=chain.store_a, changes=[StockChange(sku.pk, -1), StockChange(sku.pk, 2)], reason="adjustment"
    )
    assert sorted((move.qty, move.balance_after) for move in moves) == [(-1, 3), (2, 5)]
    assert level(chain.store_a, sku) == 5


def test_batches_and_serials_keep_a_fixed_query_count(chain, make_sku, django_assert_num_queries):
    batch_skus = [make_sku(f"牛奶{i}", tracks_batches=True) for i in range(20)]
    phones = [make_sku(f"手机{i}", tracks_serials=True) for i in range(20)]
    for index, sku in enumerate(batch_skus):
        for days in (10, 20):
            batch = batch_create(
                sku=sku, batch_no=f"L{index}-{days}", expiry_date=date.today() + timedelta(days=days)
            )
            stock_apply(
                store=chain.store_a, changes=[StockChange(sku.pk, 3, batch_id=batch.pk)], reason="receipt"
            )
    for index, sku in enumerate(phones):
        stock_apply(
            store=chain.store_a,
            changes=[StockChange(sku.pk, 2, (f"IMEI{index}a", f"IMEI{index}b"))],
            reason="receipt",
        )
    counts = []
    for size in (1, 20):
        changes = [StockChange(sku.pk, -3) for sku in batch_skus[:size]] + [
            StockChange(sku.pk, -1, (f"IMEI{phones.index(sku)}{'a' if size == 1 else 'b'}",))
            for sku in phones[:size]
        ]
        with django_assert_num_queries(10) as captured:
            stock_apply(store=chain.store_a, changes=changes, reason="sale")
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]


# --- batches ---------------------------------------------------------------------------------------


@pytest.fixture
def milk(chain, make_sku):
    sku = make_sku("鲜牛奶", tracks_batches=True)
    today = timezone.localdate()
    late = batch_create(sku=sku, batch_no="B-LATE", expiry_date=today + timedelta(days=30))
    early = batch_create(sku=sku, batch_no="B-EARLY", expiry_date=today + timedelta(days=3))
    expired = batch_create(sku=sku, batch_no="B-OLD", expiry_date=today - timedelta(days=1))
    for batch, qty in ((late, 5), (early, 2), (expired, 4)):
        stock_apply(
            store=chain.store_a, changes=[StockChange(sku.pk, qty, batch_id=batch.pk)], reason="receipt"
        )
    return sku, early, late, expired


def batch_qty(store, batch) -> int:
    return BatchStock.objects.get(store=store, batch=batch).qty


def test_a_sale_naming_no_batch_takes_the_first_expiry_first_and_skips_expired(chain, milk):
    sku, early, late, expired = milk
    moves = stock_apply(store=chain.store_a, changes=[StockChange(sku.pk, -3)], reason="sale")
    assert sorted((m.batch_id, m.qty) for m in moves) == sorted([(early.pk, -2), (late.pk, -1)])
    assert (
        batch_qty(chain.store_a, early),
        batch_qty(chain.store_a, late),
        batch_qty(chain.store_a, expired),
    ) == (
        0,
        4,
        4,
    )
    assert [m.balance_after for m in sorted(moves, key=lambda m: m.pk)] == [9, 8]
    assert level(chain.store_a, sku) == 8 == moves_sum(chain.store_a, sku)


def test_damage_of_batches_takes_expired_stock_first(chain, milk):
    sku, early, late, expired = milk
    stock_apply(store=chain.store_a, changes=[StockChange(sku.pk, -5)], reason="damage")
    assert (
        batch_qty(chain.store_a, expired),
        batch_qty(chain.store_a, early),
        batch_qty(chain.store_a, late),
    ) == (
        0,
        1,
        5,
    )


def test_a_named_batch_is_checked(chain, milk, make_sku):
    sku, early, late, expired = milk
    with pytest.raises(BatchExpired):
        stock_apply(
            store=chain.store_a, changes=[StockChange(sku.pk, -1, batch_id=expired.pk)], reason="sale"
        )
    with pytest.raises(BatchInsufficient):
        stock_apply(store=chain.store_a, changes=[StockChange(sku.pk, -3, batch_id=early.pk)], reason="sale")
    other = make_sku("酸奶", tracks_batches=True)
    with pytest.raises(BatchInvalid):
        stock_apply(
            store=chain.store_a, changes=[StockChange(other.pk, 1, batch_id=early.pk)], reason="receipt"
        )
    moves = stock_apply(
        store=chain.store_a, changes=[StockChange(sku.pk, -2, batch_id=late.pk)], reason="sale"
    )
    assert [(m.batch_id, m.qty, m.balance_after) for m in moves] == [(late.pk, -2, 9)]
    assert batch_qty(chain.store_a, late) == 3


def test_expired_stock_is_not_sold_even_when_on_hand_would_cover_it(chain, milk, receive):
    sku, early, late, _expired = milk
    # 7 sellable in batches + 4 expired = 11 on hand: an 8th unit would be an expired one
    with pytest.raises(StockInsufficient):
        stock_apply(store=chain.store_a, changes=[StockChange(sku.pk, -8)], reason="sale")
    assert (batch_qty(chain.store_a, early), batch_qty(chain.store_a, late), level(chain.store_a, sku)) == (
        2,
        5,
        11,
    )
    # stock received outside any batch is sold after the batches
    receive(chain.store_a, sku, 1)
    moves = stock_apply(store=chain.store_a, changes=[StockChange(sku.pk, -8)], reason="sale")
    assert sorted((m.batch_id or 0, m.qty) for m in moves) == sorted([(early.pk, -2), (late.pk, -5), (0, -1)])
    assert level(chain.store_a, sku) == 4 == moves_sum(chain.store_a, sku)


# --- serial numbers --------------------------------------------------------------------------------


def serial_status(sku, serial):
    row = SerialNumber.objects.get(sku=sku, serial=serial)
    return row.status, row.store_id


def test_serial_lifecycle_in_stock_sold_returned_sold_again(chain, make_sku):
    phone = make_sku("手机", tracks_serials=True)
    stock_apply(
        store=chain.store_a, changes=[StockChange(phone.pk, 2, ("860001", "860002"))], reason="receipt"
    )
    assert serial_status(phone, "860001") == ("in_stock", chain.store_a.pk)
    # a sale must name the serial
    with pytest.raises(SerialRequired):
        stock_apply(store=chain.store_a, changes=[StockChange(phone.pk, -1)], reason="sale")
    with pytest.raises(SerialCountMismatch):
        stock_apply(store=chain.store_a, changes=[StockChange(phone.pk, -2, ("860001",))], reason="sale")
    with pytest.raises(SerialUnavailable):
        stock_apply(store=chain.store_a, changes=[StockChange(phone.pk, -1, ("999999",))], reason="sale")
    moves = stock_apply(store=chain.store_a, changes=[StockChange(phone.pk, -1, ("860001",))], reason="sale")
    assert moves[0].serials == ["860001"]
    assert serial_status(phone, "860001") == ("sold", chain.store_a.pk)
    # selling it again is refused, and nothing is written
    with pytest.raises(SerialUnavailable):
        stock_apply(store=chain.store_a, changes=[StockChange(phone.pk, -1, ("860001",))], reason="sale")
    assert level(chain.store_a, phone) == 1
    # receiving a serial already in stock is refused
    with pytest.raises(SerialDuplicate):
        stock_apply(store=chain.store_a, changes=[StockChange(phone.pk, 1, ("860002",))], reason="receipt")
    # the customer returns it (at store B): returned, in store B, sellable there again
    stock_apply(store=chain.store_b, changes=[StockChange(phone.pk, 1, ("860001",))], reason="return")
    assert serial_status(phone, "860001") == ("returned", chain.store_b.pk)
    with pytest.raises(SerialUnavailable):
        stock_apply(store=chain.store_a, changes=[StockChange(phone.pk, -1, ("860001",))], reason="sale")
    stock_apply(store=chain.store_b, changes=[StockChange(phone.pk, -1, ("860001",))], reason="sale")
    assert serial_status(phone, "860001") == ("sold", chain.store_b.pk)
    assert level(chain.store_a, phone) == 1 == moves_sum(chain.store_a, phone)
    assert level(chain.store_b, phone) == 0 == moves_sum(chain.store_b, phone)
