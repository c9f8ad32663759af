"""A batch's way to the bank (DOMAIN.md §2): maker-checker.

draft → submitted (by a town supervisor of the town or the city supervisor: the submitter is
the maker; a run the scheduler started has no maker until someone submits it) → approved (by a
supervisor who is not the maker; a check constraint backs it) → sent (by a finance officer, who
neither submits nor approves) → reconciled (by the bank return, payments.returns). A rejected
submission goes back to draft.

Every transition locks the batch, re-checks its state, saves it with history (actor, reason)
and records an audit event: "approve" for approvals (relief.services.record), "submit",
"reject" and "send" for the others. Another town's batch does not exist for the actor (404),
the wrong role or approving one's own batch is a 403, the wrong state a 400.

Sending a disbursement or urgent batch stops the disbursement clock of each temporary-
assistance application it pays (cases.workflow.decisions.application_disbursement_record): a
send after the due date becomes a breach record by itself (cases.workflow.clocks).
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases import selectors as case_selectors
from cases.models import Application, Clock, Role
from cases.permissions import DECIDER_ROLES, require_role, require_second_person
from cases.workflow.decisions import application_disbursement_record
from relief.dates import month_key, when
from relief.errors import require_text, state_error
from relief.history import with_actor
from relief.models import AuditEvent
from relief.services import record

from . import runs, selectors
from .models import Batch, PaymentLine

State = Batch.State

# Audit actions of the transitions that are not approvals.
AUDIT_SUBMIT = AuditEvent.Action.SUBMIT
AUDIT_REJECT = AuditEvent.Action.REJECT
AUDIT_SEND = AuditEvent.Action.SEND

SUPERVISOR_MESSAGE = gettext_lazy(
    "Only a town supervisor of the batch's town or the city supervisor may do this."
)
FINANCE_MESSAGE = gettext_lazy("Only a finance officer marks a batch sent to the bank.")
BATCH_STATE = gettext_lazy("Cannot %(action)s: the batch is %(state)s (%(code)s).")
NO_BANK_FILE = gettext_lazy(
    "Cannot mark sent: no bank file of batch #%(id)s has been exported. A batch goes to the bank "
    "only as its exported bank file: export it first, then mark the batch sent."
)


def _locked(*, actor, batch: Batch, states, action: str, roles, role_message) -> Batch:
    """The batch, locked for the rest of the transaction, after the checks in this order:
    scope (404), role (403), state (400)."""
    batch = case_selectors.get_in_scope(
        selectors.batches_in_scope(actor).select_for_update(of=("self",)).select_related("town"),
        pk=batch.pk,
    )
    require_role(actor, roles, role_message)
    if batch.state not in states:
        raise state_error(batch, action, BATCH_STATE)
    return batch


def _audit(actor, batch: Batch, action: str, **data) -> None:
    record(
        actor=actor,
        action=action,
        target=batch,
        town_code=batch.town.code,
        period=month_key(batch.period),
        kind=batch.kind,
        lines=batch.line_count,
        total=str(batch.total_amount),
        **data,
    )


@transaction.atomic
def batch_submit(*, actor, batch: Batch, now: datetime.datetime | None = None) -> Batch:
    """Submit a draft batch for approval: the submitter is its maker."""
    now = now or timezone.now()
    batch = _locked(
        actor=actor,
        batch=batch,
        states=[State.DRAFT],
        action=_("submit"),
        roles=DECIDER_ROLES,
        role_message=SUPERVISOR_MESSAGE,
    )
    if not batch.lines.exists():
        raise ValidationError({"lines": _("A batch with no lines cannot be submitted.")})
    batch.state = State.SUBMITTED
    batch.submitted_by = actor
    batch.submitted_at = now
    with_actor(batch, actor, _("Submitted for approval")).save()
    _audit(actor, batch, AUDIT_SUBMIT)
    return batch


@transaction.atomic
def batch_approve(*, actor, batch: Batch, now: datetime.datetime | None = None) -> Batch:
    """Approve a submitted batch: a supervisor who is not its maker (DOMAIN.md §2)."""
    now = now or timezone.now()
    batch = _locked(
        actor=actor,
        batch=batch,
        states=[State.SUBMITTED],
        action=_("approve"),
        roles=DECIDER_ROLES,
        role_message=SUPERVISOR_MESSAGE,
    )
    require_second_person(
        actor,
        batch.submitted_by_id,
        _("You submitted this batch, so another supervisor must approve it."),
    )
    batch.state = State.APPROVED
    batch.approved_by = actor
    batch.approved_at = now
    with_actor(batch, actor, _("Approved")).save()
    _audit(actor, batch, AuditEvent.Action.APPROVE, what="payment_batch")
    return batch


@transaction.atomic
def batch_reject(*, actor, batch: Batch, reason: str) -> Batch:
    """Send a submitted batch back to draft with reasons. If a run opened a new draft for the
    same town and period (and day, for temporary assistance) meanwhile, its lines join this
    batch (one draft at a time) and the empty draft is removed."""
    batch = _locked(
        actor=actor,
        batch=batch,
        states=[State.SUBMITTED],
        action=_("reject"),
        roles=DECIDER_ROLES,
        role_message=SUPERVISOR_MESSAGE,
    )
    reason = require_text(reason, "reason", _("Give the reasons for the rejection."))
    # The run's lock: no run adds to a draft of this town while the drafts merge.
    runs.lock_town(kind=batch.kind, period=batch.period, town=batch.town)
    others = list(
        runs.open_drafts(
            town=batch.town,
            kind=batch.kind,
            period=batch.period,
            business_date=batch.business_date,
        ).exclude(pk=batch.pk)
    )
    merged = [other.pk for other in others]
    for other in others:
        PaymentLine.objects.filter(batch=other).update(batch=batch)
        with_actor(
            other, actor, _("Merged into rejected batch #%(id)s") % {"id": batch.pk}
        ).delete()
    batch.state = State.DRAFT
    batch.submitted_by = None
    batch.submitted_at = None
    with_actor(batch, actor, reason).save()
    if merged:
        runs.batch_number_rows(batch)
        runs.batch_set_totals(
            batch,
            actor=actor,
            reason=_("Lines of draft %(ids)s joined")
            % {"ids": ", ".join(f"#{pk}" for pk in merged)},
        )
    _audit(actor, batch, AUDIT_REJECT, reason=reason, merged=merged)
    return batch


@transaction.atomic
def batch_send(
    *,
    actor,
    batch: Batch,
    today: datetime.date | None = None,
    now: datetime.datetime | None = None,
) -> Batch:
    """Mark an approved batch sent to the bank (finance). Only a batch whose bank file has been
    exported can be: money goes to the bank as that file (its SHA-256 is on record), so a batch
    marked sent without one would be a payment nobody can trace. Sending a disbursement or urgent
    batch records the disbursement of each temporary-assistance application it pays, which
    stops its disbursement clock (a late one gets its breach record); an application whose
    disbursement is already recorded is left alone."""
    today, now = when(today, now)
    batch = _locked(
        actor=actor,
        batch=batch,
        states=[State.APPROVED],
        action=_("mark sent"),
        roles={Role.FINANCE},
        role_message=FINANCE_MESSAGE,
    )
    if not batch.bank_files.exists():
        raise ValidationError({"state": str(NO_BANK_FILE) % {"id": batch.pk}})
    batch.state = State.SENT
    batch.sent_by = actor
    batch.sent_at = now
    with_actor(batch, actor, _("Sent to the bank")).save()
    recorded = []
    if batch.kind in (Batch.Kind.DISBURSEMENT, Batch.Kind.URGENT):
        applications = Application.objects.filter(
            grant__payment_lines__batch=batch,
            state=Application.State.APPROVED,
            clocks__kind=Clock.Kind.DISBURSEMENT,
            clocks__stopped_on__isnull=True,
        ).distinct()
        note = _("Paid in batch #%(id)s") % {"id": batch.pk}
        for application in applications.order_by("id"):
            application_disbursement_record(
                actor=actor, application=application, note=note, today=today, now=now
            )
            recorded.append(application.pk)
    _audit(actor, batch, AUDIT_SEND, disbursements=recorded)
    return batch
