"""Background jobs of the cases app. Each task takes ids, calls one service and is safe to run
twice."""

import datetime
import logging

from celery import shared_task
from django.db import OperationalError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import grants as schedules
from . import imports
from .models import HouseholdImport, Town
from .workflow import sweep

logger = logging.getLogger(__name__)


@shared_task(bind=True, name="cases.import_households", max_retries=5)
def import_households(self, household_import_id: int) -> dict | None:
    """Check and write one uploaded caseload file (cases.imports.household_import_run). A
    finished import is left as it is, so a repeated delivery changes nothing. A lost database
    connection is retried (the import's transaction was rolled back, so the run starts over);
    anything else ends the import as rejected, so its status page does not wait forever."""
    try:
        household_import = imports.household_import_run(household_import_id=household_import_id)
    except OperationalError as exc:
        if not self.request.is_eager and self.request.retries < self.max_retries:
            raise self.retry(exc=exc, countdown=2**self.request.retries) from exc
        imports.household_import_fail(
            household_import_id=household_import_id,
            message=_("The database could not be reached; nothing was written. Try again later."),
        )
        raise
    except Exception:
        logger.exception("household import %s failed", household_import_id)
        imports.household_import_fail(
            household_import_id=household_import_id,
            message=_(
                "The import stopped on an unexpected error; nothing was written. "
                "Tell the administrator."
            ),
        )
        raise
    if household_import is None:
        return None
    return {
        "id": household_import.pk,
        "status": household_import.status,
        "households_created": household_import.households_created,
        "persons_created": household_import.persons_created,
        "errors": len(household_import.errors or []),
    }


@shared_task(
    name="cases.clocks_sweep",
    autoretry_for=(OperationalError,),
    max_retries=5,
    retry_backoff=True,
)
def clocks_sweep(today: str | None = None, town_id: int | None = None) -> dict:
    """The daily sweep of the working-day clocks (cases.workflow.sweep.clocks_sweep): reminders,
    escalation, breaches, for every town or one. Safe to run twice on the same day: a second run
    writes nothing new. `today` (ISO date) re-runs a given day; by default the local date in
    Asia/Shanghai."""
    day = datetime.date.fromisoformat(today) if today else timezone.localdate()
    return sweep.clocks_sweep(today=day, town_id=town_id)


@shared_task(name="cases.clocks_sweep_all")
def clocks_sweep_all(today: str | None = None) -> int:
    """The beat entry: one clocks_sweep task per town, so more workers sweep faster and one
    town's failure does not hold up the others. `today` is fixed here, once, so a sweep whose
    tasks run past midnight still sweeps one day."""
    day = today or timezone.localdate().isoformat()
    town_ids = list(Town.objects.order_by("id").values_list("id", flat=True))
    for town_id in town_ids:
        clocks_sweep.delay(today=day, town_id=town_id)
    return len(town_ids)


@shared_task(
    name="cases.grants_daily",
    autoretry_for=(OperationalError,),
    max_retries=5,
    retry_backoff=True,
)
def grants_daily(today: str | None = None) -> dict:
    """The grants' daily job (cases.grants.schedules_daily): re-check reminders and
    the end of finished gradual exits. Safe to run twice on the same day."""
    day = datetime.date.fromisoformat(today) if today else timezone.localdate()
    return schedules.schedules_daily(today=day)


def household_import_submit(*, actor, town: Town, upload) -> tuple[HouseholdImport, bool]:
    """Store the file and run the import in the background once the upload is committed."""
    household_import, created = imports.household_import_create(
        actor=actor, town=town, upload=upload
    )
    if created:
        pk = household_import.pk
        # robust: with Celery eager (quick start) the task runs right here, and a failure is
        # shown on the status page rather than as an error page for the upload.
        transaction.on_commit(lambda: import_households.delay(pk), robust=True)
    return household_import, created
