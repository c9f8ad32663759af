"""Payee accounts on the grant's page (the payments_tags `payee_accounts` section) and their
payments pages (payments/views/accounts.py): masked numbers, a proposal by a case worker, its
confirmation or rejection by a supervisor who did not propose it, every refusal shown with the
service's message, another town's grant or account a 404."""

import pytest
from django.urls import reverse

from cases.models import Membership
from payments.models import PayeeAccount
from tests.factories import approved_grant, payee_account

pytestmark = pytest.mark.django_db

State = PayeeAccount.State


@pytest.fixture
def grant(db):
    return approved_grant()


def grant_page(grant) -> str:
    return reverse("cases:grant-detail", args=[grant.pk])


def accounts_page(grant) -> str:
    return reverse("payments:grant-accounts", args=[grant.pk])


def head(grant):
    return grant.household.memberships.get(relation=Membership.Relation.HEAD).person


def propose(client, grant, **data):
    values = {
        "payee": head(grant).pk,
        "bank_name": "东莞农村商业银行",
        "account_holder": head(grant).name,
        "account_number": "6228480000009876",
        "reason": "First account, from the application form.",
        **data,
    }
    return client.post(
        reverse("payments:account-propose", args=[grant.pk]),
        {f"propose-{key}": value for key, value in values.items()},
    )


def decide(client, account, action, **data):
    return client.post(
        reverse("payments:account-action", args=[account.pk, action]),
        {f"{action}-{key}": value for key, value in data.items()},
    )


def summary(response) -> str:
    return " | ".join(response.context["summary"])


def test_the_grant_page_shows_the_confirmed_account_masked(client, worker_chashan, grant):
    payee_account(grant, account_number="6222000011114321", bank_name="中国工商银行")
    client.force_login(worker_chashan)

    page = client.get(grant_page(grant)).content.decode()

    assert 'id="payee-accounts"' in page
    assert "****4321" in page and "中国工商银行" in page
    assert "6222000011114321" not in page
    assert 'data-testid="account-propose"' in page  # a case worker may propose a new one


def test_a_grant_without_an_account_says_it_gets_no_line(client, auditor, grant):
    client.force_login(auditor)
    page = client.get(grant_page(grant)).content.decode()
    assert "no confirmed account" in page
    assert 'data-testid="account-propose"' not in page  # an auditor reads only


def test_a_case_worker_proposes_and_another_supervisor_confirms(
    client, worker_chashan, supervisor_chashan, grant
):
    old = payee_account(grant, account_number="6222000011114321")
    client.force_login(worker_chashan)

    response = propose(client, grant)

    assert response.status_code == 302
    assert response["Location"] == grant_page(grant) + "#payee-accounts"
    proposed = PayeeAccount.objects.get(state=State.PROPOSED)
    assert (proposed.proposed_by, proposed.account_number) == (worker_chashan, "6228480000009876")
    page = client.get(grant_page(grant)).content.decode()
    assert "Account proposed: it pays nothing until a supervisor confirms it." in page
    assert "****9876" in page and "pays nothing until confirmed" in page
    assert 'data-testid="account-confirm"' not in page  # a case worker does not decide

    client.force_login(supervisor_chashan)
    assert 'data-testid="account-confirm"' in client.get(grant_page(grant)).content.decode()
    assert decide(client, proposed, "confirm").status_code == 302

    proposed.refresh_from_db()
    old.refresh_from_db()
    assert (proposed.state, proposed.confirmed_by) == (State.CONFIRMED, supervisor_chashan)
    assert old.state == State.SUPERSEDED


def test_a_proposal_the_service_refuses_shows_its_message(client, worker_chashan, grant):
    client.force_login(worker_chashan)

    response = propose(client, grant, account_number="6228 4800", reason="")

    assert response.status_code == 400
    text = summary(response)
    assert "Say why this account is proposed." in text
    assert not PayeeAccount.objects.exists()
    # The form is shown open again with what was typed.
    assert response.context["propose_form"].is_bound


def test_a_bad_account_number_is_named(client, worker_chashan, grant):
    client.force_login(worker_chashan)
    response = propose(client, grant, account_number="6228 4800")
    assert response.status_code == 400
    assert "An account number is 8 to 30 digits, without spaces." in response.content.decode()


def test_a_second_proposal_waits_for_the_first(client, worker_chashan, grant):
    payee_account(grant, state="proposed")
    client.force_login(worker_chashan)
    assert 'data-testid="account-propose"' not in client.get(grant_page(grant)).content.decode()

    response = propose(client, grant)

    assert response.status_code == 400
    assert "already waits for confirmation" in summary(response)


def test_the_proposer_may_not_confirm_their_own_account(client, supervisor_chashan, grant):
    client.force_login(supervisor_chashan)
    propose(client, grant)
    proposed = PayeeAccount.objects.get()
    page = client.get(grant_page(grant)).content.decode()
    assert 'data-testid="own-account-proposal"' in page
    assert 'data-testid="account-confirm"' not in page

    response = decide(client, proposed, "confirm")

    assert response.status_code == 403
    assert "You proposed this account, so another supervisor must confirm or reject it." in (
        summary(response)
    )
    proposed.refresh_from_db()
    assert proposed.state == State.PROPOSED


def test_a_case_worker_may_not_confirm(client, worker_chashan, grant):
    proposed = payee_account(grant, state="proposed")
    client.force_login(worker_chashan)

    response = decide(client, proposed, "confirm")

    assert response.status_code == 403
    assert "Only a town supervisor of the grant's town or the city supervisor" in summary(response)


def test_a_rejection_needs_reasons(client, supervisor_chashan, grant):
    proposed = payee_account(grant, state="proposed")
    client.force_login(supervisor_chashan)

    refused = decide(client, proposed, "reject", reason="")
    assert refused.status_code == 400
    assert "Give the reasons for the rejection." in summary(refused)
    assert (
        decide(client, proposed, "reject", reason="The holder is not a member.").status_code == 302
    )

    proposed.refresh_from_db()
    assert proposed.state == State.REJECTED


def test_the_accounts_page_lists_every_account_masked(client, auditor, grant):
    payee_account(grant, state="superseded", account_number="6222000011110001")
    payee_account(grant, account_number="6222000011110002")
    client.force_login(auditor)

    response = client.get(accounts_page(grant))

    page = response.content.decode()
    assert response.status_code == 200
    assert len(response.context["history"]) == 2
    assert "****0001" in page and "****0002" in page
    assert "6222000011110001" not in page


def test_another_towns_grant_and_account_are_404(client, worker_dalang, grant):
    proposed = payee_account(grant, state="proposed")
    client.force_login(worker_dalang)

    assert client.get(accounts_page(grant)).status_code == 404
    assert propose(client, grant).status_code == 404
    assert decide(client, proposed, "confirm").status_code == 404
    assert decide(client, proposed, "unknown").status_code == 404
