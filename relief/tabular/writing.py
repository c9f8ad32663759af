"""Writing tabular files: cells no spreadsheet program runs as formulas, and the downloadable
templates.

Formula injection (CSV injection, OWASP): a cell whose text starts with = + - @ tab or carriage
return is run as a formula by Excel, WPS or LibreOffice when the file is opened; a name such as
`=HYPERLINK("http://…","点击")` becomes a live link in a bank file. Every tabular file Relief
writes (bank files, the households export, the ledger totals, the import templates) puts its
cells through `safe_cell`, which prefixes such text with an apostrophe (the OWASP
recommendation): the spreadsheet shows the text, with a leading ', and runs nothing. Only text
is changed: numbers, amounts (a deduction's -480.00 too, as a number or as its text), dates and empty cells pass as they
are, so numeric columns stay numbers. In a workbook the prefixed text is also no formula to
openpyxl, which writes a cell as a formula only when its text starts with =.
"""

import csv
import io
import re
from collections.abc import Iterable
from typing import Any

from .columns import Column

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# A number written as text (an amount formatted for a CSV: -150.00, -1,450.00): no formula.
PLAIN_NUMBER = re.compile(r"[+-]?\d{1,3}(,\d{3})*(\.\d+)?|[+-]?\d+(\.\d+)?")


def safe_cell(value: Any) -> Any:
    """The value as a cell no spreadsheet program runs: text starting with = + - @ tab or CR
    gets a leading apostrophe, unless it is a plain number (-150.00, -1,450.00: a spreadsheet
    reads it as a number, not a formula); any other value is returned as it is."""
    if (
        isinstance(value, str)
        and value.startswith(FORMULA_START)
        and not PLAIN_NUMBER.fullmatch(value)
    ):
        return "'" + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    return [safe_cell(value) for value in values]


class CsvWriter:
    """csv.writer whose every row goes through safe_row; writerow returns what the underlying
    writer returns (the line, when writing into an echoing buffer for streaming)."""

    def __init__(self, out, **kwargs):
        self._writer = csv.writer(out, **kwargs)

    def writerow(self, row: Iterable[Any]):
        return self._writer.writerow(safe_row(row))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def template_xlsx(
    columns: list[Column],
    examples: list[dict],
    *,
    sheet_title: str,
    notes_title: str,
    notes_header: tuple[str, str, str, str],
    text_columns: Iterable[str] = (),
    yes: str = "yes",
    no: str = "no",
) -> bytes:
    """A workbook: the header and example rows on the first sheet, and a notes sheet with one
    line per column (name, meaning, required, allowed values)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title
    sheet.append(safe_row(c.name for c in columns))
    for example in examples:
        sheet.append(safe_row(example.get(c.name, "") for c in columns))
    text_columns = set(text_columns)
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = max(12, len(column.name) + 2)
        sheet.cell(row=1, column=index).font = Font(bold=True)
        if column.name in text_columns:
            # Text format so Excel keeps all 18 characters of an ID number.
            sheet.column_dimensions[letter].number_format = "@"
            for row in range(2, len(examples) + 2):
                sheet.cell(row=row, column=index).number_format = "@"
    sheet.freeze_panes = "A2"

    notes = workbook.create_sheet(notes_title)
    notes.append(safe_row(notes_header))
    for cell in notes[1]:
        cell.font = Font(bold=True)
    for column in columns:
        notes.append(
            safe_row(
                [
                    column.name,
                    str(column.meaning),
                    yes if column.required else no,
                    str(column.allowed),
                ]
            )
        )
    for letter, width in zip("ABCD", (24, 60, 10, 60), strict=True):
        notes.column_dimensions[letter].width = width

    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def template_csv(columns: list[Column], examples: list[dict]) -> bytes:
    """Header and example rows as CSV, UTF-8 with BOM so that Excel opens it correctly."""
    out = io.StringIO(newline="")
    writer = CsvWriter(out)
    writer.writerow([c.name for c in columns])
    for example in examples:
        writer.writerow([example.get(c.name, "") for c in columns])
    return out.getvalue().encode("utf-8-sig")
