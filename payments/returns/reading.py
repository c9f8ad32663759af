"""Reading a bank's return file as a stream: (spreadsheet row number, cells) for every row of
the first sheet of an XLSX workbook or of a CSV file, without holding the rows in memory."""

import codecs
import csv
import io
from collections.abc import Iterator

from django.utils.translation import gettext as _

from relief import tabular
from relief.tabular import TabularError


def file_rows(content: bytes) -> Iterator[tuple[int, list]]:
    """(spreadsheet row number, cells) for every row of the first sheet or the CSV file."""
    if content.startswith(tabular.OLE2_MAGIC):
        raise TabularError(
            _("The old .xls format cannot be read; save the file as .xlsx or CSV (UTF-8).")
        )
    if content.startswith(tabular.XLSX_MAGIC):
        yield from _xlsx_rows(content)
    else:
        yield from _csv_rows(content)


def _xlsx_rows(content: bytes) -> Iterator[tuple[int, list]]:
    from openpyxl import load_workbook

    try:
        # read_only streams the sheet row by row; data_only gives formulas' computed values.
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds of error for a damaged file
        raise TabularError(_("The file is not a readable XLSX workbook.")) from exc
    try:
        rows = workbook.worksheets[0].iter_rows(min_row=1, values_only=True)
        for number, cells in enumerate(rows, start=1):
            yield number, list(cells)
    finally:
        workbook.close()


def _encoding(content: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030 as saved by Excel on Chinese Windows; checked
    chunk by chunk, so a large file is not decoded twice into memory."""
    if content.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(content)
    try:
        for start in range(0, len(view), 1 << 20):
            decoder.decode(view[start : start + (1 << 20)])
        decoder.decode(b"", final=True)
        return "utf-8"
    except UnicodeDecodeError:
        return "gb18030"


def _csv_rows(content: bytes) -> Iterator[tuple[int, list]]:
    encoding = _encoding(content)
    first_line = content[:4096].decode(encoding, errors="ignore").split("\n", 1)[0]
    delimiter = max(tabular.CSV_DELIMITERS, key=first_line.count) if first_line else ","
    text = io.TextIOWrapper(io.BytesIO(content), encoding=encoding, newline="")
    try:
        yield from enumerate(csv.reader(text, delimiter=delimiter), start=1)
    except csv.Error as exc:
        raise TabularError(_("The CSV file is malformed: %(error)s") % {"error": exc}) from exc
    except UnicodeDecodeError as exc:
        raise TabularError(
            _("The CSV file is neither UTF-8 nor GB18030 text; save it as CSV UTF-8.")
        ) from exc
