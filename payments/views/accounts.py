"""Payee accounts of a grant: the confirmed account (masked) and a proposal waiting
for a second person, with the buttons to propose (case workers and supervisors of the town) and
to confirm or reject (a supervisor who did not propose it: payments.accounts decides).

The section is shown on the grant's page through the `payee_accounts` template tag
(payments/templatetags/payments_tags.py): cases never imports payments in Python (DESIGN.md:
dependencies run payments → cases), the grant's template only loads the tag, and everything the
section needs (the scoped query, the forms, the URLs its buttons post to) lives here. The
buttons post to payments' views; success goes back to the grant's page, a refusal shows this
app's account page for the grant with the service's message and the grant's account history."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from cases import selectors as case_selectors
from cases.models import Grant
from cases.permissions import DECIDER_ROLES, PREPARER_ROLES, case_reader_required, role_of
from relief.views import Action, action_forms, failed_summary, run_action

from .. import accounts, selectors
from ..forms import AccountProposeForm, ActionForm, ReasonForm
from ..models import PayeeAccount
from .labels import KEY_LABELS, run_service

AccountState = PayeeAccount.State

ACTIONS: dict[str, Action] = {
    "confirm": Action(
        gettext_lazy("Confirm the account"),
        ActionForm,
        lambda actor, account, data: accounts.payee_account_confirm(actor=actor, account=account),
        gettext_lazy("Account confirmed: the grant's next payments go into it."),
    ),
    "reject": Action(
        gettext_lazy("Reject the account"),
        ReasonForm,
        lambda actor, account, data: accounts.payee_account_reject(
            actor=actor, account=account, reason=data["reason"] or ""
        ),
        gettext_lazy("Account proposal rejected: the confirmed account stays in force."),
        "danger",
    ),
}
PROPOSE = Action(gettext_lazy("Propose an account"), AccountProposeForm, None, "")
PAGE_ACTIONS = {**ACTIONS, "propose": PROPOSE}


def current_members(grant: Grant) -> list:
    """The people who may hold the grant's account: current members of its household (the rule
    payments.accounts.payee_account_propose checks)."""
    memberships = accounts.payee_candidates(grant, timezone.localdate())
    return [membership.person for membership in memberships.select_related("person").order_by("id")]


def account_section(user, grant: Grant, *, failed=None) -> dict:
    """What the accounts section shows the user: the confirmed account, the proposal waiting,
    and the forms the user may plausibly use (mirroring payments.accounts' checks)."""
    role = role_of(user)
    current = list(
        selectors.accounts_in_scope(user)
        .filter(grant=grant, state__in=(AccountState.CONFIRMED, AccountState.PROPOSED))
        .select_related("payee", "proposed_by", "confirmed_by")
    )
    confirmed = next((a for a in current if a.state == AccountState.CONFIRMED), None)
    proposed = next((a for a in current if a.state == AccountState.PROPOSED), None)
    failed_name, failed_form = failed or (None, None)
    propose_form = None
    if failed_name == "propose":
        propose_form = failed_form
    elif role in PREPARER_ROLES and proposed is None:
        propose_form = AccountProposeForm(prefix="propose", members=current_members(grant))
    decides = proposed is not None and role in DECIDER_ROLES
    own = decides and proposed.proposed_by_id == user.pk
    names = ["confirm", "reject"] if decides and not own else []
    # A refused decision stays about the account it was posted for (account_action sets it).
    decided = failed_form.account if failed_name in ACTIONS else proposed
    return {
        "grant": grant,
        "confirmed": confirmed,
        "proposed": proposed,
        "own_proposal": own,
        "decided": decided,
        "decision_forms": action_forms(ACTIONS, names, failed if failed_name in ACTIONS else None),
        "propose_form": propose_form,
    }


def _grant_get(user, pk) -> Grant:
    return case_selectors.get_in_scope(
        case_selectors.grants_in_scope(user).select_related("household", "scheme", "town"), pk=pk
    )


def accounts_page(request, grant_pk, *, failed=None, status=200):
    """The grant's payee accounts: the section (as on the grant's page) and every account the
    grant has had, newest first, masked."""
    user = request.user
    grant = _grant_get(user, grant_pk)
    history = list(
        selectors.accounts_in_scope(user)
        .filter(grant=grant)
        .select_related("payee", "proposed_by", "confirmed_by")
        .order_by("-id")
    )
    return render(
        request,
        "payments/grant_accounts.html",
        {
            **account_section(user, grant, failed=failed),
            "history": history,
            "summary": failed_summary(PAGE_ACTIONS, failed),
        },
        status=status,
    )


def _back_to_grant(grant_id: int):
    return redirect(reverse("cases:grant-detail", args=[grant_id]) + "#payee-accounts")


@require_GET
@case_reader_required
def grant_accounts(request, grant_pk):
    return accounts_page(request, grant_pk)


@require_POST
@case_reader_required
def account_propose(request, grant_pk):
    """POST a proposed account for the grant (payments.accounts.payee_account_propose)."""
    grant = _grant_get(request.user, grant_pk)
    form = AccountProposeForm(request.POST, prefix="propose", members=current_members(grant))
    ok, _account, status = run_service(
        form,
        lambda data: accounts.payee_account_propose(
            actor=request.user,
            grant=grant,
            payee=data["payee"],
            bank_name=data["bank_name"],
            account_holder=data["account_holder"],
            account_number=data["account_number"],
            reason=data["reason"] or "",
        ),
    )
    if ok:
        messages.success(
            request,
            gettext_lazy("Account proposed: it pays nothing until a supervisor confirms it."),
        )
        return _back_to_grant(grant.pk)
    return accounts_page(request, grant.pk, failed=("propose", form), status=status)


@require_POST
@case_reader_required
def account_action(request, pk, action):
    """POST confirm or reject of a proposed account (a supervisor who did not propose it)."""
    account = selectors.account_get(user=request.user, pk=pk)
    if action not in ACTIONS:
        raise Http404
    ok, result, form, status = run_action(request, ACTIONS, action, account, KEY_LABELS)
    form.account = account
    if ok:
        messages.success(request, ACTIONS[action].message(result, form.cleaned_data))
        return _back_to_grant(account.grant_id)
    return accounts_page(request, account.grant_id, failed=(action, form), status=status)
