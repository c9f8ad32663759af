"""The monthly check's person and household-list rules: deaths, moves out of
the city, changed incomes, people enrolled twice, records set aside for want of an
authorisation, and monitoring-list households not enrolled. Built on audit/rules.py's common
table expressions and candidates; the same portable SQL, per town, no per-household Python."""

from cases.calculation.loading import standard_for
from cases.models import Application, IncomeType, Scheme

from .amounts import LEAVES, Change
from .calculation_sql import left_household
from .models import RegistryRecord, Source
from .registry_evidence import PENSION_MARK
from .rules import (
    BASE,
    CORESIDENT,
    LIVE,
    Candidate,
    Context,
    Kind,
    T,
    as_date,
    digest,
    fen,
    fetch,
    fingerprint,
    household_candidate,
    households_records,
    money,
)

# --- the person rules ---------------------------------------------------------------------------


def _person_candidates(ctx, kind, code, rows) -> list[Candidate]:
    """Candidates for (household, grant, person, ...) rows: one per person, subject person:ID."""
    records = households_records(ctx, {row[0] for row in rows}, [code])
    candidates = []
    for household_id, grant_id, person_id, *_rest in rows:
        own = [r for r in records.get(household_id, []) if r.person_id == person_id]
        candidate = household_candidate(
            ctx, kind, household_id, grant_id, own, {}, household_of={person_id: household_id}
        )
        candidate.subject = f"person:{person_id}"
        candidate.person_id = person_id
        candidates.append(candidate)
    return candidates


def death_rule(ctx: Context) -> list[Candidate]:
    """A co-resident member's death."""
    sql = (
        BASE
        + """
        SELECT rec.household_id, hh.grant_id, rec.person_id, MIN(rec.on_date)
        FROM rec JOIN hh ON hh.household_id = rec.household_id
        WHERE rec.source_code = 'deaths' AND rec.authorised = %(yes)s
        GROUP BY rec.household_id, hh.grant_id, rec.person_id
        ORDER BY rec.person_id
        """
    )
    candidates = _person_candidates(ctx, Kind.DEATH, "deaths", fetch(sql, ctx.params()))
    for candidate in candidates:
        candidate.figures = {"date": candidate.changes[0].on.isoformat()}
    return candidates


def moved_out_rule(ctx: Context) -> list[Candidate]:
    """A co-resident member's registration moved out of the city (迁往地区 outside the city's
    6-digit division, the first six digits of the town's code)."""
    sql = (
        BASE
        + """
        SELECT rec.household_id, hh.grant_id, rec.person_id, MIN(rec.on_date)
        FROM rec JOIN hh ON hh.household_id = rec.household_id
        WHERE rec.source_code = 'hukou_moves' AND rec.authorised = %(yes)s
          AND SUBSTR(rec.region, 1, 6) <> %(city)s
        GROUP BY rec.household_id, hh.grant_id, rec.person_id
        ORDER BY rec.person_id
        """
    )
    rows = fetch(sql, ctx.params(city=ctx.town.code[:6]))
    candidates = _person_candidates(ctx, Kind.MOVED_OUT, "hukou_moves", rows)
    for candidate in candidates:
        candidate.figures = {
            "date": candidate.changes[0].on.isoformat(),
            "region": candidate.record.region,
        }
        # Only the moves out of the city count: a move within it leaves the record out.
        candidate.fingerprint = fingerprint([candidate.record])
    return candidates


def income_changed(ctx: Context) -> list[Candidate]:
    """A registry income (social insurance benefit, per person and income type) not in the
    recorded evidence valid on the period's first day, or differing from it by more than the
    matching rule's tolerance."""
    types = dict(IncomeType.objects.values_list("code", "pk"))
    if "pension" not in types or "transfer" not in types:
        return []
    type_of = "CASE WHEN rec.category LIKE %(pension_mark)s THEN %(pension)s ELSE %(transfer)s END"
    sql = (
        BASE
        + f"""
        , reg AS (
            SELECT rec.household_id, rec.person_id, {type_of} AS income_type_id,
                   SUM(rec.amount) AS amount
            FROM rec
            WHERE rec.source_code = 'social_insurance' AND rec.authorised = %(yes)s
            GROUP BY rec.household_id, rec.person_id, {type_of}
        ), ev AS (
            SELECT il.person_id, il.income_type_id, SUM(il.monthly_amount) AS amount
            FROM {T["income"]} il JOIN member ON member.person_id = il.person_id
                 AND member.household_id = il.household_id
            WHERE il.valid_from <= %(period)s
              AND (il.valid_to IS NULL OR il.valid_to >= %(period)s)
            GROUP BY il.person_id, il.income_type_id
        )
        SELECT reg.household_id, hh.grant_id, reg.person_id, reg.income_type_id, reg.amount,
               ev.amount
        FROM reg JOIN hh ON hh.household_id = reg.household_id
        LEFT JOIN ev ON ev.person_id = reg.person_id AND ev.income_type_id = reg.income_type_id
        WHERE ev.amount IS NULL
           OR ABS({fen("reg.amount")} - {fen("ev.amount")})
              > {fen("CAST(%(tolerance)s AS NUMERIC)")}
        ORDER BY reg.person_id, reg.income_type_id
        """
    )
    params = ctx.params(
        pension_mark=f"%{PENSION_MARK}%",
        pension=types["pension"],
        transfer=types["transfer"],
        tolerance=ctx.rule.income_tolerance,
    )
    rows = fetch(sql, params)
    records = households_records(ctx, {row[0] for row in rows}, ["social_insurance"])
    names = {pk: code for code, pk in types.items()}
    candidates = []
    for household_id, grant_id, person_id, type_id, registry, recorded in rows:
        own = [
            r
            for r in records.get(household_id, [])
            if r.person_id == person_id
            and (PENSION_MARK in r.category) == (names[type_id] == "pension")
        ]
        candidate = household_candidate(
            ctx,
            Kind.INCOME_CHANGED,
            household_id,
            grant_id,
            own,
            {},
            household_of={person_id: household_id},
        )
        candidate.changes = [c for c in candidate.changes if c.income_type_id == type_id]
        candidate.subject = f"person:{person_id}:income:{names[type_id]}"
        candidate.person_id = person_id
        candidate.figures = {
            "registry": money(registry),
            "recorded": money(recorded) if recorded is not None else None,
            "tolerance": money(ctx.rule.income_tolerance),
            "income_type": names[type_id],
        }
        candidates.append(candidate)
    return candidates


def enrolled_twice(ctx: Context) -> list[Candidate]:
    """A person covered by two live grants in the period, in any towns (the application's
    covered members, or every co-resident member when it names none). Raised in the town of the
    later grant, whose months are reconciled with the person no longer covered there."""

    # Whom a live grant covers: its application's covered members, else every co-resident
    # member; read for every live grant of the town's people only, so that the rule reads its
    # town's people, not the city's.
    def coverage(join: str) -> str:
        return f"""
            SELECT g.id AS grant_id, g.town_id, g.household_id, g.starts_month, cm.person_id
            FROM {T["covered"]} cm {join.format(alias="cm")}
            JOIN {T["grant"]} g ON g.application_id = cm.application_id
            JOIN {T["scheme"]} s ON s.id = g.scheme_id
            WHERE {LIVE}
              AND NOT {left_household("g.household_id", "cm.person_id", "%(period)s")}
            UNION
            SELECT g.id, g.town_id, g.household_id, g.starts_month, m.person_id
            FROM {T["membership"]} m {join.format(alias="m")}
            JOIN {T["grant"]} g ON g.household_id = m.household_id
            JOIN {T["scheme"]} s ON s.id = g.scheme_id
            WHERE {LIVE} AND {CORESIDENT}
              AND NOT EXISTS (SELECT 1 FROM {T["covered"]} c2
                              WHERE c2.application_id = g.application_id)
        """

    # The people the town's live grants may cover: its base's co-resident members and the
    # people its grants' applications name (a superset of whom they cover: the result is the
    # same, as a person counts only when the later of their grants is the town's). Of those,
    # only people who can be covered twice go through the coverage query: a member of more than
    # one household (counted from the (person, household) index alone), a person some
    # application names, or a member of a household with two live grants. The rest, nearly
    # everyone, have one membership, in a household with one live grant, named by no list.
    # (A household's grants are all in its town: a grant takes its application's town, which is
    # its household's, and a household never changes town; so the town's hh table counts them.)
    sql = f"""
        WITH people AS (
            SELECT person_id FROM audit_check_member
            UNION
            SELECT cm.person_id FROM {T["covered"]} cm
            JOIN {T["grant"]} g ON g.application_id = cm.application_id
            JOIN {T["scheme"]} s ON s.id = g.scheme_id
            WHERE {LIVE} AND g.town_id = %(town)s
        ),
        maybe AS (
            SELECT p.person_id FROM people p
            WHERE (SELECT COUNT(*) FROM {T["membership"]} m WHERE m.person_id = p.person_id) > 1
               OR EXISTS (SELECT 1 FROM {T["covered"]} cm WHERE cm.person_id = p.person_id)
            UNION
            SELECT member.person_id FROM audit_check_member member
            JOIN audit_check_hh hh ON hh.household_id = member.household_id
            WHERE hh.live_grants > 1
        ),
        cov AS ({coverage("JOIN maybe p ON p.person_id = {alias}.person_id")}),
        twice AS (
            SELECT person_id, MIN(grant_id) AS first_grant, MAX(grant_id) AS later_grant,
                   MAX(starts_month) AS since
            FROM cov
            GROUP BY person_id
            HAVING COUNT(DISTINCT grant_id) > 1
        )
        SELECT twice.person_id, twice.first_grant, twice.later_grant, twice.since,
               later.household_id
        FROM twice JOIN {T["grant"]} later ON later.id = twice.later_grant
        WHERE later.town_id = %(town)s
        ORDER BY twice.person_id
    """
    candidates = []
    for person_id, first_grant, later_grant, since, household_id in fetch(sql, ctx.params()):
        since = as_date(since)
        candidates.append(
            Candidate(
                kind=Kind.ENROLLED_TWICE,
                subject=f"person:{person_id}",
                town_id=ctx.town.pk,
                household_id=household_id,
                person_id=person_id,
                grant_id=later_grant,
                effective_month=since,
                figures={"grants": [first_grant, later_grant]},
                fingerprint=digest({"grants": [first_grant, later_grant]}),
                changes=[Change(household_id, person_id, since, LEAVES)],
            )
        )
    return candidates


def no_authorisation(ctx: Context) -> list[Candidate]:
    """Records set aside for members without a valid authorisation: one finding per household
    (no money: the records are never used)."""
    sql = (
        BASE
        + """
        SELECT rec.household_id, COUNT(*) FROM rec WHERE rec.authorised <> %(yes)s
        GROUP BY rec.household_id ORDER BY rec.household_id
        """
    )
    rows = fetch(sql, ctx.params())
    codes = list(Source.objects.values_list("code", flat=True))
    records = households_records(ctx, (row[0] for row in rows), codes, authorised=False)
    candidates = []
    for household_id, count in rows:
        own = records.get(household_id, [])
        candidates.append(
            Candidate(
                kind=Kind.NO_AUTHORISATION,
                subject=f"household:{household_id}",
                town_id=ctx.town.pk,
                household_id=household_id,
                record=own[0] if own else None,
                effective_month=ctx.period,
                figures={
                    "records": count,
                    "sources": sorted({r.source.code for r in own}),
                    "people": sorted({r.person_id for r in own}),
                },
                fingerprint=fingerprint(own),
            )
        )
    return candidates


def not_enrolled(ctx: Context) -> list[Candidate]:
    """A low-income monitoring-list household (家庭编号) of the town whose per-capita income is
    below the town's dibao standard, none of whose people Relief knows as a co-resident member
    of a household with a live grant or an open application (应保尽保; outreach, no money)."""
    dibao = Scheme.objects.filter(kind=Scheme.Kind.DIBAO).order_by("pk").first()
    if dibao is None:
        return []
    try:
        standard = standard_for(scheme=dibao, town=ctx.town, on=ctx.period).monthly_amount
    except Exception:
        return []
    open_states = ", ".join(f"'{state}'" for state in Application.OPEN_STATES)
    sql = f"""
        WITH low AS (
            SELECT r.id, r.reference, r.person_id, r.amount, r.size
            FROM {T["record"]} r
            JOIN {T["extract"]} e ON e.id = r.extract_id AND e.state = 'imported'
            WHERE r.period = %(period)s AND r.source_id = %(source)s
              AND r.region = %(town_code)s
        )
        SELECT low.reference, MIN(low.id), MAX(low.amount), MAX(low.size) FROM low
        WHERE NOT EXISTS (
            SELECT 1 FROM low l2
            JOIN {T["membership"]} m ON m.person_id = l2.person_id
            WHERE l2.reference = low.reference AND {CORESIDENT}
              AND (EXISTS (SELECT 1 FROM {T["grant"]} g JOIN {T["scheme"]} s ON s.id = g.scheme_id
                           WHERE g.household_id = m.household_id AND {LIVE})
                   OR EXISTS (SELECT 1 FROM {T["application"]} a
                              WHERE a.household_id = m.household_id
                                AND a.state IN ({open_states})))
        )
        GROUP BY low.reference
        HAVING MAX({fen("low.amount")}) < {fen("CAST(%(standard)s AS NUMERIC)")}
        ORDER BY low.reference
    """
    source = Source.objects.filter(code="low_income").values_list("pk", flat=True).first()
    rows = fetch(sql, ctx.params(town_code=ctx.town.code, standard=standard, source=source))
    records = RegistryRecord.objects.filter(pk__in=[row[1] for row in rows]).select_related(
        "source", "extract"
    )
    by_id = {record.pk: record for record in records}
    candidates = []
    for reference, first_id, income, size in rows:
        record = by_id[first_id]
        candidates.append(
            Candidate(
                kind=Kind.NOT_ENROLLED,
                subject=f"low_income:{reference}",
                town_id=ctx.town.pk,
                person_id=record.person_id,
                record=record,
                effective_month=ctx.period,
                figures={
                    "reference": reference,
                    "per_capita_income": money(income),
                    "standard": money(standard),
                    "size": size,
                },
                fingerprint=digest([reference, money(income), size]),
            )
        )
    return candidates


# The registry rules in the order their findings are listed (the household asset rules first).
# amount_differs is not here: it needs the others' results (audit/check.py).
PERSON_RULES = (
    death_rule,
    moved_out_rule,
    income_changed,
    enrolled_twice,
    no_authorisation,
    not_enrolled,
)
