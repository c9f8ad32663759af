#!/usr/bin/env python
"""Registry import benchmark: one partner extract (deposits) of 1,000,000 rows on PostgreSQL.

Run by hand; it prints figures and asserts nothing about time:

    .venv/bin/python bench/registry_import.py [--people 200000] [--rows 1000000] [--runs 3]

1. Creates the PostgreSQL database of DATABASE_URL if it is missing (default
   postgres://postgres@127.0.0.1:5432/relief_bench_registry) and migrates it.
2. Seeds `--people` people (valid ID numbers, bulk inserts) unless they are there, half of them
   with a bank authorisation; `--reseed` drops the database first. Then ANALYZE.
3. Writes a deposits CSV of `--rows` rows in REGISTRIES.md's format (身份证号, 姓名, 机构, 余额,
   余额日期): 70 % rows of known people (a tenth of them under another name), 30 % valid ID
   numbers of people Relief does not know (no blank lines: the reference's COPY refuses them).
4. Each of `--runs` runs imports the file twice over, each in its own transaction, rolled back
   afterwards so that every run starts from the same tables:
   (a) `audit.imports.extract_import`, as the command and the API call it (the SHA-256 of the
       file, COPY of the raw bytes into a temporary table, the set-based validation, one
       INSERT ... SELECT joining people and authorisations, the counts);
   (b) the reference: hand-written SQL on the same connection, COPY of the same bytes into a
       temporary table and one INSERT ... SELECT with the same join, no validation at all; its
       COPY alone is timed too: the floor of any import of the file.
   Prints the wall time and rows/s of each, the ratio (a)/(b), and the peak memory of the
   process (ru_maxrss). Then the median of the runs. Target: (a) >= 500,000 rows/s.
"""

import argparse
import datetime
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from benchdb import ensure_database  # noqa: E402 (bench/ is the script's own folder)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/relief_bench_registry"
os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("MATCHING_KEY", "bench-matching-key-0123456789abcdef")

TARGET = 500_000
PERIOD = datetime.date(2026, 11, 1)
BANKS = ["工商银行", "农业银行", "中国银行", "建设银行", "交通银行", "东莞农商银行"]
SURNAMES = "陈李黄张梁林刘何罗郑叶钟"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂"


class Rollback(Exception):
    pass


def id_number(i: int) -> str:
    from cases.idnumbers import check_character

    birth = datetime.date(1940, 1, 1) + datetime.timedelta(days=i // 1000)
    first17 = f"441900{birth:%Y%m%d}{i % 1000:03d}"
    return first17 + check_character(first17)


def name(i: int) -> str:
    return SURNAMES[i % len(SURNAMES)] + GIVEN[(i // 7) % len(GIVEN)] + GIVEN[(i // 3) % len(GIVEN)]


def seed(people: int) -> None:
    from cases.models import Authorisation, Household, Person, Town

    have = Person.objects.count()
    if have >= people:
        print(f"{have:,} people already there")
        return
    started = time.perf_counter()
    household = Household.objects.create(town=Town.objects.order_by("code").first(), address="基准")
    batch = 20_000
    for start in range(have, people, batch):
        rows = []
        for i in range(start, min(people, start + batch)):
            number = id_number(i)
            rows.append(
                Person(
                    name=name(i),
                    id_number=number,
                    id_tail=number[-4:],
                    birth_date=datetime.date(
                        int(number[6:10]), int(number[10:12]), int(number[12:14])
                    ),
                    sex="M" if int(number[16]) % 2 else "F",
                )
            )
        created = Person.objects.bulk_create(rows)
        Authorisation.objects.bulk_create(
            Authorisation(
                household=household,
                person=p,
                signer_name=p.name,
                signed_on=datetime.date(2024, 1, 1),
                scope=Authorisation.Scope.BANK if k % 4 else Authorisation.Scope.ALL,
            )
            for k, p in enumerate(created)
            if k % 2 == 0
        )
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE cases_person; ANALYZE cases_authorisation")
    print(f"seeded {people - have:,} people in {time.perf_counter() - started:.1f} s")


def write_file(path: Path, people: int, rows: int) -> None:
    rng = random.Random(11)
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write("身份证号,姓名,机构,余额,余额日期\n")
        for r in range(rows):
            if rng.random() < 0.7:
                i = rng.randrange(people)
                who = name(i) if rng.random() < 0.9 else name(i + 1)
            else:
                i = people + rng.randrange(10 * people)
                who = name(i)
            amount = f"{rng.randrange(0, 20_000_000) / 100:.2f}"
            out.write(f"{id_number(i)},{who},{BANKS[r % len(BANKS)]},{amount},2026-11-30\n")


REFERENCE = """
    INSERT INTO audit_registryrecord (
        extract_id, source_id, period, row_number, person_id, key_hash, name, name_differs,
        authorised, institution, reference, category, role, status, amount, on_date,
        from_month, region, size)
    SELECT %(extract)s, %(source)s, %(period)s, s.n + 1, p.id, '', coalesce(s.name, ''),
           coalesce(s.name <> p.name, false),
           EXISTS (SELECT 1 FROM cases_authorisation a WHERE a.person_id = p.id
                     AND a.scope IN ('bank', 'all') AND a.signed_on <= %(period)s
                     AND (a.valid_until IS NULL OR a.valid_until >= %(period)s)
                     AND (a.revoked_on IS NULL OR a.revoked_on > %(period)s)),
           s.bank, '', '', '', '', s.balance::numeric(14, 2), s.on_date::date, NULL, '', NULL
      FROM reference_staging s JOIN cases_person p ON p.id_number = s.id
"""


def reference(path: Path, extract_id: int, source_id: int) -> tuple[int, float]:
    """The reference's rows stored, and the seconds its COPY alone took (the floor: any import
    of the file at least streams its bytes into PostgreSQL)."""
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE reference_staging (n bigint GENERATED ALWAYS AS IDENTITY, "
            "id text, name text, bank text, balance text, on_date text)"
        )
        with (
            open(path, "rb") as fh,
            cursor.cursor.copy(
                "COPY reference_staging (id, name, bank, balance, on_date) FROM STDIN "
                "(FORMAT csv, HEADER true)"
            ) as copy,
        ):
            while chunk := fh.read(1 << 20):
                copy.write(chunk)
        copied = time.perf_counter() - started
        cursor.execute(REFERENCE, {"extract": extract_id, "source": source_id, "period": PERIOD})
        return cursor.rowcount, copied


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=200_000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--reseed", action="store_true")
    args = parser.parse_args()

    ensure_database(os.environ["DATABASE_URL"], reseed=args.reseed)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from audit import imports
    from audit.models import Extract, Source

    call_command("migrate", verbosity=0)
    seed(args.people)
    path = Path(tempfile.gettempdir()) / f"registry-bench-{args.people}-{args.rows}.csv"
    if not path.exists():
        started = time.perf_counter()
        write_file(path, args.people, args.rows)
        print(
            f"wrote {path} ({path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - started:.1f} s"
        )
    source = Source.objects.get(code="deposits")
    with connection.cursor() as cursor:
        cursor.execute("SELECT version(), current_setting('shared_buffers')")
        version, buffers = cursor.fetchone()
    print(f"{version.split(',')[0]}, shared_buffers {buffers}; {os.cpu_count()} cores")

    ours, theirs, floors = [], [], []
    for run in range(1, args.runs + 1):
        figures = {}
        try:
            with transaction.atomic():
                started = time.perf_counter()
                with open(path, "rb") as fh:
                    result = imports.extract_import(
                        actor=None, source=source, period=PERIOD, file=fh, file_name=path.name
                    )
                figures["ours"] = time.perf_counter() - started
                extract = result.extract
                assert result.imported, extract.errors[:5]
                counts = (
                    extract.rows,
                    extract.matched,
                    extract.dropped_unknown,
                    extract.set_aside_unauthorised,
                    extract.names_differ,
                )
                raise Rollback
        except Rollback:
            pass
        try:
            with transaction.atomic():
                holder = Extract.objects.create(
                    source=source, period=PERIOD, file_name="reference", sha256="0" * 64
                )
                started = time.perf_counter()
                stored, figures["copy"] = reference(path, holder.pk, source.pk)
                figures["reference"] = time.perf_counter() - started
                raise Rollback
        except Rollback:
            pass
        rows = counts[0]
        ours.append(figures["ours"])
        theirs.append(figures["reference"])
        floors.append(figures["copy"])
        print(
            f"run {run}: import {figures['ours']:.2f} s = {rows / figures['ours']:,.0f} rows/s "
            f"(rows, matched, dropped, set aside, names differ = {counts}); reference "
            f"{figures['reference']:.2f} s = {rows / figures['reference']:,.0f} rows/s "
            f"({stored:,} stored), of which its COPY alone {figures['copy']:.2f} s = "
            f"{rows / figures['copy']:,.0f} rows/s; "
            f"ratio {figures['ours'] / figures['reference']:.2f}; "
            f"peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB; "
            f"load {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
        )
    a, b = statistics.median(ours), statistics.median(theirs)
    print(
        f"median of {args.runs}: import {args.rows / a:,.0f} rows/s ({a:.2f} s), reference "
        f"{args.rows / b:,.0f} rows/s ({b:.2f} s), ratio {a / b:.2f}; target >= {TARGET:,} rows/s"
    )
    c = statistics.median(floors)
    print(
        f"floor: the COPY of the file's bytes alone into an unindexed temporary table "
        f"{args.rows / c:,.0f} rows/s ({c:.2f} s)"
    )


if __name__ == "__main__":
    main()
