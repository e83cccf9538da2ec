"""Receipts: one receipt model printed as ESC/POS bytes (58/80 mm, GB18030) and sent to the register's printer."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.utils import translation

from mendian.sales import services as sales_services
from mendian.sales.models import Order
from mendian.sales.printing import PrinterUrlInvalid, bytes_send, printer_open, printer_spec, receipt_print
from mendian.sales.receipt_render import (
    CHINESE_MODE_ON,
    PRINTER_ENCODING,
    display_width,
    receipt_bytes,
    receipt_from_order,
    receipt_text_lines,
)
from mendian.stores import services as store_services
from mendian.stores.models import StaffProfile
from tests.sales.conftest import barcoded_sku, sell

DRAWER_KICK_PIN2 = b"\x1bp\x00\x32\x32"  # ESC p 0 t1 t2, as python-escpos sends for pin 2


def decode(data: bytes) -> str:
    return data.decode(PRINTER_ENCODING, errors="replace")


@pytest.mark.django_db
@pytest.mark.parametrize(("paper_mm", "columns"), [(58, 32), (80, 48)])
def test_cash_sale_prints_lines_totals_change_and_kicks_the_drawer(
    shop: dict[str, Any], chain: Any, cashier_a: StaffProfile, paper_mm: int, columns: int
) -> None:
    # given a cash sale of 2 × 可口可乐 and 1 × 奥利奥饼干 (14.50) paid with 100 yuan
    order = sell(
        cashier_a,
        chain.register_a,
        [(shop["cola"], 2), (shop["oreo"], 1)],
        [sales_services.TenderInput(kind="cash", amount_fen=1450, tendered_fen=10000)],
    )
    # when its receipt is rendered for the paper width
    with translation.override("zh-hans"):
        receipt = receipt_from_order(order, receipt_url=f"http://shop.example/r/{order.receipt_token}/")
        data = receipt_bytes(receipt, paper_width_mm=paper_mm)
        lines = [text for _style, text in receipt_text_lines(receipt, columns)]
    text = decode(data)
    # then the printer gets GB18030 in Chinese mode with every line, the totals and the change
    assert data.startswith(b"\x1b@" + CHINESE_MODE_ON)
    assert "A店" in text
    assert "可口可乐 500ml".encode(PRINTER_ENCODING) in data
    assert "奥利奥饼干".encode(PRINTER_ENCODING) in data
    assert f"单号：{order.number}" in text
    assert "收银员：员工" in text
    assert any(line.startswith("  2 x 3.00") and line.endswith("6.00") for line in lines)
    assert any(line.startswith("  1 x 8.50") and line.endswith("8.50") for line in lines)
    assert any(line.startswith("合计") and line.endswith("14.50") for line in lines)
    assert any(line.startswith("现金") and line.endswith("100.00") for line in lines)
    assert any(line.startswith("找零") and line.endswith("85.50") for line in lines)
    # no line is wider than the paper
    assert max(display_width(line) for line in lines) <= columns
    # the QR to the e-receipt (native GS ( k) carries the link, and the drawer opens after the cut
    assert f"/r/{order.receipt_token}/".encode() in data
    assert data.count(DRAWER_KICK_PIN2) == 1
    assert data.index(DRAWER_KICK_PIN2) > data.index(b"\x1dV")


@pytest.mark.django_db
def test_card_sale_does_not_open_the_drawer_and_keeps_only_the_last_four_digits(card_order: Order) -> None:
    # given a sale paid by bank card on the external terminal; when the receipt is printed
    with translation.override("zh-hans"):
        data = receipt_bytes(receipt_from_order(card_order), paper_width_mm=80)
    text = decode(data)
    # then it shows the card tender with ****4321, and there is no drawer kick
    assert "银行卡" in text
    assert "****4321" in text
    assert "A1B2C3" in text
    assert "农夫山泉" in text
    assert DRAWER_KICK_PIN2 not in data
    assert b"\x1bp" not in data


@pytest.mark.django_db
def test_reprint_says_chongyin_and_never_opens_the_drawer(
    shop: dict[str, Any], chain: Any, cashier_a: StaffProfile
) -> None:
    order = sell(
        cashier_a,
        chain.register_a,
        [(shop["cola"], 1)],
        [sales_services.TenderInput(kind="cash", amount_fen=300, tendered_fen=500)],
    )
    with translation.override("zh-hans"):
        data = receipt_bytes(receipt_from_order(order, is_reprint=True), paper_width_mm=58)
    assert "重印".encode(PRINTER_ENCODING) in data
    assert DRAWER_KICK_PIN2 not in data


@pytest.mark.django_db
def test_training_register_receipt_is_marked_lianxi(chain: Any, cashier_a: StaffProfile) -> None:
    # given a register in training mode with an open shift
    register, _token = store_services.register_create(
        store=chain.store_a, code="T9", name="练习机", is_training=True
    )
    sales_services.shift_open(user=cashier_a.user, register=register, float_fen=0)
    sku = barcoded_sku(chain.store_a, "P009", "练习商品", 100, "6909999999996")
    # when it sells
    order = sell(cashier_a, register, [(sku, 1)], [sales_services.TenderInput(kind="cash", amount_fen=100)])
    with translation.override("zh-hans"):
        data = receipt_bytes(receipt_from_order(order), paper_width_mm=80)
    # then the receipt says 练习
    assert order.is_training is True
    assert "练习".encode(PRINTER_ENCODING) in data


@pytest.mark.django_db
def test_file_printer_receives_exactly_the_rendered_bytes(
    shop: dict[str, Any], chain: Any, cashier_a: StaffProfile, tmp_path: Path
) -> None:
    order = sell(
        cashier_a,
        chain.register_a,
        [(shop["oreo"], 2)],
        [sales_services.TenderInput(kind="cash", amount_fen=1700, tendered_fen=2000)],
    )
    receipt = receipt_from_order(order)
    target = tmp_path / "printer.bin"
    result = receipt_print(receipt=receipt, printer_url=f"file://{target}", paper_width_mm=58)
    assert result.printed is True
    assert target.read_bytes() == receipt_bytes(receipt, paper_width_mm=58)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.django_db
def test_an_unreachable_printer_is_reported_not_raised() -> None:
    result = bytes_send(f"tcp://127.0.0.1:{_closed_port()}", b"\x1b@hello")
    assert result.printed is False
    assert result.error


def test_printer_urls_map_to_escpos_printers() -> None:
    from escpos import printer as escpos_printer

    assert printer_spec("tcp://192.168.1.50:9100") == (
        "Network",
        {"host": "192.168.1.50", "port": 9100, "timeout": 5},
    )
    assert printer_spec("tcp://printer.local")[1]["port"] == 9100
    assert printer_spec("usb://04b8:0202") == ("Usb", {"idVendor": 0x04B8, "idProduct": 0x0202})
    assert printer_spec("serial:///dev/ttyUSB0?baudrate=19200") == (
        "Serial",
        {"devfile": "/dev/ttyUSB0", "baudrate": 19200},
    )
    assert printer_spec("file:///dev/usb/lp0") == ("File", {"devfile": "/dev/usb/lp0"})
    network = printer_open("tcp://192.168.1.50:9100")
    assert isinstance(network, escpos_printer.Network)
    assert (network.host, network.port) == ("192.168.1.50", 9100)
    for bad in ("lpt://1", "usb://epson", "tcp://", "serial:///dev/ttyS0?baudrate=fast"):
        with pytest.raises(PrinterUrlInvalid):
            printer_spec(bad)


@pytest.mark.django_db(transaction=True)
def test_printing_inside_a_transaction_is_refused(tmp_path: Path) -> None:
    # a jammed printer must never hold the locks of a sale
    with pytest.raises(RuntimeError), transaction.atomic():
        bytes_send(f"file://{tmp_path / 'x.bin'}", b"x")
    assert not (tmp_path / "x.bin").exists()


def test_display_width_counts_cjk_as_two_columns() -> None:
    assert display_width("可乐ab") == 6
    assert display_width("¥12.00") == 6
