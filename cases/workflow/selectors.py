"""Reads of the workflow: a user's work, the approval queue, the inbox, breaches and the town
dashboard. Scoping goes through cases.selectors (the one place that decides it); every function
returns a queryset computed in a constant number of queries."""

import datetime

from django.core.exceptions import ValidationError
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from relief.workdays import add_working_days

from .. import selectors
from ..models import (
    Application,
    ApplicationEvent,
    Breach,
    Clock,
    Grant,
    Notification,
    Role,
    Town,
)
from ..models.applications import OPEN_STATES
from ..permissions import DECIDER_ROLES, role_of
from .checks import current_calculation
from .decisions import DIBAO_APPROVE_STATES, TEMPORARY_DECIDE_STATES
from .sweep import due_soon_working_days


def application_list(*, user, state: str = "", scheme: str = "", town: str = "", household=None):
    qs = selectors.applications_in_scope(user).select_related("scheme", "town", "household")
    if state:
        qs = qs.filter(state=state)
    if scheme:
        qs = qs.filter(scheme__code=scheme)
    if town:
        qs = qs.filter(town__code=town)
    if household:
        qs = qs.filter(household_id=household)
    return qs.order_by("-id")


def application_get(*, user, pk) -> Application:
    return selectors.get_in_scope(
        selectors.applications_in_scope(user).select_related(
            "scheme", "town", "household", "created_by", "decided_by"
        ),
        pk=pk,
    )


def clocks_in_scope(user) -> QuerySet[Clock]:
    return selectors.scope_by_town(Clock.objects.all(), user, "application__town")


def with_flags(clocks: QuerySet[Clock], *, today: datetime.date) -> QuerySet[Clock]:
    """Annotate `overdue` (due date passed) and `due_soon` (due within the reminder window)."""
    soon_until = add_working_days(today, due_soon_working_days())
    running = Q(stopped_on__isnull=True, paused_since__isnull=True)
    return clocks.annotate(
        overdue=Case(
            When(running & Q(due_on__lt=today), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        ),
        due_soon=Case(
            When(running & Q(due_on__gte=today, due_on__lte=soon_until), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        ),
    )


def my_work(*, user, today: datetime.date | None = None) -> QuerySet[Clock]:
    """The running clocks of the applications the user holds, soonest due first: the steps held
    by the user by name, and those held by the user's role in the user's towns."""
    today = today or timezone.localdate()
    role = role_of(user)
    if role is None:
        return Clock.objects.none()
    held = Q(holder_user=user) | Q(holder_user__isnull=True, holder_role=role)
    clocks = clocks_in_scope(user).filter(held, stopped_on__isnull=True)
    return with_flags(
        clocks.select_related("application__scheme", "application__town"), today=today
    ).order_by("due_on", "id")


def approval_queue(*, user) -> QuerySet[Application]:
    """The applications waiting for a decision that this user may take: in scope, in a state
    that can be approved, not prepared by the user, and above the town threshold only for the
    city supervisor."""
    role = role_of(user)
    if role not in DECIDER_ROLES:
        return Application.objects.none()
    prepared = ApplicationEvent.objects.filter(application=OuterRef("pk"), actor=user).exclude(
        kind__in=ApplicationEvent.NOT_PREPARING
    )
    waiting = Q(scheme__kind__in=["dibao", "tekun"], state__in=DIBAO_APPROVE_STATES) | (
        Q(scheme__kind="temporary", state__in=TEMPORARY_DECIDE_STATES)
    )
    qs = (
        selectors.applications_in_scope(user)
        .filter(waiting)
        .exclude(created_by=user)
        .exclude(Exists(prepared))
    )
    if role != Role.CITY_SUPERVISOR:
        qs = qs.filter(needs_city=False)
    return qs.select_related("scheme", "town", "household").order_by("accepted_on", "id")


def inbox(*, user, unread: bool = False) -> QuerySet[Notification]:
    qs = Notification.objects.filter(user=user)
    if unread:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-created_at", "-id")


def unread_count(*, user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def breach_list(*, user, town: str = "", kind: str = "", open_only: bool = False):
    qs = selectors.breaches_in_scope(user).select_related("town", "application__scheme")
    if town:
        qs = qs.filter(town__code=town)
    if kind:
        qs = qs.filter(kind=kind)
    if open_only:
        qs = qs.filter(final=False)
    return qs.order_by("-detected_on", "-id")


def grant_list(*, user, state: str = "", household=None) -> QuerySet[Grant]:
    qs = selectors.grants_in_scope(user).select_related("scheme", "town")
    if state:
        qs = qs.filter(state=state)
    if household:
        qs = qs.filter(household_id=household)
    return qs.prefetch_related("schedule").order_by("-id")


def _count(qs) -> Subquery:
    counted = qs.order_by().values("town_id").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def dashboard_by_town(*, user, today: datetime.date | None = None) -> QuerySet[Town]:
    """For each town in scope: open applications, applications with an overdue running clock,
    and breaches recorded. One query, whatever the number of towns."""
    today = today or timezone.localdate()
    overdue_clocks = (
        Clock.objects.filter(
            application__town_id=OuterRef("pk"),
            stopped_on__isnull=True,
            paused_since__isnull=True,
            due_on__lt=today,
        )
        .order_by()
        .values("application__town_id")
        .annotate(n=Count("application_id", distinct=True))
        .values("n")
    )
    return selectors.towns_in_scope(user).annotate(
        open_applications=_count(
            Application.objects.filter(town_id=OuterRef("pk"), state__in=OPEN_STATES)
        ),
        overdue_applications=Coalesce(Subquery(overdue_clocks, output_field=IntegerField()), 0),
        breaches=_count(Breach.objects.filter(town_id=OuterRef("pk"))),
    )


def calculation_preview(
    application: Application, *, today: datetime.date
) -> tuple[dict | None, str]:
    """While an application is prepared (open, no calculation stored yet): the calculation as
    its next deciding step would make it today (checks.current_calculation), stored nowhere,
    shown like a stored one; or, when it cannot be made now, why."""
    if application.calculation or application.state not in OPEN_STATES:
        return None, ""
    try:
        return current_calculation(application, today).as_dict(), ""
    except ValidationError as exc:
        return None, " ".join(exc.messages)
