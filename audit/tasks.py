"""Background jobs of the audit app: the monthly check (audit/check.py) and the findings'
working-day clock (audit/finding_clock.py). Each task takes ids and strings, calls one service
and is safe to run twice (a town already done is not checked again; a re-run changes nothing)."""

import datetime

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from cases.models import Town
from relief.dates import add_months, first_of_month
from relief.workdays import first_working_day_on_or_after

from . import check, finding_clock
from .models import CheckRun


def is_first_working_day_of_month(day: datetime.date) -> bool:
    return first_working_day_on_or_after(first_of_month(day)) == day


@shared_task(
    name="audit.monthly_check_town",
    autoretry_for=(OperationalError,),
    max_retries=5,
    retry_backoff=True,
)
def monthly_check_town(run_id: int, town_id: int) -> dict:
    """One town of a recorded check run; the last town to finish records the run's result."""
    run = CheckRun.objects.get(pk=run_id)
    part = check.run_town(run=run, town=Town.objects.get(pk=town_id))
    return {"run": run_id, "town": town_id, "new_findings": part.new_findings}


def fan_out(run: CheckRun) -> int:
    """Queue a monthly_check_town task for each town of the run once its row is committed, so
    that as many workers as there are check towns side by side; returns their number."""
    town_ids = list(run.towns.order_by("town__code").values_list("town_id", flat=True))
    for town_id in town_ids:
        monthly_check_town.delay_on_commit(run.pk, town_id)
    return len(town_ids)


def start(*, period: datetime.date, town=None, from_month=None, user=None) -> CheckRun:
    """Record a run and queue its towns (the check page, the API)."""
    run = check.start_check(period=period, town=town, from_month=from_month, user=user)
    fan_out(run)
    run.refresh_from_db()
    return run


@shared_task(name="audit.monthly_check")
def monthly_check(today: str | None = None) -> int | None:
    """The beat entry, daily at 03:00: on the first working day of the month only, check the
    month just ended for every town (one task per town). Returns the run's id, else None."""
    day = datetime.date.fromisoformat(today) if today else timezone.localdate()
    if not is_first_working_day_of_month(day):
        return None
    period = add_months(first_of_month(day), -1)
    if CheckRun.objects.filter(period=period, town__isnull=True, started_by__isnull=True).exists():
        return None  # the beat ran already this month
    return start(period=period).pk


@shared_task(
    name="audit.findings_daily",
    autoretry_for=(OperationalError,),
    max_retries=5,
    retry_backoff=True,
)
def findings_daily(today: str | None = None) -> dict:
    """The findings' working-day clock (audit.finding_clock.findings_daily): due dates, reminders,
    breaches. `today` (ISO date) re-runs a given day; by default the local date."""
    day = datetime.date.fromisoformat(today) if today else timezone.localdate()
    return finding_clock.findings_daily(today=day)
