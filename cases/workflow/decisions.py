"""Deciding (DOMAIN.md §2, §5, §6): extensions, approval and rejection, emergency approval, and
the disbursement that stops the last clock of temporary assistance.

Who decides: a town supervisor within the town's authority, or the city supervisor; never a
case worker, and never someone who prepared the application (created it or carried out any of
its steps). Temporary assistance above the town's threshold is decided by the city supervisor.
Approvals are audit events (relief.services.record) as well as steps of the application.
"""

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from relief.dates import when
from relief.errors import require_text
from relief.models import AuditEvent
from relief.money import format_money
from relief.people import staff_name
from relief.services import record

from .. import inbox
from ..calculation import check_proposed_amount, refusal_message, temporary_band
from ..grants.create import grant_create
from ..models import Application, ApplicationEvent, Clock, Extension, Notification, Role
from ..models.applications import OPEN_STATES
from ..permissions import DECIDER_ROLES, role_of
from . import clocks
from .checks import (
    State,
    application_state_error,
    current_calculation,
    event,
    is_dibao_like,
    locked,
    require_not_preparer,
    rule,
    save,
)

Kind = ApplicationEvent.Kind

DECIDER_MESSAGE = gettext_lazy("Only a town or city supervisor may decide; case workers prepare.")

# Dibao and tekun are approved after the notice; they may be rejected from acceptance on (an
# ineligible household found at the home visit is not posted). Temporary assistance is decided
# after acceptance, with or without a home visit.
DIBAO_APPROVE_STATES = [State.NOTICE_ENDED]
DIBAO_REJECT_STATES = [State.ACCEPTED, State.VISITED, State.OPINION, State.NOTICE_ENDED]
TEMPORARY_DECIDE_STATES = [State.ACCEPTED, State.VISITED]


@transaction.atomic
def application_extend(
    *, actor, application: Application, reason: str, today=None, now=None
) -> Extension:
    """Approve an extension of the overall limit (30 → 45 working days, DOMAIN.md §6): an
    explicit event with its approver (a supervisor who did not prepare the application) and
    its reason."""
    today, now = when(today, now)
    application = locked(
        actor=actor,
        application=application,
        states=[s for s in OPEN_STATES if s not in (State.DRAFT, State.SUBMITTED)],
        action=_("extend"),
        roles=DECIDER_ROLES,
        role_message=_("Only a town or city supervisor may approve an extension."),
        while_paused=True,
    )
    if not is_dibao_like(application):
        raise ValidationError({"state": _("Temporary assistance has no overall limit to extend.")})
    require_not_preparer(actor, application, _("approve its extension"))
    reason = require_text(reason, "reason", _("Say why the extension is needed."))
    if Extension.objects.filter(application=application).exists():
        raise ValidationError({"state": _("An extension was already approved.")})
    overall = application.clocks.filter(kind=Clock.Kind.OVERALL, stopped_on__isnull=True).first()
    if overall is None:
        raise ValidationError({"state": _("The overall clock is not running.")})
    extension = Extension.objects.create(
        application=application, approver=actor, reason=reason, at=now
    )
    limit = rule(application, application.accepted_on).extended_overall_days
    clocks.clock_set_limit(clock=overall, limit_days=limit, actor=actor, reason=reason)
    event(application, Kind.EXTENDED, actor=actor, now=now, note=reason, limit_days=limit)
    record(
        actor=actor,
        action=AuditEvent.Action.APPROVE,
        target=application,
        town_code=application.town.code,
        what="extension",
        limit_days=limit,
        reason=reason,
    )
    return extension


def _require_city_when_needed(actor, application: Application, amount, today) -> None:
    if application.needs_city and role_of(actor) != Role.CITY_SUPERVISOR:
        band = temporary_band(scheme=application.scheme, town=application.town_id, on=today)
        raise PermissionDenied(
            _(
                "The amount %(amount)s yuan is above the town's approval threshold of "
                "%(threshold)s yuan: the city supervisor decides it."
            )
            % {"amount": format_money(amount), "threshold": format_money(band.town_threshold)}
        )


@transaction.atomic
def application_decide(
    *,
    actor,
    application: Application,
    approve: bool,
    reasons: str = "",
    approved_amount: Decimal | None = None,
    today=None,
    now=None,
) -> Application:
    """Approve or reject. A rejection needs written reasons. Approving dibao or tekun stores the
    calculation for the first month paid (the month after approval) and creates the grant with
    that total as its first, confirmed schedule entry; an ineligible household cannot be
    approved. Approving temporary assistance approves the proposed amount (DOMAIN.md §5: the
    case worker proposes an amount and its basis, the approver approves that amount):
    `approved_amount`, when given, must be that amount; who may approve follows from it.
    Approval creates the grant and starts the disbursement clock."""
    today, now = when(today, now)
    application = locked(
        actor=actor,
        application=application,
        states=OPEN_STATES,
        action=_("decide"),
        roles=DECIDER_ROLES,
        role_message=DECIDER_MESSAGE,
    )
    if is_dibao_like(application):
        states = DIBAO_APPROVE_STATES if approve else DIBAO_REJECT_STATES
    else:
        states = TEMPORARY_DECIDE_STATES
    if application.state not in states:
        raise application_state_error(application, _("approve") if approve else _("reject"))
    require_not_preparer(actor, application, _("decide it"))
    reasons = (reasons or "").strip()
    if not approve:
        _require_city_when_needed(actor, application, application.proposed_amount, today)
        require_text(reasons, "reasons", _("Give the written reasons for the rejection."))
        return _reject(actor=actor, application=application, reasons=reasons, today=today, now=now)
    if application.scheme.is_temporary:
        return _approve_temporary(
            actor=actor,
            application=application,
            approved_amount=approved_amount,
            reasons=reasons,
            today=today,
            now=now,
        )
    if approved_amount is not None:
        raise ValidationError(
            {"approved_amount": _("Dibao and tekun amounts come from the calculation.")}
        )
    return _approve_calculated(
        actor=actor, application=application, reasons=reasons, today=today, now=now
    )


def application_emergency_approve(
    *,
    actor,
    application: Application,
    approved_amount: Decimal | None = None,
    reasons: str = "",
    today=None,
    now=None,
) -> Application:
    """Emergency procedure (先行救助, DOMAIN.md §5): approve and pay first, right after
    acceptance; the file is completed afterwards (application_file_complete). The decision
    rules are those of every approval."""
    if application.procedure != Application.Procedure.EMERGENCY:
        raise ValidationError(
            {"procedure": _("Only an application under the emergency procedure is paid first.")}
        )
    return application_decide(
        actor=actor,
        application=application,
        approve=True,
        reasons=reasons,
        approved_amount=approved_amount,
        today=today,
        now=now,
    )


def _decided(application, *, actor, approve: bool, reasons: str, now) -> None:
    application.decision = (
        Application.Decision.APPROVED if approve else Application.Decision.REJECTED
    )
    application.state = State.APPROVED if approve else State.REJECTED
    application.decision_reasons = reasons
    application.decided_by = actor
    application.decided_at = now
    save(application, actor, reasons or application.get_decision_display())
    inbox.notify(
        user_id=application.created_by_id,
        kind=Notification.Kind.DECISION,
        key=f"decision:application:{application.pk}",
        message=_("Application #%(id)s was %(decision)s by %(user)s.")
        % {
            "id": application.pk,
            "decision": application.get_decision_display().lower(),
            "user": staff_name(actor),
        },
        application=application,
    )


def _reject(*, actor, application, reasons, today, now) -> Application:
    clocks.clocks_stop_all(application=application, on=today, actor=actor)
    _decided(application, actor=actor, approve=False, reasons=reasons, now=now)
    event(application, Kind.REJECTED, actor=actor, now=now, note=reasons)
    return application


def _audit_approval(actor, application, amount) -> None:
    record(
        actor=actor,
        action=AuditEvent.Action.APPROVE,
        target=application,
        town_code=application.town.code,
        what="application",
        scheme=application.scheme.code,
        amount=str(amount) if amount is not None else None,
    )


def _approve_calculated(*, actor, application, reasons, today, now) -> Application:
    calculation = current_calculation(application, today)
    if not calculation.eligible:
        raise ValidationError(
            {"calculation": f"{refusal_message(calculation)} {_('It cannot be approved.')}"}
        )
    application.calculation = calculation.as_dict()
    clocks.clocks_stop_all(application=application, on=today, actor=actor)
    _decided(application, actor=actor, approve=True, reasons=reasons, now=now)
    grant_create(
        application=application,
        approver=actor,
        now=now,
        decided_on=today,
        amount=calculation.total,
        calculation=application.calculation,
    )
    event(
        application, Kind.APPROVED, actor=actor, now=now, note=reasons, total=str(calculation.total)
    )
    _audit_approval(actor, application, calculation.total)
    return application


def _approve_temporary(*, actor, application, approved_amount, reasons, today, now) -> Application:
    amount = application.proposed_amount
    if amount is None:
        raise ValidationError({"proposed_amount": _("There is no proposed amount to approve.")})
    # Who decides follows from the proposed amount (DOMAIN.md §5: above the town threshold the
    # city bureau approves), as found at submission or by today's band, whichever asks for the
    # city: never from an amount the approver types.
    band_error = None
    try:
        needs_city = check_proposed_amount(
            scheme=application.scheme, town=application.town_id, on=today, amount=amount
        )
    except ValidationError as exc:
        band_error, needs_city = exc, False
    application.needs_city = application.needs_city or needs_city
    _require_city_when_needed(actor, application, amount, today)
    if band_error is not None:
        raise ValidationError({"proposed_amount": band_error.messages}) from None
    if approved_amount is not None and approved_amount != amount:
        raise ValidationError(
            {
                "approved_amount": _(
                    "The approver approves the proposed amount of %(amount)s yuan (the case "
                    "worker proposes the amount and states its basis); to change it, the case "
                    "worker changes the proposal."
                )
                % {"amount": format_money(amount)}
            }
        )
    calculation = current_calculation(application, today)
    if not calculation.eligible:
        raise ValidationError(
            {"calculation": f"{refusal_message(calculation)} {_('It cannot be approved.')}"}
        )
    application.approved_amount = amount
    application.calculation = calculation.as_dict()
    approval = application.clocks.filter(kind=Clock.Kind.APPROVAL).first()
    if approval is not None:
        clocks.clock_stop(clock=approval, on=today, actor=actor)
    _decided(application, actor=actor, approve=True, reasons=reasons, now=now)
    clocks.clock_start(
        application=application,
        kind=Clock.Kind.DISBURSEMENT,
        started_on=today,
        limit_days=rule(application, today).disbursement_days,
        holder_role=Role.FINANCE,
        actor=actor,
    )
    grant_create(
        application=application,
        approver=actor,
        now=now,
        decided_on=today,
        amount=amount,
        calculation=application.calculation,
    )
    event(
        application,
        Kind.APPROVED,
        actor=actor,
        now=now,
        note=reasons,
        amount=str(amount),
        emergency=application.procedure == Application.Procedure.EMERGENCY,
    )
    _audit_approval(actor, application, amount)
    return application


@transaction.atomic
def application_disbursement_record(
    *, actor, application: Application, note: str = "", today=None, now=None
) -> Application:
    """Finance records that approved temporary assistance was disbursed: the disbursement clock
    stops (DOMAIN.md §1: 38 payments approved but not disbursed in time)."""
    today, now = when(today, now)
    application = locked(
        actor=actor,
        application=application,
        states=[State.APPROVED],
        action=_("record the disbursement"),
        roles={Role.FINANCE},
        role_message=_("Only a finance officer records a disbursement."),
    )
    clock = application.clocks.filter(kind=Clock.Kind.DISBURSEMENT).first()
    if clock is None:
        raise ValidationError({"state": _("This application has no disbursement to record.")})
    if clock.stopped_on is not None:
        raise ValidationError({"state": _("The disbursement is already recorded.")})
    clocks.clock_stop(clock=clock, on=today, actor=actor)
    event(application, Kind.DISBURSED, actor=actor, now=now, note=note)
    return application
