"""Reading a tabular file: the first sheet of an XLSX workbook, or a CSV file, told apart by
content, not name. Every import reads through `iter_rows`, within limits that hold whatever the
file claims, and is refused early with the rule it breaks:

- rows: EVERY row read counts against `max_rows`, blank ones too. An XLSX of 176 KB can hold
  20,000,000 empty rows (or claim them in its `<dimension>`); skipping blank rows before
  counting took 95 s and 1.85 GB to find that out.
- unpacked size: an XLSX is a zip of XML parts. Before anything is unpacked, from the sizes the
  zip declares: the parts together unpack to at most XLSX_MAX_UNPACKED_BYTES (or `max_xlsx_bytes`),
  no part of XLSX_RATIO_FLOOR bytes or more unpacks to more than XLSX_MAX_RATIO times its
  compressed size, and there are at most MAX_XLSX_PARTS parts. Python's zipfile never unpacks
  more of a part than it declares (a part that holds more fails its CRC check), so the checks
  bound what is read, not only what is claimed.
- columns: only the first MAX_COLUMNS columns are read (a template has a few dozen); the cells
  of a row beyond them are DROPPED before openpyxl parses them, so a very wide row costs no more
  than a row MAX_COLUMNS wide (a 17 MB file of 16,384-column rows took 66 s CPU to read).
- CSV lines: at most MAX_LINE_CHARS characters each, so one endless line cannot fill memory.
- NUL characters are refused (a database text column cannot hold them; XML cannot either).
- CSV encoding: UTF-8 (with or without BOM); GB18030, as Excel on Chinese Windows saves "CSV",
  only when the text then reads as Chinese (CSV_CHINESE_SHARE of its non-ASCII characters are
  in GB2312, the common simplified set). A Latin-1 file decodes as GB18030 into nonsense
  (Müller → M黮ler), so it is refused with "save it as UTF-8 CSV" instead.
"""

import codecs
import csv
import hashlib
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from .reports import TabularError

MAX_ROWS = 100_000  # rows after the header row, blank ones included
MAX_COLUMNS = 200
MAX_LINE_CHARS = 1 << 20
MAX_XLSX_PARTS = 1000
# What a workbook may unpack to, whatever its row limit. openpyxl reads sheet XML at about
# 3 MB/s of dense cells on one core, so 16 MB is read in a few seconds; and it holds a town's
# whole caseload: Excel writes a 20-column caseload row as about 700 bytes of sheet XML and
# shared strings (openpyxl, the bulkiest writer, about 1.1 KB), so 15,000 to 20,000 households.
XLSX_MAX_UNPACKED_BYTES = 16 << 20
# Sheet XML of real data (row numbers, cell references, distinct values) deflates 5 to 20
# times; a part unpacking to more than 100 times its compressed size is repetition made to
# be unpacked (a bomb). Parts under XLSX_RATIO_FLOOR are too small to matter.
XLSX_MAX_RATIO = 100
XLSX_RATIO_FLOOR = 1 << 20
CSV_CHINESE_SHARE = 0.8
XLSX_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls format
CSV_DELIMITERS = ",;\t"
DECODE_CHUNK = 1 << 20
ASCII_RUNS = re.compile(r"[\x00-\x7f]+")


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


def is_blank_row(cells) -> bool:
    """Whether every cell of a row is blank; fast for the empty rows of a padded sheet."""
    if cells.count(None) == len(cells):
        return True
    return not any(value is not None and not is_blank(value) for value in cells)


def _header_name(value: Any) -> str:
    return "" if value is None else str(value).replace("\ufeff", "").strip().lower()


def iter_rows(
    source, *, name: str = "", max_rows: int = MAX_ROWS, max_xlsx_bytes: int | None = None
) -> Iterator[tuple[int, list | tuple]]:
    """(spreadsheet row number, cells) for every row of the first sheet or the CSV file, blank
    rows included, numbered from 1. `source` is bytes or a binary file object. Raises
    TabularError naming the rule as soon as the file breaks one of the limits above; at most
    `max_rows` rows may follow the first."""
    if isinstance(source, bytes | bytearray | memoryview):
        head = bytes(source[:8])
    else:
        source.seek(0)
        head = source.read(8)
        source.seek(0)
    if head.startswith(OLE2_MAGIC) or name.lower().endswith(".xls"):
        raise TabularError(
            _("The old .xls format cannot be read; save the file as .xlsx or CSV (UTF-8).")
        )
    if head.startswith(XLSX_MAGIC):
        if not hasattr(source, "read"):
            source = io.BytesIO(source)
        limit = XLSX_MAX_UNPACKED_BYTES if max_xlsx_bytes is None else max_xlsx_bytes
        rows = _xlsx_rows(source, max_bytes=limit)
    else:
        rows = _csv_rows(source if not hasattr(source, "read") else source.read())
    last = max_rows + 1
    for number, cells in enumerate(rows, start=1):
        if number > last:
            raise TabularError(
                _(
                    "The file has more than %(max)d rows after the header row (blank rows "
                    "count too); remove the empty rows or split it into smaller files."
                )
                % {"max": max_rows}
            )
        yield number, cells


def read_table(file, *, name: str = "", max_rows: int = MAX_ROWS) -> Table:
    """The header and every non-blank row of the file (see iter_rows for the limits); each row's
    cells reach as far as the header does."""
    header: list[str] | None = None
    width = 0
    rows: list[tuple[int, list[Any]]] = []
    for number, cells in iter_rows(file, name=name, max_rows=max_rows):
        if header is None:
            if is_blank_row(cells):
                raise TabularError(_("The first row must be the header row with the column names."))
            width = max(i for i, c in enumerate(cells) if not is_blank(c)) + 1
            header = [_header_name(c) for c in cells[:width]]
            continue
        if is_blank_row(cells):
            continue
        rows.append((number, [c.strip() if isinstance(c, str) else c for c in cells[:width]]))
    if header is None:
        raise TabularError(_("The file is empty."))
    if not rows:
        raise TabularError(_("The file has a header row but no data rows."))
    return Table(header=header, rows=rows)


# XLSX ------------------------------------------------------------------------------------------


def _unreadable() -> TabularError:
    return TabularError(_("The file is not a readable XLSX workbook."))


def _check_archive(file, max_bytes: int) -> None:
    """Refuse a workbook whose parts would unpack to more than `max_bytes`, or one part to more
    than XLSX_MAX_RATIO times its compressed size, from the sizes the zip declares, before any
    part is unpacked."""
    try:
        with zipfile.ZipFile(file) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise _unreadable() from exc
    if len(parts) > MAX_XLSX_PARTS:
        raise TabularError(
            _("The workbook has more than %(max)d parts; save it again as a plain .xlsx file.")
            % {"max": MAX_XLSX_PARTS}
        )
    for part in parts:
        if part.file_size >= XLSX_RATIO_FLOOR and part.file_size > XLSX_MAX_RATIO * max(
            part.compress_size, 1
        ):
            raise TabularError(
                _(
                    "The workbook part %(part)s unpacks to more than %(ratio)d times its "
                    "compressed size, which no real sheet does; delete the empty or repeated "
                    "rows and columns, or save the data again in a new workbook."
                )
                % {"part": part.filename, "ratio": XLSX_MAX_RATIO}
            )
    if sum(part.file_size for part in parts) > max_bytes:
        raise TabularError(
            _(
                "The workbook unpacks to more than %(max)d MB; delete the empty rows, columns "
                "and other sheets, or split the file."
            )
            % {"max": max_bytes >> 20}
        )


def _size_before_rows(sheet) -> None:
    """openpyxl's ReadOnlyWorksheet._get_size, reading no further than the start of the rows.

    openpyxl 3.1 looks for a sheet's <dimension> until the END of <sheetData>, so a sheet
    without one (openpyxl's own write-only files have none) is parsed to its last row before a
    single row is read: 1,000,000 empty rows cost seconds and tens of MB before the row limit
    can count any of them. The schema puts <dimension> before <sheetData>, so stopping at the
    start of <sheetData> finds the same dimension, or the same absence of one."""
    from openpyxl.worksheet._reader import DATA_TAG, DIMENSION_TAG
    from openpyxl.worksheet.dimensions import SheetDimension
    from openpyxl.xml.functions import iterparse

    source = sheet._get_source()
    try:
        for event, element in iterparse(source, events=("start", "end")):
            if event == "start" and element.tag == DATA_TAG:
                return
            if event == "end" and element.tag == DIMENSION_TAG:
                boundaries = SheetDimension.from_tree(element).boundaries
                sheet._min_column, sheet._min_row, sheet._max_column, sheet._max_row = boundaries
                return
    finally:
        source.close()


def _narrow_parser():
    """openpyxl's sheet parser, parsing no more than MAX_COLUMNS cells of a row: the cells
    beyond are dropped before each is parsed (openpyxl parses every cell of a row, then the
    reader throws away the columns it was not asked for)."""
    from openpyxl.worksheet._reader import WorkSheetParser

    class NarrowParser(WorkSheetParser):
        def parse_row(self, row):
            del row[MAX_COLUMNS:]
            return super().parse_row(row)

    return NarrowParser


def _xlsx_rows(file, *, max_bytes: int) -> Iterator[tuple]:
    from openpyxl import load_workbook
    from openpyxl.worksheet import _read_only
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    _check_archive(file, max_bytes)
    # Once per process, for read-only sheets only (how Relief reads every import): the same
    # result as openpyxl's own, without its read to the end, and rows at most MAX_COLUMNS wide.
    ReadOnlyWorksheet._get_size = _size_before_rows
    if not getattr(_read_only.WorkSheetParser, "narrow", False):
        _read_only.WorkSheetParser = _narrow_parser()
        _read_only.WorkSheetParser.narrow = True
    file.seek(0)
    try:
        # read_only streams the sheet row by row; data_only gives the values Excel computed
        # for formulas, not the formulas themselves.
        workbook = load_workbook(file, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds of error for a damaged file
        raise _unreadable() from exc
    try:
        sheet = workbook.worksheets[0]
        # Cells up to the sheet's declared width, at most MAX_COLUMNS (a sheet claiming every
        # one of Excel's 16,384 columns is read as MAX_COLUMNS wide). No NUL check: XML cannot
        # hold NUL, and openpyxl does not unescape _x0000_.
        declared = sheet.max_column
        width = declared if declared and declared <= MAX_COLUMNS else MAX_COLUMNS
        yield from sheet.iter_rows(min_row=1, max_col=width, values_only=True)
    except TabularError:
        raise
    except Exception as exc:
        raise _unreadable() from exc
    finally:
        workbook.close()


def _nul(line: int) -> TabularError:
    return TabularError(
        _(
            "Line %(line)d contains a NUL character, which no text may hold; remove it or save "
            "the file again from the spreadsheet program."
        )
        % {"line": line}
    )


# CSV -------------------------------------------------------------------------------------------


def _chunks(data) -> Iterable[memoryview]:
    view = memoryview(data)
    for start in range(0, len(view), DECODE_CHUNK):
        yield view[start : start + DECODE_CHUNK]


def _decodes(data, encoding: str) -> bool:
    """Whether all of `data` decodes, checked chunk by chunk (no second copy of a large file)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        for chunk in _chunks(data):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _reads_as_chinese(data) -> bool:
    """GB18030 text that reads as Chinese: most of its non-ASCII characters are in GB2312 (the
    6,763 common simplified characters and the usual punctuation). Latin-1, Big5 or Shift-JIS
    bytes decoded as GB18030 give rare characters, or fail to decode."""
    decoder = codecs.getincrementaldecoder("gb18030")()
    other = common = 0
    try:
        for chunk in _chunks(data):
            other_text = ASCII_RUNS.sub("", decoder.decode(chunk))
            other += len(other_text)
            common += len(other_text.encode("gb2312", errors="ignore")) // 2
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return other > 0 and common >= CSV_CHINESE_SHARE * other


def csv_encoding(data) -> str:
    """The encoding of a CSV file's bytes (module docstring), or TabularError."""
    if bytes(data[:3]) == codecs.BOM_UTF8:
        if _decodes(data, "utf-8-sig"):
            return "utf-8-sig"
    elif _decodes(data, "utf-8"):
        return "utf-8"
    elif _reads_as_chinese(data):
        return "gb18030"
    raise TabularError(
        _(
            "The CSV file is not UTF-8 text (nor Chinese text saved as GB18030); save it as "
            "UTF-8 CSV (in Excel: Save As, “CSV UTF-8”)."
        )
    )


def _csv_rows(data) -> Iterator[list[str]]:
    text = io.TextIOWrapper(io.BytesIO(data), encoding=csv_encoding(data), newline="")
    first_line = text.readline(MAX_LINE_CHARS)
    text.seek(0)
    delimiter = max(CSV_DELIMITERS, key=first_line.count) if first_line else ","

    def lines() -> Iterator[str]:
        # A line is read at most MAX_LINE_CHARS + 1 characters at a time: a longer one is
        # refused before it is held whole.
        for number, line in enumerate(iter(lambda: text.readline(MAX_LINE_CHARS + 1), ""), 1):
            if len(line) > MAX_LINE_CHARS:
                raise TabularError(
                    _("Line %(line)d is longer than %(max)d characters.")
                    % {"line": number, "max": MAX_LINE_CHARS}
                )
            if "\x00" in line:
                raise _nul(number)
            yield line

    # Each record is one spreadsheet row, as Excel shows it, even if a quoted cell contains a
    # line break.
    try:
        for cells in csv.reader(lines(), delimiter=delimiter):
            yield cells if len(cells) <= MAX_COLUMNS else cells[:MAX_COLUMNS]
    except csv.Error as exc:
        raise TabularError(_("The CSV file is malformed: %(error)s") % {"error": exc}) from exc
