"""Serial and USB receipt printers: a real pseudo-terminal stands in for the printer's serial port
(real pyserial, real python-escpos), and a USB printer that is not plugged in is reported, not raised."""

from __future__ import annotations

import os
import re
import select
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from mendian.sales import services as sales_services
from mendian.sales.models import Order
from mendian.sales.printing import (
    PrinterUrlInvalid,
    bytes_send,
    drawer_kick_bytes,
    drawer_open,
    printer_open,
    printer_spec,
)
from mendian.sales.receipt_render import PRINTER_ENCODING, receipt_bytes, receipt_from_order
from mendian.stores.models import Register, StaffProfile
from tests.sales.conftest import sell
from tests.sales.test_receipts import DRAWER_KICK_PIN2

CUT = b"\x1dV"  # GS V: python-escpos' paper cut


class PtyPrinter:
    """The printer's end of a serial line: whatever is written to `path` is read back from the master."""

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        self.path = os.ttyname(self.slave)
        self._received = bytearray()
        self._stop = threading.Event()
        # Read while the till writes, so a long receipt never fills the terminal's buffer.
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while not self._stop.is_set():
            if select.select([self.master], [], [], 0.05)[0]:
                self._received += os.read(self.master, 65536)

    def received(self) -> bytes:
        """Everything written so far (the port is flushed and closed before the till answers)."""
        self._stop.set()
        self._reader.join()
        while select.select([self.master], [], [], 0.1)[0]:
            self._received += os.read(self.master, 65536)
        return bytes(self._received)

    def close(self) -> None:
        self._stop.set()
        self._reader.join()
        os.close(self.master)
        os.close(self.slave)


@pytest.fixture
def pty_printer() -> Iterator[PtyPrinter]:
    printer = PtyPrinter()
    yield printer
    printer.close()


def _unstamped(data: bytes) -> bytes:
    return re.sub(rb"/r/claim/[A-Za-z0-9:_-]+/", b"/r/claim/TOKEN/", data)


def _till_client(cashier: StaffProfile, register: Register, token_for: Any) -> Client:
    return Client(headers={"authorization": f"Bearer {token_for(cashier, register)}"})


@pytest.mark.django_db
def test_cash_sale_prints_on_a_serial_printer_and_kicks_the_drawer(
    shop: dict[str, Any],
    chain: Any,
    cashier_a: StaffProfile,
    token_for: Any,
    pty_printer: PtyPrinter,
) -> None:
    # given register A prints to a serial printer at 19200 baud
    printer_url = f"serial://{pty_printer.path}?baudrate=19200"
    Register.objects.filter(pk=chain.register_a.pk).update(printer_url=printer_url, paper_width_mm=58)
    # and a cash sale of 2 × 可口可乐 and 1 × 奥利奥饼干 (14.50) paid with 20 yuan
    order = sell(
        cashier_a,
        chain.register_a,
        [(shop["cola"], 2), (shop["oreo"], 1)],
        [sales_services.TenderInput(kind="cash", amount_fen=1450, tendered_fen=2000)],
    )
    # when the till prints the sale's receipt
    response = _till_client(cashier_a, chain.register_a, token_for).post(
        f"/pos/orders/{order.pk}/print/", data="{}", content_type="application/json"
    )
    # then the till is told it printed, and the printer's line got the receipt
    assert response.status_code == 200
    assert response.json()["printed"] is True
    assert response.json()["error"] == ""
    data = pty_printer.received()
    text = data.decode(PRINTER_ENCODING, errors="replace")
    assert "可口可乐 500ml".encode(PRINTER_ENCODING) in data
    assert "奥利奥饼干".encode(PRINTER_ENCODING) in data
    assert "2 x 3.00" in text and "1 x 8.50" in text
    assert "合计" in text and "14.50" in text
    assert "找零" in text and "5.50" in text
    assert order.number in text
    # the paper is cut, and the drawer opens once, after the cut
    assert data.count(DRAWER_KICK_PIN2) == 1
    assert data.index(DRAWER_KICK_PIN2) > data.index(CUT)
    # and byte for byte it is the rendered receipt: nothing lost or translated on the line (the claim
    # QR's token is stamped with the second it was signed, so only it may differ)
    with translation.override("zh-hans"):
        receipt = receipt_from_order(order, receipt_url=response.json()["receipt_url"])
        expected = receipt_bytes(receipt, paper_width_mm=58)
    assert b"/r/claim/" in data
    assert _unstamped(data) == _unstamped(expected)


@pytest.mark.django_db
def test_card_sale_on_a_serial_printer_cuts_but_keeps_the_drawer_shut(
    card_order: Order,
    pty_printer: PtyPrinter,
) -> None:
    with translation.override("zh-hans"):
        data = receipt_bytes(receipt_from_order(card_order), paper_width_mm=80)
    result = bytes_send(f"serial://{pty_printer.path}?baudrate=9600&parity=N&stopbits=1&flow=none", data)
    received = pty_printer.received()
    assert result.printed is True
    assert received == data
    assert "农夫山泉".encode(PRINTER_ENCODING) in received
    assert b"6.00" in received
    assert CUT in received
    assert b"\x1bp" not in received


@pytest.mark.django_db
def test_no_sale_opens_the_drawer_through_the_serial_printer(pty_printer: PtyPrinter) -> None:
    result = drawer_open(printer_url=f"serial://{pty_printer.path}?baudrate=115200")
    assert result.printed is True
    assert pty_printer.received() == drawer_kick_bytes() == DRAWER_KICK_PIN2


@pytest.mark.django_db
def test_an_absent_serial_printer_is_reported_to_the_till_and_the_sale_stands(
    shop: dict[str, Any],
    chain: Any,
    cashier_a: StaffProfile,
    token_for: Any,
) -> None:
    # given register A's serial printer is unplugged (its port does not exist)
    printer_url = "serial:///dev/ttyUSB-mendian-absent?baudrate=9600"
    Register.objects.filter(pk=chain.register_a.pk).update(printer_url=printer_url)
    order = sell(
        cashier_a,
        chain.register_a,
        [(shop["cola"], 1)],
        [sales_services.TenderInput(kind="cash", amount_fen=300)],
    )
    # when the till prints its receipt
    response = _till_client(cashier_a, chain.register_a, token_for).post(
        f"/pos/orders/{order.pk}/print/", data="{}", content_type="application/json"
    )
    # then it gets a clear Chinese message naming the printer, not a server error
    assert response.status_code == 200
    body = response.json()
    assert body["printed"] is False
    assert body["has_printer"] is True
    assert body["error"] == (f"无法连接小票打印机 {printer_url}：串口 /dev/ttyUSB-mendian-absent 不存在。")
    # and the sale is untouched
    stored = Order.objects.get(pk=order.pk)
    assert (stored.status, stored.total_fen, stored.paid_fen) == (order.status, 300, 300)


def test_serial_printer_urls_are_parsed_fully() -> None:
    assert printer_spec("serial:///dev/ttyUSB0") == ("Serial", {"devfile": "/dev/ttyUSB0", "baudrate": 9600})
    assert printer_spec("serial://COM3?baudrate=115200") == (
        "Serial",
        {"devfile": "COM3", "baudrate": 115200},
    )
    assert printer_spec("serial:///dev/ttyS1?baudrate=38400&bytesize=7&parity=e&stopbits=2&flow=xonxoff") == (
        "Serial",
        {
            "devfile": "/dev/ttyS1",
            "baudrate": 38400,
            "bytesize": 7,
            "parity": "E",
            "stopbits": 2,
            "dsrdtr": False,
            "xonxoff": True,
        },
    )
    serial_printer = printer_open("serial:///dev/ttyS1?baudrate=19200&flow=none")
    assert (serial_printer.devfile, serial_printer.baudrate, serial_printer.dsrdtr) == (
        "/dev/ttyS1",
        19200,
        False,
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("serial:///dev/ttyS0?baudrate=9601", "波特率 9601 无效"),
        ("serial:///dev/ttyS0?baudrate=fast", "波特率 fast 无效"),
        ("serial://?baudrate=9600", "缺少端口"),
        ("serial:///", "缺少端口"),
        ("serial:///dev/ttyS0?baud=9600", "无法识别的参数 baud"),
        ("serial:///dev/ttyS0?baudrate=9600&baudrate=19200", "baudrate 出现了两次"),
        ("serial:///dev/ttyS0?bytesize=9", "数据位应为 5、6、7 或 8"),
        ("serial:///dev/ttyS0?parity=X", "校验位"),
        ("serial:///dev/ttyS0?stopbits=3", "停止位"),
        ("serial:///dev/ttyS0?flow=rts", "流控"),
    ],
)
def test_a_bad_serial_printer_url_is_refused_in_chinese(url: str, message: str) -> None:
    with translation.override("zh-hans"), pytest.raises(PrinterUrlInvalid) as refused:
        printer_spec(url)
    assert message in str(refused.value.message)
    assert refused.value.code == "printer_url_invalid"


def test_usb_printer_urls_are_parsed_fully() -> None:
    assert printer_spec("usb://04b8:0202") == ("Usb", {"idVendor": 0x04B8, "idProduct": 0x0202})
    assert printer_spec("usb://0x0416:0x5011?out_ep=0x03&in_ep=0x81") == (
        "Usb",
        {"idVendor": 0x0416, "idProduct": 0x5011, "out_ep": 0x03, "in_ep": 0x81},
    )
    usb_printer = printer_open("usb://1fc9:2016?out_ep=02")
    assert usb_printer.usb_args == {"idVendor": 0x1FC9, "idProduct": 0x2016}
    assert usb_printer.out_ep == 0x02
    assert usb_printer.timeout == 5000  # a jammed printer must not hang the till


@pytest.mark.parametrize(
    "url",
    [
        "usb://04b8",
        "usb://epson:0202",
        "usb://04b8:zz",
        "usb://0000:0202",  # 0 would match any USB device
        "usb://04b8:12345",
        "usb://04b8:0202/x",
        "usb://04b8:0202?out_ep=zz",
        "usb://04b8:0202?out_ep=0x100",
        "usb://04b8:0202?endpoint=1",
    ],
)
def test_a_bad_usb_printer_url_is_refused_in_chinese(url: str) -> None:
    with translation.override("zh-hans"), pytest.raises(PrinterUrlInvalid) as refused:
        printer_spec(url)
    assert url in str(refused.value.message)
    assert "USB" in str(refused.value.message) or "无法识别的参数" in str(refused.value.message)


@pytest.mark.django_db
def test_a_usb_printer_that_is_not_plugged_in_is_reported_not_raised() -> None:
    import usb.backend.libusb1

    # given no USB printer 04b8:0e15 is connected (there is no USB device here at all)
    printer_url = "usb://04b8:0e15"
    # when a receipt is sent to it
    with translation.override("zh-hans"):
        result = bytes_send(printer_url, b"\x1b@hello")
    # then the till learns, in Chinese, that this printer is not reachable and why
    assert result.printed is False
    assert result.code == "printer_unreachable"
    assert result.error.startswith(f"无法连接小票打印机 {printer_url}：")
    if usb.backend.libusb1.get_backend() is None:
        assert result.error.endswith("本机未安装 USB 库 libusb-1.0。")
    else:
        assert result.error.endswith("未连接 USB 设备 04b8:0e15，或本机无权使用该设备。")
