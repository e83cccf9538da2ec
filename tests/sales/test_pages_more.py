"""More of the till: the order list finds an order by its number, the register tells its paper width,
and the manager page for the exception log and daily close renders in Chinese."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.sales.conftest import Till, order_body

pytestmark = pytest.mark.django_db


def test_orders_filter_by_number(till: Till) -> None:
    numbers = []
    for _ in range(2):
        status, order = till.api.post(
            "/sales/orders",
            order_body(till.chain.register_a.pk, [(till.skus[0], 1)], [{"kind": "cash", "amount_fen": 1250}]),
        )
        assert status == 201, order
        numbers.append((order["id"], order["number"]))
    status, listed = till.api.get("/sales/orders", number=numbers[0][1])
    assert status == 200
    assert [(order["id"], order["number"]) for order in listed] == [numbers[0]]
    status, listed = till.api.get("/sales/orders", number="NO-SUCH-NUMBER")
    assert (status, listed) == (200, [])


def test_register_api_returns_the_paper_width(till: Till) -> None:
    register = till.chain.register_a
    register.paper_width_mm = 58
    register.save(update_fields=["paper_width_mm"])
    status, body = till.api.get(f"/stores/registers/{register.pk}")
    assert status == 200
    assert body["paper_width_mm"] == 58


def test_exceptions_page_is_in_chinese_and_loads_no_cdn() -> None:
    response = Client().get("/pos/exceptions/")
    html = response.content.decode()
    assert response.status_code == 200
    for text in ("异常记录", "日结", "缺货", "作废", "改价", "开钱箱"):
        assert text in html, text
    assert "http://" not in html.replace("http://www.w3.org", "")
    assert "https://" not in html


def test_pos_page_offers_unreceipted_returns_exchanges_gifts_and_price_changes() -> None:
    html = Client().get("/pos/").content.decode()
    for text in ("无小票退货", "换货", "赠品", "改价"):
        assert text in html, text
