"""Fine decisions (DOMAIN.md §9): for fraud, a fine of 1–3 × the amount is decided in a separate
penalty procedure. Relief records the decision on the confirmed recovery it follows, and never
computes, deducts or adds one: a fine never changes a recovery's balance."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from cases.permissions import DECIDER_ROLES
from relief.dates import past_date, when
from relief.errors import require_text, state_error
from relief.history import with_actor
from relief.models import AuditEvent
from relief.money import parse_amount
from relief.services import record

from .corrections import DECIDER_MESSAGE, ORDER_STATE, locked_order
from .models import FineDecision, Recovery


@transaction.atomic
def fine_decision_record(
    *,
    actor,
    recovery: Recovery,
    amount,
    decided_on: datetime.date,
    reference: str,
    note: str = "",
    today: datetime.date | None = None,
    now: datetime.datetime | None = None,
) -> FineDecision:
    """Record a fine decided in the separate penalty procedure for fraud (DOMAIN.md §9: 1–3 ×
    the amount): only on a confirmed recovery with fraud involved; the amount is the
    decision's, never computed, and never deducted or added to the balance."""
    today, now = when(today, now)
    recovery = locked_order(
        Recovery, actor=actor, order=recovery, roles=DECIDER_ROLES, role_message=DECIDER_MESSAGE
    )
    if not recovery.fraud:
        raise ValidationError(
            {
                "recovery": _(
                    "A fine is recorded only for a recovery where fraud was involved: this one "
                    "is not marked as fraud."
                )
            }
        )
    if recovery.state not in (Recovery.State.CONFIRMED, Recovery.State.SETTLED):
        raise state_error(recovery, _("record a fine decision"), ORDER_STATE)
    amount = parse_amount(amount, "amount")
    decided_on = past_date(decided_on, "decided_on", today)
    reference = require_text(reference, "reference", _("Give the decision's reference."))
    note = (note or "").strip()
    fine = FineDecision(
        recovery=recovery,
        amount=amount,
        decided_on=decided_on,
        reference=reference[:100],
        note=note,
        recorded_by=actor,
        recorded_at=now,
    )
    with_actor(fine, actor, note or _("Fine decision %(reference)s") % {"reference": reference})
    fine.save()
    record(
        actor=actor,
        action=AuditEvent.Action.FINE,
        target=recovery,
        town_code=recovery.grant.town.code,
        amount=str(amount),
        reference=reference,
    )
    return fine
