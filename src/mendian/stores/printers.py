"""Receipt printer addresses of registers (`Register.printer_url`): parsed and checked here, so a
wrong address is refused when it is saved, not first when a receipt prints (`sales.printing` sends).

- tcp://host:9100 — network printer (raw port 9100);
- usb://04b8:0202 — USB printer by vendor:product id in hex; printers whose bulk endpoints are not
  Epson's 0x01/0x82 (many Xprinter models) add ?out_ep=0x03&in_ep=0x81;
- serial:///dev/ttyUSB0?baudrate=9600 or serial://COM3?baudrate=9600 — serial printer;
  also bytesize=5..8, parity=N|E|O|M|S, stopbits=1|1.5|2, flow=dsrdtr|xonxoff|none;
- file:///dev/usb/lp0 — a device file (or any file).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from mendian.core.errors import DomainError

NETWORK_TIMEOUT_SECONDS = 5
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


def printer_url_validate(value: str) -> None:
    """Model-field validator: a blank address (no printer) or one `printer_spec` accepts."""
    if value.strip():
        try:
            printer_spec(value)
        except PrinterUrlInvalid as exc:
            raise ValidationError(str(exc.message), code=exc.code) from None
