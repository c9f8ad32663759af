"""The application workflow through its services (cases.workflow): each transition, each
refusal, the completeness check, decisions and the grant they create."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from cases import services as registry
from cases.models import (
    Application,
    ApplicationEvent,
    Authorisation,
    Breach,
    Clock,
    Grant,
    IncomeLine,
    Notification,
    Pause,
    PublicNotice,
    ScheduleEntry,
    SchemeRule,
)
from cases.workflow import decisions, services, steps
from cases.workflow import selectors as workflow
from cases.workflow.checks import preparer_ids
from cases.workflow.sweep import clocks_sweep
from relief.models import AuditEvent
from tests.factories import (
    DIBAO_DAYS,
    AuthorisationFactory,
    complete_household,
    dibao_application,
    household_with_members,
    make_id_number,
    scheme,
    town,
)

pytestmark = pytest.mark.django_db

D = DIBAO_DAYS
State = Application.State


def errors_of(call) -> dict:
    with pytest.raises(ValidationError) as exc:
        call()
    return exc.value.message_dict


def clock(application, kind) -> Clock:
    return application.clocks.get(kind=kind)


# Creating and editing the draft


def test_worker_creates_a_draft_in_the_households_town(worker_chashan):
    application = dibao_application(worker=worker_chashan)
    assert application.state == State.DRAFT
    assert application.town.slug == "chashan"
    assert application.created_by == worker_chashan
    assert list(application.events.values_list("kind", flat=True)) == ["created"]
    assert application.history.count() == 1
    assert not application.clocks.exists()


def test_worker_cannot_create_for_another_towns_household(worker_dalang):
    with pytest.raises(Http404):
        services.application_create(
            actor=worker_dalang, household=complete_household("chashan"), scheme=scheme("dibao")
        )


@pytest.mark.parametrize("persona", ["finance", "auditor", "administrator"])
def test_roles_that_do_not_prepare_cannot_create(persona, request):
    with pytest.raises(PermissionDenied):
        services.application_create(
            actor=request.getfixturevalue(persona),
            household=complete_household(),
            scheme=scheme("dibao"),
        )


def test_emergency_procedure_is_only_for_temporary_assistance(worker_chashan):
    errors = errors_of(
        lambda: services.application_create(
            actor=worker_chashan,
            household=complete_household(),
            scheme=scheme("dibao"),
            procedure=Application.Procedure.EMERGENCY,
        )
    )
    assert "procedure" in errors


def test_dibao_has_no_proposed_amount(worker_chashan):
    errors = errors_of(
        lambda: services.application_create(
            actor=worker_chashan,
            household=complete_household(),
            scheme=scheme("dibao"),
            proposed_amount=Decimal("500.00"),
        )
    )
    assert "proposed_amount" in errors


def test_one_open_application_per_household_and_scheme(worker_chashan):
    application = dibao_application(worker=worker_chashan)
    errors = errors_of(
        lambda: services.application_create(
            actor=worker_chashan, household=application.household, scheme=scheme("dibao")
        )
    )
    assert f"#{application.pk}" in errors["scheme"][0]
    # Another scheme is another application.
    services.application_create(
        actor=worker_chashan, household=application.household, scheme=scheme("temp_expenditure")
    )


def test_covered_members_must_be_current_members(worker_chashan):
    stranger = household_with_members("chashan", size=1).memberships.get().person
    errors = errors_of(
        lambda: services.application_create(
            actor=worker_chashan,
            household=complete_household(),
            scheme=scheme("dibao"),
            covered_members=[stranger],
        )
    )
    assert stranger.name in errors["covered_members"][0]


def test_draft_update_is_in_history_with_reason(worker_chashan):
    application = dibao_application(worker=worker_chashan)
    services.application_update(
        actor=worker_chashan, application=application, reason="Declared", no_income_declared=True
    )
    application.refresh_from_db()
    assert application.no_income_declared
    assert application.history.first().history_change_reason == "Declared"
    assert application.history.first().history_user == worker_chashan


def test_submitted_application_can_no_longer_be_edited(worker_chashan):
    application = dibao_application(worker=worker_chashan, until="submitted")
    errors = errors_of(
        lambda: services.application_update(actor=worker_chashan, application=application, note="x")
    )
    assert "submitted" in errors["state"][0]


# Submission: the completeness check


def test_incomplete_submission_lists_every_missing_item_at_once(worker_chashan):
    household = household_with_members("chashan", size=2)  # no authorisations, no income
    household.memberships.filter(relation="head").update(relation="spouse")
    application = services.application_create(
        actor=worker_chashan, household=household, scheme=scheme("dibao")
    )

    errors = errors_of(
        lambda: services.application_submit(
            actor=worker_chashan, application=application, today=D["submitted"]
        )
    )

    assert set(errors) == {"head", "authorisations", "income"}
    assert len(errors["authorisations"]) == 2  # one line per member
    application.refresh_from_db()
    assert application.state == State.DRAFT
    notice = application.events.get(kind=ApplicationEvent.Kind.COMPLETENESS_NOTICE)
    assert set(notice.data["missing"]) == {"head", "authorisations", "income"}
    assert not application.clocks.exists()


def test_expired_revoked_or_partial_authorisations_do_not_count(worker_chashan):
    household = complete_household(size=3)
    first, second, third = (m.person for m in household.memberships.order_by("id"))
    Authorisation.objects.filter(person=first).update(valid_until=datetime.date(2024, 1, 31))
    Authorisation.objects.filter(person=second).update(revoked_on=datetime.date(2024, 2, 1))
    Authorisation.objects.filter(person=third).update(scope=Authorisation.Scope.BANK)
    application = services.application_create(
        actor=worker_chashan, household=household, scheme=scheme("dibao")
    )
    errors = errors_of(
        lambda: services.application_submit(
            actor=worker_chashan, application=application, today=D["submitted"]
        )
    )
    assert len(errors["authorisations"]) == 3


def test_separate_authorisations_covering_every_scope_count(worker_chashan):
    household = complete_household(size=1)
    person = household.memberships.get().person
    Authorisation.objects.filter(person=person).delete()
    for scope in Authorisation.Scope.values:
        if scope != Authorisation.Scope.ALL:
            AuthorisationFactory(household=household, person=person, scope=scope)
    application = services.application_create(
        actor=worker_chashan, household=household, scheme=scheme("dibao")
    )
    services.application_submit(actor=worker_chashan, application=application, today=D["submitted"])
    application.refresh_from_db()
    assert application.state == State.SUBMITTED


def test_a_declaration_of_no_income_replaces_income_lines(worker_chashan):
    application = services.application_create(
        actor=worker_chashan,
        household=complete_household(income=None),
        scheme=scheme("dibao"),
        no_income_declared=True,
    )
    services.application_submit(actor=worker_chashan, application=application, today=D["submitted"])
    application.refresh_from_db()
    assert application.state == State.SUBMITTED


def test_temporary_submission_needs_an_amount_within_the_band_and_its_basis(worker_chashan):
    application = services.application_create(
        actor=worker_chashan,
        household=complete_household(income=None),
        scheme=scheme("temp_expenditure"),
        # Within today's band when the draft is saved; above the band of the submission day
        # (100.00 to 6 × 1300.00 = 7800.00): submission checks the band again on its own day.
        proposed_amount=Decimal("8000.00"),
        instalments=7,
    )
    errors = errors_of(
        lambda: services.application_submit(
            actor=worker_chashan, application=application, today=D["submitted"]
        )
    )
    assert set(errors) == {"proposed_amount", "amount_basis", "instalments"}
    assert "7,800.00" in errors["proposed_amount"][0]


def test_a_proposed_amount_outside_the_band_is_refused_when_the_draft_is_saved(worker_chashan):
    now = datetime.datetime(2024, 2, 5, 2, 0, tzinfo=datetime.UTC)  # 10:00 on 2024-02-05
    band = (
        "The proposed amount must be between 100.00 and 7,800.00 yuan (band of Temporary "
        "assistance: essential expenditure on 2024-02-05)."
    )
    errors = errors_of(
        lambda: services.application_create(
            actor=worker_chashan,
            household=complete_household(income=None),
            scheme=scheme("temp_expenditure"),
            proposed_amount=Decimal("9999.00"),
            amount_basis="Hospital bill",
            now=now,
        )
    )
    assert errors == {"proposed_amount": [band]}
    assert not Application.objects.exists()

    application = services.application_create(
        actor=worker_chashan,
        household=complete_household(income=None),
        scheme=scheme("temp_expenditure"),
        proposed_amount=Decimal("3000.00"),
        amount_basis="Hospital bill",
        now=now,
    )
    errors = errors_of(
        lambda: services.application_update(
            actor=worker_chashan,
            application=application,
            proposed_amount=Decimal("50.00"),
            now=now,
        )
    )
    assert errors == {"proposed_amount": [band]}
    application.refresh_from_db()
    assert application.proposed_amount == Decimal("3000.00")


def test_submission_no_clock_and_city_flag_above_threshold(worker_chashan):
    application = services.application_create(
        actor=worker_chashan,
        household=complete_household(income=None),
        scheme=scheme("temp_expenditure"),
        proposed_amount=Decimal("6000.00"),
        amount_basis="Hospital bill",
    )
    services.application_submit(actor=worker_chashan, application=application, today=D["submitted"])
    application.refresh_from_db()
    assert application.state == State.SUBMITTED
    assert application.needs_city
    assert not application.clocks.exists()


# Acceptance


def test_file_received_on_saturday_is_accepted_on_the_make_up_sunday(worker_chashan):
    application = dibao_application(worker=worker_chashan, until="accepted")

    assert application.received_on == datetime.date(2024, 2, 3)
    assert application.accepted_on == datetime.date(2024, 2, 4)
    home_visit = clock(application, Clock.Kind.HOME_VISIT)
    overall = clock(application, Clock.Kind.OVERALL)
    assert home_visit.started_on == overall.started_on == datetime.date(2024, 2, 4)
    # 7 working days: 02-05..02-09, then Spring Festival, then Sunday 02-18 and 02-19.
    assert home_visit.due_on == datetime.date(2024, 2, 19)
    assert home_visit.holder_user == worker_chashan
    assert overall.limit_days == 30
    assert overall.due_on == datetime.date(2024, 3, 21)
    assert not home_visit.provisional


def test_received_date_cannot_be_in_the_future(worker_chashan):
    application = dibao_application(worker=worker_chashan, until="submitted")
    errors = errors_of(
        lambda: services.application_accept(
            actor=worker_chashan,
            application=application,
            received_on=datetime.date(2024, 2, 6),
            today=datetime.date(2024, 2, 5),
        )
    )
    assert "received_on" in errors


def test_accepting_a_draft_is_refused_naming_its_state(worker_chashan):
    application = dibao_application(worker=worker_chashan)
    errors = errors_of(
        lambda: services.application_accept(
            actor=worker_chashan,
            application=application,
            received_on=D["received"],
            today=D["accepted"],
        )
    )
    assert "draft" in errors["state"][0]


def test_received_date_is_audited_in_history(worker_chashan):
    application = dibao_application(worker=worker_chashan, until="accepted")
    row = application.history.filter(received_on__isnull=False).last()
    assert row.history_user == worker_chashan
    assert row.received_on == D["received"]


# The dibao procedure


def test_home_visit_ends_its_clock_and_starts_the_opinion_clock(worker_chashan):
    application = dibao_application(worker=worker_chashan, until="visited")
    assert clock(application, Clock.Kind.HOME_VISIT).stopped_on == D["visited"]
    opinion = clock(application, Clock.Kind.OPINION)
    assert opinion.started_on == D["visited"]
    assert opinion.due_on == datetime.date(2024, 2, 9)  # 3 working days: 07, 08, 09
    assert application.state == State.VISITED


def test_opinion_stores_the_calculation_for_the_first_month_paid(worker_chashan):
    application = dibao_application(worker=worker_chashan, until="opinion")
    assert application.town_opinion == Application.Opinion.RECOMMEND
    assert application.calculation["month"] == "2024-03-01"
    # Standard 1300.00, income 1000.00 for 2 members: (1300 - 500) × 2.
    assert application.calculation["total"] == "1600.00"
    assert clock(application, Clock.Kind.OPINION).stopped_on == D["opinion"]


def test_an_ineligible_household_cannot_be_recommended(worker_chashan):
    household = complete_household(income=Decimal("5000.00"))
    application = dibao_application(worker=worker_chashan, until="visited", household=household)
    errors = errors_of(
        lambda: steps.application_opinion_give(
            actor=worker_chashan, application=application, recommend=True, today=D["opinion"]
        )
    )
    assert errors["recommend"] == [
        "The calculation for 2024-03, with the household, evidence and rules as of 2024-03-01, "
        "finds the household not eligible. Failed: Income per person below the standard "
        "(income per person 2,500.0000, standard 1,300.00). It cannot be recommended."
    ]


def test_not_recommended_application_gets_no_notice_but_a_rejection(
    worker_chashan, supervisor_chashan
):
    application = dibao_application(worker=worker_chashan, until="visited")
    steps.application_opinion_give(
        actor=worker_chashan, application=application, recommend=False, today=D["opinion"]
    )
    errors = errors_of(
        lambda: steps.application_notice_start(
            actor=worker_chashan, application=application, today=D["notice"]
        )
    )
    assert "town_opinion" in errors
    decisions.application_decide(
        actor=supervisor_chashan,
        application=application,
        approve=False,
        reasons="Income above the standard.",
        today=D["notice"],
    )
    application.refresh_from_db()
    assert application.state == State.REJECTED
    assert not application.clocks.filter(stopped_on__isnull=True).exists()


def test_public_notice_masks_the_head_and_runs_seven_calendar_days(worker_chashan):
    household = complete_household()
    head = household.memberships.get(relation="head").person
    head.name = "张小明"
    head.save()
    application = dibao_application(worker=worker_chashan, until="notice", household=household)

    notice = PublicNotice.objects.get(application=application)
    assert notice.head_name == "张*明"
    assert notice.household_size == 2
    assert notice.amount == Decimal("1600.00")
    assert (notice.starts_on, notice.ends_on) == (D["notice"], datetime.date(2024, 2, 14))
    assert application.state == State.NOTICE


def test_notice_working_days_do_not_count_in_the_overall_clock(worker_chashan):
    application = dibao_application(worker=worker_chashan, until="notice")
    # 2024-02-08..14: Thursday 08 and Friday 09 are working days, then Spring Festival.
    overall = clock(application, Clock.Kind.OVERALL)
    assert overall.due_on == datetime.date(2024, 3, 25)  # 30 + 2 working days from 02-04
    pause = application.pauses.get(kind=Pause.Kind.NOTICE)
    assert (pause.started_on, pause.ended_on) == (D["notice"], datetime.date(2024, 2, 14))


def test_notice_cannot_end_before_its_last_day_has_passed(worker_chashan):
    application = dibao_application(worker=worker_chashan, until="notice")
    errors = errors_of(
        lambda: steps.application_notice_end(
            actor=worker_chashan, application=application, today=datetime.date(2024, 2, 14)
        )
    )
    assert "2024-02-14" in errors["state"][0]


def test_decision_clock_runs_from_the_notice_end(worker_chashan):
    application = dibao_application(worker=worker_chashan, until="notice_ended")
    decision = clock(application, Clock.Kind.DECISION)
    assert decision.started_on == datetime.date(2024, 2, 14)
    assert decision.due_on == datetime.date(2024, 2, 20)  # 18 (Sunday, working), 19, 20
    assert decision.holder_role == "town_supervisor"


def test_objection_pauses_and_requires_a_new_home_visit(worker_chashan):
    application = dibao_application(worker=worker_chashan, until="notice")
    overall_before = clock(application, Clock.Kind.OVERALL).due_on
    steps.application_objection_record(
        actor=worker_chashan,
        application=application,
        objection="A neighbour says the son drives a car.",
        today=datetime.date(2024, 2, 9),
    )
    application.refresh_from_db()
    assert application.state == State.REINVESTIGATION
    assert clock(application, Clock.Kind.OVERALL).paused_since == datetime.date(2024, 2, 9)
    assert PublicNotice.objects.get(application=application).objections == 1
    # The notice cannot end while the objection is re-investigated.
    errors = errors_of(
        lambda: steps.application_notice_end(
            actor=worker_chashan, application=application, today=datetime.date(2024, 2, 19)
        )
    )
    assert "reinvestigation" in errors["state"][0]

    steps.application_home_visit_record(
        actor=worker_chashan,
        application=application,
        findings="No car: the objection is unfounded.",
        today=datetime.date(2024, 2, 20),
    )
    application.refresh_from_db()
    assert application.state == State.NOTICE
    overall = clock(application, Clock.Kind.OVERALL)
    assert overall.paused_since is None
    # The objection pause (02-09..02-20) adds 18, 19 and 20 on top of the notice's 08 and 09;
    # 09 is counted once.
    assert overall.due_on == datetime.date(2024, 3, 28)
    assert overall_before == datetime.date(2024, 3, 25)

    steps.application_notice_end(
        actor=worker_chashan, application=application, today=datetime.date(2024, 2, 21)
    )
    # The decision is due 3 working days after the re-investigation, which ended after the
    # notice's last day.
    assert clock(application, Clock.Kind.DECISION).started_on == datetime.date(2024, 2, 20)


def test_objection_only_while_the_notice_runs(worker_chashan):
    application = dibao_application(worker=worker_chashan, until="notice")
    errors = errors_of(
        lambda: steps.application_objection_record(
            actor=worker_chashan,
            application=application,
            objection="Late.",
            today=datetime.date(2024, 2, 15),
        )
    )
    assert "objection" in errors


# Supplementary documents


def test_waiting_for_documents_blocks_the_next_steps(worker_chashan):
    application = dibao_application(worker=worker_chashan, until="accepted")
    steps.application_supplement_request(
        actor=worker_chashan,
        application=application,
        items="Bank statements",
        today=datetime.date(2024, 2, 5),
    )
    errors = errors_of(
        lambda: steps.application_home_visit_record(
            actor=worker_chashan, application=application, findings="x", today=D["visited"]
        )
    )
    assert "supplementary documents" in errors["state"][0]
    steps.application_supplement_receive(
        actor=worker_chashan, application=application, today=datetime.date(2024, 2, 6)
    )
    steps.application_home_visit_record(
        actor=worker_chashan, application=application, findings="x", today=D["visited"]
    )


def test_supplement_received_without_a_request_is_refused(worker_chashan):
    application = dibao_application(worker=worker_chashan, until="accepted")
    errors = errors_of(
        lambda: steps.application_supplement_receive(
            actor=worker_chashan, application=application, today=D["visited"]
        )
    )
    assert "not waiting" in errors["state"][0]


# Decisions


def test_approval_creates_a_grant_from_the_next_month_with_a_confirmed_entry(
    worker_chashan, supervisor_chashan
):
    application = dibao_application(
        worker=worker_chashan, supervisor=supervisor_chashan, until="approved"
    )

    assert application.state == State.APPROVED
    assert application.decided_by == supervisor_chashan
    grant = Grant.objects.get(application=application)
    assert grant.starts_month == datetime.date(2024, 3, 1)
    assert grant.state == Grant.State.ACTIVE
    entry = grant.schedule.get()
    assert entry.state == ScheduleEntry.State.CONFIRMED
    assert entry.amount == Decimal("1600.00")
    assert entry.amount == Decimal(application.calculation["total"])
    assert entry.from_month == grant.starts_month
    assert entry.proposed_by == worker_chashan
    assert entry.confirmed_by == supervisor_chashan
    assert not application.clocks.filter(stopped_on__isnull=True).exists()
    assert AuditEvent.objects.filter(
        action="approve", object_id=str(application.pk), actor=supervisor_chashan
    ).exists()
    assert Notification.objects.filter(user=worker_chashan, kind="decision").exists()


def test_approving_twice_is_refused(worker_chashan, supervisor_chashan):
    application = dibao_application(
        worker=worker_chashan, supervisor=supervisor_chashan, until="approved"
    )
    errors = errors_of(
        lambda: decisions.application_decide(
            actor=supervisor_chashan, application=application, approve=True, today=D["approved"]
        )
    )
    assert "approved" in errors["state"][0]
    assert Grant.objects.count() == 1


def test_case_worker_never_decides(worker_chashan, request):
    other_worker = request.getfixturevalue("worker_dalang")
    other_worker.staff.towns.add(worker_chashan.staff.towns.get())
    application = dibao_application(worker=worker_chashan, until="notice_ended")
    with pytest.raises(PermissionDenied):
        decisions.application_decide(
            actor=other_worker, application=application, approve=True, today=D["approved"]
        )


def test_supervisor_who_prepared_cannot_decide(worker_chashan, supervisor_chashan):
    application = dibao_application(worker=worker_chashan, until="visited")
    steps.application_opinion_give(
        actor=supervisor_chashan, application=application, recommend=True, today=D["opinion"]
    )
    assert supervisor_chashan.pk in preparer_ids(application)
    steps.application_notice_start(actor=worker_chashan, application=application, today=D["notice"])
    steps.application_notice_end(
        actor=worker_chashan, application=application, today=D["notice_ended"]
    )
    with pytest.raises(PermissionDenied, match="prepared"):
        decisions.application_decide(
            actor=supervisor_chashan, application=application, approve=True, today=D["approved"]
        )


def test_rejection_needs_written_reasons(worker_chashan, supervisor_chashan):
    application = dibao_application(worker=worker_chashan, until="notice_ended")
    errors = errors_of(
        lambda: decisions.application_decide(
            actor=supervisor_chashan, application=application, approve=False, today=D["approved"]
        )
    )
    assert "reasons" in errors


def test_approval_refused_when_the_household_became_ineligible(worker_chashan, supervisor_chashan):
    application = dibao_application(worker=worker_chashan, until="notice_ended")
    IncomeLine.objects.filter(household=application.household).update(
        monthly_amount=Decimal("9000.00")
    )
    errors = errors_of(
        lambda: decisions.application_decide(
            actor=supervisor_chashan, application=application, approve=True, today=D["approved"]
        )
    )
    assert "2024-03" in errors["calculation"][0]
    assert not Grant.objects.exists()


def test_a_refused_approval_names_the_failed_check_its_figures_and_the_date(
    worker_chashan, supervisor_chashan
):
    application = dibao_application(worker=worker_chashan, until="notice_ended")
    IncomeLine.objects.filter(household=application.household).update(
        monthly_amount=Decimal("9000.00")
    )
    errors = errors_of(
        lambda: decisions.application_decide(
            actor=supervisor_chashan, application=application, approve=True, today=D["approved"]
        )
    )
    # Dibao is paid from the month after approval, calculated by that month's rule.
    assert errors["calculation"] == [
        "The calculation for 2024-03, with the household, evidence and rules as of 2024-03-01, "
        "finds the household not eligible. Failed: Income per person below the standard "
        "(income per person 4,500.0000, standard 1,300.00). It cannot be approved."
    ]


TODAY = datetime.date(2024, 3, 13)  # a Wednesday in the middle of the month


def registered_today(worker, size=2):
    """A household registered through the registry service on TODAY: its members joined
    today (the default), each with an authorisation signed today."""
    household = registry.household_create(
        actor=worker,
        town=town("chashan"),
        address="茶山镇南社村十二巷8号",
        members=[
            registry.MemberInput(
                name=f"新登记{i}",
                id_number=make_id_number(700 + i, datetime.date(1980, 5, 1 + i)),
                relation="head" if i == 0 else "child",
            )
            for i in range(size)
        ],
        today=TODAY,
    )
    for membership in household.memberships.select_related("person"):
        assert membership.joined_on == TODAY
        AuthorisationFactory(household=household, person=membership.person, signed_on=TODAY)
    return household


def temporary_on(worker, household, day=TODAY) -> Application:
    application = services.application_create(
        actor=worker,
        household=household,
        scheme=scheme("temp_emergency"),
        proposed_amount=Decimal("2000.00"),
        amount_basis="House fire on 2024-03-12",
    )
    services.application_submit(actor=worker, application=application, today=day)
    services.application_accept(actor=worker, application=application, received_on=day, today=day)
    return application


def test_temporary_assistance_for_a_household_registered_today_is_approved_today(
    worker_chashan, supervisor_chashan
):
    application = temporary_on(worker_chashan, registered_today(worker_chashan))

    decisions.application_decide(
        actor=supervisor_chashan, application=application, approve=True, today=TODAY
    )

    application.refresh_from_db()
    assert application.state == State.APPROVED
    # The household as it is on the day of the decision, not on the first of the month.
    assert (application.calculation["month"], application.calculation["as_of"]) == (
        "2024-03-01",
        "2024-03-13",
    )
    assert application.calculation["members"] == 2


def test_a_refused_temporary_approval_names_the_check_and_the_day_of_the_decision(
    worker_chashan, supervisor_chashan
):
    household = registered_today(worker_chashan)
    application = temporary_on(worker_chashan, household)
    household.memberships.update(left_on=TODAY, leave_reason="moved_out")

    errors = errors_of(
        lambda: decisions.application_decide(
            actor=supervisor_chashan, application=application, approve=True, today=TODAY
        )
    )

    assert errors["calculation"] == [
        "The calculation for 2024-03, with the household, evidence and rules as of 2024-03-13, "
        "finds the household not eligible. Failed: The household has co-resident members "
        "(co-resident members 0). It cannot be approved."
    ]


def test_dibao_is_approved_only_after_the_notice(worker_chashan, supervisor_chashan):
    application = dibao_application(worker=worker_chashan, until="opinion")
    errors = errors_of(
        lambda: decisions.application_decide(
            actor=supervisor_chashan, application=application, approve=True, today=D["approved"]
        )
    )
    assert "opinion" in errors["state"][0]


# Extension


def test_extension_moves_the_overall_limit_from_30_to_45(worker_chashan, supervisor_chashan):
    application = dibao_application(worker=worker_chashan, until="accepted")
    decisions.application_extend(
        actor=supervisor_chashan,
        application=application,
        reason="Waiting for the hospital's report",
        today=D["visited"],
    )
    overall = clock(application, Clock.Kind.OVERALL)
    assert overall.limit_days == 45
    assert overall.due_on == datetime.date(2024, 4, 12)
    assert application.extension.approver == supervisor_chashan
    assert application.events.filter(kind="extended").exists()
    # The approver of an extension did not prepare the application: they may still decide.
    assert supervisor_chashan.pk not in preparer_ids(application)


def test_only_one_extension(worker_chashan, supervisor_chashan):
    application = dibao_application(worker=worker_chashan, until="accepted")
    decisions.application_extend(
        actor=supervisor_chashan, application=application, reason="x", today=D["visited"]
    )
    errors = errors_of(
        lambda: decisions.application_extend(
            actor=supervisor_chashan, application=application, reason="y", today=D["visited"]
        )
    )
    assert "already" in errors["state"][0]


def test_extension_needs_a_supervisor_who_did_not_prepare(worker_chashan, supervisor_chashan):
    application = dibao_application(worker=supervisor_chashan, until="accepted")
    with pytest.raises(PermissionDenied):
        decisions.application_extend(
            actor=worker_chashan, application=application, reason="x", today=D["visited"]
        )
    with pytest.raises(PermissionDenied, match="prepared"):
        decisions.application_extend(
            actor=supervisor_chashan, application=application, reason="x", today=D["visited"]
        )


# Temporary assistance


def temporary(worker, amount="3000.00", procedure="general", household=None, until="accepted"):
    application = services.application_create(
        actor=worker,
        household=household or complete_household(income=None),
        scheme=scheme("temp_emergency" if procedure == "emergency" else "temp_expenditure"),
        procedure=procedure,
        proposed_amount=Decimal(amount),
        amount_basis="Hospital bill of 20,000 yuan",
        instalments=1,
    )
    services.application_submit(actor=worker, application=application, today=D["submitted"])
    if until == "accepted":
        services.application_accept(
            actor=worker, application=application, received_on=D["received"], today=D["accepted"]
        )
    return application


def test_temporary_assistance_has_an_approval_clock_of_ten_working_days(worker_chashan):
    application = temporary(worker_chashan)
    approval = clock(application, Clock.Kind.APPROVAL)
    assert approval.limit_days == 10
    assert approval.due_on == datetime.date(2024, 2, 22)
    assert set(application.clocks.values_list("kind", flat=True)) == {"approval"}


def test_approval_starts_the_disbursement_clock_and_finance_stops_it(
    worker_chashan, supervisor_chashan, finance
):
    application = temporary(worker_chashan)
    decisions.application_decide(
        actor=supervisor_chashan, application=application, approve=True, today=D["visited"]
    )
    application.refresh_from_db()
    assert application.approved_amount == Decimal("3000.00")
    assert clock(application, Clock.Kind.APPROVAL).stopped_on == D["visited"]
    disbursement = clock(application, Clock.Kind.DISBURSEMENT)
    assert disbursement.holder_role == "finance"
    assert disbursement.due_on == datetime.date(2024, 2, 19)  # 07, 08, 09, 18, 19
    grant = Grant.objects.get(application=application)
    assert grant.starts_month == datetime.date(2024, 2, 1)
    assert grant.approved_amount == Decimal("3000.00")
    assert grant.schedule.get().amount == Decimal("3000.00")

    with pytest.raises(PermissionDenied):
        decisions.application_disbursement_record(
            actor=supervisor_chashan, application=application, today=D["approved"]
        )
    decisions.application_disbursement_record(
        actor=finance, application=application, today=datetime.date(2024, 2, 19)
    )
    assert clock(application, Clock.Kind.DISBURSEMENT).stopped_on == datetime.date(2024, 2, 19)
    assert not Breach.objects.exists()


def test_above_the_threshold_the_town_supervisor_may_not_decide(
    worker_chashan, supervisor_chashan, city_supervisor
):
    application = temporary(worker_chashan, amount="6000.00")
    assert clock(application, Clock.Kind.APPROVAL).holder_role == "city_supervisor"
    with pytest.raises(PermissionDenied, match="5,000.00"):
        decisions.application_decide(
            actor=supervisor_chashan, application=application, approve=True, today=D["visited"]
        )
    decisions.application_decide(
        actor=city_supervisor, application=application, approve=True, today=D["visited"]
    )
    application.refresh_from_db()
    assert application.state == State.APPROVED
    assert application.approved_amount == Decimal("6000.00")


def test_instalments_split_the_amount_to_the_fen(worker_chashan, supervisor_chashan):
    application = services.application_create(
        actor=worker_chashan,
        household=complete_household(income=None),
        scheme=scheme("temp_expenditure"),
        proposed_amount=Decimal("1000.00"),
        amount_basis="School fees",
        instalments=3,
    )
    services.application_submit(actor=worker_chashan, application=application, today=D["submitted"])
    services.application_accept(
        actor=worker_chashan,
        application=application,
        received_on=D["received"],
        today=D["accepted"],
    )
    decisions.application_decide(
        actor=supervisor_chashan, application=application, approve=True, today=D["visited"]
    )
    grant = Grant.objects.get(application=application)
    assert grant.ends_month == datetime.date(2024, 4, 1)
    assert [(e.from_month, e.amount) for e in grant.schedule.order_by("from_month")] == [
        (datetime.date(2024, 2, 1), Decimal("333.33")),
        (datetime.date(2024, 4, 1), Decimal("333.34")),
    ]


def test_emergency_procedure_pays_first_and_completes_the_file_afterwards(
    worker_chashan, supervisor_chashan
):
    household = household_with_members("chashan", size=2)  # no authorisations yet
    application = temporary(worker_chashan, procedure="emergency", household=household)
    decisions.application_emergency_approve(
        actor=supervisor_chashan, application=application, today=D["accepted"]
    )
    application.refresh_from_db()
    assert application.state == State.APPROVED
    assert application.file_completed_at is None
    assert Grant.objects.filter(application=application).exists()

    errors = errors_of(
        lambda: services.application_file_complete(
            actor=worker_chashan, application=application, today=D["visited"]
        )
    )
    assert len(errors["authorisations"]) == 2
    for membership in household.memberships.all():
        AuthorisationFactory(household=household, person=membership.person)
    services.application_file_complete(
        actor=worker_chashan, application=application, today=D["visited"]
    )
    application.refresh_from_db()
    assert application.file_completed_at is not None


def test_emergency_approval_only_for_the_emergency_procedure(worker_chashan, supervisor_chashan):
    application = temporary(worker_chashan)
    errors = errors_of(
        lambda: decisions.application_emergency_approve(
            actor=supervisor_chashan, application=application, today=D["visited"]
        )
    )
    assert "procedure" in errors


# The approver approves the proposed amount (DOMAIN.md §5)


def decide_temporary(actor, application, amount=None, emergency=False):
    if emergency:
        return decisions.application_emergency_approve(
            actor=actor, application=application, approved_amount=amount, today=D["visited"]
        )
    return decisions.application_decide(
        actor=actor,
        application=application,
        approve=True,
        approved_amount=amount,
        today=D["visited"],
    )


@pytest.mark.parametrize("emergency", [False, True])
def test_the_approver_approves_the_proposed_amount_and_no_other(
    worker_chashan, supervisor_chashan, emergency
):
    application = temporary(
        worker_chashan, amount="3000.00", procedure="emergency" if emergency else "general"
    )
    errors = errors_of(
        lambda: decide_temporary(supervisor_chashan, application, Decimal("2500.00"), emergency)
    )
    assert set(errors) == {"approved_amount"}
    assert "proposed amount of 3,000.00 yuan" in errors["approved_amount"][0]
    assert "the case worker changes the proposal" in errors["approved_amount"][0]
    application.refresh_from_db()
    assert (application.state, application.approved_amount) == (State.ACCEPTED, None)
    assert not Grant.objects.exists()

    # Naming the proposed amount itself is approving it.
    decide_temporary(supervisor_chashan, application, Decimal("3000"), emergency)
    application.refresh_from_db()
    assert (application.state, application.approved_amount) == (State.APPROVED, Decimal("3000"))
    assert Grant.objects.get(application=application).approved_amount == Decimal("3000.00")


@pytest.mark.parametrize("emergency", [False, True])
def test_a_lower_amount_does_not_let_the_town_supervisor_approve_above_the_threshold(
    worker_chashan, supervisor_chashan, emergency
):
    application = temporary(
        worker_chashan, amount="6000.00", procedure="emergency" if emergency else "general"
    )
    application.refresh_from_db()
    assert application.needs_city
    with pytest.raises(PermissionDenied, match="5,000.00"):
        decide_temporary(supervisor_chashan, application, Decimal("4000.00"), emergency)
    application.refresh_from_db()
    assert (application.state, application.needs_city) == (State.ACCEPTED, True)
    assert not Grant.objects.exists()


def test_the_city_decides_when_todays_threshold_puts_the_proposal_above_it(
    worker_chashan, supervisor_chashan, city_supervisor
):
    application = temporary(worker_chashan, amount="3000.00")
    application.refresh_from_db()
    assert not application.needs_city  # below the threshold at submission
    SchemeRule.objects.filter(scheme__code="temp_expenditure").update(
        town_threshold=Decimal("2000.00")
    )
    with pytest.raises(PermissionDenied, match="2,000.00"):
        decide_temporary(supervisor_chashan, application)
    decide_temporary(city_supervisor, application)
    application.refresh_from_db()
    assert (application.state, application.needs_city) == (State.APPROVED, True)


# Withdrawal


def test_withdrawal_stops_the_clocks_and_closes_the_pause(worker_chashan):
    application = dibao_application(worker=worker_chashan, until="accepted")
    steps.application_supplement_request(
        actor=worker_chashan, application=application, items="ID card", today=D["visited"]
    )
    services.application_withdraw(
        actor=worker_chashan,
        application=application,
        reason="The applicant moved away",
        today=D["opinion"],
    )
    application.refresh_from_db()
    assert application.state == State.WITHDRAWN
    assert not application.clocks.filter(stopped_on__isnull=True).exists()
    assert not application.pauses.filter(ended_on__isnull=True).exists()
    errors = errors_of(
        lambda: services.application_withdraw(
            actor=worker_chashan, application=application, reason="again", today=D["opinion"]
        )
    )
    assert "withdrawn" in errors["state"][0]


def test_other_towns_worker_cannot_touch_the_application(worker_chashan, worker_dalang):
    application = dibao_application(worker=worker_chashan, until="submitted")
    with pytest.raises(Http404):
        services.application_accept(
            actor=worker_dalang,
            application=application,
            received_on=D["received"],
            today=D["accepted"],
        )


# Selectors


def test_dashboard_counts_open_and_overdue_applications_by_town(
    worker_chashan, worker_dalang, city_supervisor, supervisor_chashan
):
    dibao_application(worker=worker_chashan, until="accepted")  # home visit due 02-19
    dibao_application(worker=worker_chashan, until="submitted")
    dibao_application(worker=worker_dalang, household=complete_household("dalang"))
    clocks_sweep(today=datetime.date(2024, 2, 20))

    rows = {
        town.slug: (town.open_applications, town.overdue_applications, town.breaches)
        for town in workflow.dashboard_by_town(
            user=city_supervisor, today=datetime.date(2024, 2, 20)
        )
    }
    assert rows["chashan"] == (2, 1, 1)
    assert rows["dalang"] == (1, 0, 0)
    assert rows["dongcheng"] == (0, 0, 0)
    town_view = workflow.dashboard_by_town(
        user=supervisor_chashan, today=datetime.date(2024, 2, 20)
    )
    assert [town.slug for town in town_view] == ["chashan"]


def test_unread_count_and_inbox_are_the_users_own(worker_chashan, supervisor_chashan):
    dibao_application(worker=worker_chashan, until="accepted")
    clocks_sweep(today=datetime.date(2024, 2, 20))
    assert workflow.unread_count(user=worker_chashan) == 1
    assert workflow.unread_count(user=supervisor_chashan) == 1
    assert {n.user_id for n in workflow.inbox(user=worker_chashan)} == {worker_chashan.pk}


def test_approval_queue_leaves_out_what_the_supervisor_prepared(
    worker_chashan, supervisor_chashan, city_supervisor
):
    theirs = dibao_application(worker=worker_chashan, until="notice_ended")
    own = dibao_application(worker=supervisor_chashan, until="notice_ended")
    assert list(workflow.approval_queue(user=supervisor_chashan)) == [theirs]
    assert set(workflow.approval_queue(user=city_supervisor)) == {theirs, own}
    assert not workflow.approval_queue(user=worker_chashan).exists()


@pytest.mark.parametrize("model", ["application", "grant", "breach"])
def test_the_admin_lists_no_case_data_to_an_administrator(
    client, administrator, worker_chashan, model
):
    """Applications are case data: the administrator configures and sees none of it, and
    nobody adds, changes or deletes them in the admin."""
    from django.urls import reverse

    dibao_application(worker=worker_chashan, until="accepted")
    clocks_sweep(today=datetime.date(2024, 3, 20))  # a breach too
    client.force_login(administrator)
    response = client.get(reverse(f"admin:cases_{model}_changelist"))
    assert response.status_code == 200
    assert response.context["cl"].result_count == 0
    assert client.get(reverse(f"admin:cases_{model}_add")).status_code == 403
