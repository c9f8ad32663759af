#!/usr/bin/env python
"""Payment run benchmark: 1,000,000 active dibao grants.

Run by hand on PostgreSQL; it prints figures and asserts nothing about time:

    .venv/bin/python bench/payment_run.py [--grants 1000000] [--reseed] [--runs 3]

1. Creates the PostgreSQL database of DATABASE_URL if it is missing (default
   postgres://postgres@127.0.0.1:5432/relief_bench_pay), migrates it and creates the demo users
   (`seed_demo --households 0`).
2. Seeds `--grants` paying dibao grants set-based (INSERT ... SELECT generate_series) unless they
   are there (`--reseed` drops the database first), with what the run reads: a household with
   its head (person, membership), the approved application, the grant, its confirmed schedule
   entries and its confirmed payee account; plus 3 % grants that must pay nothing. See
   bench/README.md for what is minimal and why it is representative.
3. Each of `--runs` runs, after TRUNCATE ... CASCADE of the payment tables (lines, batches,
   runs, bank files, returns):
   - `payments.runs.payment_run(period=...)` for every town (target <= 60 s);
   - every batch submitted (city supervisor) and approved (town supervisor), then a CSV bank
     file of each exported through `bankfiles.bank_file_export` (target <= 30 s for all);
   - every batch marked sent; return files generated from the exports (状态 成功, one row in
     10,000 失败), then imported through `returns.bank_return_import` (target <= 60 s);
   - the peak memory of each step (VmHWM, reset before each step) and of the process
     (ru_maxrss, self and children) (target <= 1 GB).
4. The same run as a per-grant ORM loop (written here: for each grant confirmed_amount(...),
   its confirmed account, PaymentLine.objects.create(...)) against payment_run, both on the
   `--naive-town` town, which holds `--naive-grants` (10,000) of the paying grants; `--runs`
   runs of each, and the ratio.
5. Prints the median of the runs of each figure and the load average.

Each town's time is printed as the run goes. Options:

- `--parallel N` (default: one per CPU): the run as the scheduler carries it out
  (payments.tasks.monthly_run): one recorded run whose towns N processes share, as N Celery
  worker processes take its payment_run_town tasks (their peak memory is the children's
  ru_maxrss); `--parallel 1`: payments.runs.payment_run in this process, town after town;
- `--pg-set NAME=VALUE`: a PostgreSQL setting for the benchmark's connections;
- `--auto-explain MS`: the plan, with actual rows, of every statement slower than MS.
"""

import argparse
import csv
import datetime
import io
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchdb import ensure_database  # noqa: E402 (bench/ is the script's own folder)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/relief_bench_pay"
os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

BENCH_REF = "paybench-"
EXTRA_SHARE = 0.01  # of each kind of grant that pays nothing: suspended, ended, no account
FAIL_EVERY = 10_000  # one return row in this many fails
TARGETS = {"run": 60.0, "export": 30.0, "import": 60.0}
TARGET_MB = 1024
# The seed's dates: grants start 2023-01..2024-12, a standard change from 2025-01, proposals
# (never paid) from 2025-06, suspensions from 2025-06, ended grants end 2025-06.
EARLIEST_PERIOD = datetime.date(2025, 7, 1)
PAYMENT_TABLES = (
    "payments_paymentline",
    "payments_batch",
    "payments_historicalbatch",
    "payments_paymentrun",
    "payments_bankfile",
    "payments_bankreturn",
)


def server_settings() -> str:
    """The server settings the figures depend on (bench/README.md compares them)."""
    from django.db import connection

    names = ("server_version", "shared_buffers", "max_wal_size", "checkpoint_timeout")
    with connection.cursor() as cursor:
        values = []
        for name in (*names, "wal_compression"):
            cursor.execute(f"SHOW {name}")
            values.append(f"{name} {cursor.fetchone()[0]}")
    return ", ".join(values)


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


# --- memory ----------------------------------------------------------------------------------


def peak_reset() -> None:
    """Reset the process's peak RSS (VmHWM) so the next step's peak is its own (Linux >= 4.0)."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
    except OSError:
        pass


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


def process_peaks() -> tuple[float, float]:
    """ru_maxrss of this process and of its children, MB (kB on Linux)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


# --- seeding ---------------------------------------------------------------------------------


def insert_select(model, values: dict, source: str, params=()) -> int:
    """INSERT INTO the model's table every concrete column SELECTed from `source`: `values`
    gives an SQL expression by column (or (expression, its parameters)); the other columns get
    the field's default, now() for auto_now(_add) fields, else NULL. Returns the rows written."""
    from django.db import connection

    columns, expressions, arguments = [], [], []
    for field in model._meta.concrete_fields:
        column = field.column
        if column in values:
            value = values[column]
            expression, extra = value if isinstance(value, tuple) else (value, [])
            arguments += extra
        elif field.primary_key:
            continue
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            expression = "now()"
        elif field.has_default():
            expression = "%s"
            arguments.append(field.get_db_prep_save(field.get_default(), connection))
        elif field.null:
            expression = "NULL"
        else:
            raise ValueError(f"{model.__name__}.{field.name}: no value and no default")
        columns.append(connection.ops.quote_name(column))
        expressions.append(expression)
    sql = (
        f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) "
        f"SELECT {', '.join(expressions)} FROM {source}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*arguments, *params])
        return cursor.rowcount


def next_id(model) -> int:
    from django.db.models import Max

    return (model.objects.aggregate(top=Max("pk"))["top"] or 0) + 1


def reset_sequence(model) -> None:
    from django.db import connection

    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence(%s, 'id'), "
            f"(SELECT COALESCE(max(id), 1) FROM {table}))",
            [table],
        )


# GB 11643 check character of the 17 digits in column s: weights and the remainder's character.
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "substr('10X98765432', mod({sum}, 11) + 1, 1)".format(
    sum=" + ".join(f"substr(s, {n}, 1)::int * {w}" for n, w in enumerate(ID_WEIGHTS, 1))
)


def seed(*, grants: int, naive_town: str, naive_grants: int) -> None:
    """The bench grants, set-based, one transaction (see the module docstring)."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection, transaction

    from cases.demo.households import FEMALE_CHARS, MALE_CHARS, SURNAMES
    from cases.models import (
        Application,
        Grant,
        GrantSuspension,
        Household,
        Membership,
        Person,
        ScheduleEntry,
        Scheme,
        Town,
    )
    from payments.models import PayeeAccount

    present = Household.objects.filter(import_ref__startswith=BENCH_REF).count()
    if present:
        print(f"{present} bench households present: seeding skipped (--reseed to start over)")
        return
    print("creating the demo users (seed_demo --households 0)")
    call_command("seed_demo", households=0, applications=False, verbosity=0)

    users = get_user_model().objects
    worker, supervisor = users.get(username="worker-chashan"), users.get(username="supervisor")
    towns = list(Town.objects.order_by("code"))
    small = next(t for t in towns if t.slug == naive_town)
    others = [t.pk for t in towns if t.pk != small.pk]
    all_towns = [t.pk for t in towns]
    extra = max(1, int(grants * EXTRA_SHARE))
    total = grants + 3 * extra
    dibao = Scheme.objects.get(code="dibao").pk
    base = {
        model: next_id(model)
        for model in (
            Household,
            Person,
            Membership,
            Application,
            Grant,
            ScheduleEntry,
            PayeeAccount,
            GrantSuspension,
        )
    }
    print(
        f"seeding {grants:,} paying grants ({naive_grants:,} in {small.slug}) and "
        f"{3 * extra:,} that pay nothing ({extra:,} suspended, ended, without an account)"
    )
    started = time.monotonic()
    # i = 1..grants pay; then `extra` suspended, `extra` ended, `extra` without an account.
    # The town: the first naive_grants paying grants in the small town, the other paying ones
    # round the other towns, the extras round every town.
    series = (
        "(SELECT i, "
        "CASE WHEN i <= %s THEN %s::bigint "
        "WHEN i <= %s THEN (%s::bigint[])[1 + mod(i, %s)] "
        "ELSE (%s::bigint[])[1 + mod(i, %s)] END AS town_id, "
        "CASE WHEN i <= %s THEN 'paying' WHEN i <= %s THEN 'suspended' "
        "WHEN i <= %s THEN 'ended' ELSE 'no_account' END AS kind, "
        "make_date(2023 + mod(i, 24) / 12, 1 + mod(i, 12), 1) AS starts "
        "FROM generate_series(1, %s) AS i) g"
    )
    series_params = [
        naive_grants,
        small.pk,
        grants,
        others,
        len(others),
        all_towns,
        len(all_towns),
        grants,
        grants + extra,
        grants + 2 * extra,
        total,
    ]

    def step(label, model, values, source=series, params=None):
        at = time.monotonic()
        rows = insert_select(model, values, source, series_params if params is None else params)
        print(f"  {label:<28} {rows:>10,} rows  {time.monotonic() - at:6.1f} s")

    h, p = base[Household], base[Person]
    with transaction.atomic():
        step(
            "households",
            Household,
            {
                "id": f"{h} + i",
                "town_id": "town_id",
                "address": "'东莞市基准路' || i || '号'",
                "import_ref": f"'{BENCH_REF}' || i",
            },
        )
        # People: birth date and sequence from i (unique for i < 20,000,000), a valid check
        # character, names from the demo's surnames and given-name characters.
        people = (
            "(SELECT i, birth, '441900' || to_char(birth, 'YYYYMMDD') || lpad(seq::text, 3, '0') "
            "AS s, seq FROM (SELECT i, DATE '1940-01-01' + mod(i, 20000) AS birth, "
            "1 + i / 20000 AS seq FROM generate_series(1, %s) AS i) x) p"
        )
        step(
            "people",
            Person,
            {
                "id": f"{p} + i",
                "name": (
                    "substr(%s, 1 + mod(i, 30), 1) || substr(CASE WHEN mod(seq, 2) = 1 "
                    "THEN %s ELSE %s END, 1 + mod(i / 30, 40), 1) || substr(CASE WHEN "
                    "mod(seq, 2) = 1 THEN %s ELSE %s END, 1 + mod(i / 1200, 40), 1)",
                    [
                        SURNAMES[:30],
                        MALE_CHARS[:40],
                        FEMALE_CHARS[:40],
                        MALE_CHARS[:40],
                        FEMALE_CHARS[:40],
                    ],
                ),
                "id_number": f"s || {ID_CHECK}",
                "id_tail": f"right(s || {ID_CHECK}, 4)",
                "birth_date": "birth",
                "sex": "CASE WHEN mod(seq, 2) = 1 THEN 'M' ELSE 'F' END",
            },
            source=people,
            params=[total],
        )
        step(
            "memberships",
            Membership,
            {
                "id": f"{base[Membership]} + i",
                "household_id": f"{h} + i",
                "person_id": f"{p} + i",
                "relation": "'head'",
                "joined_on": "DATE '2015-01-01'",
            },
        )
        decided = "(starts - 20)"
        step(
            "applications",
            Application,
            {
                "id": f"{base[Application]} + i",
                "household_id": f"{h} + i",
                "scheme_id": str(dibao),
                "town_id": "town_id",
                "state": "'approved'",
                "decision": "'approved'",
                "town_opinion": "'recommend'",
                "received_on": f"{decided} - 40",
                "accepted_on": f"{decided} - 40",
                "decided_by_id": str(supervisor.pk),
                "decided_at": f"{decided}::timestamptz + interval '10 hours'",
                "decision_reasons": "'Income below the standard.'",
                "created_by_id": str(worker.pk),
            },
        )
        step(
            "grants",
            Grant,
            {
                "id": f"{base[Grant]} + i",
                "application_id": f"{base[Application]} + i",
                "household_id": f"{h} + i",
                "scheme_id": str(dibao),
                "town_id": "town_id",
                "state": "CASE kind WHEN 'suspended' THEN 'suspended' "
                "WHEN 'ended' THEN 'terminated' ELSE 'active' END",
                "starts_month": "starts",
                "ends_month": "CASE WHEN kind = 'ended' THEN DATE '2025-06-01' END",
            },
        )
        entry = {
            "grant_id": f"{base[Grant]} + i",
            "kind": "'approval'",
            "from_month": "starts",
            "amount": "(300 + mod(i * 37, 2500) + CASE WHEN mod(i, 2) = 0 THEN 0.5 ELSE 0 END)"
            "::numeric(14, 2)",
            "state": "'confirmed'",
            "proposed_by_id": str(worker.pk),
            "confirmed_by_id": str(supervisor.pk),
            "confirmed_at": "starts::timestamptz - interval '10 days'",
        }
        step("schedule: approval entries", ScheduleEntry, entry)
        # A standard change for one grant in five (the run takes the latest confirmed entry)
        # and a proposal waiting for confirmation for one in fifty (the run must not pay it).
        step(
            "schedule: standard change",
            ScheduleEntry,
            {
                **entry,
                "kind": "'standard_change'",
                "from_month": "DATE '2025-01-01'",
                "amount": f"({entry['amount']} + 55)::numeric(14, 2)",
            },
            source=f"{series} WHERE mod(i, 5) = 0",
        )
        step(
            "schedule: proposals",
            ScheduleEntry,
            {
                **entry,
                "kind": "'recalculation'",
                "from_month": "DATE '2025-06-01'",
                "amount": f"({entry['amount']} + 100)::numeric(14, 2)",
                "state": "'proposed'",
                "confirmed_by_id": "NULL",
                "confirmed_at": "NULL",
            },
            source=f"{series} WHERE mod(i, 50) = 3",
        )
        step(
            "suspensions",
            GrantSuspension,
            {
                "grant_id": f"{base[Grant]} + i",
                "from_month": "DATE '2025-06-01'",
                "reason": "'Moved away for work; re-check pending.'",
                "suspended_by_id": str(supervisor.pk),
            },
            source=f"{series} WHERE kind = 'suspended'",
        )
        account = {
            "grant_id": f"{base[Grant]} + i",
            "payee_id": f"{p} + i",
            "bank_name": "(ARRAY['中国工商银行东莞分行', '中国农业银行东莞分行', "
            "'中国建设银行东莞分行', '东莞农村商业银行'])[1 + mod(i, 4)]",
            "account_holder": f"(SELECT name FROM cases_person WHERE id = {p} + i)",
            "account_number": "'6222' || lpad(i::text, 15, '0')",
            "state": "'confirmed'",
            "reason": "'Account of the head of household.'",
            "proposed_by_id": str(worker.pk),
            "proposed_at": "starts::timestamptz - interval '15 days'",
            "confirmed_by_id": str(supervisor.pk),
            "confirmed_at": "starts::timestamptz - interval '14 days'",
        }
        step("payee accounts", PayeeAccount, account, source=f"{series} WHERE kind <> 'no_account'")
        # One grant in twenty changed its account once: the old one is superseded.
        step(
            "payee accounts: superseded",
            PayeeAccount,
            {
                **account,
                "account_number": "'6228' || lpad(i::text, 15, '0')",
                "state": "'superseded'",
                "proposed_at": "starts::timestamptz - interval '40 days'",
                "confirmed_at": "starts::timestamptz - interval '39 days'",
            },
            source=f"{series} WHERE mod(i, 20) = 0 AND kind <> 'no_account'",
        )
        for model in base:
            reset_sequence(model)
    seeded = time.monotonic() - started
    print(f"SEEDING: {total:,} grants in {seeded:.0f} s")
    started = time.monotonic()
    with connection.cursor() as cursor:
        for model in base:
            cursor.execute(f"VACUUM (ANALYZE) {model._meta.db_table}")
        cursor.execute("ANALYZE")
    print(f"vacuum + analyze: {time.monotonic() - started:.0f} s")


# --- one measured run ------------------------------------------------------------------------


def truncate_payments() -> None:
    """Only the payment tables a run writes (payee accounts, rules and layouts stay)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(PAYMENT_TABLES)} CASCADE")
        cursor.execute("VACUUM (ANALYZE) payments_paymentline, payments_batch")


class Users:
    def __init__(self):
        from django.contrib.auth import get_user_model

        users = get_user_model().objects.select_related("staff")
        self.city = users.get(username="supervisor")
        self.finance = users.get(username="finance")
        self._towns = {}
        self._users = users

    def town_supervisor(self, town):
        if town.pk not in self._towns:
            self._towns[town.pk] = self._users.get(username=f"supervisor-{town.slug}")
        return self._towns[town.pk]


def timed(figures: dict, key: str, function, *args, **kwargs):
    peak_reset()
    started = time.perf_counter()
    value = function(*args, **kwargs)
    figures[key] = time.perf_counter() - started
    figures[f"{key}_mb"] = peak_mb()
    return value


def approve_all(batches, users) -> None:
    from payments import batches as services

    for batch in batches:
        batch = services.batch_submit(actor=users.city, batch=batch)
        services.batch_approve(actor=users.town_supervisor(batch.town), batch=batch)


def export_all(batches, users, directory: Path) -> tuple[int, list[tuple[object, Path]]]:
    from payments.bankfiles import bank_file_export

    rows, files = 0, []
    for batch in batches:
        name, chunks, bank_file = bank_file_export(actor=users.finance, batch=batch, fmt="csv")
        path = directory / name
        with open(path, "wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
        rows += bank_file.rows
        files.append((batch, path))
    return rows, files


def send_all(batches, users) -> None:
    from payments import batches as services

    for batch in batches:
        services.batch_send(actor=users.finance, batch=batch)


def return_files(files, directory: Path) -> list[tuple[object, Path]]:
    """The bank's answers: each exported row with 状态 成功, one in FAIL_EVERY 失败."""
    answers, n = [], 0
    for batch, path in files:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
        out = io.StringIO(newline="")
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow([*rows[0], "状态", "失败原因"])
        for row in rows[1:-1]:
            n += 1
            failed = n % FAIL_EVERY == 0
            writer.writerow([*row, "失败" if failed else "成功", "账户已冻结" if failed else ""])
        writer.writerow([*rows[-1], "", ""])
        answer = directory / f"return-{path.name}"
        answer.write_bytes(out.getvalue().encode("utf-8-sig"))
        answers.append((batch, answer))
    return answers


def import_all(answers, users) -> tuple[int, int]:
    from payments.returns import bank_return_import

    paid = failed = 0
    for batch, path in answers:
        result = bank_return_import(
            actor=users.finance, batch=batch, file_name=path.name, content=path.read_bytes()
        )
        if not result.ok:
            raise SystemExit(f"return of batch #{batch.pk} rejected: {result.report.errors[:5]}")
        paid += result.paid_rows
        failed += result.failed_rows
    return paid, failed


def apply_settings(settings: list[str], auto_explain: int | None = None) -> None:
    """PostgreSQL settings (NAME=VALUE) for every connection of this process (--pg-set); with
    `auto_explain` (ms), the plan of every statement that takes longer, with its actual rows,
    printed to stderr (--auto-explain)."""
    from django.db.backends.signals import connection_created

    def show(notice):
        print(notice.message_primary, file=sys.stderr, flush=True)

    def set_them(sender, connection, **kwargs):
        with connection.cursor() as cursor:
            for setting in settings:
                name, value = setting.split("=", 1)
                cursor.execute("SELECT set_config(%s, %s, false)", [name, value])
            if auto_explain is not None:
                cursor.execute("LOAD 'auto_explain'")
                cursor.execute(f"SET auto_explain.log_min_duration = {int(auto_explain)}")
                cursor.execute("SET auto_explain.log_analyze = on")
                cursor.execute("SET auto_explain.log_timing = off")
                cursor.execute("SET client_min_messages = log")
                connection.connection.add_notice_handler(show)

    if settings or auto_explain is not None:
        connection_created.connect(set_them, weak=False)
        from django.db import connection

        if connection.connection is not None:
            set_them(None, connection)


def child_run(run_id: int, town_ids: list[int]) -> None:
    """--child: the body of the payments.payment_run_town task (payments.runs.payment_run_town)
    for each of these towns of the run, in turn: one worker of --parallel."""
    from cases.models import Town
    from payments.models import PaymentRun
    from payments.runs import payment_run_town

    run = PaymentRun.objects.get(pk=run_id)
    for town in Town.objects.filter(pk__in=town_ids).order_by("code"):
        started = time.perf_counter()
        result = payment_run_town(run=run, town=town)
        print(
            f"    worker {os.getpid()} {town.slug:<14} {result.new_lines:>7,} lines "
            f"{time.perf_counter() - started:7.1f} s",
            file=sys.stderr,
            flush=True,
        )


def parallel_run(period: datetime.date, workers: int, passed: list[str]):
    """The run as the scheduler carries it out (payments.tasks.monthly_run): recorded once
    (payment_run_start), then its towns shared among `workers` processes, as that many Celery
    worker processes take the queued payment_run_town tasks (largest towns first); the town
    that completes the run records its result. Returns that result (a RunResult)."""
    import subprocess

    from django.db.models import Count

    from cases.models import Town
    from payments.models import PaymentRun
    from payments.runs import payment_run_start, run_result, run_towns

    run = payment_run_start(period=period)
    sizes = dict(Town.objects.annotate(n=Count("grants")).values_list("pk", "n"))
    towns = sorted(run_towns(run), key=lambda town: (-sizes[town.pk], town.code))
    shares = [towns[index::workers] for index in range(workers)]
    children = [
        subprocess.Popen(
            [sys.executable, __file__, *passed, "--child", str(run.pk)]
            + [str(town.pk) for town in share]
        )
        for share in shares
    ]
    for child in children:
        if child.wait():
            raise SystemExit(f"a --child failed ({child.returncode})")
    run.refresh_from_db()
    if run.state != PaymentRun.State.COMPLETE:
        raise SystemExit(f"run #{run.pk} is {run.state}: {run.message}")
    return run_result(run)


def measure_once(period: datetime.date, users, number: int, parallel: int, passed) -> dict:
    from payments.models import Batch
    from payments.runs import payment_run

    truncate_payments()
    figures: dict = {}
    print(f"run {number}: load average {load()}")
    if parallel > 1:
        result = timed(figures, "run", parallel_run, period, parallel, passed)
    else:
        last = [time.perf_counter()]

        def progress(index, total, town_result):
            now = time.perf_counter()
            print(
                f"run {number}    town {index:2d}/{total} {town_result.town.slug:<14} "
                f"{town_result.new_lines:>7,} lines {now - last[0]:7.1f} s"
            )
            last[0] = now

        result = timed(figures, "run", payment_run, period=period, progress=progress)
    print(
        f"run {number}  payment_run            {figures['run']:7.1f} s  {result.new_lines:,} lines"
        f" in {result.batches} batches, {result.total_amount} yuan"
        f"  (peak {figures['run_mb']:.0f} MB)"
    )
    batches = list(Batch.objects.filter(period=period).select_related("town").order_by("id"))
    timed(figures, "approve", approve_all, batches, users)
    batches = list(Batch.objects.filter(pk__in=[b.pk for b in batches]).select_related("town"))
    with tempfile.TemporaryDirectory(prefix="relief-bench-pay-") as tmp:
        directory = Path(tmp)
        rows, files = timed(figures, "export", export_all, batches, users, directory)
        size = sum(path.stat().st_size for _b, path in files)
        print(
            f"run {number}  CSV export              {figures['export']:7.1f} s  {rows:,} rows, "
            f"{size / 1e6:.0f} MB in {len(files)} files  (peak {figures['export_mb']:.0f} MB)"
        )
        timed(figures, "send", send_all, batches, users)
        answers = timed(figures, "generate", return_files, files, directory)
        paid, failed = timed(figures, "import", import_all, answers, users)
        print(
            f"run {number}  return import           {figures['import']:7.1f} s  {paid:,} paid, "
            f"{failed:,} failed  (peak {figures['import_mb']:.0f} MB; files generated in "
            f"{figures['generate']:.1f} s, not counted)"
        )
    print(
        f"run {number}  submit + approve {figures['approve']:.1f} s, send {figures['send']:.1f} s;"
        f" load average {load()}"
    )
    return figures


# --- the per-grant ORM loop ------------------------------------------------------------------


def naive_run(*, period: datetime.date, town) -> int:
    """What the run would be as a loop over grants: one grant at a time, its amount by
    confirmed_amount(), its confirmed account, one INSERT per line; then the batch's rows and
    totals. Same result as payment_run for these grants (no back-pay, deductions or reissues)."""
    from django.db import transaction
    from django.db.models import Sum
    from django.utils import timezone

    from cases.grants import confirmed_amount
    from cases.models import Grant, Scheme
    from payments.models import Batch, PayeeAccount, PaymentLine

    written = 0
    with transaction.atomic():
        batch = Batch.objects.create(
            kind=Batch.Kind.MONTHLY, town=town, period=period, business_date=timezone.localdate()
        )
        grants = (
            Grant.objects.filter(town=town)
            .exclude(scheme__kind=Scheme.Kind.TEMPORARY)
            .order_by("id")
        )
        for grant in grants.iterator(chunk_size=2000):
            if PaymentLine.objects.filter(
                grant=grant, period=period, kind=PaymentLine.Kind.REGULAR
            ).exists():
                continue
            amount = confirmed_amount(grant=grant, month=period)
            if amount <= 0:
                continue
            account = PayeeAccount.objects.filter(
                grant=grant, state=PayeeAccount.State.CONFIRMED
            ).first()
            if account is None:
                continue
            written += 1
            PaymentLine.objects.create(
                batch=batch,
                grant=grant,
                period=period,
                kind=PaymentLine.Kind.REGULAR,
                amount=amount,
                seq=written,
                payee_id=account.payee_id,
                account=account,
                bank_name=account.bank_name,
                account_holder=account.account_holder,
                account_number=account.account_number,
            )
        batch.line_count = written
        batch.total_amount = batch.lines.aggregate(total=Sum("amount"))["total"] or 0
        batch.save()
    return written


def compare(period: datetime.date, town, runs: int) -> dict:
    from payments.runs import payment_run

    figures: dict[str, list[float]] = {"set": [], "naive": []}
    for number in range(1, runs + 1):
        truncate_payments()
        started = time.perf_counter()
        result = payment_run(period=period, town=town)
        figures["set"].append(time.perf_counter() - started)
        truncate_payments()
        started = time.perf_counter()
        written = naive_run(period=period, town=town)
        figures["naive"].append(time.perf_counter() - started)
        if written != result.new_lines:
            raise SystemExit(f"the loop wrote {written} lines, payment_run {result.new_lines}")
        print(
            f"compare {number}  {town.slug}: payment_run {figures['set'][-1]:6.2f} s, "
            f"per-grant loop {figures['naive'][-1]:6.2f} s ({written:,} lines); "
            f"load average {load()}"
        )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--grants", type=int, default=1_000_000, help="paying grants")
    parser.add_argument("--reseed", action="store_true", help="drop the database and seed again")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--period", help="YYYY-MM (default: next month; 2025-07 or later)")
    parser.add_argument("--naive-town", default="chashan", help="slug of the comparison town")
    parser.add_argument("--naive-grants", type=int, default=10_000)
    parser.add_argument("--skip-compare", action="store_true", help="no per-grant loop")
    parser.add_argument("--only-compare", action="store_true", help="only the per-grant loop")
    parser.add_argument(
        "--pg-set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a PostgreSQL setting for the benchmark's connections, e.g. jit=off (repeatable)",
    )
    parser.add_argument(
        "--parallel",
        type=int,
        default=os.cpu_count() or 1,
        metavar="N",
        help="the run's towns in N processes, as N Celery worker processes take the per-town "
        "tasks (default: one per CPU, Celery's default); 1: town after town in this process",
    )
    parser.add_argument(
        "--auto-explain",
        type=int,
        metavar="MS",
        help="print the plan (with actual rows) of every statement slower than MS to stderr",
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()

    import django

    if args.child:
        django.setup()
        apply_settings(args.pg_set, args.auto_explain)
        child_run(int(args.child[0]), [int(t) for t in args.child[1:]])
        return
    ensure_database(os.environ["DATABASE_URL"], reseed=args.reseed)
    django.setup()
    apply_settings(args.pg_set, args.auto_explain)
    from django.core.management import call_command
    from django.utils import timezone

    from cases.models import Town
    from relief.dates import add_months

    if args.period:
        period = datetime.date.fromisoformat(f"{args.period}-01")
    else:
        period = add_months(timezone.localdate().replace(day=1), 1)
    if period < EARLIEST_PERIOD:
        sys.exit(f"--period: the seed's grants are in their final shape from {EARLIEST_PERIOD}.")

    call_command("migrate", verbosity=0)
    seed(grants=args.grants, naive_town=args.naive_town, naive_grants=args.naive_grants)
    town = Town.objects.get(slug=args.naive_town)
    users = Users()
    print(f"\nperiod {period:%Y-%m}; {args.runs} runs; load average {load()}")
    print(f"PostgreSQL: {server_settings()}\n")

    passed = [f"--pg-set={setting}" for setting in args.pg_set]
    if args.auto_explain is not None:
        passed.append(f"--auto-explain={args.auto_explain}")
    if args.pg_set:
        print(f"PostgreSQL settings: {', '.join(args.pg_set)}")
    if args.parallel > 1:
        print(f"the run's towns in {args.parallel} worker processes (--parallel)")

    runs = [
        measure_once(period, users, number, args.parallel, passed)
        for number in range(1, (0 if args.only_compare else args.runs) + 1)
    ]
    compared = None if args.skip_compare else compare(period, town, args.runs)
    own, children = process_peaks()

    def median(key):
        return statistics.median(run[key] for run in runs)

    print(f"\nload average at the end: {load()}")
    print(f"Median of {args.runs} runs, {args.grants:,} paying grants, period {period:%Y-%m}:")
    if not runs:
        print("(--only-compare)")
        runs = [dict.fromkeys(["run", "export", "import", "approve", "send", "generate"], 0.0)]
        runs[0].update(run_mb=0.0, export_mb=0.0, import_mb=0.0)
    print(f"{'step':<34} {'seconds':>8} {'target':>8} {'peak MB':>8}")
    for key, label in (
        ("run", "payment_run, every town"),
        ("export", "CSV bank files, every batch"),
        ("import", "return import, every batch"),
    ):
        flag = "ok" if median(key) <= TARGETS[key] else "MISSED"
        print(
            f"{label:<34} {median(key):8.1f} {f'<= {TARGETS[key]:.0f}':>8} "
            f"{median(key + '_mb'):8.0f}  {flag}"
        )
    for key, label in (
        ("approve", "submit + approve every batch"),
        ("send", "mark every batch sent"),
        ("generate", "generating the return files"),
    ):
        print(f"{label:<34} {median(key):8.1f}")
    flag = "ok" if max(own, children) <= TARGET_MB else "MISSED"
    print(
        f"peak memory of the process (ru_maxrss): {own:.0f} MB, children {children:.0f} MB  {flag}"
    )
    if compared:
        naive, fast = statistics.median(compared["naive"]), statistics.median(compared["set"])
        print(
            f"{args.naive_town} ({args.naive_grants:,} paying grants): per-grant ORM loop "
            f"{naive:.2f} s, payment_run {fast:.2f} s: {naive / fast:.0f} times faster"
        )


if __name__ == "__main__":
    main()
