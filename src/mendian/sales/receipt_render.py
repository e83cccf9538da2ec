"""One receipt model for every way a receipt leaves the till: ESC/POS bytes for 58/80 mm paper,
the e-receipt page and its PDF.

`receipt_from_order` reads an order into a plain `Receipt`; `receipt_rows` lays it out once as
rows; `receipt_escpos` prints those rows onto any python-escpos printer and `receipt_pdf` draws
them on a receipt-wide PDF page (the HTML page, templates/sales/receipt.html, shows the same model).
Chinese text goes to the printer as GB18030 in the printer's Chinese mode (FS &), which is what the usual Chinese thermal printers (Xprinter, Gprinter, Epson TM-T82 CN …)
expect; a CJK character takes two of the paper's columns (32 on 58 mm, 48 on 80 mm).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from mendian.core.money import yuan_str

PRINTER_ENCODING = "gb18030"
CHINESE_MODE_ON = b"\x1c\x26"  # FS &: the printer reads the following bytes as GB18030 double-byte text
INIT = b"\x1b\x40"  # ESC @
COLUMNS_BY_PAPER_MM = {58: 32, 80: 48}


@dataclass(frozen=True)
class ReceiptLine:
    name: str
    qty: int
    unit_price_fen: int
    list_price_fen: int
    discount_fen: int
    total_fen: int
    is_gift: bool = False

    @property
    def unit_price_yuan(self) -> str:
        return yuan_str(self.unit_price_fen)

    @property
    def discount_yuan(self) -> str:
        return yuan_str(self.discount_fen)

    @property
    def total_yuan(self) -> str:
        return yuan_str(self.total_fen)


@dataclass(frozen=True)
class ReceiptTender:
    kind: str
    label: str
    amount_fen: int
    detail: str = ""
    tendered_fen: int = 0

    @property
    def shown_fen(self) -> int:
        """Cash shows what was handed over (the change line follows); other tenders what they paid."""
        return max(self.amount_fen, self.tendered_fen) if self.kind == "cash" else self.amount_fen

    @property
    def amount_yuan(self) -> str:
        return yuan_str(self.shown_fen)


@dataclass(frozen=True)
class Receipt:
    """What a customer's receipt says. Amounts in fen; `is_refund` turns it into a refund slip."""

    store_name: str
    order_number: str
    created_at: datetime
    cashier_name: str
    lines: tuple[ReceiptLine, ...]
    subtotal_fen: int
    discount_fen: int
    total_fen: int
    paid_fen: int
    change_fen: int
    tenders: tuple[ReceiptTender, ...]
    store_address: str = ""
    store_phone: str = ""
    register_name: str = ""
    member_label: str = ""
    note: str = ""
    receipt_url: str = ""
    claim_url: str = ""
    is_training: bool = False
    is_reprint: bool = False
    is_refund: bool = False
    info_rows: tuple[tuple[str, str], ...] = ()  # (label, value) under the payments, e.g. a top-up's bonus
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def has_cash(self) -> bool:
        return any(tender.kind == "cash" for tender in self.tenders)

    @property
    def item_count(self) -> int:
        return sum(line.qty for line in self.lines)

    @property
    def subtotal_yuan(self) -> str:
        return yuan_str(self.subtotal_fen)

    @property
    def discount_yuan(self) -> str:
        return yuan_str(self.discount_fen)

    @property
    def total_yuan(self) -> str:
        return yuan_str(self.total_fen)

    @property
    def change_yuan(self) -> str:
        return yuan_str(self.change_fen)


def tender_label(kind: str) -> str:
    labels = {
        "cash": pgettext("tender", "Cash"),
        "card": pgettext("tender", "Bank card"),
        "pending_digital": pgettext("tender", "Digital payment"),
        "wechat": pgettext("tender", "WeChat Pay"),
        "alipay": pgettext("tender", "Alipay"),
        "points": pgettext("tender", "Points"),
        "stored_value": pgettext("tender", "Stored value"),
    }
    return labels.get(kind, kind)


def _attr(obj: Any, name: str, default: Any = None) -> Any:
    """Read a field from a model instance or from a dict (the API's order shape)."""
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def tender_detail(tender: Any) -> str:
    """Only what PCI DSS lets us keep: last four digits and the terminal's reference/approval code."""
    parts = []
    last4 = _attr(tender, "card_last4", "") or ""
    reference = _attr(tender, "reference", "") or ""
    approval = _attr(tender, "approval_code", "") or ""
    if last4:
        parts.append(_("card ****%(last4)s") % {"last4": last4})
    if approval:
        parts.append(_("approval %(code)s") % {"code": approval})
    elif reference:
        parts.append(_("ref. %(ref)s") % {"ref": reference})
    return " ".join(parts)


def receipt_from_order(order: Any, *, receipt_url: str = "", is_reprint: bool = False) -> Receipt:
    """Read a saved sales order (with store, register, cashier, lines and tenders) into a receipt."""
    store = order.store
    register = getattr(order, "register", None)
    cashier = getattr(order, "cashier", None)
    cashier_name = ""
    if cashier is not None:
        profile = getattr(cashier, "staff", None)
        cashier_name = (
            getattr(profile, "display_name", "") or getattr(cashier, "first_name", "") or str(cashier)
        )
    lines = tuple(
        ReceiptLine(
            name=line.name,
            qty=line.qty,
            unit_price_fen=line.unit_price_fen,
            list_price_fen=line.list_price_fen,
            discount_fen=line.discount_fen,
            total_fen=line.total_fen,
            is_gift=bool(getattr(line, "is_gift", False)),
        )
        for line in order.lines.all()
    )
    tenders = tuple(
        ReceiptTender(
            kind=tender.kind,
            label=tender_label(tender.kind),
            amount_fen=tender.amount_fen,
            detail=tender_detail(tender),
            tendered_fen=getattr(tender, "tendered_fen", 0) or 0,
        )
        for tender in order.tenders.all()
    )
    member = getattr(order, "member", None) if getattr(order, "member_id", None) else None
    return Receipt(
        store_name=store.name,
        store_address=store.address,
        store_phone=store.phone,
        register_name=register.name if register is not None else "",
        order_number=order.number,
        created_at=order.created_at,
        cashier_name=cashier_name,
        lines=lines,
        subtotal_fen=order.subtotal_fen,
        discount_fen=order.discount_fen,
        total_fen=order.total_fen,
        paid_fen=order.paid_fen,
        change_fen=order.change_fen,
        tenders=tenders,
        member_label=str(member) if member is not None else "",
        note=getattr(order, "note", "") or "",
        receipt_url=receipt_url,
        claim_url=_claim_url(order, receipt_url),
        is_training=bool(getattr(order, "is_training", False)),
        is_reprint=is_reprint,
    )


def _claim_url(order: Any, receipt_url: str) -> str:
    """The absolute claim link (join and earn this order's points), on the receipt link's host."""
    if not receipt_url or not hasattr(order, "pk"):
        return ""
    from urllib.parse import urljoin

    from mendian.sales.claim import order_claim_path

    path = order_claim_path(order)
    return urljoin(receipt_url, path) if path else ""


def receipt_from_return(ret: Any, *, is_reprint: bool = False) -> Receipt:
    """Read a saved return (with its lines and refund tenders) into a refund slip."""
    store = ret.store
    cashier = getattr(ret, "cashier", None)
    profile = getattr(cashier, "staff", None) if cashier is not None else None
    original = ret.order.number if getattr(ret, "order_id", None) else ""
    lines = tuple(
        ReceiptLine(
            name=line.name,
            qty=line.qty,
            unit_price_fen=line.refund_fen // line.qty if line.qty else line.refund_fen,
            list_price_fen=line.refund_fen // line.qty if line.qty else line.refund_fen,
            discount_fen=0,
            total_fen=line.refund_fen,
        )
        for line in ret.lines.all()
    )
    tenders = tuple(
        ReceiptTender(
            kind=tender.kind,
            label=tender_label(tender.kind),
            amount_fen=tender.amount_fen,
            detail=tender_detail(tender),
        )
        for tender in ret.tenders.all()
    )
    return Receipt(
        store_name=store.name,
        store_address=store.address,
        store_phone=store.phone,
        register_name=ret.register.name if getattr(ret, "register_id", None) else "",
        order_number=f"{original} / R{ret.pk}" if original else f"R{ret.pk}",
        created_at=ret.created_at,
        cashier_name=getattr(profile, "display_name", "") or (str(cashier) if cashier is not None else ""),
        lines=lines,
        subtotal_fen=ret.refund_fen,
        discount_fen=0,
        total_fen=ret.refund_fen,
        paid_fen=ret.refund_fen,
        change_fen=0,
        tenders=tenders,
        note=ret.reason or "",
        is_training=bool(getattr(ret, "is_training", False)),
        is_reprint=is_reprint,
        is_refund=True,
    )


def receipt_from_prepaid(
    sale: Any, *, member_label: str = "", receipt_url: str = "", is_reprint: bool = False
) -> Receipt:
    """Read a stored value or card sale (or its refund) into a receipt: one line for what was sold, and
    for stored value the principal, the bonus and the balance after apart."""
    store = sale.store
    cashier = getattr(sale, "cashier", None)
    profile = getattr(cashier, "staff", None) if cashier is not None else None
    tenders = tuple(
        ReceiptTender(
            kind=tender.kind,
            label=tender_label(tender.kind),
            amount_fen=tender.amount_fen,
            detail=tender_detail(tender),
            tendered_fen=tender.tendered_fen,
        )
        for tender in sale.tenders.all()
    )
    info: list[tuple[str, str]] = []
    details = sale.details or {}
    if sale.kind == "top_up":
        info.append((pgettext("receipt", "Stored value paid in"), yuan_str(sale.amount_fen)))
        info.append((pgettext("receipt", "Bonus"), yuan_str(sale.bonus_fen)))
        info.append((pgettext("receipt", "Credited to the card"), yuan_str(sale.amount_fen + sale.bonus_fen)))
    elif sale.kind == "top_up_refund":
        info.append((pgettext("receipt", "Principal paid back"), yuan_str(sale.amount_fen)))
        if sale.bonus_fen:
            info.append((pgettext("receipt", "Bonus forfeited"), yuan_str(sale.bonus_fen)))
    if "balance_after_fen" in details:
        info.append(
            (pgettext("receipt", "Stored value balance"), yuan_str(int(details["balance_after_fen"])))
        )
    if "uses" in details:
        info.append((pgettext("receipt", "Uses"), str(details["uses"])))
    if "uses_refunded" in details:
        info.append((pgettext("receipt", "Uses refunded"), str(details["uses_refunded"])))
    if "expires_at" in details:
        info.append((pgettext("receipt", "Valid until"), str(details["expires_at"])[:10]))
    line = ReceiptLine(
        name=sale.description,
        qty=1,
        unit_price_fen=sale.amount_fen,
        list_price_fen=sale.amount_fen,
        discount_fen=0,
        total_fen=sale.amount_fen,
    )
    return Receipt(
        store_name=store.name,
        store_address=store.address,
        store_phone=store.phone,
        register_name=sale.register.name if getattr(sale, "register_id", None) else "",
        order_number=sale.number,
        created_at=sale.created_at,
        cashier_name=getattr(profile, "display_name", "") or (str(cashier) if cashier is not None else ""),
        lines=(line,),
        subtotal_fen=sale.amount_fen,
        discount_fen=0,
        total_fen=sale.amount_fen,
        paid_fen=sale.paid_fen,
        change_fen=sale.change_fen,
        tenders=tenders,
        member_label=member_label,
        note=sale.reason or "",
        receipt_url=receipt_url,
        is_reprint=is_reprint,
        is_refund=sale.is_refund,
        info_rows=tuple(info),
    )


# ---------------------------------------------------------------------------------------------
# Plain text layout (shared by ESC/POS; also handy to read in tests and logs)


def display_width(text: str) -> int:
    """Columns the text takes on a receipt printer: CJK and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(char) in ("W", "F") else 1 for char in text)


def _clip(text: str, columns: int) -> str:
    out, used = [], 0
    for char in text:
        width = display_width(char)
        if used + width > columns:
            break
        out.append(char)
        used += width
    return "".join(out)


def wrap(text: str, columns: int) -> list[str]:
    """Break text into lines of at most `columns` display columns (CJK-aware, no hyphenation)."""
    lines: list[str] = []
    current, used = "", 0
    for char in text:
        width = display_width(char)
        if used + width > columns:
            lines.append(current)
            current, used = "", 0
        current += char
        used += width
    if current or not lines:
        lines.append(current)
    return lines


def two_columns(left: str, right: str, columns: int) -> str:
    """Left text and right-aligned text on one line; the left side is clipped if both do not fit."""
    room = columns - display_width(right) - 1
    left = _clip(left, max(room, 0))
    return left + " " * (columns - display_width(left) - display_width(right)) + right


def center(text: str, columns: int) -> str:
    text = _clip(text, columns)
    pad = (columns - display_width(text)) // 2
    return " " * pad + text


def _local_time(moment: datetime) -> str:
    return (
        timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S") if timezone.is_aware(moment) else str(moment)
    )


@dataclass(frozen=True)
class ReceiptRow:
    """One row of the receipt's layout, before it meets a medium (paper columns, PDF points).

    `style` is "" (normal), "title", "center", "mark", "total" or "rule"; `right` is a right-aligned
    amount on the same row; `indent` rows sit under the row before (line details, tender details)."""

    style: str
    left: str = ""
    right: str = ""
    indent: bool = False


def receipt_rows(receipt: Receipt) -> list[ReceiptRow]:
    """What the receipt says, top to bottom: the one layout every renderer (ESC/POS, PDF) draws."""
    rows: list[ReceiptRow] = [ReceiptRow("title", receipt.store_name)]
    for text in (receipt.store_address, receipt.store_phone):
        if text:
            rows.append(ReceiptRow("center", text))
    if receipt.is_training:
        rows.append(ReceiptRow("mark", pgettext("receipt mark", "Training")))
    if receipt.is_reprint:
        rows.append(ReceiptRow("mark", pgettext("receipt mark", "Reprint")))
    if receipt.is_refund:
        rows.append(ReceiptRow("mark", pgettext("receipt mark", "Refund")))
    rows.append(ReceiptRow("rule"))
    rows.append(ReceiptRow("", _("Order: %(number)s") % {"number": receipt.order_number}))
    rows.append(ReceiptRow("", _("Time: %(time)s") % {"time": _local_time(receipt.created_at)}))
    rows.append(
        ReceiptRow("", _("Cashier: %(name)s") % {"name": receipt.cashier_name}, receipt.register_name)
    )
    if receipt.member_label:
        rows.append(ReceiptRow("", _("Member: %(member)s") % {"member": receipt.member_label}))
    rows.append(ReceiptRow("rule"))
    for line in receipt.lines:
        name = line.name + (" " + pgettext("receipt", "[gift]") if line.is_gift else "")
        rows.append(ReceiptRow("", name))
        rows.append(
            ReceiptRow("", f"{line.qty} x {yuan_str(line.unit_price_fen)}", yuan_str(line.total_fen), True)
        )
        if line.discount_fen:
            rows.append(
                ReceiptRow("", pgettext("receipt", "Discount"), "-" + yuan_str(line.discount_fen), True)
            )
    rows.append(ReceiptRow("rule"))
    rows.append(ReceiptRow("", pgettext("receipt", "Items"), str(receipt.item_count)))
    rows.append(ReceiptRow("", pgettext("receipt", "Subtotal"), yuan_str(receipt.subtotal_fen)))
    if receipt.discount_fen:
        rows.append(ReceiptRow("", pgettext("receipt", "Discounts"), "-" + yuan_str(receipt.discount_fen)))
    total_label = pgettext("receipt", "Refund total") if receipt.is_refund else pgettext("receipt", "Total")
    rows.append(ReceiptRow("total", total_label, yuan_str(receipt.total_fen)))
    for tender in receipt.tenders:
        rows.append(ReceiptRow("", tender.label, yuan_str(tender.shown_fen)))
        if tender.detail:
            rows.append(ReceiptRow("", tender.detail, indent=True))
    if receipt.change_fen:
        rows.append(ReceiptRow("", pgettext("receipt", "Change"), yuan_str(receipt.change_fen)))
    if receipt.info_rows:
        rows.append(ReceiptRow("rule"))
        rows.extend(ReceiptRow("", label, value) for label, value in receipt.info_rows)
    if receipt.note:
        rows.append(ReceiptRow("rule"))
        rows.append(ReceiptRow("", _("Note: %(note)s") % {"note": receipt.note}))
    rows.append(ReceiptRow("rule"))
    return rows


def receipt_codes(receipt: Receipt) -> list[tuple[str, str]]:
    """The QR codes under the rows, as (link, caption): the e-receipt, then the member claim."""
    codes = []
    if receipt.receipt_url:
        codes.append((receipt.receipt_url, _("Scan for your e-receipt")))
    if receipt.claim_url:
        codes.append((receipt.claim_url, _("Scan to join and earn the points of this order")))
    return codes


def receipt_closing() -> str:
    return _("Thank you, see you again!")


def receipt_text_lines(receipt: Receipt, columns: int) -> list[tuple[str, str]]:
    """The receipt as (style, text) lines of at most `columns` display columns, for character printers.

    Style is "" (normal), "title", "center", "mark" or "total"; rules become a row of dashes."""
    out: list[tuple[str, str]] = []
    for row in receipt_rows(receipt):
        prefix = "  " if row.indent else ""
        if row.style == "rule":
            out.append(("", "-" * columns))
        elif row.style == "title":
            # Double-size text takes twice the columns, so titles get half the width.
            out.extend(("title", part) for part in wrap(row.left, columns // 2))
        elif row.style == "center":
            out.extend(("center", part) for part in wrap(row.left, columns))
        elif row.style == "mark":
            out.append(("mark", row.left))
        elif row.right:
            # The total is printed double-height only (same width), so it keeps the full column count.
            out.append((row.style, two_columns(prefix + row.left, row.right, columns)))
        else:
            out.extend((row.style, prefix + part) for part in wrap(row.left, columns - len(prefix)))
    return out


def receipt_escpos(
    receipt: Receipt, printer: Any, *, paper_width_mm: int = 80, open_drawer: bool | None = None
) -> None:
    """Print the receipt on a python-escpos printer (Network, Usb, Serial, File or Dummy).

    The cash drawer is kicked (pin 2) when the sale took cash, unless `open_drawer` says otherwise;
    a reprint never opens the drawer."""
    columns = COLUMNS_BY_PAPER_MM.get(paper_width_mm, 48)

    def text(value: str) -> None:
        printer._raw(value.encode(PRINTER_ENCODING, errors="replace") + b"\n")

    printer._raw(INIT + CHINESE_MODE_ON)
    for style, value in receipt_text_lines(receipt, columns):
        if style == "title":
            printer.set(align="center", bold=True, double_height=True, double_width=True)
            text(value.strip())
            printer.set(
                align="left", bold=False, double_height=False, double_width=False, normal_textsize=True
            )
        elif style == "center":
            printer.set(align="center")
            text(value.strip())
            printer.set(align="left")
        elif style == "mark":
            printer.set(align="center", bold=True, double_height=True, double_width=True, invert=True)
            text(f" {value} ")
            printer.set(align="left", bold=False, invert=False, normal_textsize=True)
        elif style == "total":
            printer.set(bold=True, double_height=True)
            text(value)
            printer.set(bold=False, normal_textsize=True)
        else:
            text(value)
    for link, caption in receipt_codes(receipt):
        printer.set(align="center")
        printer.qr(link, size=5 if columns < 48 else 6, native=True)
        text(caption)
    printer.set(align="center")
    text(receipt_closing())
    printer.set(align="left")
    printer.cut()
    kick = receipt.has_cash and not receipt.is_reprint if open_drawer is None else open_drawer
    if kick:
        printer.cashdraw(2)


def receipt_bytes(receipt: Receipt, *, paper_width_mm: int = 80, open_drawer: bool | None = None) -> bytes:
    """The ESC/POS bytes of a receipt, without a printer (python-escpos' Dummy collects them)."""
    from escpos.printer import Dummy

    dummy = Dummy()
    receipt_escpos(receipt, dummy, paper_width_mm=paper_width_mm, open_drawer=open_drawer)
    return bytes(dummy.output)


# ---------------------------------------------------------------------------------------------
# PDF: the e-receipt as a file to keep (reportlab; Adobe's CID font STSong-Light, which PDF readers
# supply themselves, so no font file ships and nothing is fetched).

PDF_FONT = "STSong-Light"
PDF_MARGIN_MM = 4
PDF_SIZE_BY_STYLE = {"title": 13.0, "total": 11.0, "mark": 11.0}
PDF_SIZE = 8.5
PDF_QR_MM = 28


def _pdf_font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if PDF_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(PDF_FONT))
    return PDF_FONT


def _pdf_wrap(text: str, size: float, width: float) -> list[str]:
    """Break text into lines no wider than `width` points (per character, as CJK text breaks)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    lines: list[str] = []
    current = ""
    for char in text:
        if current and stringWidth(current + char, PDF_FONT, size) > width:
            lines.append(current)
            current = ""
        current += char
    if current or not lines:
        lines.append(current)
    return lines


@dataclass(frozen=True)
class _PdfOp:
    """One thing to draw, `top` points below the top margin; kind is text/right/center/mark/rule/qr."""

    kind: str
    top: float
    x: float = 0
    text: str = ""
    size: float = PDF_SIZE
    heavy: bool = False


def _pdf_layout(receipt: Receipt, width: float) -> tuple[list[_PdfOp], float]:
    """Place every row and code of the receipt; returns the drawing operations and the used height."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    ops: list[_PdfOp] = []
    top = 0.0
    indent = 2 * PDF_SIZE
    for row in receipt_rows(receipt):
        size = PDF_SIZE_BY_STYLE.get(row.style, PDF_SIZE)
        leading = size * 1.45
        heavy = row.style in ("title", "total", "mark")
        if row.style == "rule":
            ops.append(_PdfOp("rule", top + leading / 2))
            top += leading
        elif row.style in ("title", "center", "mark"):
            for part in _pdf_wrap(row.left, size, width - (2 * size if row.style == "mark" else 0)):
                top += leading
                ops.append(
                    _PdfOp(
                        "mark" if row.style == "mark" else "center", top, text=part, size=size, heavy=heavy
                    )
                )
            if row.style == "mark":
                top += size * 0.4
        else:
            left_x = indent if row.indent else 0.0
            room = width - left_x
            if row.right:
                room -= stringWidth(row.right, PDF_FONT, size) + size
            for index, part in enumerate(_pdf_wrap(row.left, size, room)):
                top += leading
                ops.append(_PdfOp("text", top, x=left_x, text=part, size=size, heavy=heavy))
                if index == 0 and row.right:
                    ops.append(_PdfOp("right", top, text=row.right, size=size, heavy=heavy))
    for link, caption in receipt_codes(receipt):
        qr_size = PDF_QR_MM * 72 / 25.4
        top += qr_size + PDF_SIZE * 0.6
        ops.append(_PdfOp("qr", top, text=link, size=qr_size))
        for part in _pdf_wrap(caption, PDF_SIZE, width):
            top += PDF_SIZE * 1.45
            ops.append(_PdfOp("center", top, text=part))
    top += PDF_SIZE * 2.5
    ops.append(_PdfOp("center", top, text=receipt_closing()))
    return ops, top + PDF_SIZE


def receipt_pdf(receipt: Receipt, *, paper_width_mm: int = 80) -> bytes:
    """The receipt as a one-page PDF as wide as the paper roll, as long as the receipt.

    Drawn from the same rows as the printed receipt, with proportional text and right-aligned amounts."""
    from io import BytesIO

    from reportlab.graphics import renderPDF
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib.units import mm
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen.canvas import Canvas

    font = _pdf_font()
    page_width = paper_width_mm * mm
    margin = PDF_MARGIN_MM * mm
    width = page_width - 2 * margin
    ops, height = _pdf_layout(receipt, width)
    page_height = height + 2 * margin
    buffer = BytesIO()
    canvas = Canvas(buffer, pagesize=(page_width, page_height), pageCompression=1)
    canvas.setTitle(f"{receipt.store_name} {receipt.order_number}")
    canvas.setAuthor(receipt.store_name)
    canvas.setCreator("Mendian")
    for op in ops:
        baseline = page_height - margin - op.top
        if op.kind == "rule":
            canvas.setDash(2, 2)
            canvas.setLineWidth(0.5)
            canvas.line(margin, baseline, page_width - margin, baseline)
            canvas.setDash()
        elif op.kind == "qr":
            widget = QrCodeWidget(op.text, barBorder=0)
            left, bottom, right, upper = widget.getBounds()
            scale_x, scale_y = op.size / (right - left), op.size / (upper - bottom)
            drawing = Drawing(op.size, op.size, transform=[scale_x, 0, 0, scale_y, 0, 0])
            drawing.add(widget)
            renderPDF.draw(drawing, canvas, (page_width - op.size) / 2, baseline)
        else:
            text_width = stringWidth(op.text, font, op.size)
            if op.kind == "right":
                x = page_width - margin - text_width
            elif op.kind in ("center", "mark"):
                x = (page_width - text_width) / 2
            else:
                x = margin + op.x
            if op.kind == "mark":
                canvas.setLineWidth(1.2)
                canvas.rect(x - op.size / 2, baseline - op.size * 0.35, text_width + op.size, op.size * 1.45)
            # A CID font has no bold face: heavy text is filled and stroked (PDF text render mode 2).
            canvas.setLineWidth(op.size / 30)
            text_object = canvas.beginText(x, baseline)
            text_object.setFont(font, op.size)
            text_object.setTextRenderMode(2 if op.heavy else 0)
            text_object.textOut(op.text)
            canvas.drawText(text_object)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
