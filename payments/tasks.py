"""Background jobs of the payments app. Each task takes ids and strings, calls one service and
is safe to run twice (a second payment run for a period writes nothing)."""

import datetime

from celery import shared_task
from django.contrib.auth import get_user_model
from django.db import OperationalError
from django.utils import timezone

from cases.models import Town
from relief.dates import add_months, first_of_month

from . import corrections, runs
from .models import PaymentRun


def parse_period(value: str) -> datetime.date:
    """A period as "YYYY-MM" or the ISO date of its first day."""
    if len(value) == 7:
        value = f"{value}-01"
    return datetime.date.fromisoformat(value)


@shared_task(
    name="payments.payment_run",
    autoretry_for=(OperationalError,),
    max_retries=5,
    retry_backoff=True,
)
def payment_run(
    period: str,
    town_id: int | None = None,
    user_id: int | None = None,
    kind: str = PaymentRun.Kind.MONTHLY,
    run_id: int | None = None,
    today: str | None = None,
) -> dict:
    """A payment run for `period` ("YYYY-MM"), one town or every town, started by a user or
    (user_id None) by the scheduler; `run_id` carries out a run recorded by the API; `today`
    (ISO date) is the day of a disbursement batch, by default the local date. A lost database
    connection is retried: the towns committed stay done, the retry does the rest."""
    town = Town.objects.get(pk=town_id) if town_id is not None else None
    actor = get_user_model().objects.get(pk=user_id) if user_id is not None else None
    run = None
    if run_id is not None:
        run = PaymentRun.objects.get(pk=run_id)
        if run.state != PaymentRun.State.RUNNING:
            run = None  # a retried task: record the rest as a new run
    result = runs.payment_run(
        period=parse_period(period),
        town=town,
        actor=actor,
        kind=kind,
        run=run,
        today=datetime.date.fromisoformat(today) if today else None,
    )
    return result.as_dict()


@shared_task(
    name="payments.payment_run_town",
    autoretry_for=(OperationalError,),
    max_retries=5,
    retry_backoff=True,
)
def payment_run_town(run_id: int, town_id: int, user_id: int | None = None) -> dict:
    """One town of a recorded run (payments.runs.payment_run_town): the towns of a run are
    queued together, so as many workers as there are run them side by side; the last one
    records the run's result. A lost database connection is retried: a town committed stays
    done, and doing it again writes nothing."""
    run = PaymentRun.objects.get(pk=run_id)
    actor = get_user_model().objects.get(pk=user_id) if user_id is not None else None
    result = runs.payment_run_town(run=run, town=Town.objects.get(pk=town_id), actor=actor)
    return {"run": run_id, "town": town_id, "new_lines": result.new_lines}


def payment_run_fan_out(run: PaymentRun, *, user_id: int | None = None) -> int:
    """Queue a payment_run_town task for each town of a run recorded by
    payments.runs.payment_run_start, once the run's row is committed; returns their number."""
    towns = runs.run_towns(run)
    for town in towns:
        payment_run_town.delay_on_commit(run.pk, town.pk, user_id)
    return len(towns)


@shared_task(name="payments.monthly_run")
def monthly_run(today: str | None = None) -> int:
    """The beat entry on the 20th: next month's payment run for every town, recorded as one
    run (whose progress the batch pages show) and carried out by one task per town."""
    day = datetime.date.fromisoformat(today) if today else timezone.localdate()
    period = add_months(first_of_month(day), 1)
    return payment_run_fan_out(runs.payment_run_start(period=period))


@shared_task(name="payments.disbursement_run_all")
def disbursement_run_all(today: str | None = None) -> int:
    """The daily beat entry: one disbursement run per town for the current month, so each
    town's approved temporary assistance goes into its daily batch."""
    day = datetime.date.fromisoformat(today) if today else timezone.localdate()
    period = first_of_month(day).isoformat()
    town_ids = list(Town.objects.order_by("id").values_list("id", flat=True))
    for town_id in town_ids:
        payment_run.delay(
            period=period,
            town_id=town_id,
            kind=PaymentRun.Kind.DISBURSEMENT,
            today=day.isoformat(),
        )
    return len(town_ids)


@shared_task(
    name="payments.reassess_pending",
    autoretry_for=(OperationalError,),
    max_retries=5,
    retry_backoff=True,
)
def reassess_pending(today: str | None = None) -> int:
    """The daily job of payments.corrections: reassess each confirmed schedule entry that
    reached back into months already paid, once. Safe to run twice; every reassessment commits
    on its own, so a retry after a lost connection does only what is left."""
    day = datetime.date.fromisoformat(today) if today else timezone.localdate()
    return corrections.reassessments_pending(today=day)
