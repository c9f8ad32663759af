"""Working-day clocks (DOMAIN.md §6): the due-date arithmetic with pauses, recomputation when
the calendar changes, breaches exactly after the due date, and the daily sweep."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail

from cases.models import Application, Breach, Clock, Notification, Pause, SchemeRule
from cases.tasks import clocks_sweep as clocks_sweep_task
from cases.tasks import clocks_sweep_all
from cases.workflow import decisions, services, steps
from cases.workflow.clocks import due_date, paused_working_days
from cases.workflow.sweep import clocks_sweep
from config.celery import app as celery_app
from relief.models import CalendarDay
from relief.workdays import add_working_days
from tests.factories import DIBAO_DAYS, complete_household, dibao_application, scheme, town

pytestmark = pytest.mark.django_db

D = DIBAO_DAYS
ACCEPTED_ON = datetime.date(2024, 2, 4)  # the make-up Sunday
HOME_VISIT_DUE = datetime.date(2024, 2, 19)  # 7 working days, across Spring Festival


def day(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


def pause(start: str, end: str | None, kind=Pause.Kind.SUPPLEMENT, **kwargs) -> Pause:
    return Pause(kind=kind, started_on=day(start), ended_on=end and day(end), **kwargs)


def clock(application, kind=Clock.Kind.HOME_VISIT) -> Clock:
    return application.clocks.get(kind=kind)


# The arithmetic


def test_due_date_counts_working_days_across_spring_festival():
    assert due_date(started_on=ACCEPTED_ON, limit_days=7) == HOME_VISIT_DUE


def test_a_pause_adds_the_working_days_after_its_start_up_to_its_end():
    # 2024-02-06 to 02-08 adds 07 and 08.
    pauses = [pause("2024-02-06", "2024-02-08")]
    assert paused_working_days(started_on=ACCEPTED_ON, stopped_on=None, pauses=pauses) == 2
    assert due_date(started_on=ACCEPTED_ON, limit_days=7, pauses=pauses) == day("2024-02-21")


def test_a_pause_opened_and_closed_the_same_day_adds_nothing():
    pauses = [pause("2024-02-06", "2024-02-06")]
    assert due_date(started_on=ACCEPTED_ON, limit_days=7, pauses=pauses) == HOME_VISIT_DUE


def test_an_open_pause_is_left_out_until_it_closes():
    pauses = [pause("2024-02-06", None)]
    assert due_date(started_on=ACCEPTED_ON, limit_days=7, pauses=pauses) == HOME_VISIT_DUE


def test_overlapping_pauses_count_each_working_day_once():
    pauses = [pause("2024-02-05", "2024-02-08"), pause("2024-02-07", "2024-02-09")]
    # 06, 07, 08, 09 once each.
    assert paused_working_days(started_on=ACCEPTED_ON, stopped_on=None, pauses=pauses) == 4


def test_pauses_outside_the_clocks_run_add_nothing():
    before = pause("2024-01-20", "2024-02-04")
    after = pause("2024-02-20", "2024-02-23")
    total = paused_working_days(
        started_on=ACCEPTED_ON, stopped_on=day("2024-02-19"), pauses=[before, after]
    )
    assert total == 0


def test_a_pause_not_excluded_by_the_rule_adds_nothing():
    pauses = [pause("2024-02-06", "2024-02-08", excluded=False)]
    assert due_date(started_on=ACCEPTED_ON, limit_days=7, pauses=pauses) == HOME_VISIT_DUE


def test_an_objection_pause_counts_at_most_its_maximum():
    pauses = [pause("2024-02-05", "2024-02-09", kind=Pause.Kind.OBJECTION, max_days=2)]
    assert paused_working_days(started_on=ACCEPTED_ON, stopped_on=None, pauses=pauses) == 2


def test_the_notice_pause_includes_its_first_day():
    pauses = [pause("2024-02-08", "2024-02-14", kind=Pause.Kind.NOTICE)]
    # 08 and 09 are working days; 10..14 are Spring Festival.
    assert paused_working_days(started_on=ACCEPTED_ON, stopped_on=None, pauses=pauses) == 2


# Pause and resume through the workflow


def test_waiting_for_documents_moves_due_dates_by_exactly_the_paused_working_days(
    worker_chashan,
):
    application = dibao_application(worker=worker_chashan, until="accepted")
    overall_before = clock(application, Clock.Kind.OVERALL).due_on

    steps.application_supplement_request(
        actor=worker_chashan,
        application=application,
        items="Bank statements",
        today=day("2024-02-08"),
    )
    paused = clock(application)
    assert paused.paused_since == day("2024-02-08")
    assert paused.due_on == HOME_VISIT_DUE  # unchanged while the pause is open

    steps.application_supplement_receive(
        actor=worker_chashan, application=application, today=day("2024-02-19")
    )
    # Working days after 02-08 up to 02-19: 09, 18 (make-up Sunday), 19.
    resumed = clock(application)
    assert resumed.paused_since is None
    assert resumed.due_on == add_working_days(HOME_VISIT_DUE, 3) == day("2024-02-22")
    assert clock(application, Clock.Kind.OVERALL).due_on == add_working_days(overall_before, 3)
    assert resumed.history.first().history_user == worker_chashan


def test_when_the_rule_does_not_pause_for_documents_the_due_date_stays(worker_chashan):
    SchemeRule.objects.filter(scheme__code="dibao").update(pause_on_supplement=False)
    application = dibao_application(worker=worker_chashan, until="accepted")
    steps.application_supplement_request(
        actor=worker_chashan, application=application, items="x", today=day("2024-02-08")
    )
    assert clock(application).paused_since is None
    steps.application_supplement_receive(
        actor=worker_chashan, application=application, today=day("2024-02-19")
    )
    assert clock(application).due_on == HOME_VISIT_DUE
    assert application.pauses.get().excluded is False


def test_when_the_notice_counts_no_notice_pause_is_made(worker_chashan):
    SchemeRule.objects.filter(scheme__code="dibao").update(notice_counts_in_clock=True)
    application = dibao_application(worker=worker_chashan, until="notice")
    assert not application.pauses.exists()
    assert clock(application, Clock.Kind.OVERALL).due_on == day("2024-03-21")


# The calendar


def test_a_holiday_entered_inside_an_open_clock_moves_its_due_date(worker_chashan):
    application = dibao_application(worker=worker_chashan, until="accepted")
    stopped = dibao_application(worker=worker_chashan, until="visited")
    stopped_due = clock(stopped).due_on

    CalendarDay.objects.create(day=day("2024-02-06"), kind="holiday", name="Typhoon")

    assert clock(application).due_on == day("2024-02-20")
    # A stopped clock's due date is history: it does not move.
    assert clock(stopped).due_on == stopped_due
    assert clock(application).history.first().history_change_reason.startswith("Calendar")


def test_a_provisional_year_marks_the_clock(worker_chashan):
    application = services.application_create(
        actor=worker_chashan, household=complete_household(), scheme=scheme("dibao")
    )
    services.application_submit(
        actor=worker_chashan, application=application, today=day("2027-03-01")
    )
    services.application_accept(
        actor=worker_chashan,
        application=application,
        received_on=day("2027-03-01"),
        today=day("2027-03-01"),
    )
    assert clock(application).provisional
    CalendarDay.objects.create(day=day("2027-10-01"), kind="holiday", name="国庆节")
    assert not clock(application).provisional


# Breaches and the sweep


def test_no_breach_on_the_due_date_and_one_the_day_after(worker_chashan):
    application = dibao_application(worker=worker_chashan, until="accepted")

    clocks_sweep(today=HOME_VISIT_DUE)
    assert not Breach.objects.exists()

    clocks_sweep(today=day("2024-02-20"))
    breach = Breach.objects.get()
    assert breach.clock == clock(application)
    assert breach.kind == Clock.Kind.HOME_VISIT
    assert breach.due_on == HOME_VISIT_DUE
    assert breach.detected_on == day("2024-02-20")
    assert breach.working_days_late == 1
    assert breach.town == application.town
    assert breach.holder_user == worker_chashan
    assert not breach.final

    clocks_sweep(today=day("2024-02-22"))
    breach.refresh_from_db()
    assert breach.working_days_late == 3
    assert Breach.objects.count() == 1


def test_the_sweep_run_twice_writes_nothing_new(worker_chashan, supervisor_chashan):
    dibao_application(worker=worker_chashan, until="accepted")
    first = clocks_sweep(today=day("2024-02-20"))
    counts = (Breach.objects.count(), Notification.objects.count())

    second = clocks_sweep(today=day("2024-02-20"))

    assert first["breaches_created"] == 1
    assert first["notifications_created"] > 0
    assert second["breaches_created"] == second["notifications_created"] == 0
    assert (Breach.objects.count(), Notification.objects.count()) == counts


def test_due_soon_reminds_the_holder_two_working_days_before(worker_chashan):
    application = dibao_application(worker=worker_chashan, until="accepted")
    clocks_sweep(today=day("2024-02-08"))  # two working days later is 02-18
    assert not Notification.objects.filter(kind="due_soon").exists()

    clocks_sweep(today=day("2024-02-09"))  # 02-18 and 02-19: the home visit is due soon
    reminder = Notification.objects.get(kind="due_soon")
    assert reminder.user == worker_chashan
    assert reminder.application == application
    assert "2024-02-19" in reminder.message
    assert reminder.key == f"due_soon:clock:{clock(application).pk}:2024-02-19"


def test_the_reminder_window_is_a_setting(worker_chashan, settings):
    settings.RELIEF_DUE_SOON_WORKING_DAYS = 5
    dibao_application(worker=worker_chashan, until="accepted")
    clocks_sweep(today=day("2024-02-07"))  # 08, 09, 18, 19, 20
    assert Notification.objects.filter(kind="due_soon", user=worker_chashan).exists()


def test_overdue_escalates_to_the_towns_supervisors(
    worker_chashan, supervisor_chashan, city_supervisor
):
    dibao_application(worker=worker_chashan, until="accepted")
    clocks_sweep(today=day("2024-02-20"))
    assert Notification.objects.filter(user=worker_chashan, kind="overdue").count() == 1
    escalation = Notification.objects.get(user=supervisor_chashan, kind="escalation")
    assert "overdue" in escalation.message
    assert not Notification.objects.filter(user=city_supervisor).exists()


def test_overdue_city_decisions_escalate_to_the_city_supervisor(
    worker_chashan, supervisor_chashan, city_supervisor
):
    application = services.application_create(
        actor=worker_chashan,
        household=complete_household(income=None),
        scheme=scheme("temp_expenditure"),
        proposed_amount=Decimal("6000.00"),
        amount_basis="Hospital bill",
    )
    services.application_submit(actor=worker_chashan, application=application, today=D["submitted"])
    services.application_accept(
        actor=worker_chashan,
        application=application,
        received_on=D["received"],
        today=D["accepted"],
    )
    due = clock(application, Clock.Kind.APPROVAL).due_on
    clocks_sweep(today=add_working_days(due, 1))
    # The city supervisor holds the decision: told it is overdue, not escalated to themselves.
    assert Notification.objects.filter(user=city_supervisor, kind="overdue").exists()
    assert Notification.objects.filter(user=supervisor_chashan, kind="escalation").exists()


def test_a_paused_clock_is_not_swept(worker_chashan):
    application = dibao_application(worker=worker_chashan, until="accepted")
    steps.application_supplement_request(
        actor=worker_chashan, application=application, items="x", today=day("2024-02-08")
    )
    clocks_sweep(today=day("2024-03-01"))
    assert not Breach.objects.exists()
    assert not Notification.objects.exists()


def test_a_clock_stopped_late_gets_its_final_breach(worker_chashan):
    application = dibao_application(worker=worker_chashan, until="accepted")
    steps.application_home_visit_record(
        actor=worker_chashan, application=application, findings="x", today=day("2024-02-21")
    )
    breach = Breach.objects.get()
    assert breach.final
    assert breach.working_days_late == 2  # 20, 21
    assert breach.detected_on == day("2024-02-21")


def test_a_clock_stopped_on_its_due_date_is_not_breached(worker_chashan):
    application = dibao_application(worker=worker_chashan, until="accepted")
    steps.application_home_visit_record(
        actor=worker_chashan, application=application, findings="x", today=HOME_VISIT_DUE
    )
    clocks_sweep(today=day("2024-02-20"))
    assert not Breach.objects.filter(kind=Clock.Kind.HOME_VISIT).exists()


def test_a_breach_found_by_the_sweep_becomes_final_when_the_clock_stops(worker_chashan):
    application = dibao_application(worker=worker_chashan, until="accepted")
    clocks_sweep(today=day("2024-02-20"))
    steps.application_home_visit_record(
        actor=worker_chashan, application=application, findings="x", today=day("2024-02-23")
    )
    breach = Breach.objects.get()
    assert breach.final
    assert breach.working_days_late == 4
    assert breach.detected_on == day("2024-02-20")


def test_late_approval_of_temporary_assistance_is_a_breach(worker_chashan, supervisor_chashan):
    application = services.application_create(
        actor=worker_chashan,
        household=complete_household(income=None),
        scheme=scheme("temp_expenditure"),
        proposed_amount=Decimal("3000.00"),
        amount_basis="Hospital bill",
    )
    services.application_submit(actor=worker_chashan, application=application, today=D["submitted"])
    services.application_accept(
        actor=worker_chashan,
        application=application,
        received_on=D["received"],
        today=D["accepted"],
    )
    due = clock(application, Clock.Kind.APPROVAL).due_on
    decisions.application_decide(
        actor=supervisor_chashan,
        application=application,
        approve=True,
        today=add_working_days(due, 2),
    )
    breach = Breach.objects.get()
    assert (breach.kind, breach.working_days_late, breach.final) == ("approval", 2, True)
    assert Application.objects.get(pk=application.pk).state == "approved"


# Email, the task and the beat schedule


def test_reminders_are_emailed_when_a_mail_server_is_configured(
    worker_chashan, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_HOST = "smtp.example.org"
    worker_chashan.email = "worker@example.org"
    worker_chashan.save()
    dibao_application(worker=worker_chashan, until="accepted")
    with django_capture_on_commit_callbacks(execute=True):
        clocks_sweep(today=day("2024-02-09"))
    assert [m.to for m in mail.outbox] == [["worker@example.org"]]
    assert "2024-02-19" in mail.outbox[0].body


def test_no_email_without_a_mail_server(worker_chashan, django_capture_on_commit_callbacks):
    worker_chashan.email = "worker@example.org"
    worker_chashan.save()
    dibao_application(worker=worker_chashan, until="accepted")
    with django_capture_on_commit_callbacks(execute=True):
        clocks_sweep(today=day("2024-02-09"))
    assert Notification.objects.exists()
    assert mail.outbox == []


def test_the_task_runs_the_sweep_and_is_safe_to_run_twice(worker_chashan):
    dibao_application(worker=worker_chashan, until="accepted")
    first = clocks_sweep_task.delay(today="2024-02-20").get()
    second = clocks_sweep_task.delay(today="2024-02-20").get()
    assert first["breaches_created"] == 1
    assert second["breaches_created"] == 0
    assert Breach.objects.count() == 1


def test_the_sweep_is_in_the_beat_schedule_daily_at_six(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["cases-clocks-sweep"]
    assert entry["task"] == "cases.clocks_sweep_all" == clocks_sweep_all.name
    assert entry["schedule"].hour == {6} and entry["schedule"].minute == {0}
    assert settings.CELERY_TIMEZONE == "Asia/Shanghai"
    assert {"cases.clocks_sweep", "cases.clocks_sweep_all"} <= set(celery_app.tasks)


def test_the_daily_entry_sweeps_every_town_once_per_task(worker_chashan, worker_dalang):
    dibao_application(worker=worker_chashan, until="accepted")
    dibao_application(
        worker=worker_dalang, until="accepted", household=complete_household("dalang")
    )
    assert clocks_sweep_all.delay(today="2024-02-20").get() == 36  # one task per town
    assert Breach.objects.count() == 2
    clocks_sweep_all.delay(today="2024-02-20").get()
    assert Breach.objects.count() == 2


def test_the_sweep_of_one_town_leaves_the_others(worker_chashan):
    dibao_application(worker=worker_chashan, until="accepted")
    result = clocks_sweep(today=day("2024-02-20"), town_id=town("dalang").pk)
    assert result["breaches_created"] == 0
    assert not Breach.objects.exists()
    clocks_sweep(today=day("2024-02-20"), town_id=town("chashan").pk)
    assert Breach.objects.count() == 1


# An objection pause left open past its cap (DOMAIN.md §6: objection handling is not counted for
# at most objection_pause_max_days working days, Guangzhou: 20)


def test_an_open_objection_pause_counts_off_the_clock_up_to_its_cap():
    # Open since 02-05 with a cap of 2: 06 and 07 are off the clock whenever it closes.
    pauses = [pause("2024-02-05", None, kind=Pause.Kind.OBJECTION, max_days=2)]
    assert paused_working_days(started_on=ACCEPTED_ON, stopped_on=None, pauses=pauses) == 2
    assert due_date(started_on=ACCEPTED_ON, limit_days=7, pauses=pauses) == day("2024-02-21")


def objection_on_february_9(worker) -> Application:
    application = dibao_application(worker=worker, until="notice")
    steps.application_objection_record(
        actor=worker, application=application, objection="Owns a car.", today=day("2024-02-09")
    )
    return application


# Accepted 2024-02-04, limit 30. Off the clock: the notice's 08 and 09, then the objection pause
# from 02-09 up to its cap of 20 working days, 2024-03-14: 30 + 2 + 20 working days.
OBJECTION_CAP_ENDS = day("2024-03-14")
OVERALL_DUE_WITH_CAPPED_OBJECTION = day("2024-04-23")


def test_an_objection_pause_left_open_past_its_cap_is_swept_like_a_running_clock(
    worker_chashan, supervisor_chashan
):
    application = objection_on_february_9(worker_chashan)
    assert add_working_days(day("2024-02-09"), 20) == OBJECTION_CAP_ENDS
    overall = clock(application, Clock.Kind.OVERALL)
    assert overall.paused_since == day("2024-02-09")
    assert overall.due_on == OVERALL_DUE_WITH_CAPPED_OBJECTION

    # Up to the cap's last day the clock is paused: nothing is swept.
    clocks_sweep(today=OBJECTION_CAP_ENDS)
    assert clock(application, Clock.Kind.OVERALL).paused_since == day("2024-02-09")
    assert not Notification.objects.exists()

    # The day after, it counts again (not yet due).
    clocks_sweep(today=day("2024-03-15"))
    released = clock(application, Clock.Kind.OVERALL)
    assert released.paused_since is None
    assert released.due_on == OVERALL_DUE_WITH_CAPPED_OBJECTION
    assert "cap" in released.history.first().history_change_reason
    assert not Breach.objects.exists()

    # Months later, the objection still open: the breach is recorded, the holders told.
    clocks_sweep(today=day("2024-06-03"))
    breach = Breach.objects.get()
    assert (breach.kind, breach.due_on) == ("overall", OVERALL_DUE_WITH_CAPPED_OBJECTION)
    assert breach.working_days_late == 28  # working days after 04-23 up to 06-03
    assert Notification.objects.filter(user=supervisor_chashan, kind="overdue").exists()
    application.refresh_from_db()
    assert application.state == Application.State.REINVESTIGATION


def test_closing_an_objection_pause_after_its_cap_keeps_the_capped_due_date(worker_chashan):
    application = objection_on_february_9(worker_chashan)
    clocks_sweep(today=day("2024-06-03"))
    steps.application_home_visit_record(
        actor=worker_chashan, application=application, findings="x", today=day("2024-06-04")
    )
    overall = clock(application, Clock.Kind.OVERALL)
    assert (overall.due_on, overall.paused_since) == (OVERALL_DUE_WITH_CAPPED_OBJECTION, None)
    assert Breach.objects.get().due_on == OVERALL_DUE_WITH_CAPPED_OBJECTION


# A breach is a fact: the due date that was missed stays, the lateness only grows


def test_a_breach_keeps_its_missed_due_date_after_an_extension_and_the_stop(
    worker_chashan, supervisor_chashan
):
    application = dibao_application(worker=worker_chashan, until="accepted")
    overall_due = clock(application, Clock.Kind.OVERALL).due_on
    assert overall_due == day("2024-03-21")
    clocks_sweep(today=day("2024-03-22"))
    breach = Breach.objects.get(kind=Clock.Kind.OVERALL)
    assert (breach.due_on, breach.working_days_late) == (overall_due, 1)

    # The extension (30 → 45) comes after the limit was missed: the clock is due later now...
    decisions.application_extend(
        actor=supervisor_chashan, application=application, reason="x", today=day("2024-03-25")
    )
    assert clock(application, Clock.Kind.OVERALL).due_on == day("2024-04-12")
    # ... but the breach still counts from the due date that was missed: 22, 25, 26.
    clocks_sweep(today=day("2024-03-26"))
    breach.refresh_from_db()
    assert (breach.due_on, breach.working_days_late, breach.final) == (overall_due, 3, False)

    services.application_withdraw(
        actor=worker_chashan, application=application, reason="Moved", today=day("2024-03-27")
    )
    breach.refresh_from_db()
    assert (breach.due_on, breach.working_days_late, breach.final) == (overall_due, 4, True)
    assert breach.detected_on == day("2024-03-22")


def test_a_calendar_change_does_not_rewrite_a_recorded_breach(worker_chashan):
    application = dibao_application(worker=worker_chashan, until="accepted")
    clocks_sweep(today=day("2024-02-22"))
    breach = Breach.objects.get(kind=Clock.Kind.HOME_VISIT)
    assert (breach.due_on, breach.working_days_late) == (HOME_VISIT_DUE, 3)

    # A holiday entered inside the clock's run moves its due date a day later...
    CalendarDay.objects.create(day=day("2024-02-06"), kind="holiday", name="Typhoon")
    assert clock(application).due_on == day("2024-02-20")
    clocks_sweep(today=day("2024-02-22"))
    breach.refresh_from_db()
    # ... the breach keeps the due date that was missed, and its lateness does not shrink.
    assert (breach.due_on, breach.working_days_late) == (HOME_VISIT_DUE, 3)


# Concurrent sweeps: a breach another transaction inserted first is found, not a failure


@pytest.fixture
def breach_inserted_concurrently():
    """A concurrent sweep inserts the breach of the same clock between this transaction's check
    for one and its insert: a pre_save hook on Breach writes it first (with bulk_create, which
    sends no signal). Code that checks and then saves hits the unique constraint; an insert with
    ON CONFLICT DO NOTHING leaves no gap for the hook, and must end with the same breach."""
    from django.db.models.signals import pre_save

    def insert_first(sender, instance, **kwargs):
        if instance.pk is None and not Breach.objects.filter(clock=instance.clock).exists():
            Breach.objects.bulk_create(
                [
                    Breach(
                        clock=instance.clock,
                        application_id=instance.application_id,
                        town_id=instance.town_id,
                        kind=instance.kind,
                        due_on=instance.due_on,
                        detected_on=instance.detected_on,
                        working_days_late=instance.working_days_late,
                        holder_role=instance.holder_role,
                        holder_user_id=instance.holder_user_id,
                    )
                ]
            )

    pre_save.connect(insert_first, sender=Breach, dispatch_uid="test-concurrent-breach")
    yield
    pre_save.disconnect(sender=Breach, dispatch_uid="test-concurrent-breach")


def test_a_clock_stopped_late_while_another_sweep_records_its_breach(
    worker_chashan, breach_inserted_concurrently
):
    application = dibao_application(worker=worker_chashan, until="accepted")
    steps.application_home_visit_record(
        actor=worker_chashan, application=application, findings="x", today=day("2024-02-21")
    )
    breach = Breach.objects.get()
    assert (breach.due_on, breach.working_days_late, breach.final) == (HOME_VISIT_DUE, 2, True)
    application.refresh_from_db()
    assert application.state == Application.State.VISITED


def test_the_sweeps_late_stop_pass_finds_a_breach_recorded_meanwhile(
    worker_chashan, breach_inserted_concurrently
):
    application = dibao_application(worker=worker_chashan, until="accepted")
    home_visit = clock(application)
    # A clock that stopped late without a breach (e.g. before a calendar correction).
    Clock.objects.filter(pk=home_visit.pk).update(stopped_on=day("2024-02-21"))
    result = clocks_sweep(today=day("2024-02-22"))
    breach = Breach.objects.get(clock=home_visit)
    assert (breach.working_days_late, breach.final) == (2, True)
    assert result["late_stops_recorded"] == 1
    # The second sweep sees the breach and writes nothing new.
    second = clocks_sweep(today=day("2024-02-22"))
    assert (second["breaches_created"], second["late_stops_recorded"]) == (0, 0)
    assert Breach.objects.filter(clock=home_visit).count() == 1


def test_two_sweeps_of_one_town_interleaved_both_succeed(
    worker_chashan, supervisor_chashan, monkeypatch
):
    """Sweep B runs whole between sweep A's read of the existing breaches and its inserts."""
    from cases.workflow import sweep

    application = dibao_application(worker=worker_chashan, until="accepted")
    original, inner = sweep.breach_new, []

    def other_sweep_first(*args, **kwargs):
        if not inner:
            inner.append("running")
            inner.append(clocks_sweep(today=day("2024-02-20")))
        return original(*args, **kwargs)

    monkeypatch.setattr(sweep, "breach_new", other_sweep_first)
    clocks_sweep(today=day("2024-02-20"))

    assert inner[1]["breaches_created"] == 1
    breach = Breach.objects.get()
    assert (breach.clock, breach.working_days_late) == (clock(application), 1)
    notifications = Notification.objects.count()
    assert notifications == 2  # the holder's overdue, the supervisor's escalation: once each
    monkeypatch.undo()
    assert clocks_sweep(today=day("2024-02-20"))["notifications_created"] == 0


# A 2027 schedule entered inside an open clock's window


def test_a_2027_holiday_entered_inside_an_open_clock_moves_its_due_date(worker_chashan):
    application = services.application_create(
        actor=worker_chashan, household=complete_household(), scheme=scheme("dibao")
    )
    services.application_submit(
        actor=worker_chashan, application=application, today=day("2027-03-01")
    )
    services.application_accept(
        actor=worker_chashan,
        application=application,
        received_on=day("2027-03-01"),
        today=day("2027-03-01"),
    )
    home_visit = clock(application)
    # 2027 has no schedule yet: Monday to Friday, provisional.
    assert (home_visit.due_on, home_visit.provisional) == (day("2027-03-10"), True)
    assert clock(application, Clock.Kind.OVERALL).provisional

    CalendarDay.objects.create(day=day("2027-03-03"), kind="holiday", name="Entered schedule")

    home_visit = clock(application)
    assert (home_visit.due_on, home_visit.provisional) == (day("2027-03-11"), False)
    overall = clock(application, Clock.Kind.OVERALL)
    assert (overall.due_on, overall.provisional) == (day("2027-04-13"), False)
