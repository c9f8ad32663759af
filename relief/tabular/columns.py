"""Columns of a template and the parsers of their cells.

A list of `Column`s declares what each column may hold; `parse_table` turns a Table's raw cells
into values and collects every problem as a `RowError(row, column, rule)` in one `ImportReport`.
Parsers take one non-empty cell value (a string from CSV; a string, number, date or boolean
from XLSX) and return the parsed value or raise ValueError with the rule the value breaks.
"""

import datetime
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from .reading import Table, is_blank
from .reports import ImportReport


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
# C0 control characters but tab, line feed and carriage return (which a cell may hold).
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
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
        if CONTROL_RE.search(result):
            raise ValueError(_("contains a control character (such as NUL); remove it"))
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
