"""Writing tabular files: the downloadable templates."""

import csv
import io
from collections.abc import Iterable

from .columns import Column


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
    sheet.append([c.name for c in columns])
    for example in examples:
        sheet.append([example.get(c.name, "") for c in columns])
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
    notes.append(list(notes_header))
    for cell in notes[1]:
        cell.font = Font(bold=True)
    for column in columns:
        notes.append(
            [column.name, str(column.meaning), yes if column.required else no, str(column.allowed)]
        )
    for letter, width in zip("ABCD", (24, 60, 10, 60), strict=True):
        notes.column_dimensions[letter].width = width

    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def template_csv(columns: list[Column], examples: list[dict]) -> bytes:
    """Header and example rows as CSV, UTF-8 with BOM so that Excel opens it correctly."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow([c.name for c in columns])
    for example in examples:
        writer.writerow([example.get(c.name, "") for c in columns])
    return out.getvalue().encode("utf-8-sig")
