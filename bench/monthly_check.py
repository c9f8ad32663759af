#!/usr/bin/env python
"""Monthly check benchmark: the registry rules of audit/check.py on many active grants.

Run by hand on PostgreSQL; it prints figures and asserts nothing about time:

    .venv/bin/python bench/monthly_check.py [--grants 100000] [--reseed] [--runs 3]

1. Creates the PostgreSQL database of DATABASE_URL if it is missing (default
   postgres://postgres@127.0.0.1:5432/relief_bench_check), migrates it and seeds `--grants`
   paying dibao grants set-based with bench/payment_run.py's seed (a household with its head,
   the approved application, the grant, its schedule and account).
2. Writes the period's registry records set-based (INSERT ... SELECT): a deposits balance for
   every head (under the limit), and for `--changed` (2 %) of the households one change each, in
   turn: deposits over the limit, a car, two residential units, a live business, a death; the
   remaining rows of `--rows-per-grant` as harmless records (an exempt motorcycle, a cancelled
   business), so that the rules read as many rows as a real month would.
3. Each of `--runs` runs, after deleting the findings and runs:
   - the check (audit.check.run_check) in this process, town after town;
   - the same check with `--parallel` (2) processes taking the towns from one shared queue,
     largest first (as Celery workers take the queued monthly_check_town tasks);
   - the same work as hand-written reference SQL: every rule kind city-wide, one statement
     each (amount_differs on the calculation's set-based SQL), its findings written to a
     table, in one transaction;
   - peak memory (ru_maxrss of this process and of the children).
4. The same rules as a per-household ORM loop on `--naive` (10,000) households, the month paid
   compared with the loader's calculation for the households no rule flags.
5. Prints the median of the runs and the ratios.

The period is paid (`seed_paid_month`): every live grant's amount in force is set to what the
calculation gives, one in MISPAID_EVERY 50.00 more, and the payment run's lines of the period
are marked paid. So the check computes a months table for every money finding and compares
every other household's month paid with the calculation (amount_differs), and the reference
computes the same calculation city-wide (audit.calculation_sql, set-based) for its
amount_differs statement.
"""

import argparse
import datetime
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/relief_bench_check")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from benchdb import ensure_database  # noqa: E402 (bench/ is the script's own folder)

PERIOD = datetime.date(2025, 7, 1)
KINDS = ("deposits_over", "car", "two_homes", "business", "death")


def peak_mb() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def seed_records(*, rows_per_grant: int, changed: float) -> int:
    """The period's records, set-based; returns how many there are."""
    from django.db import connection, transaction

    from audit.models import Extract, RegistryRecord, Source
    from cases.models import Membership

    if RegistryRecord.objects.filter(period=PERIOD).exists():
        return RegistryRecord.objects.filter(period=PERIOD).count()
    Extract.objects.filter(period=PERIOD, file_name__startswith="bench-").delete()
    sources = dict(Source.objects.values_list("code", "pk"))
    extracts = {
        code: Extract.objects.create(
            source_id=sources[code],
            period=PERIOD,
            file_name=f"bench-{code}.csv",
            sha256=f"{n:064x}",
            state=Extract.State.IMPORTED,
        ).pk
        for n, code in enumerate(("deposits", "vehicles", "property", "business", "deaths"), 1)
    }
    every = max(1, round(1 / changed))
    table = RegistryRecord._meta.db_table
    members = Membership._meta.db_table
    columns = (
        "extract_id, source_id, period, row_number, person_id, key_hash, name, name_differs, "
        "authorised, institution, reference, category, role, status, amount, on_date, region"
    )

    def insert(code, where, fields):
        values = {
            "institution": "''",
            "reference": "''",
            "category": "''",
            "role": "''",
            "status": "''",
            "amount": "NULL",
            "on_date": "NULL",
            **fields,
        }
        sql = f"""
            INSERT INTO {table} ({columns})
            SELECT %s, %s, %s, n, person_id, '', '', false, true, {values["institution"]},
                   {values["reference"]}, {values["category"]}, {values["role"]},
                   {values["status"]}, {values["amount"]}, {values["on_date"]}, ''
            FROM (SELECT m.person_id, row_number() OVER (ORDER BY m.person_id) AS n
                  FROM {members} m WHERE m.left_on IS NULL) heads
            WHERE {where}
        """
        with connection.cursor() as cursor:
            cursor.execute(sql, [extracts[code], sources[code], PERIOD])

    with transaction.atomic():
        # Every head: a deposits balance under the limit (the reads of a real month).
        insert("deposits", "true", {"institution": "'工行'", "amount": "1000.00"})
        changes = {
            "deposits_over": ("deposits", {"institution": "'建行'", "amount": "900000.00"}),
            "car": ("vehicles", {"reference": "'粤S' || n", "category": "'汽车'"}),
            "two_homes": ("property", {"reference": "'U' || n", "category": "'住宅'"}),
            "business": ("business", {"reference": "'B' || n", "status": "'存续'"}),
            "death": ("deaths", {"on_date": "DATE '2025-06-15'"}),
        }
        for index, kind in enumerate(KINDS):
            code, fields = changes[kind]
            insert(code, f"n %% {every * len(KINDS)} = {index * every}", fields)
            if kind == "two_homes":
                insert(
                    code,
                    f"n %% {every * len(KINDS)} = {index * every}",
                    {**fields, "reference": "'V' || n"},
                )
        # Harmless rows up to rows_per_grant: exempt motorcycles, cancelled businesses.
        for extra in range(max(0, rows_per_grant - 1)):
            code, fields = (
                ("vehicles", {"reference": f"'M{extra}-' || n", "category": "'摩托车'"})
                if extra % 2 == 0
                else ("business", {"reference": f"'C{extra}-' || n", "status": "'注销'"})
            )
            insert(code, "true", fields)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {table}")
    return RegistryRecord.objects.filter(period=PERIOD).count()


# One household in this many pays 50.00 a month more than the calculation gives (a clerk's
# error in the schedule): the amount_differs findings of households no registry rule touches.
MISPAID_EVERY = 1_000
LIVE_GRANTS = """
    SELECT g.id FROM cases_grant g JOIN cases_scheme s ON s.id = g.scheme_id
    WHERE g.state = 'active' AND s.kind IN ('dibao', 'tekun') AND g.starts_month <= %(p)s
      AND (g.ends_month IS NULL OR g.ends_month >= %(p)s)
"""


def expected_by_town(cursor, table: str, grants_sql: str, params: dict) -> None:
    """audit.calculation_sql's figures for the period for the grants `grants_sql` selects, into
    `table`, one statement per town (as the check computes them): one statement for the whole
    city's million grants had not finished after 12 minutes, where a town's 29,000 take 2 s."""
    from audit import calculation_sql
    from cases.models import Town

    calculation_sql.create_changes_table(cursor)
    cursor.execute(f"DROP TABLE IF EXISTS {table}")
    cursor.execute(
        f"CREATE TEMPORARY TABLE {table} (grant_id bigint, month date, expected numeric(12, 2))"
    )
    for town in Town.objects.order_by("pk").values_list("pk", flat=True):
        calculation_sql.expected_into_table(
            cursor,
            table="town_expected",
            grants_sql=f"SELECT id FROM ({grants_sql}) live "
            "WHERE id IN (SELECT id FROM cases_grant WHERE town_id = %(town)s)",
            params={**params, "town": town, "months": [PERIOD]},
        )
        cursor.execute(f"INSERT INTO {table} SELECT grant_id, month, expected FROM town_expected")
    cursor.execute(f"ANALYZE {table}")


def seed_paid_month() -> int:
    """The period paid, as a city's ledger holds it: each live grant's amount in force made what
    the calculation gives (audit.calculation_sql, city-wide, before any registry change: the
    benchmark's seed draws schedule amounts at random), one in MISPAID_EVERY 50.00 more, then
    the payment run for the period (payments.runs.payment_run) and its lines marked paid.
    Returns the lines of the period."""
    from django.db import connection, transaction

    from payments.models import Batch, PaymentLine
    from payments.runs import payment_run

    lines = PaymentLine.objects.filter(period=PERIOD)
    if lines.exists():
        return lines.count()
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        expected_by_town(cursor, "bench_expected", LIVE_GRANTS, {"p": PERIOD})
        cursor.execute(
            """
            UPDATE cases_scheduleentry e
            SET amount = x.expected + CASE WHEN x.grant_id %% %(every)s = 7 THEN 50 ELSE 0 END
            FROM (SELECT DISTINCT ON (grant_id) id, grant_id FROM cases_scheduleentry
                  WHERE state = 'confirmed' AND from_month <= %(p)s
                  ORDER BY grant_id, from_month DESC, id DESC) in_force
            JOIN bench_expected x ON x.grant_id = in_force.grant_id
            WHERE e.id = in_force.id
            """,
            {"p": PERIOD, "every": MISPAID_EVERY},
        )
        print(f"  amounts in force = the calculation: {cursor.rowcount:,} grants", flush=True)
    result = payment_run(period=PERIOD)
    lines.update(status=PaymentLine.Status.PAID)
    Batch.objects.filter(period=PERIOD).update(state=Batch.State.RECONCILED)
    with connection.cursor() as cursor:
        # What autovacuum does a minute after such a load: without it the ledger's reads are
        # planned for an empty lines table (a town's read took 1.6 s instead of 0.15 s).
        cursor.execute("ANALYZE payments_paymentline, cases_scheduleentry, payments_batch")
    print(
        f"  the period paid: {result.new_lines:,} lines in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    return result.new_lines


def reset_findings() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE audit_finding, audit_historicalfinding, audit_checkruntown, audit_checkrun"
        )


# The same work as hand-written, city-wide SQL: every rule kind of the check, each one
# statement that flags and writes its findings (kind, household, person, grant, figures) into a
# table, in one transaction. The common base (live grants, their households' co-resident members,
# the members' records of the period's imported extracts) is written once, as the check's
# base tables are per town. Constants stand where the check reads dated rules: the bench's one
# standard (1,300.00), 24 months, the demo's exempt vehicle types, a 50.00 income tolerance.
REFERENCE_BASE = {
    "ref_hh": """
        SELECT g.household_id, MIN(g.id) AS grant_id
        FROM cases_grant g JOIN cases_scheme s ON s.id = g.scheme_id
        WHERE g.state = 'active' AND s.kind IN ('dibao', 'tekun') AND g.starts_month <= %(p)s
          AND (g.ends_month IS NULL OR g.ends_month >= %(p)s)
        GROUP BY g.household_id""",
    "ref_member": """
        SELECT m.household_id, m.person_id FROM cases_membership m
        JOIN ref_hh USING (household_id)
        WHERE m.joined_on <= %(p)s AND (m.left_on IS NULL OR m.left_on > %(p)s)""",
    "ref_rec": """
        SELECT r.*, m.household_id, src.code AS source_code
        FROM audit_registryrecord r
        JOIN audit_extract e ON e.id = r.extract_id AND e.state = 'imported'
        JOIN audit_source src ON src.id = r.source_id
        JOIN ref_member m ON m.person_id = r.person_id
        WHERE r.period = %(p)s""",
}
FINDING = "INSERT INTO ref_finding (kind, household_id, person_id, grant_id, figures) "
REFERENCE_SQL = {
    "assets_over_limit": FINDING
    + """
        SELECT 'assets_over_limit', a.household_id, NULL, hh.grant_id,
               jsonb_build_object('assets', a.total, 'members', n.members,
                                  'limit', 24 * 1300.00 * n.members)
        FROM (SELECT household_id, SUM(amount) AS total FROM ref_rec
              WHERE authorised AND source_code IN ('deposits', 'securities', 'insurance')
              GROUP BY household_id) a
        JOIN (SELECT household_id, COUNT(*) AS members FROM ref_member GROUP BY household_id) n
          USING (household_id)
        JOIN ref_hh hh USING (household_id)
        WHERE a.total > 24 * 1300.00 * n.members""",
    "property_vehicle_business": FINDING
    + """
        SELECT k.kind, c.household_id, NULL, hh.grant_id, k.figures
        FROM (SELECT household_id,
                     COUNT(*) FILTER (WHERE source_code = 'property' AND category = '住宅') AS homes,
                     COUNT(*) FILTER (WHERE source_code = 'property' AND category = '非住宅')
                         AS other_units,
                     COUNT(*) FILTER (WHERE source_code = 'vehicles'
                                      AND category NOT IN ('摩托车', '残疾人专用车')) AS vehicles,
                     COUNT(*) FILTER (WHERE source_code = 'business' AND status = '存续')
                         AS businesses
              FROM ref_rec WHERE authorised AND source_code IN ('property', 'vehicles', 'business')
              GROUP BY household_id) c
        JOIN ref_hh hh USING (household_id)
        CROSS JOIN LATERAL (VALUES
            ('property', c.homes > 1 OR c.other_units > 0,
             jsonb_build_object('residential', c.homes, 'non_residential', c.other_units)),
            ('vehicle', c.vehicles > 0, jsonb_build_object('vehicles', c.vehicles)),
            ('business', c.businesses > 0, jsonb_build_object('businesses', c.businesses))
        ) AS k(kind, flagged, figures)
        WHERE k.flagged""",
    "death_moved_out": FINDING
    + """
        SELECT CASE r.source_code WHEN 'deaths' THEN 'death' ELSE 'moved_out' END,
               r.household_id, r.person_id, hh.grant_id,
               jsonb_build_object('date', MIN(r.on_date), 'region', MIN(r.region))
        FROM ref_rec r JOIN ref_hh hh USING (household_id)
        WHERE r.authorised AND (r.source_code = 'deaths'
              OR (r.source_code = 'hukou_moves' AND r.region NOT LIKE '4419%%'))
        GROUP BY r.source_code, r.household_id, r.person_id, hh.grant_id""",
    "income_changed": FINDING
    + """
        SELECT 'income_changed', reg.household_id, reg.person_id, hh.grant_id,
               jsonb_build_object('registry', reg.amount, 'recorded', ev.amount)
        FROM (SELECT household_id, person_id, SUM(amount) AS amount FROM ref_rec
              WHERE authorised AND source_code = 'social_insurance'
              GROUP BY household_id, person_id) reg
        JOIN ref_hh hh USING (household_id)
        LEFT JOIN (SELECT il.person_id, SUM(il.monthly_amount) AS amount
                   FROM cases_incomeline il JOIN ref_member m USING (household_id, person_id)
                   WHERE il.valid_from <= %(p)s AND (il.valid_to IS NULL OR il.valid_to >= %(p)s)
                   GROUP BY il.person_id) ev USING (person_id)
        WHERE ev.amount IS NULL OR ABS(reg.amount - ev.amount) > 50.00""",
    "no_authorisation": FINDING
    + """
        SELECT 'no_authorisation', household_id, NULL, NULL,
               jsonb_build_object('records', COUNT(*))
        FROM ref_rec WHERE NOT authorised GROUP BY household_id""",
    "enrolled_twice": FINDING
    + """
        SELECT 'enrolled_twice', NULL, person_id, MAX(grant_id),
               jsonb_build_object('first_grant', MIN(grant_id))
        FROM (SELECT cm.person_id, g.id AS grant_id
              FROM cases_application_covered_members cm
              JOIN cases_grant g ON g.application_id = cm.application_id
              JOIN cases_scheme s ON s.id = g.scheme_id
              WHERE g.state = 'active' AND s.kind IN ('dibao', 'tekun')
                AND g.starts_month <= %(p)s AND (g.ends_month IS NULL OR g.ends_month >= %(p)s)
              UNION
              SELECT m.person_id, g.id
              FROM cases_membership m
              JOIN cases_grant g ON g.household_id = m.household_id
              JOIN cases_scheme s ON s.id = g.scheme_id
              WHERE g.state = 'active' AND s.kind IN ('dibao', 'tekun')
                AND g.starts_month <= %(p)s AND (g.ends_month IS NULL OR g.ends_month >= %(p)s)
                AND m.joined_on <= %(p)s AND (m.left_on IS NULL OR m.left_on > %(p)s)
                AND NOT EXISTS (SELECT 1 FROM cases_application_covered_members c2
                                WHERE c2.application_id = g.application_id)) cov
        GROUP BY person_id HAVING COUNT(DISTINCT grant_id) > 1""",
    "not_enrolled": FINDING
    + """
        SELECT 'not_enrolled', NULL, NULL, NULL,
               jsonb_build_object('reference', low.reference, 'amount', MAX(low.amount))
        FROM audit_registryrecord low
        JOIN audit_extract e ON e.id = low.extract_id AND e.state = 'imported'
        JOIN audit_source src ON src.id = low.source_id AND src.code = 'low_income'
        WHERE low.period = %(p)s AND NOT EXISTS (
            SELECT 1 FROM cases_membership m
            WHERE m.person_id = low.person_id
              AND m.joined_on <= %(p)s AND (m.left_on IS NULL OR m.left_on > %(p)s)
              AND (EXISTS (SELECT 1 FROM ref_hh WHERE ref_hh.household_id = m.household_id)
                   OR EXISTS (SELECT 1 FROM cases_application a
                              WHERE a.household_id = m.household_id
                                AND a.state IN ('draft', 'submitted', 'accepted', 'visited',
                                    'opinion', 'notice', 'reinvestigation', 'notice_ended'))))
        GROUP BY low.reference HAVING MAX(low.amount) < 1300.00""",
    "amount_differs": FINDING
    + """
        SELECT 'amount_differs', hh.household_id, NULL, hh.grant_id,
               jsonb_build_object('month', x.month, 'paid', p.paid, 'expected', x.expected)
        FROM ref_expected x
        JOIN ref_hh hh ON hh.grant_id = x.grant_id
        JOIN (SELECT grant_id, period, SUM(amount) AS paid FROM payments_paymentline
              WHERE status = 'paid' AND period BETWEEN %(first)s AND %(p)s
              GROUP BY grant_id, period) p ON p.grant_id = x.grant_id AND p.period = x.month
        WHERE p.paid <> x.expected
          AND NOT EXISTS (SELECT 1 FROM ref_finding f WHERE f.household_id = hh.household_id)""",
}


def reference() -> int:
    """The reference's whole work, city-wide, in one transaction; returns the findings it
    wrote. (A town-by-town variant of the same statements, measured once on 2026-12-06, took
    205 s, slower than the check: the city-wide form is the bar.)"""
    from django.db import connection, transaction

    params = {"p": PERIOD, "first": PERIOD}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        for name, sql in REFERENCE_BASE.items():
            cursor.execute(f"CREATE TEMPORARY TABLE {name} ON COMMIT DROP AS {sql}", params)
            cursor.execute(f"ANALYZE {name}")
        cursor.execute(
            "CREATE TEMPORARY TABLE ref_finding (kind text, household_id bigint, "
            "person_id bigint, grant_id bigint, figures jsonb) ON COMMIT DROP"
        )
        for name, sql in REFERENCE_SQL.items():
            if name == "amount_differs":
                # What every live grant should have had for the period: the calculation as
                # set-based SQL (audit.calculation_sql, measured against the loader by
                # bench/calculation_sql.py), a town at a time (see expected_by_town); last, as
                # in the check, because its plan settings hold for the rest of the transaction.
                expected_by_town(
                    cursor, "ref_expected", "SELECT grant_id AS id FROM ref_hh", params
                )
            cursor.execute(sql, params)
        cursor.execute("SELECT COUNT(*) FROM ref_finding")
        return cursor.fetchone()[0]


def child(run_id: int, town_ids: list[int]) -> None:
    """One worker process: takes the run's towns in the given order (largest first), each
    town that no other worker has taken yet, as Celery workers take the queued
    monthly_check_town tasks one at a time from a shared queue."""
    from audit import check
    from audit.models import CheckRun, CheckRunTown
    from cases.models import Town

    run = CheckRun.objects.get(pk=run_id)
    towns = Town.objects.in_bulk(town_ids)
    for town_id in town_ids:
        taken = CheckRunTown.objects.filter(
            run=run, town_id=town_id, state=CheckRun.State.QUEUED
        ).update(state=CheckRun.State.RUNNING)
        if taken:
            check.run_town(run=run, town=towns[town_id])


def parallel(workers: int) -> int:
    from django.db import connection
    from django.db.models import Count

    from audit import check
    from cases.models import Town

    run = check.start_check(period=PERIOD, from_month=PERIOD)
    sizes = dict(Town.objects.annotate(n=Count("grants")).values_list("pk", "n"))
    towns = sorted(sizes, key=lambda pk: (-sizes[pk], pk))
    connection.close()
    children = [
        subprocess.Popen([sys.executable, __file__, "--child", str(run.pk), *map(str, towns)])
        for _ in range(workers)
    ]
    for process in children:
        if process.wait():
            raise SystemExit("a --child failed")
    run.refresh_from_db()
    return run.new_findings


def naive(count: int) -> int:
    """The rules as a per-household ORM loop: each household's members, their records, the
    sums and counts in Python; for a household no rule flags, its month paid against the
    calculation (the loader and formula, one household at a time)."""
    from audit.amounts import expected_reference, paid
    from audit.models import RegistryRecord
    from cases.models import Grant, Membership

    flagged = 0
    grants = Grant.objects.filter(state="active").order_by("id")[:count]
    for grant in grants:
        people = list(
            Membership.objects.filter(
                household_id=grant.household_id, left_on__isnull=True
            ).values_list("person_id", flat=True)
        )
        records = list(
            RegistryRecord.objects.filter(
                period=PERIOD, person_id__in=people, authorised=True
            ).select_related("source")
        )
        assets = sum(r.amount or 0 for r in records if r.source.code == "deposits")
        homes = sum(1 for r in records if r.source.code == "property" and r.category == "住宅")
        cars = sum(1 for r in records if r.source.code == "vehicles" and r.category == "汽车")
        live = sum(1 for r in records if r.source.code == "business" and r.status == "存续")
        dead = any(r.source.code == "deaths" for r in records)
        if assets > 24 * 1300 * len(people) or homes > 1 or cars or live or dead:
            flagged += 1
        elif paid([grant.pk], PERIOD, PERIOD).get((grant.pk, PERIOD)) not in (
            None,
            expected_reference([grant], [PERIOD]).get((grant.pk, PERIOD)),
        ):
            flagged += 1  # amount_differs: the month paid is not what the calculation gives
    return flagged


def timed(function, *args):
    started = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--grants", type=int, default=100_000)
    parser.add_argument("--rows-per-grant", type=int, default=5)
    parser.add_argument("--changed", type=float, default=0.02)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--parallel", type=int, default=2)
    parser.add_argument("--naive", type=int, default=10_000)
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--seed-only", action="store_true", help="seed the data, measure nothing")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()

    import django

    if args.child:
        django.setup()
        child(int(args.child[0]), [int(pk) for pk in args.child[1:]])
        return
    ensure_database(os.environ["DATABASE_URL"], reseed=args.reseed)
    django.setup()
    import payment_run  # bench/payment_run.py: the grants' seed
    from django.core.management import call_command

    from audit import check

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    payment_run.seed(grants=args.grants, naive_town="chashan", naive_grants=args.naive)
    records = seed_records(rows_per_grant=args.rows_per_grant, changed=args.changed)
    lines = seed_paid_month()
    print(
        f"seeded in {time.perf_counter() - started:.1f} s: {records:,} registry records, "
        f"{lines:,} payment lines of the period"
    )
    if args.seed_only:
        return

    figures: dict[str, list[float]] = {"one": [], "two": [], "reference": []}
    for number in range(1, args.runs + 1):
        reset_findings()
        seconds, run = timed(check.run_check, PERIOD, None, PERIOD)
        figures["one"].append(seconds)
        print(
            f"run {number}: one process {seconds:7.1f} s, {run.households_checked:,} households, "
            f"{run.new_findings:,} findings; load {os.getloadavg()[0]:.2f}"
        )
        reset_findings()
        seconds, found = timed(parallel, args.parallel)
        figures["two"].append(seconds)
        print(f"run {number}: {args.parallel} processes {seconds:7.1f} s, {found:,} findings")
        seconds, written = timed(reference)
        figures["reference"].append(seconds)
        print(f"run {number}: reference SQL {seconds:7.1f} s, {written:,} findings written")
    seconds, flagged = timed(naive, args.naive)
    own, children = peak_mb()
    one, two, ref = (statistics.median(figures[k]) for k in ("one", "two", "reference"))
    print(
        f"per-household ORM loop on {args.naive:,} households: {seconds:.1f} s ({flagged} flagged)"
    )
    print(
        f"median: one process {one:.1f} s, {args.parallel} processes {two:.1f} s "
        f"({two / one:.2f} x one), reference SQL {ref:.1f} s (check / reference {one / ref:.1f})"
    )
    print(
        f"per household: check {one / max(1, args.grants) * 1e3:.3f} ms, ORM loop "
        f"{seconds / max(1, args.naive) * 1e3:.3f} ms"
    )
    print(f"peak memory: this process {own:.0f} MB, children {children:.0f} MB")


if __name__ == "__main__":
    main()
