"""Shelf and product labels: name, variant, price and barcode (or a QR code when a SKU has none).

Two layouts: an A4 sheet of 3 × 8 labels (70 × 37 mm sticker sheets) and single 40 × 30 mm labels for
label-roll printers. Output as PNG or PDF (Pillow writes both) or straight to an ESC/POS printer
through python-escpos, which prints the label as a raster image so Chinese text needs no printer font.

Chinese text needs a CJK font: the Noto Sans CJK of Debian's `fonts-noto-cjk` package when installed,
else Pillow's built-in font (which has no Chinese glyphs).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from mendian.catalog.barcodes import barcode_kind
from mendian.catalog.errors import LabelRequestInvalid
from mendian.catalog.models import SKU, Barcode
from mendian.catalog.selectors import prices_for
from mendian.core.money import yuan_display

CJK_FONT_PATHS = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
)
MAX_LABELS = 2000
PYTHON_BARCODE_NAMES = {"EAN13": "ean13", "EAN8": "ean8", "UPCA": "upca"}


@dataclass(frozen=True)
class LabelContent:
    """What one label shows."""

    name: str
    variant: str
    price_fen: int
    barcode: str
    sku_code: str


@dataclass(frozen=True)
class LabelLayout:
    """A page of `columns × rows` labels of `label_mm`, at `dpi`. A roll layout has one label per page."""

    page_mm: tuple[float, float]
    label_mm: tuple[float, float]
    columns: int
    rows: int
    margin_mm: tuple[float, float]
    dpi: int

    def px(self, mm: float) -> int:
        return round(mm / 25.4 * self.dpi)

    @property
    def page_px(self) -> tuple[int, int]:
        return self.px(self.page_mm[0]), self.px(self.page_mm[1])

    @property
    def per_page(self) -> int:
        return self.columns * self.rows


LAYOUTS = {
    "a4": LabelLayout(page_mm=(210, 297), label_mm=(70, 37), columns=3, rows=8, margin_mm=(0, 0.5), dpi=150),
    "roll_40x30": LabelLayout(
        page_mm=(40, 30), label_mm=(40, 30), columns=1, rows=1, margin_mm=(0, 0), dpi=203
    ),
}


@lru_cache(maxsize=32)
def label_font(size: int) -> Any:
    """Noto Sans CJK when present, else Pillow's default font (Latin only)."""
    for path in CJK_FONT_PATHS:
        if path.exists():
            return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size=size)


def cjk_font_available() -> bool:
    return any(path.exists() for path in CJK_FONT_PATHS)


def label_contents_for(*, lines: list[tuple[int, int]], store_id: int | None) -> list[LabelContent]:
    """The labels for (sku_id, copies) lines, with the store's price, in three queries."""
    if not lines or any(copies < 1 for _sku_id, copies in lines) or sum(c for _s, c in lines) > MAX_LABELS:
        raise LabelRequestInvalid()
    sku_ids = [sku_id for sku_id, _copies in lines]
    rows = {
        row["id"]: row
        for row in SKU.objects.filter(pk__in=sku_ids).values("id", "code", "variant_name", "product__name")
    }
    if len(rows) != len(set(sku_ids)):
        raise LabelRequestInvalid(details={"unknown_sku_ids": sorted(set(sku_ids) - set(rows))})
    primary: dict[int, str] = {}
    for sku_id, code in (
        Barcode.objects.filter(sku_id__in=sku_ids)
        .order_by("sku_id", "is_primary", "-id")
        .values_list("sku_id", "code")
    ):
        primary[sku_id] = code  # the last one written wins: the primary, else the oldest
    prices = prices_for(store_id=store_id, sku_ids=sku_ids)
    contents = []
    for sku_id, copies in lines:
        row = rows[sku_id]
        content = LabelContent(
            name=row["product__name"],
            variant=row["variant_name"],
            price_fen=prices[sku_id].retail_price_fen,
            barcode=primary.get(sku_id, ""),
            sku_code=row["code"],
        )
        contents.extend([content] * copies)
    return contents


def _code_image(content: LabelContent, width: int, height: int, dpi: int) -> Image.Image:
    """The barcode (EAN-13/EAN-8/UPC-A, digits under the bars) or a QR of the SKU code, fitted to a box.

    Bars are drawn a whole number of pixels wide at the output resolution, so scaling never makes
    some bars thinner than others (which scanners read as a different code)."""
    kind = barcode_kind(content.barcode) if content.barcode else None
    if kind is not None:
        import barcode as python_barcode
        from barcode.writer import ImageWriter

        modules = 95 if kind != "EAN8" else 67
        module_px = max(1, width // (modules + 14))
        text_size = max(8, height // 6)
        text_box = int(text_size * 1.4)
        bars_height = max(8, height - text_box)
        symbol = python_barcode.get(PYTHON_BARCODE_NAMES[kind], content.barcode, writer=ImageWriter())
        bars = symbol.render(
            writer_options={
                "module_width": module_px * 25.4 / dpi,
                "module_height": bars_height * 25.4 / dpi,
                "quiet_zone": 7 * module_px * 25.4 / dpi,
                "write_text": False,
                "margin_top": 0,
                "margin_bottom": 0,
                "dpi": dpi,
            }
        ).convert("L")
        bars = bars.crop((0, 0, bars.width, min(bars.height, bars_height)))
        font = label_font(text_size)
        image = Image.new("L", (bars.width, bars.height + text_box), 255)
        image.paste(bars, (0, 0))
        draw = ImageDraw.Draw(image)
        text_width = draw.textlength(content.barcode, font=font)
        draw.text(((bars.width - text_width) / 2, bars.height), content.barcode, fill=0, font=font)
    else:
        import qrcode

        qr = qrcode.QRCode(border=1, box_size=1)
        qr.add_data(content.barcode or content.sku_code)
        qr.make(fit=True)
        image = qr.make_image().get_image()
        factor = max(1, min(width, height) // image.width)
        image = image.resize((image.width * factor, image.height * factor), Image.Resampling.NEAREST)
    image = image.convert("L")
    if image.width <= width and image.height <= height:
        return image
    scale = min(width / image.width, height / image.height)
    size = (max(1, int(image.width * scale)), max(1, int(image.height * scale)))
    return image.resize(size, Image.Resampling.NEAREST)


def _fit_text(draw: ImageDraw.ImageDraw, text: str, size: int, width: int) -> tuple[str, Any]:
    font = label_font(size)
    while text and draw.textlength(text, font=font) > width:
        text = text[:-1]
    return text, font


def label_draw(content: LabelContent, width: int, height: int, dpi: int = 203) -> Image.Image:
    """One label as a greyscale image of width × height pixels."""
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    pad = max(2, width // 40)
    name_size = max(10, height // 9)
    name, font = _fit_text(draw, content.name, name_size, width - 2 * pad)
    draw.text((pad, pad), name, fill=0, font=font)
    line_y = pad + int(name_size * 1.25)
    price_size = max(12, height // 7)
    price_text = yuan_display(content.price_fen)
    price_font = label_font(price_size)
    price_width = int(draw.textlength(price_text, font=price_font))
    variant, variant_font = _fit_text(
        draw, content.variant, max(9, height // 11), width - 3 * pad - price_width
    )
    draw.text((pad, line_y), variant, fill=0, font=variant_font)
    draw.text((width - pad - price_width, line_y - price_size // 6), price_text, fill=0, font=price_font)
    code_top = line_y + int(price_size * 1.2)
    code = _code_image(content, width - 2 * pad, height - code_top - pad, dpi)
    image.paste(code, ((width - code.width) // 2, code_top))
    return image


def labels_render(contents: list[LabelContent], layout_name: str) -> list[Image.Image]:
    """The pages of labels for the layout (a roll layout: one page per label)."""
    layout = LAYOUTS[layout_name]
    label_w, label_h = layout.px(layout.label_mm[0]), layout.px(layout.label_mm[1])
    margin_x, margin_y = layout.px(layout.margin_mm[0]), layout.px(layout.margin_mm[1])
    pages: list[Image.Image] = []
    cache: dict[LabelContent, Image.Image] = {}
    for start in range(0, len(contents), layout.per_page):
        page = Image.new("L", layout.page_px, 255)
        for slot, content in enumerate(contents[start : start + layout.per_page]):
            if content not in cache:
                cache[content] = label_draw(content, label_w, label_h, layout.dpi)
            column, row = slot % layout.columns, slot // layout.columns
            page.paste(cache[content], (margin_x + column * label_w, margin_y + row * label_h))
        pages.append(page)
    return pages


def labels_pdf(pages: list[Image.Image], layout_name: str) -> bytes:
    buffer = io.BytesIO()
    pages[0].save(
        buffer, "PDF", save_all=True, append_images=pages[1:], resolution=float(LAYOUTS[layout_name].dpi)
    )
    return buffer.getvalue()


def labels_png(pages: list[Image.Image], layout_name: str, page: int = 1) -> bytes:
    """One PNG: the chosen page of an A4 sheet, or the whole strip of a label roll."""
    if layout_name.startswith("roll"):
        strip = Image.new("L", (pages[0].width, sum(image.height for image in pages)), 255)
        top = 0
        for image in pages:
            strip.paste(image, (0, top))
            top += image.height
        chosen = strip
    else:
        if page > len(pages):
            raise LabelRequestInvalid(details={"pages": len(pages)})
        chosen = pages[page - 1]
    buffer = io.BytesIO()
    chosen.save(buffer, "PNG", dpi=(LAYOUTS[layout_name].dpi, LAYOUTS[layout_name].dpi))
    return buffer.getvalue()


def labels_print_escpos(printer: Any, contents: list[LabelContent], layout_name: str = "roll_40x30") -> int:
    """Print labels on an ESC/POS printer (a python-escpos printer object), each as a raster image
    followed by a cut; returns the number printed. Call it outside any database transaction."""
    layout = LAYOUTS[layout_name]
    label_w, label_h = layout.px(layout.label_mm[0]), layout.px(layout.label_mm[1])
    for content in contents:
        printer.image(label_draw(content, label_w, label_h, layout.dpi).convert("1"))
        printer.cut()
    return len(contents)
