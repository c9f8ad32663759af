"""Corrections (DOMAIN.md §9; DESIGN.md invariants): reassessments, the recoveries
(追回) and back-pay (补发) they create, their confirmation by a second person, and refunds.

The chain: a confirmed schedule entry that reaches back into months already paid → a
reassessment (automatic: payments.ledger's due − paid − corrected per month, from the entry's
month up to the last month with a paid line) → a recovery for the months overpaid and a back-pay
for the months underpaid, both proposed → a supervisor of the town (or the city supervisor) who
did not create them confirms or rejects them → only then does money move: a confirmed back-pay
goes into the next payment run (payments.runs), a confirmed recovery is repaid by refund
(recorded by finance here) or, where the payment rule in force allows it, by capped deductions
in the runs (payments.runs, settled by payments.returns).

Months not yet paid need no correction: the next run pays the confirmed amount.

Fraud (DOMAIN.md §9): a fine (1–3 × the amount) follows a separate penalty procedure, whose
decision payments.fines records; a fine never changes a recovery's balance.

Who: case workers and supervisors of the grant's town propose manual orders and reassess a grant;
a town supervisor of the town or the city supervisor confirms or rejects, never what they
created (orders the system created, created_by empty, any of them); finance records refunds.
Another town's order is a 404, the wrong role or one's own
order a 403, the wrong state a 400.
"""

import datetime
import logging
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases import selectors
from cases.grants import locked_grant, require_month
from cases.models import Grant, Role, ScheduleEntry
from cases.permissions import DECIDER_ROLES, PREPARER_ROLES, require_role, require_second_person
from relief.dates import first_of_month, month_key, parse_month_key, past_date, when
from relief.errors import require_text, state_error
from relief.history import with_actor
from relief.models import AuditEvent
from relief.money import ZERO, format_money, parse_amount, to_fen
from relief.services import record

from . import ledger
from . import selectors as payment_selectors
from .models import (
    BackPay,
    PaymentLine,
    Reassessment,
    ReassessmentMonth,
    Recovery,
    RecoveryRepayment,
)

logger = logging.getLogger(__name__)

PROPOSER_MESSAGE = gettext_lazy(
    "Only case workers and supervisors of the town propose corrections and reassess a grant."
)
DECIDER_MESSAGE = gettext_lazy(
    "Only a town supervisor of the town or the city supervisor may do this."
)
FINANCE_MESSAGE = gettext_lazy("Only a finance officer records refunds.")


# Reads the services share


def pending_deductions(grant_id: int) -> Decimal:
    """What the grant's deduction lines not yet returned by the bank will repay (positive)."""
    total = PaymentLine.objects.filter(
        grant_id=grant_id, kind=PaymentLine.Kind.DEDUCTION, status=PaymentLine.Status.PENDING
    ).aggregate(total=Sum("amount"))["total"]
    return -to_fen(total or ZERO)


# Reassessment


def _reason(reassessment: Reassessment, entry: ScheduleEntry | None, what: str) -> str:
    text = _("Reassessment #%(id)s of grant #%(grant)s, %(from)s to %(to)s: %(what)s.") % {
        "id": reassessment.pk,
        "grant": reassessment.grant_id,
        "from": month_key(reassessment.from_month),
        "to": month_key(reassessment.to_month),
        "what": what,
    }
    if entry is not None:
        text += " " + _(
            "Schedule entry #%(entry)s (%(amount)s yuan a month from %(month)s): %(reason)s"
        ) % {
            "entry": entry.pk,
            "amount": format_money(entry.amount),
            "month": month_key(entry.from_month),
            "reason": entry.reason or entry.get_kind_display(),
        }
    return text


@transaction.atomic
def reassess(
    *,
    grant: Grant,
    from_month: datetime.date,
    actor=None,
    schedule_entry: ScheduleEntry | None = None,
    today: datetime.date | None = None,
    now: datetime.datetime | None = None,
) -> Reassessment | None:
    """Due minus paid minus what is already corrected, month by month, from `from_month` up to
    the grant's last month with a paid line (payments.ledger), stored as ReassessmentMonth
    rows; a proposed Recovery for the sum of the negative differences and a proposed BackPay
    for the sum of the positive ones, each with its months. Neither moves money until a second
    person confirms it.

    A month in that range whose payment is still at the bank (a pending line) is refused: its
    return decides whether it was paid. Returns None, recording nothing, when no month from
    `from_month` on has been paid, or when every difference is 0 for a reassessment asked for
    by hand. A reassessment of a confirmed schedule entry is recorded even then (it marks the
    entry done); reassessing the same entry again returns the existing one. `actor` None: the
    system (the daily job); a person must be a case worker or supervisor of the grant's town."""
    _today, now = when(today, now)
    from_month = require_month(from_month, "from_month")
    if actor is None:
        grant = (
            Grant.objects.select_for_update(of=("self",)).select_related("town").get(pk=grant.pk)
        )
    else:
        grant = locked_grant(
            actor=actor, grant=grant, roles=PREPARER_ROLES, role_message=PROPOSER_MESSAGE
        )
    # The grant's lock serialises reassessments of one grant: the second sees the first's orders.
    if schedule_entry is not None:
        existing = Reassessment.objects.filter(schedule_entry=schedule_entry).first()
        if existing is not None:
            return existing
        if schedule_entry.grant_id != grant.pk:
            raise ValidationError(
                {"schedule_entry": _("The schedule entry belongs to another grant.")}
            )
        if schedule_entry.state != ScheduleEntry.State.CONFIRMED:
            raise ValidationError(
                {"schedule_entry": _("Only a confirmed schedule entry is reassessed.")}
            )
    last_paid = ledger.last_paid_month(grant)
    if last_paid is None or last_paid < from_month:
        return None
    at_bank = (
        PaymentLine.objects.filter(
            grant=grant,
            kind__in=ledger.ENTITLEMENT_KINDS,
            status=PaymentLine.Status.PENDING,
            period__gte=from_month,
            period__lte=last_paid,
        )
        .order_by("period")
        .values_list("period", flat=True)
        .first()
    )
    if at_bank is not None:
        # Counted as unpaid now, that month would be back-paid and then paid by its line too.
        raise ValidationError(
            {
                "from_month": _(
                    "The payment for %(month)s is still at the bank: reassess once its return "
                    "is imported."
                )
                % {"month": month_key(at_bank)}
            }
        )
    rows = ledger.grant_ledger(grant=grant, from_month=from_month, to_month=last_paid)
    overpaid = {row.month: -row.difference for row in rows if row.difference < 0}
    underpaid = {row.month: row.difference for row in rows if row.difference > 0}
    if not overpaid and not underpaid and schedule_entry is None:
        return None
    reassessment = Reassessment.objects.create(
        grant=grant,
        schedule_entry=schedule_entry,
        from_month=from_month,
        to_month=last_paid,
        overpaid=sum(overpaid.values(), ZERO),
        underpaid=sum(underpaid.values(), ZERO),
        created_at=now,
        created_by=actor,
    )
    ReassessmentMonth.objects.bulk_create(
        ReassessmentMonth(
            reassessment=reassessment,
            month=row.month,
            due=row.due,
            paid=row.paid,
            corrected=row.corrected,
            difference=row.difference,
        )
        for row in rows
    )
    for model, months, what in (
        (Recovery, overpaid, _("overpaid %(amount)s yuan")),
        (BackPay, underpaid, _("underpaid %(amount)s yuan")),
    ):
        if not months:
            continue
        amount = sum(months.values(), ZERO)
        reason = _reason(reassessment, schedule_entry, what % {"amount": format_money(amount)})
        order = model(
            grant=grant,
            reassessment=reassessment,
            months={month_key(month): str(value) for month, value in months.items()},
            amount=amount,
            reason=reason,
            state=model.State.PROPOSED,
            created_at=now,
            created_by=actor,
        )
        if model is Recovery:
            order.balance = amount
        with_actor(order, actor, reason).save()
    return reassessment


def reassessment_candidates() -> QuerySet[ScheduleEntry]:
    """Confirmed schedule entries without a reassessment that reached back into months already
    paid: a paid entitlement line of the grant for a month from the entry's month on was written
    before the entry was confirmed (so it paid the old schedule; a line written afterwards paid
    the new amount and needs no correction). An entry waits while a line of the grant for a
    month from then on is still pending at the bank: counted as unpaid, that month would be
    paid twice."""
    lines = PaymentLine.objects.filter(
        grant_id=OuterRef("grant_id"),
        kind__in=ledger.ENTITLEMENT_KINDS,
        period__gte=OuterRef("from_month"),
    )
    paid_before = lines.filter(
        status=PaymentLine.Status.PAID, created_at__lt=OuterRef("confirmed_at")
    )
    return (
        ScheduleEntry.objects.filter(state=ScheduleEntry.State.CONFIRMED, reassessment__isnull=True)
        .filter(Exists(paid_before))
        .exclude(Exists(lines.filter(status=PaymentLine.Status.PENDING)))
    )


def reassessments_pending(*, today: datetime.date | None = None, chunk_size: int = 500) -> int:
    """Reassess every confirmed schedule entry that reached back into paid months
    (reassessment_candidates), each in its own transaction, so a job killed half-way leaves
    whole reassessments done and the next run does the rest. Safe to run twice: an entry with a
    reassessment is no longer a candidate. An entry refused for now (its state changed
    meanwhile, a payment went to the bank meanwhile) is logged and left for the next run.
    Returns the number of reassessments recorded."""
    done = 0
    last_id = 0
    while True:
        entries = list(
            reassessment_candidates()
            .filter(pk__gt=last_id)
            .select_related("grant")
            .order_by("pk")[:chunk_size]
        )
        if not entries:
            return done
        for entry in entries:
            last_id = entry.pk
            try:
                result = reassess(
                    grant=entry.grant,
                    from_month=entry.from_month,
                    schedule_entry=entry,
                    today=today,
                )
            except ValidationError as exc:
                logger.warning("schedule entry %s not reassessed yet: %s", entry.pk, exc.messages)
                continue
            done += result is not None


# Manual orders (an audit finding, a correction outside a reassessment)


def _order_months(grant: Grant, months, today: datetime.date) -> dict[str, str]:
    if not isinstance(months, dict) or not months:
        raise ValidationError(
            {"months": _('Give the months and their amounts: {"YYYY-MM": "amount", ...}.')}
        )
    result = {}
    for key, value in sorted(months.items()):
        month = parse_month_key(str(key))
        if month < grant.starts_month or (grant.ends_month and month > grant.ends_month):
            raise ValidationError(
                {
                    "months": _("%(month)s is outside the grant's months.")
                    % {"month": month_key(month)}
                }
            )
        if month > first_of_month(today):
            raise ValidationError(
                {
                    "months": _("%(month)s is still to come: the payment run pays it.")
                    % {"month": month_key(month)}
                }
            )
        result[month_key(month)] = str(parse_amount(value, "months"))
    return result


def _order_create(model, *, actor, grant, months, reason, today, now, **fields):
    today, now = when(today, now)
    grant = locked_grant(
        actor=actor, grant=grant, roles=PREPARER_ROLES, role_message=PROPOSER_MESSAGE
    )
    reason = require_text(reason, "reason", _("Say why the correction is needed."))
    months = _order_months(grant, months, today)
    amount = sum((Decimal(value) for value in months.values()), ZERO)
    order = model(
        grant=grant,
        months=months,
        amount=amount,
        reason=reason,
        state=model.State.PROPOSED,
        created_at=now,
        created_by=actor,
        **fields,
    )
    if model is Recovery:
        order.balance = amount  # nothing repaid yet
    with_actor(order, actor, reason).save()
    return order


@transaction.atomic
def recovery_create(
    *,
    actor,
    grant: Grant,
    months: dict,
    reason: str,
    fraud: bool = False,
    today: datetime.date | None = None,
    now: datetime.datetime | None = None,
) -> Recovery:
    """Propose a recovery found outside a reassessment (e.g. an audit finding): the months
    overpaid and their amounts, and why. A second person confirms it before any money moves."""
    return _order_create(
        Recovery,
        actor=actor,
        grant=grant,
        months=months,
        reason=reason,
        today=today,
        now=now,
        fraud=bool(fraud),
    )


@transaction.atomic
def backpay_create(
    *,
    actor,
    grant: Grant,
    months: dict,
    reason: str,
    today: datetime.date | None = None,
    now: datetime.datetime | None = None,
) -> BackPay:
    """Propose a back-pay found outside a reassessment: the months underpaid and their
    amounts, and why. A second person confirms it; the next payment run pays it."""
    return _order_create(
        BackPay, actor=actor, grant=grant, months=months, reason=reason, today=today, now=now
    )


# Confirmation and rejection (a second person)


def locked_order(model, *, actor, order, roles, role_message):
    """The order, locked: another town's is a 404, the wrong role a 403."""
    order = selectors.get_in_scope(
        selectors.scope_by_town(model.objects.all(), actor, "grant__town")
        .select_for_update(of=("self",))
        .select_related("grant__town"),
        pk=order.pk,
    )
    require_role(actor, roles, role_message)
    return order


ORDER_STATE = gettext_lazy("Cannot %(action)s: the order is %(state)s (%(code)s).")


def _require_second_person(actor, order, what: str) -> None:
    # Money changes need two people (DESIGN.md): whoever created an order does not decide it.
    # An order the system created (created_by empty) may be decided by any supervisor.
    require_second_person(
        actor,
        order.created_by_id,
        _("You created this order, so someone else must %(what)s it.") % {"what": what},
    )


def _audit_confirmation(actor, order, what: str, **data) -> None:
    record(
        actor=actor,
        action=AuditEvent.Action.APPROVE,
        target=order,
        town_code=order.grant.town.code,
        what=what,
        grant=order.grant_id,
        amount=str(order.amount),
        months=order.months,
        **data,
    )


@transaction.atomic
def recovery_confirm(
    *,
    actor,
    recovery: Recovery,
    method: str = Recovery.Method.REFUND,
    fraud: bool | None = None,
    note: str = "",
    today: datetime.date | None = None,
    now: datetime.datetime | None = None,
) -> Recovery:
    """Confirm a proposed recovery and how it is repaid: by refund, or by deduction from future
    payments only where the payment rule in force today allows it (DOMAIN.md §9: configurable,
    capped, off by default). `fraud` sets whether fraud was involved (None keeps the proposal's
    flag). A second person only; confirming a confirmed recovery again changes nothing."""
    today, now = when(today, now)
    recovery = locked_order(
        Recovery, actor=actor, order=recovery, roles=DECIDER_ROLES, role_message=DECIDER_MESSAGE
    )
    if recovery.state in (Recovery.State.CONFIRMED, Recovery.State.SETTLED):
        return recovery
    if recovery.state != Recovery.State.PROPOSED:
        raise state_error(recovery, _("confirm"), ORDER_STATE)
    _require_second_person(actor, recovery, _("confirm"))
    if method not in Recovery.Method.values:
        raise ValidationError(
            {"method": _("Choose refund or deduction (not “%(value)s”).") % {"value": method}}
        )
    if method == Recovery.Method.DEDUCTION:
        rule = payment_selectors.payment_rule_in_force(today)
        if rule is None or not rule.deductions_allowed:
            raise ValidationError(
                {
                    "method": _(
                        "Recovery by deduction is not allowed by the payment rules in force on "
                        "%(day)s: choose refund."
                    )
                    % {"day": today.isoformat()}
                }
            )
    recovery.method = method
    if fraud is not None:
        recovery.fraud = bool(fraud)
    recovery.state = Recovery.State.CONFIRMED
    recovery.confirmed_by = actor
    recovery.confirmed_at = now
    recovery.decision_note = (note or "").strip()
    with_actor(recovery, actor, recovery.decision_note or _("Recovery confirmed")).save()
    _audit_confirmation(actor, recovery, "recovery", method=recovery.method, fraud=recovery.fraud)
    return recovery


@transaction.atomic
def recovery_reject(*, actor, recovery: Recovery, reason: str) -> Recovery:
    """Reject a proposed recovery with reasons (a second person, as for confirming). Its months
    count as uncorrected again. Rejecting a rejected recovery again changes nothing."""
    recovery = locked_order(
        Recovery, actor=actor, order=recovery, roles=DECIDER_ROLES, role_message=DECIDER_MESSAGE
    )
    return _reject(actor, recovery, reason)


@transaction.atomic
def backpay_confirm(
    *, actor, backpay: BackPay, note: str = "", now: datetime.datetime | None = None
) -> BackPay:
    """Confirm a proposed back-pay: the next payment run pays it (a second person only).
    Confirming a confirmed back-pay again changes nothing."""
    _today, now = when(None, now)
    backpay = locked_order(
        BackPay, actor=actor, order=backpay, roles=DECIDER_ROLES, role_message=DECIDER_MESSAGE
    )
    if backpay.state in (BackPay.State.CONFIRMED, BackPay.State.SETTLED):
        return backpay
    if backpay.state != BackPay.State.PROPOSED:
        raise state_error(backpay, _("confirm"), ORDER_STATE)
    _require_second_person(actor, backpay, _("confirm"))
    backpay.state = BackPay.State.CONFIRMED
    backpay.confirmed_by = actor
    backpay.confirmed_at = now
    backpay.decision_note = (note or "").strip()
    with_actor(backpay, actor, backpay.decision_note or _("Back-pay confirmed")).save()
    _audit_confirmation(actor, backpay, "backpay")
    return backpay


@transaction.atomic
def backpay_reject(*, actor, backpay: BackPay, reason: str) -> BackPay:
    """Reject a proposed back-pay with reasons (a second person). Rejecting a rejected
    back-pay again changes nothing."""
    backpay = locked_order(
        BackPay, actor=actor, order=backpay, roles=DECIDER_ROLES, role_message=DECIDER_MESSAGE
    )
    return _reject(actor, backpay, reason)


def _reject(actor, order, reason: str):
    if order.state == order.State.REJECTED:
        return order
    if order.state != order.State.PROPOSED:
        raise state_error(order, _("reject"), ORDER_STATE)
    _require_second_person(actor, order, _("reject"))
    reason = require_text(reason, "reason", _("Give the reasons for the rejection."))
    # confirmed_by/at stay empty: the history row records who rejected it, and when.
    order.state = order.State.REJECTED
    order.decision_note = reason
    with_actor(order, actor, reason).save()
    return order


# Repayment by refund


@transaction.atomic
def recovery_refund_record(
    *,
    actor,
    recovery: Recovery,
    amount,
    received_on: datetime.date,
    note: str = "",
    today: datetime.date | None = None,
    now: datetime.datetime | None = None,
) -> RecoveryRepayment:
    """Record money the household paid back (finance): it lowers the balance, never below 0,
    and the recovery is settled at 0. Only a confirmed recovery is repaid (money moves only
    after confirmation). For a recovery repaid by deduction, the deduction lines still at the
    bank count as repaid already, so a refund and a deduction together never repay more than
    the balance."""
    today, now = when(today, now)
    recovery = locked_order(
        Recovery, actor=actor, order=recovery, roles={Role.FINANCE}, role_message=FINANCE_MESSAGE
    )
    if recovery.state != Recovery.State.CONFIRMED:
        raise state_error(recovery, _("record a refund"), ORDER_STATE)
    amount = parse_amount(amount, "amount")
    received_on = past_date(received_on, "received_on", today)
    open_balance = recovery.balance
    if recovery.method == Recovery.Method.DEDUCTION:
        open_balance -= min(pending_deductions(recovery.grant_id), open_balance)
    if amount > open_balance:
        raise ValidationError(
            {
                "amount": _(
                    "%(amount)s yuan is more than the %(balance)s yuan still owed: a balance "
                    "never goes below 0."
                )
                % {"amount": amount, "balance": open_balance}
            }
        )
    note = (note or "").strip()
    repayment = RecoveryRepayment.objects.create(
        recovery=recovery,
        amount=amount,
        received_on=received_on,
        note=note[:200],
        recorded_by=actor,
        recorded_at=now,
    )
    recovery.balance -= amount
    if recovery.balance == ZERO:
        recovery.state = Recovery.State.SETTLED
    reason = _("Refund of %(amount)s yuan received on %(day)s") % {
        "amount": amount,
        "day": received_on.isoformat(),
    }
    with_actor(recovery, actor, f"{reason}: {note}" if note else reason).save()
    record(
        actor=actor,
        action=AuditEvent.Action.REFUND,
        target=recovery,
        town_code=recovery.grant.town.code,
        amount=str(amount),
        received_on=received_on.isoformat(),
        balance=str(recovery.balance),
    )
    return repayment
