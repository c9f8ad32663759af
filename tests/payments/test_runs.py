"""The payment run (payments.runs): set-based, per town, only once."""

import datetime
import multiprocessing
import time
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404
from django.utils import timezone

from cases.models import Grant, GrantSuspension, ScheduleEntry
from payments import runs
from payments.models import (
    BackPay,
    Batch,
    PayeeAccount,
    PaymentLine,
    PaymentRule,
    PaymentRun,
    Recovery,
)
from tests.conftest import skip_or_fail
from tests.factories import (
    UserFactory,
    approved_grant,
    payee_account,
    paying_grant,
    paying_temporary_grant,
    town,
)

pytestmark = pytest.mark.django_db

JAN, FEB, MARCH, APRIL, MAY, JUNE, JULY, AUGUST = (
    datetime.date(2024, month, 1) for month in range(1, 9)
)


def line_of(grant, period=MARCH, kind="regular") -> PaymentLine:
    return PaymentLine.objects.get(grant=grant, period=period, kind=kind)


def confirm_entry(grant, from_month, amount, kind="standard_change") -> ScheduleEntry:
    return ScheduleEntry.objects.create(
        grant=grant,
        kind=kind,
        from_month=from_month,
        amount=Decimal(amount),
        state=ScheduleEntry.State.CONFIRMED,
        proposed_by=UserFactory(),
        confirmed_by=UserFactory(),
        confirmed_at=timezone.now(),
    )


def backpay(grant, amount, state="confirmed") -> BackPay:
    return BackPay.objects.create(
        grant=grant,
        months={"2024-01": str(amount)},
        amount=Decimal(amount),
        reason="Reassessment",
        state=state,
        created_at=timezone.now(),
    )


def recovery(grant, balance, method="deduction", state="confirmed") -> Recovery:
    return Recovery.objects.create(
        grant=grant,
        months={"2024-01": str(balance)},
        amount=Decimal(balance),
        balance=Decimal(balance),
        reason="Reassessment",
        state=state,
        method=method,
        created_at=timezone.now(),
    )


def allow_deductions(cap="30.00", from_month=datetime.date(2000, 1, 1)):
    PaymentRule.objects.all().delete()
    return PaymentRule.objects.create(
        effective_from=from_month, deductions_allowed=True, deduction_cap_percent=Decimal(cap)
    )


def new_account(grant) -> PayeeAccount:
    PayeeAccount.objects.filter(grant=grant, state="confirmed").update(state="superseded")
    return payee_account(grant, bank_name="中国农业银行东莞分行")


def fail(line: PaymentLine, reason="户名与账号不符") -> PaymentLine:
    line.status, line.failure_reason = "failed", reason
    line.save()
    return line


# Amounts


def test_amounts_to_the_fen_for_grants_starting_and_ending_mid_year_and_across_a_change():
    from_march = paying_grant(starts_month=MARCH)
    from_july = paying_grant(starts_month=JULY, amount=Decimal("1234.56"))
    until_may = paying_grant(starts_month=JAN, amount=Decimal("987.65"))
    Grant.objects.filter(pk=until_may.pk).update(ends_month=MAY, state="terminated")
    changed = paying_grant(starts_month=MARCH)
    confirm_entry(changed, JUNE, "1723.45")
    # A proposal pays nothing until it is confirmed.
    ScheduleEntry.objects.create(
        grant=changed,
        from_month=MAY,
        amount=Decimal("9999.99"),
        state=ScheduleEntry.State.PROPOSED,
        proposed_by=UserFactory(),
    )

    for month in (MARCH, APRIL, MAY, JUNE, JULY, AUGUST):
        runs.payment_run(period=month)

    paid = {
        (line.grant_id, line.period): line.amount
        for line in PaymentLine.objects.filter(kind="regular")
    }
    expected = {}
    for month in (MARCH, APRIL, MAY, JUNE, JULY, AUGUST):
        expected[(from_march.pk, month)] = Decimal("1600.00")
        expected[(changed.pk, month)] = Decimal("1723.45" if month >= JUNE else "1600.00")
        if month >= JULY:
            expected[(from_july.pk, month)] = Decimal("1234.56")
        if month <= MAY:
            expected[(until_may.pk, month)] = Decimal("987.65")
    assert paid == expected
    june = Batch.objects.get(period=JUNE)
    assert june.total_amount == Decimal("3323.45")
    assert june.line_count == 2


def test_a_line_copies_the_confirmed_account_and_keeps_it_after_a_change():
    grant = approved_grant()
    account = payee_account(grant, account_number="6222020202020202")
    runs.payment_run(period=MARCH)
    new_account(grant)
    line = line_of(grant)
    assert line.account == account
    assert (line.payee, line.bank_name, line.account_holder, line.account_number) == (
        account.payee,
        account.bank_name,
        account.account_holder,
        "6222020202020202",
    )
    assert line.status == "pending"
    assert line.replaces is None


def test_a_suspended_grant_gets_no_line():
    grant = paying_grant()
    GrantSuspension.objects.create(
        grant=grant, from_month=MARCH, reason="Moved away", suspended_by=UserFactory()
    )
    Grant.objects.filter(pk=grant.pk).update(state="suspended")
    result = runs.payment_run(period=MARCH)
    assert result.new_lines == 0
    assert not Batch.objects.exists()
    assert result.no_account == 0


def test_a_grant_without_a_confirmed_account_gets_no_line_and_is_reported():
    paid = paying_grant()
    waiting = approved_grant()
    payee_account(waiting, state="proposed")
    none = approved_grant()
    result = runs.payment_run(period=MARCH)
    assert list(PaymentLine.objects.values_list("grant_id", flat=True)) == [paid.pk]
    assert result.no_account == 2
    assert "2 grants due a payment have no confirmed payee account" in result.message
    assert none.pk not in PaymentLine.objects.values_list("grant_id", flat=True)


def test_a_town_with_nothing_to_pay_gets_no_batch():
    approved_grant()  # no account
    result = runs.payment_run(period=MARCH)
    assert result.batches == 0
    assert not Batch.objects.exists()


def test_temporary_assistance_is_not_paid_by_the_monthly_run(worker_chashan, supervisor_chashan):
    paying_temporary_grant(worker=worker_chashan, supervisor=supervisor_chashan)
    result = runs.payment_run(period=FEB)
    assert result.new_lines == 0
    assert not PaymentLine.objects.exists()


# Batches, rows and totals


def test_a_run_writes_one_draft_batch_per_town_with_rows_and_totals():
    first = paying_grant(amount=Decimal("1600.00"))
    second = paying_grant(amount=Decimal("1450.50"))
    other_town = paying_grant(town_slug="dalang", amount=Decimal("1300.00"))
    result = runs.payment_run(period=MARCH, today=datetime.date(2024, 2, 20))
    chashan = Batch.objects.get(town=town("chashan"))
    assert (chashan.kind, chashan.state, chashan.period) == ("monthly", "draft", MARCH)
    assert chashan.business_date == datetime.date(2024, 2, 20)
    assert (chashan.line_count, chashan.total_amount) == (2, Decimal("3050.50"))
    assert [line_of(first).seq, line_of(second).seq] == [1, 2]
    assert line_of(other_town).seq == 1
    assert chashan.run == result.run
    assert chashan.history.first().history_change_reason.startswith("Payment run")
    assert result.as_dict() == {
        "period": "2024-03",
        "batches": 2,
        "lines": 3,
        "new_lines": 3,
        "total_amount": "4350.50",
        "generated": True,
    }


def test_a_run_repeated_changes_nothing_and_says_so():
    paying_grant()
    paying_grant(town_slug="dalang")
    first = runs.payment_run(period=MARCH)
    history = Batch.history.count()
    again = runs.payment_run(period=MARCH)
    assert again.new_lines == 0
    assert not again.generated
    assert (again.lines, again.batches, again.total_amount) == (2, 2, Decimal("3200.00"))
    assert "nothing new to write" in again.message
    assert PaymentLine.objects.count() == 2
    assert Batch.objects.count() == 2
    assert Batch.history.count() == history
    assert again.run.message == again.message
    assert first.run != again.run


def test_a_second_run_adds_new_grants_to_the_open_draft():
    paying_grant()
    runs.payment_run(period=MARCH, today=datetime.date(2024, 2, 20))
    late = paying_grant()
    result = runs.payment_run(period=MARCH, today=datetime.date(2024, 2, 21))
    assert result.new_lines == 1
    batch = Batch.objects.get()
    assert batch.line_count == 2
    assert line_of(late).batch == batch


def test_new_lines_after_submission_go_into_a_new_draft(supervisor_chashan):
    paying_grant()
    runs.payment_run(period=MARCH)
    first = Batch.objects.get()
    Batch.objects.filter(pk=first.pk).update(state="submitted", submitted_by=supervisor_chashan)
    late = paying_grant()
    runs.payment_run(period=MARCH)
    second = Batch.objects.exclude(pk=first.pk).get()
    assert second.state == "draft"
    assert list(second.lines.values_list("grant_id", flat=True)) == [late.pk]
    first.refresh_from_db()
    assert first.line_count == 1


def test_a_run_for_one_town_counts_only_that_town():
    paying_grant()
    dalang = paying_grant(town_slug="dalang")
    result = runs.payment_run(period=MARCH, town=town("dalang"))
    assert list(PaymentLine.objects.values_list("grant_id", flat=True)) == [dalang.pk]
    assert (result.batches, result.lines, result.new_lines) == (1, 1, 1)
    assert result.run.towns_total == 1


def test_the_run_records_who_started_it_and_its_progress(city_supervisor):
    paying_grant()
    seen = []
    result = runs.payment_run(
        period=MARCH,
        actor=city_supervisor,
        progress=lambda done, total, town_result: seen.append((done, total)),
    )
    run = PaymentRun.objects.get()
    assert run == result.run
    assert (run.kind, run.period, run.state, run.started_by) == (
        "monthly",
        MARCH,
        "complete",
        city_supervisor,
    )
    assert run.towns_done == run.towns_total == len(seen) == seen[-1][1] > 1
    assert run.new_lines == 1
    assert run.finished_at is not None


def test_a_scheduler_run_has_no_starter():
    result = runs.payment_run(period=MARCH)
    assert result.run.started_by is None


# Only once, safe to kill


def test_an_interrupted_run_leaves_whole_towns_and_the_next_run_completes_it(monkeypatch):
    chashan = paying_grant()
    dalang = paying_grant(town_slug="dalang")
    original = runs.batch_set_totals
    calls = []

    def killed_in_the_second_town(batch, **kwargs):
        calls.append(batch.town_id)
        original(batch, **kwargs)
        if len(calls) == 2:
            raise RuntimeError("killed")

    monkeypatch.setattr(runs, "batch_set_totals", killed_in_the_second_town)
    with pytest.raises(RuntimeError):
        runs.payment_run(period=MARCH)
    done_town, killed_town = calls
    assert list(Batch.objects.values_list("town_id", flat=True)) == [done_town]
    assert Batch.objects.get().line_count == 1
    assert not PaymentLine.objects.filter(batch__town_id=killed_town).exists()
    run = PaymentRun.objects.get()
    assert run.state == "failed"
    assert "the next run completes the rest" in run.message

    monkeypatch.setattr(runs, "batch_set_totals", original)
    result = runs.payment_run(period=MARCH)
    assert result.new_lines == 1
    assert sorted(PaymentLine.objects.values_list("grant_id", flat=True)) == sorted(
        [chashan.pk, dalang.pk]
    )
    assert Batch.objects.count() == 2
    assert all(batch.line_count == 1 for batch in Batch.objects.all())


def test_the_unique_constraint_keeps_a_second_live_line_out_whatever_the_code_does():
    grant = paying_grant()
    runs.payment_run(period=MARCH)
    batch, line = Batch.objects.get(), line_of(grant)
    rows = PaymentLine.objects.filter(pk=line.pk).values(
        "grant_id", "period", "kind", "amount", "payee_id", "account_id"
    )
    duplicate = PaymentLine(batch=batch, **rows.get())
    assert PaymentLine.objects.bulk_create([duplicate], ignore_conflicts=True)
    assert PaymentLine.objects.filter(grant=grant).count() == 1


def _run_in_a_process(barrier, answers) -> None:
    """One of two processes forked by the test below: its own connection to the test database,
    then payment_run as soon as the other process is ready too. Both stay a second in 茶山's
    transaction, so without the town's lock both would write a batch there."""
    from django.db import connections

    connections.close_all()  # the parent's connection stays the parent's
    open_drafts = runs.open_drafts

    def slow_open_drafts(*, town, **kwargs):
        # Hold 茶山's transaction open a while, so the two runs overlap there for certain.
        if town.slug == "chashan":
            time.sleep(1)
        return open_drafts(town=town, **kwargs)

    runs.open_drafts = slow_open_drafts  # this child's own copy of the module
    try:
        barrier.wait(timeout=60)
        result = runs.payment_run(period=MARCH)
        answers.put(("ok", result.new_lines, result.lines))
    except Exception as exc:  # reported by the test
        answers.put(("error", repr(exc), 0))
    finally:
        connections.close_all()


@pytest.mark.django_db(transaction=True)
def test_two_runs_started_at_the_same_moment_in_two_processes_write_one_set_of_lines():
    if connection.vendor != "postgresql":
        skip_or_fail("concurrent runs need PostgreSQL (SQLite has one writer)")
    grants = [paying_grant() for _ in range(4)] + [paying_grant(town_slug="dalang")]
    connection.close()  # a forked child must not share the parent's socket
    context = multiprocessing.get_context("fork")
    barrier, answers = context.Barrier(2), context.Queue()
    processes = [
        context.Process(target=_run_in_a_process, args=(barrier, answers)) for _ in range(2)
    ]
    for process in processes:
        process.start()
    results = [answers.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=60)
    assert [process.exitcode for process in processes] == [0, 0]
    assert [status for status, *_rest in results] == ["ok", "ok"], results
    assert sum(new for _status, new, _lines in results) == len(grants)
    assert [lines for *_rest, lines in results] == [len(grants), len(grants)]
    assert PaymentLine.objects.count() == len(grants)
    assert sorted(PaymentLine.objects.values_list("grant_id", flat=True)) == sorted(
        grant.pk for grant in grants
    )
    assert Batch.objects.count() == 2
    assert sorted(Batch.objects.values_list("line_count", flat=True)) == [1, 4]


# Who may run, and what


def test_a_case_worker_or_finance_may_not_start_a_run(worker_chashan, finance):
    for user in (worker_chashan, finance):
        with pytest.raises(PermissionDenied):
            runs.payment_run(period=MARCH, actor=user, town=town("chashan"))
    assert not PaymentRun.objects.exists()


def test_a_town_supervisor_runs_only_their_own_town(supervisor_chashan):
    with pytest.raises(PermissionDenied, match="name the town"):
        runs.payment_run(period=MARCH, actor=supervisor_chashan)
    with pytest.raises(Http404):
        runs.payment_run(period=MARCH, actor=supervisor_chashan, town=town("dalang"))
    grant = paying_grant()
    result = runs.payment_run(period=MARCH, actor=supervisor_chashan, town=town("chashan"))
    assert result.new_lines == 1
    assert line_of(grant).batch.submitted_by is None  # the run is not the maker


def test_a_period_is_the_first_day_of_a_month_and_the_kind_a_known_one():
    with pytest.raises(ValidationError) as error:
        runs.payment_run(period=datetime.date(2024, 3, 5))
    assert "period" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        runs.payment_run(period=MARCH, kind="weekly")
    assert "kind" in error.value.message_dict


# Back-pay


def test_confirmed_back_pay_is_paid_once_in_the_grants_row():
    grant = paying_grant()
    orders = [backpay(grant, "100.00"), backpay(grant, "50.55")]
    backpay(grant, "999.00", state="proposed")
    runs.payment_run(period=MARCH)
    line = line_of(grant, kind="backpay")
    assert line.amount == Decimal("150.55")
    assert line.seq == line_of(grant).seq == 1
    assert {order.pk for order in line.backpays.all()} == {order.pk for order in orders}
    assert Batch.objects.get().total_amount == Decimal("1750.55")
    assert orders[0].history.first().history_change_reason.startswith("Paid by line")

    runs.payment_run(period=MARCH)
    runs.payment_run(period=APRIL)
    assert PaymentLine.objects.filter(kind="backpay").count() == 1


def test_back_pay_confirmed_after_the_periods_line_waits_for_the_next_run():
    grant = paying_grant()
    backpay(grant, "100.00")
    runs.payment_run(period=MARCH)
    late = backpay(grant, "20.00")
    assert runs.payment_run(period=MARCH).new_lines == 0
    runs.payment_run(period=APRIL)
    late.refresh_from_db()
    assert late.line == line_of(grant, APRIL, "backpay")
    assert late.line.amount == Decimal("20.00")


def test_back_pay_waits_for_a_confirmed_account():
    grant = approved_grant()
    order = backpay(grant, "100.00")
    runs.payment_run(period=MARCH)
    order.refresh_from_db()
    assert order.line is None
    assert not PaymentLine.objects.exists()


# Deductions


def test_no_deduction_where_the_rules_do_not_allow_it():
    grant = paying_grant()
    recovery(grant, "1000.00")
    runs.payment_run(period=MARCH)
    assert not PaymentLine.objects.filter(kind="deduction").exists()
    assert PaymentRule.objects.get().deductions_allowed is False


def test_deductions_never_exceed_the_cap_nor_what_is_still_owed():
    allow_deductions(cap="30.00")
    grant = paying_grant()
    recovery(grant, "1000.00")
    for month in (MARCH, APRIL, MAY, JUNE):
        runs.payment_run(period=month)
    deductions = PaymentLine.objects.filter(grant=grant, kind="deduction").order_by("period")
    # 30% of 1,600.00 is 480.00; pending deductions count against the balance.
    assert [(line.period, line.amount) for line in deductions] == [
        (MARCH, Decimal("-480.00")),
        (APRIL, Decimal("-480.00")),
        (MAY, Decimal("-40.00")),
    ]
    march = Batch.objects.get(period=MARCH)
    assert march.total_amount == Decimal("1120.00")
    assert line_of(grant, MARCH, "deduction").seq == line_of(grant).seq


def test_the_cap_is_rounded_half_up_to_the_fen():
    allow_deductions(cap="10.00")
    grant = paying_grant(amount=Decimal("1600.05"))
    recovery(grant, "500.00")
    runs.payment_run(period=MARCH)
    assert line_of(grant, kind="deduction").amount == Decimal("-160.01")


def test_a_paid_deduction_no_longer_counts_as_pending():
    allow_deductions(cap="30.00")
    grant = paying_grant()
    owed = recovery(grant, "600.00")
    runs.payment_run(period=MARCH)
    PaymentLine.objects.filter(grant=grant).update(status="paid")
    Recovery.objects.filter(pk=owed.pk).update(balance=Decimal("120.00"))
    runs.payment_run(period=APRIL)
    assert line_of(grant, APRIL, "deduction").amount == Decimal("-120.00")


def test_no_deduction_without_a_regular_line_to_deduct_from(supervisor_chashan):
    allow_deductions()
    suspended = paying_grant()
    GrantSuspension.objects.create(
        grant=suspended, from_month=MARCH, reason="x", suspended_by=supervisor_chashan
    )
    recovery(suspended, "100.00")
    in_submitted_batch = paying_grant()
    runs.payment_run(period=MARCH)
    Batch.objects.update(state="submitted", submitted_by=supervisor_chashan)
    recovery(in_submitted_batch, "100.00")
    runs.payment_run(period=MARCH)
    assert not PaymentLine.objects.filter(kind="deduction").exists()


def test_refund_recoveries_and_unconfirmed_ones_are_not_deducted():
    allow_deductions()
    grant = paying_grant()
    recovery(grant, "100.00", method="refund")
    recovery(grant, "100.00", state="proposed")
    runs.payment_run(period=MARCH)
    assert not PaymentLine.objects.filter(kind="deduction").exists()


def test_deductions_follow_the_rule_in_force_for_the_period():
    PaymentRule.objects.update(effective_to=datetime.date(2024, 3, 31))
    PaymentRule.objects.create(
        effective_from=APRIL, deductions_allowed=True, deduction_cap_percent=Decimal("20.00")
    )
    grant = paying_grant()
    recovery(grant, "1000.00")
    runs.payment_run(period=MARCH)
    runs.payment_run(period=APRIL)
    assert list(PaymentLine.objects.filter(kind="deduction").values_list("period", "amount")) == [
        (APRIL, Decimal("-320.00"))
    ]


def test_deduction_amount_rule():
    assert runs.deduction_amount(
        outstanding=Decimal("100.00"),
        pending=Decimal("0.00"),
        regular=Decimal("1600.00"),
        cap_percent=Decimal("30.00"),
    ) == Decimal("100.00")
    assert runs.deduction_amount(
        outstanding=Decimal("100.00"),
        pending=Decimal("100.00"),
        regular=Decimal("1600.00"),
        cap_percent=Decimal("30.00"),
    ) == Decimal("0.00")
    assert runs.deduction_amount(
        outstanding=Decimal("100.00"),
        pending=Decimal("0.00"),
        regular=Decimal("1600.00"),
        cap_percent=Decimal("0.00"),
    ) == Decimal("0.00")


# Reissues


def test_a_failed_line_is_reissued_once_into_the_account_confirmed_now():
    grant = paying_grant()
    runs.payment_run(period=MARCH)
    failed = fail(line_of(grant))
    account = new_account(grant)
    result = runs.payment_run(period=APRIL)
    assert result.new_lines == 2
    reissue = PaymentLine.objects.get(replaces=failed)
    assert (reissue.period, reissue.kind, reissue.amount, reissue.status) == (
        MARCH,
        "regular",
        Decimal("1600.00"),
        "pending",
    )
    assert reissue.account == account
    assert reissue.bank_name == "中国农业银行东莞分行"
    april = Batch.objects.get(period=APRIL)
    assert reissue.batch == april
    assert reissue.seq == line_of(grant, APRIL).seq
    assert april.total_amount == Decimal("3200.00")

    assert runs.payment_run(period=APRIL).new_lines == 0
    assert runs.payment_run(period=MAY).new_lines == 1  # May's line only
    assert PaymentLine.objects.filter(replaces__isnull=False).count() == 1


def test_a_failed_reissue_is_reissued_in_turn_not_the_original():
    grant = paying_grant()
    runs.payment_run(period=MARCH)
    first = fail(line_of(grant))
    runs.payment_run(period=APRIL)
    second = fail(PaymentLine.objects.get(replaces=first))
    runs.payment_run(period=MAY)
    third = PaymentLine.objects.get(replaces=second)
    assert third.period == MARCH
    assert PaymentLine.objects.filter(grant=grant, period=MARCH).count() == 3


def test_a_failed_line_waits_for_a_confirmed_account():
    grant = paying_grant()
    runs.payment_run(period=MARCH)
    fail(line_of(grant))
    PayeeAccount.objects.filter(grant=grant).update(state="superseded")
    payee_account(grant, state="proposed")
    result = runs.payment_run(period=MARCH)
    assert result.new_lines == 0
    assert not PaymentLine.objects.filter(replaces__isnull=False).exists()


def test_a_reissued_back_pay_line_takes_its_orders_along():
    grant = paying_grant()
    order = backpay(grant, "80.00")
    runs.payment_run(period=MARCH)
    failed = fail(line_of(grant, kind="backpay"))
    fail(line_of(grant))
    runs.payment_run(period=APRIL)
    order.refresh_from_db()
    assert order.line == PaymentLine.objects.get(replaces=failed)
    assert order.line.amount == Decimal("80.00")


def test_a_failed_deduction_is_not_reissued_but_deducted_again_later():
    allow_deductions(cap="10.00")
    grant = paying_grant()
    recovery(grant, "1000.00")
    runs.payment_run(period=MARCH)
    for line in PaymentLine.objects.filter(grant=grant):
        fail(line)
    runs.payment_run(period=APRIL)
    april = Batch.objects.get(period=APRIL)
    assert sorted(april.lines.values_list("period", "kind", "amount")) == [
        (MARCH, "regular", Decimal("1600.00")),
        (APRIL, "deduction", Decimal("-160.00")),
        (APRIL, "regular", Decimal("1600.00")),
    ]


def test_a_reversed_line_is_never_paid_again_by_the_run():
    grant = paying_grant()
    runs.payment_run(period=MARCH)
    PaymentLine.objects.filter(grant=grant).update(status="reversed")
    assert runs.payment_run(period=MARCH).new_lines == 0
    assert runs.payment_run(period=APRIL).new_lines == 1


# Temporary assistance


def test_a_disbursement_run_puts_due_instalments_into_the_days_batch(
    worker_chashan, supervisor_chashan
):
    grant = paying_temporary_grant(
        worker=worker_chashan,
        supervisor=supervisor_chashan,
        amount=Decimal("1000.00"),
        instalments=3,
    )
    day = datetime.date(2024, 2, 7)
    result = runs.payment_run(period=FEB, kind="disbursement", today=day)
    batch = Batch.objects.get()
    assert (batch.kind, batch.business_date, batch.period) == ("disbursement", day, FEB)
    assert line_of(grant, FEB, "instalment").amount == Decimal("333.33")
    assert result.as_dict()["total_amount"] == "333.33"
    assert runs.payment_run(period=FEB, kind="disbursement", today=day).new_lines == 0
    # Another day's run opens that day's batch only when there is something new.
    assert runs.payment_run(period=FEB, kind="disbursement", today=day.replace(day=8)).batches == 1
    for month in (MARCH, APRIL, MAY):
        runs.payment_run(period=month, kind="disbursement", today=month)
    assert list(
        PaymentLine.objects.filter(grant=grant).order_by("period").values_list("amount", flat=True)
    ) == [Decimal("333.33"), Decimal("333.33"), Decimal("333.34")]


def test_an_urgent_run_opens_an_urgent_batch_and_shares_the_instalments_once(
    worker_chashan, supervisor_chashan
):
    grant = paying_temporary_grant(worker=worker_chashan, supervisor=supervisor_chashan)
    day = datetime.date(2024, 2, 7)
    runs.payment_run(period=FEB, kind="urgent", today=day)
    assert line_of(grant, FEB, "instalment").batch.kind == "urgent"
    assert runs.payment_run(period=FEB, kind="disbursement", today=day).new_lines == 0
    assert Batch.objects.count() == 1


def test_a_failed_instalment_is_reissued_by_the_next_disbursement_run(
    worker_chashan, supervisor_chashan
):
    grant = paying_temporary_grant(worker=worker_chashan, supervisor=supervisor_chashan)
    runs.payment_run(period=FEB, kind="disbursement", today=datetime.date(2024, 2, 7))
    failed = fail(line_of(grant, FEB, "instalment"))
    new_account(grant)
    assert runs.payment_run(period=MARCH).new_lines == 0  # not the monthly run's
    runs.payment_run(period=FEB, kind="disbursement", today=datetime.date(2024, 2, 9))
    reissue = PaymentLine.objects.get(replaces=failed)
    assert reissue.batch.business_date == datetime.date(2024, 2, 9)


# Tasks


def test_the_payment_run_task_is_safe_to_run_twice(city_supervisor):
    from payments import tasks

    paying_grant()
    first = tasks.payment_run.delay(period="2024-03", user_id=city_supervisor.pk).get()
    second = tasks.payment_run.delay(period="2024-03").get()
    assert (first["new_lines"], first["generated"]) == (1, True)
    assert (second["new_lines"], second["lines"], second["generated"]) == (0, 1, False)
    assert [run.started_by for run in PaymentRun.objects.order_by("id")] == [city_supervisor, None]


def test_the_monthly_beat_runs_next_months_period_one_task_per_town(
    django_capture_on_commit_callbacks,
):
    from cases.models import Town
    from payments import tasks

    grant = paying_grant(starts_month=APRIL)
    other = paying_grant(starts_month=APRIL, town_slug="dalang")
    with django_capture_on_commit_callbacks(execute=True) as queued:
        assert tasks.monthly_run.delay(today="2024-03-20").get() == Town.objects.count()
    assert len(queued) == Town.objects.count()
    assert line_of(grant, APRIL).batch.kind == line_of(other, APRIL).batch.kind == "monthly"
    run = PaymentRun.objects.get()
    assert (run.period, run.state, run.new_lines) == (APRIL, "complete", 2)
    assert run.towns_done == run.towns_total == Town.objects.count()
    assert "2 new lines written" in run.message


def test_the_town_that_completes_a_fanned_out_run_records_its_result():
    run = runs.payment_run_start(period=MARCH)
    grants = [paying_grant(), paying_grant(town_slug="dalang")]
    towns = runs.run_towns(run)
    results = [runs.payment_run_town(run=run, town=each) for each in reversed(towns)]
    assert [result.finished is not None for result in results] == [False] * (len(towns) - 1) + [
        True
    ]
    finished = results[-1].finished
    assert (finished.new_lines, finished.lines, finished.batches) == (2, 2, 2)
    run.refresh_from_db()
    assert (run.state, run.towns_done, run.new_lines) == ("complete", len(towns), 2)
    assert sorted(PaymentLine.objects.values_list("grant_id", flat=True)) == sorted(
        grant.pk for grant in grants
    )


def test_a_town_that_fails_marks_a_fanned_out_run_failed_until_its_retry(monkeypatch):
    run = runs.payment_run_start(period=MARCH)
    paying_grant()

    def broken(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(runs, "_run_town", broken)
    with pytest.raises(RuntimeError):
        runs.payment_run_town(run=run, town=town("chashan"))
    run.refresh_from_db()
    assert (run.state, run.towns_done) == ("failed", 0)
    assert "the next run completes the rest" in run.message

    # The task's retry succeeds, and the other towns are done: the run completes after all.
    monkeypatch.undo()
    for each in runs.run_towns(run):
        runs.payment_run_town(run=run, town=each)
    run.refresh_from_db()
    assert (run.state, run.towns_done, run.new_lines) == ("complete", run.towns_total, 1)


def test_the_daily_disbursement_beat_runs_each_town(worker_chashan, supervisor_chashan):
    from cases.models import Town
    from payments import tasks

    grant = paying_temporary_grant(worker=worker_chashan, supervisor=supervisor_chashan)
    assert tasks.disbursement_run_all.delay(today="2024-02-07").get() == Town.objects.count()
    batch = line_of(grant, FEB, "instalment").batch
    assert (batch.kind, batch.business_date) == ("disbursement", datetime.date(2024, 2, 7))
    assert set(PaymentRun.objects.values_list("kind", "period")) == {("disbursement", FEB)}
    assert PaymentRun.objects.count() == Town.objects.count()


def test_the_beat_schedule_names_the_payment_tasks(settings):
    from config.celery import app

    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    beat = {"payments.monthly_run", "payments.disbursement_run_all", "payments.reassess_pending"}
    assert beat <= tasks
    app.loader.import_default_modules()
    assert beat | {"payments.payment_run"} <= set(app.tasks)
