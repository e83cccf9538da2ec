"""The inventory API: store scoping (404 across stores), permissions, idempotent creation, reports."""

from __future__ import annotations

import uuid

import pytest

from mendian.core.models import AuditEntry
from mendian.inventory.models import StockAdjustment, StockLevel, StockMove
from mendian.inventory.services import StockChange, stock_apply

pytestmark = pytest.mark.django_db


@pytest.fixture
def stocked(chain, make_sku, receive):
    cola = make_sku("可乐", cost_price_fen=150)
    receive(chain.store_a, cola, 10)
    receive(chain.store_b, cola, 4)
    return cola


def test_levels_and_moves_are_scoped_to_my_stores(chain, stocked, manager_a, api_as):
    api = api_as(manager_a)
    status, levels = api.get("/inventory/levels")
    assert status == 200
    assert [(row["store_id"], row["on_hand_qty"]) for row in levels] == [(chain.store_a.pk, 10)]
    status, body = api.get("/inventory/levels", store_id=chain.store_b.pk)
    assert status == 404 and body["error"]["code"] == "not_found"
    status, moves = api.get("/inventory/moves", sku_id=stocked.pk)
    assert status == 200 and [m["store_id"] for m in moves] == [chain.store_a.pk]
    assert api.get("/inventory/moves", store_id=chain.store_b.pk)[0] == 404


def test_list_endpoints_have_a_fixed_query_count(
    chain, make_sku, receive, manager_a, api_as, django_assert_max_num_queries
):
    skus = [make_sku(f"商品{i}") for i in range(15)]
    for sku in skus:
        receive(chain.store_a, sku, 3)
    api = api_as(manager_a)
    with django_assert_max_num_queries(12):
        status, levels = api.get("/inventory/levels", store_id=chain.store_a.pk)
    assert status == 200 and len(levels) == 15
    with django_assert_max_num_queries(12):
        status, moves = api.get("/inventory/moves", store_id=chain.store_a.pk)
    assert status == 200 and len(moves) == 15


def test_an_adjustment_is_audited_and_a_retry_creates_nothing(chain, stocked, manager_a, api_as):
    api = api_as(manager_a)
    body = {
        "store_id": chain.store_a.pk,
        "reason": "damage",
        "note": "摔碎",
        "client_id": str(uuid.uuid4()),
        "lines": [{"sku_id": stocked.pk, "qty": -2}],
    }
    status, first = api.post("/inventory/adjustments", body)
    assert status == 201, first
    assert [(m["qty"], m["balance_after"], m["reason"]) for m in first["moves"]] == [(-2, 8, "damage")]
    status, again = api.post("/inventory/adjustments", body)
    assert status == 201 and again["id"] == first["id"]
    assert StockAdjustment.objects.count() == 1
    assert StockLevel.objects.get(store=chain.store_a, sku=stocked).on_hand_qty == 8
    assert AuditEntry.objects.filter(action="stock.adjust").count() == 1


def test_an_adjustment_in_another_store_or_beyond_stock_writes_nothing(chain, stocked, manager_a, api_as):
    api = api_as(manager_a)
    before = StockMove.objects.count()
    status, body = api.post(
        "/inventory/adjustments",
        {"store_id": chain.store_b.pk, "reason": "damage", "lines": [{"sku_id": stocked.pk, "qty": -1}]},
    )
    assert status == 404
    status, body = api.post(
        "/inventory/adjustments",
        {"store_id": chain.store_a.pk, "reason": "sample", "lines": [{"sku_id": stocked.pk, "qty": -11}]},
    )
    assert status == 409 and body["error"]["code"] == "stock_insufficient"
    assert body["error"]["message"] == "库存不足。"
    assert body["error"]["details"]["lines"] == [
        {"sku_id": stocked.pk, "on_hand_qty": 10, "requested_qty": 11}
    ]
    status, body = api.post(
        "/inventory/adjustments",
        {"store_id": chain.store_a.pk, "reason": "sample", "lines": [{"sku_id": 987654, "qty": 1}]},
    )
    assert status == 400 and body["error"]["code"] == "sku_unknown"
    status, body = api.post(
        "/inventory/adjustments", {"store_id": chain.store_a.pk, "reason": "theft", "lines": []}
    )
    assert status == 422
    assert StockMove.objects.count() == before and not StockAdjustment.objects.exists()


def test_a_cashier_may_look_but_not_adjust(chain, stocked, cashier_a, api_as):
    api = api_as(cashier_a)
    assert api.get("/inventory/levels")[0] == 200
    status, body = api.post(
        "/inventory/adjustments",
        {"store_id": chain.store_a.pk, "reason": "damage", "lines": [{"sku_id": stocked.pk, "qty": -1}]},
    )
    assert status == 403 and body["error"]["code"] == "permission_denied"


def test_transfer_flow_over_the_api(chain, stocked, make_staff, api_as):
    manager_b = make_staff(["store_manager"], [chain.store_b])
    manager_a = make_staff(["store_manager"], [chain.store_a])
    api_b, api_a = api_as(manager_b), api_as(manager_a)
    # B asks A for 3 cola
    status, transfer = api_b.post(
        "/inventory/transfers",
        {
            "from_store_id": chain.store_a.pk,
            "to_store_id": chain.store_b.pk,
            "lines": [{"sku_id": stocked.pk, "qty": 3}],
        },
    )
    # B's manager cannot see store A, so the request must come from someone who can: A's manager or HQ
    assert status == 404
    status, transfer = api_a.post(
        "/inventory/transfers",
        {
            "from_store_id": chain.store_a.pk,
            "to_store_id": chain.store_a.pk,
            "lines": [{"sku_id": stocked.pk, "qty": 3}],
        },
    )
    assert status == 400 and transfer["error"]["code"] == "transfer_same_store"


def test_transfer_approve_ship_receive_over_the_api(chain, stocked, make_staff, api_as, hq_admin):
    manager_b = make_staff(["store_manager"], [chain.store_b])
    manager_a = make_staff(["store_manager"], [chain.store_a])
    api_hq, api_a, api_b = api_as(hq_admin), api_as(manager_a), api_as(manager_b)
    status, transfer = api_hq.post(
        "/inventory/transfers",
        {
            "from_store_id": chain.store_a.pk,
            "to_store_id": chain.store_b.pk,
            "lines": [{"sku_id": stocked.pk, "qty": 3}],
        },
    )
    assert status == 201 and transfer["status"] == "requested"
    path = f"/inventory/transfers/{transfer['id']}"
    # the destination may not approve or ship for the source
    assert api_b.post(path + "/approve")[0] == 404
    assert api_a.post(path + "/approve")[1]["status"] == "approved"
    assert api_a.post(path + "/ship")[1]["status"] == "shipped"
    status, transit = api_b.get("/inventory/in-transit", store_id=chain.store_b.pk)
    assert transit == [
        {"from_store_id": chain.store_a.pk, "to_store_id": chain.store_b.pk, "sku_id": stocked.pk, "qty": 3}
    ]
    line_id = transfer["lines"][0]["id"]
    assert api_a.post(path + "/receive", {"lines": []})[0] == 404
    status, body = api_b.post(path + "/receive", {"lines": [{"line_id": line_id, "received_qty": 2}]})
    assert status == 400 and body["error"]["code"] == "difference_reason_required"
    status, done = api_b.post(
        path + "/receive", {"lines": [{"line_id": line_id, "received_qty": 2, "reason": "少一瓶"}]}
    )
    assert status == 200 and done["status"] == "received"
    assert done["lines"][0]["difference_qty"] == -1
    assert StockLevel.objects.get(store=chain.store_b, sku=stocked).on_hand_qty == 6
    assert api_b.post(path + "/cancel")[1]["error"]["code"] == "transfer_state_invalid"
    # someone of neither store does not see it
    outsider = make_staff(["store_manager"], [])
    assert api_as(outsider).get(path)[0] == 404


def test_blind_stocktake_over_the_api(chain, stocked, manager_a, cashier_a, make_staff, api_as):
    clerk = make_staff(["stock_clerk"], [chain.store_a])
    api_m, api_clerk = api_as(manager_a), api_as(clerk)
    status, sheet = api_m.post("/inventory/stocktakes", {"store_id": chain.store_a.pk, "is_blind": True})
    assert status == 201
    assert sheet["lines"] == [
        {
            "sku_id": stocked.pk,
            "sku_code": stocked.code,
            "name": str(stocked),
            "expected_qty": None,
            "counted_qty": None,
        }
    ]
    path = f"/inventory/stocktakes/{sheet['id']}"
    for _scan in range(3):
        status, sheet = api_clerk.post(
            path + "/counts", {"entries": [{"sku_id": stocked.pk, "qty": 1, "add": True}]}
        )
    assert sheet["lines"][0]["counted_qty"] == 3
    status, variance = api_m.get(path + "/variance")
    assert status == 200
    assert [(v["on_hand_qty"], v["variance_qty"], v["variance_cost_fen"]) for v in variance] == [
        (10, -7, -1050)
    ]
    assert api_as(cashier_a).post(path + "/post", {})[0] == 403
    status, posted = api_m.post(path + "/post", {})
    assert status == 200 and posted["status"] == "posted" and posted["lines"][0]["expected_qty"] == 10
    status, body = api_m.post(path + "/post", {})
    assert status == 409 and body["error"]["code"] == "stocktake_closed"
    assert StockLevel.objects.get(store=chain.store_a, sku=stocked).on_hand_qty == 3
    # another store's staff do not see it
    manager_b = make_staff(["store_manager"], [chain.store_b])
    assert api_as(manager_b).get(path)[0] == 404


def test_reports_over_the_api(chain, make_sku, receive, manager_a, api_as):
    from mendian.catalog.models import Category

    drinks = Category.objects.create(code="D", name="饮料")
    cola = make_sku("可乐", category=drinks, cost_price_fen=150)
    chips = make_sku("薯片", cost_price_fen=300)
    receive(chain.store_a, cola, 10)
    receive(chain.store_a, chips, 2)
    stock_apply(store=chain.store_a, changes=[StockChange(cola.pk, -1)], reason="sale")
    api = api_as(manager_a)
    status, rows = api.get("/inventory/reports/on-hand", store_id=chain.store_a.pk)
    assert status == 200
    assert sorted((r["category_name"], r["qty"], r["cost_value_fen"]) for r in rows) == [
        ("", 2, 600),
        ("饮料", 9, 1350),
    ]
    status, slow = api.get("/inventory/reports/slow-movers", store_id=chain.store_a.pk, days=30)
    assert [(r["sku_id"], r["last_sale_at"]) for r in slow] == [(chips.pk, None)]
    status, history = api.get("/inventory/reports/movements", sku_id=cola.pk)
    assert [(m["reason"], m["qty"], m["balance_after"]) for m in history] == [
        ("sale", -1, 9),
        ("receipt", 10, 10),
    ]
    assert api.get("/inventory/reports/slow-movers", store_id=chain.store_b.pk)[0] == 404


def test_alerts_over_the_api(chain, stocked, manager_a, make_staff, api_as):
    from mendian.inventory.services import alerts_scan, stock_rule_set

    stock_rule_set(store=chain.store_a, sku=stocked, min_qty=5, reorder_point_qty=12)
    stock_rule_set(store=chain.store_b, sku=stocked, min_qty=5, reorder_point_qty=12)
    alerts_scan()
    api = api_as(manager_a)
    status, alerts = api.get("/inventory/alerts")
    assert status == 200 and [(a["store_id"], a["kind"], a["qty"]) for a in alerts] == [
        (chain.store_a.pk, "low_stock", 10)
    ]
    status, resolved = api.post(f"/inventory/alerts/{alerts[0]['id']}/resolve")
    assert status == 200 and resolved["status"] == "resolved"
    manager_b = make_staff(["store_manager"], [chain.store_b])
    assert api_as(manager_b).post(f"/inventory/alerts/{alerts[0]['id']}/resolve")[0] == 404
