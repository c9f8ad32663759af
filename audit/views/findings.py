"""The findings pages: the list (filters, counts and amounts, sortable) and a
finding's page (the record, the rule's figures, the months table, what it led to, the actions
the user may take, its history). Every button calls one audit.findings service, which decides;
a refusal shows its message on the finding's page with 400 or 403, never a 500."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from cases import selectors as case_selectors
from cases.models import Role
from cases.permissions import DECIDER_ROLES, case_reader_required, role_of
from relief.sorting import Sort
from relief.views import (
    Action,
    action_forms,
    failed_summary,
    querystring_without_page,
    run_action,
)

from .. import findings as services
from .. import selectors
from ..forms import (
    ApproveForm,
    FindingFilterForm,
    ProposeConfirmForm,
    ProposeDismissForm,
    RejectForm,
    reassign_form,
)
from ..models import Finding

PAGE_SIZE = 50
# The names of the figures a rule or the check keeps on its finding (audit/rules.py,
# audit/check.py), as shown. Every key written there has a label here (a test renders every
# kind): a raw key would show English on the Chinese page.
FIGURE_LABELS = {
    "assets": gettext_lazy("Financial assets (yuan)"),
    "limit": gettext_lazy("Limit (yuan)"),
    "members": gettext_lazy("Co-resident members"),
    "standard": gettext_lazy("Standard (yuan)"),
    "months": gettext_lazy("Months of the standard"),
    "units": gettext_lazy("Units"),
    "residential": gettext_lazy("Residential units"),
    "non_residential": gettext_lazy("Non-residential units"),
    "max_residential": gettext_lazy("Most residential units allowed"),
    "max_non_residential": gettext_lazy("Most non-residential units allowed"),
    "vehicles": gettext_lazy("Vehicles"),
    "max_vehicles": gettext_lazy("Most vehicles allowed"),
    "vehicle_type": gettext_lazy("Vehicle type"),
    "exempt_types": gettext_lazy("Exempt vehicle types"),
    "businesses": gettext_lazy("Live business registrations"),
    "max_businesses": gettext_lazy("Most live business registrations allowed"),
    "status": gettext_lazy("Status"),
    "region": gettext_lazy("Moved to (region code)"),
    "registry": gettext_lazy("Registry income (yuan a month)"),
    "recorded": gettext_lazy("Recorded income (yuan a month)"),
    "tolerance": gettext_lazy("Tolerance (yuan a month)"),
    "income": gettext_lazy("Income (yuan a month)"),
    "income_type": gettext_lazy("Income type"),
    "date": gettext_lazy("Date"),
    "grants": gettext_lazy("Covered by the grants"),
    "records": gettext_lazy("Records set aside"),
    "sources": gettext_lazy("Sources"),
    "people": gettext_lazy("People"),
    "reference": gettext_lazy("Monitoring-list household number"),
    "per_capita_income": gettext_lazy("Income per person (yuan a month)"),
    "size": gettext_lazy("Household size"),
    "months_differing": gettext_lazy("Months paid a different amount"),
    "expected": gettext_lazy("Expected (yuan)"),
    "paid": gettext_lazy("Paid (yuan)"),
}


def _grants_shown(ids, user) -> list[str]:
    """Each grant as its town and scheme; its number only where the user may open it (another
    town's grant is only said to exist, DESIGN.md's town scoping)."""
    from cases.models import Grant

    grants = Grant.objects.filter(pk__in=ids).select_related("town", "scheme")
    openable = set(
        case_selectors.grants_in_scope(user).filter(pk__in=ids).values_list("pk", flat=True)
    )
    shown = []
    for grant in sorted(grants, key=lambda g: g.pk):
        text = f"{grant.town.name} · {grant.scheme}"
        shown.append(f"#{grant.pk} {text}" if grant.pk in openable else text)
    return shown


def _names(key: str, values, user) -> list[str]:
    """Codes and ids as the names a reader knows: sources, income types, people, grants."""
    from cases.models import IncomeType, Person

    from ..models import Source

    values = list(values)
    if key == "grants":
        return _grants_shown(values, user)
    model, field = {
        "sources": (Source, "code"),
        "income_type": (IncomeType, "code"),
        "people": (Person, "pk"),
    }[key]
    names = {
        getattr(row, field): str(row.name)
        for row in model.objects.filter(**{f"{field}__in": values})
    }
    return [names.get(value, str(value)) for value in values]


NAMED = ("grants", "sources", "income_type", "people")


def figure_rows(figures: dict, user=None) -> list[tuple[str, str]]:
    """(label, value) of each figure, codes and ids named, lists joined with 、, none as —."""
    rows = []
    for key, value in sorted((figures or {}).items()):
        if key in NAMED and value not in (None, "", []):
            many = isinstance(value, list | tuple)
            value = _names(key, value if many else [value], user)
            value = value if many else value[0]
        if value is None or value == "":
            value = "—"
        elif isinstance(value, list | tuple):
            value = "、".join(str(item) for item in value)
        elif isinstance(value, dict):
            value = "; ".join(f"{k}: {v}" for k, v in value.items())
        rows.append((str(FIGURE_LABELS.get(key, key)), str(value)))
    return rows


LIST_FILTERS = ("period", "town", "kind", "state", "assignee")
SORTS = {
    "id": ("id",),
    "period": ("period",),
    "town": ("town__code",),
    "kind": ("kind",),
    "state": ("state",),
    "difference": ("difference_total",),
    "due": ("due_on",),
}

ACTIONS: dict[str, Action] = {
    "confirm": Action(
        gettext_lazy("Propose to confirm"),
        ProposeConfirmForm,
        lambda actor, finding, data: services.finding_propose(
            actor=actor, finding=finding, proposal="confirm", reason=data["reason"] or ""
        ),
        gettext_lazy("Proposed to confirm: a supervisor decides."),
    ),
    "dismiss": Action(
        gettext_lazy("Propose to dismiss"),
        ProposeDismissForm,
        lambda actor, finding, data: services.finding_propose(
            actor=actor, finding=finding, proposal="dismiss", reason=data["reason"] or ""
        ),
        gettext_lazy("Proposed to dismiss: a supervisor decides."),
        "danger",
    ),
    "approve": Action(
        gettext_lazy("Approve the proposal"),
        ApproveForm,
        lambda actor, finding, data: services.finding_approve(actor=actor, finding=finding),
        gettext_lazy("Decided."),
    ),
    "reject": Action(
        gettext_lazy("Send back to the case worker"),
        RejectForm,
        lambda actor, finding, data: services.finding_reject(
            actor=actor, finding=finding, reason=data["reason"] or ""
        ),
        gettext_lazy("Sent back: the finding is open again."),
        "danger",
    ),
    "reassign": Action(
        gettext_lazy("Reassign"),
        reassign_form,
        lambda actor, finding, data: services.finding_reassign(
            actor=actor,
            finding=finding,
            assignee=get_user_model().objects.filter(pk=data["assignee"]).first(),
        ),
        gettext_lazy("Reassigned."),
    ),
}


def available_actions(finding: Finding, *, user) -> list[str]:
    """The buttons the user may plausibly use (the services decide)."""
    role = role_of(user)
    shown = []
    if finding.state == Finding.State.OPEN and (
        role == Role.TOWN_SUPERVISOR
        or (role == Role.CASE_WORKER and finding.assignee_id in (None, user.pk))
    ):
        shown += ["confirm", "dismiss"]
    if (
        finding.state == Finding.State.PROPOSED
        and role in DECIDER_ROLES
        and finding.proposed_by_id != user.pk
    ):
        shown += ["approve", "reject"]
    if finding.state in Finding.UNDECIDED and role in DECIDER_ROLES:
        shown.append("reassign")
    return shown


def _assignees(user) -> list[tuple[int, str]]:
    from cases.models import StaffProfile

    towns = case_selectors.towns_in_scope(user)
    profiles = (
        StaffProfile.objects.filter(role=Role.CASE_WORKER, towns__in=towns)
        .select_related("user")
        .order_by("user__username")
        .distinct()
    )
    return [(p.user_id, p.user.get_full_name() or p.user.get_username()) for p in profiles]


@require_GET
@case_reader_required
def finding_list(request):
    """The findings of the user's towns with their counts and amounts (over the filtered list,
    not the page). A fixed number of queries whatever the page size."""
    user = request.user
    towns = list(case_selectors.towns_in_scope(user).order_by("code"))
    filters = FindingFilterForm(request.GET or None, towns=towns, assignees=_assignees(user))
    assignee = filters.value("assignee")
    rows = selectors.findings_filtered(
        user=user,
        period=filters.value("period"),
        town=filters.value("town"),
        kind=filters.value("kind"),
        state=filters.value("state"),
        assignee=int(assignee) if assignee else None,
    )
    totals = selectors.totals(rows)
    keep = querystring_without_page(request.GET, LIST_FILTERS)
    sort = Sort.from_params(request.GET, SORTS, default="-period", keep=keep)
    rows = rows.select_related("town", "household", "person", "assignee").order_by(*sort.order_by)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "audit/finding_list.html",
        {
            "page": page,
            "filters": filters,
            "show_town_filter": len(towns) > 1,
            "totals": totals,
            "states": [
                (label, totals.by_state.get(value, 0)) for value, label in Finding.State.choices
            ],
            "sort": sort,
            "filters_query": sort.query,
        },
    )


def finding_page(request, pk, *, failed=None, status=200):
    user = request.user
    finding = selectors.finding_get(user=user, pk=pk)
    history = list(finding.history.select_related("history_user").order_by("-history_date"))
    return render(
        request,
        "audit/finding_detail.html",
        {
            "finding": finding,
            "record": finding.record,
            "figures": figure_rows(finding.figures, user),
            "outcome": services.outcome_links(finding),
            "own_proposal": (
                finding.state == Finding.State.PROPOSED and finding.proposed_by_id == user.pk
            ),
            "history": history,
            "action_forms": action_forms(
                ACTIONS, available_actions(finding, user=user), failed, target=finding
            ),
            "summary": failed_summary(ACTIONS, failed),
        },
        status=status,
    )


@require_GET
@case_reader_required
def finding_detail(request, pk):
    return finding_page(request, pk)


@require_POST
@case_reader_required
def finding_action(request, pk, action):
    finding = selectors.finding_get(user=request.user, pk=pk)
    if action not in ACTIONS:
        raise Http404
    ok, result, form, status = run_action(request, ACTIONS, action, finding)
    if ok:
        messages.success(request, ACTIONS[action].message(result, form.cleaned_data))
        return redirect("audit:finding-detail", pk=finding.pk)
    return finding_page(request, finding.pk, failed=(action, form), status=status)
