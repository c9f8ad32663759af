"""Findings worked by people (audit/findings.py): reassignment, the proposal, the second person's
decision, and, end to end on the database, what a confirmed finding leads to through cases' and
payments' services: dated registry evidence, a schedule change or an exit, and the
reassessment's recovery or back-pay. A dismissal changes no money."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from audit import findings as services
from audit.models import Finding, MatchingRule
from cases.models import Asset, Grant, IncomeLine, IncomeType, Membership, Role, ScheduleEntry
from cases.models.evidence import Source as EvidenceSource
from payments.models import BackPay, Reassessment, Recovery
from tests.audit.findings_factories import finding, month_rows, registry_record
from tests.factories import IncomeLineFactory, PersonFactory, approved_grant, staff_user
from tests.payments.test_ledger import APRIL, MARCH, MAY, M, paid_line

pytestmark = pytest.mark.django_db

TODAY = M(2024, 6, 20)


@pytest.fixture
def supervisor_dalang(db):
    return staff_user("supervisor-dalang", Role.TOWN_SUPERVISOR, "dalang")


@pytest.fixture
def supervisor_chashan_2(db):
    return staff_user("supervisor-chashan-2", Role.TOWN_SUPERVISOR, "chashan")


@pytest.fixture
def grant(db):
    """Dibao in 茶山 from March 2024 at 1,600.00 (two members, 1,000.00 wage, standard
    1,300.00), paid for March, April and May."""
    grant = approved_grant(starts_month=MARCH)
    for month in (MARCH, APRIL, MAY):
        paid_line(grant, month)
    return grant


def members(grant) -> list:
    return [m.person for m in grant.household.memberships.order_by("id")]


@pytest.fixture
def deposits_finding(grant, worker_chashan):
    """The head holds 100,000.00 in deposits from 2024-03-10: over 24 × 1,300 × 2 = 62,400."""
    head = members(grant)[0]
    record = registry_record(
        head,
        "deposits",
        MAY,
        institution="东莞银行",
        amount=Decimal("100000.00"),
        on_date=M(2024, 3, 10),
    )
    return finding(
        kind=Finding.Kind.ASSETS_OVER_LIMIT,
        grant=grant,
        person=head,
        record=record,
        effective_month=MARCH,
        months=month_rows(("2024-04", "0.00", "1600.00"), ("2024-05", "0.00", "1600.00")),
        assignee=worker_chashan,
    )


def errors_of(call) -> dict:
    with pytest.raises(ValidationError) as exc:
        call()
    return exc.value.message_dict


def propose_and_approve(item, proposer, decider, proposal="confirm", reason=""):
    services.finding_propose(actor=proposer, finding=item, proposal=proposal, reason=reason)
    return services.finding_approve(actor=decider, finding=item, today=TODAY)


# Transitions and refusals


def test_the_case_worker_proposes_and_a_supervisor_confirms(
    deposits_finding, worker_chashan, supervisor_chashan
):
    item = services.finding_propose(
        actor=worker_chashan, finding=deposits_finding, proposal="confirm"
    )
    assert (item.state, item.proposal, item.proposed_by) == ("proposed", "confirm", worker_chashan)

    item = services.finding_approve(actor=supervisor_chashan, finding=item, today=TODAY)

    assert (item.state, item.decided_by) == (Finding.State.CONFIRMED, supervisor_chashan)
    history = list(item.history.order_by("history_id"))
    assert [h.history_user for h in history[1:]] == [worker_chashan, supervisor_chashan]
    assert history[-1].history_change_reason == "Finding confirmed"


def test_dismissal_needs_a_reason(deposits_finding, worker_chashan):
    assert "reason" in errors_of(
        lambda: services.finding_propose(
            actor=worker_chashan, finding=deposits_finding, proposal="dismiss", reason="  "
        )
    )
    deposits_finding.refresh_from_db()
    assert deposits_finding.state == Finding.State.OPEN


def test_an_unknown_proposal_is_refused(deposits_finding, worker_chashan):
    assert "proposal" in errors_of(
        lambda: services.finding_propose(
            actor=worker_chashan, finding=deposits_finding, proposal="maybe"
        )
    )


def test_the_proposer_may_not_decide(deposits_finding, supervisor_chashan):
    services.finding_propose(actor=supervisor_chashan, finding=deposits_finding, proposal="confirm")
    with pytest.raises(PermissionDenied):
        services.finding_approve(actor=supervisor_chashan, finding=deposits_finding, today=TODAY)
    with pytest.raises(PermissionDenied):
        services.finding_reject(actor=supervisor_chashan, finding=deposits_finding, reason="No")


def test_a_case_worker_may_not_decide(deposits_finding, worker_chashan, supervisor_chashan):
    services.finding_propose(actor=supervisor_chashan, finding=deposits_finding, proposal="confirm")
    with pytest.raises(PermissionDenied):
        services.finding_approve(actor=worker_chashan, finding=deposits_finding, today=TODAY)


def test_another_towns_staff_do_not_find_it(deposits_finding, worker_dalang, supervisor_dalang):
    with pytest.raises(Http404):
        services.finding_propose(actor=worker_dalang, finding=deposits_finding, proposal="confirm")
    with pytest.raises(Http404):
        services.finding_reassign(
            actor=supervisor_dalang, finding=deposits_finding, assignee=worker_dalang
        )


def test_a_case_worker_other_than_the_assignee_may_not_propose(deposits_finding):
    other = staff_user("worker-chashan-2", Role.CASE_WORKER, "chashan")
    with pytest.raises(PermissionDenied):
        services.finding_propose(actor=other, finding=deposits_finding, proposal="confirm")


def test_an_unassigned_finding_goes_to_the_case_worker_who_proposes(grant, worker_chashan):
    item = finding(kind=Finding.Kind.NOT_ENROLLED, grant=grant)
    item = services.finding_propose(actor=worker_chashan, finding=item, proposal="confirm")
    assert item.assignee == worker_chashan


def test_auditors_and_finance_may_not_propose(deposits_finding, auditor, finance):
    for user in (auditor, finance):
        with pytest.raises(PermissionDenied):
            services.finding_propose(actor=user, finding=deposits_finding, proposal="confirm")


def test_wrong_state_is_refused(deposits_finding, worker_chashan, supervisor_chashan):
    assert "state" in errors_of(
        lambda: services.finding_approve(
            actor=supervisor_chashan, finding=deposits_finding, today=TODAY
        )
    )
    services.finding_propose(actor=worker_chashan, finding=deposits_finding, proposal="confirm")
    assert "state" in errors_of(
        lambda: services.finding_propose(
            actor=worker_chashan, finding=deposits_finding, proposal="confirm"
        )
    )


def test_rejection_sends_it_back_open_with_the_reasons(
    deposits_finding, worker_chashan, supervisor_chashan
):
    services.finding_propose(actor=worker_chashan, finding=deposits_finding, proposal="confirm")
    assert "reason" in errors_of(
        lambda: services.finding_reject(
            actor=supervisor_chashan, finding=deposits_finding, reason=""
        )
    )
    item = services.finding_reject(
        actor=supervisor_chashan, finding=deposits_finding, reason="Check the bank statement."
    )
    assert (item.state, item.proposal, item.rejection_reason) == (
        Finding.State.OPEN,
        "",
        "Check the bank statement.",
    )
    assert not Asset.objects.filter(source=EvidenceSource.REGISTRY).exists()
    # The case worker may propose again.
    services.finding_propose(
        actor=worker_chashan, finding=item, proposal="dismiss", reason="Cleared"
    )


def test_reassign_to_a_case_worker_of_the_town(
    deposits_finding, supervisor_chashan, worker_chashan, worker_dalang
):
    other = staff_user("worker-chashan-2", Role.CASE_WORKER, "chashan")
    item = services.finding_reassign(
        actor=supervisor_chashan, finding=deposits_finding, assignee=other
    )
    assert item.assignee == other
    assert "assignee" in errors_of(
        lambda: services.finding_reassign(
            actor=supervisor_chashan, finding=deposits_finding, assignee=worker_dalang
        )
    )
    with pytest.raises(PermissionDenied):
        services.finding_reassign(actor=worker_chashan, finding=deposits_finding, assignee=other)


# End to end: what a confirmed finding leads to


def test_deposits_over_the_limit_end_the_grant_and_recover_the_months_paid(
    deposits_finding, worker_chashan, supervisor_chashan, grant
):
    item = propose_and_approve(deposits_finding, worker_chashan, supervisor_chashan)

    # The registry's deposits are dated evidence with source registry.
    (asset,) = Asset.objects.filter(household=grant.household, source=EvidenceSource.REGISTRY)
    assert (asset.kind, asset.value, asset.valid_from, asset.person) == (
        Asset.Kind.DEPOSIT,
        Decimal("100000.00"),
        M(2024, 3, 10),
        members(grant)[0],
    )
    assert asset.history.get().history_user == supervisor_chashan
    # Ineligible from April (the calculation's first day): the grant ends with March.
    grant.refresh_from_db()
    assert (grant.state, grant.ends_month) == (Grant.State.TERMINATED, MARCH)
    # April and May were paid: a recovery proposed in the case worker's name.
    recovery = Recovery.objects.get(grant=grant)
    assert recovery.state == Recovery.State.PROPOSED
    assert recovery.months == {"2024-04": "1600.00", "2024-05": "1600.00"}
    assert recovery.created_by == worker_chashan
    assert item.outcome == {
        "assets": [asset.pk],
        "terminated_after": "2024-03",
        "reassessment": recovery.reassessment_id,
        "recovery": recovery.pk,
    }


def test_with_no_matching_rule_recorded_the_confirmation_exempts_what_the_check_exempts(
    grant, worker_chashan, supervisor_chashan
):
    # The check then reads the rule's defaults (motorcycles exempt); so must the confirmation,
    # or the motorcycle beside the car becomes a counted vehicle in the evidence.
    MatchingRule.objects.all().delete()
    head = members(grant)[0]
    car = registry_record(
        head, "vehicles", MAY, category="汽车", reference="粤S1", on_date=M(2024, 3, 10)
    )
    registry_record(
        head, "vehicles", MAY, category="摩托车", reference="粤S2", on_date=M(2024, 3, 10)
    )
    item = finding(
        kind=Finding.Kind.VEHICLE,
        grant=grant,
        person=head,
        record=car,
        effective_month=APRIL,
        assignee=worker_chashan,
    )

    propose_and_approve(item, worker_chashan, supervisor_chashan)

    vehicles = Asset.objects.filter(
        household=grant.household, source=EvidenceSource.REGISTRY, kind=Asset.Kind.VEHICLE
    )
    assert sorted((a.units, a.exempt) for a in vehicles) == [(1, False), (1, True)]


def test_a_higher_pension_lowers_the_amount_and_recovers_the_difference(
    grant, worker_chashan, supervisor_chashan
):
    head = members(grant)[0]
    record = registry_record(
        head,
        "social_insurance",
        MAY,
        category="城乡居民养老保险",
        amount=Decimal("300.00"),
        from_month=APRIL,
    )
    item = finding(
        kind=Finding.Kind.INCOME_CHANGED,
        grant=grant,
        person=head,
        record=record,
        effective_month=APRIL,
        assignee=worker_chashan,
    )

    item = propose_and_approve(item, worker_chashan, supervisor_chashan)

    (line,) = IncomeLine.objects.filter(household=grant.household, source=EvidenceSource.REGISTRY)
    assert (line.income_type.code, line.monthly_amount, line.valid_from) == (
        "pension",
        Decimal("300.00"),
        APRIL,
    )
    entry = ScheduleEntry.objects.get(pk=item.outcome["schedule_entry"])
    assert (entry.from_month, entry.amount, entry.state) == (
        APRIL,
        Decimal("1300.00"),
        ScheduleEntry.State.CONFIRMED,
    )
    assert (entry.proposed_by, entry.confirmed_by) == (worker_chashan, supervisor_chashan)
    reassessment = Reassessment.objects.get(schedule_entry=entry)
    assert reassessment.overpaid == Decimal("600.00")
    recovery = Recovery.objects.get(reassessment=reassessment)
    assert recovery.months == {"2024-04": "300.00", "2024-05": "300.00"}
    assert not BackPay.objects.filter(grant=grant).exists()


def death_finding(grant, child, assignee, effective_month=MARCH):
    """A death finding for the child, who died on 15 March 2024 (the May deaths extract)."""
    record = registry_record(child, "deaths", MAY, on_date=M(2024, 3, 15))
    return finding(
        kind=Finding.Kind.DEATH,
        grant=grant,
        person=child,
        record=record,
        effective_month=effective_month,
        assignee=assignee,
    )


def test_a_death_ends_the_membership_and_recovers_the_months_paid_after_it(
    grant, worker_chashan, supervisor_chashan
):
    child = members(grant)[1]
    item = death_finding(grant, child, worker_chashan, effective_month=MARCH)

    item = propose_and_approve(item, worker_chashan, supervisor_chashan)

    membership = Membership.objects.get(household=grant.household, person=child)
    assert (membership.left_on, membership.leave_reason) == (
        M(2024, 3, 15),
        Membership.LeaveReason.DEATH,
    )
    assert item.outcome["memberships"] == [membership.pk]
    # March was due in full (the calculation reads its first day); from April one member.
    entry = ScheduleEntry.objects.get(pk=item.outcome["schedule_entry"])
    assert entry.from_month == APRIL
    assert entry.amount < Decimal("1600.00")
    difference = Decimal("1600.00") - entry.amount
    recovery = Recovery.objects.get(pk=item.outcome["recovery"])
    assert recovery.months == {"2024-04": f"{difference:.2f}", "2024-05": f"{difference:.2f}"}


def test_a_covered_members_death_leaves_the_others_covered_at_a_smaller_amount(
    grant, worker_chashan, supervisor_chashan
):
    head, child = members(grant)
    grant.application.covered_members.set([head, child])
    item = death_finding(grant, child, worker_chashan, effective_month=MARCH)

    item = propose_and_approve(item, worker_chashan, supervisor_chashan)

    # The application still names the child; from April only the head is covered:
    # (1,300 − 1,000) × 1 = 300.00, and the months paid at 1,600.00 are recovered.
    entry = ScheduleEntry.objects.get(pk=item.outcome["schedule_entry"])
    assert (entry.from_month, entry.amount) == (APRIL, Decimal("300.00"))
    recovery = Recovery.objects.get(pk=item.outcome["recovery"])
    assert recovery.months == {"2024-04": "1300.00", "2024-05": "1300.00"}
    grant.refresh_from_db()
    assert grant.state == Grant.State.ACTIVE


def test_the_death_of_the_only_covered_member_ends_the_grant(worker_chashan, supervisor_chashan):
    # Only the child is covered: (1,300 × 2 − 1,000) × 1 / 2 = 800.00 a month.
    grant = approved_grant(starts_month=MARCH, amount=Decimal("800.00"))
    _head, child = members(grant)
    grant.application.covered_members.set([child])
    for month in (MARCH, APRIL, MAY):
        paid_line(grant, month, "800.00")
    item = death_finding(grant, child, worker_chashan, effective_month=MARCH)

    item = propose_and_approve(item, worker_chashan, supervisor_chashan)

    assert item.outcome["terminated_after"] == "2024-03"
    grant.refresh_from_db()
    assert grant.ends_month == MARCH
    recovery = Recovery.objects.get(pk=item.outcome["recovery"])
    assert recovery.months == {"2024-04": "800.00", "2024-05": "800.00"}


def test_a_named_covered_person_who_never_was_a_member_refuses_the_confirmation(
    grant, worker_chashan, supervisor_chashan
):
    # The grant names the child and someone who never was a member of the household (bad
    # data): the child's death does not leave "no one covered", and the calculation's refusal
    # stands instead of ending the grant.
    _head, child = members(grant)
    grant.application.covered_members.set([child, PersonFactory()])
    item = death_finding(grant, child, worker_chashan, effective_month=APRIL)
    services.finding_propose(actor=worker_chashan, finding=item, proposal="confirm")
    errors = errors_of(
        lambda: services.finding_approve(actor=supervisor_chashan, finding=item, today=TODAY)
    )
    assert "cannot be calculated" in errors["finding"][0]
    grant.refresh_from_db()
    assert (grant.state, grant.ends_month) == (Grant.State.ACTIVE, None)


def test_a_lower_pension_raises_the_amount_and_back_pays(worker_chashan, supervisor_chashan):
    grant = approved_grant(starts_month=MARCH, amount=Decimal("1100.00"))
    head = members(grant)[0]
    IncomeLineFactory(
        household=grant.household,
        person=head,
        income_type=IncomeType.objects.get(code="pension"),
        monthly_amount=Decimal("500.00"),
        valid_from=M(2023, 1, 1),
    )
    for month in (MARCH, APRIL, MAY):
        paid_line(grant, month, "1100.00")
    record = registry_record(
        head,
        "social_insurance",
        MAY,
        category="城乡居民养老保险",
        amount=Decimal("200.00"),
        from_month=APRIL,
    )
    item = finding(
        kind=Finding.Kind.INCOME_CHANGED,
        grant=grant,
        person=head,
        record=record,
        effective_month=APRIL,
        assignee=worker_chashan,
    )

    item = propose_and_approve(item, worker_chashan, supervisor_chashan)

    old = IncomeLine.objects.get(
        household=grant.household, source=EvidenceSource.DECLARED, income_type__code="pension"
    )
    assert old.valid_to == M(2024, 3, 31)
    entry = ScheduleEntry.objects.get(pk=item.outcome["schedule_entry"])
    assert (entry.from_month, entry.amount) == (APRIL, Decimal("1400.00"))
    back_pay = BackPay.objects.get(pk=item.outcome["back_pay"])
    assert back_pay.months == {"2024-04": "300.00", "2024-05": "300.00"}
    assert back_pay.state == BackPay.State.PROPOSED
    assert "recovery" not in item.outcome


def test_an_amount_paid_short_is_back_paid_without_a_schedule_change(
    worker_chashan, supervisor_chashan
):
    grant = approved_grant(starts_month=MARCH)
    for month in (MARCH, APRIL, MAY):
        paid_line(grant, month, "1500.00")
    item = finding(
        kind=Finding.Kind.AMOUNT_DIFFERS,
        grant=grant,
        effective_month=MARCH,
        assignee=worker_chashan,
    )

    item = propose_and_approve(item, worker_chashan, supervisor_chashan)

    assert "schedule_entry" not in item.outcome
    back_pay = BackPay.objects.get(pk=item.outcome["back_pay"])
    assert back_pay.amount == Decimal("300.00")


def test_a_dismissal_changes_no_money(deposits_finding, worker_chashan, supervisor_chashan, grant):
    item = propose_and_approve(
        deposits_finding, worker_chashan, supervisor_chashan, "dismiss", "A cleared family shop."
    )

    assert (item.state, item.reason, item.outcome) == (
        Finding.State.DISMISSED,
        "A cleared family shop.",
        {},
    )
    assert not Asset.objects.filter(source=EvidenceSource.REGISTRY).exists()
    assert grant.schedule.count() == 1
    assert not Recovery.objects.exists() and not Reassessment.objects.exists()
    grant.refresh_from_db()
    assert grant.state == Grant.State.ACTIVE


@pytest.mark.parametrize("kind", [Finding.Kind.NOT_ENROLLED, Finding.Kind.NO_AUTHORISATION])
def test_outreach_and_authorisation_findings_are_noted_only(
    kind, grant, worker_chashan, supervisor_chashan
):
    item = finding(kind=kind, grant=grant, assignee=worker_chashan)
    item = propose_and_approve(item, worker_chashan, supervisor_chashan)
    assert (item.state, item.outcome) == (Finding.State.CONFIRMED, {"handled": True})
    assert grant.schedule.count() == 1
    assert not Reassessment.objects.exists()


def test_nothing_is_half_written_when_the_schedule_is_refused(
    deposits_finding, worker_chashan, supervisor_chashan, grant
):
    """A payment still at the bank is no reason to refuse; a pending proposal for the month
    is: the whole approval is refused and no evidence stays behind."""
    head = members(grant)[0]
    record = registry_record(
        head,
        "social_insurance",
        MAY,
        category="城乡居民养老保险",
        amount=Decimal("300.00"),
        from_month=APRIL,
    )
    item = finding(
        kind=Finding.Kind.INCOME_CHANGED,
        grant=grant,
        person=head,
        record=record,
        effective_month=APRIL,
        assignee=worker_chashan,
    )
    ScheduleEntry.objects.create(
        grant=grant,
        from_month=APRIL,
        amount=Decimal("1500.00"),
        state=ScheduleEntry.State.PROPOSED,
        proposed_by=worker_chashan,
        reason="Pending",
    )
    services.finding_propose(actor=worker_chashan, finding=item, proposal="confirm")
    errors_of(lambda: services.finding_approve(actor=supervisor_chashan, finding=item, today=TODAY))
    item.refresh_from_db()
    assert item.state == Finding.State.PROPOSED
    assert not IncomeLine.objects.filter(source=EvidenceSource.REGISTRY).exists()


def test_the_recovery_is_confirmed_by_someone_other_than_its_maker(
    deposits_finding, worker_chashan, supervisor_chashan, grant
):
    from payments import corrections

    item = propose_and_approve(deposits_finding, worker_chashan, supervisor_chashan)
    recovery = Recovery.objects.get(pk=item.outcome["recovery"])
    corrections.recovery_confirm(actor=supervisor_chashan, recovery=recovery)
    recovery.refresh_from_db()
    assert recovery.state == Recovery.State.CONFIRMED


# Review fixes: enrolled twice, refusals, an exit from the first month, a finding without grant


@pytest.fixture
def covered_twice(grant, worker_dalang):
    """The head of the 茶山 grant is also named among the covered members of a later 大朗
    grant (a legacy record) that pays 2,400.00 a month for March to May; without them it gives
    1,600.00."""
    head = members(grant)[0]
    later = approved_grant(town_slug="dalang", starts_month=MARCH, amount=Decimal("2400.00"))
    later.application.covered_members.set([*members(later), head])
    for month in (MARCH, APRIL, MAY):
        paid_line(later, month, "2400.00")
    item = finding(
        kind=Finding.Kind.ENROLLED_TWICE,
        grant=later,
        person=head,
        effective_month=MARCH,
        assignee=worker_dalang,
        figures={"grants": [grant.pk, later.pk]},
    )
    return item, later, head


def test_enrolled_twice_ends_the_persons_cover_on_the_later_grant_only(
    covered_twice, worker_dalang, supervisor_dalang, grant
):
    item, later, head = covered_twice

    item = propose_and_approve(item, worker_dalang, supervisor_dalang)

    later.refresh_from_db()
    assert later.state == Grant.State.ACTIVE and later.ends_month is None
    assert head not in later.application.covered_members.all()
    assert later.application.covered_members.count() == 2
    entry = ScheduleEntry.objects.get(pk=item.outcome["schedule_entry"])
    assert (entry.from_month, entry.amount, entry.confirmed_by) == (
        MARCH,
        Decimal("1600.00"),
        supervisor_dalang,
    )
    recovery = Recovery.objects.get(pk=item.outcome["recovery"])
    assert recovery.months == {"2024-03": "800.00", "2024-04": "800.00", "2024-05": "800.00"}
    assert item.outcome["cover_ended"] == head.pk
    # The first grant is untouched.
    grant.refresh_from_db()
    assert grant.state == Grant.State.ACTIVE and grant.schedule.count() == 1


def test_enrolled_twice_as_a_member_of_the_household_is_refused(
    grant, worker_chashan, supervisor_chashan
):
    """The later grant covers every co-resident member: ending the cover means ending a
    membership, which the finding does not decide. Refused, nothing changed."""
    head = members(grant)[0]
    item = finding(
        kind=Finding.Kind.ENROLLED_TWICE,
        grant=grant,
        person=head,
        effective_month=MARCH,
        assignee=worker_chashan,
    )
    services.finding_propose(actor=worker_chashan, finding=item, proposal="confirm")
    errors = errors_of(
        lambda: services.finding_approve(actor=supervisor_chashan, finding=item, today=TODAY)
    )
    assert "membership" in errors["person"][0]
    item.refresh_from_db()
    grant.refresh_from_db()
    assert item.state == Finding.State.PROPOSED
    assert grant.state == Grant.State.ACTIVE and grant.schedule.count() == 1


def test_a_calculation_that_cannot_be_made_is_refused_not_a_termination(
    covered_twice, worker_dalang, supervisor_dalang
):
    """Only "not eligible" ends a grant: a covered person who is not a member makes the
    calculation impossible, which refuses the confirmation with the month and the problem."""
    _item, later, _head = covered_twice
    item = finding(
        kind=Finding.Kind.AMOUNT_DIFFERS,
        grant=later,
        effective_month=MARCH,
        assignee=worker_dalang,
    )
    services.finding_propose(actor=worker_dalang, finding=item, proposal="confirm")
    errors = errors_of(
        lambda: services.finding_approve(actor=supervisor_dalang, finding=item, today=TODAY)
    )
    assert "2024-03" in errors["finding"][0]
    assert "co-resident" in errors["finding"][0]
    later.refresh_from_db()
    assert later.state == Grant.State.ACTIVE and later.ends_month is None
    assert not Reassessment.objects.exists()


def test_ineligible_from_the_first_month_ends_the_whole_grant_and_recovers_every_month(
    grant, worker_chashan, supervisor_chashan
):
    head = members(grant)[0]
    record = registry_record(
        head,
        "deposits",
        MAY,
        institution="东莞银行",
        amount=Decimal("100000.00"),
        on_date=M(2024, 2, 10),
    )
    item = finding(
        kind=Finding.Kind.ASSETS_OVER_LIMIT,
        grant=grant,
        person=head,
        record=record,
        effective_month=MARCH,
        assignee=worker_chashan,
    )

    item = propose_and_approve(item, worker_chashan, supervisor_chashan)

    grant.refresh_from_db()
    assert (grant.state, grant.ends_month) == (Grant.State.TERMINATED, MARCH)
    entry = ScheduleEntry.objects.get(pk=item.outcome["schedule_entry"])
    assert (entry.from_month, entry.amount, entry.state) == (
        MARCH,
        Decimal("0.00"),
        ScheduleEntry.State.CONFIRMED,
    )
    recovery = Recovery.objects.get(pk=item.outcome["recovery"])
    assert recovery.months == {
        "2024-03": "1600.00",
        "2024-04": "1600.00",
        "2024-05": "1600.00",
    }
    assert item.outcome["terminated_after"] == "2024-03"


def test_a_finding_without_a_grant_acts_on_the_households_live_grant(
    grant, worker_chashan, supervisor_chashan
):
    head = members(grant)[0]
    record = registry_record(
        head,
        "deposits",
        MAY,
        institution="东莞银行",
        amount=Decimal("100000.00"),
        on_date=M(2024, 3, 10),
    )
    item = finding(
        kind=Finding.Kind.ASSETS_OVER_LIMIT,
        household=grant.household,
        person=head,
        record=record,
        effective_month=MARCH,
        assignee=worker_chashan,
    )

    item = propose_and_approve(item, worker_chashan, supervisor_chashan)

    grant.refresh_from_db()
    assert (grant.state, grant.ends_month) == (Grant.State.TERMINATED, MARCH)
    assert item.outcome["terminated_after"] == "2024-03"
