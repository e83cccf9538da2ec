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


def printer_open(printer_url: str) -> Any:
    """A python-escpos printer for a register's printer URL (not yet opened)."""
    from escpos import printer as escpos_printer

    parts = urlsplit(printer_url)
    scheme = parts.scheme.lower()
    if scheme == "tcp":
        if not parts.hostname:
            raise PrinterUrlInvalid(_("The printer address has no host."))
        return escpos_printer.Network(
            parts.hostname, port=parts.port or 9100, timeout=NETWORK_TIMEOUT_SECONDS
        )
    if scheme == "usb":
        vendor, _sep, product = parts.netloc.partition(":")
        try:
            return escpos_printer.Usb(int(vendor, 16), int(product, 16))
        except ValueError:
            raise PrinterUrlInvalid(_("A USB printer is written usb://vendor:product in hex.")) from None
    if scheme == "serial":
        query = parse_qs(parts.query)
        baudrate = int(query.get("baudrate", ["9600"])[0])
        return escpos_printer.Serial(devfile=parts.path, baudrate=baudrate)
    if scheme == "file":
        return escpos_printer.File(devfile=parts.path)
    raise PrinterUrlInvalid(_("Unknown printer address: use tcp://, usb://, serial:// or file://."))


def bytes_send(printer_url: str, data: bytes) -> PrintResult:
    """Write rendered ESC/POS bytes to the printer; a printer problem is reported, never raised."""
    from escpos.exceptions import Error as EscposError

    if connection.in_atomic_block:
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


def receipt_print(
    *, receipt: Receipt, printer_url: str, paper_width_mm: int, open_drawer: bool | None = None
) -> PrintResult:
    """Render and send one receipt. Call it after the order is committed (from a view or on_commit)."""
    if not printer_url:
        return PrintResult(False, _("This register has no receipt printer."))
    data = receipt_bytes(receipt, paper_width_mm=paper_width_mm, open_drawer=open_drawer)
    return bytes_send(printer_url, data)
