"""Checking a caseload file before anything is written: every row against the registry, one
query per check for the whole file (a person in at most one household at a time, the same name
for an ID number, one head per household, the village in the town). Reads only."""

import datetime
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from relief import tabular
from relief.tabular import ImportReport, Row

from .. import services
from ..idnumbers import parse_id_number
from ..models import (
    Household,
    IncomeType,
    Person,
    Town,
    Village,
)
from ..registration import NOT_USABLE_HERE, hidden_persons
from .columns import HOUSEHOLD_LEVEL, QUERY_CHUNK, household_columns


@dataclass
class HouseholdPlan:
    ref: str
    rows: list[Row]
    village: Village | None = None


@dataclass
class ImportPlan:
    households: list[HouseholdPlan] = field(default_factory=list)
    existing_persons: dict[str, Person] = field(default_factory=dict)
    income_types: dict[str, IncomeType] = field(default_factory=dict)
    # People of another town whose ID number the file gives under another name (audited).
    foreign: list[Person] = field(default_factory=list)


def chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def in_chunks(queryset: QuerySet, lookup: str, values) -> list:
    values = sorted(values)
    result = []
    for chunk in chunks(values, QUERY_CHUNK):
        result.extend(queryset.filter(**{f"{lookup}__in": chunk}))
    return result


def household_import_validate(
    *, town: Town, table: tabular.Table, today: datetime.date | None = None, actor=None
) -> tuple[ImportReport, ImportPlan]:
    """Check every row of the file against the template and the registry; return every error
    found and, when there is none, the plan of what to write. Reads only. An ID number of a
    person `actor` may not see, given under another name, is only "not usable here" (as on the
    registration pages, cases.registration) and is listed in plan.foreign; `actor` None (the
    command line) sees everyone."""
    today = today or timezone.localdate()
    rows, report = tabular.parse_table(table, household_columns(today=today))
    plan = ImportPlan()

    groups: dict[str, list[Row]] = {}
    for row in rows:
        if row.valid("household_ref") and row["household_ref"]:
            groups.setdefault(row["household_ref"], []).append(row)

    first_row_of: dict[str, int] = {}
    for row in rows:
        number = row["id_number"]
        if not row.valid("id_number") or not number:
            continue
        if number in first_row_of:
            report.add(
                row.number,
                "id_number",
                _("the same ID number is already on row %(row)d") % {"row": first_row_of[number]},
            )
        else:
            first_row_of[number] = row.number

    for ref, group in groups.items():
        _check_household_rows(report, ref, group)

    # The registry, one query per check for the whole file.
    existing_refs = {
        h.import_ref
        for h in in_chunks(
            Household.objects.filter(town=town).only("import_ref"), "import_ref", groups
        )
    }
    villages = {v.name: v for v in Village.objects.filter(town=town)}
    income_types: dict[str, IncomeType] = {}
    for income_type in IncomeType.objects.all():
        income_types[income_type.name.lower()] = income_type
        income_types[income_type.code.lower()] = income_type
    persons = {p.id_number: p for p in in_chunks(Person.objects.all(), "id_number", first_row_of)}
    hidden = hidden_persons(actor, [person.pk for person in persons.values()])
    # The one membership rule of the registry, asked for every known person of the file at once.
    # A row whose joined_on is itself bad is still told when the person is a current member.
    joins = {
        persons[row["id_number"]].pk: row["joined_on"]
        if row.valid("joined_on")
        else datetime.date.max
        for row in rows
        if row.valid("id_number")
        and row["id_number"] in persons
        and not _foreign(row, persons, hidden)
    }
    join_refusals: dict[int, dict[str, str]] = {}
    for chunk in chunks(list(joins), QUERY_CHUNK):
        join_refusals.update(services.join_refusals({pk: joins[pk] for pk in chunk}))

    for ref, group in groups.items():
        if ref in existing_refs:
            report.add(
                group[0].number,
                "household_ref",
                _("a household with this reference was already imported into %(town)s")
                % {"town": town.name},
            )
        first = group[0]
        village = None
        if first.valid("village") and first["village"]:
            village = villages.get(first["village"])
            if village is None:
                for row in group:
                    report.add(
                        row.number,
                        "village",
                        _("%(town)s has no village or community of this name")
                        % {"town": town.name},
                    )
        plan.households.append(HouseholdPlan(ref=ref, rows=group, village=village))

    for row in rows:
        if _foreign(row, persons, hidden):
            plan.foreign.append(persons[row["id_number"]])
        _check_row_against_registry(report, row, persons, join_refusals, income_types, hidden)

    plan.existing_persons = persons
    plan.income_types = income_types
    return report, plan


def _check_household_rows(report: ImportReport, ref: str, group: list[Row]) -> None:
    heads = [row for row in group if row.valid("relation") and row["relation"] == "head"]
    if not heads:
        report.add(
            group[0].number,
            "relation",
            _("household %(ref)s has no head; exactly one member must have the relation head")
            % {"ref": ref},
        )
    elif len(heads) > 1:
        head_rows = ", ".join(str(row.number) for row in heads)
        for row in heads:
            report.add(
                row.number,
                "relation",
                _(
                    "household %(ref)s has %(count)d heads (rows %(rows)s); exactly one member "
                    "must have the relation head"
                )
                % {"ref": ref, "count": len(heads), "rows": head_rows},
            )
    first = group[0]
    for column in HOUSEHOLD_LEVEL:
        for row in group[1:]:
            if row.valid(column) and first.valid(column) and row[column] != first[column]:
                report.add(
                    row.number,
                    column,
                    _(
                        "differs from row %(row)d of household %(ref)s; this column must be the "
                        "same on every row of a household"
                    )
                    % {"row": first.number, "ref": ref},
                )


def _foreign(row: Row, persons, hidden: set[int]) -> bool:
    """A person the actor may not see, given under another name."""
    person = persons.get(row["id_number"]) if row.valid("id_number") else None
    return (
        person is not None
        and person.pk in hidden
        and row.valid("name")
        and bool(row["name"])
        and person.name != row["name"]
    )


def _check_row_against_registry(
    report, row: Row, persons, join_refusals, income_types, hidden: set[int]
) -> None:
    person = persons.get(row["id_number"]) if row.valid("id_number") else None
    if person is not None and _foreign(row, persons, hidden):
        report.add(row.number, "id_number", str(NOT_USABLE_HERE))
    elif person is not None:
        if row.valid("name") and row["name"] and person.name != row["name"]:
            report.add(
                row.number,
                "name",
                _("this ID number is registered under another name; check both"),
            )
        for column, message in join_refusals.get(person.pk, {}).items():
            report.add(row.number, column, message)
    if row.valid("id_number", "joined_on") and row["id_number"]:
        birth = parse_id_number(row["id_number"]).birth_date
        if row["joined_on"] < birth:
            report.add(
                row.number,
                "joined_on",
                _("is before the member's birth date in the ID number (%(date)s)")
                % {"date": birth.isoformat()},
            )
    if row.valid("income_type") and row["income_type"]:
        if row["income_type"].lower() not in income_types:
            codes = sorted({t.code for t in income_types.values()})
            report.add(
                row.number,
                "income_type",
                _("unknown income type; use a code of the income-type table: %(codes)s")
                % {"codes": ", ".join(codes)},
            )
    elif row.valid("income_type", "income_monthly") and row["income_monthly"] > 0:
        report.add(
            row.number,
            "income_type",
            _("an income type is required when income_monthly is above zero"),
        )
