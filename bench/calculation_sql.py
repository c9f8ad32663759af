#!/usr/bin/env python
"""The calculation as set-based SQL against THE calculation: 10,000 households × 12 months.

Run by hand on PostgreSQL; it prints figures and asserts nothing about time:

    .venv/bin/python bench/calculation_sql.py [--households 10000] [--runs 3] [--chunk-size 1000]

1. Creates the PostgreSQL database of DATABASE_URL if it is missing (default
   postgres://postgres@127.0.0.1:5432/relief_bench_calc_sql) and migrates it.
2. Seeds `--households` demo households with `manage.py seed_demo` unless they are there
   (`--reseed` drops the database first), gives each a dibao grant (about one in seven tekun)
   with its application, and ANALYZEs.
3. Draws registry changes for about 5 % of the households (seeded): assets of each kind,
   income, members leaving, on first days and mid-month.
4. Each of `--runs` runs computes what every grant should be paid for each month of 2025
   (the standard changes in July), three ways, with a garbage collection before each:
   (a) the reference, `audit.amounts.expected_reference` (the loader, the changes, the
       formula), per `--chunk-size` grants, as a caller holding a town in memory would;
   (b) the SQL, `audit.calculation_sql.expected_for_grants` for all the grants at once
       (changes copied in, one statement, the figures fetched into a dict);
   (c) the SQL into a temporary table (`expected_into_table`, what the monthly check runs
       for a town), nothing fetched.
5. Checks that (a) and (b) agree on every (grant, month) (mismatches must be 0), then prints
   each run's wall times and peak memory of this process (VmHWM, reset before each way), the
   median of the runs, the ratio (a)/(b), the load average and the server's settings.
"""

import argparse
import datetime
import gc
import os
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/relief_bench_calc_sql"
os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# bench/ is the script's own folder; the calculation benchmark's helpers are shared.
from benchdb import ensure_database  # noqa: E402
from calculation import load, peak_mb, peak_reset, seed, server_settings  # noqa: E402

MONTHS = [datetime.date(2025, month, 1) for month in range(1, 13)]


def ensure_grants() -> None:
    """An approved application and an active grant for every demo household without one."""
    from django.contrib.auth import get_user_model

    from cases.models import Application, Grant, Household, Scheme

    user, _created = get_user_model().objects.get_or_create(username="bench-calculation-sql")
    dibao, tekun = Scheme.objects.get(code="dibao"), Scheme.objects.get(code="tekun")
    households = list(Household.objects.filter(grants__isnull=True).order_by("pk"))
    if not households:
        return
    applications = Application.objects.bulk_create(
        Application(
            household=household,
            scheme=tekun if household.pk % 7 == 0 else dibao,
            town_id=household.town_id,
            state=Application.State.APPROVED,
            decision=Application.Decision.APPROVED,
            created_by=user,
        )
        for household in households
    )
    Grant.objects.bulk_create(
        Grant(
            application=application,
            household=application.household,
            scheme=application.scheme,
            town_id=application.town_id,
            starts_month=MONTHS[0],
        )
        for application in applications
    )
    print(f"{len(applications)} grants created")


def draw_changes(grants, share: float = 0.05):
    """Registry changes for `share` of the households, seeded: the same every run."""
    from audit.amounts import ASSETS, INCOME, LEAVES, Change
    from cases.models import Asset, IncomeType, Membership

    rng = random.Random(20251205)
    types = list(IncomeType.objects.values_list("pk", flat=True))
    kinds = [kind for kind, _label in Asset.Kind.choices]
    chosen = {g.household_id for g in grants if rng.random() < share}
    people: dict[int, list[int]] = {}
    for household_id, person_id in Membership.objects.filter(
        household_id__in=chosen, left_on__isnull=True
    ).values_list("household_id", "person_id"):
        people.setdefault(household_id, []).append(person_id)
    changes = []
    for household_id, persons in sorted(people.items()):
        for _ in range(rng.randint(1, 3)):
            person = rng.choice(persons)
            on = datetime.date(2025, rng.randint(1, 12), rng.choice([1, rng.randint(2, 28)]))
            what = rng.choice([ASSETS, ASSETS, INCOME, LEAVES])
            if what == LEAVES:
                changes.append(Change(household_id, person, on, LEAVES))
            elif what == INCOME:
                amount = Decimal(rng.randint(0, 200000)) / 100
                changes.append(
                    Change(
                        household_id,
                        person,
                        on,
                        INCOME,
                        income_type_id=rng.choice(types),
                        amount=amount,
                    )
                )
            else:
                kind = rng.choice(kinds)
                value = Decimal(rng.randint(0, 8000000)) / 100
                changes.append(
                    Change(
                        household_id,
                        person,
                        on,
                        ASSETS,
                        asset_kind=kind,
                        value=value,
                        units=rng.choice([0, 1, 2]),
                        exempt=rng.random() < 0.1,
                    )
                )
    return changes


def timed(step, *args):
    gc.collect()
    peak_reset()
    started = time.monotonic()
    result = step(*args)
    return result, time.monotonic() - started, peak_mb()


def reference(grants, changes, size: int) -> dict:
    from audit.amounts import expected_reference

    by_household: dict[int, list] = {}
    for change in changes:
        by_household.setdefault(change.household_id, []).append(change)
    result = {}
    for start in range(0, len(grants), size):
        chunk = grants[start : start + size]
        mine = [c for g in chunk for c in by_household.get(g.household_id, ())]
        result.update(expected_reference(chunk, MONTHS, mine))
    return result


def sql(grants, changes) -> dict:
    from audit.calculation_sql import expected_for_grants

    return expected_for_grants(grants, MONTHS, changes)


def sql_into_table(grants, changes) -> int:
    from django.db import connection, transaction

    from audit.calculation_sql import copy_changes, create_changes_table, expected_into_table

    with transaction.atomic(), connection.cursor() as cursor:
        create_changes_table(cursor)
        copy_changes(cursor, changes)
        expected_into_table(
            cursor,
            table="bench_expected",
            grants_sql="SELECT unnest(%(grant_ids)s::bigint[])",
            params={"grant_ids": [g.pk for g in grants], "months": MONTHS},
        )
        cursor.execute("SELECT count(*) FROM bench_expected")
        return cursor.fetchone()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--chunk-size", type=int, default=1000)
    parser.add_argument("--reseed", action="store_true")
    args = parser.parse_args()

    ensure_database(os.environ["DATABASE_URL"], reseed=args.reseed)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    seed(args.households)
    ensure_grants()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    from cases.models import Grant

    grants = list(
        Grant.objects.filter(scheme__code__in=["dibao", "tekun"])
        .select_related("household", "scheme")
        .order_by("pk")[: args.households]
    )
    changes = draw_changes(grants)
    print(
        f"{len(grants)} grants × {len(MONTHS)} months, {len(changes)} changes; {server_settings()}"
    )

    times = {"reference": [], "sql": [], "sql_table": []}
    peaks = {"reference": [], "sql": [], "sql_table": []}
    for run in range(1, args.runs + 1):
        rows, t_table, p_table = timed(sql_into_table, grants, changes)
        by_sql, t_sql, p_sql = timed(sql, grants, changes)
        by_reference, t_ref, p_ref = timed(reference, grants, changes, args.chunk_size)
        mismatches = sum(1 for key, amount in by_reference.items() if by_sql.get(key) != amount)
        assert rows == len(by_sql) == len(by_reference), (rows, len(by_sql), len(by_reference))
        total = sum(by_sql.values(), Decimal("0.00"))
        print(
            f"run {run}: reference {t_ref:.2f} s (peak {p_ref:.0f} MB), "
            f"SQL {t_sql:.2f} s (peak {p_sql:.0f} MB), SQL into a table {t_table:.2f} s "
            f"(peak {p_table:.0f} MB); {len(by_sql)} figures, total {total}, "
            f"mismatches {mismatches}; load {load()}"
        )
        for name, t, p in (
            ("reference", t_ref, p_ref),
            ("sql", t_sql, p_sql),
            ("sql_table", t_table, p_table),
        ):
            times[name].append(t)
            peaks[name].append(p)
        del by_sql, by_reference
    median = {name: statistics.median(values) for name, values in times.items()}
    print(
        f"MEDIAN of {args.runs}: reference {median['reference']:.2f} s, SQL {median['sql']:.2f} s,"
        f" SQL into a table {median['sql_table']:.2f} s; ratio reference/SQL "
        f"{median['reference'] / median['sql']:.1f}; peak MB reference "
        f"{max(peaks['reference']):.0f}, SQL {max(peaks['sql']):.0f}, "
        f"SQL into a table {max(peaks['sql_table']):.0f}"
    )


if __name__ == "__main__":
    main()
