#!/usr/bin/env python
"""Calculation benchmark: the dibao calculation of one town's 10,000 households.

Run by hand on PostgreSQL; it prints figures and asserts nothing about time:

    .venv/bin/python bench/calculation.py [--town chashan] [--chunk-size 2000] [--runs 3]

1. Creates the PostgreSQL database of DATABASE_URL if it is missing (default
   postgres://postgres@127.0.0.1:5432/relief_bench_calc) and migrates it.
2. Seeds `--households` (default 360,000) demo households with `manage.py seed_demo` unless
   they are there (`--reseed` drops the database first). seed_demo puts household i in town
   i mod 36, so each town holds 10,000 households, spread over the whole of each table, with
   their members, income lines and assets. Then ANALYZE (statistics as autovacuum keeps them).
3. Each of `--runs` runs computes the dibao calculation for `--month` (default 2024-07) of every
   household of `--town`, three ways (in the order c, b, a, with a garbage collection before
   each, so no way pays for another's objects):
   (a) one `cases.calculation.calculate(...)` per household (8 queries each);
   (b) chunked, per `--chunk-size` households: `loading.load_chunk` (8 queries per chunk), then
       `formula.calculate` for each household, timed apart; and the same again through
       `calculate_many`, as callers use it;
   (c) for reference, the same input rows the loader reads, fetched chunk by chunk by
       hand-written SQL on a plain psycopg cursor (the same 8 SELECTs; rows fetched, nothing
       built), so the loader's overhead over raw fetching shows.
   The town's household list (ids and town) is read once beforehand and not timed.
4. Checks that (a) and (b) give the same total to the fen on every household (the count of
   mismatches must be 0; the whole stored explanation, `as_dict()`, is compared too) and
   prints a checksum: the sum of the totals and a SHA-256 of the per-household totals.
5. Prints each run's wall times, query counts and peak memory (VmHWM, reset before each way,
   with what the way added to the process's memory), then the median of the runs, the ratios
   (a)/(b) (target >= 20) and (b)/(c), the load average, and PostgreSQL's version and
   shared_buffers.
"""

import argparse
import datetime
import gc
import hashlib
import json
import os
import resource
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchdb import ensure_database  # noqa: E402 (bench/ is the script's own folder)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/relief_bench_calc"
os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

TOWNS = 36  # seed_demo's households go round the towns
TARGET_RATIO = 20.0

# (c): the loader's SELECTs written by hand. Parameters: %(ids)s the chunk's household ids,
# %(on)s the date, %(schemes)s the scheme ids, %(towns)s the chunk's town ids.
RAW_SELECTS = {
    "scheme rules": """
        SELECT r.* FROM cases_schemerule r JOIN cases_scheme s ON s.id = r.scheme_id
        WHERE r.scheme_id = ANY(%(schemes)s) AND r.effective_from <= %(on)s
          AND (r.effective_to IS NULL OR r.effective_to >= %(on)s)
        ORDER BY s.code, r.effective_from""",
    "memberships + people": """
        SELECT m.household_id, m.joined_on, m.left_on, m.person_id, p.name, p.birth_date,
               p.disability_grade, p.serious_illness
        FROM cases_membership m JOIN cases_person p ON p.id = m.person_id
        WHERE m.household_id = ANY(%(ids)s) AND m.joined_on <= %(on)s
          AND (m.left_on IS NULL OR m.left_on > %(on)s)
        ORDER BY m.household_id, m.joined_on, m.id""",
    "standards": """
        SELECT st.*, s.code FROM cases_standard st JOIN cases_scheme s ON s.id = st.scheme_id
        LEFT JOIN cases_town t ON t.id = st.town_id
        WHERE st.effective_from <= %(on)s AND (st.effective_to IS NULL OR st.effective_to >= %(on)s)
          AND (st.town_id IS NULL OR st.town_id = ANY(%(towns)s))
          AND (st.scheme_id = ANY(%(schemes)s) OR s.code = 'dibao')
        ORDER BY s.code, t.code, st.effective_from""",
    "income lines": """
        SELECT household_id, valid_from, valid_to, person_id, income_type_id, monthly_amount
        FROM cases_incomeline
        WHERE household_id = ANY(%(ids)s) AND valid_from <= %(on)s
          AND (valid_to IS NULL OR valid_to >= %(on)s)""",
    "income types": "SELECT id, counted FROM cases_incometype ORDER BY code",
    "income type rules": """
        SELECT r.* FROM cases_incometyperule r JOIN cases_incometype t ON t.id = r.income_type_id
        WHERE r.effective_from <= %(on)s AND (r.effective_to IS NULL OR r.effective_to >= %(on)s)
        ORDER BY t.code, r.effective_from""",
    "assets": """
        SELECT household_id, valid_from, valid_to, person_id, kind, value, units, exempt
        FROM cases_asset
        WHERE household_id = ANY(%(ids)s) AND valid_from <= %(on)s
          AND (valid_to IS NULL OR valid_to >= %(on)s)""",
    "add-ons": """
        SELECT a.* FROM cases_addon a JOIN cases_scheme s ON s.id = a.scheme_id
        WHERE a.scheme_id = ANY(%(schemes)s) AND a.effective_from <= %(on)s
          AND (a.effective_to IS NULL OR a.effective_to >= %(on)s)
        ORDER BY s.code, a.category, a.effective_from""",
}


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def peak_reset() -> None:
    """Reset the process's peak RSS (VmHWM) so the next step's peak is its own (Linux >= 4.0)."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
    except OSError:
        pass


def rss_mb() -> float:
    """The process's resident memory now (VmRSS)."""
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def peak_mb() -> float:
    """The peak RSS since the last peak_reset (VmHWM), else of the whole process (ru_maxrss)."""
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class QueryCounter:
    """Counts the queries Django sends (DEBUG stays off: no query log to grow)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def server_settings() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        values = []
        for name in ("server_version", "shared_buffers", "work_mem", "jit"):
            cursor.execute(f"SHOW {name}")
            values.append(f"{name} {cursor.fetchone()[0]}")
    return ", ".join(values)


def seed(households: int) -> None:
    from django.core.management import call_command
    from django.db import connection

    from cases.models import Household

    present = Household.objects.filter(import_ref__startswith="demo-").count()
    if present >= households:
        print(f"{present} demo households present: seeding skipped (--reseed to start over)")
        with connection.cursor() as cursor:
            # Statistics as autovacuum keeps them: without them (a freshly seeded database
            # that autovacuum has not reached yet) every evidence query is a full scan.
            cursor.execute("ANALYZE")
        return
    print(f"{present} demo households present: seeding up to {households}")
    started = time.monotonic()
    call_command("seed_demo", households=households, applications=False)
    print(f"SEEDING: {households - present} households in {time.monotonic() - started:.0f} s")
    with connection.cursor() as cursor:
        # What autovacuum would do shortly anyway: statistics and the visibility map.
        cursor.execute(
            "VACUUM (ANALYZE) cases_household, cases_person, cases_membership, "
            "cases_incomeline, cases_asset"
        )
        cursor.execute("ANALYZE")


def chunks(rows: list, size: int) -> list[list]:
    return [rows[start : start + size] for start in range(0, len(rows), size)]


# --- the three ways ------------------------------------------------------------------------------


def one_by_one(households, scheme, month) -> dict:
    from django.core.exceptions import ValidationError

    from cases.calculation import calculate

    results = {}
    for household in households:
        try:
            results[household.pk] = calculate(household=household, scheme=scheme, month=month)
        except ValidationError as error:
            results[household.pk] = error
    return results


def chunked(households, scheme, month, size: int) -> tuple[dict, float, float]:
    """calculate_many per chunk; also returns the seconds spent loading and in the formula
    (the same steps calculate_many takes, timed apart)."""
    from django.core.exceptions import ValidationError

    from cases.calculation import Item, formula
    from cases.calculation.loading import load_chunk

    results, loading, computing = {}, 0.0, 0.0
    for chunk in chunks(households, size):
        items = [Item(household=household, scheme=scheme, month=month) for household in chunk]
        started = time.perf_counter()
        inputs = load_chunk(items)
        loaded = time.perf_counter()
        for item, one in zip(items, inputs, strict=True):
            try:
                results[item.household.pk] = formula.calculate(one)
            except ValidationError as error:
                results[item.household.pk] = error
        computing += time.perf_counter() - loaded
        loading += loaded - started
    return results, loading, computing


def chunked_api(households, scheme, month, size: int) -> dict:
    """The same through the public calculate_many, as callers use it."""
    from cases.calculation import Item, calculate_many

    results = {}
    for chunk in chunks(households, size):
        items = [Item(household=household, scheme=scheme, month=month) for household in chunk]
        for outcome in calculate_many(items):
            results[outcome.item.household.pk] = outcome.calculation or outcome.error
    return results


def raw_connection():
    """A plain psycopg connection to the benchmark's database, for (c)."""
    import dj_database_url
    import psycopg

    config = dj_database_url.parse(os.environ["DATABASE_URL"])
    params = {
        "host": config.get("HOST") or None,
        "port": config.get("PORT") or None,
        "user": config.get("USER") or None,
        "password": config.get("PASSWORD") or None,
        "dbname": config["NAME"],
    }
    return psycopg.connect(**{k: v for k, v in params.items() if v is not None})


def raw(conn, households, scheme, month, size: int) -> tuple[int, int]:
    """(c): the loader's SELECTs by hand on a plain psycopg cursor. Returns (statements, rows)."""
    statements = rows = 0
    with conn.cursor() as cursor:
        for chunk in chunks(households, size):
            values = {
                "ids": [household.pk for household in chunk],
                "towns": sorted({household.town_id for household in chunk}),
                "schemes": [scheme.pk],
                "on": month,
            }
            for sql in RAW_SELECTS.values():
                cursor.execute(sql, values)
                rows += len(cursor.fetchall())
                statements += 1
    conn.rollback()  # read only: end the transaction psycopg opened
    return statements, rows


# --- checking ------------------------------------------------------------------------------------


def summary(results: dict) -> dict[int, tuple]:
    """Per household: its total (None for an error) and a digest of its whole explanation
    (`as_dict()`, or the error's messages), so a way's results can be compared with another's
    after its objects are gone (fewer live objects for the next way's garbage collector)."""
    compact = {}
    for household_id, result in results.items():
        if hasattr(result, "as_dict"):
            explained = json.dumps(result.as_dict(), sort_keys=True)
            compact[household_id] = (result.total, hashlib.sha1(explained.encode()).hexdigest())
        else:
            compact[household_id] = (None, "; ".join(result.messages))
    return compact


def checksum(compact: dict) -> tuple[Decimal, str, int]:
    """Sum of the totals, SHA-256 of "household:total" lines in household order, errors."""
    digest = hashlib.sha256()
    total, errors = Decimal("0.00"), 0
    for household_id in sorted(compact):
        amount = compact[household_id][0]
        if amount is None:
            errors += 1
        else:
            total += amount
        digest.update(f"{household_id}:{amount}\n".encode())
    return total, digest.hexdigest()[:16], errors


def compare(one: dict, other: dict) -> tuple[int, int]:
    """Households whose totals differ, and whose whole explanation (or error) differs."""
    totals = sum(one[key][0] != other.get(key, (None,))[0] for key in one) + len(
        set(other) - set(one)
    )
    explained = sum(one[key] != other.get(key) for key in one) + len(set(other) - set(one))
    return totals, explained


# --- main ----------------------------------------------------------------------------------------


def timed(step, *args):
    from django.db import connection

    counter = QueryCounter()
    gc.collect()  # the previous way's garbage is not this way's time
    peak_reset()
    before = rss_mb()
    started = time.perf_counter()
    with connection.execute_wrapper(counter):
        result = step(*args)
    seconds, peak = time.perf_counter() - started, peak_mb()
    return result, seconds, counter.count, f"peak {peak:4.0f} MB (+{peak - before:3.0f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=TOWNS * 10_000)
    parser.add_argument("--reseed", action="store_true", help="drop the database and seed again")
    parser.add_argument("--town", default="chashan", help="the town's slug")
    parser.add_argument("--month", default="2024-07", help="YYYY-MM (default 2024-07)")
    parser.add_argument("--chunk-size", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-single", action="store_true", help="leave out (a) (slow)")
    args = parser.parse_args()

    ensure_database(os.environ["DATABASE_URL"], reseed=args.reseed)
    import django

    django.setup()
    from django.core.management import call_command

    from cases.models import Household, Scheme, Town

    call_command("migrate", verbosity=0)
    seed(args.households)

    month = datetime.date.fromisoformat(f"{args.month}-01")
    scheme = Scheme.objects.get(code="dibao")
    town = Town.objects.get(slug=args.town)
    started = time.perf_counter()
    households = list(Household.objects.filter(town=town).order_by("pk").only("pk", "town_id"))
    listed = time.perf_counter() - started
    print(f"\n{server_settings()}")
    print(
        f"town {town.name} ({town.slug}): {len(households)} households, listed in "
        f"{listed * 1000:.0f} ms; dibao for {month:%Y-%m}; chunks of {args.chunk_size}; "
        f"{args.runs} runs; load average {load()}\n"
    )

    conn = raw_connection()
    figures: dict[str, list[float]] = {}
    for run in range(1, args.runs + 1):
        print(f"run {run}: load average {load()}")
        (statements, rows), seconds, _queries, peak = timed(
            raw, conn, households, scheme, month, args.chunk_size
        )
        figures.setdefault("c", []).append(seconds)
        print(
            f"  (c) raw SQL        {seconds:8.2f} s  {statements:7d} queries  {peak}  ({rows} rows)"
        )
        (results, loading, computing), seconds, queries, peak = timed(
            chunked, households, scheme, month, args.chunk_size
        )
        chunk, results = summary(results), None
        figures.setdefault("b", []).append(seconds)
        figures.setdefault("b load", []).append(loading)
        figures.setdefault("b formula", []).append(computing)
        print(
            f"  (b) chunked        {seconds:8.2f} s  {queries:7d} queries  {peak}"
            f"  (loader {loading:.2f} s, formula {computing:.2f} s)"
        )
        results, seconds, queries, peak = timed(
            chunked_api, households, scheme, month, args.chunk_size
        )
        api, results = summary(results), None
        figures.setdefault("b api", []).append(seconds)
        print(f"      calculate_many {seconds:8.2f} s  {queries:7d} queries  {peak}")
        if not args.skip_single:
            results, seconds, queries, peak = timed(one_by_one, households, scheme, month)
            single, results = summary(results), None
            figures.setdefault("a", []).append(seconds)
            print(f"  (a) one by one     {seconds:8.2f} s  {queries:7d} queries  {peak}")

        summed, digest, errors = checksum(chunk)
        print(f"  checksum (b): sum of totals {summed}, sha256 {digest}, errors {errors}")
        if api != chunk:
            print("  MISMATCH: calculate_many differs from load_chunk + formula")
        if not args.skip_single:
            single_sum, single_digest, single_errors = checksum(single)
            totals, explained = compare(single, chunk)
            print(
                f"  checksum (a): sum of totals {single_sum}, sha256 {single_digest}, "
                f"errors {single_errors}"
            )
            print(
                f"  (a) vs (b): {totals} households with a different total, {explained} with a "
                f"different explanation, of {len(single)}"
                + ("" if totals == explained == 0 else "  MISMATCH")
            )

    conn.close()
    median = {name: statistics.median(values) for name, values in figures.items()}
    print(f"\nload average at the end: {load()}")
    print(f"Median of {args.runs} runs, {len(households)} households, chunks of {args.chunk_size}:")
    if "a" in median:
        print(f"  (a) one calculate per household   {median['a']:8.2f} s")
    print(
        f"  (b) chunked loader + formula      {median['b']:8.2f} s"
        f"  (loader {median['b load']:.2f} s, formula {median['b formula']:.2f} s)"
    )
    print(f"      through calculate_many        {median['b api']:8.2f} s")
    print(f"  (c) raw SQL, same SELECTs         {median['c']:8.2f} s")
    if "a" in median:
        ratio = median["a"] / median["b"]
        flag = "met" if ratio >= TARGET_RATIO else "MISSED"
        print(f"  (a)/(b) {ratio:6.1f}x  (target >= {TARGET_RATIO:.0f}x: {flag})")
    print(
        f"  (b)/(c) {median['b'] / median['c']:6.1f}x  (loader {median['b load'] / median['c']:.1f}x)"
    )


if __name__ == "__main__":
    main()
