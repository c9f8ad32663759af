"""Corrections (payments.corrections): reassessments of paid months creating recoveries and
back-pay to the fen, the daily job finding schedule entries that reached back, confirmation by
a second person, deduction only where the payment rule allows it, refunds lowering the balance
and never below 0, fine decisions recorded only for fraud, manual orders."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404
from django.utils import timezone

from cases import grants as schedules
from cases.models import Role, ScheduleEntry
from payments import corrections, fines, ledger, tasks
from payments import selectors as payment_selectors
from payments.models import (
    BackPay,
    FineDecision,
    PaymentLine,
    PaymentRule,
    Reassessment,
    ReassessmentMonth,
    Recovery,
    RecoveryRepayment,
)
from relief.models import AuditEvent
from relief.money import ZERO
from tests.conftest import skip_or_fail
from tests.factories import approved_grant, staff_user
from tests.payments.test_ledger import APRIL, JUNE, MARCH, MAY, M, confirm_entry, paid_line

pytestmark = pytest.mark.django_db

TODAY = M(2024, 6, 20)


def errors_of(call) -> dict:
    with pytest.raises(ValidationError) as exc:
        call()
    return exc.value.message_dict


@pytest.fixture
def grant(db):
    """Dibao from March 2024 at 1,600.00, paid 1,600.00 for March, April and May."""
    grant = approved_grant(starts_month=MARCH)
    for month in (MARCH, APRIL, MAY):
        paid_line(grant, month)
    return grant


def months_of(reassessment):
    return [
        (row.month, row.due, row.paid, row.corrected, row.difference)
        for row in ReassessmentMonth.objects.filter(reassessment=reassessment)
    ]


def orders_of(grant):
    return list(Recovery.objects.filter(grant=grant)), list(BackPay.objects.filter(grant=grant))


# Reassessment


def test_lower_amount_from_three_paid_months_creates_a_recovery(grant):
    entry = confirm_entry(grant, MARCH, "1450.00")

    reassessment = corrections.reassess(grant=grant, from_month=MARCH, schedule_entry=entry)

    assert (reassessment.from_month, reassessment.to_month) == (MARCH, MAY)
    assert (reassessment.overpaid, reassessment.underpaid) == (Decimal("450.00"), Decimal("0.00"))
    assert months_of(reassessment) == [
        (month, Decimal("1450.00"), Decimal("1600.00"), Decimal("0.00"), Decimal("-150.00"))
        for month in (MARCH, APRIL, MAY)
    ]
    (recovery,), backpays = orders_of(grant)
    assert backpays == []
    assert (recovery.amount, recovery.balance, recovery.state) == (
        Decimal("450.00"),
        Decimal("450.00"),
        Recovery.State.PROPOSED,
    )
    assert recovery.months == {"2024-03": "150.00", "2024-04": "150.00", "2024-05": "150.00"}
    assert (recovery.reassessment, recovery.created_by, recovery.fraud) == (
        reassessment,
        None,
        False,
    )
    assert f"#{entry.pk}" in recovery.reason and "Income reported late." in recovery.reason
    assert recovery.history.get().history_change_reason == recovery.reason


def test_higher_amount_from_three_paid_months_creates_a_backpay(grant):
    entry = confirm_entry(grant, MARCH, "1700.00")

    reassessment = corrections.reassess(grant=grant, from_month=MARCH, schedule_entry=entry)

    recoveries, (backpay,) = orders_of(grant)
    assert recoveries == []
    assert (backpay.amount, backpay.state) == (Decimal("300.00"), BackPay.State.PROPOSED)
    assert backpay.months == {"2024-03": "100.00", "2024-04": "100.00", "2024-05": "100.00"}
    assert (reassessment.overpaid, reassessment.underpaid) == (Decimal("0.00"), Decimal("300.00"))


def test_a_failed_month_is_reissued_not_backpaid():
    """April's line failed: the next run reissues it at its own amount (1,600.00), so April is
    overpaid by the new rate like the other months, and nothing is back-paid twice."""
    grant = approved_grant(starts_month=MARCH)
    paid_line(grant, MARCH)
    paid_line(grant, APRIL, status=PaymentLine.Status.FAILED)
    paid_line(grant, MAY)
    entry = confirm_entry(grant, MARCH, "1450.33")

    reassessment = corrections.reassess(grant=grant, from_month=MARCH, schedule_entry=entry)

    ((recovery,), backpays) = orders_of(grant)
    assert backpays == []
    assert recovery.months == {"2024-03": "149.67", "2024-04": "149.67", "2024-05": "149.67"}
    assert recovery.amount == Decimal("449.01")
    assert (reassessment.overpaid, reassessment.underpaid) == (Decimal("449.01"), ZERO)


def test_a_change_from_a_later_month_reassesses_only_from_it(grant):
    entry = confirm_entry(grant, APRIL, "1450.00")

    reassessment = corrections.reassess(grant=grant, from_month=APRIL, schedule_entry=entry)

    assert [row[0] for row in months_of(reassessment)] == [APRIL, MAY]
    assert orders_of(grant)[0][0].amount == Decimal("300.00")


def test_months_not_yet_paid_need_no_correction(grant):
    paid_line(grant, JUNE, status=PaymentLine.Status.PENDING)
    entry = confirm_entry(grant, MARCH, "1450.00")

    reassessment = corrections.reassess(grant=grant, from_month=MARCH, schedule_entry=entry)

    assert reassessment.to_month == MAY
    assert orders_of(grant)[1] == []  # June is not back-paid: its line is on its way


def test_a_month_still_at_the_bank_is_not_reassessed(worker_chashan):
    grant = approved_grant(starts_month=MARCH)
    paid_line(grant, MARCH, status=PaymentLine.Status.PENDING)
    paid_line(grant, APRIL)
    confirm_entry(grant, MARCH, "1450.00")

    errors = errors_of(
        lambda: corrections.reassess(grant=grant, from_month=MARCH, actor=worker_chashan)
    )

    assert "2024-03" in errors["from_month"][0]
    assert corrections.reassess(grant=grant, from_month=APRIL, actor=worker_chashan)


def test_reassessing_the_same_entry_twice_changes_nothing(grant):
    entry = confirm_entry(grant, MARCH, "1450.00")
    first = corrections.reassess(grant=grant, from_month=MARCH, schedule_entry=entry)

    again = corrections.reassess(grant=grant, from_month=MARCH, schedule_entry=entry)

    assert again == first
    assert Reassessment.objects.count() == 1
    assert Recovery.objects.count() == 1


def test_a_second_reassessment_does_not_claim_the_same_difference_again(grant, worker_chashan):
    entry = confirm_entry(grant, MARCH, "1450.00")
    corrections.reassess(grant=grant, from_month=MARCH, schedule_entry=entry)

    # By hand, while the first recovery still waits for confirmation: nothing left to correct.
    assert corrections.reassess(grant=grant, from_month=MARCH, actor=worker_chashan) is None
    # A later entry (April on at 1,400.00): only the further 50.00 a month.
    later = confirm_entry(grant, APRIL, "1400.00")
    corrections.reassess(grant=grant, from_month=APRIL, schedule_entry=later)

    assert sorted(r.amount for r in Recovery.objects.filter(grant=grant)) == [
        Decimal("100.00"),
        Decimal("450.00"),
    ]


def test_a_rejected_order_leaves_its_months_to_the_next_reassessment(
    grant, worker_chashan, supervisor_chashan
):
    entry = confirm_entry(grant, MARCH, "1450.00")
    corrections.reassess(grant=grant, from_month=MARCH, schedule_entry=entry)
    first = Recovery.objects.get()
    corrections.recovery_reject(actor=supervisor_chashan, recovery=first, reason="Wrong months.")

    again = corrections.reassess(grant=grant, from_month=MARCH, actor=worker_chashan)

    second = Recovery.objects.exclude(pk=first.pk).get()
    assert (second.amount, second.reassessment, second.created_by) == (
        Decimal("450.00"),
        again,
        worker_chashan,
    )


def test_nothing_is_recorded_when_no_month_from_then_was_paid(grant, worker_chashan):
    assert corrections.reassess(grant=grant, from_month=JUNE, actor=worker_chashan) is None
    fresh = approved_grant(starts_month=MARCH)
    assert corrections.reassess(grant=fresh, from_month=MARCH) is None
    assert not Reassessment.objects.exists()


def test_nothing_to_correct_by_hand_records_nothing_but_an_entry_is_marked_done(grant):
    assert corrections.reassess(grant=grant, from_month=MARCH) is None

    entry = confirm_entry(grant, APRIL, "1600.00")
    done = corrections.reassess(grant=grant, from_month=APRIL, schedule_entry=entry)

    assert (done.overpaid, done.underpaid, done.schedule_entry) == (
        Decimal("0.00"),
        Decimal("0.00"),
        entry,
    )
    assert orders_of(grant) == ([], [])


def test_only_a_confirmed_entry_of_the_grant_is_reassessed(grant):
    other = approved_grant(starts_month=MARCH).schedule.get()
    proposed = confirm_entry(grant, APRIL, "1450.00")
    proposed.state = ScheduleEntry.State.PROPOSED
    proposed.save()

    assert "schedule_entry" in errors_of(
        lambda: corrections.reassess(grant=grant, from_month=MARCH, schedule_entry=other)
    )
    assert "schedule_entry" in errors_of(
        lambda: corrections.reassess(grant=grant, from_month=APRIL, schedule_entry=proposed)
    )


def test_a_month_is_its_first_day(grant, worker_chashan):
    errors = errors_of(
        lambda: corrections.reassess(grant=grant, from_month=M(2024, 3, 5), actor=worker_chashan)
    )
    assert "from_month" in errors


def test_who_may_reassess_by_hand(grant, finance, worker_dalang, supervisor_chashan):
    confirm_entry(grant, MARCH, "1450.00")

    with pytest.raises(PermissionDenied):
        corrections.reassess(grant=grant, from_month=MARCH, actor=finance)
    with pytest.raises(Http404):
        corrections.reassess(grant=grant, from_month=MARCH, actor=worker_dalang)
    reassessment = corrections.reassess(grant=grant, from_month=MARCH, actor=supervisor_chashan)
    assert reassessment.created_by == supervisor_chashan


# The daily job


def test_the_daily_job_reassesses_entries_that_reached_back_once(grant):
    entry = confirm_entry(grant, APRIL, "1450.00")

    assert corrections.reassessments_pending(today=TODAY) == 1
    assert corrections.reassessments_pending(today=TODAY) == 0

    reassessment = Reassessment.objects.get()
    assert (reassessment.schedule_entry, reassessment.from_month) == (entry, APRIL)
    assert Recovery.objects.get().amount == Decimal("300.00")


def test_the_daily_task_is_safe_to_run_twice(grant):
    confirm_entry(grant, MARCH, "1450.00")

    assert tasks.reassess_pending.delay(today="2024-06-20").get() == 1
    assert tasks.reassess_pending.delay().get() == 0
    assert Recovery.objects.get().amount == Decimal("450.00")


@pytest.mark.django_db(transaction=True)
def test_two_daily_jobs_at_once_reassess_an_entry_once():
    if connection.vendor != "postgresql":
        skip_or_fail("two jobs at once need PostgreSQL's row locks (SQLite has one writer)")
    grant = approved_grant(starts_month=MARCH)
    for month in (MARCH, APRIL, MAY):
        paid_line(grant, month)
    confirm_entry(grant, MARCH, "1450.00")
    barrier = threading.Barrier(2)
    results, errors = [], []

    def job():
        try:
            barrier.wait()
            results.append(corrections.reassessments_pending(today=TODAY))
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=job) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert Reassessment.objects.count() == 1
    assert list(Recovery.objects.values_list("amount", flat=True)) == [Decimal("450.00")]


def test_the_daily_job_leaves_entries_confirmed_before_the_months_were_paid(grant):
    # The approval entry (March on) was confirmed before any line was written: the lines paid it.
    later = approved_grant(starts_month=MARCH)
    entry = confirm_entry(later, JUNE, "1450.00")
    entry.confirmed_at = timezone.now() - datetime.timedelta(minutes=1)
    entry.save()
    paid_line(later, JUNE, "1450.00")  # written after the confirmation, at the new amount

    assert corrections.reassessments_pending(today=TODAY) == 0
    assert not Reassessment.objects.filter(schedule_entry=entry).exists()


def test_the_daily_job_waits_while_a_line_of_those_months_is_at_the_bank():
    grant = approved_grant(starts_month=MARCH)
    paid_line(grant, MARCH)
    pending = paid_line(grant, APRIL, status=PaymentLine.Status.PENDING)
    confirm_entry(grant, MARCH, "1450.00")

    assert corrections.reassessments_pending(today=TODAY) == 0

    pending.status = PaymentLine.Status.PAID
    pending.save()
    assert corrections.reassessments_pending(today=TODAY) == 1
    assert Recovery.objects.get().months == {"2024-03": "150.00", "2024-04": "150.00"}


def test_the_daily_job_goes_on_past_an_entry_refused_for_now(grant, monkeypatch):
    refused = confirm_entry(grant, MARCH, "1450.00")
    other = approved_grant(starts_month=MARCH)
    paid_line(other, MARCH)
    confirm_entry(other, MARCH, "1700.00")
    reassess = corrections.reassess

    def refusing(**kwargs):
        if kwargs["schedule_entry"] == refused:
            raise ValidationError({"schedule_entry": "Changed meanwhile."})
        return reassess(**kwargs)

    monkeypatch.setattr(corrections, "reassess", refusing)
    assert corrections.reassessments_pending(today=TODAY) == 1
    assert BackPay.objects.get().grant == other

    monkeypatch.setattr(corrections, "reassess", reassess)
    assert corrections.reassessments_pending(today=TODAY) == 1  # the next run does it
    assert Recovery.objects.get().grant == grant


def test_the_daily_job_reassesses_a_confirmed_schedule_proposal(
    grant, worker_chashan, supervisor_chashan
):
    # Through the schedule services: a proposal from April reached back into paid months.
    entry = ScheduleEntry.objects.create(
        grant=grant,
        from_month=APRIL,
        amount=Decimal("1200.00"),
        kind=ScheduleEntry.Kind.RECALCULATION,
        reason="Wage rose.",
        proposed_by=worker_chashan,
        proposed_at=timezone.now(),
    )
    schedules.schedule_confirm(entry=entry, actor=supervisor_chashan)

    corrections.reassessments_pending()

    assert Recovery.objects.get().months == {"2024-04": "400.00", "2024-05": "400.00"}


# Confirmation by a second person


@pytest.fixture
def recovery(grant):
    corrections.reassess(
        grant=grant, from_month=MARCH, schedule_entry=confirm_entry(grant, MARCH, "1450.00")
    )
    return Recovery.objects.get()


@pytest.fixture
def backpay(grant):
    corrections.reassess(
        grant=grant, from_month=MARCH, schedule_entry=confirm_entry(grant, MARCH, "1700.00")
    )
    return BackPay.objects.get()


def allow_deductions(cap="30.00"):
    PaymentRule.objects.create(
        effective_from=M(2024, 1, 1), deductions_allowed=True, deduction_cap_percent=Decimal(cap)
    )


def test_a_supervisor_confirms_a_system_recovery_with_an_audit_event(recovery, supervisor_chashan):
    corrections.recovery_confirm(
        actor=supervisor_chashan, recovery=recovery, fraud=True, note="Checked.", today=TODAY
    )

    recovery.refresh_from_db()
    assert (recovery.state, recovery.method, recovery.fraud) == ("confirmed", "refund", True)
    assert (recovery.confirmed_by, recovery.decision_note) == (supervisor_chashan, "Checked.")
    event = AuditEvent.objects.get(object_type="payments.recovery")
    assert (event.action, event.actor, event.object_id) == (
        "approve",
        supervisor_chashan,
        str(recovery.pk),
    )
    assert event.data["amount"] == "450.00"
    history = recovery.history.first()
    assert (history.history_user, history.history_change_reason) == (supervisor_chashan, "Checked.")


def test_nobody_confirms_or_rejects_the_order_they_created(grant, supervisor_chashan):
    confirm_entry(grant, MARCH, "1450.00")
    corrections.reassess(grant=grant, from_month=MARCH, actor=supervisor_chashan)
    recovery = Recovery.objects.get()

    with pytest.raises(PermissionDenied):
        corrections.recovery_confirm(actor=supervisor_chashan, recovery=recovery, today=TODAY)
    with pytest.raises(PermissionDenied):
        corrections.recovery_reject(actor=supervisor_chashan, recovery=recovery, reason="No.")
    recovery.refresh_from_db()
    assert recovery.state == Recovery.State.PROPOSED


def test_the_city_supervisor_confirms_an_order_a_town_supervisor_created(
    grant, supervisor_chashan, city_supervisor
):
    backpay = corrections.backpay_create(
        actor=supervisor_chashan,
        grant=grant,
        months={"2024-04": "12.50"},
        reason="Audit finding.",
        today=TODAY,
    )

    corrections.backpay_confirm(actor=city_supervisor, backpay=backpay)

    backpay.refresh_from_db()
    assert (backpay.state, backpay.confirmed_by) == ("confirmed", city_supervisor)


@pytest.mark.parametrize("persona", ["worker_chashan", "finance", "auditor"])
def test_only_supervisors_confirm(request, recovery, backpay, persona):
    user = request.getfixturevalue(persona)

    with pytest.raises(PermissionDenied):
        corrections.recovery_confirm(actor=user, recovery=recovery, today=TODAY)
    with pytest.raises(PermissionDenied):
        corrections.backpay_confirm(actor=user, backpay=backpay)


def test_another_towns_supervisor_does_not_find_the_order(recovery, backpay):
    dalang = staff_user("supervisor-dalang", Role.TOWN_SUPERVISOR, "dalang")

    with pytest.raises(Http404):
        corrections.recovery_confirm(actor=dalang, recovery=recovery, today=TODAY)
    with pytest.raises(Http404):
        corrections.backpay_reject(actor=dalang, backpay=backpay, reason="No.")


def test_deduction_is_refused_where_the_payment_rule_forbids_it(recovery, supervisor_chashan):
    errors = errors_of(
        lambda: corrections.recovery_confirm(
            actor=supervisor_chashan, recovery=recovery, method="deduction", today=TODAY
        )
    )

    assert "method" in errors and "deduction" in errors["method"][0]
    recovery.refresh_from_db()
    assert recovery.state == Recovery.State.PROPOSED


def test_deduction_is_allowed_where_the_rule_in_force_allows_it(recovery, supervisor_chashan):
    allow_deductions()
    PaymentRule.objects.create(effective_from=M(2025, 1, 1), deductions_allowed=False)

    corrections.recovery_confirm(
        actor=supervisor_chashan, recovery=recovery, method="deduction", today=TODAY
    )

    recovery.refresh_from_db()
    assert (recovery.state, recovery.method) == ("confirmed", "deduction")
    # From 2025 the rule forbids it again: a recovery confirmed then could not choose it.
    assert payment_selectors.payment_rule_in_force(M(2025, 2, 1)).deductions_allowed is False


def test_an_unknown_method_is_refused(recovery, supervisor_chashan):
    errors = errors_of(
        lambda: corrections.recovery_confirm(
            actor=supervisor_chashan, recovery=recovery, method="cash", today=TODAY
        )
    )
    assert "method" in errors


def test_confirming_twice_changes_nothing(recovery, backpay, supervisor_chashan, city_supervisor):
    corrections.recovery_confirm(actor=supervisor_chashan, recovery=recovery, today=TODAY)
    corrections.backpay_confirm(actor=supervisor_chashan, backpay=backpay)

    corrections.recovery_confirm(
        actor=city_supervisor, recovery=recovery, method="deduction", today=TODAY
    )
    corrections.backpay_confirm(actor=city_supervisor, backpay=backpay)

    recovery.refresh_from_db()
    backpay.refresh_from_db()
    assert (recovery.confirmed_by, recovery.method) == (supervisor_chashan, "refund")
    assert backpay.confirmed_by == supervisor_chashan
    assert AuditEvent.objects.filter(action="approve").count() == 2


def test_rejecting_needs_reasons_and_a_proposed_order(recovery, backpay, supervisor_chashan):
    assert "reason" in errors_of(
        lambda: corrections.backpay_reject(actor=supervisor_chashan, backpay=backpay, reason=" ")
    )
    corrections.backpay_reject(actor=supervisor_chashan, backpay=backpay, reason="Duplicate.")
    corrections.backpay_reject(actor=supervisor_chashan, backpay=backpay, reason="Again.")
    corrections.recovery_confirm(actor=supervisor_chashan, recovery=recovery, today=TODAY)

    backpay.refresh_from_db()
    assert (backpay.state, backpay.decision_note) == ("rejected", "Duplicate.")
    assert backpay.history.first().history_user == supervisor_chashan
    assert "state" in errors_of(
        lambda: corrections.recovery_reject(
            actor=supervisor_chashan, recovery=recovery, reason="Too late."
        )
    )
    assert "state" in errors_of(
        lambda: corrections.backpay_confirm(actor=supervisor_chashan, backpay=backpay)
    )


# Refunds


@pytest.fixture
def confirmed(recovery, supervisor_chashan):
    return corrections.recovery_confirm(actor=supervisor_chashan, recovery=recovery, today=TODAY)


def refund(finance, recovery, amount, **kwargs):
    kwargs.setdefault("received_on", M(2024, 6, 18))
    kwargs.setdefault("note", "Bank transfer.")
    return corrections.recovery_refund_record(
        actor=finance, recovery=recovery, amount=amount, today=TODAY, **kwargs
    )


def test_a_refund_lowers_the_balance_and_settles_it_at_zero(confirmed, finance):
    repayment = refund(finance, confirmed, Decimal("200.00"))
    confirmed.refresh_from_db()
    assert (confirmed.balance, confirmed.state) == (Decimal("250.00"), "confirmed")
    assert (repayment.amount, repayment.recorded_by, repayment.line) == (
        Decimal("200.00"),
        finance,
        None,
    )

    refund(finance, confirmed, "250.00")

    confirmed.refresh_from_db()
    assert (confirmed.balance, confirmed.state) == (Decimal("0.00"), "settled")
    assert confirmed.history.first().history_user == finance
    assert RecoveryRepayment.objects.filter(recovery=confirmed).count() == 2
    events = AuditEvent.objects.filter(action="refund", object_id=str(confirmed.pk))
    assert [(e.actor, e.data["amount"]) for e in events.order_by("id")] == [
        (finance, "200.00"),
        (finance, "250.00"),
    ]


def test_a_refund_never_takes_the_balance_below_zero(confirmed, finance):
    errors = errors_of(lambda: refund(finance, confirmed, "450.01"))

    assert "amount" in errors
    confirmed.refresh_from_db()
    assert confirmed.balance == Decimal("450.00")
    assert not RecoveryRepayment.objects.exists()


def test_deductions_at_the_bank_count_against_a_refund(
    grant, recovery, supervisor_chashan, finance
):
    allow_deductions()
    corrections.recovery_confirm(
        actor=supervisor_chashan, recovery=recovery, method="deduction", today=TODAY
    )
    paid_line(grant, JUNE, "-100.00", kind=PaymentLine.Kind.DEDUCTION, status="pending")

    assert "amount" in errors_of(lambda: refund(finance, recovery, "350.01"))
    refund(finance, recovery, "350.00")

    recovery.refresh_from_db()
    assert recovery.balance == Decimal("100.00")


@pytest.mark.parametrize(
    ("amount", "field", "kwargs"),
    [
        ("0", "amount", {}),
        ("-5.00", "amount", {}),
        ("1.005", "amount", {}),
        ("lots", "amount", {}),
        ("10.00", "received_on", {"received_on": M(2024, 6, 21)}),
    ],
)
def test_a_bad_refund_is_refused_naming_the_field(confirmed, finance, amount, field, kwargs):
    assert field in errors_of(lambda: refund(finance, confirmed, amount, **kwargs))


def test_only_finance_records_a_refund_of_a_confirmed_recovery(
    recovery, finance, supervisor_chashan
):
    assert "state" in errors_of(lambda: refund(finance, recovery, "10.00"))
    corrections.recovery_confirm(actor=supervisor_chashan, recovery=recovery, today=TODAY)

    with pytest.raises(PermissionDenied):
        refund(supervisor_chashan, recovery, "10.00")


# Fine decisions


def test_a_fine_is_recorded_for_fraud_and_never_changes_the_balance(
    recovery, supervisor_chashan, city_supervisor
):
    corrections.recovery_confirm(
        actor=supervisor_chashan, recovery=recovery, fraud=True, today=TODAY
    )

    fine = fines.fine_decision_record(
        actor=city_supervisor,
        recovery=recovery,
        amount="900.00",
        decided_on=M(2024, 6, 19),
        reference="东民罚〔2024〕12号",
        note="Twice the amount.",
        today=TODAY,
    )

    recovery.refresh_from_db()
    assert recovery.balance == Decimal("450.00")
    assert (fine.amount, fine.reference, fine.recorded_by) == (
        Decimal("900.00"),
        "东民罚〔2024〕12号",
        city_supervisor,
    )
    assert fine.history.get().history_user == city_supervisor
    assert not RecoveryRepayment.objects.exists()
    event = AuditEvent.objects.get(action="fine")
    assert (event.actor, event.data["amount"], event.object_id) == (
        city_supervisor,
        "900.00",
        str(recovery.pk),
    )


def fine(actor, recovery, **kwargs):
    values = {
        "amount": "900.00",
        "decided_on": M(2024, 6, 19),
        "reference": "东民罚〔2024〕12号",
        "today": TODAY,
    }
    values.update(kwargs)
    return fines.fine_decision_record(actor=actor, recovery=recovery, **values)


def test_a_fine_is_refused_without_fraud(confirmed, city_supervisor):
    assert "recovery" in errors_of(lambda: fine(city_supervisor, confirmed))
    assert not FineDecision.objects.exists()


def test_a_fine_needs_a_confirmed_fraud_recovery_a_reference_and_a_supervisor(
    grant, recovery, supervisor_chashan, worker_chashan
):
    recovery.fraud = True
    recovery.save()
    assert "state" in errors_of(lambda: fine(supervisor_chashan, recovery))
    corrections.recovery_confirm(actor=supervisor_chashan, recovery=recovery, today=TODAY)
    recovery.refresh_from_db()
    assert recovery.fraud is True  # the proposal's flag is kept when the confirmer says nothing

    assert "reference" in errors_of(lambda: fine(supervisor_chashan, recovery, reference=""))
    assert "amount" in errors_of(lambda: fine(supervisor_chashan, recovery, amount="0.00"))
    assert "decided_on" in errors_of(
        lambda: fine(supervisor_chashan, recovery, decided_on=M(2024, 7, 1))
    )
    with pytest.raises(PermissionDenied):
        fine(worker_chashan, recovery)


# Manual orders


def test_a_case_worker_proposes_a_manual_recovery(grant, worker_chashan):
    recovery = corrections.recovery_create(
        actor=worker_chashan,
        grant=grant,
        months={"2024-04": "100", "2024-03": Decimal("50.50")},
        reason="Audit finding: a pension not declared.",
        fraud=True,
        today=TODAY,
    )

    assert recovery.months == {"2024-03": "50.50", "2024-04": "100.00"}
    assert (recovery.amount, recovery.balance, recovery.state, recovery.fraud) == (
        Decimal("150.50"),
        Decimal("150.50"),
        "proposed",
        True,
    )
    assert (recovery.created_by, recovery.reassessment) == (worker_chashan, None)
    assert recovery.history.get().history_user == worker_chashan
    rows = ledger.grant_ledger(grant=grant, from_month=MARCH, to_month=APRIL)
    assert [row.corrected for row in rows] == [Decimal("-50.50"), Decimal("-100.00")]


@pytest.mark.parametrize(
    ("months", "reason", "field"),
    [
        ({}, "Why.", "months"),
        ({"2024-02": "10.00"}, "Why.", "months"),  # before the grant's first month
        ({"2024-07": "10.00"}, "Why.", "months"),  # still to come
        ({"2024-13": "10.00"}, "Why.", "months"),
        ({"2024-04": "10.001"}, "Why.", "months"),
        ({"2024-04": "-1"}, "Why.", "months"),
        ({"2024-04": "10.00"}, " ", "reason"),
    ],
)
def test_a_bad_manual_order_is_refused_naming_the_field(
    grant, worker_chashan, months, reason, field
):
    errors = errors_of(
        lambda: corrections.backpay_create(
            actor=worker_chashan, grant=grant, months=months, reason=reason, today=TODAY
        )
    )
    assert field in errors
    assert not BackPay.objects.exists()


def test_finance_and_other_towns_do_not_propose_orders(grant, finance, worker_dalang):
    with pytest.raises(PermissionDenied):
        corrections.recovery_create(
            actor=finance, grant=grant, months={"2024-04": "1.00"}, reason="Why.", today=TODAY
        )
    with pytest.raises(Http404):
        corrections.backpay_create(
            actor=worker_dalang, grant=grant, months={"2024-04": "1.00"}, reason="Why.", today=TODAY
        )
