"""Reading a tabular file: the first sheet of an XLSX workbook, or a CSV file."""

import csv
import hashlib
import io
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from .reports import TabularError

MAX_ROWS = 100_000
XLSX_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls format
CSV_DELIMITERS = ",;\t"


@dataclass
class Table:
    header: list[str]
    rows: list[tuple[int, list[Any]]]  # (spreadsheet row number, raw cell values)


def file_sha256(file) -> str:
    """SHA-256 of a path or a binary file object (read from the start, left at the start)."""
    digest = hashlib.sha256()
    if isinstance(file, str | bytes) or hasattr(file, "__fspath__"):
        with open(file, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
        return digest.hexdigest()
    file.seek(0)
    for chunk in iter(lambda: file.read(1 << 20), b""):
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _header_name(value: Any) -> str:
    return "" if value is None else str(value).replace("\ufeff", "").strip().lower()


def read_table(file, *, name: str = "", max_rows: int = MAX_ROWS) -> Table:
    """Read the first sheet of an XLSX workbook, or a CSV file (UTF-8 with or without BOM, or
    GB18030 as saved by Excel on Chinese Windows). The format is told by content, not name."""
    file.seek(0)
    head = file.read(8)
    file.seek(0)
    if head.startswith(OLE2_MAGIC) or name.lower().endswith(".xls"):
        raise TabularError(
            _("The old .xls format cannot be read; save the file as .xlsx or CSV (UTF-8).")
        )
    raw_rows = _xlsx_rows(file) if head.startswith(XLSX_MAGIC) else _csv_rows(file)
    header: list[str] | None = None
    rows: list[tuple[int, list[Any]]] = []
    for number, cells in enumerate(raw_rows, start=1):
        if header is None:
            if all(is_blank(c) for c in cells):
                raise TabularError(_("The first row must be the header row with the column names."))
            header = [_header_name(c) for c in cells]
            continue
        if all(is_blank(c) for c in cells):
            continue
        if len(rows) >= max_rows:
            raise TabularError(
                _("The file has more than %(max)d data rows; split it into smaller files.")
                % {"max": max_rows}
            )
        rows.append((number, [c.strip() if isinstance(c, str) else c for c in cells]))
    if header is None:
        raise TabularError(_("The file is empty."))
    if not rows:
        raise TabularError(_("The file has a header row but no data rows."))
    return Table(header=header, rows=rows)


def _xlsx_rows(file) -> Iterable[tuple]:
    from openpyxl import load_workbook

    # Streamed row by row (read_only), so an oversized sheet stops at MAX_ROWS.
    try:
        # data_only: the values Excel computed for formulas, not the formulas themselves.
        workbook = load_workbook(file, read_only=True, data_only=True)
        try:
            yield from workbook.worksheets[0].iter_rows(min_row=1, values_only=True)
        finally:
            workbook.close()
    except TabularError:
        raise
    except Exception as exc:  # openpyxl raises many kinds of error for a damaged file
        raise TabularError(_("The file is not a readable XLSX workbook.")) from exc


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            pass
    else:
        for encoding in ("utf-8", "gb18030"):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                continue
    raise TabularError(_("The CSV file is neither UTF-8 nor GB18030 text; save it as CSV UTF-8."))


def _csv_rows(file) -> Iterable[list[str]]:
    text = _decode(file.read())
    first_line = text.split("\n", 1)[0]
    delimiter = max(CSV_DELIMITERS, key=first_line.count) if first_line else ","
    try:
        # Each record is one spreadsheet row, as Excel shows it, even if a quoted cell
        # contains a line break.
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise TabularError(_("The CSV file is malformed: %(error)s") % {"error": exc}) from exc
