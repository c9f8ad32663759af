"""The rules of audit/imports/rules.py in SQL, for a CSV file on PostgreSQL: the raw bytes
streamed into a temporary table with COPY, the rows trimmed, keyed and matched to people in one
pass, the checks counted in one scan, and one INSERT ... SELECT. No Python runs per row."""

import codecs
import csv
import re

import psycopg
from django.db import DatabaseError, transaction

from cases.idnumbers import CHECK_CHARS, WEIGHTS
from cases.models import Authorisation, Person
from relief.tabular import reading

from ..keys import matching_key
from ..models import PersonKey, RegistryRecord, Source
from .rules import CHUNK, MAX_LISTED, PATTERNS, ColumnRule, Problem

# The rules in SQL (PostgreSQL) -------------------------------------------------------------------


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


DIGITS = "'0123456789'"


def _sql_check(rule: ColumnRule, v: str) -> str:
    """A CASE expression giving the rule code the non-empty cell `v` breaks, or NULL. Written
    with ltrim/length rather than regular expressions where the column is large (keys, amounts,
    dates): PostgreSQL's regex costs several microseconds a call, a million rows times each
    column. Each condition is the exact equivalent of the pattern in PATTERNS."""
    kind = rule.type
    if kind == "id":
        # v is the normalised key (registry_rows.k). The check character is computed only for
        # rows that match nobody: a number equal to a person's was checked when it was entered.
        digits = " + ".join(f"substr({v}, {i + 1}, 1)::int * {w}" for i, w in enumerate(WEIGHTS))
        return (
            f"CASE WHEN NOT (length({v}) = 18 AND ltrim({v}, {DIGITS}) IN ('', 'X')) THEN 'id' "
            f"WHEN person_id IS NULL AND substr('{CHECK_CHARS}', (({digits}) % 11) + 1, 1) "
            f"<> substr({v}, 18, 1) THEN 'id_check' END"
        )
    if kind == "hash":
        return (
            f"CASE WHEN NOT (length({v}) = 64 AND ltrim(lower({v}), '0123456789abcdef') = '') "
            "THEN 'hash' END"
        )
    if kind in ("text", "name"):
        return f"CASE WHEN length({v}) > {rule.max_length} THEN 'too_long' END"
    if kind == "code":
        values = ", ".join(_sql_literal(c) for c in rule.choices)
        return f"CASE WHEN {v} NOT IN ({values}) THEN 'choice' END"
    if kind == "amount":
        tail = f"ltrim({v}, {DIGITS})"
        return (
            f"CASE WHEN NOT (length({v}) - length({tail}) BETWEEN 1 AND 12 AND ({tail} = '' OR "
            f"(length({tail}) BETWEEN 2 AND 3 AND left({tail}, 1) = '.' "
            f"AND ltrim(substr({tail}, 2), {DIGITS}) = ''))) THEN 'amount' END"
        )
    if kind == "date":
        y, m, d = (f"substr({v}, 1, 4)::int", f"substr({v}, 6, 2)::int", f"substr({v}, 9, 2)::int")
        last_day = f"extract(day FROM make_date({y}, {m}, 1) + interval '1 month - 1 day')"
        shape = (
            f"length({v}) = 10 AND substr({v}, 5, 1) = '-' AND substr({v}, 8, 1) = '-' "
            f"AND left({v}, 1) IN ('1', '2', '3', '4', '5', '6', '7', '8', '9') "
            f"AND ltrim(substr({v}, 1, 4) || substr({v}, 6, 2) || substr({v}, 9, 2), {DIGITS}) = ''"
        )
        return (
            f"CASE WHEN NOT ({shape}) THEN 'date' "
            f"WHEN NOT ({m} BETWEEN 1 AND 12) THEN 'date_real' "
            f"WHEN NOT ({d} BETWEEN 1 AND {last_day}) THEN 'date_real' END"
        )
    return f"CASE WHEN {v} !~ '^({PATTERNS[kind]})$' THEN '{kind}' END"


def _raw(position: int) -> str:
    return f"NULLIF(btrim(c{position}, E' \\t\\r\\n'), '')"


def _key_sql(rule: ColumnRule, v: str) -> str:
    """The key as Python reads it: an ID number NFKC-normalised (plain ASCII needs no
    normalising, and most keys are) and upper case; a hash in lower case."""
    if rule.type == "hash":
        return f"lower({v})"
    return (
        f"upper(CASE WHEN octet_length({v}) = length({v}) THEN {v} ELSE normalize({v}, NFKC) END)"
    )


def stage_rows_sql(cursor, rules, positions, width) -> None:
    """registry_rows: the staged file's non-blank rows, each cell trimmed once (v0, v1, ...),
    the key normalised (k), the name NFKC-normalised, and the person the key matches, in one
    pass: the checks and the INSERT read these instead of working each value out again."""
    key_rule = rules[0]
    name_rule = rules[1]
    cells = ", ".join(f"{_raw(i)} AS v{i}" for i in range(width))
    key = f"v{positions[key_rule.header]}"
    name = f"v{positions[name_rule.header]}" if name_rule.header in positions else "NULL::text"
    person = Person._meta.db_table
    if key_rule.type == "id":
        join = f"LEFT JOIN {person} p ON p.id_number = r.k"
    else:
        join = (
            f"LEFT JOIN ({PersonKey._meta.db_table} pk JOIN {person} p ON p.id = pk.person_id) "
            "ON pk.key_hash = r.k"
        )
    not_blank = " OR ".join(f"v{i} IS NOT NULL" for i in range(width))
    cursor.execute("DROP TABLE IF EXISTS registry_rows")
    cursor.execute(
        f"""
        CREATE TEMP TABLE registry_rows AS
        SELECT r.*, p.id AS person_id,
               coalesce(p.id IS NOT NULL AND r.name IS NOT NULL AND r.name <> p.name, false)
                   AS name_differs
          FROM (
              SELECT t.*, {_key_sql(key_rule, key)} AS k, normalize({name}, NFKC) AS name
                FROM (SELECT n + 1 AS rn, {cells} FROM registry_staging OFFSET 0) t
               WHERE {not_blank}
              OFFSET 0
          ) r
          {join}
        """
    )


def check_rows_sql(cursor, rules, positions) -> tuple[int, list, int]:
    """(rows, the first MAX_LISTED problems, how many there are) of registry_rows: each cell's
    rule code counted in one scan, and only when there are problems, unnested to (row, column,
    code) for the report."""
    checks, labels = [], []
    for order, rule in enumerate(rules):
        index = positions.get(rule.header)
        if index is None:
            continue
        v = f"v{index}"
        missing = "'required'" if rule.required else "NULL"
        value = "k" if order == 0 else v
        checks.append(f"CASE WHEN {v} IS NULL THEN {missing} ELSE {_sql_check(rule, value)} END")
        labels.append((order, rule.header))
    columns = ", ".join(f"{check} AS e{i}" for i, check in enumerate(checks))
    # First only count (a good file, the usual case, then costs one scan and no unnesting).
    counted = " + ".join(f"count(e{i})" for i in range(len(checks)))
    cursor.execute(f"SELECT count(*), {counted} FROM (SELECT {columns} FROM registry_rows) c")
    rows, total = cursor.fetchone()
    if not total:
        return rows, [], 0
    unnest = ", ".join(
        f"({order}, {_sql_literal(header)}, e{i})" for i, (order, header) in enumerate(labels)
    )
    cursor.execute(
        f"""
        SELECT c.row, v.header, v.code
          FROM (SELECT rn AS row, {columns} FROM registry_rows) c
          CROSS JOIN LATERAL (VALUES {unnest}) AS v(ord, header, code)
         WHERE v.code IS NOT NULL
         ORDER BY c.row, v.ord
         LIMIT {MAX_LISTED}
        """
    )
    by_header = {rule.header: rule for rule in rules}
    problems = [
        Problem(row, header, code, by_header[header].params(code))
        for row, header, code in cursor.fetchall()
    ]
    return rows, problems, total


def _filled_chunks(file, width: int, delimiter: bytes):
    """The file's bytes for COPY, in chunks cut at line ends, the BOM removed, and every blank
    line (outside quotes) made a row of empty cells, so that COPY numbers rows as the reader
    does. A quoted cell may hold line breaks: the quote parity carries across chunks."""
    filler = delimiter * (width - 1)
    inside = False  # within a quoted cell at the start of the next piece
    rest = b""
    first = True
    while True:
        new = file.read(CHUNK)
        if first:
            new, first = new.removeprefix(codecs.BOM_UTF8), False
        data = rest + new
        if not data:
            return
        end = len(data) if not new else data.rfind(b"\n") + 1
        if end == 0:
            rest = data
            continue
        piece, rest = data[:end], data[end:]
        # Every piece starts a line; the parts between quotes alternate outside and inside.
        parts = piece.split(b'"')
        for i, part in enumerate(parts):
            if (i % 2 == 1) == inside:  # outside quotes
                part = BLANK_LINE.sub(b"\n" + filler, part)
                if i == 0 and LINE_END.match(part):
                    part = filler + part
                parts[i] = part
        if len(parts) % 2 == 0:
            inside = not inside
        yield b'"'.join(parts)


BLANK_LINE = re.compile(rb"\n(?=\r?\n)")
LINE_END = re.compile(rb"\r?\n")


HEADER_BYTES = 1 << 16  # a header row is a few hundred bytes


def _read_header_line(file) -> tuple[list[str], str] | None:
    """The header's cells and the delimiter (as relief.tabular.reading chooses it), or None when
    the first line is not UTF-8 text or longer than HEADER_BYTES (the Python form then reads
    the file)."""
    file.seek(0)
    head = file.read(HEADER_BYTES).removeprefix(codecs.BOM_UTF8)
    file.seek(0)
    if b"\n" not in head and len(head) >= HEADER_BYTES - len(codecs.BOM_UTF8):
        return None
    line = head.split(b"\n", 1)[0]
    try:
        text = line.decode("utf-8").rstrip("\r")
    except UnicodeDecodeError:
        return None
    if '"' in text:
        return None  # a quoted header cell: let the Python form read it
    delimiter = max(reading.CSV_DELIMITERS, key=text.count) if text else ","
    return next(csv.reader([text], delimiter=delimiter), []), delimiter


# Storing -----------------------------------------------------------------------------------------


def _authorised_sql(source: Source) -> str:
    if not source.needs_authorisation:
        return "true"
    table = Authorisation._meta.db_table
    return f"""EXISTS (
        SELECT 1 FROM {table} a WHERE a.person_id = r.person_id AND a.scope IN (%(scope)s, 'all')
           AND a.signed_on <= %(period)s
           AND (a.valid_until IS NULL OR a.valid_until >= %(period)s)
           AND (a.revoked_on IS NULL OR a.revoked_on > %(period)s))"""


def _field_sql(rule: ColumnRule, v: str) -> str:
    if rule.type == "amount":
        return f"{v}::numeric(14, 2)"
    if rule.type == "date":
        return f"{v}::date"
    if rule.type == "month":
        return f"({v} || '-01')::date"
    if rule.type == "int":
        return f"{v}::smallint"
    return f"coalesce({v}, '')"


RECORD_FIELDS = [
    "institution",
    "reference",
    "category",
    "role",
    "status",
    "amount",
    "on_date",
    "from_month",
    "region",
    "size",
]
NULLABLE_FIELDS = {"amount", "on_date", "from_month", "size"}


def store_rows_sql(cursor, extract, rules, positions) -> dict:
    """One INSERT ... SELECT of registry_rows that match a person (the low-income list keeps
    the others too, by hash), with each person's authorisation; the counts come back from the
    same statement."""
    source = extract.source
    by_field = {rule.field: rule for rule in rules}
    keep_unknown = source.code == "low_income"
    if rules[0].type == "id":
        key_hash = (
            "CASE WHEN person_id IS NULL THEN encode(hmac(k, %(key)s, 'sha256'), 'hex') ELSE '' END"
        )
    else:
        key_hash = "k"
    values = []
    for record_field in RECORD_FIELDS:
        rule = by_field.get(record_field)
        if rule is None:
            values.append("NULL" if record_field in NULLABLE_FIELDS else "''")
        else:
            values.append(_field_sql(rule, f"v{positions[rule.header]}"))
    cursor.execute(
        f"""
        WITH inserted AS (
            INSERT INTO {RegistryRecord._meta.db_table} (
                extract_id, source_id, period, row_number, person_id, key_hash, name,
                name_differs, authorised, {", ".join(RECORD_FIELDS)}
            )
            SELECT %(extract)s, %(source)s, %(period)s, rn, person_id, {key_hash},
                   coalesce(name, ''), name_differs,
                   CASE WHEN person_id IS NULL THEN true ELSE {_authorised_sql(source)} END,
                   {", ".join(values)}
              FROM registry_rows r
             {"" if keep_unknown else "WHERE person_id IS NOT NULL"}
            RETURNING person_id, authorised, name_differs
        )
        SELECT count(person_id), count(*) FILTER (WHERE NOT authorised),
               count(*) FILTER (WHERE name_differs), count(*)
          FROM inserted
        """,
        {
            "extract": extract.pk,
            "source": source.pk,
            "period": extract.period,
            "scope": source.scope,
            "key": _matching_key_text(),
        },
    )
    matched, set_aside, names_differ, stored = cursor.fetchone()
    return {
        "matched": matched,
        "set_aside": set_aside,
        "names_differ": names_differ,
        "stored": stored,
    }


def _matching_key_text() -> str:
    return matching_key().decode()


def _stage(cursor, file, width: int, delimiter: str) -> bool:
    columns = ", ".join(f"c{i} text" for i in range(width))
    cursor.execute("DROP TABLE IF EXISTS registry_staging")
    cursor.execute(
        f"CREATE TEMP TABLE registry_staging (n bigint GENERATED ALWAYS AS IDENTITY, {columns})"
    )
    names = ", ".join(f"c{i}" for i in range(width))
    sql = (
        f"COPY registry_staging ({names}) FROM STDIN "
        f"(FORMAT csv, HEADER true, DELIMITER {_sql_literal(delimiter)}, ENCODING 'UTF8')"
    )
    file.seek(0)
    try:
        with transaction.atomic():
            with cursor.cursor.copy(sql) as copy:
                for chunk in _filled_chunks(file, width, delimiter.encode()):
                    copy.write(chunk)
    except (DatabaseError, psycopg.Error):
        # Not UTF-8, a NUL, a row wider than the header, a stray quote: the Python form reads
        # the file and names the row and the rule.
        return False
    return True
