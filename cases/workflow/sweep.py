"""The daily sweep of the running clocks (DOMAIN.md §1 finding 3, §6): reminders before a due
date, escalation after it, and one breach record per clock that passed its due date.

- due soon: a running clock due within RELIEF_DUE_SOON_WORKING_DAYS working days (default 2;
  today included) reminds whoever holds it;
- overdue: a running clock whose due date has passed (today > due_on) tells its holders, and
  escalates to the town's supervisors, and to the city supervisors when the city decides;
- breach: created exactly when today > due_on for a running clock (never on the due date
  itself), or when a clock stops after its due date (cases.workflow.clocks.clock_stop). It is a
  fact: its due_on (the due date that was missed) never changes afterwards, and its
  working_days_late = working_days_between(breach.due_on, today) grows every day until the
  clock stops, even if an extension or a calendar change moved the clock's due date since.
Paused clocks are skipped: their due date moves when the pause closes. A pause with a cap (an
objection, DOMAIN.md §6) holds them only up to its cap: first the sweep releases the clocks whose
open pause passed its cap (cases.workflow.clocks.clocks_release_capped), and they are swept like
any running clock.

Safe to run twice, and safe to kill halfway: a breach is unique per clock and a notification per
user and key (the key names the clock and its due date), so a second run writes nothing new.
Safe to run concurrently (two sweeps of one town): breaches and notifications are inserted with
ON CONFLICT DO NOTHING and lateness is raised with a conditional UPDATE, so neither sweep fails
on the other's rows. The queries are set-based: the clocks to look at, the staff who hold or
supervise them, the existing breaches and notifications are each read in one query.
"""

import datetime
from collections import defaultdict

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from relief.workdays import add_working_days, working_days_between

from ..inbox import Message, notify_many
from ..models import Breach, Clock, Notification, Role, StaffProfile
from ..permissions import TOWN_ROLES
from .clocks import breach_for_stopped, breach_new, clocks_release_capped


def due_soon_working_days() -> int:
    return int(getattr(settings, "RELIEF_DUE_SOON_WORKING_DAYS", 2))


class _Staff:
    """Active staff by role, and for town roles by town: one query."""

    def __init__(self):
        self.by_town: dict[tuple[str, int], list[int]] = defaultdict(list)
        self.city: dict[str, list[int]] = defaultdict(list)
        profiles = StaffProfile.objects.filter(user__is_active=True).prefetch_related("towns")
        for profile in profiles:
            if profile.role in TOWN_ROLES:
                for town in profile.towns.all():
                    self.by_town[(profile.role, town.pk)].append(profile.user_id)
            else:
                self.city[profile.role].append(profile.user_id)

    def with_role(self, role: str, town_id: int) -> list[int]:
        if role in TOWN_ROLES:
            return self.by_town.get((role, town_id), [])
        return self.city.get(role, [])

    def holders(self, clock: Clock) -> list[int]:
        if clock.holder_user_id is not None:
            return [clock.holder_user_id]
        return self.with_role(clock.holder_role, clock.application.town_id)

    def supervisors(self, clock: Clock) -> list[int]:
        ids = list(self.with_role(Role.TOWN_SUPERVISOR, clock.application.town_id))
        if clock.application.needs_city:
            ids += self.with_role(Role.CITY_SUPERVISOR, clock.application.town_id)
        return ids


def _describe(clock: Clock) -> dict:
    return {
        "id": clock.application_id,
        "step": clock.get_kind_display(),
        "due": clock.due_on.isoformat(),
    }


def _breaches_grow(*, today: datetime.date, town_id: int | None) -> int:
    """Raise the lateness of every open breach of a running clock to the working days since the
    due date it missed (never lower it: a calendar change must not shrink a recorded breach).
    One UPDATE per missed due date; returns how many breaches changed."""
    open_breaches = Breach.objects.filter(
        final=False, clock__stopped_on__isnull=True, due_on__lt=today
    )
    if town_id is not None:
        open_breaches = open_breaches.filter(town_id=town_id)
    by_due = defaultdict(list)
    for pk, due_on in open_breaches.values_list("pk", "due_on"):
        by_due[due_on].append(pk)
    updated = 0
    for due_on, pks in by_due.items():
        late = working_days_between(due_on, today)
        updated += Breach.objects.filter(pk__in=pks, working_days_late__lt=late).update(
            working_days_late=late
        )
    return updated


@transaction.atomic
def clocks_sweep(*, today: datetime.date, town_id: int | None = None) -> dict:
    """Run the daily sweep for `today` (for one town, or all). Returns what it wrote."""
    released = clocks_release_capped(today=today, town_id=town_id)
    running = Clock.objects.filter(stopped_on__isnull=True, paused_since__isnull=True)
    if town_id is not None:
        running = running.filter(application__town_id=town_id)
    running = running.select_related("application")
    soon_until = add_working_days(today, due_soon_working_days())

    overdue = list(running.filter(due_on__lt=today))
    due_soon = list(running.filter(due_on__gte=today, due_on__lte=soon_until))

    # New breaches of running clocks. A breach another sweep inserts meanwhile is left as it is.
    existing = set(
        Breach.objects.filter(clock__in=[c.pk for c in overdue]).values_list("clock_id", flat=True)
    )
    new_breaches = [
        breach_new(
            clock, detected_on=today, working_days_late=working_days_between(clock.due_on, today)
        )
        for clock in overdue
        if clock.pk not in existing
    ]
    Breach.objects.bulk_create(new_breaches, ignore_conflicts=True)
    updated = _breaches_grow(today=today, town_id=town_id)

    # A clock that stopped late has its breach from clock_stop; this catches any that has not
    # (e.g. stopped before a calendar correction moved its due date earlier).
    stopped_late = Clock.objects.filter(
        Q(breach__isnull=True), stopped_on__isnull=False, stopped_on__gt=F("due_on")
    ).select_related("application")
    if town_id is not None:
        stopped_late = stopped_late.filter(application__town_id=town_id)
    late_stops = [breach_for_stopped(clock=clock, today=today) for clock in stopped_late]

    staff = _Staff()
    messages = []
    for clock in due_soon:
        text = _("Application #%(id)s: the %(step)s step is due on %(due)s.") % _describe(clock)
        for user_id in staff.holders(clock):
            messages.append(
                Message(
                    user_id,
                    Notification.Kind.DUE_SOON,
                    f"due_soon:clock:{clock.pk}:{clock.due_on}",
                    text,
                    clock.application_id,
                )
            )
    for clock in overdue:
        figures = _describe(clock) | {"days": working_days_between(clock.due_on, today)}
        holders = staff.holders(clock)
        text = (
            _(
                "Application #%(id)s: the %(step)s step was due on %(due)s and is overdue "
                "(%(days)s working days late)."
            )
            % figures
        )
        for user_id in holders:
            messages.append(
                Message(
                    user_id,
                    Notification.Kind.OVERDUE,
                    f"overdue:clock:{clock.pk}:{clock.due_on}",
                    text,
                    clock.application_id,
                )
            )
        escalation = _("Escalation: %(text)s") % {"text": text}
        for user_id in staff.supervisors(clock):
            if user_id in holders:
                continue
            messages.append(
                Message(
                    user_id,
                    Notification.Kind.ESCALATION,
                    f"escalation:clock:{clock.pk}:{clock.due_on}",
                    escalation,
                    clock.application_id,
                )
            )
    created = notify_many(messages)
    return {
        "clocks_released": released,
        "breaches_created": len(new_breaches),
        "breaches_updated": updated,
        "late_stops_recorded": len([b for b in late_stops if b is not None]),
        "notifications_created": len(created),
    }
