"""Work pages: "My work" (the clocks a user holds and the open applications of their towns, soonest
due first), the supervisors' approval queue, the inbox, the dashboard of open and overdue items
by town (DOMAIN.md §1 finding 3), and the printable public-notice sheet (公示表) of a village or
community. Every list runs a fixed number of queries whatever its length."""

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from .. import grants as schedules
from .. import inbox as inbox_services
from .. import selectors
from ..models import Role, ScheduleConfirmation, Village
from ..permissions import APPROVAL_ROLES, DASHBOARD_ROLES, case_reader_required, role_of
from ..selectors import head_name, with_heads
from ..workflow import selectors as workflow
from . import workflow_ui

PAGE_SIZE = 50


def _marked(rows, *, due, today, paused=lambda row: False):
    soon = workflow_ui.soon_until(today)
    return [
        (row, workflow_ui.deadline_mark(due(row), today=today, soon=soon, paused=paused(row)))
        for row in rows
    ]


@require_GET
@case_reader_required
def my_work(request):
    """The running clocks the user holds (by name, or by role in their towns), and the open
    applications of their towns by next due date: overdue in red, due soon in amber."""
    today = timezone.localdate()
    clocks = with_heads(workflow.my_work(user=request.user, today=today), "application__household")
    clock_page = Paginator(clocks, PAGE_SIZE).get_page(request.GET.get("clocks"))
    open_page = Paginator(
        with_heads(workflow_ui.open_applications(user=request.user)), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "cases/work/my_work.html",
        {
            "today": today,
            "clock_page": clock_page,
            "clock_rows": [
                (clock, mark, head_name(clock.application.household))
                for clock, mark in _marked(
                    clock_page.object_list,
                    due=lambda clock: clock.due_on,
                    today=today,
                    paused=lambda clock: clock.paused_since is not None,
                )
            ],
            "open_page": open_page,
            "open_rows": [
                (application, mark, head_name(application.household))
                for application, mark in _marked(
                    open_page.object_list,
                    due=lambda application: application.next_due,
                    today=today,
                    paused=lambda application: application.paused_since is not None,
                )
            ],
        },
    )


@require_GET
@case_reader_required
def approval_queue(request):
    """The applications waiting for a decision this supervisor may take (not what they
    prepared; above the town threshold only for the city supervisor), with their deadlines;
    then the amount schedule proposals waiting for their confirmation (not their own), and for
    the city supervisor the standard changes another city supervisor proposed."""
    role = role_of(request.user)
    if role not in APPROVAL_ROLES:
        raise PermissionDenied(_("Only town and city supervisors decide applications."))
    today = timezone.localdate()
    page = Paginator(with_heads(workflow_ui.approval_queue(user=request.user)), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    schedule_page = Paginator(
        with_heads(
            schedules.schedule_queue(user=request.user).select_related("grant__household"),
            "grant__household",
        ),
        PAGE_SIZE,
    ).get_page(request.GET.get("schedule"))
    standard_changes = []
    if role == Role.CITY_SUPERVISOR:
        standard_changes = list(
            schedules.schedule_confirmations_in_scope(request.user)
            .filter(state=ScheduleConfirmation.State.PROPOSED)
            .exclude(proposed_by=request.user)
            .select_related("scheme", "town", "proposed_by")
            .order_by("from_month", "id")[:PAGE_SIZE]
        )
    return render(
        request,
        "cases/work/approvals.html",
        {
            "today": today,
            "page": page,
            "rows": [
                (application, mark, head_name(application.household))
                for application, mark in _marked(
                    page.object_list,
                    due=lambda application: application.next_due,
                    today=today,
                    paused=lambda application: application.paused_since is not None,
                )
            ],
            "schedule_page": schedule_page,
            "schedule_rows": [
                (entry, head_name(entry.grant.household)) for entry in schedule_page.object_list
            ],
            "standard_changes": standard_changes,
        },
    )


@require_GET
@case_reader_required
def inbox(request):
    unread_only = request.GET.get("unread") == "1"
    page = Paginator(workflow.inbox(user=request.user, unread=unread_only), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "cases/work/inbox.html",
        {"page": page, "unread_only": unread_only, "query": "unread=1" if unread_only else ""},
    )


def _back_to_inbox(request):
    target = request.POST.get("next", "")
    # Only back to the inbox itself (with its page and filter), never to another site.
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect("cases:inbox")


@require_POST
@case_reader_required
def notification_read(request, pk):
    notification = selectors.get_in_scope(workflow.inbox(user=request.user), pk=pk)
    inbox_services.notification_mark_read(actor=request.user, notification=notification)
    return _back_to_inbox(request)


@require_POST
@case_reader_required
def notifications_read_all(request):
    inbox_services.notifications_mark_all_read(actor=request.user)
    return _back_to_inbox(request)


@require_GET
@case_reader_required
def dashboard(request):
    """Open applications, applications with an overdue clock, and breaches, by town: a table
    and a bar chart drawn by the server (no script). City supervisors and auditors see every
    town, town supervisors their own."""
    if role_of(request.user) not in DASHBOARD_ROLES:
        raise PermissionDenied(_("The dashboard is for supervisors and auditors."))
    today = timezone.localdate()
    towns = list(workflow.dashboard_by_town(user=request.user, today=today).order_by("code"))
    widest = max([town.open_applications for town in towns] + [1])
    rows = [
        {
            "town": town,
            "open": town.open_applications,
            "overdue": town.overdue_applications,
            "breaches": town.breaches,
            # Bar lengths in whole percent of the busiest town's open applications: the
            # stylesheet's bar-w-0 .. bar-w-100 classes (no style attribute: the CSP).
            "open_width": round(100 * town.open_applications / widest),
            "overdue_width": round(100 * town.overdue_applications / widest),
        }
        for town in towns
    ]
    totals = {key: sum(row[key] for row in rows) for key in ("open", "overdue", "breaches")}
    return render(
        request,
        "cases/work/dashboard.html",
        {
            "today": today,
            "rows": rows,
            "chart_rows": [row for row in rows if row["open"] or row["overdue"]],
            "totals": totals,
        },
    )


@require_GET
@case_reader_required
def notice_sheet(request, town, village=None):
    """The public-notice sheet (公示表) to post at a village or community (or, without one, at
    the town service hall): masked head name, household size, amount, notice period. Never an
    ID number, an address or health data (DOMAIN.md §7)."""
    town_row = selectors.get_in_scope(selectors.towns_in_scope(request.user), code=town)
    village_row = None
    if village is not None:
        village_row = selectors.get_in_scope(Village.objects.filter(town=town_row), pk=village)
    today = timezone.localdate()
    notices = workflow_ui.notice_sheet(
        user=request.user, today=today, town=town_row.code, village=village
    )
    return render(
        request,
        "cases/work/notice_sheet.html",
        {"town": town_row, "village": village_row, "notices": list(notices), "today": today},
    )
