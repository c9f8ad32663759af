"""Payee accounts (DOMAIN.md §9): the bank account a grant pays into.

A new or changed account is proposed by a case worker or supervisor of the grant's town and
confirmed by a supervisor who did not propose it (DESIGN.md: money changes need two people);
the confirmed account it replaces is then superseded. One proposal waits at a time (a partial
unique constraint backs it). The payee is a current member of the grant's household. Every
change is in the account's history with actor and reason; a confirmation is also an audit
event. Account numbers are masked everywhere but in bank files (PayeeAccount.masked_number).
"""

import datetime
import unicodedata

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases import selectors as case_selectors
from cases.models import Grant, Membership, Person
from cases.permissions import DECIDER_ROLES, PREPARER_ROLES, require_role, require_second_person
from relief.errors import require_text
from relief.history import with_actor
from relief.models import AuditEvent
from relief.names import normalise_name, validate_name
from relief.services import record

from . import selectors
from .models import PayeeAccount

State = PayeeAccount.State

PROPOSER_MESSAGE = gettext_lazy(
    "Only case workers and supervisors of the grant's town propose payee accounts."
)
DECIDER_MESSAGE = gettext_lazy(
    "Only a town supervisor of the grant's town or the city supervisor confirms or rejects a "
    "payee account."
)


def _locked_account(*, actor, account: PayeeAccount) -> PayeeAccount:
    """The account, locked: another town's account is a 404, the wrong role a 403, a proposal
    that no longer waits a 400, the proposer deciding their own proposal a 403."""
    account = case_selectors.get_in_scope(
        selectors.accounts_in_scope(actor)
        .select_for_update(of=("self",))
        .select_related("grant__town"),
        pk=account.pk,
    )
    require_role(actor, DECIDER_ROLES, DECIDER_MESSAGE)
    if account.state != State.PROPOSED:
        raise ValidationError(
            {
                "state": _("The account is %(state)s: only a waiting proposal is decided.")
                % {"state": account.get_state_display().lower()}
            }
        )
    require_second_person(
        actor,
        account.proposed_by_id,
        _("You proposed this account, so another supervisor must confirm or reject it."),
    )
    return account


def payee_candidates(grant: Grant, today: datetime.date) -> QuerySet[Membership]:
    """Who may hold the grant's account: the memberships of its household current on `today`
    (not left, or leaving no earlier than today)."""
    return Membership.objects.filter(
        Q(left_on__isnull=True) | Q(left_on__gte=today), household_id=grant.household_id
    )


def _comparable_name(name: str) -> str:
    return "".join(unicodedata.normalize("NFKC", name or "").split())


def _holder_of(payee: Person, account_holder: str) -> str:
    """The account holder, which must be the payee: a bank pays an account held in the payee's
    own name. Compared after NFKC and without whitespace (full-width letters or a space typed
    between surname and given name are the same name); the payee's name as registered is kept.
    An empty holder is left to the model's own "required" check; a holder that is no name at
    all (invisible or control characters) is refused as such first (relief.names)."""
    typed = (account_holder or "").strip()
    if typed:
        try:
            validate_name(normalise_name(typed))
        except ValidationError as error:
            raise ValidationError({"account_holder": error.messages}) from None
    if typed and _comparable_name(typed) != _comparable_name(payee.name):
        raise ValidationError(
            {
                "account_holder": _(
                    "The account holder must be the payee, %(name)s, as registered: a bank pays "
                    "only an account in the payee's own name."
                )
                % {"name": payee.name}
            }
        )
    return payee.name if typed else ""


@transaction.atomic
def payee_account_propose(
    *,
    actor,
    grant: Grant,
    payee: Person,
    bank_name: str,
    account_holder: str,
    account_number: str,
    reason: str,
    now: datetime.datetime | None = None,
) -> PayeeAccount:
    """Propose the account the grant pays into. It pays nothing until a second person confirms
    it; a waiting proposal must be confirmed or rejected first."""
    now = now or timezone.now()
    grant = case_selectors.get_in_scope(
        case_selectors.grants_in_scope(actor).select_for_update(of=("self",)), pk=grant.pk
    )
    require_role(actor, PREPARER_ROLES, PROPOSER_MESSAGE)
    reason = require_text(reason, "reason", _("Say why this account is proposed."))
    today = timezone.localdate(now)
    is_member = payee_candidates(grant, today).filter(person_id=getattr(payee, "pk", None)).exists()
    if not is_member:
        raise ValidationError(
            {"payee": _("The payee must be a current member of the grant's household.")}
        )
    account_holder = _holder_of(payee, account_holder)
    waiting = PayeeAccount.objects.filter(grant=grant, state=State.PROPOSED).first()
    if waiting is not None:
        raise ValidationError(
            {
                "state": _(
                    "Account #%(id)s (%(account)s) already waits for confirmation: confirm or "
                    "reject it first."
                )
                % {"id": waiting.pk, "account": waiting.masked_number}
            }
        )
    account = PayeeAccount(
        grant=grant,
        payee=payee,
        bank_name=(bank_name or "").strip(),
        account_holder=account_holder,
        account_number=(account_number or "").strip(),
        reason=reason,
        state=State.PROPOSED,
        proposed_by=actor,
        proposed_at=now,
    )
    account.full_clean(exclude=["grant", "payee", "proposed_by"], validate_constraints=False)
    try:
        with transaction.atomic():
            with_actor(account, actor, reason).save()
    except IntegrityError:
        # A proposal committed by someone else since the check above (one_proposed_account).
        raise ValidationError(
            {"state": _("Another account proposal for this grant waits for confirmation.")}
        ) from None
    return account


@transaction.atomic
def payee_account_confirm(
    *, actor, account: PayeeAccount, now: datetime.datetime | None = None
) -> PayeeAccount:
    """Confirm a proposed account (a supervisor who is not the proposer): from now on the
    grant's lines pay into it; the previously confirmed account is superseded. Lines already
    written keep the account they were written with."""
    now = now or timezone.now()
    account = _locked_account(actor=actor, account=account)
    previous = (
        PayeeAccount.objects.select_for_update()
        .filter(grant_id=account.grant_id, state=State.CONFIRMED)
        .first()
    )
    if previous is not None:
        previous.state = State.SUPERSEDED
        with_actor(previous, actor, _("Superseded by account #%(id)s") % {"id": account.pk}).save(
            update_fields=["state"]
        )
    account.state = State.CONFIRMED
    account.confirmed_by = actor
    account.confirmed_at = now
    with_actor(account, actor, _("Account confirmed")).save(
        update_fields=["state", "confirmed_by", "confirmed_at"]
    )
    record(
        actor=actor,
        action=AuditEvent.Action.APPROVE,
        target=account,
        town_code=account.grant.town.code,
        what="payee_account",
        grant=account.grant_id,
        account=account.masked_number,
        superseded=previous.pk if previous is not None else None,
    )
    return account


@transaction.atomic
def payee_account_reject(*, actor, account: PayeeAccount, reason: str) -> PayeeAccount:
    """Reject a proposed account with reasons (a supervisor who is not the proposer); the
    confirmed account, if any, stays in force."""
    account = _locked_account(actor=actor, account=account)
    reason = require_text(reason, "reason", _("Give the reasons for the rejection."))
    account.state = State.REJECTED
    with_actor(account, actor, reason).save(update_fields=["state"])
    return account


def confirmed_account(grant: Grant) -> PayeeAccount | None:
    """The account the grant pays into now, if any."""
    return PayeeAccount.objects.filter(grant=grant, state=State.CONFIRMED).first()
