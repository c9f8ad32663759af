"""Standard changes: the list (a city supervisor proposes one here: a proposal for every grant
of a scheme paying from a month) and a change's page, confirmed or rejected as a whole by a
second city supervisor."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from relief.views import (
    Action,
    error_summary,
    failed_summary,
    querystring_without_page,
    run_action,
)

from .. import grants as schedules
from .. import selectors
from ..forms.grants import (
    ConfirmForm,
    RejectForm,
    StandardChangeForm,
)
from ..models import Role, ScheduleConfirmation, ScheduleEntry
from ..permissions import case_reader_required, role_of
from ..selectors import head_name, with_heads
from .grants import KEY_LABELS, PAGE_SIZE, run_service


@require_http_methods(["GET", "POST"])
@case_reader_required
def standard_change_list(request):
    """The standard changes the user may see, newest first; a city supervisor proposes one here
    (a POST: standard_change_propose, then its page)."""
    user = request.user
    can_propose = role_of(user) == Role.CITY_SUPERVISOR
    towns = list(selectors.towns_in_scope(user).order_by("code")) if can_propose else []
    form = StandardChangeForm(request.POST or None, towns=towns, prefix="propose")
    status = 200
    if request.method == "POST":
        ok, confirmation, status = run_service(
            form,
            lambda data: schedules.standard_change_propose(
                actor=user,
                scheme=data["scheme"],
                from_month=data["from_month"],
                town=data["town"],
                reason=data["reason"] or "",
            ),
        )
        if ok:
            messages.success(
                request,
                _(
                    "Standard change #%(id)s: %(proposed)s new amounts proposed, %(unchanged)s "
                    "unchanged, %(skipped)s skipped. It waits for a second city supervisor."
                )
                % {
                    "id": confirmation.pk,
                    "proposed": confirmation.proposed_count,
                    "unchanged": confirmation.unchanged_count,
                    "skipped": confirmation.skipped_count,
                },
            )
            return redirect("cases:standard-change-detail", pk=confirmation.pk)
    state = request.GET.get("state", "")
    rows = schedules.schedule_confirmations_listed(user)
    if state in ScheduleConfirmation.State.values:
        rows = rows.filter(state=state)
    page = Paginator(rows.order_by("-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "cases/grants/standard_changes.html",
        {
            "page": page,
            "rows": [(c, schedules.confirmation_figures(c)) for c in page.object_list],
            "form": form,
            "can_propose": can_propose or form.is_bound,
            "summary": error_summary(form),
            "states": ScheduleConfirmation.State.choices,
            "state": state,
            "filters_query": querystring_without_page(request.GET, ("state",)),
        },
        status=status,
    )


def with_amount_before(entries: QuerySet[ScheduleEntry]) -> QuerySet[ScheduleEntry]:
    """Annotate `amount_before`: the amount the grant paid from the entry's month before the
    entry (the confirmed entry it would replace, or, once confirmed, the one it superseded or
    followed). Entries of a grant and month are confirmed in the order of their ids (one
    proposal per grant and month waits at a time), so the latest earlier confirmed-or-superseded
    entry is that amount. One subquery, whatever the number of entries."""
    earlier = (
        ScheduleEntry.objects.filter(
            grant=OuterRef("grant"),
            state__in=(ScheduleEntry.State.CONFIRMED, ScheduleEntry.State.SUPERSEDED),
        )
        .filter(
            Q(from_month__lt=OuterRef("from_month"))
            | Q(from_month=OuterRef("from_month"), pk__lt=OuterRef("pk"))
        )
        .order_by("-from_month", "-id")
        .values("amount")[:1]
    )
    return entries.annotate(amount_before=Subquery(earlier))


CONFIRMATION_ACTIONS = {
    "confirm": Action(
        gettext_lazy("Confirm"),
        ConfirmForm,
        lambda actor, confirmation, data: schedules.schedule_confirmation_confirm(
            confirmation=confirmation, actor=actor
        ),
        gettext_lazy("Standard change confirmed: every grant pays its new amount from its month."),
    ),
    "reject": Action(
        gettext_lazy("Reject"),
        RejectForm,
        lambda actor, confirmation, data: schedules.schedule_confirmation_reject(
            confirmation=confirmation, actor=actor, reason=data["reason"] or ""
        ),
        gettext_lazy("Standard change rejected: none of its proposals pays."),
        "danger",
    ),
}


def standard_change_page(request, pk, *, failed=None, status=200):
    """A standard change with its proposals (household, amount before → new amount, state),
    paginated, and for a city supervisor other than the proposer the buttons that confirm or
    reject it as a whole."""
    user = request.user
    confirmation = selectors.get_in_scope(schedules.schedule_confirmations_listed(user), pk=pk)
    failed_key, failed_form = failed or (None, None)
    entries = with_heads(
        with_amount_before(
            schedules.schedule_entries_in_scope(user)
            .filter(confirmation=confirmation)
            .select_related("grant__household", "grant__town")
        ).order_by("grant_id", "id"),
        "grant__household",
    )
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    waiting = confirmation.state == ScheduleConfirmation.State.PROPOSED
    decides = role_of(user) == Role.CITY_SUPERVISOR
    own = confirmation.proposed_by_id == user.pk
    forms_ = []
    if (waiting and decides and not own) or failed_key:
        for action, spec in CONFIRMATION_ACTIONS.items():
            form = failed_form if action == failed_key else spec.form_class()(prefix=action)
            forms_.append({"action": action, "form": form, "open": action == failed_key})
    summary = failed_summary(CONFIRMATION_ACTIONS, failed)
    return render(
        request,
        "cases/grants/standard_change.html",
        {
            "confirmation": confirmation,
            "figures": schedules.confirmation_figures(confirmation),
            "skipped": schedules.skipped_in_scope(user=user, confirmation=confirmation),
            "page": page,
            "rows": [(entry, head_name(entry.grant.household)) for entry in page.object_list],
            "forms": forms_,
            "own_proposal": waiting and decides and own,
            "summary": summary,
        },
        status=status,
    )


@require_GET
@case_reader_required
def standard_change_detail(request, pk):
    return standard_change_page(request, pk)


@require_POST
@case_reader_required
def standard_change_action(request, pk, action):
    """POST confirm or reject of a standard change as a whole (a city supervisor other than the
    proposer: the service decides)."""
    confirmation = selectors.get_in_scope(
        schedules.schedule_confirmations_listed(request.user), pk=pk
    )
    if action not in CONFIRMATION_ACTIONS:
        raise Http404
    ok, result, form, status = run_action(
        request, CONFIRMATION_ACTIONS, action, confirmation, KEY_LABELS
    )
    if ok:
        messages.success(request, CONFIRMATION_ACTIONS[action].message(result, form.cleaned_data))
        return redirect("cases:standard-change-detail", pk=confirmation.pk)
    return standard_change_page(request, confirmation.pk, failed=(action, form), status=status)
