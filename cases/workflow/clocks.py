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

An open pause without a cap (waiting for documents: its end unknown) is left out of the stored
due_on; the clocks it holds are marked `paused_since`, the daily sweep skips them, and closing
the pause recomputes the due date. An open pause with a cap (an objection) is counted as ending
at its cap, the latest it can take off the clocks: the stored due_on includes it, and once the
cap has passed the pause holds the clocks no longer, so the sweep clears their `paused_since`
(`clocks_release_capped`) and they are reminded, escalated and breached like any running clock;
closing the pause earlier brings the due date forward. Due dates are stored, never computed on
read, and recomputed when a pause opens or closes, an extension is approved or the calendar
changes (`calendar_changed`, see `clocks_recompute_running`).

A breach is a fact (DOMAIN.md §1 finding 3: the audit counts them): once recorded, its due_on is
the due date that was missed and stays, whatever later moves the clock's due date (an extension,
a calendar correction); its working_days_late only grows, and when the clock stops it is final
at working_days_between(breach.due_on, stopped_on). It is inserted with ON CONFLICT DO NOTHING
(one per clock), so two sweeps, or a sweep and a step, recording it at once both succeed.
"""

import datetime
import logging
from collections import defaultdict

from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Greatest
from django.dispatch import receiver
from django.utils import timezone
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


def _pause_start(pause: Pause) -> datetime.date:
    if pause.kind == Pause.Kind.NOTICE:
        # The notice runs from starts_on to ends_on inclusive: its first day is off too.
        return pause.started_on - _ONE_DAY
    return pause.started_on


def pause_cap_ends_on(pause: Pause) -> datetime.date | None:
    """The last working day a pause with a cap (max_days) can take off the clocks; None without
    a cap."""
    if pause.max_days is None:
        return None
    return add_working_days(_pause_start(pause), pause.max_days)


def pause_holds(pause: Pause, today: datetime.date) -> bool:
    """Whether an excluded pause still holds the clocks on `today`: it is open, and it has no cap
    or its cap has not passed (DOMAIN.md §6: objection handling is not counted for at most
    objection_pause_max_days working days; the days after count again)."""
    if not pause.excluded or pause.ended_on is not None:
        return False
    cap = pause_cap_ends_on(pause)
    return cap is None or today <= cap


def _pause_interval(pause: Pause) -> tuple[datetime.date, datetime.date] | None:
    """The (start, end] interval of working days an excluded pause takes off the clocks: a closed
    pause up to its end, or its cap if that comes first; an open pause with a cap up to its cap
    (the latest it can end); an open pause without one, nothing yet."""
    if not pause.excluded:
        return None
    start, cap = _pause_start(pause), pause_cap_ends_on(pause)
    if pause.ended_on is None:
        return None if cap is None else (start, cap)
    end = pause.ended_on if cap is None else min(pause.ended_on, cap)
    return start, max(start, end)


def paused_working_days(
    *, started_on: datetime.date, stopped_on: datetime.date | None, pauses
) -> int:
    """The working days the pauses take off a clock that ran from started_on (to stopped_on, if
    it stopped), each working day counted once (see _pause_interval for open pauses)."""
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


def breach_new(clock: Clock, *, detected_on: datetime.date, working_days_late: int) -> Breach:
    """The breach of a clock that passed its due date, unsaved: its due_on is the due date that
    was missed."""
    return Breach(
        clock=clock,
        application_id=clock.application_id,
        town_id=clock.application.town_id,
        kind=clock.kind,
        due_on=clock.due_on,
        detected_on=detected_on,
        working_days_late=working_days_late,
        holder_role=clock.holder_role,
        holder_user_id=clock.holder_user_id,
    )


def breach_for_stopped(*, clock: Clock, today: datetime.date) -> Breach | None:
    """The final breach of a stopped clock: recorded now if it stopped after its due date and
    has none; an existing one (recorded while it ran) keeps the due date that was missed and
    becomes final at working_days_between(breach.due_on, stopped_on), never less than the
    lateness already recorded. None when the clock was never late."""
    if clock.stopped_on > clock.due_on:
        late = working_days_between(clock.due_on, clock.stopped_on)
        # One statement, no check-then-insert: a concurrent sweep that records the same breach
        # first makes this insert nothing (the breach is unique per clock).
        Breach.objects.bulk_create(
            [breach_new(clock, detected_on=clock.stopped_on, working_days_late=late)],
            ignore_conflicts=True,
        )
    breach = Breach.objects.filter(clock=clock).first()
    if breach is None:
        return None
    late = (
        working_days_between(breach.due_on, clock.stopped_on)
        if clock.stopped_on > breach.due_on
        else 0
    )
    # Greatest in the database: the lateness only grows, whatever another transaction wrote.
    Breach.objects.filter(pk=breach.pk).update(
        final=True, working_days_late=Greatest("working_days_late", Value(late))
    )
    breach.refresh_from_db()
    return breach


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
    """Open a pause; while it is open the running clocks it holds are marked paused. A pause
    with a cap (an objection) counts in their due dates at once, as ending at its cap."""
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
        pauses = _pauses(application)
        for clock in application.clocks.filter(stopped_on__isnull=True):
            _apply_due(clock, pauses)
            clock.paused_since = started_on
            with_actor(clock, actor, _("Clock paused")).save()
    return pause


def pause_close(*, pause: Pause, ended_on: datetime.date, actor) -> Pause:
    """Close a pause and recompute the due dates of the running clocks: each moves by exactly
    the working days the pause took off it."""
    pause.ended_on = max(ended_on, pause.started_on)
    pause.closed_by = actor
    with_actor(pause, actor, _("Pause closed")).save()
    clocks_recompute(
        application=pause.application, actor=actor, reason=_("Clock resumed"), today=ended_on
    )
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
    clocks_recompute(application=application, actor=actor, reason=reason, today=started_on)
    return pause


def clocks_recompute(
    *, application, actor, reason: str, today: datetime.date | None = None
) -> None:
    """Recompute the running clocks of one application from its pauses; they are paused while
    an open pause holds them on `today`."""
    today = today or timezone.localdate()
    pauses = _pauses(application)
    holding = next((p for p in pauses if pause_holds(p, today)), None)
    for clock in application.clocks.filter(stopped_on__isnull=True):
        changed = _apply_due(clock, pauses)
        paused_since = holding.started_on if holding is not None else None
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


def clocks_release_capped(*, today: datetime.date, town_id: int | None = None) -> int:
    """Let the clocks held by an open pause past its cap count again (DOMAIN.md §6: objection
    handling is not counted for at most objection_pause_max_days working days): their due
    date is recomputed with the pause ending at its cap and `paused_since` cleared, so the
    sweep reminds, escalates and breaches them. Returns how many clocks were released; run
    twice, the second run releases none."""
    pauses = Pause.objects.filter(ended_on__isnull=True, excluded=True, max_days__isnull=False)
    if town_id is not None:
        pauses = pauses.filter(application__town_id=town_id)
    expired = {p.application_id for p in pauses if not pause_holds(p, today)}
    if not expired:
        return 0
    by_application = defaultdict(list)
    for pause in Pause.objects.filter(application_id__in=expired):
        by_application[pause.application_id].append(pause)
    clocks = list(
        Clock.objects.select_for_update().filter(
            application_id__in=expired, stopped_on__isnull=True, paused_since__isnull=False
        )
    )
    for clock in clocks:
        _apply_due(clock, by_application[clock.application_id])
        clock.paused_since = None
    if clocks:
        bulk_update_with_history(
            clocks,
            Clock,
            ["due_on", "provisional", "paused_since"],
            default_change_reason=_(
                "The pause passed its cap of working days not counted: the clock counts again"
            ),
        )
    return len(clocks)


@receiver(calendar_changed, dispatch_uid="cases.workflow.clocks.calendar_changed")
def _calendar_changed(sender, years=(), **kwargs):
    """An administrator entered or corrected holiday days: every open due date is recomputed in
    the same transaction (DOMAIN.md §6: "when an administrator enters a new year's schedule,
    open due dates are recomputed")."""
    with transaction.atomic():
        changed = clocks_recompute_running(years=years)
    logger.info("calendar changed for %s: %s running clocks moved", years, changed)
