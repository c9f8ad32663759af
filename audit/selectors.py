"""Reads of audit data within a user's scope.

Extracts: registry providers see their own uploads only; administrators, auditors and the city
supervisor see every upload; nobody else sees any.

Findings: scoped like every case read (cases.selectors.scope_by_town): case workers
and town supervisors see their towns' findings, city supervisors, finance officers and auditors
the city's, registry providers and administrators none."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from cases import selectors as case_selectors
from cases.models import Role
from cases.permissions import can_upload_extracts, can_view_extracts, is_partner, role_of
from relief.dates import parse_month_key
from relief.money import ZERO

from .models import Extract, Finding, RegistryRecord, Source

# The filters a findings list and the API accept, in one place.
FILTERS = ("period", "town", "kind", "state", "assignee")


def sources_uploadable(user):
    """The sources `user` may upload: a registry provider its assigned sources
    (Source.providers), an administrator every source, anyone else none."""
    if not can_upload_extracts(user):
        return Source.objects.none()
    if is_partner(user):
        return Source.objects.filter(providers=user)
    return Source.objects.all()


def sees_match_counts(user) -> bool:
    """Whether a report shows how many rows matched a person Relief knows (matched, dropped as
    unknown, set aside, names that differ). Not to a registry provider: those counts of a
    one-row file would tell a partner whether an ID number belongs to someone Relief serves."""
    return can_view_extracts(user) and not is_partner(user)


def extracts_visible(user):
    if not can_view_extracts(user):
        return Extract.objects.none()
    extracts = Extract.objects.select_related("source", "uploaded_by", "replaced_by")
    if role_of(user) == Role.REGISTRY_PROVIDER:
        return extracts.filter(uploaded_by=user)
    return extracts


def findings_in_scope(user) -> QuerySet[Finding]:
    return case_selectors.scope_by_town(Finding.objects.all(), user, "town")


def finding_get(*, user, pk) -> Finding:
    """One finding the user may see, or 404 (another town's finding does not exist for them)."""
    return case_selectors.get_in_scope(
        findings_in_scope(user).select_related(
            "town", "household", "person", "grant", "record__source", "extract__source", "assignee"
        ),
        pk=pk,
    )


def parse_filters(params) -> dict:
    """The list's filters from query parameters: period "YYYY-MM", town code, kind, state,
    assignee (a user id, or "me" in the caller's terms: the caller resolves it). Unknown values
    are an error naming the parameter."""
    filters: dict = {}
    period = (params.get("period") or "").strip()
    if period:
        filters["period"] = parse_month_key(period, "period")
    town = (params.get("town") or "").strip()
    if town:
        filters["town"] = town
    kind = (params.get("kind") or "").strip()
    if kind:
        if kind not in Finding.Kind.values:
            raise ValidationError({"kind": _("Unknown finding kind: %(kind)s.") % {"kind": kind}})
        filters["kind"] = kind
    state = (params.get("state") or "").strip()
    if state:
        if state not in Finding.State.values:
            raise ValidationError(
                {"state": _("Unknown finding state: %(state)s.") % {"state": state}}
            )
        filters["state"] = state
    assignee = (params.get("assignee") or "").strip()
    if assignee:
        if not assignee.isdigit():
            raise ValidationError({"assignee": _("Give the assignee as a user id.")})
        filters["assignee"] = int(assignee)
    return filters


def findings_filtered(*, user, period=None, town=None, kind=None, state=None, assignee=None):
    qs = findings_in_scope(user)
    if period is not None:
        qs = qs.filter(period=period)
    if town:
        qs = qs.filter(town__code=town)
    if kind:
        qs = qs.filter(kind=kind)
    if state:
        qs = qs.filter(state=state)
    if assignee is not None:
        qs = qs.filter(assignee_id=assignee)
    return qs


def findings_assigned(*, user) -> QuerySet[Finding]:
    """The findings waiting for the user: assigned to them and not decided yet."""
    return findings_in_scope(user).filter(
        assignee=user, state__in=(Finding.State.OPEN, Finding.State.PROPOSED)
    )


def findings_to_decide(*, user) -> QuerySet[Finding]:
    """Proposals a supervisor may decide: proposed, in scope, not proposed by the user."""
    return findings_in_scope(user).filter(state=Finding.State.PROPOSED).exclude(proposed_by=user)


@dataclass(frozen=True)
class Totals:
    count: int
    overpaid: Decimal
    underpaid: Decimal
    difference: Decimal
    by_state: dict = field(default_factory=dict)


def totals(qs: QuerySet[Finding]) -> Totals:
    """Counts and amounts of a (filtered) list of findings: one query for the sums, one for the
    states."""
    sums = qs.aggregate(
        n=Count("id"),
        over=Sum("overpaid"),
        under=Sum("underpaid"),
        diff=Sum("difference_total"),
    )
    by_state = dict(qs.order_by().values_list("state").annotate(n=Count("id")))
    return Totals(
        count=sums["n"],
        overpaid=sums["over"] or ZERO,
        underpaid=sums["under"] or ZERO,
        difference=sums["diff"] or ZERO,
        by_state=by_state,
    )


def by_town_and_kind(qs: QuerySet[Finding]) -> list[dict]:
    """{town code, town name, kind, count, overpaid, underpaid} per town and kind."""
    return list(
        qs.order_by()
        .values("town__code", "town__name", "kind")
        .annotate(count=Count("id"), overpaid=Sum("overpaid"), underpaid=Sum("underpaid"))
        .order_by("town__code", "kind")
    )


def coverage_by_month(*, user, period: datetime.date, months: int = 6) -> dict:
    """The matching coverage of the `months` months up to the period, for the month-by-month
    table: {"months": [month, ...], "rows": [{"source": Source, "shares": [share or None]}]},
    None for a month with no recipients."""
    from relief.dates import add_months

    month_list = [add_months(period, -back) for back in range(months - 1, -1, -1)]
    by_month = [matching_coverage(user=user, period=month) for month in month_list]
    rows = []
    for index, source in enumerate(Source.objects.all()):
        shares = [
            month_rows[index]["share"] if month_rows[index]["recipients"] else None
            for month_rows in by_month
        ]
        rows.append({"source": source, "shares": shares})
    return {"months": month_list, "rows": rows}


def matching_coverage(*, user, period: datetime.date) -> list[dict]:
    """For each source: the share of the period's active recipients (current members of the
    households of grants paying that month, in the user's towns) that have a record of the
    source in the period's imported extract. {source, matched, recipients, share (0..100)}."""
    from cases.models import Membership

    grants = case_selectors.grants_in_scope(user).filter(
        Q(ends_month__isnull=True) | Q(ends_month__gte=period),
        starts_month__lte=period,
    )
    people = (
        Membership.objects.filter(household__grants__in=grants)
        .filter(Q(left_on__isnull=True) | Q(left_on__gte=period))
        .filter(joined_on__lte=period)
        .values("person_id")
        .distinct()
    )
    recipients = people.count()
    matched = dict(
        RegistryRecord.objects.current()
        .filter(
            period=period,
            person_id__in=people,
        )
        .values("source_id")
        .annotate(n=Count("person_id", distinct=True))
        .values_list("source_id", "n")
    )
    rows = []
    for source in Source.objects.all():
        n = matched.get(source.pk, 0)
        share = (Decimal(n) * 100 / recipients).quantize(Decimal("0.1")) if recipients else ZERO
        rows.append({"source": source, "matched": n, "recipients": recipients, "share": share})
    return rows
