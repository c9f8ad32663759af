"""The monthly check's rules: each finding kind as SQL over the registry
records and the evidence tables, for one town and one period, with no per-household Python.

Every query starts from the same base (`BASE`): the town's households with a live grant
(`hh`), their co-resident members (`member`) and those members' records of the period (`rec`),
computed once per town check into temporary tables (`base_tables`), so that a rule reads only
its town's rows, whatever the size of the city.

A rule query returns only the households or people it flags (a few per cent); the records behind
each flagged one are then read in one query per kind, to build the finding's subject, figures,
fingerprint and evidence changes (audit.registry_evidence). The fingerprint is a digest of the
records' data without ids or period, so that the same data delivered again (a later month, a
replacing file) gives the same fingerprint, and a dismissed finding stays dismissed.

The SQL is portable (PostgreSQL and SQLite): sums of amounts are compared in whole fen, so that
exactly 24 × the standard is not over the limit on either backend.
"""

import datetime
import functools
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import Q

from cases.calculation.loading import scheme_rule, standard_for
from cases.models import (
    Application,
    Grant,
    IncomeLine,
    Membership,
    Scheme,
    Town,
)
from relief.dates import first_of_month

from .amounts import Change
from .models import Extract, Finding, MatchingRule, RegistryRecord, Source
from .registry_evidence import FINANCIAL, changes_for, effective_date

Kind = Finding.Kind
T = {
    "grant": Grant._meta.db_table,
    "scheme": Scheme._meta.db_table,
    "membership": Membership._meta.db_table,
    "record": RegistryRecord._meta.db_table,
    "extract": Extract._meta.db_table,
    "source": Source._meta.db_table,
    "income": IncomeLine._meta.db_table,
    "application": Application._meta.db_table,
    "covered": Application.covered_members.through._meta.db_table,
}

# A grant is live in the period when active, started and not ended (dibao and tekun only:
# temporary assistance has no monthly amount to reconcile).
LIVE = """
    g.state = 'active' AND s.kind IN ('dibao', 'tekun')
    AND g.starts_month <= %(period)s AND (g.ends_month IS NULL OR g.ends_month >= %(period)s)
"""
CORESIDENT = "m.joined_on <= %(period)s AND (m.left_on IS NULL OR m.left_on > %(period)s)"

# The town's base, computed once per town check into temporary tables (`base_tables`):
# - `hh`: the households with a live dibao or tekun grant (active, started, not ended), each with
#   its first live grant (the grant a finding's months follow), that grant's scheme and how many
#   live grants the household has;
# - `member`: those households' co-resident members on the period's first day;
# - `rec`: the records of the period's imported (live) extracts for those members.
BASE_TABLES = {
    "audit_check_hh": f"""
        SELECT household_id, grant_id, scheme_id, live_grants
        FROM (SELECT g.household_id, g.id AS grant_id, g.scheme_id,
                     ROW_NUMBER() OVER (PARTITION BY g.household_id ORDER BY g.id) AS n,
                     COUNT(*) OVER (PARTITION BY g.household_id) AS live_grants
              FROM {T["grant"]} g JOIN {T["scheme"]} s ON s.id = g.scheme_id
              WHERE g.town_id = %(town)s AND {LIVE}) live
        WHERE n = 1
    """,
    "audit_check_member": f"""
        SELECT m.household_id, m.person_id
        FROM {T["membership"]} m JOIN audit_check_hh hh ON hh.household_id = m.household_id
        WHERE {CORESIDENT}
    """,
    "audit_check_rec": f"""
        SELECT r.person_id, r.authorised, r.category, r.status, r.amount, r.on_date, r.region,
               member.household_id, src.code AS source_code
        FROM audit_check_member member
        JOIN {T["record"]} r ON r.person_id = member.person_id AND r.period = %(period)s
        JOIN {T["source"]} src ON src.id = r.source_id
        WHERE r.extract_id IN ({{extracts}})
    """,
    # One pass over the town's authorised records for the four household rules: per household,
    # the financial assets and the counts the scheme rules limit.
    "audit_check_totals": """
        SELECT household_id,
               SUM(CASE WHEN source_code IN ({financial}) THEN amount ELSE 0 END) AS assets,
               SUM(CASE WHEN source_code = 'property' AND category = '住宅' THEN 1 ELSE 0 END)
                 AS residential,
               SUM(CASE WHEN source_code = 'property' AND category = '非住宅' THEN 1 ELSE 0 END)
                 AS non_residential,
               SUM(CASE WHEN source_code = 'vehicles' AND {not_exempt} THEN 1 ELSE 0 END)
                 AS vehicles,
               SUM(CASE WHEN source_code = 'business' AND status = '存续' THEN 1 ELSE 0 END)
                 AS businesses
        FROM audit_check_rec
        WHERE authorised = %(yes)s
        GROUP BY household_id
    """,
}
# What every rule's query starts from: the base tables under short names.
BASE = """
WITH hh AS (SELECT household_id, grant_id FROM audit_check_hh),
hh_scheme AS (SELECT household_id, grant_id, scheme_id FROM audit_check_hh),
member AS (SELECT household_id, person_id FROM audit_check_member),
rec AS (SELECT * FROM audit_check_rec),
totals AS (SELECT * FROM audit_check_totals)
"""


@contextmanager
def base_tables(ctx: "Context"):
    """The town's base tables for the rules run inside the block, dropped after it. Computed
    once, they spare each rule (ten of them, some per scheme) the joins of grants, memberships
    and the period's records."""
    # The period's live extracts (one per source at most) as a list, not a join: the records
    # are then read through their (person, period) index for the town's members only, never
    # by scanning the whole city's month.
    extracts = ", ".join(str(pk) for pk in ctx.live_extracts) or "NULL"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # For the town check's transaction: index look-ups priced as on a server whose data
            # is in memory or on SSD (the default, 4, prices them for spinning disks), so that
            # a town's rows are read through the indexes instead of a scan of the whole city;
            # and no JIT, which costs more than it saves on these statements.
            cursor.execute("SET LOCAL random_page_cost = 1.1")
            cursor.execute("SET LOCAL jit = off")
            # The base tables' statistics need only sizes and rough distinct counts (for join
            # and grouping plans): a sample of 3,000 rows instead of 30,000.
            cursor.execute("SET LOCAL default_statistics_target = 10")
        not_exempt, exempt_params = _not_exempt(ctx)
        params = {**ctx.params(), **exempt_params}
        for name, sql in BASE_TABLES.items():
            cursor.execute(f"DROP TABLE IF EXISTS {name}")
            sql = (
                sql.replace("{extracts}", extracts)
                .replace("{financial}", ", ".join(f"'{code}'" for code in FINANCIAL))
                .replace("{not_exempt}", not_exempt)
            )
            cursor.execute(f"CREATE TEMPORARY TABLE {name} AS {sql}", params)
            if connection.vendor == "postgresql":
                cursor.execute(f"ANALYZE {name}")  # temporary tables are never auto-analysed
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for name in reversed(BASE_TABLES):
                cursor.execute(f"DROP TABLE IF EXISTS {name}")


@dataclass
class Candidate:
    """A finding the rules raise this run, before it is reconciled with the stored ones."""

    kind: str
    subject: str
    town_id: int
    household_id: int | None = None
    person_id: int | None = None
    grant_id: int | None = None
    record: RegistryRecord | None = None
    effective_month: datetime.date | None = None
    figures: dict = field(default_factory=dict)
    fingerprint: str = ""
    changes: list[Change] = field(default_factory=list)
    # Set by audit/check.py: the months table and its totals.
    months: list[dict] = field(default_factory=list)
    overpaid: Decimal = Decimal("0.00")
    underpaid: Decimal = Decimal("0.00")
    difference_total: Decimal = Decimal("0.00")

    @property
    def affects_money(self) -> bool:
        return self.kind not in (Kind.NO_AUTHORISATION, Kind.NOT_ENROLLED)


@dataclass
class Context:
    """What every rule of one town's check reads."""

    period: datetime.date
    town: Town
    rule: MatchingRule

    def params(self, **extra) -> dict:
        return {"period": self.period, "town": self.town.pk, "yes": True, **extra}

    @functools.cached_property
    def live_extracts(self) -> list[int]:
        """The period's imported extracts (one per source at most): the records the rules
        read, named by id so that no query joins the extracts."""
        return list(
            Extract.objects.filter(period=self.period, state=Extract.State.IMPORTED).values_list(
                "pk", flat=True
            )
        )


def matching_rule(period: datetime.date) -> MatchingRule:
    """The matching rule in force on the period's first day (the defaults when none is)."""
    rule = (
        MatchingRule.objects.filter(effective_from__lte=period)
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=period))
        .order_by("-effective_from")
        .first()
    )
    return rule or MatchingRule(effective_from=period)


def fetch(sql: str, params: dict) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def fen(column: str) -> str:
    return f"ROUND(({column}) * 100)"


def digest(data) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def record_data(record: RegistryRecord) -> list:
    """A record's data, without its ids and period: what a fingerprint is made of."""
    return [
        record.source.code,
        record.person_id,
        record.institution,
        record.reference,
        record.category,
        record.role,
        record.status,
        f"{record.amount:.2f}" if record.amount is not None else "",
        record.on_date.isoformat() if record.on_date else "",
        record.from_month.isoformat() if record.from_month else "",
        record.region,
        record.size,
        record.authorised,
    ]


def fingerprint(records: Iterable[RegistryRecord], extra=None) -> str:
    return digest({"records": sorted(record_data(r) for r in records), "extra": extra})


def money(value) -> str:
    return f"{Decimal(value or 0):.2f}"


# --- the records behind flagged households ------------------------------------------------------


def households_records(
    ctx: Context, household_ids: Iterable[int], codes: Iterable[str], authorised: bool = True
) -> dict[int, list[RegistryRecord]]:
    """{household id: its co-resident members' records of the sources}, in one query."""
    household_ids = list(household_ids)
    if not household_ids:
        return {}
    members = Membership.objects.filter(
        household_id__in=household_ids, joined_on__lte=ctx.period
    ).filter(Q(left_on__isnull=True) | Q(left_on__gt=ctx.period))
    household_of = dict(members.values_list("person_id", "household_id"))
    records = RegistryRecord.objects.filter(
        period=ctx.period,
        extract_id__in=ctx.live_extracts,
        source__code__in=list(codes),
        person_id__in=list(household_of),
        authorised=authorised,
    ).order_by("id")
    sources = Source.objects.in_bulk()  # ten rows, not one per record as a join would make
    grouped: dict[int, list[RegistryRecord]] = defaultdict(list)
    for record in records:
        record.source = sources[record.source_id]
        grouped[household_of[record.person_id]].append(record)
    return grouped


def household_candidate(
    ctx, kind, household_id, grant_id, records, figures, household_of=None
) -> Candidate:
    household_of = household_of or {r.person_id: household_id for r in records}
    changes = changes_for(
        records, household_of=household_of, exempt_vehicle_types=ctx.rule.exempt_vehicle_types
    )
    dates = [effective_date(r) for r in records]
    return Candidate(
        kind=kind,
        subject=f"household:{household_id}",
        town_id=ctx.town.pk,
        household_id=household_id,
        grant_id=grant_id,
        record=records[0] if records else None,
        effective_month=first_of_month(min(dates)) if dates else ctx.period,
        figures=figures,
        fingerprint=fingerprint(records),
        changes=changes,
    )


# --- the household asset rules ------------------------------------------------------------------


def _schemes_in_town(ctx: Context) -> list[Scheme]:
    """The schemes of the households' first live grants (what the rules join on), read from
    the town's base table, not from the grants again."""
    ids = [row[0] for row in fetch("SELECT DISTINCT scheme_id FROM audit_check_hh", {})]
    return list(Scheme.objects.filter(pk__in=ids))


def assets_over_limit(ctx: Context) -> list[Candidate]:
    """Co-resident members' financial assets (deposits + securities + insurance) above the
    scheme rule's months (24) × the town's standard × the co-resident members; exactly the limit
    is not over. The standard is the one the calculation uses (the town's row, else the city's;
    tekun measured against dibao's)."""
    candidates = []
    for scheme in _schemes_in_town(ctx):
        try:
            standard = standard_for(scheme=scheme, town=ctx.town, on=ctx.period).monthly_amount
            months = scheme_rule(scheme=scheme, on=ctx.period).financial_asset_months
        except Exception:  # no rule or standard: the calculation reports it, not the check
            continue
        if months is None:
            continue
        per_member = months * standard
        sql = (
            BASE
            + f"""
            SELECT t.household_id, hs.grant_id, t.assets, n.members
            FROM totals t
            JOIN hh_scheme hs ON hs.household_id = t.household_id AND hs.scheme_id = %(scheme)s
            JOIN (SELECT household_id, COUNT(*) AS members FROM member GROUP BY household_id) n
              ON n.household_id = t.household_id
            WHERE t.assets > 0
              AND {fen("t.assets")} > {fen("CAST(%(per_member)s AS NUMERIC) * n.members")}
            ORDER BY t.household_id
            """
        )
        rows = fetch(sql, ctx.params(scheme=scheme.pk, per_member=per_member))
        records = households_records(ctx, (row[0] for row in rows), FINANCIAL)
        for household_id, grant_id, total, members in rows:
            figures = {
                "assets": money(total),
                "limit": money(per_member * members),
                "members": members,
                "standard": money(standard),
                "months": str(months),
            }
            candidates.append(
                household_candidate(
                    ctx,
                    Kind.ASSETS_OVER_LIMIT,
                    household_id,
                    grant_id,
                    records[household_id],
                    figures,
                )
            )
    return candidates


def _count_rule(ctx, kind, codes, limits: dict[str, str]):
    """A household rule on the town's record counts (the `totals` base table): flagged when any
    count is above its scheme-rule maximum. `limits` {count column: SchemeRule field}."""
    candidates = []
    for scheme in _schemes_in_town(ctx):
        try:
            rule = scheme_rule(scheme=scheme, on=ctx.period)
        except Exception:
            continue
        maxima = {name: getattr(rule, attr) for name, attr in limits.items()}
        selects = ", ".join(f"t.{name}" for name in limits)
        over = " OR ".join(f"t.{name} > %(max_{name})s" for name in limits)
        sql = (
            BASE
            + f"""
            SELECT t.household_id, hs.grant_id, {selects}
            FROM totals t JOIN hh_scheme hs ON hs.household_id = t.household_id
            WHERE hs.scheme_id = %(scheme)s AND ({over})
            ORDER BY t.household_id
            """
        )
        params = ctx.params(scheme=scheme.pk)
        params.update({f"max_{name}": value for name, value in maxima.items()})
        rows = fetch(sql, params)
        records = households_records(ctx, (row[0] for row in rows), codes)
        for household_id, grant_id, *counts in rows:
            figures = dict(zip(limits, (int(c) for c in counts), strict=True))
            figures.update({f"max_{name}": value for name, value in maxima.items()})
            candidates.append(
                household_candidate(
                    ctx, kind, household_id, grant_id, records[household_id], figures
                )
            )
    return candidates


def property_rule(ctx: Context) -> list[Candidate]:
    """More residential units than the scheme rule allows (one), or any non-residential unit."""
    return _count_rule(
        ctx,
        Kind.PROPERTY,
        ["property"],
        {"residential": "max_residential_units", "non_residential": "max_non_residential_units"},
    )


def _not_exempt(ctx: Context) -> tuple[str, dict]:
    """SQL (and its parameters) for a record of a vehicle type the matching rule does not
    exempt (demo: 摩托车, 残疾人专用车)."""
    names = {f"exempt{n}": value for n, value in enumerate(ctx.rule.exempt_vehicle_types or [])}
    if not names:
        return "1=1", {}
    return f"category NOT IN ({', '.join(f'%({name})s' for name in names)})", names


def vehicle_rule(ctx: Context) -> list[Candidate]:
    """A vehicle of a type the matching rule does not exempt (counted in `totals`)."""
    return _count_rule(ctx, Kind.VEHICLE, ["vehicles"], {"vehicles": "max_vehicles"})


def business_rule(ctx: Context) -> list[Candidate]:
    """A role in a business whose 状态 is 存续 (a 注销 business counts for nothing)."""
    return _count_rule(ctx, Kind.BUSINESS, ["business"], {"businesses": "max_businesses"})


def as_date(value) -> datetime.date:
    """A date column as a date (SQLite returns raw SQL's dates as text)."""
    if isinstance(value, str):
        return datetime.date.fromisoformat(value[:10])
    return value


def live_households(ctx: Context) -> list[tuple[int, int]]:
    """(household id, its first live grant's id) for the town's households checked."""
    sql = BASE + "SELECT household_id, grant_id FROM hh ORDER BY household_id"
    return fetch(sql, ctx.params())
