"""Sending receipts to a register's ESC/POS printer.

Rule: printing never happens inside a database transaction (a jammed printer must not hold row
locks or roll back a sale). The bytes are rendered first with python-escpos' Dummy printer, then
sent in one write to the printer named by `Register.printer_url`:

- tcp://host:9100 — network printer (raw port 9100);
- usb://04b8:0202 — USB printer by vendor:product id in hex (pyusb; the till needs libusb-1.0).
  Printers whose bulk endpoints are not Epson's 0x01/0x82 (many Xprinter models) add
  ?out_ep=0x03&in_ep=0x81;
- serial:///dev/ttyUSB0?baudrate=9600 or serial://COM3?baudrate=9600 — serial printer (pyserial);
  also bytesize=5..8, parity=N|E|O|M|S, stopbits=1|1.5|2, flow=dsrdtr|xonxoff|none;
- file:///dev/usb/lp0 — a device file (or any file).

A wrong address is refused with `PrinterUrlInvalid`; a printer that is absent, switched off or
unusable is reported as `PrinterUnreachable`, naming it. Neither ever reaches the sale.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from django.db import connection, transaction
from django.utils.translation import gettext as _

from mendian.core.errors import DomainError
from mendian.core.services import audit_record
from mendian.sales.receipt_render import Receipt, receipt_bytes

logger = logging.getLogger(__name__)
NETWORK_TIMEOUT_SECONDS = 5
# Without these a jammed USB or serial printer would block the till's request forever.
USB_TIMEOUT_MS = 5000
SERIAL_WRITE_TIMEOUT_SECONDS = 5
# The rates receipt printers offer (their DIP switches or utility); anything else is a typo.
SERIAL_BAUDRATES = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400)
SERIAL_PARITIES = ("N", "E", "O", "M", "S")
SERIAL_STOPBITS = {"1": 1, "1.5": 1.5, "2": 2}
SERIAL_FLOW = {
    "dsrdtr": {"dsrdtr": True, "xonxoff": False},
    "xonxoff": {"dsrdtr": False, "xonxoff": True},
    "none": {"dsrdtr": False, "xonxoff": False},
}
USB_ID = re.compile(r"^(?:0x)?([0-9a-fA-F]{1,4})$")


class PrinterUrlInvalid(DomainError):
    code = "printer_url_invalid"


class PrinterUnreachable(DomainError):
    """The printer is configured correctly but cannot be used now (absent, off, busy, no driver)."""

    status = 503
    code = "printer_unreachable"


@dataclass(frozen=True)
class PrintResult:
    printed: bool
    error: str = ""
    code: str = ""


def _query(printer_url: str, query: str, allowed: tuple[str, ...]) -> dict[str, str]:
    """The URL's parameters; an unknown or repeated one is refused (a typo must not be ignored)."""
    pairs = parse_qsl(query, keep_blank_values=True)
    names = [name for name, _value in pairs]
    for name in names:
        if name not in allowed:
            raise PrinterUrlInvalid(
                _("The printer address %(url)s has an unknown setting %(name)s (allowed: %(allowed)s).")
                % {"url": printer_url, "name": name, "allowed": ", ".join(allowed)}
            )
        if names.count(name) > 1:
            raise PrinterUrlInvalid(
                _("The printer address %(url)s gives %(name)s twice.") % {"url": printer_url, "name": name}
            )
    return dict(pairs)


def _usb_id(text: str) -> int | None:
    match = USB_ID.match(text)
    value = int(match.group(1), 16) if match else 0
    return value or None  # 0 would make python-escpos match any USB device


def _usb_spec(printer_url: str, netloc: str, path: str, query: str) -> dict[str, Any]:
    vendor_text, _sep, product_text = netloc.partition(":")
    vendor, product = _usb_id(vendor_text), _usb_id(product_text)
    if vendor is None or product is None or path not in ("", "/"):
        raise PrinterUrlInvalid(
            _(
                "The USB printer address %(url)s is not valid: write usb://vendor:product with the "
                "two ids in hex, e.g. usb://04b8:0202."
            )
            % {"url": printer_url}
        )
    arguments: dict[str, Any] = {"idVendor": vendor, "idProduct": product}
    for name, value in _query(printer_url, query, ("out_ep", "in_ep")).items():
        try:
            endpoint = int(value, 16)
        except ValueError:
            endpoint = -1
        if not 0 < endpoint <= 0xFF:
            raise PrinterUrlInvalid(
                _("The USB endpoint %(name)s of %(url)s is a hex number such as 0x01.")
                % {"name": name, "url": printer_url}
            )
        arguments[name] = endpoint
    return arguments


def _serial_spec(printer_url: str, netloc: str, path: str, query: str) -> dict[str, Any]:
    # serial:///dev/ttyUSB0 on Linux, serial://COM3 on Windows.
    devfile = path if not netloc else netloc + path
    if not devfile or devfile == "/":
        raise PrinterUrlInvalid(
            _(
                "The serial printer address %(url)s names no port: write serial:///dev/ttyUSB0 "
                "or serial://COM3."
            )
            % {"url": printer_url}
        )
    options = _query(printer_url, query, ("baudrate", "bytesize", "parity", "stopbits", "flow"))
    baudrate_text = options.get("baudrate", "9600")
    if not baudrate_text.isdigit() or int(baudrate_text) not in SERIAL_BAUDRATES:
        raise PrinterUrlInvalid(
            _("The baud rate %(baudrate)s of %(url)s is not one a serial printer uses (%(rates)s).")
            % {
                "baudrate": baudrate_text,
                "url": printer_url,
                "rates": ", ".join(str(rate) for rate in SERIAL_BAUDRATES),
            }
        )
    arguments: dict[str, Any] = {"devfile": devfile, "baudrate": int(baudrate_text)}
    if "bytesize" in options:
        if options["bytesize"] not in ("5", "6", "7", "8"):
            raise PrinterUrlInvalid(_("The byte size of %(url)s is 5, 6, 7 or 8.") % {"url": printer_url})
        arguments["bytesize"] = int(options["bytesize"])
    if "parity" in options:
        parity = options["parity"].upper()
        if parity not in SERIAL_PARITIES:
            raise PrinterUrlInvalid(_("The parity of %(url)s is N, E, O, M or S.") % {"url": printer_url})
        arguments["parity"] = parity
    if "stopbits" in options:
        if options["stopbits"] not in SERIAL_STOPBITS:
            raise PrinterUrlInvalid(_("The stop bits of %(url)s are 1, 1.5 or 2.") % {"url": printer_url})
        arguments["stopbits"] = SERIAL_STOPBITS[options["stopbits"]]
    if "flow" in options:
        if options["flow"] not in SERIAL_FLOW:
            raise PrinterUrlInvalid(
                _("The flow control of %(url)s is dsrdtr, xonxoff or none.") % {"url": printer_url}
            )
        arguments.update(SERIAL_FLOW[options["flow"]])
    return arguments


def printer_spec(printer_url: str) -> tuple[str, dict[str, Any]]:
    """Parse a register's printer URL into the python-escpos printer class name and its arguments."""
    parts = urlsplit(printer_url.strip())
    scheme = parts.scheme.lower()
    if scheme == "tcp":
        try:
            port = parts.port
        except ValueError:
            port = -1
        if not parts.hostname or port == -1 or parts.path not in ("", "/") or parts.query:
            raise PrinterUrlInvalid(
                _("The network printer address %(url)s is not valid: write tcp://host:9100.")
                % {"url": printer_url}
            )
        return "Network", {
            "host": parts.hostname,
            "port": port or 9100,
            "timeout": NETWORK_TIMEOUT_SECONDS,
        }
    if scheme == "usb":
        return "Usb", _usb_spec(printer_url, parts.netloc, parts.path, parts.query)
    if scheme == "serial":
        return "Serial", _serial_spec(printer_url, parts.netloc, parts.path, parts.query)
    if scheme == "file" and parts.path and not parts.query:
        return "File", {"devfile": parts.path}
    raise PrinterUrlInvalid(_("Unknown printer address: use tcp://, usb://, serial:// or file://."))


def printer_open(printer_url: str) -> Any:
    """A python-escpos printer for a register's printer URL (not yet opened)."""
    from escpos import printer as escpos_printer

    class_name, arguments = printer_spec(printer_url)
    if class_name == "Usb":
        arguments.setdefault("timeout", USB_TIMEOUT_MS)
    try:
        return getattr(escpos_printer, class_name)(**arguments)
    except RuntimeError:  # python-escpos says the driver library (pyusb / pyserial) is missing
        raise PrinterUnreachable(
            _("The receipt printer %(printer)s is not reachable: %(reason)s")
            % {"printer": printer_url, "reason": _("its driver library is not installed.")},
            code="printer_driver_missing",
        ) from None


def _unreachable_reason(error: BaseException, class_name: str, arguments: dict[str, Any]) -> str:
    """Say in the cashier's words why the printer cannot be used; python-escpos wraps the cause."""
    cause = error.__cause__ or error.__context__ or error
    cause_name = type(cause).__name__
    if cause_name == "NoBackendError":  # pyusb found no libusb
        return _("the USB library libusb-1.0 is not installed on this computer.")
    if class_name == "Usb":
        return _(
            "no USB device %(vendor)04x:%(product)04x is connected, or this computer may not use it."
        ) % {"vendor": arguments["idVendor"], "product": arguments["idProduct"]}
    if class_name == "Serial":
        devfile = arguments["devfile"]
        if devfile.startswith("/") and not os.path.exists(devfile):
            return _("the serial port %(port)s does not exist.") % {"port": devfile}
        if isinstance(cause, TimeoutError) or cause_name == "SerialTimeoutException":
            return _("it took nothing within %(seconds)s seconds (off, out of paper or jammed?).") % {
                "seconds": SERIAL_WRITE_TIMEOUT_SECONDS
            }
        return _(
            "the serial port %(port)s cannot be opened (in use by another program, or no permission)."
        ) % {"port": devfile}
    if isinstance(cause, TimeoutError):
        return _("no answer within %(seconds)s seconds.") % {"seconds": NETWORK_TIMEOUT_SECONDS}
    if isinstance(cause, ConnectionRefusedError):
        return _("it refused the connection.")
    if isinstance(cause, FileNotFoundError):
        return _("the device does not exist.")
    if isinstance(cause, PermissionError):
        return _("this computer may not use it (no permission).")
    return _("it did not answer.")


def _in_transaction() -> bool:
    """True inside an atomic block of our code (the test runner's own wrapping transaction does not count)."""
    return any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


def _printer_send(printer_url: str, data: bytes) -> None:
    """Open the printer, write the bytes in one go, close it; raise the project's errors only."""
    from escpos.exceptions import Error as EscposError

    class_name, arguments = printer_spec(printer_url)
    printer = printer_open(printer_url)
    try:
        printer.open()
        if class_name == "Serial":
            printer.device.write_timeout = SERIAL_WRITE_TIMEOUT_SECONDS
        try:
            printer._raw(data)
        except BaseException:
            if class_name == "Serial":
                # Drop what the port still holds, or closing (which drains it) waits for a dead printer.
                printer.device.reset_output_buffer()
            raise
        finally:
            printer.close()
    except (OSError, EscposError, ValueError) as error:
        logger.warning("receipt printer %s failed: %r (%r)", printer_url, error, error.__context__)
        raise PrinterUnreachable(
            _("The receipt printer %(printer)s is not reachable: %(reason)s")
            % {"printer": printer_url, "reason": _unreachable_reason(error, class_name, arguments)}
        ) from error


def bytes_send(printer_url: str, data: bytes) -> PrintResult:
    """Write rendered ESC/POS bytes to the printer; a printer problem is reported, never raised."""
    if _in_transaction():
        raise RuntimeError("printing inside a database transaction")
    try:
        _printer_send(printer_url, data)
    except (PrinterUrlInvalid, PrinterUnreachable) as error:
        return PrintResult(False, str(error.message), error.code)
    return PrintResult(True)


@transaction.atomic
def receipt_reprint_record(*, order: Any, actor_id: int | None, register_id: int | None) -> None:
    """A reprint is a sensitive action (a second receipt can be abused for a fake return): audit it."""
    audit_record(
        action="receipt.reprint",
        obj=order,
        actor_id=actor_id,
        store_id=order.store_id,
        register_id=register_id,
        after={"number": order.number},
    )


def drawer_kick_bytes() -> bytes:
    """ESC/POS: pulse the cash-drawer pin 2 of the receipt printer (the drawer hangs off the printer)."""
    from escpos.printer import Dummy

    dummy = Dummy()
    dummy.cashdraw(2)
    return bytes(dummy.output)


def drawer_open(*, printer_url: str) -> PrintResult:
    """Open the register's cash drawer. The no-sale itself is recorded by the shift's cash API first."""
    if not printer_url:
        return PrintResult(False, _("This register has no receipt printer."))
    return bytes_send(printer_url, drawer_kick_bytes())


def receipt_print(
    *, receipt: Receipt, printer_url: str, paper_width_mm: int, open_drawer: bool | None = None
) -> PrintResult:
    """Render and send one receipt. Call it after the order is committed (from a view or on_commit)."""
    if not printer_url:
        return PrintResult(False, _("This register has no receipt printer."))
    data = receipt_bytes(receipt, paper_width_mm=paper_width_mm, open_drawer=open_drawer)
    return bytes_send(printer_url, data)
