"""A batch's way to the bank (payments.batches): maker-checker, then finance sends it."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404

from cases.models import Breach, Clock, Role
from cases.workflow import decisions
from payments import batches, runs, selectors
from payments.models import Batch, PaymentLine, PaymentRun
from relief.models import AuditEvent
from tests.factories import paying_grant, paying_temporary_grant, staff_user, town
from tests.payments.bank_helpers import exported

pytestmark = pytest.mark.django_db

MARCH = datetime.date(2024, 3, 1)
FEB = datetime.date(2024, 2, 1)


def monthly_batch(town_slug="chashan") -> Batch:
    paying_grant(town_slug=town_slug)
    runs.payment_run(period=MARCH, town=town(town_slug))
    return Batch.objects.get(town__slug=town_slug, period=MARCH, state="draft")


@pytest.fixture
def second_supervisor(db):
    return staff_user("supervisor-chashan-2", Role.TOWN_SUPERVISOR, "chashan")


@pytest.fixture
def submitted(supervisor_chashan):
    return batches.batch_submit(actor=supervisor_chashan, batch=monthly_batch())


@pytest.fixture
def approved(submitted, second_supervisor):
    return batches.batch_approve(actor=second_supervisor, batch=submitted)


# Submit


def test_a_supervisor_submits_a_draft_and_becomes_its_maker(supervisor_chashan):
    batch = monthly_batch()
    assert batch.submitted_by is None  # a scheduler's run has no maker
    batches.batch_submit(actor=supervisor_chashan, batch=batch)
    batch.refresh_from_db()
    assert (batch.state, batch.submitted_by) == ("submitted", supervisor_chashan)
    assert batch.submitted_at is not None
    record = batch.history.first()
    assert (record.history_user, record.history_change_reason) == (
        supervisor_chashan,
        "Submitted for approval",
    )
    event = AuditEvent.objects.get(action="submit", object_id=str(batch.pk))
    assert (event.actor, event.town_code, event.data["total"]) == (
        supervisor_chashan,
        "441900103",
        "1600.00",
    )


def test_case_workers_finance_and_auditors_do_not_submit(worker_chashan, finance, auditor):
    batch = monthly_batch()
    for user in (worker_chashan, finance, auditor):
        with pytest.raises(PermissionDenied):
            batches.batch_submit(actor=user, batch=batch)
    batch.refresh_from_db()
    assert batch.state == "draft"


def test_a_batch_without_lines_cannot_be_submitted(supervisor_chashan):
    empty = Batch.objects.create(
        kind="monthly", town=town("chashan"), period=MARCH, business_date=MARCH
    )
    with pytest.raises(ValidationError) as error:
        batches.batch_submit(actor=supervisor_chashan, batch=empty)
    assert "lines" in error.value.message_dict


def test_another_towns_batch_does_not_exist_for_a_town_supervisor(supervisor_chashan):
    batch = monthly_batch("dalang")
    with pytest.raises(Http404):
        batches.batch_submit(actor=supervisor_chashan, batch=batch)


def test_only_a_draft_is_submitted(submitted, supervisor_chashan):
    with pytest.raises(ValidationError) as error:
        batches.batch_submit(actor=supervisor_chashan, batch=submitted)
    assert "submitted" in error.value.message_dict["state"][0]


# Approve


def test_the_maker_may_not_approve_their_own_batch(submitted, supervisor_chashan):
    with pytest.raises(PermissionDenied, match="another supervisor"):
        batches.batch_approve(actor=supervisor_chashan, batch=submitted)
    submitted.refresh_from_db()
    assert submitted.state == "submitted"


def test_the_database_refuses_a_checker_who_is_the_maker(submitted, supervisor_chashan):
    with pytest.raises(IntegrityError), transaction.atomic():
        Batch.objects.filter(pk=submitted.pk).update(
            state="approved", approved_by=supervisor_chashan
        )


def test_another_supervisor_approves(submitted, second_supervisor):
    batches.batch_approve(actor=second_supervisor, batch=submitted)
    submitted.refresh_from_db()
    assert (submitted.state, submitted.approved_by) == ("approved", second_supervisor)
    event = AuditEvent.objects.get(action="approve", object_id=str(submitted.pk))
    assert event.data["what"] == "payment_batch"


def test_the_city_supervisor_approves_city_wide(submitted, city_supervisor):
    batches.batch_approve(actor=city_supervisor, batch=submitted)
    submitted.refresh_from_db()
    assert submitted.state == "approved"


def test_finance_and_case_workers_do_not_approve(submitted, finance, worker_chashan):
    for user in (finance, worker_chashan):
        with pytest.raises(PermissionDenied):
            batches.batch_approve(actor=user, batch=submitted)


def test_only_a_submitted_batch_is_approved(second_supervisor, approved):
    with pytest.raises(ValidationError):
        batches.batch_approve(actor=second_supervisor, batch=monthly_batch("chashan"))
    with pytest.raises(ValidationError):
        batches.batch_approve(actor=second_supervisor, batch=approved)


# Reject


def test_a_rejected_batch_goes_back_to_draft_with_reasons(submitted, second_supervisor):
    with pytest.raises(ValidationError) as error:
        batches.batch_reject(actor=second_supervisor, batch=submitted, reason=" ")
    assert "reason" in error.value.message_dict
    batches.batch_reject(actor=second_supervisor, batch=submitted, reason="Check row 3")
    submitted.refresh_from_db()
    assert (submitted.state, submitted.submitted_by) == ("draft", None)
    assert submitted.history.first().history_change_reason == "Check row 3"
    assert AuditEvent.objects.get(action="reject").data["reason"] == "Check row 3"


def test_a_rejected_batch_takes_in_the_draft_a_run_opened_meanwhile(submitted, second_supervisor):
    late = paying_grant()
    runs.payment_run(period=MARCH, today=datetime.date(2024, 2, 25))  # another day
    newer = Batch.objects.exclude(pk=submitted.pk).get()
    batches.batch_reject(actor=second_supervisor, batch=submitted, reason="Add the late grant")
    assert not Batch.objects.filter(pk=newer.pk).exists()
    assert AuditEvent.objects.get(action="reject").data["merged"] == [newer.pk]
    assert submitted.history.first().history_change_reason == f"Lines of draft #{newer.pk} joined"
    submitted.refresh_from_db()
    assert (submitted.state, submitted.line_count, submitted.total_amount) == (
        "draft",
        2,
        Decimal("3200.00"),
    )
    assert sorted(submitted.lines.values_list("seq", flat=True)) == [1, 2]
    assert PaymentLine.objects.get(grant=late).batch == submitted


def test_only_a_submitted_batch_is_rejected(approved, second_supervisor):
    with pytest.raises(ValidationError):
        batches.batch_reject(actor=second_supervisor, batch=approved, reason="x")


# Send


def test_finance_marks_an_approved_batch_sent(approved, finance):
    exported(approved, finance)
    batches.batch_send(actor=finance, batch=approved)
    approved.refresh_from_db()
    assert (approved.state, approved.sent_by) == ("sent", finance)
    assert approved.sent_at is not None
    assert AuditEvent.objects.filter(action="send", object_id=str(approved.pk)).exists()
    assert set(approved.lines.values_list("status", flat=True)) == {"pending"}


def test_only_finance_sends_and_only_an_approved_batch(
    submitted, approved, finance, city_supervisor
):
    with pytest.raises(PermissionDenied):
        batches.batch_send(actor=city_supervisor, batch=approved)
    draft = monthly_batch("dalang")
    with pytest.raises(ValidationError):
        batches.batch_send(actor=finance, batch=draft)


def test_a_batch_whose_bank_file_was_never_exported_is_not_marked_sent(approved, finance):
    with pytest.raises(ValidationError) as refused:
        batches.batch_send(actor=finance, batch=approved)
    assert refused.value.message_dict == {
        "state": [
            f"Cannot mark sent: no bank file of batch #{approved.pk} has been exported. A batch "
            "goes to the bank only as its exported bank file: export it first, then mark the "
            "batch sent."
        ]
    }
    approved.refresh_from_db()
    assert (approved.state, approved.sent_by) == ("approved", None)
    assert not AuditEvent.objects.filter(action="send").exists()

    exported(approved, finance)
    batches.batch_send(actor=finance, batch=approved)
    approved.refresh_from_db()
    assert approved.state == "sent"


# Temporary assistance: the disbursement clock


def disbursement_batch(worker, supervisor, second, day=datetime.date(2024, 2, 7)):
    grant = paying_temporary_grant(worker=worker, supervisor=supervisor)
    runs.payment_run(period=FEB, kind="disbursement", today=day)
    batch = Batch.objects.get(kind="disbursement")
    batches.batch_submit(actor=supervisor, batch=batch)
    batches.batch_approve(actor=second, batch=batch)
    exported(batch, staff_user("finance-export", Role.FINANCE))
    return grant, batch


def disbursement_clock(grant) -> Clock:
    return grant.application.clocks.get(kind=Clock.Kind.DISBURSEMENT)


def test_sending_a_disbursement_batch_stops_the_disbursement_clock(
    worker_chashan, supervisor_chashan, second_supervisor, finance
):
    grant, batch = disbursement_batch(worker_chashan, supervisor_chashan, second_supervisor)
    assert disbursement_clock(grant).stopped_on is None
    batches.batch_send(actor=finance, batch=batch, today=datetime.date(2024, 2, 8))
    assert disbursement_clock(grant).stopped_on == datetime.date(2024, 2, 8)
    assert not Breach.objects.exists()
    assert AuditEvent.objects.get(action="send").data["disbursements"] == [grant.application_id]


def test_a_late_send_is_a_breach_record(
    worker_chashan, supervisor_chashan, second_supervisor, finance
):
    grant, batch = disbursement_batch(worker_chashan, supervisor_chashan, second_supervisor)
    batches.batch_send(actor=finance, batch=batch, today=datetime.date(2024, 2, 21))
    clock = disbursement_clock(grant)
    assert clock.due_on == datetime.date(2024, 2, 19)
    breach = Breach.objects.get(clock=clock)
    assert (breach.working_days_late, breach.final) == (2, True)


def test_a_disbursement_already_recorded_is_not_recorded_again(
    worker_chashan, supervisor_chashan, second_supervisor, finance
):
    grant, batch = disbursement_batch(worker_chashan, supervisor_chashan, second_supervisor)
    decisions.application_disbursement_record(
        actor=finance, application=grant.application, today=datetime.date(2024, 2, 8)
    )
    batches.batch_send(actor=finance, batch=batch, today=datetime.date(2024, 2, 9))
    assert disbursement_clock(grant).stopped_on == datetime.date(2024, 2, 8)
    assert grant.application.events.filter(kind="disbursed").count() == 1


def test_sending_a_monthly_batch_touches_no_clock(
    approved, finance, worker_chashan, supervisor_chashan
):
    grant = paying_temporary_grant(worker=worker_chashan, supervisor=supervisor_chashan)
    exported(approved, finance)
    batches.batch_send(actor=finance, batch=approved)
    assert disbursement_clock(grant).stopped_on is None


# Scope


def test_case_workers_read_their_towns_batches_and_city_roles_all(
    worker_chashan, auditor, finance, administrator
):
    chashan, dalang = monthly_batch("chashan"), monthly_batch("dalang")
    assert list(selectors.batches_in_scope(worker_chashan)) == [chashan]
    assert set(selectors.batches_in_scope(auditor)) == {chashan, dalang}
    assert set(selectors.batches_in_scope(finance)) == {chashan, dalang}
    assert not selectors.batches_in_scope(administrator).exists()
    assert set(selectors.lines_in_scope(worker_chashan)) == set(chashan.lines.all())
    with pytest.raises(Http404):
        selectors.batch_get(user=worker_chashan, pk=dalang.pk)
    with pytest.raises(Http404):
        selectors.line_get(user=worker_chashan, pk=dalang.lines.get().pk)


def test_town_roles_see_their_towns_runs_and_the_city_wide_ones(worker_chashan, auditor):
    city_wide = runs.payment_run(period=MARCH).run
    chashan = runs.payment_run(period=MARCH, town=town("chashan")).run
    dalang = runs.payment_run(period=MARCH, town=town("dalang")).run
    assert set(selectors.runs_in_scope(worker_chashan)) == {city_wide, chashan}
    assert set(selectors.runs_in_scope(auditor)) == {city_wide, chashan, dalang}
    assert PaymentRun.objects.count() == 3


# Admin


@pytest.mark.parametrize("model", ["paymentrule", "bankfilelayout"])
def test_administrators_edit_payment_rules_and_layouts_with_history(client, administrator, model):
    from django.urls import reverse

    client.force_login(administrator)
    assert client.get(reverse(f"admin:payments_{model}_changelist")).status_code == 200
    assert client.get(reverse(f"admin:payments_{model}_add")).status_code == 200


@pytest.mark.parametrize("model", ["batch", "paymentline", "payeeaccount"])
def test_the_admin_shows_no_payment_data_to_an_administrator(client, administrator, model):
    from django.urls import reverse

    monthly_batch()
    client.force_login(administrator)
    response = client.get(reverse(f"admin:payments_{model}_changelist"))
    assert response.status_code == 200
    assert response.context["cl"].result_count == 0
    assert client.get(reverse(f"admin:payments_{model}_add")).status_code == 403
