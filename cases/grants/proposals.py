"""Single schedule proposals: proposing the calculation's amount from a month, and a second
person's confirmation or rejection."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from relief.dates import month_key, when
from relief.errors import require_text, state_error
from relief.history import with_actor
from relief.money import format_money

from .. import selectors
from ..inbox import Message, notify_many
from ..models import Grant, Notification, ScheduleEntry
from ..permissions import DECIDER_ROLES, PREPARER_ROLES, require_role, require_second_person
from .amounts import amount_in_force, schedule_entries_in_scope
from .checks import (
    DECIDER_MESSAGE,
    PROPOSER_MESSAGE,
    PROPOSER_REFUSED,
    Entry,
    GrantState,
    audit,
    calculate_for,
    grant_url,
    locked_grant,
    mark_rejected,
    pending_proposal_error,
    require_month,
    require_month_of_grant,
    require_not_in_exit,
    require_not_temporary,
    require_state,
    supersede,
)


@transaction.atomic
def schedule_propose(
    *,
    grant: Grant,
    from_month: datetime.date,
    actor,
    reason: str,
    today: datetime.date | None = None,
    now: datetime.datetime | None = None,
) -> ScheduleEntry | None:
    """Propose the amount the calculation gives for `from_month` as the grant's amount from
    that month, with the calculation stored as its explanation. Returns None, recording
    nothing, when the amount equals the confirmed amount in force for that month: there is
    nothing to confirm. The proposal pays nothing until a second person confirms it."""
    today, now = when(today, now)
    grant = locked_grant(
        actor=actor, grant=grant, roles=PREPARER_ROLES, role_message=PROPOSER_MESSAGE
    )
    from_month = require_month(from_month)
    require_not_temporary(grant)
    require_state(grant, (GrantState.ACTIVE, GrantState.SUSPENDED), _("propose an amount"))
    require_month_of_grant(grant, from_month, "from_month")
    require_not_in_exit(grant, from_month)
    reason = require_text(reason, "reason", _("Say why the amount is recomputed."))
    pending = grant.schedule.filter(state=Entry.State.PROPOSED, from_month=from_month).first()
    if pending is not None:
        raise pending_proposal_error(pending)
    calculation = calculate_for(grant, from_month)
    if calculation.total == amount_in_force(grant=grant, month=from_month):
        return None
    entry = ScheduleEntry(
        grant=grant,
        from_month=from_month,
        amount=calculation.total,
        calculation=calculation.as_dict(),
        state=Entry.State.PROPOSED,
        kind=Entry.Kind.RECALCULATION,
        reason=reason,
        proposed_by=actor,
        proposed_at=now,
    )
    with_actor(entry, actor, reason).save()
    return entry


def _locked_entry(*, actor, entry: ScheduleEntry) -> ScheduleEntry:
    entry = selectors.get_in_scope(
        schedule_entries_in_scope(actor)
        .select_for_update(of=("self",))
        .select_related("grant__town", "grant__scheme"),
        pk=entry.pk,
    )
    require_role(actor, DECIDER_ROLES, DECIDER_MESSAGE)
    return entry


ENTRY_STATE = gettext_lazy("Cannot %(action)s: the schedule entry is %(state)s (%(code)s).")


def _require_single(entry: ScheduleEntry) -> None:
    if entry.confirmation_id is not None:
        raise ValidationError(
            {
                "confirmation": _(
                    "This proposal is part of standard change #%(id)s: it is confirmed or "
                    "rejected as a whole."
                )
                % {"id": entry.confirmation_id}
            }
        )


@transaction.atomic
def schedule_confirm(*, entry: ScheduleEntry, actor, now=None) -> ScheduleEntry:
    """Confirm a proposal: from its month the grant pays its amount. A second person only (a
    town supervisor of the grant's town or the city supervisor, not the proposer). Confirming
    a confirmed entry again changes nothing."""
    _today, now = when(None, now)
    entry = _locked_entry(actor=actor, entry=entry)
    if entry.state == Entry.State.CONFIRMED:
        return entry
    if entry.state != Entry.State.PROPOSED:
        raise state_error(entry, _("confirm"), ENTRY_STATE)
    _require_single(entry)
    require_second_person(actor, entry.proposed_by_id, PROPOSER_REFUSED % {"what": _("confirm")})
    grant = entry.grant
    if grant.ends_month is not None and entry.from_month > grant.ends_month:
        raise ValidationError(
            {
                "from_month": _("The grant ended with %(month)s.")
                % {"month": month_key(grant.ends_month)}
            }
        )
    reason = _("Schedule proposal confirmed")
    supersede(grant_ids=[grant.pk], from_month=entry.from_month, actor=actor, reason=reason)
    entry.state = Entry.State.CONFIRMED
    entry.confirmed_by = actor
    entry.confirmed_at = now
    with_actor(entry, actor, reason).save()
    audit(
        actor,
        entry,
        grant.town.code,
        "schedule_entry",
        grant=grant.pk,
        from_month=entry.from_month.isoformat(),
        amount=str(entry.amount),
    )
    _notify_proposer(entry, confirmed=True)
    return entry


@transaction.atomic
def schedule_reject(*, entry: ScheduleEntry, actor, reason: str, now=None) -> ScheduleEntry:
    """Reject a proposal with reasons (a second person, as for confirming). It never pays.
    Rejecting a rejected entry again changes nothing."""
    _today, now = when(None, now)
    entry = _locked_entry(actor=actor, entry=entry)
    if entry.state == Entry.State.REJECTED:
        return entry
    if entry.state != Entry.State.PROPOSED:
        raise state_error(entry, _("reject"), ENTRY_STATE)
    _require_single(entry)
    require_second_person(actor, entry.proposed_by_id, PROPOSER_REFUSED % {"what": _("reject")})
    reason = require_text(reason, "reason", _("Give the reasons for the rejection."))
    mark_rejected(entry, actor=actor, reason=reason, now=now)
    with_actor(entry, actor, reason).save()
    _notify_proposer(entry, confirmed=False)
    return entry


def _notify_proposer(entry: ScheduleEntry, *, confirmed: bool) -> None:
    text = (
        _(
            "Schedule proposal #%(id)s of grant #%(grant)s (%(amount)s yuan from %(month)s) was "
            "confirmed."
        )
        if confirmed
        else _(
            "Schedule proposal #%(id)s of grant #%(grant)s (%(amount)s yuan from %(month)s) "
            "was rejected."
        )
    ) % {
        "id": entry.pk,
        "grant": entry.grant_id,
        "amount": format_money(entry.amount),
        "month": month_key(entry.from_month),
    }
    notify_many(
        [
            Message(
                entry.proposed_by_id,
                Notification.Kind.DECISION,
                f"schedule:entry:{entry.pk}",
                text,
                entry.grant.application_id,
                grant_url(entry.grant_id),
            )
        ]
    )
