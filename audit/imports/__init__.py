"""Importing one partner extract (REGISTRIES.md): a file for a source and period, validated
whole, matched to the people Relief knows, stored as RegistryRecords.

The rules of a row are declared once (`column_rules`: a regular expression or a check per
column type, each with a rule code) and applied in two forms that must agree:

- PostgreSQL and a CSV file (the partners' usual delivery): the raw bytes are streamed into a
  temporary table with `COPY ... FROM STDIN (FORMAT csv, HEADER)`, the rules run as one
  set-based query, and one `INSERT ... SELECT` joins the rows to people (by ID number, or to
  PersonKey by hash) and to their authorisations. No Python runs per row: a per-row loop got
  3,500 rows/s, this gets hundreds of thousands (bench/registry_import.py).
- XLSX files, SQLite (the quick start), and a CSV file COPY cannot take (not UTF-8, a row with
  more cells than the header, a NUL): the same rules in Python over relief.tabular's rows,
  streamed: one pass checks (keeping counts and the listed problems only), a second stores
  STORE_ROWS rows at a time, so memory does not grow with the file's rows.

Both forms report a problem as (spreadsheet row, column, rule code); `rule_text` words it, so
the report reads the same whichever form found it (a test runs one bad file through both).
Row numbers count blank rows as the reader does: the header is row 1.

A file with any bad row is rejected whole (an Extract in state "rejected" keeps the report;
no record is written). The same file again (same SHA-256, source and period) is "already
imported" and changes nothing. A different file for the same source and period replaces the
earlier one: it is kept in state "replaced" with `replaced_by` pointing to the new one, its
records stay (the evidence of findings raised from them; readers use only the records of
imported extracts, RegistryRecord.objects.current()), and `extract_imported` is sent so that
findings can follow (audit/signals.py re-checks the period).

A registry provider uploads only the sources an administrator assigned to it
(Source.providers); an administrator uploads any.
"""

import datetime
import io
import re
import sys
from dataclasses import dataclass

import django.dispatch
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.permissions import EXTRACT_UPLOADER_ROLES, is_partner, require_role
from relief.models import AuditEvent
from relief.services import record
from relief.tabular import reading
from relief.tabular.reports import TabularError

from ..keys import person_keys_refresh
from ..models import Extract, Source
from .postgres import _read_header_line, _stage, check_rows_sql, stage_rows_sql, store_rows_sql
from .rules import (
    HASH_COLUMN,
    ID_COLUMN,
    MAX_LISTED,
    NAME_COLUMN,
    PATTERNS,
    XLSX_MAX_ROWS,
    ColumnRule,
    Problem,
    check_header,
    check_rows_python,
    parsed_rows_python,
    problem_line,
    rejected_text,
    rule_text,
    store_rows_python,
)

__all__ = [
    "HASH_COLUMN",
    "ID_COLUMN",
    "NAME_COLUMN",
    "PATTERNS",
    "ColumnRule",
    "ImportResult",
    "check_rows_python",
    "extract_import",
    "extract_imported",
    "parse_period",
    "problem_line",
    "rejected_text",
    "rule_text",
]

extract_imported = django.dispatch.Signal()  # sender=Extract, extract=new, replaced=old or None


@dataclass
class ImportResult:
    extract: Extract
    imported: bool  # records were written by this call
    already: bool = False  # the same file was imported before: nothing changed
    problem_count: int = 0

    @property
    def rejected(self) -> bool:
        return self.extract.state == Extract.State.REJECTED

    def summary(self) -> dict:
        """The command's last line and the API's report."""
        extract = self.extract
        return {
            "source": extract.source.code,
            "period": extract.period.strftime("%Y-%m"),
            "rows": extract.rows,
            "matched": extract.matched,
            "dropped_unknown": extract.dropped_unknown,
            "set_aside_unauthorised": extract.set_aside_unauthorised,
            "names_differ": extract.names_differ,
            "sha256": extract.sha256,
            "imported": self.imported,
        }


# The service ---------------------------------------------------------------------------------------


def parse_period(text: str) -> datetime.date:
    """ "YYYY-MM" as the month's first day, or ValueError naming the rule."""
    if not re.fullmatch(PATTERNS["month"], str(text or "")):
        raise ValueError(rule_text("month"))
    return datetime.date.fromisoformat(f"{text}-01")


def _use_copy(file) -> bool:
    if connection.vendor != "postgresql":
        return False
    file.seek(0)
    head = file.read(len(reading.XLSX_MAGIC))
    file.seek(0)
    return head != reading.XLSX_MAGIC and head[: len(reading.OLE2_MAGIC)] != reading.OLE2_MAGIC


def _rows(file, file_name: str):
    """The reader's rows of the file, read afresh (the Python form reads a good file twice:
    once to check it, once to store it, so that no pass keeps the file's rows)."""
    file.seek(0)
    head = file.read(4)
    file.seek(0)
    max_rows = XLSX_MAX_ROWS if head == reading.XLSX_MAGIC else sys.maxsize
    return reading.iter_rows(file, name=file_name, max_rows=max_rows)


def _replace_previous(extract: Extract) -> Extract | None:
    previous = (
        Extract.objects.select_for_update()
        .filter(source=extract.source, period=extract.period, state=Extract.State.IMPORTED)
        .exclude(pk=extract.pk)
        .first()
    )
    if previous is None:
        return None
    previous.state = Extract.State.REPLACED
    previous.replaced_by = extract
    previous.save(update_fields=["state", "replaced_by"])
    return previous


def _reject(extract: Extract, problems: list, total: int, rows: int) -> None:
    listed = [p.as_dict() for p in sorted(problems, key=lambda p: p.row)[:MAX_LISTED]]
    if total > len(listed):
        listed.append(Problem(0, "", "more", {"count": total - len(listed)}).as_dict())
    extract.errors = listed
    extract.rows = rows
    extract.state = Extract.State.REJECTED
    extract.finished_at = timezone.now()
    extract.save()


@transaction.atomic
def extract_import(*, actor, source: Source, period: datetime.date, file, file_name: str = ""):
    """Import one file (a binary file object) for `source` and `period` (a month's first day).
    `actor`: the uploader (a registry provider or an administrator), or None for the command
    run without --user."""
    if actor is not None:
        require_role(
            actor, EXTRACT_UPLOADER_ROLES, _("Your role may not upload registry extracts.")
        )
        if is_partner(actor) and not source.providers.filter(pk=actor.pk).exists():
            raise ValidationError(
                {
                    "source": _(
                        "Your account may not deliver extracts of %(source)s: a registry "
                        "provider uploads only the sources an administrator assigned to it."
                    )
                    % {"source": source.code}
                }
            )
    Source.objects.select_for_update().get(pk=source.pk)  # one import per source at a time
    sha256 = reading.file_sha256(file)
    same = Extract.objects.filter(
        source=source, period=period, sha256=sha256, state=Extract.State.IMPORTED
    ).first()
    if same is not None:
        return ImportResult(extract=same, imported=False, already=True)
    file.seek(0, io.SEEK_END)
    size = file.tell()
    file.seek(0)
    extract = Extract.objects.create(
        source=source,
        period=period,
        file_name=(file_name or getattr(file, "name", "") or "")[-200:],
        sha256=sha256,
        size=size,
        uploaded_by=actor,
    )
    staged = False
    if _use_copy(file):
        header = _read_header_line(file)
        if header is not None:
            cells, delimiter = header
            rules, positions, problems = check_header(source, cells)
            if problems:
                _reject(extract, problems, len(problems), 0)
                return ImportResult(extract=extract, imported=False, problem_count=len(problems))
            with connection.cursor() as cursor:
                staged = _stage(cursor, file, len(cells), delimiter)
                if staged:
                    if rules[0].type == "hash":
                        person_keys_refresh()
                    stage_rows_sql(cursor, rules, positions, len(cells))
                    cursor.execute("DROP TABLE registry_staging")
                    rows, problems, total = check_rows_sql(cursor, rules, positions)
                    if total:
                        _reject(extract, problems, total, rows)
                        cursor.execute("DROP TABLE registry_rows")
                        return ImportResult(extract=extract, imported=False, problem_count=total)
                    replaced = _replace_previous(extract)
                    counts = store_rows_sql(cursor, extract, rules, positions)
                    cursor.execute("DROP TABLE registry_rows")
    if not staged:
        try:
            rules, tally, problems = check_rows_python(source, _rows(file, extract.file_name))
        except TabularError as exc:
            extract.errors = [{"row": 0, "column": "", "rule": str(exc)}]
            extract.state = Extract.State.REJECTED
            extract.finished_at = timezone.now()
            extract.save()
            return ImportResult(extract=extract, imported=False, problem_count=1)
        rows = tally.rows
        if tally.problems:
            _reject(extract, problems, tally.problems, rows)
            return ImportResult(extract=extract, imported=False, problem_count=tally.problems)
        if rules[0].type == "hash":
            person_keys_refresh()
        replaced = _replace_previous(extract)
        parsed = parsed_rows_python(source, _rows(file, extract.file_name))
        counts = store_rows_python(extract, rules, parsed)
    extract.rows = rows
    extract.matched = counts["matched"]
    extract.dropped_unknown = rows - counts["stored"]
    extract.set_aside_unauthorised = counts["set_aside"]
    extract.names_differ = counts["names_differ"]
    extract.keyed_by_hash = rules[0].type == "hash"
    extract.state = Extract.State.IMPORTED
    extract.finished_at = timezone.now()
    extract.save()
    record(
        actor=actor,
        action=AuditEvent.Action.IMPORT,
        target=extract,
        what="registry_extract",
        source=source.code,
        period=period.strftime("%Y-%m"),
        rows=extract.rows,
    )
    extract_imported.send(sender=Extract, extract=extract, replaced=replaced)
    return ImportResult(extract=extract, imported=True)
