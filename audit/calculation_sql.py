"""THE calculation (cases.calculation.formula, DOMAIN.md §5) as set-based SQL, PostgreSQL only:
what `audit.amounts.expected_reference` gives, for every grant and month at once, with no
Python per household. The monthly check runs it for a whole town; the agreement test
(tests/audit/test_calculation_agreement.py) is what keeps it equal to the formula to the fen.

The query mirrors the loader and the formula step by step (each CTE names the step it mirrors):

- items: one row per (grant, month) of a dibao or tekun grant; everything is read as valid on
  the month's first day D, the household's town choosing the standard;
- the dated rule rows in force on D, chosen once per scheme, town and month (`pick_rule`,
  `pick_standard`: the town's row before the city-wide one; tekun is measured against the dibao
  standard; `pick_add_ons`; `income_type_answers`: a type's dated rule, else its default);
- the changes (`audit.changes.Change`, in a temporary table filled by COPY) laid over the
  evidence as `apply_changes` lays them: a person who leaves on or before D is no member and no
  covered member; for a person and asset kind (income type), the changes of the latest date on
  or before D replace the recorded rows (same-day changes add up);
- members: memberships current on D (joined_on <= D < left_on); rows of a person who is not a
  member are left out (rows of no person stay);
- covered: the application's covered members (all members when it names none), less those whose
  membership of the household has ended by D (the loader's `_still_covered`: a covered member who
  died or moved out is no longer covered); an empty list after leaving, or one naming a person
  who never was a member, is 0 (the formula refuses it);
- the checks and the amounts, rounded half up to the fen where the formula rounds
  (PostgreSQL's round(numeric, 2) rounds half away from zero, as ROUND_HALF_UP does).

A missing rule or standard, no members or a refused covered list give 0, as in the reference.
Temporary-assistance grants are left out (no formula).
"""

import datetime
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.db import connection, transaction

from cases.models import Asset, Grant

from .changes import ASSETS, INCOME, LEAVES, Change

__all__ = [
    "CHANGES_TABLE",
    "copy_changes",
    "create_changes_table",
    "expected_for_grants",
    "expected_for_grant_ids",
    "expected_into_table",
    "expected_sql",
    "left_household",
    "plan_settings",
]

CHANGES_TABLE = "calc_changes"
FINANCIAL = ", ".join(f"'{kind}'" for kind in Asset.FINANCIAL_KINDS)


def create_changes_table(cursor, table: str = CHANGES_TABLE) -> None:
    """A fresh, empty temporary table of changes for this session (see `Change`)."""
    cursor.execute(f"DROP TABLE IF EXISTS {table}")
    cursor.execute(
        f"""
        CREATE TEMP TABLE {table} (
            household_id bigint NOT NULL,
            person_id bigint NOT NULL,
            on_date date NOT NULL,
            what text NOT NULL,
            asset_kind text NOT NULL DEFAULT '',
            value numeric NOT NULL DEFAULT 0,
            units bigint NOT NULL DEFAULT 1,
            exempt boolean NOT NULL DEFAULT false,
            income_type_id bigint,
            amount numeric NOT NULL DEFAULT 0
        )
        """
    )
    cursor.execute(f"CREATE INDEX ON {table} (household_id, person_id)")


def copy_changes(cursor, changes: Iterable[Change], table: str = CHANGES_TABLE) -> None:
    """The changes into the table with COPY, then ANALYZE so that the planner knows its size.
    A change of an unknown kind is refused before anything is written."""
    changes = list(changes)
    unknown = sorted({c.what for c in changes} - {ASSETS, INCOME, LEAVES})
    if unknown:
        raise ValueError(f"unknown change {unknown[0]!r}")
    with cursor.copy(
        f"COPY {table} (household_id, person_id, on_date, what, asset_kind, value, units,"
        " exempt, income_type_id, amount) FROM STDIN"
    ) as copy:
        for c in changes:
            copy.write_row(
                (
                    c.household_id,
                    c.person_id,
                    c.on,
                    c.what,
                    c.asset_kind,
                    c.value,
                    c.units,
                    c.exempt,
                    c.income_type_id,
                    c.amount,
                )
            )
    cursor.execute(f"ANALYZE {table}")


def _covers(alias: str, on: str) -> str:
    """A dated rule row in force on `on` (both ends inclusive; an empty end is open)."""
    return (
        f"{alias}.effective_from <= {on} AND ({alias}.effective_to IS NULL"
        f" OR {alias}.effective_to >= {on})"
    )


def _evidence_covers(alias: str, on: str) -> str:
    return f"{alias}.valid_from <= {on} AND ({alias}.valid_to IS NULL OR {alias}.valid_to >= {on})"


def _age(birth: str, on: str) -> str:
    """Whole years from `birth` to `on` (formula._age)."""
    return (
        f"(extract(year FROM {on})::int - extract(year FROM {birth})::int"
        f" - CASE WHEN (extract(month FROM {on}), extract(day FROM {on}))"
        f" < (extract(month FROM {birth}), extract(day FROM {birth})) THEN 1 ELSE 0 END)"
    )


def left_household(household: str, person: str, on: str) -> str:
    """SQL, portable: the person's membership of the household ended by `on` and they are no
    member on `on` (a death, a move out). A covered member the application names who has so
    left is covered no more: the loader's `_still_covered`, for the SQL that reads coverage
    (covered_list below, the monthly check's enrolled_twice)."""
    return f"""(
        EXISTS (SELECT 1 FROM cases_membership gone
                WHERE gone.household_id = {household} AND gone.person_id = {person}
                  AND gone.left_on <= {on})
        AND NOT EXISTS (SELECT 1 FROM cases_membership here
                        WHERE here.household_id = {household} AND here.person_id = {person}
                          AND here.joined_on <= {on}
                          AND (here.left_on IS NULL OR here.left_on > {on})))"""


def expected_sql(grants_sql: str, changes_table: str = CHANGES_TABLE) -> str:
    """A query of (grant_id, month, expected) for every dibao or tekun grant whose id
    `grants_sql` selects and every month of the parameter `months` (a list of first days):
    `expected_reference`'s figure. `grants_sql` may use further named parameters."""
    leaves = (
        f"EXISTS (SELECT 1 FROM {changes_table} lc WHERE lc.household_id = {{h}}"
        f" AND lc.person_id = {{p}} AND lc.what = '{LEAVES}' AND lc.on_date <= {{d}})"
    )
    return f"""
WITH items AS (  -- one row per grant and month, read on the month's first day
    SELECT g.id AS grant_id, g.household_id, h.town_id, g.scheme_id, s.kind,
           g.application_id, mo.month::date AS month
    FROM cases_grant g
    JOIN cases_household h ON h.id = g.household_id
    JOIN cases_scheme s ON s.id = g.scheme_id
    CROSS JOIN unnest(%(months)s::date[]) AS mo(month)
    WHERE g.id IN ({grants_sql}) AND s.kind IN ('dibao', 'tekun')
),
periods AS (SELECT DISTINCT scheme_id, kind, town_id, month FROM items),
rules AS (  -- pick_rule and pick_standard, once per scheme, town and month
    SELECT p.scheme_id, p.town_id, p.month, r.financial_asset_months, r.max_residential_units,
           r.max_non_residential_units, r.max_vehicles, r.max_businesses, r.floor_percent,
           r.tekun_multiplier, r.elderly_age, r.minor_age, r.severe_disability_max_grade,
           r.id IS NOT NULL AS has_rule, st.monthly_amount AS standard
    FROM periods p
    LEFT JOIN LATERAL (
        SELECT * FROM cases_schemerule r
        WHERE r.scheme_id = p.scheme_id AND {_covers("r", "p.month")}
        ORDER BY r.effective_from, r.id LIMIT 1
    ) r ON true
    LEFT JOIN LATERAL (
        SELECT st.monthly_amount FROM cases_standard st
        WHERE st.scheme_id = CASE WHEN p.kind = 'dibao' THEN p.scheme_id
                                  ELSE (SELECT id FROM cases_scheme WHERE code = 'dibao') END
          AND (st.town_id IS NULL OR st.town_id = p.town_id) AND {_covers("st", "p.month")}
        ORDER BY st.town_id IS NULL, st.effective_from, st.id LIMIT 1
    ) st ON true
),
type_counted AS (  -- income_type_answers: the dated rule in force, else the type's default
    SELECT mo.month, t.id AS income_type_id,
           COALESCE((SELECT tr.counted FROM cases_incometyperule tr
                     WHERE tr.income_type_id = t.id AND {_covers("tr", "mo.month")}
                     ORDER BY tr.effective_from DESC, tr.id DESC LIMIT 1), t.counted) AS counted
    FROM cases_incometype t CROSS JOIN (SELECT DISTINCT month FROM items) mo
),
add_on_rows AS (  -- pick_add_ons: one row per scheme, month and category
    SELECT DISTINCT ON (p.scheme_id, p.month, a.category)
           p.scheme_id, p.month, a.category, a.percent
    FROM (SELECT DISTINCT scheme_id, month FROM items) p
    JOIN cases_addon a ON a.scheme_id = p.scheme_id AND {_covers("a", "p.month")}
    ORDER BY p.scheme_id, p.month, a.category, a.effective_from DESC, a.id DESC
),
covered_list AS (  -- the application's covered members who have not left (_still_covered)
    SELECT DISTINCT i.grant_id, i.month, cm.person_id
    FROM items i
    JOIN cases_application_covered_members cm ON cm.application_id = i.application_id
    WHERE NOT {leaves.format(h="i.household_id", p="cm.person_id", d="i.month")}
      AND NOT {left_household("i.household_id", "cm.person_id", "i.month")}
),
listed AS (  -- grants whose application names its covered members
    SELECT DISTINCT i.grant_id
    FROM items i
    JOIN cases_application_covered_members cm ON cm.application_id = i.application_id
),
members AS (  -- co-resident members on D, less those who left by the changes
    SELECT i.grant_id, i.month, i.kind, i.scheme_id, i.town_id, ms.person_id, p.birth_date,
           p.disability_grade, p.serious_illness,
           (l.grant_id IS NULL OR cl.person_id IS NOT NULL) AS covered
    FROM items i
    JOIN cases_membership ms ON ms.household_id = i.household_id AND ms.joined_on <= i.month
         AND (ms.left_on IS NULL OR ms.left_on > i.month)
    JOIN cases_person p ON p.id = ms.person_id
    LEFT JOIN listed l ON l.grant_id = i.grant_id
    LEFT JOIN covered_list cl ON cl.grant_id = i.grant_id AND cl.month = i.month
         AND cl.person_id = ms.person_id
    WHERE NOT {leaves.format(h="i.household_id", p="ms.person_id", d="i.month")}
),
member_set AS (SELECT DISTINCT grant_id, month, person_id FROM members),
counts AS (
    SELECT i.grant_id, i.month,
           count(m.person_id) AS members,
           count(m.person_id) FILTER (WHERE m.covered) AS covered,
           count(DISTINCT m.person_id) FILTER (WHERE m.covered) AS covered_people
    FROM items i LEFT JOIN members m ON m.grant_id = i.grant_id AND m.month = i.month
    GROUP BY i.grant_id, i.month
),
covered_counts AS (
    SELECT grant_id, month, count(*) AS listed FROM covered_list GROUP BY grant_id, month
),
current_changes AS (  -- apply_changes: per person and kind (type), the latest date's changes
    SELECT * FROM (
        SELECT i.grant_id, i.month, c.person_id, c.what, c.asset_kind, c.value, c.units,
               c.exempt, c.income_type_id, c.amount, c.on_date,
               max(c.on_date) OVER (
                   PARTITION BY i.grant_id, i.month, c.person_id, c.what,
                   CASE WHEN c.what = '{ASSETS}' THEN c.asset_kind
                        ELSE c.income_type_id::text END) AS latest
        FROM items i
        JOIN {changes_table} c ON c.household_id = i.household_id AND c.on_date <= i.month
        WHERE c.what IN ('{ASSETS}', '{INCOME}')
    ) c WHERE c.on_date = c.latest
),
income_rows AS (
    SELECT i.grant_id, i.month, l.person_id, l.income_type_id, l.monthly_amount AS amount
    FROM items i
    JOIN cases_incomeline l ON l.household_id = i.household_id
         AND {_evidence_covers("l", "i.month")}
    WHERE NOT EXISTS (
        SELECT 1 FROM current_changes c
        WHERE c.grant_id = i.grant_id AND c.month = i.month AND c.what = '{INCOME}'
          AND c.person_id = l.person_id AND c.income_type_id = l.income_type_id)
    UNION ALL
    SELECT grant_id, month, person_id, income_type_id, amount
    FROM current_changes WHERE what = '{INCOME}'
),
income AS (  -- counted income of the members' lines and of lines of no person
    SELECT r.grant_id, r.month, round(sum(r.amount), 2) AS income
    FROM income_rows r
    JOIN type_counted t ON t.month = r.month AND t.income_type_id = r.income_type_id
    LEFT JOIN member_set m ON m.grant_id = r.grant_id AND m.month = r.month
         AND m.person_id = r.person_id
    WHERE t.counted AND (r.person_id IS NULL OR m.person_id IS NOT NULL)
    GROUP BY r.grant_id, r.month
),
asset_rows AS (
    SELECT i.grant_id, i.month, a.person_id, a.kind, a.value, a.units, a.exempt
    FROM items i
    JOIN cases_asset a ON a.household_id = i.household_id AND {_evidence_covers("a", "i.month")}
    WHERE NOT EXISTS (
        SELECT 1 FROM current_changes c
        WHERE c.grant_id = i.grant_id AND c.month = i.month AND c.what = '{ASSETS}'
          AND c.person_id = a.person_id AND c.asset_kind = a.kind)
    UNION ALL
    SELECT grant_id, month, person_id, asset_kind, value, units, exempt
    FROM current_changes WHERE what = '{ASSETS}'
),
assets AS (  -- the asset tests' figures: counted (not exempt) rows of members or of no person
    SELECT r.grant_id, r.month,
           round(coalesce(sum(r.value) FILTER (WHERE r.kind IN ({FINANCIAL})), 0), 2)
               AS financial,
           coalesce(sum(r.units) FILTER (WHERE r.kind = 'residential'), 0) AS residential,
           coalesce(sum(r.units) FILTER (WHERE r.kind = 'non_residential'), 0)
               AS non_residential,
           coalesce(sum(r.units) FILTER (WHERE r.kind = 'vehicle'), 0) AS vehicles,
           coalesce(sum(r.units) FILTER (WHERE r.kind = 'business'), 0) AS businesses
    FROM asset_rows r
    LEFT JOIN member_set m ON m.grant_id = r.grant_id AND m.month = r.month
         AND m.person_id = r.person_id
    WHERE NOT r.exempt AND (r.person_id IS NULL OR m.person_id IS NOT NULL)
    GROUP BY r.grant_id, r.month
),
add_ons AS (  -- each covered member's categories, each add-on rounded to the fen on its own
    SELECT m.grant_id, m.month, sum(round(ru.standard * a.percent / 100, 2)) AS add_ons
    FROM members m
    JOIN rules ru ON ru.scheme_id = m.scheme_id AND ru.town_id = m.town_id
         AND ru.month = m.month
    JOIN add_on_rows a ON a.scheme_id = m.scheme_id AND a.month = m.month
    WHERE m.covered AND m.kind = 'dibao' AND ru.standard IS NOT NULL AND (
           (a.category = 'elderly' AND {_age("m.birth_date", "m.month")} >= ru.elderly_age)
        OR (a.category = 'minor' AND {_age("m.birth_date", "m.month")} < ru.minor_age)
        OR (a.category = 'severe_disability' AND m.disability_grade > 0
            AND m.disability_grade <= ru.severe_disability_max_grade)
        OR (a.category = 'serious_illness' AND m.serious_illness))
    GROUP BY m.grant_id, m.month
),
figures AS (
    SELECT i.grant_id, i.month, i.kind, ru.financial_asset_months, ru.max_residential_units,
           ru.max_non_residential_units, ru.max_vehicles, ru.max_businesses, ru.floor_percent,
           ru.tekun_multiplier, ru.has_rule, ru.standard, c.members, c.covered, c.covered_people,
           l.grant_id IS NOT NULL AS listed, coalesce(cc.listed, 0) AS listed_left,
           coalesce(inc.income, 0) AS income, coalesce(ad.add_ons, 0) AS add_ons,
           coalesce(a.financial, 0) AS financial, coalesce(a.residential, 0) AS residential,
           coalesce(a.non_residential, 0) AS non_residential,
           coalesce(a.vehicles, 0) AS vehicles, coalesce(a.businesses, 0) AS businesses
    FROM items i
    JOIN rules ru ON ru.scheme_id = i.scheme_id AND ru.town_id = i.town_id
         AND ru.month = i.month
    JOIN counts c ON c.grant_id = i.grant_id AND c.month = i.month
    LEFT JOIN listed l ON l.grant_id = i.grant_id
    LEFT JOIN covered_counts cc ON cc.grant_id = i.grant_id AND cc.month = i.month
    LEFT JOIN income inc ON inc.grant_id = i.grant_id AND inc.month = i.month
    LEFT JOIN assets a ON a.grant_id = i.grant_id AND a.month = i.month
    LEFT JOIN add_ons ad ON ad.grant_id = i.grant_id AND ad.month = i.month
),
decided AS (
    SELECT f.*,
           -- the formula refuses (or the reference gives 0 for) these households
           (NOT f.has_rule OR f.standard IS NULL OR f.members = 0
            OR (f.listed AND (f.listed_left = 0 OR f.covered_people < f.listed_left)))
               AS refused,
           (f.financial <= round(f.financial_asset_months * f.standard * f.members, 2)
            AND f.residential <= f.max_residential_units
            AND f.non_residential <= f.max_non_residential_units
            AND f.vehicles <= f.max_vehicles AND f.businesses <= f.max_businesses)
               AS assets_pass
    FROM figures f
)
SELECT grant_id, month,
       CASE
           WHEN refused OR NOT assets_pass THEN 0.00
           WHEN kind = 'tekun' THEN
               CASE WHEN income = 0 THEN round(standard * tekun_multiplier, 2) * covered
                    ELSE 0.00 END
           WHEN income < standard * members THEN round(
               greatest(
                   greatest(round((standard * members - income) * covered / members, 2), 0),
                   coalesce(round(standard * floor_percent / 100 * covered, 2), 0))
               + add_ons, 2)
           ELSE 0.00
       END::numeric(14, 2) AS expected
FROM decided
"""


def plan_settings(cursor) -> None:
    """For the transaction: no JIT (it costs more than it saves here), no nested-loop joins
    where another join will do, and room for hash joins and sorts in memory. The planner
    cannot estimate the CTEs' join sizes (it guesses a row or two), and a nested loop over two
    materialised CTEs is quadratic: 51 s instead of 0.7 s on 300 households × 12 months. The
    dated-rule look-ups (LATERAL ... LIMIT 1) still loop: they have no other plan, over a few
    dozen rows."""
    cursor.execute("SET LOCAL jit = off")
    cursor.execute("SET LOCAL enable_nestloop = off")
    # Hash joins and sorts over (grant, month) rows in memory rather than spilled to disk.
    cursor.execute("SET LOCAL work_mem = '64MB'")


def expected_into_table(
    cursor, *, table: str, grants_sql: str, params: dict, changes_table: str = CHANGES_TABLE
) -> None:
    """`expected_sql` into a fresh temporary table (grant_id, month, expected), e.g. a whole
    town's grants for the monthly check. `params` holds `months` and `grants_sql`'s own. Run
    it inside a transaction (the plan settings are the transaction's)."""
    plan_settings(cursor)
    cursor.execute(f"DROP TABLE IF EXISTS {table}")
    cursor.execute(
        f"CREATE TEMP TABLE {table} AS {expected_sql(grants_sql, changes_table)}", params
    )


def expected_for_grants(
    grants: Sequence[Grant], months: Sequence[datetime.date], changes: Iterable[Change] = ()
) -> dict[tuple[int, datetime.date], Decimal]:
    """`audit.amounts.expected_reference`'s figures, computed by the set-based SQL."""
    return expected_for_grant_ids([grant.pk for grant in grants], months, changes)


def expected_for_grant_ids(
    grant_ids: Sequence[int], months: Sequence[datetime.date], changes: Iterable[Change] = ()
) -> dict[tuple[int, datetime.date], Decimal]:
    """`expected_for_grants` by the grants' ids: the SQL reads nothing else of them."""
    grant_ids = list(grant_ids)
    if not grant_ids or not months:
        return {}
    with transaction.atomic(), connection.cursor() as cursor:
        plan_settings(cursor)
        create_changes_table(cursor)
        copy_changes(cursor, changes)
        cursor.execute(
            expected_sql("SELECT unnest(%(grant_ids)s::bigint[])"),
            {"grant_ids": grant_ids, "months": list(months)},
        )
        result = {(grant_id, month): amount for grant_id, month, amount in cursor.fetchall()}
        cursor.execute(f"DROP TABLE {CHANGES_TABLE}")
    return result
