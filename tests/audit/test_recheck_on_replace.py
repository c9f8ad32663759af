"""Findings follow a replaced extract (audit/signals.py): a new file replacing an extract of a
period the check already covered queues a re-check of that period for the towns it covered,
once the import commits; nothing when the period was not checked or nothing was replaced."""

import datetime
import io

import pytest
from django.utils import timezone

from audit import imports, tasks
from audit.models import CheckRun, CheckRunTown, Source
from tests.factories import PersonFactory, town

pytestmark = pytest.mark.django_db

PERIOD = datetime.date(2026, 11, 1)
HEADER = "身份证号,姓名,机构,余额,余额日期"


def upload(person, amount):
    data = f"{HEADER}\n{person.id_number},,工行,{amount},2026-11-30\n".encode()
    return imports.extract_import(
        actor=None, source=Source.objects.get(code="deposits"), period=PERIOD, file=io.BytesIO(data)
    )


def checked(town_slug, period=PERIOD, state=CheckRun.State.DONE):
    run = CheckRun.objects.create(
        period=period, from_month=period, state=state, finished_at=timezone.now()
    )
    CheckRunTown.objects.create(run=run, town=town(town_slug), state=state)
    return run


@pytest.fixture
def queued(monkeypatch):
    """The runs the re-check queues (their towns' tasks are not carried out here)."""
    runs = []
    monkeypatch.setattr(tasks, "fan_out", runs.append)
    return runs


def test_a_replaced_extract_of_a_checked_period_is_checked_again(
    queued, django_capture_on_commit_callbacks
):
    person = PersonFactory()
    upload(person, "1.00")
    earlier = {checked("chashan").pk, checked("dalang").pk}
    checked("humen", state=CheckRun.State.FAILED)
    checked("humen", period=datetime.date(2026, 10, 1))

    with django_capture_on_commit_callbacks(execute=True):
        upload(person, "2.00")

    again = CheckRun.objects.exclude(pk__in=earlier).filter(period=PERIOD, town__isnull=False)
    assert sorted(run.town.code for run in again) == sorted(
        [town("chashan").code, town("dalang").code]
    )
    assert sorted(run.pk for run in queued) == sorted(run.pk for run in again)


def test_nothing_is_queued_before_the_import_commits(queued, django_capture_on_commit_callbacks):
    person = PersonFactory()
    upload(person, "1.00")
    checked("chashan")

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        upload(person, "2.00")

    assert len(callbacks) == 1 and queued == []


def test_no_recheck_without_a_replaced_extract_or_a_checked_period(
    queued, django_capture_on_commit_callbacks
):
    person = PersonFactory()
    checked("chashan")
    with django_capture_on_commit_callbacks(execute=True) as first:
        upload(person, "1.00")  # replaces nothing
    checked_runs = CheckRun.objects.count()
    other = datetime.date(2026, 10, 1)
    for amount in ("1.00", "2.00"):  # October was never checked
        data = f"{HEADER}\n{person.id_number},,工行,{amount},2026-10-30\n".encode()
        with django_capture_on_commit_callbacks(execute=True):
            imports.extract_import(
                actor=None,
                source=Source.objects.get(code="deposits"),
                period=other,
                file=io.BytesIO(data),
            )

    assert first == [] and queued == [] and CheckRun.objects.count() == checked_runs
