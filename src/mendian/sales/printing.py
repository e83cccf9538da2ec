"""Sending receipts to a register's ESC/POS printer.

Rule: printing never happens inside a database transaction (a jammed printer must not hold row
locks or roll back a sale). The bytes are rendered first with python-escpos' Dummy printer, then
sent in one write to the printer named by `Register.printer_url`:
tcp://host:9100 (network), usb://04b8:0202 (vendor:product, hex), serial:///dev/ttyUSB0?baudrate=9600,
file:///dev/usb/lp0 (or any file path).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.db import connection, transaction
from django.utils.translation import gettext as _

from mendian.core.errors import DomainError
from mendian.core.services import audit_record
from mendian.sales.receipt_render import Receipt, receipt_bytes

logger = logging.getLogger(__name__)
NETWORK_TIMEOUT_SECONDS = 5


class PrinterUrlInvalid(DomainError):
    code = "printer_url_invalid"


@dataclass(frozen=True)
class PrintResult:
    printed: bool
    error: str = ""


def printer_spec(printer_url: str) -> tuple[str, dict[str, Any]]:
    """Parse a register's printer URL into the python-escpos printer class name and its arguments."""
    parts = urlsplit(printer_url)
    scheme = parts.scheme.lower()
    if scheme == "tcp":
        if not parts.hostname:
            raise PrinterUrlInvalid(_("The printer address has no host."))
        return "Network", {
            "host": parts.hostname,
            "port": parts.port or 9100,
            "timeout": NETWORK_TIMEOUT_SECONDS,
        }
    if scheme == "usb":
        vendor, _sep, product = parts.netloc.partition(":")
        try:
            return "Usb", {"idVendor": int(vendor, 16), "idProduct": int(product, 16)}
        except ValueError:
            raise PrinterUrlInvalid(_("A USB printer is written usb://vendor:product in hex.")) from None
    if scheme == "serial":
        query = parse_qs(parts.query)
        try:
            baudrate = int(query.get("baudrate", ["9600"])[0])
        except ValueError:
            raise PrinterUrlInvalid(_("The baud rate of a serial printer is a number.")) from None
        return "Serial", {"devfile": parts.path, "baudrate": baudrate}
    if scheme == "file" and parts.path:
        return "File", {"devfile": parts.path}
    raise PrinterUrlInvalid(_("Unknown printer address: use tcp://, usb://, serial:// or file://."))


def printer_open(printer_url: str) -> Any:
    """A python-escpos printer for a register's printer URL (not yet opened).

    USB and serial printers need python-escpos' optional pyusb / pyserial; without them the
    printer is reported as unavailable."""
    from escpos import printer as escpos_printer

    class_name, arguments = printer_spec(printer_url)
    try:
        return getattr(escpos_printer, class_name)(**arguments)
    except RuntimeError as error:  # python-escpos says a driver library is missing
        raise PrinterUrlInvalid(str(error), code="printer_driver_missing") from None


def _in_transaction() -> bool:
    """True inside an atomic block of our code (the test runner's own wrapping transaction does not count)."""
    return any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


def bytes_send(printer_url: str, data: bytes) -> PrintResult:
    """Write rendered ESC/POS bytes to the printer; a printer problem is reported, never raised."""
    from escpos.exceptions import Error as EscposError

    if _in_transaction():
        raise RuntimeError("printing inside a database transaction")
    try:
        printer = printer_open(printer_url)
        printer.open()
        try:
            printer._raw(data)
        finally:
            printer.close()
    except PrinterUrlInvalid as error:
        return PrintResult(False, str(error.message))
    except (OSError, EscposError, ValueError) as error:
        logger.warning("receipt printer %s failed: %s", printer_url, error)
        return PrintResult(False, _("The receipt printer did not answer: %(error)s") % {"error": error})
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
