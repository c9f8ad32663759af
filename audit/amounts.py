"""What a household should have been paid, month by month, with registry data taken as
evidence (DOMAIN.md §5, §9): the figures behind every finding that affects money.

A `Change` is one piece of registry data read as evidence from a date on:
- `assets`: the person's assets of `asset_kind` are, from `on`, the changes' rows of that
  person and kind (value, units, exempt) instead of the recorded ones: a registry is the
  authority for what it covers (REGISTRIES.md: a person absent from a month's extract holds
  nothing there);
- `income`: the person's income lines of `income_type_id` are, from `on`, `amount` a month;
- `leaves`: the person is no longer a co-resident member from `on` (a death, a move out).

`expected_reference(...)` is THE calculation (cases.calculation's loader, the changes laid over
its inputs, then its formula) one month at a time: the definition, and what the set-based SQL
(audit/calculation_sql.py, on PostgreSQL) must agree with to the fen. `expected(...)`, given
the grants' ids, picks the SQL on PostgreSQL and the reference elsewhere.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import QuerySet

from cases.calculation import formula
from cases.calculation.inputs import AssetRow, IncomeRow, Inputs
from cases.calculation.loading import Item, load_chunk
from cases.models import Application, Grant
from payments.ledger import (
    corrected_by_grant_month,
    months_between,
    on_the_way_by_grant_month,
    paid_by_grant_month,
)
from relief.money import ZERO, to_fen

from .calculation_sql import expected_for_grant_ids
from .changes import ASSETS, INCOME, LEAVES, Change

__all__ = ["Change", "MonthFigure", "expected", "expected_reference", "months_between", "paid"]


@dataclass(frozen=True)
class MonthFigure:
    """One line of a finding's months table."""

    month: datetime.date
    expected: Decimal
    paid: Decimal

    @property
    def difference(self) -> Decimal:
        return self.expected - self.paid

    def as_dict(self) -> dict:
        return {
            "month": self.month.strftime("%Y-%m"),
            "expected": f"{self.expected:.2f}",
            "paid": f"{self.paid:.2f}",
            "difference": f"{self.difference:.2f}",
        }


def apply_changes(inputs: Inputs, changes: Iterable[Change]) -> Inputs:
    """The formula's inputs with the changes in force on inputs.as_of laid over them.

    For one person and asset kind (income type), the changes of the latest date on or before
    as_of replace the recorded rows, and those of earlier dates: a later extract replaces an
    earlier one (REGISTRIES.md); changes of one date add up (one row per institution, an exempt
    vehicle beside the counted ones). A person who leaves on or before as_of is no member."""
    on = inputs.as_of
    current = [change for change in changes if change.on <= on]
    if not current:
        return inputs
    leaving = {c.person_id for c in current if c.what == LEAVES}
    latest: dict[tuple, datetime.date] = {}
    for c in current:
        if c.what != LEAVES:
            key = _key(c)
            latest[key] = max(latest.get(key, c.on), c.on)
    in_force = [c for c in current if c.what != LEAVES and c.on == latest[_key(c)]]
    members = [m for m in inputs.members if m.person_id not in leaving]
    assets = [a for a in inputs.assets if (ASSETS, a.person_id, a.kind) not in latest]
    assets += [
        AssetRow(c.person_id, c.asset_kind, c.value, c.units, c.exempt)
        for c in in_force
        if c.what == ASSETS
    ]
    income = [
        i for i in inputs.income_lines if (INCOME, i.person_id, i.income_type_id) not in latest
    ]
    income += [
        IncomeRow(c.person_id, c.income_type_id, c.amount) for c in in_force if c.what == INCOME
    ]
    covered = inputs.covered_person_ids
    if covered is not None:
        covered = [pk for pk in covered if pk not in leaving]
    return replace(
        inputs,
        members=members,
        assets=assets,
        income_lines=income,
        covered_person_ids=covered,
    )


def _key(change: Change) -> tuple:
    """What a change replaces: a person's assets of a kind, or their income of a type."""
    detail = change.asset_kind if change.what == ASSETS else change.income_type_id
    return (change.what, change.person_id, detail)


def covered_by_grant(grant_ids: Iterable[int]) -> dict[int, list[int] | None]:
    """Each grant's covered members (its application's), None where every member is covered."""
    covered: dict[int, list[int]] = defaultdict(list)
    rows = Application.covered_members.through.objects.filter(
        application__grant__in=list(grant_ids)
    ).values_list("application__grant", "person_id")
    for grant_id, person_id in rows:
        covered[grant_id].append(person_id)
    return covered


def expected_reference(
    grants: Sequence[Grant], months: Sequence[datetime.date], changes: Iterable[Change] = ()
) -> dict[tuple[int, datetime.date], Decimal]:
    """For each grant (dibao or tekun) and month: the calculation's total on the month's first
    day with the changes as evidence, 0 where the household is not eligible (a failed check,
    no covered member left, no members)."""
    by_household: dict[int, list[Change]] = defaultdict(list)
    for change in changes:
        by_household[change.household_id].append(change)
    covered = covered_by_grant(grant.pk for grant in grants)
    items, keys = [], []
    for grant in grants:
        if grant.scheme.is_temporary:
            continue
        for month in months:
            items.append(
                Item(grant.household, grant.scheme, month, None, covered.get(grant.pk) or None)
            )
            keys.append((grant, month))
    result = {}
    for (grant, month), inputs in zip(keys, load_chunk(items), strict=True):
        inputs = apply_changes(inputs, by_household.get(grant.household_id, ()))
        if inputs.covered_person_ids == [] or not inputs.members:
            result[(grant.pk, month)] = ZERO
            continue
        try:
            calculation = formula.calculate(inputs)
        except ValidationError:
            result[(grant.pk, month)] = ZERO
            continue
        result[(grant.pk, month)] = to_fen(calculation.total) if calculation.eligible else ZERO
    return result


def expected(
    grant_ids: Iterable[int], months: Sequence[datetime.date], changes: Iterable[Change] = ()
) -> dict[tuple[int, datetime.date], Decimal]:
    """`expected_reference`'s figures for the grants of these ids: the set-based SQL on
    PostgreSQL (it needs nothing of a grant but its id, so a town's 29,000 grants are never
    loaded as objects), the reference elsewhere."""
    grant_ids = list(grant_ids)
    if connection.vendor == "postgresql":
        return expected_for_grant_ids(grant_ids, months, changes)
    grants = Grant.objects.filter(pk__in=grant_ids).select_related("scheme", "household")
    return expected_reference(list(grants), months, changes)


def paid(grant_ids, first: datetime.date, last: datetime.date) -> dict:
    """{(grant id, month): what the household has had for the month}: the ledger's paid lines,
    lines on their way, and corrections already ordered (a back-pay adds, a recovery takes
    back), so that a difference already claimed is not claimed again. `grant_ids`: ids, or a
    queryset of grants' ids read as a subquery (a town's thousands of grants)."""
    if not isinstance(grant_ids, QuerySet):
        grant_ids = list(grant_ids)
    total: dict[tuple[int, datetime.date], Decimal] = defaultdict(lambda: ZERO)
    for side in (
        paid_by_grant_month(grant_ids, first, last),
        on_the_way_by_grant_month(grant_ids, first, last),
        corrected_by_grant_month(grant_ids, first, last),
    ):
        for key, amount in side.items():
            total[key] += amount
    return dict(total)
