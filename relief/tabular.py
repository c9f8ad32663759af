"""Reading and checking tabular files (CSV or XLSX), with no knowledge of any domain.

A file is read into a `Table`: the header and every data row with its spreadsheet row number
(the header is row 1, so the first data row is row 2; blank rows are skipped but still counted).
A list of `Column`s declares what each column may hold; `parse_table` turns the raw cells into
values and collects every problem as a `RowError(row, column, rule)` in one `ImportReport`, so a
person can fix a whole file in one pass. The caseload import (cases/imports/) and, later, the
partner-registry imports build on this.

Parsers take one non-empty cell value (a string from CSV; a string, number, date or boolean
from XLSX) and return the parsed value or raise ValueError with the rule the value breaks.
"""

import csv
import datetime
import hashlib
import io
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

MAX_ROWS = 100_000
XLSX_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls format
CSV_DELIMITERS = ",;\t"


class TabularError(ValueError):
    """The file as a whole cannot be read (not a workbook, undecodable, empty, too long)."""


# Reports ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    """One broken rule. Row 0 means the file as a whole; an empty column means the whole row."""

    row: int
    column: str
    rule: str

    def as_text(self) -> str:
        if self.row == 0:
            return _("file: %(rule)s") % {"rule": self.rule}
        if not self.column:
            return _("row %(row)d: %(rule)s") % {"row": self.row, "rule": self.rule}
        return _("row %(row)d, column %(column)s: %(rule)s") % {
            "row": self.row,
            "column": self.column,
            "rule": self.rule,
        }

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "rule": self.rule}


@dataclass
class ImportReport:
    """Every problem found in a file, in row order. A file is accepted only when `ok`."""

    errors: list[RowError] = field(default_factory=list)

    def add(self, row: int, column: str, rule: str) -> None:
        self.errors.append(RowError(row, column, str(rule)))

    @property
    def ok(self) -> bool:
        return not self.errors

    def __len__(self) -> int:
        return len(self.errors)

    def sorted(self) -> list[RowError]:
        # Stable: errors of one row keep the order in which the checks found them.
        return sorted(self.errors, key=lambda e: e.row)

    def lines(self) -> list[str]:
        return [error.as_text() for error in self.sorted()]

    def as_text(self) -> str:
        return "\n".join(self.lines())

    def as_json(self) -> list[dict]:
        return [error.as_dict() for error in self.sorted()]

    @classmethod
    def from_json(cls, data: Iterable[dict]) -> "ImportReport":
        return cls([RowError(int(e["row"]), str(e["column"]), str(e["rule"])) for e in data])

    def bad_rows(self) -> list[int]:
        return sorted({error.row for error in self.errors})


# Reading ---------------------------------------------------------------------------------------


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


# Columns ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of a template. `required`: the column must be in the header and every cell
    filled. An empty cell of an optional column gets `default` (called if callable).
    `meaning` and `allowed` document the column in the downloadable template."""

    name: str
    parse: Callable[[Any], Any]
    required: bool = False
    default: Any = None
    meaning: str = ""
    allowed: str = ""

    def empty_value(self):
        return self.default() if callable(self.default) else self.default


@dataclass
class Row:
    number: int
    values: dict[str, Any]
    invalid: set[str] = field(default_factory=set)

    def valid(self, *columns: str) -> bool:
        """True when none of these columns had a bad value (use a value only when valid)."""
        return not self.invalid.intersection(columns)

    def __getitem__(self, column: str):
        return self.values[column]


def check_header(table: Table, columns: list[Column], report: ImportReport) -> dict[str, int]:
    """Column positions by name; every missing required column and every unknown column is an
    error on row 1."""
    known = {c.name for c in columns}
    positions: dict[str, int] = {}
    for index, name in enumerate(table.header):
        if not name:
            continue
        if name in positions:
            report.add(1, name, _("the column appears twice in the header row"))
        elif name not in known:
            report.add(
                1,
                name,
                _("unknown column; the template's columns are: %(columns)s")
                % {"columns": ", ".join(c.name for c in columns)},
            )
        else:
            positions[name] = index
    for column in columns:
        if column.required and column.name not in positions:
            report.add(1, column.name, _("this required column is missing from the header row"))
    return positions


def parse_table(table: Table, columns: list[Column]) -> tuple[list[Row], ImportReport]:
    """Parse every cell; collect every header and cell error. Columns absent from the header
    take their defaults (a missing required column is reported once, on row 1)."""
    report = ImportReport()
    positions = check_header(table, columns, report)
    # A missing required column counts as invalid on every row, so later checks skip it.
    missing = {c.name for c in columns if c.required and c.name not in positions}
    rows = []
    for number, cells in table.rows:
        row = Row(number=number, values={}, invalid=set(missing))
        for column in columns:
            index = positions.get(column.name)
            raw = cells[index] if index is not None and index < len(cells) else None
            if is_blank(raw):
                row.values[column.name] = column.empty_value()
                if column.required and index is not None:
                    report.add(number, column.name, _("a value is required"))
                    row.invalid.add(column.name)
                continue
            try:
                row.values[column.name] = column.parse(raw)
            except ValueError as exc:
                row.values[column.name] = None
                row.invalid.add(column.name)
                report.add(number, column.name, str(exc))
        rows.append(row)
    return rows, report


# Parsers ---------------------------------------------------------------------------------------

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
INT_RE = re.compile(r"^[+-]?\d+$")
TRUE_WORDS = {"是", "yes", "y", "true", "1"}
FALSE_WORDS = {"否", "no", "n", "false", "0"}


def text(*, max_length: int | None = None, upper: bool = False) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        if isinstance(value, float):
            if abs(value) >= 1e15:
                raise ValueError(
                    _(
                        "this long number was stored as a number and Excel kept only 15 digits; "
                        "format the column as text and type it again"
                    )
                )
            value = int(value) if value.is_integer() else value
        result = str(value).strip()
        if upper:
            result = result.upper()
        if max_length is not None and len(result) > max_length:
            raise ValueError(
                _("is longer than %(max)d characters") % {"max": max_length},
            )
        return result

    return parse


def money(*, places: int = 2, max_digits: int = 14) -> Callable[[Any], Decimal]:
    """An amount in yuan, not negative, with at most `places` decimals, as a Decimal."""
    quantum = Decimal(1).scaleb(-places)
    limit = Decimal(10) ** (max_digits - places)

    def parse(value: Any) -> Decimal:
        # Messages are translated only when raised: a million-row file calls this a million times.
        def plain():
            return ValueError(_("write a plain amount in yuan such as 1234.50"))

        if isinstance(value, bool):
            raise plain()
        if isinstance(value, float):
            if not math.isfinite(value):
                raise plain()
            raw = repr(value)  # the shortest text that gives this float back: 1234.5, not ...4999
        else:
            raw = str(value).strip()
        if isinstance(value, str):
            if "," in raw or "，" in raw:
                raise ValueError(
                    _("write the amount without thousands separators (12345.67, not 12,345.67)")
                )
            if any(sign in raw for sign in "¥￥元$"):
                raise ValueError(_("write the amount without a currency sign (1234.50)"))
        try:
            amount = Decimal(raw)
        except InvalidOperation:
            raise plain() from None
        if not amount.is_finite():
            raise plain()
        if amount < 0:
            raise ValueError(_("must not be negative"))
        if amount >= limit:
            raise ValueError(_("is too large"))
        if amount != amount.quantize(quantum):
            raise ValueError(
                _("has more than %(places)d decimal places; amounts are in yuan to the fen")
                % {"places": places}
            )
        return amount.quantize(quantum)

    return parse


def integer(*, min_value: int | None = 0, max_value: int | None = None) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        def whole():
            return ValueError(_("must be a whole number"))

        if isinstance(value, bool):
            raise whole()
        if isinstance(value, int):
            result = value
        elif isinstance(value, float | Decimal):
            if not (math.isfinite(value) and value == int(value)):
                raise whole()
            result = int(value)
        else:
            raw = str(value).strip()
            if not INT_RE.match(raw):
                raise whole()
            result = int(raw)
        if min_value is not None and result < min_value:
            raise ValueError(_("must be at least %(min)d") % {"min": min_value})
        if max_value is not None and result > max_value:
            raise ValueError(_("must be at most %(max)d") % {"max": max_value})
        return result

    return parse


def date(
    *, not_after: datetime.date | None = None, not_before: datetime.date | None = None
) -> Callable[[Any], datetime.date]:
    """YYYY-MM-DD text, or an Excel date cell."""

    def parse(value: Any) -> datetime.date:
        if isinstance(value, datetime.datetime):
            result = value.date()
        elif isinstance(value, datetime.date):
            result = value
        elif isinstance(value, str) and DATE_RE.match(value.strip()):
            try:
                result = datetime.date.fromisoformat(value.strip())
            except ValueError:
                raise ValueError(_("is not a real date")) from None
        else:
            raise ValueError(_("write the date as YYYY-MM-DD (e.g. 2024-03-01) or use a date cell"))
        if not_after is not None and result > not_after:
            raise ValueError(_("cannot be after %(date)s") % {"date": not_after.isoformat()})
        if not_before is not None and result < not_before:
            raise ValueError(_("cannot be before %(date)s") % {"date": not_before.isoformat()})
        return result

    return parse


def boolean() -> Callable[[Any], bool]:
    def parse(value: Any) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float) and value in (0, 1):
            return bool(value)
        word = str(value).strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise ValueError(_("must be one of: 是, 否, yes, no, 1, 0"))

    return parse


def choice(options: dict[str, Any]) -> Callable[[Any], Any]:
    """One of the keys of `options` (case-insensitive), giving its value."""
    lookup = {str(key).strip().lower(): value for key, value in options.items()}

    def parse(value: Any) -> Any:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        key = str(value).strip().lower()
        if key not in lookup:
            raise ValueError(
                _("must be one of: %(values)s") % {"values": ", ".join(map(str, options))}
            )
        return lookup[key]

    return parse


# Templates -------------------------------------------------------------------------------------


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
