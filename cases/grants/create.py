"""The grant an approval creates, with its first confirmed schedule entries (DESIGN.md: a grant
pays its confirmed amount schedule; money changes need two people, and the approval IS the
second person's confirmation of the amount the preparer's application computed)."""

import datetime
from decimal import Decimal

from django.utils.translation import gettext as _

from relief.dates import add_months, first_of_month
from relief.history import with_actor
from relief.money import to_fen

from ..models import Application, Grant, ScheduleEntry
from .rechecks import recheck_due_after


def grant_starts_month(application: Application, decided_on: datetime.date) -> datetime.date:
    """Dibao and tekun are paid from the month after approval (DOMAIN.md §5, confirmed for
    Dongguan); temporary assistance is disbursed within days of approval, so its first
    instalment is the month of approval."""
    if application.scheme.is_temporary:
        return first_of_month(decided_on)
    return add_months(first_of_month(decided_on), 1)


def instalment_amounts(total: Decimal, instalments: int) -> list[Decimal]:
    """`total` split into monthly instalments rounded to the fen; the last one takes the
    remainder, so they add up to the total exactly (1000.00 in 3: 333.33, 333.33, 333.34)."""
    each = to_fen(total / instalments)
    return [each] * (instalments - 1) + [total - each * (instalments - 1)]


def grant_create(
    *,
    application: Application,
    approver,
    now: datetime.datetime,
    decided_on: datetime.date,
    amount: Decimal | None,
    calculation: dict,
) -> Grant:
    """Create the grant of an approved application and its confirmed schedule: one entry at the
    calculated monthly total for dibao and tekun; for temporary assistance one entry per
    distinct instalment amount, the grant ending with the last instalment."""
    starts = grant_starts_month(application, decided_on)
    temporary = application.scheme.is_temporary
    grant = Grant(
        application=application,
        household=application.household,
        scheme=application.scheme,
        town=application.town,
        starts_month=starts,
        approved_amount=application.approved_amount if temporary else None,
        instalments=application.instalments if temporary else None,
    )
    if temporary:
        grant.ends_month = add_months(starts, application.instalments - 1)
    else:
        grant.recheck_due_on = recheck_due_after(grant=grant, on=decided_on)
    with_actor(grant, approver, _("Granted on approval")).save()

    if temporary:
        amounts = instalment_amounts(application.approved_amount, application.instalments)
        entries = []
        for index, value in enumerate(amounts):
            if index == 0 or value != amounts[index - 1]:
                entries.append((add_months(starts, index), value))
    else:
        entries = [(starts, amount)]
    for from_month, value in entries:
        entry = ScheduleEntry(
            grant=grant,
            from_month=from_month,
            amount=value,
            calculation=calculation,
            state=ScheduleEntry.State.CONFIRMED,
            reason=_("Approved application #%(id)s") % {"id": application.pk},
            proposed_by=application.created_by,
            confirmed_by=approver,
            confirmed_at=now,
        )
        with_actor(entry, approver, _("Confirmed by the approval")).save()
    return grant
