"""Grant pages: the list, a grant's page with its amount schedule (every entry with its "why this
amount"), suspensions, gradual exit and re-check date, the actions on a grant, and the standard
changes (one proposal per grant of a scheme from a month, confirmed as a whole by a second city
supervisor).

Every action button posts to one view that calls exactly one cases.grants service.
The services are the authority: an action they refuse (wrong role, wrong state, a month the
grant does not pay, confirming what one proposed) shows their message on the page, with 400 or
403, never a 500. Which buttons are offered is a courtesy that mirrors the services' checks."""

import datetime
from functools import partial

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from relief.dates import first_of_month, month_key
from relief.forms import id_param
from relief.money import format_money
from relief.sorting import Sort
from relief.views import (
    Action,
    action_forms,
    error_summary,
    querystring_without_page,
    run_action,
)
from relief.views import run_service as common_run_service

from .. import grants as schedules
from .. import selectors
from ..calculation import refusal_message
from ..forms.grants import (
    ConfirmForm,
    GradualExitForm,
    GrantFilterForm,
    ProposeForm,
    RecheckForm,
    RejectForm,
    ResumeForm,
    SuspendForm,
    TerminateForm,
)
from ..models import Grant, Role, ScheduleEntry, Scheme
from ..permissions import DECIDER_ROLES, PREPARER_ROLES, case_reader_required, role_of
from ..selectors import head_name, with_heads
from ..workflow import selectors as workflow

PAGE_SIZE = 50
GrantState = Grant.State
EntryState = ScheduleEntry.State

# Labels for the keys a service names that are not fields of the action's form.
KEY_LABELS = {
    "state": gettext_lazy("State"),
    "grant": gettext_lazy("Grant"),
    "confirmation": gettext_lazy("Standard change"),
    "from_month": gettext_lazy("From month"),
    "ends_month": gettext_lazy("Last month paid"),
    "months": gettext_lazy("Months"),
    "on": gettext_lazy("Re-checked on"),
    "reason": gettext_lazy("Reason"),
    "scheme": gettext_lazy("Scheme"),
    "calculation": gettext_lazy("Calculation"),
}


# A refused action shows the service's message on the page (relief.views.run_service).
run_service = partial(common_run_service, labels=KEY_LABELS)


def recheck_mark(grant: Grant, *, today: datetime.date) -> str:
    """ "overdue" or "due_soon" for an active grant's periodic re-check, in calendar days as the
    daily reminders count them (cases.grants.recheck_reminders); else ""."""
    due = grant.recheck_due_on
    if grant.state != GrantState.ACTIVE or due is None:
        return ""
    if due < today:
        return "overdue"
    if due <= schedules.recheck_due_soon_until(today):
        return "due_soon"
    return ""


# --- the list -------------------------------------------------------------------------------

LIST_FILTERS = ("state", "scheme", "town", "household")
# The sortable columns: column → the fields it orders by (relief/sorting.py).
GRANT_SORTS = {
    "id": ("id",),
    "scheme": ("scheme__code",),
    "head": ("head_name",),
    "town": ("town__code",),
    "state": ("state",),
    "months": ("starts_month",),
    "amount": ("confirmed_amount",),
    "recheck": ("recheck_due_on",),
}


@require_GET
@case_reader_required
def grant_list(request):
    """The grants of the user's towns, newest first, with what each pays this month (one
    annotation) and its re-check mark: a fixed number of queries whatever the page size."""
    user = request.user
    today = timezone.localdate()
    towns = list(selectors.towns_in_scope(user).order_by("code"))
    filters = GrantFilterForm(
        request.GET or None, schemes=Scheme.objects.order_by("code"), towns=towns
    )
    household = request.GET.get("household", "")
    household = id_param(household) or ""
    # The list shows this month's amount, not the schedules: drop grant_list's prefetch of them.
    rows = workflow.grant_list(
        user=user, state=filters.value("state"), household=household or None
    ).prefetch_related(None)
    if filters.value("scheme"):
        rows = rows.filter(scheme__code=filters.value("scheme"))
    if filters.value("town"):
        rows = rows.filter(town__code=filters.value("town"))
    rows = schedules.with_confirmed_amount(
        rows.select_related("household"), month=first_of_month(today)
    )
    keep = querystring_without_page(request.GET, LIST_FILTERS)
    sort = Sort.from_params(request.GET, GRANT_SORTS, default="-id", keep=keep)
    if sort.column == "head":
        rows = rows.annotate(head_name=selectors.head_name_of("household_id"))
    rows = rows.order_by(*sort.order_by)
    page = Paginator(with_heads(rows), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "cases/grants/list.html",
        {
            "page": page,
            "rows": [
                (grant, head_name(grant.household), recheck_mark(grant, today=today))
                for grant in page.object_list
            ],
            "filters": filters,
            "show_town_filter": len(towns) > 1,
            "household": household,
            "today": today,
            "sort": sort,
            "filters_query": sort.query,
            "can_propose_standard_change": role_of(user) == Role.CITY_SUPERVISOR,
        },
    )


# --- actions on a grant ---------------------------------------------------------------------


def _month(data, name="from_month") -> str:
    value = data.get(name)
    return month_key(value) if value else ""


def _proposed(entry, data) -> str:
    if entry is None:
        return _(
            "The calculation for %(month)s gives the confirmed amount in force: nothing to propose."
        ) % {"month": _month(data)}
    text = _(
        "Proposed %(amount)s yuan a month from %(month)s: it pays nothing until a second "
        "person confirms it."
    ) % {"amount": format_money(entry.amount), "month": month_key(entry.from_month)}
    if entry.calculation.get("eligible") is False:
        text += " " + refusal_message(entry.calculation)
    return text


ACTIONS: dict[str, Action] = {
    "propose": Action(
        gettext_lazy("Propose a new amount"),
        ProposeForm,
        lambda actor, grant, data: schedules.schedule_propose(
            grant=grant, actor=actor, from_month=data["from_month"], reason=data["reason"] or ""
        ),
        _proposed,
        "primary",
    ),
    "recheck": Action(
        gettext_lazy("Record a re-check"),
        RecheckForm,
        lambda actor, grant, data: schedules.grant_recheck_record(
            grant=grant, actor=actor, on=data["on"], note=data["note"] or ""
        ),
        lambda grant, data: (
            _("Re-check recorded: the next one is due on %(date)s.")
            % {"date": grant.recheck_due_on.isoformat()}
        ),
        "primary",
    ),
    "suspend": Action(
        gettext_lazy("Suspend payment"),
        SuspendForm,
        lambda actor, grant, data: schedules.grant_suspend(
            grant=grant, actor=actor, from_month=data["from_month"], reason=data["reason"] or ""
        ),
        lambda grant, data: _("Payment suspended."),
        "danger",
    ),
    "resume": Action(
        gettext_lazy("Resume payment"),
        ResumeForm,
        lambda actor, grant, data: schedules.grant_resume(
            grant=grant, actor=actor, from_month=data["from_month"], reason=data["reason"] or ""
        ),
        lambda grant, data: _("Payment resumed."),
        "primary",
    ),
    "gradual_exit": Action(
        gettext_lazy("Decide a gradual exit"),
        GradualExitForm,
        lambda actor, grant, data: schedules.grant_gradual_exit(
            grant=grant,
            actor=actor,
            from_month=data["from_month"],
            months=data["months"],
            stepped=data["stepped"],
            reason=data["reason"] or "",
        ),
        lambda grant, data: (
            _("Gradual exit decided: the grant ends with %(month)s.")
            % {"month": month_key(grant.ends_month)}
        ),
    ),
    "terminate": Action(
        gettext_lazy("Terminate the grant"),
        TerminateForm,
        lambda actor, grant, data: schedules.grant_terminate(
            grant=grant, actor=actor, ends_month=data["ends_month"], reason=data["reason"] or ""
        ),
        lambda grant, data: _("The grant was terminated."),
        "danger",
    ),
}


def available_actions(grant: Grant, *, user) -> list[str]:
    """The actions the user may plausibly take now, mirroring the services' checks: case
    workers and supervisors propose and record re-checks (not for temporary assistance);
    supervisors suspend, resume, terminate and decide a gradual exit."""
    role = role_of(user)
    state = grant.state
    temporary = grant.scheme.is_temporary
    paying = state in (GrantState.ACTIVE, GrantState.SUSPENDED)
    shown = set()
    if role in PREPARER_ROLES and paying and not temporary:
        shown |= {"propose", "recheck"}
    if role in DECIDER_ROLES:
        if state == GrantState.ACTIVE:
            shown.add("suspend")
            if not temporary and grant.exit_from_month is None:
                shown.add("gradual_exit")
        if state == GrantState.SUSPENDED:
            shown.add("resume")
        if paying:
            shown.add("terminate")
    return [name for name in ACTIONS if name in shown]


def _grant_get(user, pk) -> Grant:
    return selectors.get_in_scope(
        selectors.grants_in_scope(user).select_related(
            "household", "scheme", "town", "application"
        ),
        pk=pk,
    )


@require_POST
@case_reader_required
def grant_action(request, pk, action):
    """POST one action on a grant: one service call. Success goes back to the grant's page with
    a message; a refusal shows the page again with the service's message."""
    grant = _grant_get(request.user, pk)
    if action not in ACTIONS:
        raise Http404
    ok, result, form, status = run_action(request, ACTIONS, action, grant, KEY_LABELS)
    if ok:
        # A proposal equal to the amount in force records nothing: news, not a success.
        report = messages.info if action == "propose" and result is None else messages.success
        report(request, ACTIONS[action].message(result, form.cleaned_data))
        return redirect("cases:grant-detail", pk=grant.pk)
    return grant_page(request, grant.pk, failed=(action, form), status=status)


ENTRY_ACTIONS = {
    "confirm": Action(
        gettext_lazy("Confirm"),
        ConfirmForm,
        lambda actor, entry, data: schedules.schedule_confirm(entry=entry, actor=actor),
        gettext_lazy("Proposal confirmed: the grant pays its amount from its month."),
    ),
    "reject": Action(
        gettext_lazy("Reject"),
        RejectForm,
        lambda actor, entry, data: schedules.schedule_reject(
            entry=entry, actor=actor, reason=data["reason"] or ""
        ),
        gettext_lazy("Proposal rejected: it never pays."),
    ),
}


@require_POST
@case_reader_required
def schedule_entry_action(request, pk, entry_pk, action):
    """POST confirm or reject of one schedule proposal (a second person: the service refuses
    the proposer)."""
    grant = _grant_get(request.user, pk)
    entry = selectors.get_in_scope(
        schedules.schedule_entries_in_scope(request.user).filter(grant=grant), pk=entry_pk
    )
    if action not in ENTRY_ACTIONS:
        raise Http404
    spec = ENTRY_ACTIONS[action]
    form = spec.form_class()(request.POST, prefix=f"{action}-{entry.pk}")
    ok, result, status = run_service(form, lambda data: spec.run(request.user, entry, data))
    if ok:
        messages.success(request, spec.message(result, form.cleaned_data))
        return redirect(reverse("cases:grant-detail", args=[grant.pk]) + "#schedule")
    return grant_page(request, grant.pk, failed=(f"{action}-{entry.pk}", form), status=status)


# --- the grant's page -----------------------------------------------------------------------


def _label(name: str) -> str:
    """The label of a page action, or of a proposal's action keyed "confirm-<entry id>"."""
    if name in ACTIONS:
        return str(ACTIONS[name].label)
    action = name.split("-", 1)[0]
    return str(ENTRY_ACTIONS[action].label) if action in ENTRY_ACTIONS else name


def grant_page(request, pk, *, failed=None, status=200):
    """The grant's page in a fixed number of queries: facts, what it pays this month, the
    re-check date, suspensions, gradual exit, the whole schedule with each entry's
    calculation, and the actions the user may take."""
    user = request.user
    grant = _grant_get(user, pk)
    today = timezone.localdate()
    this_month = first_of_month(today)
    failed_key, failed_form = failed or (None, None)
    role = role_of(user)
    entries = list(
        schedules.schedule_entries_in_scope(user)
        .filter(grant=grant)
        .select_related("proposed_by", "confirmed_by", "rejected_by")
        .order_by("from_month", "id")
    )
    in_force = max(
        (e for e in entries if e.state == EntryState.CONFIRMED and e.from_month <= this_month),
        key=lambda e: (e.from_month, e.id),
        default=None,
    )
    decides = role in DECIDER_ROLES
    rows = []
    for entry in entries:
        row = {"entry": entry, "in_force": entry is in_force, "forms": []}
        waiting = entry.state == EntryState.PROPOSED and entry.confirmation_id is None
        row["own_proposal"] = waiting and decides and entry.proposed_by_id == user.pk
        refused_here = bool(failed_key) and failed_key.endswith(f"-{entry.pk}")
        if (waiting and decides and not row["own_proposal"]) or refused_here:
            for action in ENTRY_ACTIONS:
                key = f"{action}-{entry.pk}"
                form = (
                    failed_form
                    if key == failed_key
                    else ENTRY_ACTIONS[action].form_class()(prefix=key)
                )
                row["forms"].append(
                    {"action": action, "key": key, "form": form, "open": key == failed_key}
                )
        rows.append(row)
    summary = []
    if failed_form is not None:
        summary = [f"{_label(failed_key)} — {line}" for line in error_summary(failed_form)]
    head = (
        selectors.current_heads()
        .filter(household_id=grant.household_id)
        .select_related("person")
        .first()
    )
    return render(
        request,
        "cases/grants/detail.html",
        {
            "grant": grant,
            "household": grant.household,
            "head": head.person if head else None,
            "today": today,
            "this_month": this_month,
            "amount_now": schedules.confirmed_amount(grant=grant, month=this_month),
            "recheck_mark": recheck_mark(grant, today=today),
            "suspensions": list(
                grant.suspensions.select_related("suspended_by", "resumed_by").order_by(
                    "from_month", "id"
                )
            ),
            "entries": rows,
            "action_forms": action_forms(ACTIONS, available_actions(grant, user=user), failed),
            "summary": summary,
        },
        status=status,
    )


@require_GET
@case_reader_required
def grant_detail(request, pk):
    return grant_page(request, pk)


# --- standard changes -----------------------------------------------------------------------
