"""The findings' working-day clock (audit.findings.findings_daily, the audit.findings_daily
task): a due date from the matching rule's finding_limit_days working days, a reminder within
reminder_days working days of it, a breach the day after it, each told once through the inbox;
decided findings are left alone."""

import datetime

import pytest
from django.conf import settings

from audit import finding_clock as services
from audit import tasks
from audit.models import Finding, MatchingRule
from cases.models import Notification
from tests.audit.findings_factories import finding, sources
from tests.factories import approved_grant

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def grant(db):
    sources()
    return approved_grant(starts_month=D(2024, 3, 1))


def notes(user, kind):
    return list(Notification.objects.filter(user=user, kind=kind).values_list("key", flat=True))


def test_a_finding_without_a_due_date_gets_one(grant):
    item = finding(kind=Finding.Kind.DEATH, grant=grant, raised_on=D(2024, 6, 3))
    result = services.findings_daily(today=D(2024, 6, 3))
    item.refresh_from_db()
    # 15 working days from Monday 2024-06-03, the Dragon Boat Festival (2024-06-10) off.
    assert item.due_on == D(2024, 6, 25)
    assert result["dated"] == 1


def test_due_date_counts_working_days(grant):
    # Thursday 2024-06-20 + 15 working days.
    assert services.due_on(D(2024, 6, 20)) == D(2024, 7, 11)


def test_the_limit_is_the_rules(grant):
    MatchingRule.objects.update(finding_limit_days=5)
    assert services.due_on(D(2024, 6, 3)) == D(2024, 6, 11)


def test_reminder_before_the_due_date_once(grant, worker_chashan):
    item = finding(
        kind=Finding.Kind.DEATH, grant=grant, assignee=worker_chashan, due_on=D(2024, 6, 20)
    )
    # Three working days before: Monday 2024-06-17 reaches Thursday the 20th.
    assert services.findings_daily(today=D(2024, 6, 14))["reminded"] == 0
    assert services.findings_daily(today=D(2024, 6, 17))["reminded"] == 1
    assert services.findings_daily(today=D(2024, 6, 18))["reminded"] == 0
    item.refresh_from_db()
    assert item.reminded_on == D(2024, 6, 17)
    assert notes(worker_chashan, Notification.Kind.DUE_SOON) == [
        f"finding:{item.pk}:due:2024-06-20"
    ]


def test_an_unassigned_finding_reminds_the_towns_case_workers(grant, worker_chashan):
    finding(kind=Finding.Kind.DEATH, grant=grant, due_on=D(2024, 6, 20))
    services.findings_daily(today=D(2024, 6, 19))
    assert len(notes(worker_chashan, Notification.Kind.DUE_SOON)) == 1


def test_breach_the_day_after_the_due_date(
    grant, worker_chashan, supervisor_chashan, worker_dalang
):
    item = finding(
        kind=Finding.Kind.DEATH, grant=grant, assignee=worker_chashan, due_on=D(2024, 6, 20)
    )
    assert services.findings_daily(today=D(2024, 6, 20))["breached"] == 0
    assert services.findings_daily(today=D(2024, 6, 21))["breached"] == 1
    assert services.findings_daily(today=D(2024, 6, 24))["breached"] == 0
    item.refresh_from_db()
    assert item.breached_on == D(2024, 6, 21)
    assert len(notes(worker_chashan, Notification.Kind.OVERDUE)) == 1
    assert len(notes(supervisor_chashan, Notification.Kind.OVERDUE)) == 1
    assert notes(worker_dalang, Notification.Kind.OVERDUE) == []


def test_decided_findings_are_left_alone(grant, worker_chashan):
    item = finding(
        kind=Finding.Kind.DEATH,
        grant=grant,
        assignee=worker_chashan,
        due_on=D(2024, 6, 20),
        state=Finding.State.DISMISSED,
    )
    assert services.findings_daily(today=D(2024, 6, 28)) == {
        "dated": 0,
        "reminded": 0,
        "breached": 0,
    }
    item.refresh_from_db()
    assert item.breached_on is None


def test_the_task_and_its_beat_entry(grant, worker_chashan):
    finding(kind=Finding.Kind.DEATH, grant=grant, assignee=worker_chashan, due_on=D(2024, 6, 20))
    assert tasks.findings_daily.delay(today="2024-06-21").get()["breached"] == 1
    entry = settings.CELERY_BEAT_SCHEDULE["audit-findings-daily"]
    assert entry["task"] == "audit.findings_daily"
