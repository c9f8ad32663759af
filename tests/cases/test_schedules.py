"""Grant amount schedules and a grant's later life (cases.grants): proposals and their
second-person confirmation, standard changes confirmed at once, what a grant pays for a month,
suspension, termination, gradual exit, re-checks and their reminders."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from cases import grants as schedules
from cases.grants import confirmed_amount
from cases.models import (
    Grant,
    IncomeLine,
    IncomeType,
    Notification,
    Person,
    Role,
    ScheduleConfirmation,
    ScheduleEntry,
    Standard,
)
from relief.models import AuditEvent
from tests.factories import (
    approved_grant,
    complete_household,
    dibao_application,
    person_born,
    scheme,
    staff_user,
    town,
)

pytestmark = pytest.mark.django_db

M = datetime.date
State = ScheduleEntry.State
TODAY = M(2024, 6, 12)


def month(year: int, number: int) -> datetime.date:
    return M(year, number, 1)


def errors_of(call) -> dict:
    with pytest.raises(ValidationError) as exc:
        call()
    return exc.value.message_dict


def raise_income(
    grant, amount=Decimal("400.00"), valid_from=datetime.date(2024, 6, 1)
) -> IncomeLine:
    """New evidence: 400.00 more income a month from June 2024 (1,600.00 → 1,200.00)."""
    return IncomeLine.objects.create(
        household=grant.household,
        income_type=IncomeType.objects.get(code="wage"),
        monthly_amount=amount,
        valid_from=valid_from,
    )


def propose(grant, actor, from_month=datetime.date(2024, 6, 1), reason="Wage rose."):
    return schedules.schedule_propose(
        grant=grant, from_month=from_month, actor=actor, reason=reason, today=TODAY
    )


@pytest.fixture
def grant(db):
    return approved_grant()


@pytest.fixture
def second_city_supervisor(db):
    return staff_user("supervisor-2", Role.CITY_SUPERVISOR)


@pytest.fixture
def supervisor_dalang(db):
    return staff_user("supervisor-dalang", Role.TOWN_SUPERVISOR, "dalang")


# What a grant pays


def test_grant_pays_its_confirmed_amount_from_its_first_month_and_nothing_before(grant):
    assert confirmed_amount(grant=grant, month=month(2024, 2)) == Decimal("0.00")
    assert confirmed_amount(grant=grant, month=month(2024, 3)) == Decimal("1600.00")
    assert confirmed_amount(grant=grant, month=M(2025, 1, 17)) == Decimal("1600.00")


def test_approval_through_the_procedure_pays_the_calculated_amount(
    worker_chashan, supervisor_chashan
):
    application = dibao_application(
        worker=worker_chashan, supervisor=supervisor_chashan, until="approved"
    )
    grant = application.grant

    assert grant.starts_month == month(2024, 3)
    assert confirmed_amount(grant=grant, month=month(2024, 3)) == Decimal("1600.00")


def test_new_evidence_changes_nothing_by_itself(grant):
    raise_income(grant)

    assert confirmed_amount(grant=grant, month=month(2024, 7)) == Decimal("1600.00")


def test_the_annotation_gives_every_grants_amount_in_one_query(grant, django_assert_num_queries):
    other = approved_grant(town_slug="dalang", amount=Decimal("700.00"))
    later = approved_grant(starts_month=month(2024, 9))

    with django_assert_num_queries(1):
        amounts = dict(
            schedules.with_confirmed_amount(Grant.objects.all(), month=month(2024, 6)).values_list(
                "pk", "confirmed_amount"
            )
        )

    assert amounts == {
        grant.pk: Decimal("1600.00"),
        other.pk: Decimal("700.00"),
        later.pk: Decimal("0.00"),
    }


# Proposals


def test_proposal_stores_the_calculation_and_pays_nothing_until_confirmed(
    grant, worker_chashan, supervisor_chashan
):
    raise_income(grant)

    entry = propose(grant, worker_chashan)

    assert (entry.state, entry.kind, entry.amount) == (
        State.PROPOSED,
        ScheduleEntry.Kind.RECALCULATION,
        Decimal("1200.00"),
    )
    assert entry.calculation["total"] == "1200.00"
    assert entry.calculation["income"] == "1400.00"
    assert entry.history.get().history_user == worker_chashan
    assert confirmed_amount(grant=grant, month=month(2024, 6)) == Decimal("1600.00")

    schedules.schedule_confirm(entry=entry, actor=supervisor_chashan)

    entry.refresh_from_db()
    assert (entry.state, entry.confirmed_by) == (State.CONFIRMED, supervisor_chashan)
    assert confirmed_amount(grant=grant, month=month(2024, 5)) == Decimal("1600.00")
    assert confirmed_amount(grant=grant, month=month(2024, 6)) == Decimal("1200.00")
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.APPROVE, object_id=str(entry.pk), actor=supervisor_chashan
    ).exists()
    assert Notification.objects.filter(
        user=worker_chashan, key=f"schedule:entry:{entry.pk}"
    ).exists()


def test_proposal_equal_to_the_amount_in_force_is_not_recorded(grant, worker_chashan):
    assert propose(grant, worker_chashan) is None
    assert grant.schedule.count() == 1


def test_proposer_cannot_confirm_or_reject_their_own_proposal(
    grant, supervisor_chashan, city_supervisor
):
    raise_income(grant)
    entry = propose(grant, supervisor_chashan)

    with pytest.raises(PermissionDenied):
        schedules.schedule_confirm(entry=entry, actor=supervisor_chashan)
    with pytest.raises(PermissionDenied):
        schedules.schedule_reject(entry=entry, actor=supervisor_chashan, reason="Mine.")
    schedules.schedule_confirm(entry=entry, actor=city_supervisor)

    entry.refresh_from_db()
    assert entry.confirmed_by == city_supervisor


@pytest.mark.parametrize("persona", ["worker_chashan", "finance", "auditor"])
def test_only_supervisors_confirm(grant, persona, request, city_supervisor):
    raise_income(grant)
    entry = propose(grant, city_supervisor)

    with pytest.raises(PermissionDenied):
        schedules.schedule_confirm(entry=entry, actor=request.getfixturevalue(persona))
    entry.refresh_from_db()
    assert entry.state == State.PROPOSED


@pytest.mark.parametrize("persona", ["finance", "auditor"])
def test_roles_that_do_not_prepare_cannot_propose(grant, persona, request):
    raise_income(grant)
    with pytest.raises(PermissionDenied):
        propose(grant, request.getfixturevalue(persona))


def test_another_towns_staff_cannot_see_the_grant_or_its_proposals(
    grant, worker_chashan, worker_dalang, supervisor_dalang
):
    raise_income(grant)
    with pytest.raises(Http404):
        propose(grant, worker_dalang)
    entry = propose(grant, worker_chashan)
    with pytest.raises(Http404):
        schedules.schedule_confirm(entry=entry, actor=supervisor_dalang)


def test_confirming_twice_changes_nothing(grant, worker_chashan, supervisor_chashan):
    raise_income(grant)
    entry = propose(grant, worker_chashan)
    schedules.schedule_confirm(entry=entry, actor=supervisor_chashan)
    history = entry.history.count()

    again = schedules.schedule_confirm(entry=entry, actor=supervisor_chashan)

    assert again.state == State.CONFIRMED
    assert entry.history.count() == history
    assert AuditEvent.objects.filter(object_id=str(entry.pk)).count() == 1


def test_rejected_proposal_never_pays_and_cannot_be_confirmed(
    grant, worker_chashan, supervisor_chashan
):
    raise_income(grant)
    entry = propose(grant, worker_chashan)

    schedules.schedule_reject(entry=entry, actor=supervisor_chashan, reason="Temporary job.")

    entry.refresh_from_db()
    assert (entry.state, entry.rejected_by, entry.rejection_reason) == (
        State.REJECTED,
        supervisor_chashan,
        "Temporary job.",
    )
    assert "state" in errors_of(
        lambda: schedules.schedule_confirm(entry=entry, actor=supervisor_chashan)
    )
    assert confirmed_amount(grant=grant, month=month(2024, 6)) == Decimal("1600.00")


def test_rejection_needs_reasons(grant, worker_chashan, supervisor_chashan):
    raise_income(grant)
    entry = propose(grant, worker_chashan)

    assert "reason" in errors_of(
        lambda: schedules.schedule_reject(entry=entry, actor=supervisor_chashan, reason=" ")
    )


def test_proposal_needs_a_reason(grant, worker_chashan):
    raise_income(grant)
    assert "reason" in errors_of(lambda: propose(grant, worker_chashan, reason=""))


def test_one_waiting_proposal_per_grant_and_month(grant, worker_chashan):
    raise_income(grant)
    first = propose(grant, worker_chashan)

    errors = errors_of(lambda: propose(grant, worker_chashan))

    assert f"#{first.pk}" in errors["from_month"][0]


@pytest.mark.parametrize(
    "from_month", [M(2024, 6, 15), month(2024, 2)], ids=["not-a-first-day", "before-the-grant"]
)
def test_from_month_is_a_first_day_within_the_grant(grant, worker_chashan, from_month):
    assert "from_month" in errors_of(lambda: propose(grant, worker_chashan, from_month=from_month))


def test_confirming_an_entry_from_the_same_month_supersedes_the_old_one(
    grant, worker_chashan, supervisor_chashan
):
    raise_income(grant, valid_from=M(2024, 1, 1))
    entry = propose(grant, worker_chashan, from_month=month(2024, 3))

    schedules.schedule_confirm(entry=entry, actor=supervisor_chashan)

    states = dict(grant.schedule.values_list("pk", "state"))
    assert sorted(states.values()) == [State.CONFIRMED, State.SUPERSEDED]
    assert confirmed_amount(grant=grant, month=month(2024, 3)) == Decimal("1200.00")


def test_an_entry_rules_its_months_until_the_next_confirmed_entry(
    grant, worker_chashan, supervisor_chashan
):
    raise_income(grant, valid_from=M(2024, 9, 1))
    later = propose(grant, worker_chashan, from_month=month(2024, 9))
    schedules.schedule_confirm(entry=later, actor=supervisor_chashan)
    raise_income(grant, amount=Decimal("200.00"), valid_from=M(2024, 5, 1))
    earlier = propose(grant, worker_chashan, from_month=month(2024, 5))
    schedules.schedule_confirm(entry=earlier, actor=supervisor_chashan)

    assert [confirmed_amount(grant=grant, month=month(2024, n)) for n in (4, 5, 8, 9)] == [
        Decimal("1600.00"),
        Decimal("1400.00"),
        Decimal("1400.00"),
        Decimal("1200.00"),
    ]


def test_temporary_assistance_has_no_schedule_recomputation(worker_chashan):
    grant = approved_grant(scheme_code="temp_expenditure", amount=Decimal("3000.00"))

    assert "grant" in errors_of(lambda: propose(grant, worker_chashan))


def test_terminated_grant_takes_no_proposal(grant, worker_chashan, supervisor_chashan):
    schedules.grant_terminate(
        grant=grant, actor=supervisor_chashan, reason="Moved away.", ends_month=month(2024, 8)
    )
    raise_income(grant)

    assert "state" in errors_of(lambda: propose(grant, worker_chashan))


# Standard changes


def chashan_standard(amount="1400.00", from_day=datetime.date(2024, 7, 1)) -> Standard:
    """茶山's own standard from July 2024 (it overrides the city-wide 1,300.00)."""
    return Standard.objects.create(
        scheme=scheme("dibao"),
        town=town("chashan"),
        monthly_amount=Decimal(amount),
        effective_from=from_day,
        is_demo=True,
    )


def change_standard(actor, **kwargs):
    return schedules.standard_change_propose(
        scheme=scheme("dibao"), from_month=month(2024, 7), actor=actor, today=TODAY, **kwargs
    )


def test_new_standard_pays_nothing_new_until_its_proposals_are_confirmed(
    city_supervisor, second_city_supervisor
):
    chashan = [approved_grant(), approved_grant()]
    dalang = approved_grant(town_slug="dalang")
    chashan_standard()

    assert confirmed_amount(grant=chashan[0], month=month(2024, 7)) == Decimal("1600.00")
    confirmation = change_standard(city_supervisor)

    assert (
        confirmation.state,
        confirmation.grants_considered,
        confirmation.proposed_count,
        confirmation.unchanged_count,
        confirmation.skipped_count,
    ) == (ScheduleConfirmation.State.PROPOSED, 3, 2, 1, 0)
    entries = list(confirmation.entries.all())
    assert {e.grant_id for e in entries} == {g.pk for g in chashan}
    assert {(e.amount, e.kind, e.state) for e in entries} == {
        (Decimal("1800.00"), ScheduleEntry.Kind.STANDARD_CHANGE, State.PROPOSED)
    }
    assert entries[0].calculation["standard"] == "1400.00"
    for grant in chashan:
        assert confirmed_amount(grant=grant, month=month(2024, 7)) == Decimal("1600.00")

    schedules.schedule_confirmation_confirm(confirmation=confirmation, actor=second_city_supervisor)

    for grant in chashan:
        assert confirmed_amount(grant=grant, month=month(2024, 6)) == Decimal("1600.00")
        assert confirmed_amount(grant=grant, month=month(2024, 7)) == Decimal("1800.00")
    assert confirmed_amount(grant=dalang, month=month(2024, 7)) == Decimal("1600.00")
    confirmation.refresh_from_db()
    assert confirmation.confirmed_by == second_city_supervisor


def test_one_confirmation_covers_many_grants_with_history_for_each(
    city_supervisor, second_city_supervisor
):
    grants = [approved_grant() for _ in range(6)]
    chashan_standard()
    confirmation = change_standard(city_supervisor)

    schedules.schedule_confirmation_confirm(confirmation=confirmation, actor=second_city_supervisor)

    confirmed = ScheduleEntry.objects.filter(confirmation=confirmation, state=State.CONFIRMED)
    assert confirmed.count() == 6
    for entry in confirmed:
        assert entry.confirmed_by == second_city_supervisor
        assert entry.history.latest().history_user == second_city_supervisor
    assert {confirmed_amount(grant=g, month=month(2024, 8)) for g in grants} == {Decimal("1800.00")}
    assert AuditEvent.objects.filter(
        object_id=str(confirmation.pk), data__what="standard_change", data__entries=6
    ).exists()


def test_standard_change_proposer_cannot_confirm_or_reject_it(city_supervisor):
    approved_grant()
    chashan_standard()
    confirmation = change_standard(city_supervisor)

    with pytest.raises(PermissionDenied):
        schedules.schedule_confirmation_confirm(confirmation=confirmation, actor=city_supervisor)
    with pytest.raises(PermissionDenied):
        schedules.schedule_confirmation_reject(
            confirmation=confirmation, actor=city_supervisor, reason="Oops."
        )


def test_only_city_supervisors_propose_or_confirm_a_standard_change(
    supervisor_chashan, city_supervisor
):
    approved_grant()
    chashan_standard()
    with pytest.raises(PermissionDenied):
        change_standard(supervisor_chashan)
    confirmation = change_standard(city_supervisor)
    with pytest.raises(PermissionDenied):
        schedules.schedule_confirmation_confirm(confirmation=confirmation, actor=supervisor_chashan)


def test_entries_of_a_standard_change_are_confirmed_only_as_a_whole(
    city_supervisor, supervisor_chashan
):
    approved_grant()
    chashan_standard()
    entry = change_standard(city_supervisor).entries.get()

    assert "confirmation" in errors_of(
        lambda: schedules.schedule_confirm(entry=entry, actor=supervisor_chashan)
    )


def test_proposing_the_same_standard_change_again_adds_nothing(city_supervisor):
    approved_grant()
    chashan_standard()
    first = change_standard(city_supervisor)

    again = change_standard(city_supervisor)

    assert again.pk == first.pk
    assert ScheduleEntry.objects.filter(state=State.PROPOSED).count() == 1


def test_standard_change_skips_grants_in_exit_or_with_a_waiting_proposal(
    city_supervisor, worker_chashan, supervisor_chashan
):
    exiting, waiting, plain = approved_grant(), approved_grant(), approved_grant()
    schedules.grant_gradual_exit(
        grant=exiting,
        from_month=month(2024, 6),
        months=3,
        actor=supervisor_chashan,
        reason="Found work.",
    )
    raise_income(waiting, valid_from=M(2024, 7, 1))
    pending = propose(waiting, worker_chashan, from_month=month(2024, 7))
    chashan_standard()

    confirmation = change_standard(city_supervisor)

    assert confirmation.entries.get().grant == plain
    assert confirmation.skipped_count == 2
    assert {row["grant"] for row in confirmation.skipped} == {exiting.pk, waiting.pk}
    assert any(f"#{pending.pk}" in row["reason"] for row in confirmation.skipped)


def test_rejected_standard_change_never_pays(city_supervisor, second_city_supervisor):
    grant = approved_grant()
    chashan_standard()
    confirmation = change_standard(city_supervisor)

    schedules.schedule_confirmation_reject(
        confirmation=confirmation, actor=second_city_supervisor, reason="Wrong row."
    )

    assert confirmation.entries.get().state == State.REJECTED
    assert confirmed_amount(grant=grant, month=month(2024, 7)) == Decimal("1600.00")
    assert "state" in errors_of(
        lambda: schedules.schedule_confirmation_confirm(
            confirmation=confirmation, actor=second_city_supervisor
        )
    )


def test_a_standard_change_of_temporary_assistance_is_refused(city_supervisor):
    assert "scheme" in errors_of(
        lambda: schedules.standard_change_propose(
            scheme=scheme("temp_emergency"), from_month=month(2024, 7), actor=city_supervisor
        )
    )


def test_standard_change_limited_to_one_town(city_supervisor):
    chashan = approved_grant()
    approved_grant(town_slug="dalang")
    chashan_standard()

    confirmation = change_standard(city_supervisor, town=town("chashan"))

    assert confirmation.grants_considered == 1
    assert confirmation.entries.get().grant == chashan


# Suspension and termination


def test_suspended_months_pay_nothing_until_resumed(grant, supervisor_chashan):
    schedules.grant_suspend(
        grant=grant, actor=supervisor_chashan, reason="Investigating a deposit.", today=TODAY
    )
    grant.refresh_from_db()
    assert grant.state == Grant.State.SUSPENDED
    suspension = grant.suspensions.get()
    assert suspension.history.get().history_user == supervisor_chashan
    assert confirmed_amount(grant=grant, month=month(2024, 6)) == Decimal("1600.00")
    assert confirmed_amount(grant=grant, month=month(2024, 7)) == Decimal("0.00")

    schedules.grant_resume(
        grant=grant,
        actor=supervisor_chashan,
        reason="Deposit explained.",
        from_month=month(2024, 9),
        today=M(2024, 8, 20),
    )

    grant.refresh_from_db()
    assert grant.state == Grant.State.ACTIVE
    assert [confirmed_amount(grant=grant, month=month(2024, n)) for n in (7, 8, 9)] == [
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("1600.00"),
    ]


def test_resume_cannot_start_before_the_suspension(grant, supervisor_chashan):
    schedules.grant_suspend(
        grant=grant,
        actor=supervisor_chashan,
        reason="Check.",
        from_month=month(2024, 7),
        today=TODAY,
    )

    assert "from_month" in errors_of(
        lambda: schedules.grant_resume(
            grant=grant, actor=supervisor_chashan, reason="Ok.", from_month=month(2024, 6)
        )
    )


def test_suspend_needs_a_supervisor_an_active_grant_and_a_reason(
    grant, worker_chashan, supervisor_chashan
):
    with pytest.raises(PermissionDenied):
        schedules.grant_suspend(grant=grant, actor=worker_chashan, reason="Check.")
    assert "reason" in errors_of(
        lambda: schedules.grant_suspend(grant=grant, actor=supervisor_chashan, reason="")
    )
    assert "state" in errors_of(
        lambda: schedules.grant_resume(grant=grant, actor=supervisor_chashan, reason="Ok.")
    )


def test_termination_sets_the_last_month_and_rejects_later_proposals(
    grant, worker_chashan, supervisor_chashan
):
    raise_income(grant, valid_from=M(2024, 9, 1))
    later = propose(grant, worker_chashan, from_month=month(2024, 9))

    schedules.grant_terminate(
        grant=grant, actor=supervisor_chashan, reason="Moved away.", ends_month=month(2024, 8)
    )

    grant.refresh_from_db()
    later.refresh_from_db()
    assert (grant.state, grant.ends_month, grant.end_reason) == (
        Grant.State.TERMINATED,
        month(2024, 8),
        "Moved away.",
    )
    assert later.state == State.REJECTED
    assert confirmed_amount(grant=grant, month=month(2024, 8)) == Decimal("1600.00")
    assert confirmed_amount(grant=grant, month=month(2024, 9)) == Decimal("0.00")
    assert "state" in errors_of(
        lambda: schedules.grant_terminate(
            grant=grant, actor=supervisor_chashan, reason="Again.", ends_month=month(2024, 8)
        )
    )


def test_termination_cannot_reach_past_a_temporary_grants_last_instalment(supervisor_chashan):
    grant = approved_grant(scheme_code="temp_expenditure", amount=Decimal("500.00"))
    grant.ends_month = month(2024, 5)
    grant.save()

    assert "ends_month" in errors_of(
        lambda: schedules.grant_terminate(
            grant=grant, actor=supervisor_chashan, reason="Died.", ends_month=month(2024, 6)
        )
    )


# Gradual exit


def test_gradual_exit_pays_the_amount_in_force_then_ends(grant, supervisor_chashan):
    schedules.grant_gradual_exit(
        grant=grant,
        from_month=month(2024, 7),
        months=3,
        actor=supervisor_chashan,
        reason="Found work; income above the standard.",
    )

    grant.refresh_from_db()
    assert (grant.exit_from_month, grant.ends_month, grant.state) == (
        month(2024, 7),
        month(2024, 9),
        Grant.State.ACTIVE,
    )
    assert [confirmed_amount(grant=grant, month=month(2024, n)) for n in (9, 10)] == [
        Decimal("1600.00"),
        Decimal("0.00"),
    ]
    assert schedules.gradual_exits_close(today=M(2024, 9, 30)) == 0
    assert schedules.gradual_exits_close(today=M(2024, 10, 1)) == 1
    assert schedules.gradual_exits_close(today=M(2024, 10, 2)) == 0
    grant.refresh_from_db()
    assert grant.state == Grant.State.TERMINATED


def test_stepped_gradual_exit_is_proposed_for_a_second_person(
    grant, supervisor_chashan, city_supervisor
):
    schedules.grant_gradual_exit(
        grant=grant,
        from_month=month(2024, 7),
        months=4,
        actor=supervisor_chashan,
        reason="Found work.",
        stepped=True,
    )

    proposals = list(grant.schedule.filter(state=State.PROPOSED).order_by("from_month"))
    assert [(e.from_month.month, e.amount, e.kind) for e in proposals] == [
        (8, Decimal("1200.00"), ScheduleEntry.Kind.GRADUAL_EXIT),
        (9, Decimal("800.00"), ScheduleEntry.Kind.GRADUAL_EXIT),
        (10, Decimal("400.00"), ScheduleEntry.Kind.GRADUAL_EXIT),
    ]
    assert confirmed_amount(grant=grant, month=month(2024, 9)) == Decimal("1600.00")
    with pytest.raises(PermissionDenied):
        schedules.schedule_confirm(entry=proposals[0], actor=supervisor_chashan)
    for entry in proposals:
        schedules.schedule_confirm(entry=entry, actor=city_supervisor)

    assert [confirmed_amount(grant=grant, month=month(2024, n)) for n in range(7, 12)] == [
        Decimal("1600.00"),
        Decimal("1200.00"),
        Decimal("800.00"),
        Decimal("400.00"),
        Decimal("0.00"),
    ]


def test_stepped_amounts_are_equal_steps_to_the_fen():
    assert schedules.stepped_amounts(Decimal("600.00"), 6) == [
        Decimal(n) for n in ("600.00", "500.00", "400.00", "300.00", "200.00", "100.00")
    ]
    assert schedules.stepped_amounts(Decimal("1000.00"), 3) == [
        Decimal("1000.00"),
        Decimal("666.67"),
        Decimal("333.33"),
    ]


@pytest.mark.parametrize("months", [0, 7])
def test_gradual_exit_lasts_at_most_the_rules_months(grant, supervisor_chashan, months):
    assert "months" in errors_of(
        lambda: schedules.grant_gradual_exit(
            grant=grant,
            from_month=month(2024, 7),
            months=months,
            actor=supervisor_chashan,
            reason="Found work.",
        )
    )


def test_no_recalculation_and_no_second_exit_during_a_gradual_exit(
    grant, worker_chashan, supervisor_chashan
):
    schedules.grant_gradual_exit(
        grant=grant, from_month=month(2024, 7), months=2, actor=supervisor_chashan, reason="Work."
    )
    raise_income(grant)

    assert "from_month" in errors_of(lambda: propose(grant, worker_chashan, month(2024, 8)))
    assert "from_month" in errors_of(
        lambda: schedules.grant_gradual_exit(
            grant=grant, from_month=month(2024, 7), months=2, actor=supervisor_chashan, reason="x"
        )
    )


def test_gradual_exit_needs_a_supervisor(grant, worker_chashan):
    with pytest.raises(PermissionDenied):
        schedules.grant_gradual_exit(
            grant=grant, from_month=month(2024, 7), months=2, actor=worker_chashan, reason="Work."
        )


# Re-checks


def household_with(*employment: tuple[datetime.date, str]):
    """A complete household whose members have these birth dates and employment statuses."""
    household = complete_household(size=1)
    Person.objects.filter(memberships__household=household).update(
        employment_status=Person.Employment.UNABLE
    )
    for birth, status in employment:
        person = person_born(birth, employment_status=status)
        household.memberships.create(person=person, relation="child", joined_on=M(2020, 1, 1))
    return household


def test_stable_household_is_rechecked_yearly(worker_chashan):
    grant = approved_grant(household=household_with((M(1990, 5, 1), Person.Employment.EMPLOYED)))

    schedules.grant_recheck_record(grant=grant, actor=worker_chashan, on=TODAY, today=TODAY)

    grant.refresh_from_db()
    assert (grant.last_rechecked_on, grant.recheck_due_on) == (TODAY, M(2025, 6, 12))


@pytest.mark.parametrize(
    "status", [Person.Employment.FLEXIBLE, Person.Employment.SELF_EMPLOYED, "unemployed"]
)
def test_irregular_income_of_a_working_age_member_means_six_monthly(worker_chashan, status):
    grant = approved_grant(household=household_with((M(1990, 5, 1), status)))

    schedules.grant_recheck_record(grant=grant, actor=worker_chashan, on=TODAY, today=TODAY)

    grant.refresh_from_db()
    assert grant.recheck_due_on == M(2024, 12, 12)


@pytest.mark.parametrize("birth", [M(1960, 1, 1), M(2008, 1, 1)], ids=["past-working-age", "minor"])
def test_irregular_work_outside_working_age_stays_yearly(worker_chashan, birth):
    grant = approved_grant(household=household_with((birth, Person.Employment.FLEXIBLE)))

    schedules.grant_recheck_record(grant=grant, actor=worker_chashan, on=TODAY, today=TODAY)

    grant.refresh_from_db()
    assert grant.recheck_due_on == M(2025, 6, 12)


def test_recheck_at_the_end_of_a_month_falls_due_at_the_end_of_the_month(worker_chashan):
    grant = approved_grant(household=household_with((M(1990, 5, 1), Person.Employment.FLEXIBLE)))

    schedules.grant_recheck_record(
        grant=grant, actor=worker_chashan, on=M(2024, 8, 31), today=M(2024, 9, 2)
    )

    grant.refresh_from_db()
    assert grant.recheck_due_on == M(2025, 2, 28)


def test_recheck_date_cannot_be_in_the_future_or_before_the_last(grant, worker_chashan):
    assert "on" in errors_of(
        lambda: schedules.grant_recheck_record(
            grant=grant, actor=worker_chashan, on=M(2024, 6, 13), today=TODAY
        )
    )
    schedules.grant_recheck_record(grant=grant, actor=worker_chashan, on=TODAY, today=TODAY)
    assert "on" in errors_of(
        lambda: schedules.grant_recheck_record(
            grant=grant, actor=worker_chashan, on=M(2024, 6, 1), today=TODAY
        )
    )


def test_recheck_is_recorded_only_by_the_towns_staff(grant, worker_dalang, finance):
    with pytest.raises(Http404):
        schedules.grant_recheck_record(grant=grant, actor=worker_dalang, on=TODAY, today=TODAY)
    with pytest.raises(PermissionDenied):
        schedules.grant_recheck_record(grant=grant, actor=finance, on=TODAY, today=TODAY)


def notifications() -> set[tuple[str, str, str]]:
    return set(Notification.objects.values_list("user__username", "kind", "key"))


def test_reminders_before_and_after_a_recheck_falls_due_run_twice_write_once(
    worker_chashan, supervisor_chashan
):
    soon, overdue, later = approved_grant(), approved_grant(), approved_grant()
    Grant.objects.filter(pk=soon.pk).update(recheck_due_on=M(2024, 7, 1))
    Grant.objects.filter(pk=overdue.pk).update(recheck_due_on=M(2024, 6, 1))
    Grant.objects.filter(pk=later.pk).update(recheck_due_on=M(2024, 9, 1))

    first = schedules.recheck_reminders(today=TODAY)
    second = schedules.recheck_reminders(today=TODAY)

    assert notifications() == {
        ("worker-chashan", "due_soon", f"recheck:grant:{soon.pk}:2024-07-01"),
        ("worker-chashan", "overdue", f"recheck_overdue:grant:{overdue.pk}:2024-06-01"),
        ("supervisor-chashan", "overdue", f"recheck_overdue:grant:{overdue.pk}:2024-06-01"),
    }
    assert (first["notifications_created"], second["notifications_created"]) == (3, 0)


def test_reminders_give_a_newly_approved_grant_its_first_recheck_date(worker_chashan):
    grant = approved_grant()  # approved on 2024-02-20; members unemployed, able to work
    assert grant.recheck_due_on is None

    result = schedules.recheck_reminders(today=TODAY)

    grant.refresh_from_db()
    assert grant.recheck_due_on == M(2024, 8, 20)
    assert result["rechecks_scheduled"] == 1
    assert schedules.recheck_reminders(today=TODAY)["rechecks_scheduled"] == 0


def test_no_recheck_for_temporary_or_ended_grants(worker_chashan, supervisor_chashan):
    temporary = approved_grant(scheme_code="temp_expenditure", amount=Decimal("500.00"))
    ended = approved_grant()
    schedules.grant_terminate(
        grant=ended, actor=supervisor_chashan, reason="Moved.", ends_month=month(2024, 5)
    )
    Grant.objects.filter(pk__in=[temporary.pk, ended.pk]).update(recheck_due_on=M(2024, 6, 1))

    schedules.recheck_reminders(today=TODAY)

    assert not Notification.objects.exists()
    with pytest.raises(ValidationError):
        schedules.grant_recheck_record(grant=temporary, actor=worker_chashan, on=TODAY, today=TODAY)


def test_daily_job_runs_reminders_and_closes_finished_exits(grant, supervisor_chashan):
    schedules.grant_gradual_exit(
        grant=grant, from_month=month(2024, 4), months=2, actor=supervisor_chashan, reason="Work."
    )

    result = schedules.schedules_daily(today=TODAY)

    assert result["gradual_exits_closed"] == 1
    assert schedules.schedules_daily(today=TODAY)["gradual_exits_closed"] == 0


def test_approval_sets_the_first_re_check_a_year_after_the_decision(
    worker_chashan, supervisor_chashan
):
    household = complete_household()
    Person.objects.filter(memberships__household=household).update(employment_status="employed")
    application = dibao_application(
        worker=worker_chashan, supervisor=supervisor_chashan, until="approved", household=household
    )
    assert application.grant.recheck_due_on == M(2025, 2, 20)  # approved 2024-02-20


def test_approval_sets_a_six_monthly_re_check_for_irregular_income(
    worker_chashan, supervisor_chashan
):
    household = complete_household()
    Person.objects.filter(memberships__household=household).update(employment_status="flexible")
    application = dibao_application(
        worker=worker_chashan, supervisor=supervisor_chashan, until="approved", household=household
    )
    assert application.grant.recheck_due_on == M(2024, 8, 20)


def test_the_grants_daily_task_reminds_of_re_checks_once(worker_chashan):
    from cases.models import Notification
    from cases.tasks import grants_daily

    grant = approved_grant()
    Grant.objects.filter(pk=grant.pk).update(recheck_due_on=M(2024, 6, 20))
    first = grants_daily.delay(today="2024-06-12").get()
    reminders = Notification.objects.filter(user=worker_chashan).count()
    assert reminders >= 1
    grants_daily.delay(today="2024-06-12").get()
    assert Notification.objects.filter(user=worker_chashan).count() == reminders
    assert "gradual_exits_closed" in first


def test_the_grants_daily_task_is_in_the_beat_schedule(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["cases-grants-daily"]
    assert entry["task"] == "cases.grants_daily"
    assert entry["schedule"].hour == {6}


def test_a_town_role_sees_only_its_own_towns_skipped_grants(
    client, city_supervisor, worker_chashan, worker_dalang
):
    from rest_framework.test import APIClient

    chashan, dalang = approved_grant(), approved_grant(town_slug="dalang")
    confirmation = change_standard(city_supervisor)
    skipped = [{"grant": chashan.pk, "reason": "a"}, {"grant": dalang.pk, "reason": "b"}]
    ScheduleConfirmation.objects.filter(pk=confirmation.pk).update(skipped=skipped, skipped_count=2)
    confirmation.refresh_from_db()

    assert schedules.skipped_in_scope(user=city_supervisor, confirmation=confirmation) == skipped
    assert schedules.skipped_in_scope(user=worker_dalang, confirmation=confirmation) == [skipped[1]]
    api = APIClient()
    api.force_authenticate(worker_chashan)
    body = api.get(f"/api/v1/schedule-confirmations/{confirmation.pk}/").json()
    assert body["skipped"] == [skipped[0]]
    listed = api.get("/api/v1/schedule-confirmations/").json()["results"]
    assert listed[0]["skipped"] == [skipped[0]]
    client.force_login(worker_chashan)
    page = client.get(f"/cases/grants/standard-changes/{confirmation.pk}/").content.decode()
    assert f"#{chashan.pk}<" in page and f"#{dalang.pk}<" not in page
