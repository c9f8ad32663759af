#!/usr/bin/env python
"""Registry search benchmark: household search over 1,000,000 households.

Run by hand; it prints figures and asserts nothing about time:

    .venv/bin/python bench/registry_search.py [--households 1000000] [--reseed] [--explain]

1. Creates the PostgreSQL database of DATABASE_URL if it is missing (default
   postgres://postgres@127.0.0.1:5432/relief_bench) and migrates it.
2. Seeds the demo households with `seed_demo` unless they are there already (`--reseed` drops
   and recreates the database first) and prints the seeding wall time.
3. Through the API (`GET /api/v1/households/?search=<term>`, a whole ID number POSTed to
   `/api/v1/households/search/`; DRF's APIClient with
   force_authenticate) as a city supervisor and as a town case worker, times searches by full
   ID number, by a two-character name prefix (surname + first given-name character) and by full
   name: `--searches` of each kind per run, terms drawn at random (seeded) from the people the
   user can see. Each request is a full page: the paginator's COUNT plus 50 rows with members.
4. Prints p50/p95 per kind and role for each of `--runs` runs, then the median of the p50s and
   of the p95s. Target: p95 <= 50 ms.
5. Also times the watch-outs: the unfiltered list (COUNT over every household in scope) and a
   one-character prefix (a common surname: a COUNT over a large share of the registry).

`--explain` prints EXPLAIN (ANALYZE, BUFFERS) of every query of one request per kind and role.
`--via selector` times cases.selectors.household_list evaluated like a page instead of the API.
"""

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchdb import ensure_database  # noqa: E402 (bench/ is the script's own folder)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/relief_bench"
os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# The test client talks to "testserver" over plain HTTP; DEBUG stays off (no query log).
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")

PAGE_SIZE = 50
KINDS = ("id_number", "name_prefix", "full_name")
TARGET_P95_MS = 50.0


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, round(pct / 100 * len(ordered) + 0.5 - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


def seed(households: int) -> None:
    from django.core.management import call_command
    from django.db import connection

    from cases.models import Household

    present = Household.objects.filter(import_ref__startswith="demo-").count()
    if present >= households:
        print(f"{present} demo households present: seeding skipped (--reseed to start over)")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        return
    print(f"{present} demo households present: seeding up to {households}")
    started = time.monotonic()
    call_command("seed_demo", households=households)
    seeded = time.monotonic() - started
    print(f"SEEDING: {households - present} households in {seeded:.0f} s ({seeded / 60:.1f} min)")
    started = time.monotonic()
    with connection.cursor() as cursor:
        # What autovacuum would do shortly anyway: statistics and the visibility map.
        cursor.execute("VACUUM (ANALYZE) cases_household, cases_person, cases_membership")
        cursor.execute("ANALYZE")
    print(f"vacuum + analyze: {time.monotonic() - started:.0f} s")


def sample_terms(user, rng: random.Random, count: int) -> dict[str, list[str]]:
    """Search terms from people in households the user may see."""
    from cases import selectors
    from cases.models import Membership

    households = selectors.households_in_scope(user)
    in_scope = households.count()
    pool = None
    if in_scope <= 200_000:  # a town's households: draw from the list
        pool = list(households.order_by("id").values_list("id", flat=True))
    else:  # the city's: draw ids from the range, keep the ones that exist
        ordered = households.order_by("id").values_list("id", flat=True)
        low, high = ordered.first(), ordered.last()
    people = []
    seen = set()
    while len(people) < count:
        if pool is not None:
            ids = rng.sample(pool, min(len(pool), count * 2))
        else:
            ids = [rng.randint(low, high) for _ in range(count * 2)]
        rows = (
            Membership.objects.filter(household__in=households.filter(id__in=ids))
            .select_related("person")
            .order_by("household_id", "id")
        )
        by_household: dict[int, list] = {}
        for membership in rows:
            by_household.setdefault(membership.household_id, []).append(membership.person)
        for household_id in sorted(by_household):
            if household_id not in seen and len(people) < count:
                seen.add(household_id)
                people.append((household_id, rng.choice(by_household[household_id])))
    rng.shuffle(people)
    return {
        "id_number": [person.id_number for _h, person in people],
        "name_prefix": [person.name[:2] for _h, person in people],
        "full_name": [person.name for _h, person in people],
        "_households": [household_id for household_id, _p in people],
    }


class Api:
    """GET /api/v1/households/?search=... as the user; a whole ID number is POSTed to
    /api/v1/households/search/ (the GET refuses it: URLs are kept in access logs)."""

    def __init__(self, user):
        from rest_framework.test import APIClient

        self.client = APIClient()
        self.client.force_authenticate(user=user)

    def search(self, term: str | None) -> dict:
        params = {} if term is None else {"search": term}
        from cases.idnumbers import may_hold_id_number

        if term and may_hold_id_number(term):
            response = self.client.post("/api/v1/households/search/", params, format="json")
        else:
            response = self.client.get("/api/v1/households/", params)
        if response.status_code != 200:
            raise SystemExit(f"GET /api/v1/households/ {params}: {response.status_code}")
        return response.json()


class Selector:
    """cases.selectors.household_list evaluated like one page: COUNT plus the first 50 rows."""

    def __init__(self, user):
        self.user = user

    def search(self, term: str | None) -> dict:
        from cases import selectors

        households = selectors.household_list(user=self.user, search=term or "")
        count = households.count()
        rows = list(households[:PAGE_SIZE])
        return {
            "count": count,
            "results": [
                {"id": h.pk, "members": [m.person.name for m in h.current_memberships]}
                for h in rows
            ],
        }


def timed(client, terms: list[str | None]) -> tuple[list[float], list[dict]]:
    times, bodies = [], []
    for term in terms:
        started = time.perf_counter()
        body = client.search(term)
        times.append((time.perf_counter() - started) * 1000)
        bodies.append(body)
    return times, bodies


def check(kind: str, terms: dict, bodies: list[dict]) -> None:
    """A search that finds nothing would time the wrong thing: every term names someone."""
    for term, household_id, body in zip(terms[kind], terms["_households"], bodies, strict=True):
        if body["count"] < 1:
            raise SystemExit(f"search {term!r} ({kind}) found nothing")
        if kind == "id_number" and [r["id"] for r in body["results"]] != [household_id]:
            raise SystemExit(f"search by ID number {term} did not find household {household_id}")


def explain(user, terms: dict, via) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = via(user)
    for kind in (*KINDS, "unfiltered"):
        term = None if kind == "unfiltered" else terms[kind][0]
        with CaptureQueriesContext(connection) as queries:
            client.search(term)
        print(f"\n=== {user.username} {kind} {term!r}: {len(queries)} queries")
        for query in queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            print(f"\n--- {sql[:300]}{' ...' if len(sql) > 300 else ''}")
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                for (line,) in cursor.fetchall():
                    print("   ", line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--reseed", action="store_true", help="drop the database and seed again")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--searches", type=int, default=100, help="per kind, role and run")
    parser.add_argument("--watch-outs", type=int, default=10, help="unfiltered / 1-char requests")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--town", default="chashan", help="the case worker's town slug")
    parser.add_argument("--via", choices=("api", "selector"), default="api")
    parser.add_argument("--explain", action="store_true")
    parser.add_argument(
        "--no-migrate", action="store_true", help="leave the schema as it is (to compare indexes)"
    )
    args = parser.parse_args()

    ensure_database(os.environ["DATABASE_URL"], reseed=args.reseed)
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    if not args.no_migrate:
        call_command("migrate", verbosity=0)
    seed(args.households)

    users = get_user_model().objects.select_related("staff")
    roles = {
        "city supervisor": users.get(username="supervisor"),
        f"case worker ({args.town})": users.get(username=f"worker-{args.town}"),
    }
    via = Api if args.via == "api" else Selector
    print(f"\nvia {args.via}; {args.runs} runs x {args.searches} searches per kind and role\n")

    if args.explain:
        for user in roles.values():
            explain(user, sample_terms(user, random.Random(args.seed), 1), via)
        return

    results: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for run in range(args.runs):
        print(f"run {run + 1}: load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        for role, user in roles.items():
            rng = random.Random(f"{args.seed}:{run}:{role}")
            terms = sample_terms(user, rng, args.searches)
            client = via(user)
            timed(client, terms["full_name"][:5])  # warm the connection and the code paths
            for kind in KINDS:
                times, bodies = timed(client, terms[kind])
                check(kind, terms, bodies)
                p50, p95 = percentile(times, 50), percentile(times, 95)
                results.setdefault((role, kind), []).append((p50, p95))
                hits = statistics.median(body["count"] for body in bodies)
                print(
                    f"run {run + 1}  {role:<22} {kind:<12} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms"
                    f"  (median count {hits:g})"
                )
            surnames = [name[0] for name in terms["full_name"][: args.watch_outs]]
            for label, watch_terms in (
                ("unfiltered", [None] * args.watch_outs),
                ("1-char", surnames),
            ):
                times, bodies = timed(client, watch_terms)
                results.setdefault((role, label), []).append(
                    (percentile(times, 50), percentile(times, 95))
                )
                print(
                    f"run {run + 1}  {role:<22} {label:<12} p50 {percentile(times, 50):6.1f} ms"
                    f"  p95 {percentile(times, 95):6.1f} ms"
                    f"  (median count {statistics.median(b['count'] for b in bodies):g})"
                )

    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"\nMedian over {args.runs} runs (target p95 <= {TARGET_P95_MS:.0f} ms for searches):")
    print(f"{'role':<24} {'kind':<12} {'p50 ms':>8} {'p95 ms':>8}")
    for (role, kind), figures in results.items():
        p50 = statistics.median(f[0] for f in figures)
        p95 = statistics.median(f[1] for f in figures)
        flag = "" if kind not in KINDS else ("  ok" if p95 <= TARGET_P95_MS else "  OVER")
        print(f"{role:<24} {kind:<12} {p50:8.1f} {p95:8.1f}{flag}")


if __name__ == "__main__":
    main()
