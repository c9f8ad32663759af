"""A household's timeline: who changed what, when and why, with old → new values, from the
simple-history rows of the household, its memberships, its members (while they were members),
income lines, assets, documents and authorisations. ID numbers are masked here too."""

import datetime
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from relief.people import staff_name

from .. import selectors
from ..idnumbers import mask_id_number
from ..models import (
    Asset,
    Authorisation,
    Document,
    IncomeLine,
    IncomeType,
    Membership,
    Person,
    Town,
    Village,
)
from ..permissions import case_reader_required

PAGE_SIZE = 50
# Rows read per kind of record, newest first: a household's whole history in practice, and a
# bound on the page's work for the rare household with thousands of changes.
ROWS_PER_KIND = 1000

# Not listed for a new row: the household is the page's subject, the stored file name is noise.
CREATION_HIDDEN = {"household", "file"}
KIND_LABELS = {
    "household": gettext_lazy("Household"),
    "membership": gettext_lazy("Membership"),
    "person": gettext_lazy("Member"),
    "incomeline": gettext_lazy("Income line"),
    "asset": gettext_lazy("Asset"),
    "document": gettext_lazy("Document"),
    "authorisation": gettext_lazy("Authorisation"),
}
ACTION_LABELS = {
    "+": gettext_lazy("created"),
    "~": gettext_lazy("changed"),
    "-": gettext_lazy("deleted"),
}


@dataclass
class Change:
    label: str
    old: str
    new: str


@dataclass
class Entry:
    when: datetime.datetime
    order: int
    kind: str
    subject: str
    action: str
    history_type: str
    user: str
    reason: str
    changes: list[Change] = field(default_factory=list)


def _history_rows(model, **lookup) -> list:
    rows = list(
        model.history.filter(**lookup)
        .select_related("history_user__staff")
        .order_by("-history_date", "-history_id")[:ROWS_PER_KIND]
    )
    rows.reverse()
    return rows


class _Names:
    """Readable values for foreign keys in the diffs, fetched once per kind of target."""

    def __init__(self, rows_by_kind):
        ids: dict[str, set] = {
            key: set()
            for key in ("town", "village", "income_type", "person", "scan", "uploaded_by")
        }
        for rows in rows_by_kind.values():
            for row in rows:
                for name, bucket in ids.items():
                    value = getattr(row, f"{name}_id", None)
                    if value is not None:
                        bucket.add(value)
        self.maps = {
            "town": dict(Town.objects.filter(pk__in=ids["town"]).values_list("pk", "name")),
            "village": dict(
                Village.objects.filter(pk__in=ids["village"]).values_list("pk", "name")
            ),
            "income_type": dict(
                IncomeType.objects.filter(pk__in=ids["income_type"]).values_list("pk", "name")
            ),
            "person": dict(Person.objects.filter(pk__in=ids["person"]).values_list("pk", "name")),
            "scan": dict(Document.objects.filter(pk__in=ids["scan"]).values_list("pk", "title")),
            "uploaded_by": dict(
                get_user_model()
                .objects.filter(pk__in=ids["uploaded_by"])
                .values_list("pk", "username")
            ),
        }

    def display(self, model, name: str, value) -> str:
        if value is None or value == "":
            return "—"
        if name == "id_number":
            return mask_id_number(str(value))
        if name in self.maps:
            return str(self.maps[name].get(value, f"#{value}"))
        model_field = model._meta.get_field(name)
        if model_field.choices:
            return str(dict(model_field.flatchoices).get(value, value))
        if isinstance(value, bool):
            return _("yes") if value else _("no")
        if isinstance(value, datetime.date):
            return value.isoformat()
        return str(value)


def _label(model, name: str) -> str:
    return capfirst(str(model._meta.get_field(name).verbose_name))


def _subject(kind: str, row, names: _Names) -> str:
    if kind == "household":
        return f"#{row.id}"
    if kind == "person":
        return f"{row.name} ({mask_id_number(row.id_number)})"
    person = names.maps["person"].get(getattr(row, "person_id", None), "")
    if kind == "membership":
        return f"{person} ({row.get_relation_display()})"
    if kind == "incomeline":
        income_type = names.maps["income_type"].get(row.income_type_id, "")
        return " ".join(part for part in (income_type, person, f"#{row.id}") if part)
    if kind == "asset":
        return " ".join(part for part in (row.get_kind_display(), person, f"#{row.id}") if part)
    if kind == "document":
        return row.title
    return " ".join(part for part in (person, str(row.signed_on)) if part)


def _person_windows(membership_rows) -> dict[int, list]:
    """For each person, the times they were a member of this household: from the first
    history row of each membership until the row that recorded their leaving."""
    windows: dict[int, list] = {}
    by_membership: dict[int, list] = {}
    for row in membership_rows:
        by_membership.setdefault(row.id, []).append(row)
    for rows in by_membership.values():
        end = next((r.history_date for r in rows if r.left_on is not None), None)
        windows.setdefault(rows[0].person_id, []).append((rows[0].history_date, end))
    return windows


def _registered_here(household, person_ids) -> set[int]:
    """The persons whose first membership anywhere is in this household: their registration
    (saved just before that membership) belongs to this household's timeline."""
    first: dict[int, int] = {}
    rows = (
        Membership.history.filter(person_id__in=person_ids, history_type="+")
        .order_by("history_date", "history_id")
        .values_list("person_id", "household_id")
    )
    for person_id, household_id in rows:
        first.setdefault(person_id, household_id)
    return {person_id for person_id, household_id in first.items() if household_id == household.pk}


def _member_rows(household, membership_rows) -> list:
    """A member's history rows from while they were a member of this household (and their
    registration if it was here): what another town recorded about them before is not shown."""
    windows = _person_windows(membership_rows)
    if not windows:
        return []
    registered = _registered_here(household, list(windows))
    return [
        row
        for row in _history_rows(Person, id__in=list(windows))
        if (row.history_type == "+" and row.id in registered)
        or any(
            start <= row.history_date and (end is None or row.history_date <= end)
            for start, end in windows[row.id]
        )
    ]


def household_timeline(*, user, household) -> list[Entry]:
    """Every tracked change of the household and what belongs to it, newest first. The
    household comes from selectors.household_get, so its town is already in the user's scope;
    a member's changes are shown only from the time they were a member of it."""
    membership_rows = _history_rows(Membership, household_id=household.pk)
    rows_by_kind = {
        "household": _history_rows(household._meta.model, id=household.pk),
        "membership": membership_rows,
        "person": _member_rows(household, membership_rows),
        "incomeline": _history_rows(IncomeLine, household_id=household.pk),
        "asset": _history_rows(Asset, household_id=household.pk),
        "document": _history_rows(Document, household_id=household.pk),
        "authorisation": _history_rows(Authorisation, household_id=household.pk),
    }
    names = _Names(rows_by_kind)
    entries = []
    for kind, rows in rows_by_kind.items():
        previous: dict[int, object] = {}
        for row in rows:
            model = row.instance_type
            before = previous.get(row.id)
            if before is not None and row.history_type != "-":
                delta = row.diff_against(before)
                changes = [
                    Change(
                        _label(model, c.field),
                        names.display(model, c.field, c.old),
                        names.display(model, c.field, c.new),
                    )
                    for c in delta.changes
                ]
            elif row.history_type == "+" or before is None:
                changes = [
                    Change(_label(model, f.name), "—", names.display(model, f.name, value))
                    for f in row.tracked_fields
                    if f.editable
                    and not f.primary_key
                    and f.name not in CREATION_HIDDEN
                    and (value := getattr(row, f.attname)) not in (None, "", False)
                ]
            else:
                changes = []
            previous[row.id] = row
            entries.append(
                Entry(
                    when=row.history_date,
                    order=row.history_id,
                    kind=str(KIND_LABELS[kind]),
                    subject=_subject(kind, row, names),
                    action=str(ACTION_LABELS.get(row.history_type, row.history_type)),
                    history_type=row.history_type,
                    user=staff_name(row.history_user),
                    reason=row.history_change_reason or "",
                    changes=changes,
                )
            )
    entries.sort(key=lambda e: (e.when, e.order), reverse=True)
    return entries


@require_GET
@case_reader_required
def household_history(request, pk):
    household = selectors.household_get(user=request.user, pk=pk)
    entries = household_timeline(user=request.user, household=household)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "cases/household_history.html", {"household": household, "page": page})
