"""Pages of the till: the cashier screen and customer display render in Chinese, the public e-receipt,
printing and reprinting from the till, and finding an order for a return."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from mendian.core.models import AuditEntry
from mendian.stores.models import Register, StaffProfile
from tests.conftest import ApiClient
from tests.sales.conftest import return_one

pytestmark = pytest.mark.django_db


def test_pos_page_is_in_simplified_chinese_and_loads_no_cdn() -> None:
    response = Client().get("/pos/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="zh-hans">' in html
    for text in (
        "登记本收银台",
        "收银员登录",
        "工号",
        "开班",
        "结算",
        "挂单",
        "取单",
        "退货",
        "重印",
        "交班",
    ):
        assert text in html, text
    # every script is served by us: Alpine is vendored, nothing from a CDN
    scripts = re.findall(r'<script[^>]+src="([^"]+)"', html)
    assert "/static/vendor/alpinejs/alpine-3.17.5.min.js" in scripts
    assert all(src.startswith("/static/") for src in scripts)
    # the script's messages come translated in a JSON catalog
    catalog = re.search(r'<script id="pos-strings" type="application/json">(.*?)</script>', html, re.S)
    assert catalog is not None
    assert json.loads(catalog.group(1))["cart_empty"] == "购物车是空的。"


def test_pos_page_follows_the_browser_language() -> None:
    html = Client(headers={"accept-language": "zh-Hant"}).get("/pos/").content.decode()
    assert "收銀員登入" in html


def test_customer_display_page_renders() -> None:
    response = Client().get("/pos/display/7/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "欢迎光临" in html
    assert "customerDisplay(7, '/pos/display/7/sale/{token}/')" in html


def test_e_receipt_shows_the_lines_without_signing_in(cash_order: Any) -> None:
    # when anyone opens the receipt link (no login)
    response = Client().get(f"/r/{cash_order.receipt_token}/")
    html = response.content.decode()
    # then the page shows every line, the total, the cash and the change
    assert response.status_code == 200
    assert html.count('data-testid="receipt-line"') == 2
    assert "可口可乐 500ml" in html
    assert "农夫山泉" in html
    assert cash_order.number in html
    assert re.search(r'data-testid="receipt-total">8\.00<', html)
    assert re.search(r'data-testid="receipt-change">2\.00<', html)
    assert "合计" in html and "找零" in html
    assert response["X-Robots-Tag"] == "noindex"


def test_e_receipt_of_an_unknown_or_malformed_token_is_404(cash_order: Any) -> None:
    client = Client()
    assert client.get("/r/" + "x" * 22 + "/").status_code == 404
    assert client.get("/r/short/").status_code == 404
    assert client.get("/r/" + "x" * 22 + "/qr.svg").status_code == 404


def test_e_receipt_qr_is_an_svg_of_the_receipt_link(cash_order: Any) -> None:
    response = Client().get(f"/r/{cash_order.receipt_token}/qr.svg")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response.content.startswith(b"<?xml") or b"<svg" in response.content[:200]


def _till_client(cashier: StaffProfile, register: Register, token_for: Any) -> Client:
    return Client(headers={"authorization": f"Bearer {token_for(cashier, register)}"})


def test_print_sends_the_receipt_to_the_register_printer(
    cash_order: Any, chain: Any, cashier_a: StaffProfile, token_for: Any, tmp_path: Path
) -> None:
    # given register A prints to a file printer
    target = tmp_path / "lp0"
    Register.objects.filter(pk=chain.register_a.pk).update(printer_url=f"file://{target}", paper_width_mm=58)
    client = _till_client(cashier_a, chain.register_a, token_for)
    # when the till asks to print the sale's receipt
    response = client.post(f"/pos/orders/{cash_order.pk}/print/", data="{}", content_type="application/json")
    # then the printer got the receipt with the drawer kick, and nothing was audited as a reprint
    body = response.json()
    assert response.status_code == 200
    assert body["printed"] is True
    assert body["is_reprint"] is False
    data = target.read_bytes()
    assert "可口可乐 500ml".encode("gb18030") in data
    assert b"\x1bp\x00" in data
    assert not AuditEntry.objects.filter(action="receipt.reprint").exists()


def test_reprint_says_chongyin_and_is_audited(
    cash_order: Any, chain: Any, cashier_a: StaffProfile, token_for: Any, tmp_path: Path
) -> None:
    target = tmp_path / "lp0"
    Register.objects.filter(pk=chain.register_a.pk).update(printer_url=f"file://{target}")
    client = _till_client(cashier_a, chain.register_a, token_for)
    response = client.post(
        f"/pos/orders/{cash_order.pk}/print/", data='{"reprint": true}', content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["printed"] is True
    data = target.read_bytes()
    assert "重印".encode("gb18030") in data
    assert b"\x1bp\x00" not in data  # a reprint never opens the drawer
    entry = AuditEntry.objects.get(action="receipt.reprint")
    assert entry.object_id == str(cash_order.pk)
    assert entry.actor_id == cashier_a.user_id
    assert entry.register_id == chain.register_a.pk
    assert entry.store_id == chain.store_a.pk


def test_print_without_a_printer_says_so(
    cash_order: Any, chain: Any, cashier_a: StaffProfile, token_for: Any
) -> None:
    client = _till_client(cashier_a, chain.register_a, token_for)
    body = client.post(
        f"/pos/orders/{cash_order.pk}/print/", data="{}", content_type="application/json"
    ).json()
    assert body["printed"] is False
    assert body["has_printer"] is False
    assert body["receipt_url"].endswith(f"/r/{cash_order.receipt_token}/")


def test_print_needs_a_signed_in_user_of_the_orders_store(
    cash_order: Any, chain: Any, make_staff: Any, token_for: Any
) -> None:
    anonymous = Client().post(
        f"/pos/orders/{cash_order.pk}/print/", data="{}", content_type="application/json"
    )
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "unauthenticated"
    cashier_b = make_staff(["cashier"], [chain.store_b])
    other_store = _till_client(cashier_b, chain.register_b, token_for).post(
        f"/pos/orders/{cash_order.pk}/print/", data='{"reprint": true}', content_type="application/json"
    )
    assert other_store.status_code == 404
    assert not AuditEntry.objects.filter(action="receipt.reprint").exists()


def test_find_an_order_by_number_or_scanned_receipt_link(
    cash_order: Any, chain: Any, cashier_a: StaffProfile, make_staff: Any, token_for: Any
) -> None:
    client = _till_client(cashier_a, chain.register_a, token_for)
    by_number = client.get("/pos/orders/find/", {"q": cash_order.number})
    by_link = client.get("/pos/orders/find/", {"q": f"http://shop.example/r/{cash_order.receipt_token}/"})
    by_token = client.get("/pos/orders/find/", {"q": cash_order.receipt_token})
    assert by_number.json() == {"id": cash_order.pk}
    assert by_link.json() == {"id": cash_order.pk}
    assert by_token.json() == {"id": cash_order.pk}
    missing = client.get("/pos/orders/find/", {"q": "T1-19990101-0001"})
    assert missing.status_code == 404
    assert missing.json()["error"]["message"] == "找不到此单号或小票码的订单。"
    cashier_b = make_staff(["cashier"], [chain.store_b])
    assert (
        _till_client(cashier_b, chain.register_b, token_for)
        .get("/pos/orders/find/", {"q": cash_order.number})
        .status_code
        == 404
    )


def test_the_api_order_gives_the_receipt_link_the_page_serves(
    cash_order: Any, cashier_a: StaffProfile, chain: Any, api_as: Any
) -> None:
    api: ApiClient = api_as(cashier_a, chain.register_a)
    status, order = api.get(f"/sales/orders/{cash_order.pk}")
    assert status == 200
    assert Client().get(order["receipt_url"]).status_code == 200


def test_refund_slip_prints_the_returned_line_and_opens_the_drawer_for_cash(
    cash_order: Any, chain: Any, cashier_a: StaffProfile, token_for: Any, tmp_path: Path
) -> None:
    # given the customer brings back one bottle of water paid in cash
    ret = return_one(cashier_a, cash_order, chain.register_a, "农夫山泉", "破损")
    target = tmp_path / "lp0"
    Register.objects.filter(pk=chain.register_a.pk).update(printer_url=f"file://{target}", paper_width_mm=58)
    # when the till prints the refund slip
    response = _till_client(cashier_a, chain.register_a, token_for).post(
        f"/pos/returns/{ret.pk}/print/", data="{}", content_type="application/json"
    )
    # then the slip names the original order, the line, the refund and opens the drawer to pay it out
    assert response.status_code == 200
    assert response.json()["printed"] is True
    text = target.read_bytes().decode("gb18030", errors="replace")
    assert "退款" in text
    assert f"{cash_order.number} / R{ret.pk}" in text
    assert "农夫山泉" in text
    assert "退款合计" in text and "2.00" in text
    assert "备注：破损" in text
    assert b"\x1bp\x00" in target.read_bytes()


def test_e_receipt_page_reads_a_fixed_number_of_queries(
    cash_order: Any, django_assert_max_num_queries: Any
) -> None:
    # one query for the order with its store, register and cashier, one each for lines and tenders
    client = Client()
    with django_assert_max_num_queries(3):
        response = client.get(f"/r/{cash_order.receipt_token}/")
    assert response.status_code == 200


def test_drawer_opens_on_the_register_the_till_signed_in_at(
    chain: Any, cashier_a: StaffProfile, token_for: Any, tmp_path: Path
) -> None:
    target = tmp_path / "lp0"
    Register.objects.filter(pk=chain.register_a.pk).update(printer_url=f"file://{target}")
    response = _till_client(cashier_a, chain.register_a, token_for).post("/pos/drawer/open/")
    assert response.status_code == 200
    assert response.json()["opened"] is True
    assert target.read_bytes() == b"\x1bp\x00\x32\x32"
    # a token not bound to a till (a back-office sign-in) opens nothing
    assert (
        Client(headers={"authorization": f"Bearer {token_for(cashier_a)}"})
        .post("/pos/drawer/open/")
        .status_code
        == 401
    )
