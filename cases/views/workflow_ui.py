"""What the workflow pages read and show beyond cases.workflow: which step buttons to offer, the
deadline mark of a clock, open applications by their next due date, and the public notices.

Read-only. Which buttons to show is a courtesy to the user: the cases.workflow services remain
the authority, and a step they refuse shows their message on the page.
"""

import datetime
from dataclasses import dataclass

from django.db.models import F, Min, Q, QuerySet

from relief.workdays import add_working_days, working_days_between

from .. import selectors
from ..models import Application, ApplicationEvent, Clock, Pause, PublicNotice, Role
from ..models.applications import OPEN_STATES
from ..permissions import DECIDER_ROLES, PREPARER_ROLES, role_of
from ..workflow import selectors as workflow
from ..workflow.decisions import DIBAO_REJECT_STATES, TEMPORARY_DECIDE_STATES
from ..workflow.steps import SUPPLEMENT_STATES
from ..workflow.sweep import due_soon_working_days

State = Application.State


# --- deadline marks -------------------------------------------------------------------------


@dataclass(frozen=True)
class Mark:
    """How a due date stands today: "overdue", "due_soon", "on_time", "paused" or "stopped",
    with the working days left (on time, due soon) or late (overdue)."""

    status: str
    days_left: int | None = None
    days_late: int | None = None

    @property
    def overdue(self) -> bool:
        return self.status == "overdue"

    @property
    def due_soon(self) -> bool:
        return self.status == "due_soon"


def soon_until(today: datetime.date) -> datetime.date:
    """The last day a due date counts as due soon: the daily sweep's reminder window
    (RELIEF_DUE_SOON_WORKING_DAYS working days, cases.workflow.sweep)."""
    return add_working_days(today, due_soon_working_days())


def deadline_mark(
    due_on: datetime.date | None,
    *,
    today: datetime.date,
    soon: datetime.date,
    stopped: bool = False,
    paused: bool = False,
) -> Mark | None:
    if due_on is None:
        return None
    if stopped:
        return Mark("stopped")
    if paused:
        return Mark("paused")
    if due_on < today:
        return Mark("overdue", days_late=working_days_between(due_on, today))
    left = working_days_between(today, due_on)
    return Mark("due_soon" if due_on <= soon else "on_time", days_left=left)


def clock_mark(clock: Clock, *, today: datetime.date, soon: datetime.date) -> Mark:
    return deadline_mark(
        clock.due_on,
        today=today,
        soon=soon,
        stopped=clock.stopped_on is not None,
        paused=clock.paused_since is not None,
    )


# --- lists ----------------------------------------------------------------------------------

_RUNNING = Q(clocks__stopped_on__isnull=True)


def with_next_due(applications: QuerySet[Application]) -> QuerySet[Application]:
    """Annotate the earliest due date of the running clocks (`next_due`) and whether a running
    clock is paused (`paused_since`), in the same query."""
    return applications.annotate(
        next_due=Min("clocks__due_on", filter=_RUNNING),
        paused_since=Min("clocks__paused_since", filter=_RUNNING),
    )


def open_applications(*, user) -> QuerySet[Application]:
    """The open applications of the user's towns, soonest due first (those with no running
    clock, drafts and submitted files, last)."""
    return with_next_due(
        workflow.application_list(user=user).filter(state__in=OPEN_STATES)
    ).order_by(F("next_due").asc(nulls_last=True), "id")


def approval_queue(*, user) -> QuerySet[Application]:
    """cases.workflow's approval queue, with the next due date of each application."""
    return with_next_due(workflow.approval_queue(user=user)).order_by(
        F("next_due").asc(nulls_last=True), "accepted_on", "id"
    )


# Notices whose application is still on its way, or approved: a withdrawn or rejected
# application's notice is taken down.
NOTICE_SHOWN_STATES = [State.NOTICE, State.REINVESTIGATION, State.NOTICE_ENDED, State.APPROVED]
# The only fields a public notice page may read (DOMAIN.md §7: never ID numbers, addresses or
# health data): rows are read as these values, so no template can reach anything else.
PUBLIC_FIELDS = (
    "id",
    "town__code",
    "town__name",
    "village_id",
    "village__name",
    "head_name",
    "household_size",
    "amount",
    "starts_on",
    "ends_on",
)


def current_notices(*, today: datetime.date, town: str = "") -> QuerySet:
    """The public notices running today (starts_on ≤ today ≤ ends_on), by town and village, as
    dicts of PUBLIC_FIELDS. For the public board: no login, no scope."""
    notices = PublicNotice.objects.filter(
        starts_on__lte=today, ends_on__gte=today, application__state__in=NOTICE_SHOWN_STATES
    )
    if town:
        notices = notices.filter(town__code=town)
    return notices.order_by(
        "town__code", F("village__name").asc(nulls_first=True), "starts_on", "id"
    ).values(*PUBLIC_FIELDS)


def notice_sheet(*, user, today: datetime.date, town: str, village: int | None = None):
    """The notices running today that a village's or community's sheet (公示表) lists, or with no
    village, every notice of the town (the town service hall's sheet); scoped to the user."""
    notices = selectors.scope_by_town(
        PublicNotice.objects.filter(
            starts_on__lte=today,
            ends_on__gte=today,
            application__state__in=NOTICE_SHOWN_STATES,
            town__code=town,
        ),
        user,
        "town",
    )
    if village is not None:
        notices = notices.filter(village_id=village)
    return notices.order_by(F("village__name").asc(nulls_first=True), "starts_on", "id").values(
        *PUBLIC_FIELDS
    )


# --- which step buttons to show --------------------------------------------------------------

# In page order. "edit" is a link to the edit page; every other name is a POSTed step.
ACTION_ORDER = (
    "edit",
    "submit",
    "accept",
    "request_supplement",
    "supplement_received",
    "home_visit",
    "opinion",
    "start_notice",
    "objection",
    "end_notice",
    "extend",
    "emergency_approve",
    "approve",
    "reject",
    "complete_file",
    "disburse",
    "withdraw",
)


def preparer_ids(application: Application, events) -> set[int]:
    """As cases.workflow.checks.preparer_ids, from the events the page already read."""
    ids = {
        event.actor_id
        for event in events
        if event.actor_id is not None and event.kind not in ApplicationEvent.NOT_PREPARING
    }
    ids.add(application.created_by_id)
    return ids


def available_actions(
    application: Application,
    *,
    user,
    today: datetime.date,
    events=(),
    pauses=(),
    clocks=(),
    notice: PublicNotice | None = None,
    has_extension: bool = False,
) -> list[str]:
    """The steps the user may plausibly take now, mirroring the services' checks (DOMAIN.md §2,
    §6): preparers (case workers and supervisors) move the file on; a supervisor who did not
    prepare it decides (above the town threshold only the city supervisor); finance records
    the disbursement; while supplementary documents are awaited only their receipt, an
    extension and a withdrawal are possible."""
    role = role_of(user)
    state = application.state
    dibao_like = not application.scheme.is_temporary
    emergency = application.procedure == Application.Procedure.EMERGENCY
    waiting = any(p.kind == Pause.Kind.SUPPLEMENT and p.ended_on is None for p in pauses)
    shown: set[str] = set()

    if role in PREPARER_ROLES:
        if state == State.DRAFT:
            shown |= {"edit", "submit"}
        if state == State.SUBMITTED:
            shown.add("accept")
        if state in SUPPLEMENT_STATES:
            shown.add("supplement_received" if waiting else "request_supplement")
        if not waiting:
            if state in (State.ACCEPTED, State.REINVESTIGATION):
                shown.add("home_visit")
            if state == State.VISITED and dibao_like:
                shown.add("opinion")
            if state == State.OPINION and application.town_opinion == "recommend":
                shown.add("start_notice")
            if state == State.NOTICE and notice is not None:
                if notice.starts_on <= today <= notice.ends_on:
                    shown.add("objection")
                if today > notice.ends_on:
                    shown.add("end_notice")
        if state == State.APPROVED and emergency and application.file_completed_at is None:
            shown.add("complete_file")
        if state in OPEN_STATES:
            shown.add("withdraw")

    if role in DECIDER_ROLES and user.pk not in preparer_ids(application, events):
        overall_running = any(c.kind == Clock.Kind.OVERALL and c.stopped_on is None for c in clocks)
        if dibao_like:
            if overall_running and not has_extension and state in OPEN_STATES:
                shown.add("extend")
            if not waiting and state == State.NOTICE_ENDED:
                shown.add("approve")
            if not waiting and state in DIBAO_REJECT_STATES:
                shown.add("reject")
        elif not waiting and state in TEMPORARY_DECIDE_STATES:
            if not application.needs_city or role == Role.CITY_SUPERVISOR:
                shown |= {"emergency_approve" if emergency else "approve", "reject"}

    if role == Role.FINANCE and state == State.APPROVED:
        if any(c.kind == Clock.Kind.DISBURSEMENT and c.stopped_on is None for c in clocks):
            shown.add("disburse")

    return [name for name in ACTION_ORDER if name in shown]
