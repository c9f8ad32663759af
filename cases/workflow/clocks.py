"""Working-day clocks (DOMAIN.md §6): start, stop, pause, resume, recompute.

The arithmetic, exactly as DOMAIN.md §6 puts it:

    due_on = add_working_days(started_on, limit_days + paused working days)

where each pause overlapping the clock contributes the working days after its start up to and
including its end (relief.workdays.working_days_between; a pause opened and closed the same day
adds 0), clipped to the clock's own run (a pause before the clock started or after it stopped
adds nothing to it) and counted once where pauses overlap. Two refinements, both from §6:
- an objection pause counts off the clock for at most its `max_days` working days (Guangzhou:
  20); the days after that count again;
- the public notice, when the scheme does not count it (`notice_counts_in_clock` off), is a pause
  from its first to its last day, both included: all of its working days are off the clock.

An open pause (its end unknown) is left out of the stored due_on; the clocks it holds are marked
`paused_since`, the daily sweep skips them, and closing the pause recomputes the due date. So a
stored due_on is always right for every closed pause. Due dates are stored, never computed on
read, and recomputed when a pause closes, an extension is approved or the calendar changes
(`calendar_changed`, see `clocks_recompute_running`).
"""

import datetime
import logging
from collections import defaultdict

from django.db import transaction
from django.dispatch import receiver
from django.utils.translation import gettext as _
from simple_history.utils import bulk_update_with_history

from relief.history import with_actor
from relief.workdays import (
    add_working_days,
    calendar_changed,
    provisional_years,
    working_days_between,
)

from ..models import Breach, Clock, Pause

logger = logging.getLogger(__name__)

_ONE_DAY = datetime.timedelta(days=1)


def _pause_interval(pause: Pause) -> tuple[datetime.date, datetime.date] | None:
    """The (start, end] interval of working days a closed, excluded pause takes off the clocks."""
    if not pause.excluded or pause.ended_on is None:
        return None
    start, end = pause.started_on, pause.ended_on
    if pause.kind == Pause.Kind.NOTICE:
        # The notice runs from starts_on to ends_on inclusive: its first day is off too.
        start -= _ONE_DAY
    if pause.max_days is not None and working_days_between(start, end) > pause.max_days:
        end = add_working_days(start, pause.max_days)
    return start, end


def paused_working_days(
    *, started_on: datetime.date, stopped_on: datetime.date | None, pauses
) -> int:
    """The working days the closed pauses take off a clock that ran from started_on (to
    stopped_on, if it stopped), each working day counted once."""
    intervals = []
    for pause in pauses:
        interval = _pause_interval(pause)
        if interval is None:
            continue
        start = max(interval[0], started_on)
        end = interval[1] if stopped_on is None else min(interval[1], stopped_on)
        if end > start:
            intervals.append((start, end))
    total = 0
    current: list | None = None
    for start, end in sorted(intervals):
        if current is not None and start <= current[1]:
            current[1] = max(current[1], end)
            continue
        if current is not None:
            total += working_days_between(*current)
        current = [start, end]
    if current is not None:
        total += working_days_between(*current)
    return total


def due_date(
    *,
    started_on: datetime.date,
    limit_days: int,
    pauses=(),
    stopped_on: datetime.date | None = None,
) -> datetime.date:
    paused = paused_working_days(started_on=started_on, stopped_on=stopped_on, pauses=pauses)
    return add_working_days(started_on, limit_days + paused)


def _apply_due(clock: Clock, pauses) -> bool:
    """Recompute clock.due_on and clock.provisional in memory; True when either changed."""
    due_on = due_date(
        started_on=clock.started_on,
        limit_days=clock.limit_days,
        pauses=pauses,
        stopped_on=clock.stopped_on,
    )
    provisional = bool(provisional_years(clock.started_on, due_on))
    changed = (due_on, provisional) != (clock.due_on, clock.provisional)
    clock.due_on, clock.provisional = due_on, provisional
    return changed


def _pauses(application) -> list[Pause]:
    return list(Pause.objects.filter(application=application))


def clock_start(
    *,
    application,
    kind: str,
    started_on: datetime.date,
    limit_days: int,
    holder_role: str,
    holder_user=None,
    actor,
) -> Clock:
    clock = Clock(
        application=application,
        kind=kind,
        started_on=started_on,
        limit_days=limit_days,
        holder_role=holder_role,
        holder_user=holder_user,
    )
    _apply_due(clock, _pauses(application))
    with_actor(clock, actor, _("Clock started")).save()
    return clock


def clock_stop(*, clock: Clock, on: datetime.date, actor) -> Clock:
    """Stop a running clock on `on`. A clock that stops after its due date gets its breach
    record now (or its existing one becomes final), with the working days it was late."""
    if clock.stopped_on is not None:
        return clock
    clock.stopped_on = max(on, clock.started_on)
    clock.paused_since = None
    _apply_due(clock, _pauses(clock.application_id))
    with_actor(clock, actor, _("Clock stopped")).save()
    breach_for_stopped(clock=clock, today=on)
    return clock


def breach_for_stopped(*, clock: Clock, today: datetime.date) -> Breach | None:
    """The final breach of a stopped clock that stopped after its due date (none otherwise)."""
    late = clock.stopped_on is not None and clock.stopped_on > clock.due_on
    existing = Breach.objects.filter(clock=clock).first()
    if not late and existing is None:
        return None
    days = working_days_between(clock.due_on, clock.stopped_on) if late else 0
    if existing is not None:
        existing.working_days_late = days
        existing.due_on = clock.due_on
        existing.final = True
        existing.save(update_fields=["working_days_late", "due_on", "final"])
        return existing
    return Breach.objects.create(
        clock=clock,
        application_id=clock.application_id,
        town_id=clock.application.town_id,
        kind=clock.kind,
        due_on=clock.due_on,
        detected_on=clock.stopped_on,
        working_days_late=days,
        final=True,
        holder_role=clock.holder_role,
        holder_user_id=clock.holder_user_id,
    )


def clocks_stop_all(*, application, on: datetime.date, actor) -> None:
    for clock in application.clocks.filter(stopped_on__isnull=True).select_related("application"):
        clock_stop(clock=clock, on=on, actor=actor)


def clock_set_limit(*, clock: Clock, limit_days: int, actor, reason: str) -> Clock:
    """A new limit (an approved extension: 30 → 45); the due date follows."""
    clock.limit_days = limit_days
    _apply_due(clock, _pauses(clock.application_id))
    with_actor(clock, actor, reason).save()
    return clock


def pause_open(
    *,
    application,
    kind: str,
    started_on: datetime.date,
    excluded: bool,
    actor,
    reason: str = "",
    max_days: int | None = None,
) -> Pause:
    """Open a pause; while it is open the running clocks it holds are marked paused."""
    pause = Pause(
        application=application,
        kind=kind,
        started_on=started_on,
        excluded=excluded,
        max_days=max_days,
        reason=reason,
        opened_by=actor,
    )
    with_actor(pause, actor, _("Pause opened")).save()
    if excluded:
        for clock in application.clocks.filter(stopped_on__isnull=True):
            clock.paused_since = started_on
            with_actor(clock, actor, _("Clock paused")).save()
    return pause


def pause_close(*, pause: Pause, ended_on: datetime.date, actor) -> Pause:
    """Close a pause and recompute the due dates of the running clocks: each moves by exactly
    the working days the pause took off it."""
    pause.ended_on = max(ended_on, pause.started_on)
    pause.closed_by = actor
    with_actor(pause, actor, _("Pause closed")).save()
    clocks_recompute(application=pause.application, actor=actor, reason=_("Clock resumed"))
    return pause


def pause_scheduled(
    *,
    application,
    kind: str,
    started_on: datetime.date,
    ended_on: datetime.date,
    actor,
    reason: str = "",
) -> Pause:
    """A pause whose end is known when it starts (the public notice): closed from the start, so
    the due dates include it at once."""
    pause = Pause(
        application=application,
        kind=kind,
        started_on=started_on,
        ended_on=ended_on,
        excluded=True,
        reason=reason,
        opened_by=actor,
        closed_by=actor,
    )
    with_actor(pause, actor, _("Pause scheduled")).save()
    clocks_recompute(application=application, actor=actor, reason=reason)
    return pause


def clocks_recompute(*, application, actor, reason: str) -> None:
    """Recompute the running clocks of one application from its pauses."""
    pauses = _pauses(application)
    open_pause = next((p for p in pauses if p.ended_on is None and p.excluded), None)
    for clock in application.clocks.filter(stopped_on__isnull=True):
        changed = _apply_due(clock, pauses)
        paused_since = open_pause.started_on if open_pause is not None else None
        if changed or clock.paused_since != paused_since:
            clock.paused_since = paused_since
            with_actor(clock, actor, reason).save()


def clocks_recompute_running(*, years=None, batch_size: int = 2000) -> int:
    """Recompute the due date of every running clock after the calendar changed; returns how many
    changed. It iterates only running clocks (a stopped clock's due date is history), reads all
    their applications' pauses in one query per batch and writes the changed ones with
    bulk_update_with_history. A clock whose run cannot touch the changed years (it started after
    them, or is due before the first of them and would only move later) is still recomputed:
    cheap, and always right."""
    changed_total = 0
    running = Clock.objects.filter(stopped_on__isnull=True).order_by("pk")
    last_pk = 0
    while True:
        batch = list(running.filter(pk__gt=last_pk)[:batch_size])
        if not batch:
            break
        last_pk = batch[-1].pk
        pauses = defaultdict(list)
        for pause in Pause.objects.filter(application_id__in={c.application_id for c in batch}):
            pauses[pause.application_id].append(pause)
        changed = [clock for clock in batch if _apply_due(clock, pauses[clock.application_id])]
        if changed:
            bulk_update_with_history(
                changed,
                Clock,
                ["due_on", "provisional"],
                default_change_reason=_("Calendar changed: due date recomputed"),
            )
        changed_total += len(changed)
    return changed_total


@receiver(calendar_changed, dispatch_uid="cases.workflow.clocks.calendar_changed")
def _calendar_changed(sender, years=(), **kwargs):
    """An administrator entered or corrected holiday days: every open due date is recomputed in
    the same transaction (DOMAIN.md §6: "when an administrator enters a new year's schedule,
    open due dates are recomputed")."""
    with transaction.atomic():
        changed = clocks_recompute_running(years=years)
    logger.info("calendar changed for %s: %s running clocks moved", years, changed)
