"""Payee accounts (payments.accounts): proposed, confirmed by a second person, superseded."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from cases.models import Membership, Role
from payments import accounts, runs
from payments.models import PayeeAccount, PaymentLine
from relief.models import AuditEvent
from tests.factories import PersonFactory, approved_grant, payee_account, staff_user

pytestmark = pytest.mark.django_db

MARCH = datetime.date(2024, 3, 1)


@pytest.fixture
def grant():
    return approved_grant()


def head(grant):
    return grant.household.memberships.get(relation="head").person


def propose(actor, grant, number="6222000011112222", **kwargs):
    values = {
        "payee": head(grant),
        "bank_name": "中国工商银行东莞分行",
        "account_holder": head(grant).name,
        "account_number": number,
        "reason": "First account",
    }
    values.update(kwargs)
    return accounts.payee_account_propose(actor=actor, grant=grant, **values)


def test_a_case_worker_proposes_an_account_that_pays_nothing_yet(worker_chashan, grant):
    account = propose(worker_chashan, grant)
    assert (account.state, account.proposed_by, account.reason) == (
        "proposed",
        worker_chashan,
        "First account",
    )
    assert account.masked_number == "****2222"
    assert str(account) == "中国工商银行东莞分行 ****2222"
    record = account.history.get()
    assert (record.history_user, record.history_change_reason) == (worker_chashan, "First account")
    runs.payment_run(period=MARCH)
    assert not PaymentLine.objects.exists()


def test_a_second_supervisor_confirms_and_the_old_account_is_superseded(
    worker_chashan, supervisor_chashan, grant
):
    old = payee_account(grant)
    account = propose(worker_chashan, grant, reason="The old card was lost")
    accounts.payee_account_confirm(actor=supervisor_chashan, account=account)
    account.refresh_from_db()
    old.refresh_from_db()
    assert (account.state, account.confirmed_by) == ("confirmed", supervisor_chashan)
    assert account.confirmed_at is not None
    assert old.state == "superseded"
    assert old.history.first().history_user == supervisor_chashan
    assert accounts.confirmed_account(grant) == account
    event = AuditEvent.objects.get(action="approve", object_id=str(account.pk))
    assert (event.actor, event.town_code) == (supervisor_chashan, grant.town.code)
    assert event.data["account"] == "****2222"
    assert "6222000011112222" not in str(event.data)
    runs.payment_run(period=MARCH)
    assert PaymentLine.objects.get().account == account


def test_nobody_confirms_their_own_proposal(supervisor_chashan, grant):
    account = propose(supervisor_chashan, grant)
    with pytest.raises(PermissionDenied, match="another supervisor"):
        accounts.payee_account_confirm(actor=supervisor_chashan, account=account)
    with pytest.raises(PermissionDenied):
        accounts.payee_account_reject(actor=supervisor_chashan, account=account, reason="x")
    account.refresh_from_db()
    assert account.state == "proposed"


def test_only_supervisors_confirm(worker_chashan, finance, auditor, grant):
    account = propose(worker_chashan, grant)
    other_worker = staff_user("worker-chashan-2", Role.CASE_WORKER, "chashan")
    for user in (other_worker, finance, auditor):
        with pytest.raises(PermissionDenied):
            accounts.payee_account_confirm(actor=user, account=account)


def test_the_city_supervisor_confirms_city_wide(worker_chashan, city_supervisor, grant):
    account = propose(worker_chashan, grant)
    accounts.payee_account_confirm(actor=city_supervisor, account=account)
    account.refresh_from_db()
    assert account.state == "confirmed"


def test_only_case_roles_of_the_town_propose(finance, auditor, worker_dalang, grant):
    for user in (finance, auditor):
        with pytest.raises(PermissionDenied):
            propose(user, grant)
    with pytest.raises(Http404):
        propose(worker_dalang, grant)
    assert not PayeeAccount.objects.exists()


def test_another_towns_account_does_not_exist_for_a_supervisor(worker_chashan, grant):
    account = propose(worker_chashan, grant)
    supervisor_dalang = staff_user("supervisor-dalang", Role.TOWN_SUPERVISOR, "dalang")
    with pytest.raises(Http404):
        accounts.payee_account_confirm(actor=supervisor_dalang, account=account)


def test_the_payee_is_a_current_member_of_the_household(worker_chashan, grant):
    with pytest.raises(ValidationError) as error:
        propose(worker_chashan, grant, payee=PersonFactory())
    assert "payee" in error.value.message_dict
    child = grant.household.memberships.get(relation="child")
    Membership.objects.filter(pk=child.pk).update(
        left_on=datetime.date(2024, 1, 1), leave_reason="moved_out"
    )
    with pytest.raises(ValidationError):
        propose(worker_chashan, grant, payee=child.person)


def test_an_account_number_is_8_to_30_digits(worker_chashan, grant):
    for number in ("1234567", "6222 0000 1111 2222", "62220000111122223333444455556666"):
        with pytest.raises(ValidationError) as error:
            propose(worker_chashan, grant, number=number)
        assert "account_number" in error.value.message_dict


def test_a_proposal_needs_a_reason_and_a_bank(worker_chashan, grant):
    with pytest.raises(ValidationError) as error:
        propose(worker_chashan, grant, reason="  ")
    assert "reason" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        propose(worker_chashan, grant, bank_name="")
    assert "bank_name" in error.value.message_dict


def test_one_proposal_waits_at_a_time(worker_chashan, supervisor_chashan, grant):
    waiting = propose(worker_chashan, grant)
    with pytest.raises(ValidationError, match=f"#{waiting.pk}"):
        propose(worker_chashan, grant, number="6222999988887777")
    accounts.payee_account_reject(actor=supervisor_chashan, account=waiting, reason="Wrong bank")
    assert propose(worker_chashan, grant, number="6222999988887777").state == "proposed"


def test_a_rejection_needs_reasons_and_leaves_the_confirmed_account(
    worker_chashan, supervisor_chashan, grant
):
    confirmed = payee_account(grant)
    account = propose(worker_chashan, grant)
    with pytest.raises(ValidationError) as error:
        accounts.payee_account_reject(actor=supervisor_chashan, account=account, reason=" ")
    assert "reason" in error.value.message_dict
    accounts.payee_account_reject(actor=supervisor_chashan, account=account, reason="Wrong bank")
    account.refresh_from_db()
    assert account.state == "rejected"
    assert account.history.first().history_change_reason == "Wrong bank"
    assert accounts.confirmed_account(grant) == confirmed


def test_only_a_waiting_proposal_is_decided(worker_chashan, supervisor_chashan, grant):
    account = propose(worker_chashan, grant)
    accounts.payee_account_confirm(actor=supervisor_chashan, account=account)
    with pytest.raises(ValidationError) as error:
        accounts.payee_account_confirm(actor=supervisor_chashan, account=account)
    assert "state" in error.value.message_dict
    with pytest.raises(ValidationError):
        accounts.payee_account_reject(actor=supervisor_chashan, account=account, reason="x")
