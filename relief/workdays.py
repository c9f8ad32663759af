"""The working-day calendar: the one place that says whether a date is a working day.

Every clock in Relief counts working days (DOMAIN.md §6): `accepted_on` is
`first_working_day_on_or_after(received_on)`, a due date is
`add_working_days(accepted_on, limit + paused)`, and a pause adds
`working_days_between(pause_start, pause_end)`.

Whether a date is a working day, in order of precedence:
1. the administrators' table (`relief.models.CalendarDay`) for that date: a holiday is off, a
   make-up working day (调休) is on. It holds next year's State Council schedule between its
   publication in November and the package's update, and any correction;
2. the chinesecalendar package, which holds the State Council schedules for 2004–2026 (version
   1.11) and raises NotImplementedError for other years;
3. Monday to Friday, for a year the package does not hold. Such a year is *provisional* unless
   administrators have entered at least one day of it: then the entered days are its schedule.

This module knows no towns, cases or schemes (DESIGN.md). It reads the table once per process and
thread and keeps it, because one job computes due dates for thousands of applications; see
`clear_cache` for when a change is noticed.
"""

import itertools
import threading
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

import chinese_calendar
from django.db import transaction
from django.db.models import Count, Max
from django.dispatch import Signal

calendar_changed = Signal()
"""Sent with `years=[...]` (sorted) whenever a CalendarDay row is saved or deleted, with the
CalendarDay model as sender; an update that moves a row to another year names both years.

It is sent from the row's post_save/post_delete handler: inside the saving transaction and after
this process's cache was cleared, so a receiver that recomputes open due dates sees the new
schedule, and its work commits or rolls back together with the change. Work handed to another
process should be enqueued with `delay_on_commit` and call `clear_cache()` first: another
process notices the change only within REVALIDATE_SECONDS. Bulk writes that send no
post_save/post_delete send no signal either."""

REVALIDATE_SECONDS = 60
"""How long a process trusts its copy of the table before asking the database whether another
process changed it (one query counting the table's history rows)."""

_ONE_DAY = timedelta(days=1)

# The clock for revalidation, replaceable in tests.
_clock = time.monotonic
# Bumped on every change this process makes, so every thread reloads its copy.
_generations = itertools.count(1)
_generation = next(_generations)
# Per thread: `table`, the copy in use, and `uncommitted`, markers of this thread's changes that
# are not committed yet.
_local = threading.local()


@dataclass
class _Table:
    working: dict[date, bool]  # the administrators' days: True for a make-up working day
    entered_years: frozenset[int]
    generation: int
    fingerprint: tuple[int, int | None]
    checked_at: float


class _Uncommitted:
    """Marks a change made inside a transaction. It is registered with `on_commit`; Django drops
    it unrun when the savepoint or transaction holding the change rolls back, so a marker that
    has left the connection's commit hooks without running means the change never happened and
    the copy that contains it must go (tests roll back every change this way)."""

    def __init__(self, connection):
        self.connection = connection

    def __call__(self):
        _forget(self)
        clear_cache()

    def rolled_back(self) -> bool:
        return not any(func is self for _sids, func, _robust in self.connection.run_on_commit)


def _forget(marker):
    uncommitted = getattr(_local, "uncommitted", [])
    if marker in uncommitted:
        uncommitted.remove(marker)


def clear_cache() -> None:
    """Forget every thread's copy of the table in this process. Saving or deleting a CalendarDay
    does this itself; call it before computing in a process that learns of a change from
    elsewhere (e.g. a task enqueued by a `calendar_changed` receiver)."""
    global _generation
    _generation = next(_generations)
    _local.table = None


def _fingerprint() -> tuple[int, int | None]:
    from .models import CalendarDay

    # Every save and delete of a row appends a history row. The count grows with every commit
    # even when concurrent transactions commit their history ids out of order.
    found = CalendarDay.history.aggregate(rows=Count("history_id"), last=Max("history_id"))
    return found["rows"], found["last"]


def _load() -> _Table:
    from .models import CalendarDay

    # Fingerprint first: a change committed in between makes the next check reload, not miss it.
    fingerprint = _fingerprint()
    working = {
        day: kind == CalendarDay.Kind.WORKDAY
        for day, kind in CalendarDay.objects.values_list("day", "kind")
    }
    return _Table(
        working=working,
        entered_years=frozenset(day.year for day in working),
        generation=_generation,
        fingerprint=fingerprint,
        checked_at=_clock(),
    )


def _change_rolled_back() -> bool:
    uncommitted = getattr(_local, "uncommitted", None)
    if not uncommitted:
        return False
    gone = [marker for marker in uncommitted if marker.rolled_back()]
    for marker in gone:
        uncommitted.remove(marker)
    return bool(gone)


def _table() -> _Table:
    # Checked even without a copy, so that a copy loaded now is not dropped later for a
    # rollback that happened before it was loaded.
    rolled_back = _change_rolled_back()
    table = getattr(_local, "table", None)
    if table is not None and (rolled_back or table.generation != _generation):
        table = None
    if table is not None and _clock() - table.checked_at >= REVALIDATE_SECONDS:
        if _fingerprint() == table.fingerprint:
            table.checked_at = _clock()
        else:
            table = None
    if table is None:
        table = _local.table = _load()
    return table


def table_changed(*, sender, years, using: str = "default") -> None:
    """Called by CalendarDay's post_save/post_delete handlers: drop the cached copies, remember
    an uncommitted change, and send `calendar_changed`."""
    clear_cache()
    _change_rolled_back()  # forget markers of earlier rolled-back changes
    connection = transaction.get_connection(using)
    if connection.in_atomic_block:
        marker = _Uncommitted(connection)
        _local.__dict__.setdefault("uncommitted", []).append(marker)
        transaction.on_commit(marker, using=using)
    calendar_changed.send(sender=sender, years=sorted(set(years)))


@lru_cache(maxsize=256)
def _package_exceptions(year: int) -> frozenset[date] | None:
    """The days of `year` whose status in the package differs from Monday-to-Friday (holidays on
    weekdays, make-up working days at weekends), or None when the package has no data for the
    year. Computed once per year: `chinese_calendar.is_workday` validates the year on every call,
    which is too slow for thousands of due dates."""
    first = date(year, 1, 1)
    try:
        chinese_calendar.is_workday(first)
    except NotImplementedError:
        return None
    days = (first + timedelta(days=i) for i in range((date(year + 1, 1, 1) - first).days))
    return frozenset(day for day in days if chinese_calendar.is_workday(day) != (day.weekday() < 5))


def _is_working(table: _Table, day: date) -> bool:
    entered = table.working.get(day)
    if entered is not None:
        return entered
    weekday = day.weekday() < 5
    exceptions = _package_exceptions(day.year)
    if exceptions is None:
        return weekday
    return weekday != (day in exceptions)


def _check_date(name: str, value) -> None:
    # A datetime is a date too, but never equal to one: it would silently miss every entered day.
    if not isinstance(value, date) or isinstance(value, datetime):
        raise TypeError(f"{name} must be a date, not {type(value).__name__}")


def is_working_day(day: date) -> bool:
    _check_date("day", day)
    return _is_working(_table(), day)


def add_working_days(day: date, n: int) -> date:
    """The date `n` working days after `day`; `day` itself when n is 0, working day or not."""
    _check_date("day", day)
    if n < 0:
        raise ValueError(f"n must be 0 or more working days, got {n}")
    table = _table()
    while n:
        day += _ONE_DAY
        if _is_working(table, day):
            n -= 1
    return day


def working_days_between(start: date, end: date) -> int:
    """The number of working days after `start` up to and including `end` (0 when they are the
    same day): the working days a pause from `start` to `end` adds (DOMAIN.md §6)."""
    _check_date("start", start)
    _check_date("end", end)
    if end < start:
        raise ValueError(f"end ({end}) is before start ({start})")
    table = _table()
    count = 0
    day = start
    while day < end:
        day += _ONE_DAY
        count += _is_working(table, day)
    return count


def first_working_day_on_or_after(day: date) -> date:
    """The acceptance date for a complete file received on `day` (DOMAIN.md §6: received on
    Saturday 2024-02-03, accepted on Sunday 2024-02-04, a make-up working day)."""
    _check_date("day", day)
    table = _table()
    while not _is_working(table, day):
        day += _ONE_DAY
    return day


def _is_provisional(table: _Table, year: int) -> bool:
    return _package_exceptions(year) is None and year not in table.entered_years


def is_provisional(day_or_year: date | int) -> bool:
    """True for a year with neither package data nor any administrator-entered day: its working
    days are Monday to Friday, and results that depend on it are to be marked provisional."""
    year = day_or_year.year if isinstance(day_or_year, date) else int(day_or_year)
    return _is_provisional(_table(), year)


def provisional_years(*days: date) -> list[int]:
    """The provisional years from the earliest to the latest of `days`, e.g.
    `provisional_years(accepted_on, due)` for the marks and warnings on a due date."""
    if not days:
        return []
    for day in days:
        _check_date("day", day)
    table = _table()
    first, last = min(days).year, max(days).year
    return [year for year in range(first, last + 1) if _is_provisional(table, year)]
