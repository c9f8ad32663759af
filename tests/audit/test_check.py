"""The check's services (audit/check.py) and command: runs and their towns, idempotent re-runs,
replaced extracts, dismissal suppression, assignees and due dates, the command's JSON line."""

import datetime
import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone

from audit import check
from audit.models import CheckRun, Finding
from cases.models import Town
from relief.workdays import add_working_days
from tests.audit.conftest import FROM, PERIOD, members
from tests.audit.factories import FindingFactory, record, replace_extract
from tests.factories import town

pytestmark = pytest.mark.django_db

M = datetime.date
TODAY = M(2024, 7, 1)
Kind = Finding.Kind


def run(period=PERIOD, town_slug=None, from_month=FROM):
    return check.run_check(
        period,
        town=town(town_slug) if town_slug else None,
        from_month=from_month,
        today=TODAY,
    )


def two_units(grant, period=PERIOD, second_reference="U2"):
    first, second = members(grant)
    record("property", first, period, category="住宅", reference="U1", on_date=M(2015, 1, 1))
    record(
        "property",
        second,
        period,
        category="住宅",
        reference=second_reference,
        on_date=M(2016, 1, 1),
    )


def test_a_run_records_every_town_and_its_progress(grant):
    two_units(grant)
    result = run()
    assert result.state == CheckRun.State.DONE
    assert result.towns.count() == Town.objects.count()
    assert all(part.state == CheckRun.State.DONE for part in result.towns.all())
    chashan = result.towns.get(town=grant.town)
    assert (chashan.households_checked, chashan.new_findings) == (1, 1)
    assert result.result == {
        "period": "2024-06",
        "households_checked": 1,
        "new_findings": 1,
        "findings": 1,
        "by_kind": {"property": 1},
        "overpaid_total": "8000.00",
        "underpaid_total": "0.00",
    }


def test_a_registry_finding_s_months_start_at_its_effective_month_not_at_the_run_s_first(grant):
    # The units were owned before the grant began: every paid month since March is over-paid,
    # as the confirmation would reassess, though the run reconciles from May only.
    two_units(grant)
    run(from_month=M(2024, 5, 1))
    finding = Finding.objects.get()
    assert [m["month"] for m in finding.months][0] == "2024-03"
    assert len(finding.months) == 5
    assert finding.overpaid == Decimal("8000.00")


def test_new_findings_are_written_whole_with_their_history_and_its_actor(grant, supervisor_chashan):
    two_units(grant)
    record("vehicles", members(grant)[0], PERIOD, category="汽车", reference="粤S1")
    run_ = check.run_check(PERIOD, from_month=FROM, today=TODAY, user=supervisor_chashan)
    assert run_.new_findings == 2
    for finding in Finding.objects.all():
        finding.refresh_from_db()
        assert finding.created_at is not None and finding.figures and finding.fingerprint
        assert finding.months and finding.overpaid > 0
        (version,) = finding.history.all()
        assert (version.history_type, version.history_user) == ("+", supervisor_chashan)
        # The history row holds every value of the row as written (on PostgreSQL both COPYs
        # are fed from the same prepared values), and simple-history's own columns.
        columns = [f.attname for f in Finding._meta.concrete_fields]
        assert {c: getattr(version, c) for c in columns} == {
            c: getattr(finding, c) for c in columns
        }
        assert (version.history_change_reason, version.ip, version.user_agent) == (None, None, "")
    # The ids came from the table's sequence: a finding created the ordinary way gets the next.
    created = Finding.objects.get(kind=Kind.VEHICLE)
    created.pk = None
    created.subject = "person:0"
    created.save()
    assert created.pk > max(Finding.objects.exclude(pk=created.pk).values_list("pk", flat=True))


def test_re_running_a_period_changes_nothing(grant):
    two_units(grant)
    run()
    finding = Finding.objects.get()
    versions = finding.history.count()
    again = run()
    assert again.new_findings == 0
    assert Finding.objects.count() == 1
    assert finding.history.count() == versions
    assert again.result["findings"] == 1


def test_a_replaced_extract_without_the_mismatch_closes_the_finding(grant):
    two_units(grant)
    run()
    new = replace_extract("property", PERIOD)
    record("property", members(grant)[0], PERIOD, category="住宅", reference="U1")
    assert new.records.count() == 1
    run()
    finding = Finding.objects.get()
    assert finding.state == Finding.State.CLOSED
    assert run().result["findings"] == 0


def test_a_replaced_extract_with_other_data_updates_the_finding(grant):
    two_units(grant)
    run()
    before = Finding.objects.get()
    new = replace_extract("property", PERIOD)
    first, second = members(grant)
    record("property", first, PERIOD, category="住宅", reference="U1", on_date=M(2015, 1, 1))
    record("property", second, PERIOD, category="非住宅", reference="S9", on_date=M(2024, 5, 1))
    run()
    after = Finding.objects.get()
    assert after.pk == before.pk and after.state == Finding.State.OPEN
    assert after.extract == new
    assert after.figures["non_residential"] == 1
    assert after.fingerprint != before.fingerprint


def test_a_dismissed_finding_is_not_raised_again_while_its_data_is_unchanged(grant):
    two_units(grant)
    run()
    Finding.objects.update(state=Finding.State.DISMISSED, reason="A family shop, cleared.")
    run()
    assert Finding.objects.get().state == Finding.State.DISMISSED
    # The next month's extract says the same: nothing new.
    july = M(2024, 7, 1)
    two_units(grant, period=july)
    check.run_check(july, from_month=FROM, today=TODAY)
    assert Finding.objects.count() == 1


def test_a_dismissed_finding_is_raised_again_when_its_data_changes(grant):
    two_units(grant)
    run()
    Finding.objects.update(state=Finding.State.DISMISSED, reason="Cleared.")
    july = M(2024, 7, 1)
    two_units(grant, period=july, second_reference="U3")
    check.run_check(july, from_month=FROM, today=TODAY)
    new = Finding.objects.get(period=july)
    assert new.state == Finding.State.OPEN


def test_proposed_findings_are_left_to_the_people_working_them(grant):
    two_units(grant)
    run()
    Finding.objects.update(
        state=Finding.State.PROPOSED, proposal=Finding.Proposal.CONFIRM, figures={"kept": 1}
    )
    replace_extract("property", PERIOD)
    run()
    finding = Finding.objects.get()
    assert (finding.state, finding.figures) == (Finding.State.PROPOSED, {"kept": 1})


def test_new_findings_go_to_the_least_loaded_case_worker_with_a_working_day_clock(
    grant, chashan_workers
):
    busy, free = chashan_workers
    FindingFactory(assignee=busy, town=grant.town, kind=Kind.BUSINESS)
    two_units(grant)
    record("vehicles", members(grant)[0], category="汽车", reference="粤S1")
    run()
    raised = Finding.objects.filter(kind__in=[Kind.PROPERTY, Kind.VEHICLE]).order_by("id")
    assert [f.assignee for f in raised] == [free, busy]
    assert all(f.raised_on == TODAY for f in raised)
    assert all(f.due_on == add_working_days(TODAY, 15) for f in raised)


def test_a_second_run_of_the_period_waits_for_the_unfinished_one(grant):
    started = check.start_check(period=PERIOD, from_month=FROM)
    with pytest.raises(ValidationError) as error:
        check.start_check(period=PERIOD, town=grant.town, from_month=FROM)
    assert error.value.message_dict["period"] == [
        f"Check #{started.pk} of 2024-06 is still running; start another check of this period "
        "once it has finished."
    ]
    with pytest.raises(ValidationError):
        check.start_check(period=M(2024, 6, 15), from_month=FROM)
    assert CheckRun.objects.count() == 1
    # Another period is free; once the run is finished the period is too.
    check.start_check(period=M(2024, 5, 1), from_month=FROM)
    for part in started.towns.select_related("town"):
        check.run_town(run=started, town=part.town, today=TODAY)
    assert run().state == CheckRun.State.DONE


def test_a_town_s_unfinished_run_blocks_that_town_and_the_city_but_not_another_town(grant):
    check.start_check(period=PERIOD, town=town("chashan"), from_month=FROM)
    with pytest.raises(ValidationError, match="still running"):
        check.start_check(period=PERIOD, from_month=FROM)
    with pytest.raises(ValidationError, match="still running"):
        check.start_check(period=PERIOD, town=town("chashan"), from_month=FROM)
    assert check.start_check(period=PERIOD, town=town("dalang"), from_month=FROM).town == town(
        "dalang"
    )


def test_a_run_stalled_for_six_hours_is_abandoned_and_blocks_the_period_no_more(grant):
    stalled = check.start_check(period=PERIOD, town=town("chashan"), from_month=FROM)
    busy = check.start_check(period=PERIOD, town=town("dalang"), from_month=FROM)
    seven_hours_ago = timezone.now() - datetime.timedelta(hours=7)
    CheckRun.objects.filter(pk__in=[stalled.pk, busy.pk]).update(started_at=seven_hours_ago)
    # dalang's run had a town start an hour ago: still alive.
    busy.towns.update(
        state=CheckRun.State.RUNNING, started_at=timezone.now() - datetime.timedelta(hours=1)
    )

    again = check.start_check(period=PERIOD, town=town("chashan"), from_month=FROM)

    stalled.refresh_from_db()
    assert stalled.state == CheckRun.State.FAILED and stalled.finished_at is not None
    assert "no progress for 6 hours" in stalled.error
    assert {part.state for part in stalled.towns.all()} == {CheckRun.State.FAILED}
    assert again.pk != stalled.pk
    with pytest.raises(ValidationError, match="still running"):
        check.start_check(period=PERIOD, town=town("dalang"), from_month=FROM)
    busy.refresh_from_db()
    assert busy.finished_at is None


def test_the_first_check_reaches_back_the_rule_s_months(db):
    assert check.default_from_month(PERIOD) == M(2023, 7, 1)


def test_a_later_check_starts_after_the_last_checked_period(grant):
    run(period=M(2024, 4, 1), from_month=M(2024, 3, 1))
    assert check.default_from_month(PERIOD) == M(2024, 5, 1)
    started = check.start_check(period=PERIOD)
    assert started.from_month == M(2024, 5, 1)


def test_one_town_checks_only_that_town(grant):
    two_units(grant)
    result = run(town_slug="dalang")
    assert result.towns.count() == 1
    assert Finding.objects.count() == 0
    assert result.result["findings"] == 0


# the command


def command(*args):
    out, err = StringIO(), StringIO()
    call_command("run_monthly_check", *args, stdout=out, stderr=err)
    return json.loads(out.getvalue().strip().splitlines()[-1]), err.getvalue()


def test_the_command_prints_its_json_line(grant):
    two_units(grant)
    record("deposits", members(grant)[0], amount=Decimal("90000.00"), on_date=PERIOD)
    result, progress = command("--period", "2024-06", "--from", "2024-03")
    assert result == {
        "period": "2024-06",
        "households_checked": 1,
        "new_findings": 2,
        "findings": 2,
        "by_kind": {"assets_over_limit": 1, "property": 1},
        "overpaid_total": "11200.00",
        "underpaid_total": "0.00",
    }
    assert len(progress.splitlines()) == Town.objects.count()
    assert f"{grant.town.name}: 1 " in progress
    again, _ = command("--period", "2024-06", "--from", "2024-03", "--town", grant.town.code)
    assert (again["new_findings"], again["findings"]) == (0, 2)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--period", "2024-13"], "--period"),
        (["--period", "June"], "--period"),
        (["--period", "2024-06", "--town", "999"], "--town"),
        (["--period", "2024-06", "--from", "2024-07"], "--from"),
        (["--period", "2024-06", "--from", "x"], "--from"),
    ],
)
def test_the_command_names_the_bad_option(db, args, message):
    with pytest.raises(CommandError, match=message):
        command(*args)


def test_the_command_refuses_a_period_with_an_unfinished_run(grant):
    check.start_check(period=PERIOD, from_month=FROM)
    with pytest.raises(CommandError, match="--period: Check #.* of 2024-06 is still running"):
        command("--period", "2024-06", "--from", "2024-03")
    assert CheckRun.objects.count() == 1
