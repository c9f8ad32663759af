"""The loader: fetches what the formula reads, for one household or a chunk of them, in a fixed
number of queries whatever the chunk's size.

`load_chunk(items)` reads, for every item (a household, a scheme, a month and as_of, the covered
members), in one query each: the memberships with their people, the income lines, the assets,
and the dated rule rows (scheme rules, standards, add-ons, income types and their dated rules).
Rule rows are shared: they are read once for the chunk and chosen per scheme, town and date.
`load_inputs(...)` is the same for one household. A calculation of a town's households therefore
costs the same 8 queries per chunk as one household's does (one more when schemes are given by
code, one more when items name their covered members: the departures of those named; 2 when
every item is temporary assistance, which reads members only).

Everything is read as valid on the item's date D (`as_of`, by default the first day of the
month): a dated rule row when effective_from <= D and (effective_to is empty or >= D); evidence
when valid_from <= D and (valid_to is empty or >= D); a membership when joined_on <= D < left_on.
A chunk whose items have different dates is read for the span of its dates and each row is
checked against its item's own date.
"""

import datetime
import functools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db.models import F, Q

from ..models import (
    AddOn,
    Asset,
    Household,
    IncomeLine,
    IncomeType,
    IncomeTypeRule,
    Membership,
    Scheme,
    SchemeRule,
    Standard,
    Town,
)
from .inputs import (
    DIBAO_CODE,
    AssetRow,
    IncomeRow,
    Inputs,
    Member,
    no_rule_error,
    no_scheme_error,
    no_standard_error,
)

# The columns the formula's row types are built from, in the order of their fields.
MEMBER_COLUMNS = (
    "person_id",
    "person__name",
    "person__birth_date",
    "person__disability_grade",
    "person__serious_illness",
)
INCOME_COLUMNS = ("person_id", "income_type_id", "monthly_amount")
ASSET_COLUMNS = ("person_id", "kind", "value", "units", "exempt")


@dataclass(frozen=True)
class Item:
    """One calculation to make, as `calculate` takes it."""

    household: Household  # only its pk and town_id are read
    scheme: Scheme | str
    month: datetime.date
    as_of: datetime.date | None = None
    covered_person_ids: list[int] | None = None

    @property
    def on(self) -> datetime.date:
        return self.as_of or self.month


# --- dated rows ---------------------------------------------------------------------------------


def valid_between(first: datetime.date, last: datetime.date) -> Q:
    """Dated rule rows valid on some day from `first` to `last` (on one day when they are
    equal); `covers` then keeps a row for one date."""
    return Q(effective_from__lte=last) & (Q(effective_to__isnull=True) | Q(effective_to__gte=first))


def covers(row, on: datetime.date) -> bool:
    return row.effective_from <= on and (row.effective_to is None or row.effective_to >= on)


def _evidence_covers(valid_from, valid_to, on: datetime.date) -> bool:
    return valid_from <= on and (valid_to is None or valid_to >= on)


def resolve_scheme(scheme: Scheme | str) -> Scheme:
    if isinstance(scheme, Scheme):
        return scheme
    try:
        return Scheme.objects.get(code=scheme)
    except Scheme.DoesNotExist:
        raise no_scheme_error(scheme) from None


def pick_rule(rows: Iterable[SchemeRule], scheme: Scheme, on: datetime.date) -> SchemeRule | None:
    """The scheme's rule row valid on `on`, from rows in their model order."""
    return next((row for row in rows if row.scheme_id == scheme.pk and covers(row, on)), None)


def pick_standard(
    rows: Iterable[Standard], scheme: Scheme, town_id: int | None, on: datetime.date
) -> Standard | None:
    """The monthly standard valid on `on` for the town: the town's own row if there is one, else
    the city-wide row. Schemes other than dibao are measured against the dibao standard. `rows`
    carry `scheme_code` (annotated) and come in their model order."""
    if scheme.kind == Scheme.Kind.DIBAO:
        measured = [row for row in rows if row.scheme_id == scheme.pk]
    else:
        measured = [row for row in rows if row.scheme_code == DIBAO_CODE]
    found = [
        row
        for row in measured
        if (row.town_id is None or row.town_id == town_id) and covers(row, on)
    ]
    # Non-overlapping rows: at most one town row and one city-wide row; the town row wins.
    found.sort(key=lambda row: row.town_id is None)
    return found[0] if found else None


def pick_add_ons(rows: Iterable[AddOn], scheme: Scheme, on: datetime.date) -> dict[str, AddOn]:
    return {row.category: row for row in rows if row.scheme_id == scheme.pk and covers(row, on)}


def income_type_answers(
    types: Iterable[tuple[int, bool]], rules: Iterable[IncomeTypeRule], on: datetime.date
) -> dict[int, tuple[bool, IncomeTypeRule | None]]:
    """Whether each income type is counted on `on`: the IncomeTypeRule row valid on that date,
    else IncomeType.counted (DOMAIN.md §5: the excluded list is configurable and dated). Types
    and rules come in their model order (by income-type code)."""
    answer = {pk: (counted, None) for pk, counted in types}
    for rule in rules:
        if rule.income_type_id in answer and covers(rule, on):
            answer[rule.income_type_id] = (rule.counted, rule)
    return answer


def scheme_rule(*, scheme: Scheme | str, on: datetime.date) -> SchemeRule:
    """The scheme's rule row valid on `on`."""
    scheme = resolve_scheme(scheme)
    rule = pick_rule(SchemeRule.objects.filter(valid_between(on, on), scheme=scheme), scheme, on)
    if rule is None:
        raise no_rule_error(scheme, on)
    return rule


def _standards(first: datetime.date, last: datetime.date, town_ids, schemes: Iterable[Scheme]):
    dibao_kind = [scheme.pk for scheme in schemes if scheme.kind == Scheme.Kind.DIBAO]
    return (
        Standard.objects.filter(valid_between(first, last))
        .filter(Q(town__isnull=True) | Q(town_id__in=town_ids))
        .filter(Q(scheme_id__in=dibao_kind) | Q(scheme__code=DIBAO_CODE))
        .annotate(scheme_code=F("scheme__code"))
    )


def standard_for(*, scheme: Scheme | str, town: Town | int | None, on: datetime.date) -> Standard:
    """The monthly standard valid on `on` for the town (see `pick_standard`)."""
    scheme = resolve_scheme(scheme)
    town_id = town.pk if isinstance(town, Town) else town
    row = pick_standard(_standards(on, on, [town_id], [scheme]), scheme, town_id, on)
    if row is None:
        raise no_standard_error(scheme, on)
    return row


def counted_income_types(
    *, on: datetime.date, income_type_ids: list[int] | set[int] | None = None
) -> dict[int, bool]:
    """Whether each income type is counted on `on` (see `income_type_answers`). The one answer to
    "is this income type counted"; the calculation uses nothing else."""
    types = IncomeType.objects.all()
    rules = IncomeTypeRule.objects.filter(valid_between(on, on))
    if income_type_ids is not None:
        types = types.filter(pk__in=income_type_ids)
        rules = rules.filter(income_type_id__in=income_type_ids)
    answers = income_type_answers(types.values_list("pk", "counted"), rules, on)
    return {type_id: counted for type_id, (counted, _rule) in answers.items()}


def income_type_counted(*, income_type: IncomeType, on: datetime.date) -> bool:
    return counted_income_types(on=on, income_type_ids=[income_type.pk])[income_type.pk]


# --- the loader ---------------------------------------------------------------------------------


def load_inputs(
    *,
    household: Household,
    scheme: Scheme | str,
    month: datetime.date,
    as_of: datetime.date | None = None,
    covered_person_ids: list[int] | None = None,
) -> Inputs:
    """The formula's inputs for one household: `load_chunk` of one item."""
    return load_chunk([Item(household, scheme, month, as_of, covered_person_ids)])[0]


def _schemes(items: Sequence[Item]) -> dict[str, Scheme]:
    """The items' schemes by code: those given as rows, and one query for those given by code."""
    given = {item.scheme.code: item.scheme for item in items if isinstance(item.scheme, Scheme)}
    codes = {item.scheme for item in items if isinstance(item.scheme, str)} - set(given)
    if codes:
        given.update((scheme.code, scheme) for scheme in Scheme.objects.filter(code__in=codes))
    return given


def _by_household(rows) -> dict[int, list[tuple]]:
    grouped = defaultdict(list)
    for row in rows:
        grouped[row[0]].append(row)
    return grouped


def load_chunk(items: Sequence[Item]) -> list[Inputs]:
    """The formula's inputs for each item, in the items' order, in a fixed number of queries
    (see the module's docstring). An item whose scheme, rule or standard is missing gets None
    there: the formula raises the error, so one such item does not stop the others."""
    if not items:
        return []
    schemes = _schemes(items)
    codes = [item.scheme.code if isinstance(item.scheme, Scheme) else item.scheme for item in items]
    scheme_of = [schemes.get(code) for code in codes]
    known = [n for n, scheme in enumerate(scheme_of) if scheme is not None]
    measured = [n for n in known if not scheme_of[n].is_temporary]
    dates = [item.on for item in items]
    first, last = min(dates), max(dates)

    rules, members = [], {}
    if known:
        rules = list(
            SchemeRule.objects.filter(
                valid_between(first, last), scheme_id__in={scheme_of[n].pk for n in known}
            )
        )
        members = _memberships({items[n].household.pk for n in known}, first, last)
    departures = _departures([items[n] for n in known], last)
    standards, income, assets, types, type_rules, add_ons = [], {}, {}, [], [], []
    if measured:
        household_ids = {items[n].household.pk for n in measured}
        town_ids = {items[n].household.town_id for n in measured}
        measured_schemes = {scheme_of[n].pk: scheme_of[n] for n in measured}
        standards = list(_standards(first, last, town_ids, measured_schemes.values()))
        income, assets = _evidence(household_ids, first, last)
        types = list(IncomeType.objects.values_list("pk", "counted"))
        type_rules = list(IncomeTypeRule.objects.filter(valid_between(first, last)))
        add_ons = list(
            AddOn.objects.filter(valid_between(first, last), scheme_id__in=measured_schemes)
        )

    # Rule rows are chosen once per scheme (town) and date, whatever the number of households.
    @functools.cache
    def rule_on(scheme: Scheme, on: datetime.date) -> SchemeRule | None:
        return pick_rule(rules, scheme, on)

    @functools.cache
    def standard_on(scheme: Scheme, town_id: int | None, on: datetime.date) -> Standard | None:
        return pick_standard(standards, scheme, town_id, on)

    @functools.cache
    def add_ons_on(scheme: Scheme, on: datetime.date) -> dict[str, AddOn]:
        return pick_add_ons(add_ons, scheme, on)

    @functools.cache
    def types_on(on: datetime.date) -> dict[int, tuple[bool, IncomeTypeRule | None]]:
        return income_type_answers(types, type_rules, on)

    inputs = []
    for item, scheme, code in zip(items, scheme_of, codes, strict=True):
        on, household = item.on, item.household
        measure = scheme is not None and not scheme.is_temporary
        current = [
            Member(*row[3:])
            for row in members.get(household.pk, ())
            if row[1] <= on and (row[2] is None or row[2] > on)
        ]
        inputs.append(
            Inputs(
                month=item.month,
                as_of=on,
                scheme_code=code,
                scheme=scheme,
                rule=rule_on(scheme, on) if scheme is not None else None,
                standard=standard_on(scheme, household.town_id, on) if measure else None,
                members=current,
                income_lines=[
                    IncomeRow(*row[3:])
                    for row in income.get(household.pk, ())
                    if _evidence_covers(row[1], row[2], on)
                ],
                income_types=types_on(on) if measure else {},
                assets=[
                    AssetRow(*row[3:])
                    for row in assets.get(household.pk, ())
                    if _evidence_covers(row[1], row[2], on)
                ],
                add_ons=add_ons_on(scheme, on) if measure else {},
                covered_person_ids=_still_covered(item, current, departures),
            )
        )
    return inputs


def _departures(items: Sequence[Item], last: datetime.date) -> dict[tuple[int, int], list]:
    """For the items that name their covered members: the dates on which a named person's
    membership of the item's household ended (a death, a move out), by (household, person).
    One query, and none when no item names its covered members."""
    named = [item for item in items if item.covered_person_ids]
    if not named:
        return {}
    rows = Membership.objects.filter(
        household_id__in={item.household.pk for item in named},
        person_id__in={pk for item in named for pk in item.covered_person_ids},
        left_on__lte=last,
    ).values_list("household_id", "person_id", "left_on")
    departures = defaultdict(list)
    for household_id, person_id, left_on in rows:
        departures[(household_id, person_id)].append(left_on)
    return departures


def _still_covered(item: Item, members: Sequence[Member], departures: dict) -> list[int] | None:
    """The covered members named for the item, less those who have left its household by the
    item's date (DOMAIN.md §5: the allowance covers co-resident members; a covered member who
    dies or moves out is no longer covered, and the others stay covered). A named person who
    never was a member stays named, and the formula refuses the list."""
    named = item.covered_person_ids
    if not named:
        return named
    on, household_id = item.on, item.household.pk
    present = {member.person_id for member in members}
    return [
        pk
        for pk in named
        if pk in present or not any(left <= on for left in departures.get((household_id, pk), ()))
    ]


def _memberships(household_ids, first: datetime.date, last: datetime.date) -> dict:
    """Memberships current on some day from `first` to `last`, with their people, by household,
    in the order they joined: (household, joined_on, left_on, *Member's fields)."""
    rows = (
        Membership.objects.filter(household_id__in=household_ids, joined_on__lte=last)
        .filter(Q(left_on__isnull=True) | Q(left_on__gt=first))
        .order_by("household_id", "joined_on", "id")
        .values_list("household_id", "joined_on", "left_on", *MEMBER_COLUMNS)
    )
    return _by_household(rows)


def _evidence(household_ids, first: datetime.date, last: datetime.date) -> tuple[dict, dict]:
    """Income lines and assets valid on some day from `first` to `last`, by household:
    (household, valid_from, valid_to, *IncomeRow's or AssetRow's fields)."""
    valid = Q(valid_from__lte=last) & (Q(valid_to__isnull=True) | Q(valid_to__gte=first))
    lines = (
        IncomeLine.objects.filter(valid, household_id__in=household_ids)
        .order_by()  # sums do not depend on the order
        .values_list("household_id", "valid_from", "valid_to", *INCOME_COLUMNS)
    )
    assets = (
        Asset.objects.filter(valid, household_id__in=household_ids)
        .order_by()
        .values_list("household_id", "valid_from", "valid_to", *ASSET_COLUMNS)
    )
    return _by_household(lines), _by_household(assets)
