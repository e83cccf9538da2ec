"""Reading member files (CSV or XLSX) into plain rows, and writing the export file."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterable
from typing import Any

from mendian.members.errors import ImportFileInvalid

# Header spellings people use, English and Chinese, mapped to our field names.
HEADER_ALIASES = {
    "phone": "phone", "mobile": "phone", "手机": "phone", "手机号": "phone", "手机号码": "phone", "电话": "phone",
    "name": "name", "姓名": "name",
    "gender": "gender", "性别": "gender",
    "birthday": "birthday", "生日": "birthday", "出生日期": "birthday",
    "region": "region", "地区": "region", "城市": "region",
    "tags": "tags", "标签": "tags",
    "notes": "notes", "备注": "notes",
    "marketing_consent": "marketing_consent", "营销同意": "marketing_consent", "接收营销": "marketing_consent",
}  # fmt: skip
GENDER_WORDS = {"": "", "f": "f", "female": "f", "女": "f", "m": "m", "male": "m", "男": "m"}
TRUE_WORDS = {"1", "true", "yes", "y", "是", "同意"}
MAX_ROWS = 50_000


def rows_from_upload(*, filename: str, content: bytes) -> list[dict[str, str]]:
    """The data rows of a CSV (UTF-8, with or without BOM, or GB18030) or XLSX file, keyed by field name."""
    name = filename.lower()
    if name.endswith(".xlsx"):
        raw_rows = _xlsx_rows(content)
    elif name.endswith(".csv") or name.endswith(".txt"):
        raw_rows = _csv_rows(content)
    else:
        raise ImportFileInvalid(details={"filename": filename})
    if not raw_rows:
        raise ImportFileInvalid(details={"reason": "empty"})
    header = [HEADER_ALIASES.get(str(cell or "").strip().lower(), "") for cell in raw_rows[0]]
    if "phone" not in header:
        raise ImportFileInvalid(details={"reason": "no phone column"})
    if len(raw_rows) - 1 > MAX_ROWS:
        raise ImportFileInvalid(details={"reason": f"more than {MAX_ROWS} rows"})
    rows: list[dict[str, str]] = []
    for raw in raw_rows[1:]:
        cells = [_cell_text(cell) for cell in raw]
        if not any(cells):
            rows.append({})
            continue
        rows.append({key: cells[i] if i < len(cells) else "" for i, key in enumerate(header) if key})
    return rows


def _cell_text(cell: Any) -> str:
    if cell is None:
        return ""
    if isinstance(cell, dt.datetime):
        return cell.date().isoformat()
    if isinstance(cell, dt.date):
        return cell.isoformat()
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


def _csv_rows(content: bytes) -> list[list[str]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ImportFileInvalid(details={"reason": "encoding"})
    return [row for row in csv.reader(io.StringIO(text))]


def _xlsx_rows(content: bytes) -> list[list[Any]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise ImportFileInvalid(details={"reason": type(exc).__name__}) from None
    sheet = workbook.worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def parse_gender(text: str) -> str | None:
    return GENDER_WORDS.get(text.strip().lower())


def parse_birthday(text: str) -> dt.date | None:
    text = text.strip().replace("/", "-").replace(".", "-")
    return dt.date.fromisoformat(text) if text else None


def parse_bool(text: str) -> bool:
    return text.strip().lower() in TRUE_WORDS


def parse_tags(text: str) -> list[str]:
    return [tag.strip() for tag in text.replace("，", ",").replace("、", ",").split(",") if tag.strip()]


def csv_bytes(header: list[str], rows: Iterable[list[Any]]) -> bytes:
    """UTF-8 with BOM so that Excel opens Chinese text correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow(row)
    return buffer.getvalue().encode("utf-8-sig")
