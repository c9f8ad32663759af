"""Periodic re-checks (DOMAIN.md §5): their due dates, recording them, and the daily reminders;
schedules_daily runs everything of this package the daily job needs."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_update_with_history

from relief.dates import add_months, first_of_month, when
from relief.history import with_actor

from ..calculation import scheme_rule
from ..inbox import Message, notify_many
from ..models import Grant, Membership, Notification, Person, Role, Scheme
from ..permissions import PREPARER_ROLES
from .checks import (
    CHUNK_SIZE,
    PROPOSER_MESSAGE,
    GrantState,
    grant_url,
    locked_grant,
    require_not_temporary,
    require_state,
    staff_of_towns,
)
from .lifecycle import gradual_exits_close

# Employment statuses with no fixed income of a person able to work (收入来源不固定, 有劳动能力).
IRREGULAR_EMPLOYMENT = (
    Person.Employment.FLEXIBLE,
    Person.Employment.SELF_EMPLOYED,
    Person.Employment.UNEMPLOYED,
)


def recheck_reminder_days() -> int:
    """Calendar days before a re-check falls due when its reminder goes out."""
    return int(getattr(settings, "RELIEF_RECHECK_REMINDER_DAYS", 30))


def recheck_due_soon_until(today: datetime.date) -> datetime.date:
    """The last day of the "due soon" window of re-checks: those due by then get their
    reminder (and the lists' "due soon" mark)."""
    return today + datetime.timedelta(days=recheck_reminder_days())


def _add_months_to_day(day: datetime.date, n: int) -> datetime.date:
    """The same day n months later, or that month's last day (2024-08-31 + 6 → 2025-02-28)."""
    month = add_months(first_of_month(day), n)
    last = add_months(month, 1) - datetime.timedelta(days=1)
    return month.replace(day=min(day.day, last.day))


def _age(birth: datetime.date, on: datetime.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def irregular_income(*, household_id: int, scheme: Scheme, on: datetime.date) -> bool:
    """Does the household re-check every six months? A current member of working age
    (rule.minor_age <= age < rule.elderly_age) in flexible or irregular work, self-employed, or
    unemployed and able to work: income not fixed, with working capacity (民发〔2021〕57号)."""
    rule = scheme_rule(scheme=scheme, on=on)
    members = (
        Membership.objects.filter(household_id=household_id, joined_on__lte=on)
        .filter(Q(left_on__isnull=True) | Q(left_on__gt=on))
        .filter(person__employment_status__in=IRREGULAR_EMPLOYMENT)
        .values_list("person__birth_date", flat=True)
    )
    return any(rule.minor_age <= _age(birth, on) < rule.elderly_age for birth in members)


def recheck_due_after(*, grant: Grant, on: datetime.date) -> datetime.date:
    """The next re-check after one on `on` (or after the approval): yearly, or every six
    months for a household with irregular income and working capacity (DOMAIN.md §5)."""
    rule = scheme_rule(scheme=grant.scheme, on=on)
    irregular = irregular_income(household_id=grant.household_id, scheme=grant.scheme, on=on)
    months = rule.recheck_months_irregular if irregular else rule.recheck_months_stable
    return _add_months_to_day(on, months)


def _approved_on(grant: Grant) -> datetime.date:
    decided = grant.application.decided_at
    return timezone.localdate(decided) if decided is not None else grant.starts_month


@transaction.atomic
def grant_recheck_record(
    *,
    grant: Grant,
    actor,
    on: datetime.date,
    note: str = "",
    today: datetime.date | None = None,
    now: datetime.datetime | None = None,
) -> Grant:
    """Record the periodic re-check made on `on`: the next one falls due a year (or six
    months) later. A change it finds is proposed with schedule_propose, or ends the grant."""
    today, now = when(today, now)
    grant = locked_grant(
        actor=actor, grant=grant, roles=PREPARER_ROLES, role_message=PROPOSER_MESSAGE
    )
    require_not_temporary(grant)
    require_state(grant, (GrantState.ACTIVE, GrantState.SUSPENDED), _("record a re-check"))
    if not isinstance(on, datetime.date) or isinstance(on, datetime.datetime):
        raise ValidationError({"on": _("Give the day of the re-check.")})
    if on > today:
        raise ValidationError({"on": _("The date cannot be in the future.")})
    if grant.last_rechecked_on is not None and on < grant.last_rechecked_on:
        raise ValidationError(
            {
                "on": _("A later re-check on %(date)s is already recorded.")
                % {"date": grant.last_rechecked_on.isoformat()}
            }
        )
    grant.last_rechecked_on = on
    grant.recheck_due_on = recheck_due_after(grant=grant, on=on)
    with_actor(grant, actor, (note or "").strip() or _("Re-check recorded")).save()
    return grant


def _rechecked_grants() -> QuerySet[Grant]:
    return Grant.objects.filter(state=GrantState.ACTIVE).exclude(scheme__kind=Scheme.Kind.TEMPORARY)


def recheck_schedule_missing() -> int:
    """Give every active dibao or tekun grant without a re-check date its first one, counted
    from its approval. Returns how many it set."""
    missing = list(
        _rechecked_grants()
        .filter(recheck_due_on__isnull=True)
        .select_related("scheme", "application")
        .order_by("pk")
    )
    for grant in missing:
        grant.recheck_due_on = recheck_due_after(grant=grant, on=_approved_on(grant))
    bulk_update_with_history(
        missing,
        Grant,
        ["recheck_due_on"],
        batch_size=CHUNK_SIZE,
        default_change_reason=_("Re-check scheduled"),
    )
    return len(missing)


@transaction.atomic
def recheck_reminders(*, today: datetime.date) -> dict:
    """The daily re-check reminders: for each active dibao or tekun grant whose re-check falls
    due within recheck_reminder_days() calendar days, the town's case workers are reminded
    once; when it is overdue, they and the town supervisors are told once. Grants with no
    re-check date get one first. Safe to run twice: each notification's key names the grant
    and its due date."""
    scheduled = recheck_schedule_missing()
    horizon = today + datetime.timedelta(days=recheck_reminder_days())
    due = list(
        _rechecked_grants()
        .filter(recheck_due_on__lte=horizon)
        .select_related("town")
        .only("pk", "town_id", "recheck_due_on", "application_id", "town__code")
        .order_by("recheck_due_on", "pk")
    )
    staff = staff_of_towns(
        (Role.CASE_WORKER, Role.TOWN_SUPERVISOR), {grant.town_id for grant in due}
    )
    messages = []
    for grant in due:
        figures = {"id": grant.pk, "due": grant.recheck_due_on.isoformat()}
        url = grant_url(grant.pk)
        workers = staff.get((Role.CASE_WORKER, grant.town_id), [])
        if grant.recheck_due_on >= today:
            text = _("Grant #%(id)s: the periodic re-check is due on %(due)s.") % figures
            kind, key = Notification.Kind.DUE_SOON, f"recheck:grant:{grant.pk}:{figures['due']}"
            users = workers
        else:
            text = _("Grant #%(id)s: the periodic re-check was due on %(due)s and is overdue.") % (
                figures
            )
            kind = Notification.Kind.OVERDUE
            key = f"recheck_overdue:grant:{grant.pk}:{figures['due']}"
            users = workers + staff.get((Role.TOWN_SUPERVISOR, grant.town_id), [])
        messages += [
            Message(user_id, kind, key, text, grant.application_id, url) for user_id in users
        ]
    created = notify_many(messages)
    return {"rechecks_scheduled": scheduled, "notifications_created": len(created)}


def schedules_daily(*, today: datetime.date) -> dict:
    """Everything of this module the daily job runs: re-check reminders and the end of
    finished gradual exits."""
    result = recheck_reminders(today=today)
    result["gradual_exits_closed"] = gradual_exits_close(today=today)
    return result
