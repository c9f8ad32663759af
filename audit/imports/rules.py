"""The rules of a partner extract's rows (REGISTRIES.md), declared once, and their Python form:
the header's check, each column's rule code and words, and the reading and storing of rows by
Python (XLSX files, SQLite, and CSV files COPY cannot take). audit/imports/postgres.py is the
same rules in SQL; the report reads the same whichever form found a problem."""

import datetime
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cases.idnumbers import CHECK_CHARS, ID18_RE, WEIGHTS
from cases.models import Authorisation, Person

from ..keys import hash_id
from ..models import PersonKey, RegistryRecord, Source

ID_COLUMN = "身份证号"
HASH_COLUMN = "身份证号哈希"
NAME_COLUMN = "姓名"
MAX_LISTED = 1000  # problems listed in a report; the rest are counted
CHUNK = 1 << 20  # bytes written to COPY at a time
XLSX_MAX_ROWS = 1_048_576  # Excel's own sheet limit: no cap below what a workbook can hold
STRIP = " \t\r\n"

# Every pattern is used whole (Python re.fullmatch, PostgreSQL '^(...)$'), in the common subset
# of both dialects.
PATTERNS = {
    "amount": r"[0-9]{1,12}(\.[0-9]{1,2})?",
    "date": r"[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}",
    "month": r"[1-9][0-9]{3}-(0[1-9]|1[0-2])",
    "int": r"[0-9]{1,3}",
    "division6": r"[0-9]{6}",
    "division9": r"[0-9]{9}",
    "id": ID18_RE.pattern,
    "hash": r"[0-9a-fA-F]{64}",
}
# The generic record fields a text column may fill, and their lengths.
TEXT_LENGTHS = {"institution": 100, "reference": 60, "category": 20, "role": 20, "status": 20}
NAME_LENGTH = 50


def rule_text(code: str, params: dict | None = None) -> str:
    """The words of a rule code, the same for both forms of the checks."""
    params = params or {}
    texts = {
        "required": _("a value is required"),
        "too_long": _("is longer than %(max)d characters"),
        "amount": _("write a plain amount in yuan with at most two decimals, such as 12345.60"),
        "date": _("write the date as YYYY-MM-DD, such as 2024-03-01"),
        "date_real": _("is not a real date"),
        "month": _("write the month as YYYY-MM, such as 2024-03"),
        "int": _("must be a whole number from 0 to 999"),
        "division6": _("must be a 6-digit division code"),
        "division9": _("must be a 9-digit town code"),
        "choice": _("must be one of: %(values)s"),
        "id": _("an ID number has 17 digits followed by a digit or X"),
        "id_check": _("the check character of the ID number is wrong (GB 11643)"),
        "hash": _("must be 64 hexadecimal digits (HMAC-SHA256 of the ID number)"),
        "extra_cells": _("the row has more cells than the header row has columns"),
        "key_columns": _("the file needs exactly one key column: %(id)s or %(hash)s"),
        "missing_column": _("this column of the source is missing from the header row"),
        "unknown_column": _("unknown column; this source's columns are: %(columns)s"),
        "duplicate_column": _("the column appears twice in the header row"),
        "empty": _("the file is empty: the first row must be the header row"),
        "more": _("%(count)d more problems are not listed"),
    }
    return texts[code] % params if params else texts[code]


@dataclass(frozen=True)
class ColumnRule:
    """What one column of the file may hold and which record field it fills."""

    header: str
    field: str  # a RegistryRecord field, or "key" / "name"
    type: str  # text, amount, date, month, code, int, division6, division9, id, hash, name
    required: bool = True
    choices: tuple = ()

    @property
    def max_length(self) -> int | None:
        if self.type == "name":
            return NAME_LENGTH
        if self.type == "text":
            return TEXT_LENGTHS.get(self.field, 100)
        return None

    def params(self, code: str) -> dict:
        if code == "too_long":
            return {"max": self.max_length}
        if code == "choice":
            return {"values": ", ".join(self.choices)}
        return {}


def column_rules(source: Source, key: str) -> list[ColumnRule]:
    """The key column (`key` is ID_COLUMN or HASH_COLUMN), 姓名 (optional), and the source's
    columns (Source.columns), in that order."""
    rules = [
        ColumnRule(key, "key", "id" if key == ID_COLUMN else "hash"),
        ColumnRule(NAME_COLUMN, "name", "name", required=False),
    ]
    for column in source.columns:
        rules.append(
            ColumnRule(
                column["header"],
                column["field"],
                column["type"],
                choices=tuple(column.get("choices", ())),
            )
        )
    return rules


# The report ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    row: int
    column: str
    code: str
    params: dict = field(default_factory=dict, compare=False, hash=False)

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "rule": rule_text(self.code, self.params)}


# The header (both forms) -------------------------------------------------------------------------


def check_header(source: Source, header: list[str]) -> tuple[list[ColumnRule], dict, list]:
    """(rules, {header: position}, problems on row 1)."""
    names = [str(h or "").replace("\ufeff", "").strip(STRIP) for h in header]
    if not any(names):
        return [], {}, [Problem(1, "", "empty")]
    keys = [k for k in (ID_COLUMN, HASH_COLUMN) if k in names]
    if len(keys) != 1:
        return [], {}, [Problem(1, "", "key_columns", {"id": ID_COLUMN, "hash": HASH_COLUMN})]
    rules = column_rules(source, keys[0])
    known = {rule.header for rule in rules}
    problems, positions = [], {}
    for index, name in enumerate(names):
        if not name:
            continue
        if name in positions:
            problems.append(Problem(1, name, "duplicate_column"))
        elif name not in known:
            columns = ", ".join(rule.header for rule in rules)
            problems.append(Problem(1, name, "unknown_column", {"columns": columns}))
        else:
            positions[name] = index
    for rule in rules:
        if rule.required and rule.header not in positions:
            problems.append(Problem(1, rule.header, "missing_column"))
    return rules, positions, problems


# The rules in Python -----------------------------------------------------------------------------

COMPILED = {name: re.compile(pattern) for name, pattern in PATTERNS.items()}


def cell_text(value) -> str:
    """A cell as the text the rules read: XLSX numbers and dates as a person would type them."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        value = value.date() if value.time() == datetime.time() else value
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value).strip(STRIP)


def normalised_id(value: str) -> str:
    return unicodedata.normalize("NFKC", value).upper()


def check_cell(rule: ColumnRule, value: str) -> tuple[str, str | None]:
    """(the value as stored, the rule code it breaks or None) for a non-empty cell."""
    kind = rule.type
    if kind == "id":
        value = normalised_id(value)
        if not COMPILED["id"].fullmatch(value):
            return value, "id"
        total = sum(int(d) * w for d, w in zip(value[:17], WEIGHTS, strict=True))
        return value, (None if CHECK_CHARS[total % 11] == value[17] else "id_check")
    if kind == "hash":
        return value.lower(), (None if COMPILED["hash"].fullmatch(value) else "hash")
    if kind in ("text", "name"):
        return value, ("too_long" if len(value) > rule.max_length else None)
    if kind == "code":
        return value, (None if value in rule.choices else "choice")
    if kind == "date":
        if not COMPILED["date"].fullmatch(value):
            return value, "date"
        try:
            datetime.date.fromisoformat(value)
        except ValueError:
            return value, "date_real"
        return value, None
    return value, (None if COMPILED[kind].fullmatch(value) else kind)


@dataclass
class ParsedRow:
    number: int
    values: dict  # field -> text


@dataclass
class Tally:
    """What the check of a file counted: its non-blank rows and its problems."""

    rows: int = 0
    problems: int = 0


def _parse_rows(source: Source, rows):
    """(rules, (ParsedRow or None, that row's problems) for each non-blank row), or (rules,
    None, the header's problems). One row at a time: nothing of the file is kept."""
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return [], None, [Problem(1, "", "empty")]
    rules, positions, problems = check_header(source, list(first[1]))
    if problems:
        return rules, None, problems
    # The header's last named column ends the row (an XLSX row is as wide as the sheet).
    width = max(i for i, cell in enumerate(first[1]) if cell_text(cell)) + 1

    def parsed():
        for number, cells in rows:
            texts = [cell_text(cell) for cell in cells]
            if not any(texts):
                continue
            if any(texts[width:]):
                yield None, [Problem(number, "", "extra_cells")]
                continue
            values, found = {}, []
            for rule in rules:
                index = positions.get(rule.header)
                value = texts[index] if index is not None and index < len(texts) else ""
                if not value:
                    if rule.required:
                        found.append(Problem(number, rule.header, "required"))
                    values[rule.field] = ""
                    continue
                value, code = check_cell(rule, value)
                if code:
                    found.append(Problem(number, rule.header, code, rule.params(code)))
                values[rule.field] = value
            yield ParsedRow(number, values), found

    return rules, parsed(), []


def check_rows_python(source: Source, rows) -> tuple[list[ColumnRule], Tally, list]:
    """(rules, the rows and problems counted, the first MAX_LISTED problems in row order) of
    the reader's (row number, cells). Keeps no row: a file of a million rows is checked in the
    memory of one (the rows are parsed again to be stored, parsed_rows_python)."""
    rules, parsed, problems = _parse_rows(source, rows)
    if parsed is None:
        return rules, Tally(problems=len(problems)), problems
    tally = Tally()
    for row, found in parsed:
        tally.rows += row is not None
        tally.problems += len(found)
        problems.extend(found[: max(0, MAX_LISTED - len(problems))])
    return rules, tally, problems


def parsed_rows_python(source: Source, rows):
    """The rows of a file check_rows_python found good, one at a time."""
    _rules, parsed, _problems = _parse_rows(source, rows)
    for row, _found in parsed or ():
        if row is not None:
            yield row


def _authorised_people(source: Source, period: datetime.date, people: set[int]) -> set[int]:
    if not source.needs_authorisation:
        return set(people)
    found = set()
    ids = list(people)
    for start in range(0, len(ids), 500):
        found.update(
            Authorisation.objects.filter(
                person_id__in=ids[start : start + 500],
                scope__in=[source.scope, Authorisation.Scope.ALL],
                signed_on__lte=period,
            )
            .exclude(valid_until__lt=period)
            .exclude(revoked_on__lte=period)
            .values_list("person_id", flat=True)
        )
    return found


def _lookup(model_values, column: str, keys: list[str]) -> dict:
    found = {}
    for start in range(0, len(keys), 500):
        found.update(model_values(**{f"{column}__in": keys[start : start + 500]}))
    return found


STORE_ROWS = 5000  # rows matched and written at a time


def store_rows_python(extract, rules, rows) -> dict:
    """Store the parsed rows (any iterable), STORE_ROWS at a time, so that memory holds one
    batch of rows and records whatever the file's size; the counts of store_rows_sql."""
    counts = {"matched": 0, "set_aside": 0, "names_differ": 0, "stored": 0}
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == STORE_ROWS:
            _store_batch(extract, rules, batch, counts)
            batch = []
    if batch:
        _store_batch(extract, rules, batch, counts)
    return counts


def _store_batch(extract, rules, rows: list[ParsedRow], counts: dict) -> None:
    source = extract.source
    key_rule = rules[0]
    keys = sorted({row.values["key"] for row in rows})
    if key_rule.type == "id":
        people = _lookup(
            lambda **f: Person.objects.filter(**f).values_list("id_number", "pk"), "id_number", keys
        )
    else:
        people = _lookup(
            lambda **f: PersonKey.objects.filter(**f).values_list("key_hash", "person_id"),
            "key_hash",
            keys,
        )
    names = dict(Person.objects.filter(pk__in=people.values()).values_list("pk", "name"))
    authorised = _authorised_people(source, extract.period, set(people.values()))
    keep_unknown = source.code == "low_income"
    records = []
    for row in rows:
        values = row.values
        person_id = people.get(values["key"])
        if person_id is None and not keep_unknown:
            continue
        name = unicodedata.normalize("NFKC", values.get("name", ""))
        record = RegistryRecord(
            extract=extract,
            source=source,
            period=extract.period,
            row_number=row.number,
            person_id=person_id,
            key_hash=(
                values["key"]
                if key_rule.type == "hash"
                else (hash_id(values["key"]) if person_id is None else "")
            ),
            name=name,
            name_differs=bool(person_id and name and name != names[person_id]),
            authorised=person_id is None or person_id in authorised,
        )
        for rule in rules[2:]:
            value = values.get(rule.field, "")
            if rule.type == "amount":
                value = Decimal(value)
            elif rule.type == "date":
                value = datetime.date.fromisoformat(value)
            elif rule.type == "month":
                value = datetime.date.fromisoformat(value + "-01")
            elif rule.type == "int":
                value = int(value)
            setattr(record, rule.field, value)
        records.append(record)
        counts["stored"] += 1
        counts["matched"] += person_id is not None
        counts["set_aside"] += not record.authorised
        counts["names_differ"] += record.name_differs
    RegistryRecord.objects.bulk_create(records, batch_size=2000)


def rejected_text(count: int) -> str:
    return ngettext(
        "The file was rejected: %(count)d problem; nothing was stored.",
        "The file was rejected: %(count)d problems; nothing was stored.",
        count,
    ) % {"count": count}


def problem_line(error: dict) -> str:
    """One problem of a stored report as a line of text (the command's stderr)."""
    if not error["row"]:
        return _("file: %(rule)s") % {"rule": error["rule"]}
    if not error["column"]:
        return _("row %(row)d: %(rule)s") % error
    return _("row %(row)d, column %(column)s: %(rule)s") % error
