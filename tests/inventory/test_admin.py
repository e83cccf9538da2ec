"""Back-office pages of the inventory render in Chinese and show only the staff member's stores."""

from __future__ import annotations

import pytest
from django.test import Client

from mendian.inventory.models import Transfer
from mendian.inventory.services import StockChange, alerts_scan, stock_rule_set, transfer_create

pytestmark = pytest.mark.django_db

PAGES = [
    "stocklevel",
    "stockmove",
    "batch",
    "batchstock",
    "serialnumber",
    "stockadjustment",
    "transfer",
    "stocktake",
    "stockrule",
    "expiryrule",
    "alert",
]


def client_for(profile) -> Client:
    client = Client(headers={"Accept-Language": "zh-hans"})
    profile.user.is_staff = True
    profile.user.save()
    client.force_login(profile.user)
    return client


def test_every_inventory_page_renders(chain, make_sku, receive, hq_admin):
    sku = make_sku()
    receive(chain.store_a, sku, 1)
    client = client_for(hq_admin)
    for page in PAGES:
        response = client.get(f"/admin/inventory/{page}/")
        assert response.status_code == 200, page


def test_the_alerts_page_shows_only_my_stores(chain, make_sku, receive, manager_a):
    cola = make_sku("可乐")
    receive(chain.store_a, cola, 1)
    receive(chain.store_b, cola, 1)
    stock_rule_set(store=chain.store_a, sku=cola, min_qty=0, reorder_point_qty=3)
    stock_rule_set(store=chain.store_b, sku=cola, min_qty=0, reorder_point_qty=3)
    alerts_scan()
    response = client_for(manager_a).get("/admin/inventory/alert/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "A店" in html and "B店" not in html


def test_a_transfer_is_approved_from_the_admin(chain, make_sku, receive, manager_a):
    sku = make_sku()
    receive(chain.store_a, sku, 2)
    transfer = transfer_create(
        from_store=chain.store_a, to_store=chain.store_b, lines=[StockChange(sku.pk, 1)], actor_id=None
    )
    response = client_for(manager_a).post(
        "/admin/inventory/transfer/", {"action": "approve", "_selected_action": [transfer.pk]}, follow=True
    )
    assert response.status_code == 200
    assert Transfer.objects.get(pk=transfer.pk).status == "approved"
