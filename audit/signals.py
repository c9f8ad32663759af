"""Findings follow a replaced extract: when a new file replaces an extract of a period that the
monthly check already covered, the period is checked again for the towns it covered, so that
findings raised from the old records are reconciled with the new ones at once rather than at
the next month's check. The run is queued once the import commits (a rolled-back import
starts nothing)."""

from functools import partial

from django.db import transaction
from django.dispatch import receiver

from cases.models import Town

from . import tasks
from .imports import extract_imported
from .models import CheckRun, CheckRunTown, Extract


def towns_checked(period) -> list[int]:
    """The towns whose check of `period` finished (by a city-wide or a town's run)."""
    return sorted(
        set(
            CheckRunTown.objects.filter(run__period=period, state=CheckRun.State.DONE).values_list(
                "town_id", flat=True
            )
        )
    )


@receiver(extract_imported, sender=Extract, dispatch_uid="audit.recheck_replaced_period")
def recheck_replaced_period(sender, *, extract, replaced, **kwargs):
    if replaced is None:
        return
    for town_id in towns_checked(extract.period):
        transaction.on_commit(
            partial(_start, period=extract.period, town_id=town_id, user=extract.uploaded_by)
        )


def _start(*, period, town_id, user):
    tasks.start(period=period, town=Town.objects.get(pk=town_id), user=user)
