"""Sending receipts to a register's ESC/POS printer.

Rule: printing never happens inside a database transaction (a jammed printer must not hold row
locks or roll back a sale). The bytes are rendered first with python-escpos' Dummy printer, then
sent in one write to the printer named by `Register.printer_url` (addresses: `mendian.stores.printers`):

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
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils.translation import gettext as _

from mendian.core.errors import DomainError
from mendian.core.services import audit_record
from mendian.sales.receipt_render import Receipt, receipt_bytes
from mendian.stores.printers import NETWORK_TIMEOUT_SECONDS, PrinterUrlInvalid, printer_spec

logger = logging.getLogger(__name__)
# Without these a jammed USB or serial printer would block the till's request forever.
USB_TIMEOUT_MS = 5000
SERIAL_WRITE_TIMEOUT_SECONDS = 5


class PrinterUnreachable(DomainError):
    """The printer is configured correctly but cannot be used now (absent, off, busy, no driver)."""

    status = 503
    code = "printer_unreachable"


@dataclass(frozen=True)
class PrintResult:
    printed: bool
    error: str = ""
    code: str = ""


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
