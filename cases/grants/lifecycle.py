"""A grant's state: suspension, resumption, termination and gradual exit (渐退), and the daily
end of finished exits."""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from simple_history.utils import bulk_update_with_history

from relief.dates import add_months, first_of_month, month_key, when
from relief.errors import require_text
from relief.history import with_actor
from relief.money import ZERO, to_fen

from ..calculation import scheme_rule
from ..models import Grant, GrantSuspension, ScheduleEntry
from ..permissions import DECIDER_ROLES
from .amounts import amount_in_force
from .checks import (
    CHUNK_SIZE,
    DECIDER_MESSAGE,
    Entry,
    GrantState,
    audit,
    locked_grant,
    mark_rejected,
    pending_proposal_error,
    require_month,
    require_month_of_grant,
    require_not_temporary,
    require_state,
)


def _next_month(today: datetime.date) -> datetime.date:
    return add_months(first_of_month(today), 1)


@transaction.atomic
def grant_suspend(
    *,
    grant: Grant,
    actor,
    reason: str,
    from_month: datetime.date | None = None,
    today: datetime.date | None = None,
    now: datetime.datetime | None = None,
) -> Grant:
    """Suspend payment from `from_month` (default: next month) until the grant is resumed.
    The withheld months pay nothing (confirmed_amount)."""
    today, now = when(today, now)
    grant = locked_grant(
        actor=actor, grant=grant, roles=DECIDER_ROLES, role_message=DECIDER_MESSAGE
    )
    require_state(grant, (GrantState.ACTIVE,), _("suspend"))
    reason = require_text(reason, "reason", _("Say why the payment is suspended."))
    from_month = require_month(from_month or _next_month(today))
    require_month_of_grant(grant, from_month, "from_month")
    suspension = GrantSuspension(
        grant=grant, from_month=from_month, reason=reason, suspended_by=actor
    )
    with_actor(suspension, actor, reason).save()
    grant.state = GrantState.SUSPENDED
    with_actor(grant, actor, reason).save()
    audit(actor, grant, grant.town.code, "grant_suspend", from_month=from_month.isoformat())
    return grant


@transaction.atomic
def grant_resume(
    *,
    grant: Grant,
    actor,
    reason: str,
    from_month: datetime.date | None = None,
    today: datetime.date | None = None,
    now: datetime.datetime | None = None,
) -> Grant:
    """Resume payment from `from_month` (default: next month, at least the suspension's first
    month). Resuming from the month the suspension started withholds nothing."""
    today, now = when(today, now)
    grant = locked_grant(
        actor=actor, grant=grant, roles=DECIDER_ROLES, role_message=DECIDER_MESSAGE
    )
    require_state(grant, (GrantState.SUSPENDED,), _("resume"))
    reason = require_text(reason, "reason", _("Say why the payment resumes."))
    suspension = grant.suspensions.select_for_update().get(resumed_month__isnull=True)
    from_month = require_month(from_month or max(_next_month(today), suspension.from_month))
    if from_month < suspension.from_month:
        raise ValidationError(
            {
                "from_month": _("The suspension started with %(month)s: resume from then on.")
                % {"month": month_key(suspension.from_month)}
            }
        )
    suspension.resumed_month = from_month
    suspension.resumed_by = actor
    suspension.resume_reason = reason
    with_actor(suspension, actor, reason).save()
    grant.state = GrantState.ACTIVE
    with_actor(grant, actor, reason).save()
    audit(actor, grant, grant.town.code, "grant_resume", from_month=from_month.isoformat())
    return grant


def _reject_proposals_after(grant: Grant, month: datetime.date, *, actor, now) -> int:
    """Pending proposals for months the grant no longer pays are rejected with it."""
    reason = _("The grant ended with %(month)s.") % {"month": month_key(month)}
    pending = list(
        grant.schedule.select_for_update().filter(state=Entry.State.PROPOSED, from_month__gt=month)
    )
    for entry in pending:
        mark_rejected(entry, actor=actor, reason=reason, now=now)
    bulk_update_with_history(
        pending,
        ScheduleEntry,
        ["state", "rejected_by", "rejected_at", "rejection_reason"],
        default_user=actor,
        default_change_reason=reason,
    )
    return len(pending)


@transaction.atomic
def grant_terminate(
    *,
    grant: Grant,
    actor,
    reason: str,
    ends_month: datetime.date,
    today: datetime.date | None = None,
    now: datetime.datetime | None = None,
) -> Grant:
    """End the grant: `ends_month` is the last month it pays (not later than an end already
    set). Proposals for later months are rejected with it."""
    today, now = when(today, now)
    grant = locked_grant(
        actor=actor, grant=grant, roles=DECIDER_ROLES, role_message=DECIDER_MESSAGE
    )
    require_state(grant, (GrantState.ACTIVE, GrantState.SUSPENDED), _("terminate"))
    reason = require_text(reason, "reason", _("Say why the grant ends."))
    ends_month = require_month(ends_month, "ends_month")
    require_month_of_grant(grant, ends_month, "ends_month")
    grant.ends_month = ends_month
    grant.state = GrantState.TERMINATED
    grant.end_reason = reason
    with_actor(grant, actor, reason).save()
    _reject_proposals_after(grant, ends_month, actor=actor, now=now)
    audit(actor, grant, grant.town.code, "grant_terminate", ends_month=ends_month.isoformat())
    return grant


@transaction.atomic
def grant_cover_end(*, grant: Grant, person, actor, reason: str) -> Grant:
    """Stop covering a person who is covered twice (audit's enrolled_twice): the grant's
    application no longer names them among its covered members, so every month of the grant is
    calculated without them. Why a change of the named list and not a dated one: the person
    should never have been covered by this (later) grant, so no month of it covers them.

    Refused, changing nothing: a grant that covers every co-resident member (the person lives
    in the household: their membership is what to end), and a grant whose only covered member
    is the person (nobody is left to cover: an empty list would mean every member)."""
    grant = locked_grant(
        actor=actor, grant=grant, roles=DECIDER_ROLES, role_message=DECIDER_MESSAGE
    )
    require_state(grant, (GrantState.ACTIVE, GrantState.SUSPENDED), _("end a member's cover"))
    reason = require_text(reason, "reason", _("Say why the cover ends."))
    application = grant.application
    covered = list(application.covered_members.all())
    names = {"name": person.name, "id": grant.pk}
    if person not in covered:
        raise ValidationError(
            {
                "person": _(
                    "Grant #%(id)s does not name %(name)s among its covered members: they are "
                    "covered as a member of its household, so end their membership instead."
                )
                % names
            }
        )
    if len(covered) == 1:
        raise ValidationError(
            {
                "person": _(
                    "%(name)s is the only member grant #%(id)s covers: terminate the grant instead."
                )
                % names
            }
        )
    with_actor(application, actor, reason)
    application.covered_members.remove(person)
    audit(actor, grant, grant.town.code, "grant_cover_end", person=person.pk)
    return grant


def stepped_amounts(amount: Decimal, months: int) -> list[Decimal]:
    """A gradual exit stepped down in equal parts: month i of n pays amount × (n − i) / n,
    rounded to the fen (600.00 over 6 months: 600, 500, 400, 300, 200, 100)."""
    return [to_fen(amount * (months - i) / months) for i in range(months)]


@transaction.atomic
def grant_gradual_exit(
    *,
    grant: Grant,
    from_month: datetime.date,
    months: int,
    actor,
    reason: str,
    stepped: bool = False,
    today: datetime.date | None = None,
    now: datetime.datetime | None = None,
) -> Grant:
    """Gradual exit (渐退, DOMAIN.md §5): the grant pays `months` more months from
    `from_month` (at most the rule's gradual_exit_months) and then ends. It pays the amount in
    force throughout, or with `stepped` the stepped-down amounts, proposed as schedule entries
    for a second person to confirm."""
    today, now = when(today, now)
    grant = locked_grant(
        actor=actor, grant=grant, roles=DECIDER_ROLES, role_message=DECIDER_MESSAGE
    )
    require_not_temporary(grant)
    require_state(grant, (GrantState.ACTIVE,), _("start a gradual exit"))
    if grant.exit_from_month is not None:
        raise ValidationError(
            {
                "from_month": _("A gradual exit from %(month)s was already decided.")
                % {"month": month_key(grant.exit_from_month)}
            }
        )
    reason = require_text(reason, "reason", _("Say why the household leaves the scheme."))
    from_month = require_month(from_month)
    require_month_of_grant(grant, from_month, "from_month")
    limit = scheme_rule(scheme=grant.scheme, on=from_month).gradual_exit_months
    if not isinstance(months, int) or not 1 <= months <= limit:
        raise ValidationError(
            {"months": _("A gradual exit lasts from 1 to %(limit)s months.") % {"limit": limit}}
        )
    last = add_months(from_month, months - 1)
    require_month_of_grant(grant, last, "months")
    pending = (
        grant.schedule.filter(state=Entry.State.PROPOSED, from_month__gte=from_month)
        .order_by("from_month")
        .first()
    )
    if pending is not None:
        raise pending_proposal_error(pending)
    current = amount_in_force(grant=grant, month=from_month) or ZERO
    if stepped:
        amounts = stepped_amounts(current, months)
        for i, amount in enumerate(amounts[1:], start=1):
            entry = ScheduleEntry(
                grant=grant,
                from_month=add_months(from_month, i),
                amount=amount,
                calculation={
                    "gradual_exit": {
                        "amount_in_force": str(current),
                        "month": i + 1,
                        "months": months,
                        "rule": "amount × (months − month + 1) ÷ months",
                    }
                },
                state=Entry.State.PROPOSED,
                kind=Entry.Kind.GRADUAL_EXIT,
                reason=reason,
                proposed_by=actor,
                proposed_at=now,
            )
            with_actor(entry, actor, reason).save()
    grant.exit_from_month = from_month
    grant.ends_month = last
    grant.end_reason = reason
    with_actor(grant, actor, reason).save()
    audit(
        actor,
        grant,
        grant.town.code,
        "grant_gradual_exit",
        from_month=from_month.isoformat(),
        months=months,
        stepped=stepped,
    )
    return grant


@transaction.atomic
def gradual_exits_close(*, today: datetime.date) -> int:
    """Terminate the grants whose gradual exit has ended (their last month is before this
    month). Safe to run twice. Returns how many it terminated."""
    month = first_of_month(today)
    ended = list(
        Grant.objects.select_for_update()
        .filter(state=GrantState.ACTIVE, exit_from_month__isnull=False, ends_month__lt=month)
        .order_by("pk")
    )
    for grant in ended:
        grant.state = GrantState.TERMINATED
    bulk_update_with_history(
        ended,
        Grant,
        ["state"],
        batch_size=CHUNK_SIZE,
        default_change_reason=_("Gradual exit ended"),
    )
    return len(ended)
