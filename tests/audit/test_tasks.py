"""The monthly check's Celery tasks (audit/tasks.py): the beat entry goes on only on the first
working day of the month and fans out one task per town; a real worker on Redis carries a town
out (needs REDIS_URL, like tests/test_celery_worker.py)."""

import datetime
from unittest import mock

import pytest
from django.conf import settings
from django.db import OperationalError

from audit import tasks
from audit.models import CheckRun, Finding
from cases.models import Town
from tests.audit.conftest import FROM, PERIOD, members
from tests.audit.factories import record
from tests.factories import town

M = datetime.date


def test_the_beat_schedule_runs_the_check_daily_at_three():
    entry = settings.CELERY_BEAT_SCHEDULE["audit-monthly-check"]
    assert entry["task"] == "audit.monthly_check"
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({3}, {0})


@pytest.mark.parametrize(
    ("day", "first"),
    [
        (M(2024, 7, 1), True),  # a Monday
        (M(2024, 7, 2), False),
        (M(2024, 6, 1), False),  # a Saturday: the first working day is Monday 3 June
        (M(2024, 6, 3), True),
        (M(2024, 10, 1), False),  # National Day holiday
        (M(2024, 10, 8), True),
    ],
)
def test_the_first_working_day_of_the_month(db, day, first):
    assert tasks.is_first_working_day_of_month(day) is first


@pytest.mark.django_db
def test_the_beat_entry_does_nothing_on_other_days():
    assert tasks.monthly_check(today="2024-07-02") is None
    assert not CheckRun.objects.exists()


@pytest.mark.django_db
def test_the_beat_entry_checks_last_month_with_one_task_per_town(
    grant, django_capture_on_commit_callbacks
):
    record("vehicles", members(grant)[0], category="汽车", reference="粤S1")
    with mock.patch.object(tasks.monthly_check_town, "delay_on_commit") as queued:
        run_id = tasks.monthly_check(today="2024-07-01")
    run = CheckRun.objects.get(pk=run_id)
    assert run.period == PERIOD and run.town is None and run.started_by is None
    assert queued.call_count == Town.objects.count()
    assert {call.args for call in queued.call_args_list} == {
        (run.pk, pk) for pk in Town.objects.values_list("pk", flat=True)
    }
    # Carried out eagerly, the towns finish the run.
    with django_capture_on_commit_callbacks(execute=True):
        tasks.fan_out(run)
    run.refresh_from_db()
    assert run.state == CheckRun.State.DONE
    assert run.result["by_kind"] == {"vehicle": 1}
    # Twice the same day: nothing more.
    assert tasks.monthly_check(today="2024-07-01") is None


@pytest.mark.django_db
def test_a_town_task_run_twice_checks_once(grant):
    record("vehicles", members(grant)[0], category="汽车", reference="粤S1")
    run = tasks.check.start_check(period=PERIOD, town=town("chashan"), from_month=FROM)
    first = tasks.monthly_check_town(run.pk, grant.town_id)
    second = tasks.monthly_check_town(run.pk, grant.town_id)
    assert first["new_findings"] == 1 and second["new_findings"] == 1
    assert Finding.objects.count() == 1


@pytest.mark.django_db
def test_a_town_that_succeeds_on_retry_finishes_its_failed_run(grant):
    """Celery's autoretry runs the town again after an OperationalError: the run, finished as
    FAILED by the first attempt, ends DONE with the town's figures and no error."""
    record("vehicles", members(grant)[0], category="汽车", reference="粤S1")
    run = tasks.check.start_check(period=PERIOD, town=town("chashan"), from_month=FROM)
    real = tasks.check.check_town
    attempts = iter([OperationalError("server closed the connection"), None])

    def flaky(**kwargs):
        error = next(attempts)
        if error is not None:
            raise error
        return real(**kwargs)

    with mock.patch.object(tasks.check, "check_town", side_effect=flaky):
        with pytest.raises(OperationalError):  # called directly, the retry re-raises
            tasks.monthly_check_town(run.pk, grant.town_id)
        run.refresh_from_db()
        assert run.state == CheckRun.State.FAILED and "server closed" in run.error
        tasks.monthly_check_town(run.pk, grant.town_id)
    run.refresh_from_db()
    part = run.towns.get()
    assert (part.state, part.error, part.new_findings) == (CheckRun.State.DONE, "", 1)
    assert (run.state, run.error, run.new_findings) == (CheckRun.State.DONE, "", 1)
    assert run.finished_at is not None and run.result["by_kind"] == {"vehicle": 1}
