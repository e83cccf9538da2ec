"""Returns and exchanges bring serial numbers and batches back with their units: a returned serialized unit
is sellable again, a batch line returns to its batch."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from mendian.catalog.models import SKU
from mendian.inventory.models import Batch, BatchStock, SerialNumber, StockMove
from mendian.inventory.services import StockChange, batch_create, stock_apply
from mendian.sales.models import Return
from mendian.stores.models import StaffProfile
from tests.conftest import ApiClient
from tests.sales.conftest import Till, make_sku, on_hand

pytestmark = pytest.mark.django_db


@pytest.fixture
def phone(till: Till) -> SKU:
    """A serialized phone with three units in store A: IMEI-1, IMEI-2, IMEI-3, at ¥1,000."""
    sku = make_sku("PHONE", 100_000, stock=None, tracks_serials=True)
    stock_apply(
        store=till.chain.store_a,
        changes=[StockChange(sku.pk, 3, ("IMEI-1", "IMEI-2", "IMEI-3"))],
        reason="receipt",
    )
    return sku


@pytest.fixture
def milk(till: Till) -> tuple[SKU, Batch]:
    """Milk tracked by batch: 5 units of batch L-01 in store A, at ¥6."""
    sku = make_sku("MILK", 600, stock=None, tracks_batches=True)
    batch = batch_create(sku=sku, batch_no="L-01")
    stock_apply(
        store=till.chain.store_a, changes=[StockChange(sku.pk, 5, batch_id=batch.pk)], reason="receipt"
    )
    return sku, batch


def serial_status(sku: SKU, serial: str) -> str:
    return SerialNumber.objects.get(sku=sku, serial=serial).status


def batch_qty(till: Till, batch: Batch) -> int:
    return BatchStock.objects.get(store=till.chain.store_a, batch=batch).qty


def sell(till: Till, line: dict[str, Any], amount_fen: int) -> tuple[int, Any]:
    return till.api.post(
        "/sales/orders",
        {
            "client_order_id": str(uuid.uuid4()),
            "register_id": till.chain.register_a.pk,
            "lines": [line],
            "tenders": [{"kind": "cash", "amount_fen": amount_fen}],
        },
    )


def return_line(till: Till, order: dict[str, Any], qty: int, **extra: Any) -> tuple[int, Any]:
    return till.api.post(
        f"/sales/orders/{order['id']}/returns",
        {
            "client_return_id": str(uuid.uuid4()),
            "lines": [{"order_line_id": order["lines"][0]["id"], "qty": qty, **extra}],
            "reason": "不想要了",
        },
    )


def test_a_returned_serialized_unit_is_back_in_stock_and_sells_again(till: Till, phone: SKU) -> None:
    # given IMEI-1 sold
    status, order = sell(till, {"sku_id": phone.pk, "qty": 1, "serials": ["IMEI-1"]}, 100_000)
    assert status == 201, order
    assert (serial_status(phone, "IMEI-1"), on_hand(till.chain.store_a, phone)) == ("sold", 2)
    # when the whole line comes back, naming no serial (the line's only unit still out)
    status, ret = return_line(till, order, 1)
    # then IMEI-1 is back in stock, recorded on the return line
    assert status == 201, ret
    assert [(line["qty"], line["serials"]) for line in ret["lines"]] == [(1, ["IMEI-1"])]
    assert (serial_status(phone, "IMEI-1"), on_hand(till.chain.store_a, phone)) == ("returned", 3)
    # and it can be sold again
    status, again = sell(till, {"sku_id": phone.pk, "qty": 1, "serials": ["IMEI-1"]}, 100_000)
    assert status == 201, again
    assert (serial_status(phone, "IMEI-1"), on_hand(till.chain.store_a, phone)) == ("sold", 2)


def test_a_partial_return_of_a_serialized_line_names_the_units_that_come_back(till: Till, phone: SKU) -> None:
    # given IMEI-1 and IMEI-2 sold on one line
    status, order = sell(till, {"sku_id": phone.pk, "qty": 2, "serials": ["IMEI-1", "IMEI-2"]}, 200_000)
    assert status == 201, order
    # when one unit comes back without saying which: refused, nothing written
    status, error = return_line(till, order, 1)
    assert (status, error["error"]["code"]) == (400, "serials_required")
    assert error["error"]["details"]["serials"] == ["IMEI-1", "IMEI-2"]
    # a serial the line did not sell, or two serials for one unit: refused
    for serials in (["IMEI-3"], ["IMEI-1", "IMEI-2"], ["IMEI-2", "IMEI-2"]):
        status, error = return_line(till, order, 1, serials=serials)
        assert (status, error["error"]["code"]) == (400, "serials_invalid"), serials
    assert Return.objects.count() == 0
    assert StockMove.objects.filter(reason="return").count() == 0
    assert (serial_status(phone, "IMEI-1"), serial_status(phone, "IMEI-2")) == ("sold", "sold")
    # when IMEI-2 comes back by name
    status, ret = return_line(till, order, 1, serials=["IMEI-2"])
    assert status == 201, ret
    assert (serial_status(phone, "IMEI-1"), serial_status(phone, "IMEI-2")) == ("sold", "returned")
    # then it cannot come back twice
    status, error = return_line(till, order, 1, serials=["IMEI-2"])
    assert (status, error["error"]["code"]) == (400, "serials_invalid")
    assert error["error"]["details"]["serials"] == ["IMEI-1"]
    # and the last unit needs no name: it is IMEI-1
    status, ret = return_line(till, order, 1)
    assert status == 201, ret
    assert ret["lines"][0]["serials"] == ["IMEI-1"]
    assert (serial_status(phone, "IMEI-1"), serial_status(phone, "IMEI-2")) == ("returned", "returned")
    assert on_hand(till.chain.store_a, phone) == 3


def test_a_damaged_serialized_unit_comes_back_and_leaves_as_removed(till: Till, phone: SKU) -> None:
    status, order = sell(till, {"sku_id": phone.pk, "qty": 1, "serials": ["IMEI-3"]}, 100_000)
    assert status == 201, order
    status, ret = till.api.post(
        f"/sales/orders/{order['id']}/returns",
        {
            "client_return_id": str(uuid.uuid4()),
            "lines": [{"order_line_id": order["lines"][0]["id"], "qty": 1}],
            "restock": False,
            "reason": "屏幕碎了",
        },
    )
    assert status == 201, ret
    assert (serial_status(phone, "IMEI-3"), on_hand(till.chain.store_a, phone)) == ("removed", 2)


def test_a_returned_batch_line_goes_back_to_its_batch(till: Till, milk: tuple[SKU, Batch]) -> None:
    sku, batch = milk
    # given 3 units of batch L-01 sold
    status, order = sell(till, {"sku_id": sku.pk, "qty": 3, "batch_id": batch.pk}, 1800)
    assert status == 201, order
    assert (batch_qty(till, batch), on_hand(till.chain.store_a, sku)) == (2, 2)
    # when 2 come back, then 1 more
    assert return_line(till, order, 2)[0] == 201
    assert (batch_qty(till, batch), on_hand(till.chain.store_a, sku)) == (4, 4)
    assert return_line(till, order, 1)[0] == 201
    # then the batch holds its 5 units again
    assert (batch_qty(till, batch), on_hand(till.chain.store_a, sku)) == (5, 5)
    assert list(
        StockMove.objects.filter(source_type="sales.return").order_by("id").values_list("batch_id", "qty")
    ) == [(batch.pk, 2), (batch.pk, 1)]


def test_an_exchange_brings_the_serial_back(till: Till, phone: SKU) -> None:
    status, order = sell(till, {"sku_id": phone.pk, "qty": 1, "serials": ["IMEI-1"]}, 100_000)
    assert status == 201, order
    body: dict[str, Any] = {
        "client_return_id": str(uuid.uuid4()),
        "order_id": order["id"],
        "register_id": till.chain.register_a.pk,
        "return_lines": [{"order_line_id": order["lines"][0]["id"], "qty": 1, "serials": ["IMEI-3"]}],
        "reason": "换机",
        "sale": {
            "client_order_id": str(uuid.uuid4()),
            "lines": [{"sku_id": phone.pk, "qty": 1, "serials": ["IMEI-2"]}],
        },
    }
    # the quote refuses a serial the order did not sell, as the exchange would
    status, error = till.api.post("/sales/exchanges/quote", body)
    assert (status, error["error"]["code"]) == (400, "serials_invalid")
    # when IMEI-1 is exchanged for IMEI-2
    body["return_lines"][0]["serials"] = ["IMEI-1"]
    status, exchange = till.api.post("/sales/exchanges", body)
    # then IMEI-1 is back in stock and IMEI-2 sold
    assert status == 201, exchange
    assert exchange["returned"]["lines"][0]["serials"] == ["IMEI-1"]
    assert (serial_status(phone, "IMEI-1"), serial_status(phone, "IMEI-2")) == ("returned", "sold")
    assert on_hand(till.chain.store_a, phone) == 2


def test_an_unreceipted_return_names_the_serial_that_comes_back(
    till: Till, phone: SKU, manager_a: StaffProfile, api_as: Callable[..., ApiClient]
) -> None:
    status, order = sell(till, {"sku_id": phone.pk, "qty": 1, "serials": ["IMEI-2"]}, 100_000)
    assert status == 201, order
    manager = api_as(manager_a, till.chain.register_a)
    status, ret = manager.post(
        "/sales/returns/unreceipted",
        {
            "client_return_id": str(uuid.uuid4()),
            "register_id": till.chain.register_a.pk,
            "lines": [{"sku_id": phone.pk, "qty": 1, "serials": ["IMEI-2"]}],
            "reason": "小票丢了",
        },
    )
    assert status == 201, ret
    assert ret["lines"][0]["serials"] == ["IMEI-2"]
    assert (serial_status(phone, "IMEI-2"), on_hand(till.chain.store_a, phone)) == ("returned", 3)
