"""Preparing an application (DOMAIN.md §6): create, edit the draft, submit (the completeness
check), accept (clocks start), withdraw, and complete an emergency file after the payment. The
steps between acceptance and decision are in cases.workflow.steps.

Every service is keyword-only, takes the actor and `today`/`now` (tests pin time), locks the
application row, re-checks its state and writes the step log (ApplicationEvent) and history in
one transaction. Decisions are in cases.workflow.decisions.
"""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from relief.dates import when
from relief.errors import Errors, require_text
from relief.workdays import first_working_day_on_or_after

from .. import selectors
from .. import services as registry
from ..calculation import check_proposed_amount
from ..models import (
    Application,
    ApplicationEvent,
    Clock,
    Household,
    Membership,
    Person,
    Role,
    Scheme,
)
from ..models.applications import OPEN_STATES
from . import clocks
from .checks import (
    State,
    decider_role,
    event,
    is_dibao_like,
    locked,
    open_pause,
    require_preparer_role,
    rule,
    save,
)
from .completeness import missing_items

Kind = ApplicationEvent.Kind

# The fields a draft may change, and their checks.
DRAFT_FIELDS = {
    "procedure",
    "covered_members",
    "no_income_declared",
    "proposed_amount",
    "amount_basis",
    "instalments",
    "note",
}


def _check_fields(
    *, household: Household, scheme: Scheme, fields: dict, today: datetime.date
) -> None:
    """The draft's fields, every problem at once. A proposed temporary-assistance amount is
    checked against the scheme's band on the day it is saved (cases.calculation
    check_proposed_amount), not only at submission."""
    errors = Errors()
    procedure = fields.get("procedure", Application.Procedure.GENERAL)
    if procedure not in Application.Procedure.values:
        errors.add("procedure", _("Choose the general or the emergency procedure."))
    elif procedure == Application.Procedure.EMERGENCY and not scheme.is_temporary:
        errors.add(
            "procedure",
            _(
                "Only temporary assistance has the emergency procedure (paid first, file "
                "completed afterwards)."
            ),
        )
    if not scheme.is_temporary:
        for name in ("proposed_amount", "amount_basis"):
            if fields.get(name) not in (None, ""):
                errors.add(
                    name, _("Only temporary assistance has a proposed amount and its basis.")
                )
        if fields.get("instalments", 1) != 1:
            errors.add("instalments", _("Only temporary assistance has instalments."))
    amount = fields.get("proposed_amount")
    if amount is not None and (not isinstance(amount, Decimal) or amount <= 0):
        errors.add("proposed_amount", _("The amount is a positive number of yuan."))
    elif amount is not None and scheme.is_temporary:
        with errors.check():
            check_proposed_amount(scheme=scheme, town=household.town_id, on=today, amount=amount)
    if fields.get("instalments", 1) < 1:
        errors.add("instalments", _("At least one instalment."))
    covered = fields.get("covered_members") or []
    if covered:
        current = set(
            Membership.objects.filter(household=household, left_on__isnull=True).values_list(
                "person_id", flat=True
            )
        )
        strangers = [person.name for person in covered if person.pk not in current]
        if strangers:
            errors.add(
                "covered_members",
                _("Not a current member of the household: %(names)s.")
                % {"names": ", ".join(strangers)},
            )
    errors.raise_if_any()


@transaction.atomic
def application_create(
    *,
    actor,
    household: Household,
    scheme: Scheme,
    procedure: str = Application.Procedure.GENERAL,
    covered_members: list[Person] | None = None,
    no_income_declared: bool = False,
    proposed_amount: Decimal | None = None,
    amount_basis: str = "",
    instalments: int = 1,
    note: str = "",
    now: datetime.datetime | None = None,
) -> Application:
    """A draft application of a household for a scheme, in the household's town."""
    today, now = when(None, now)
    require_preparer_role(actor)
    household = selectors.household_get(user=actor, pk=household.pk)
    registry.check_town_open_to(actor=actor, town=household.town, field_name="household")
    if household.status != Household.Status.ACTIVE:
        raise ValidationError({"household": _("The household is closed.")})
    fields = {
        "procedure": procedure,
        "covered_members": covered_members or [],
        "no_income_declared": no_income_declared,
        "proposed_amount": proposed_amount,
        "amount_basis": (amount_basis or "").strip(),
        "instalments": instalments,
        "note": note or "",
    }
    _check_fields(household=household, scheme=scheme, fields=fields, today=today)
    already = Application.objects.filter(
        household=household, scheme=scheme, state__in=OPEN_STATES
    ).first()
    if already is not None:
        raise ValidationError(
            {
                "scheme": _(
                    "This household already has an open application for this scheme (#%(id)s)."
                )
                % {"id": already.pk}
            }
        )
    covered = fields.pop("covered_members")
    application = Application(
        household=household, scheme=scheme, town=household.town, created_by=actor, **fields
    )
    try:
        with transaction.atomic():
            save(application, actor, _("Application created"))
    except IntegrityError:
        raise ValidationError(
            {"scheme": _("This household already has an open application for this scheme.")}
        ) from None
    if covered:
        application.covered_members.set(covered)
    event(application, Kind.CREATED, actor=actor, now=now)
    return application


@transaction.atomic
def application_update(
    *, actor, application: Application, reason: str = "", now=None, **changes
) -> Application:
    """Change a draft. After submission the file is what was checked: withdraw and start again."""
    today, now = when(None, now)
    application = locked(
        actor=actor, application=application, states=[State.DRAFT], action=_("edit")
    )
    unknown = set(changes) - DRAFT_FIELDS
    if unknown:
        raise ValidationError({sorted(unknown)[0]: _("This field cannot be changed here.")})
    fields = {
        "procedure": application.procedure,
        "covered_members": list(application.covered_members.all()),
        "no_income_declared": application.no_income_declared,
        "proposed_amount": application.proposed_amount,
        "amount_basis": application.amount_basis,
        "instalments": application.instalments,
        "note": application.note,
        **changes,
    }
    if isinstance(fields["amount_basis"], str):
        fields["amount_basis"] = fields["amount_basis"].strip()
    _check_fields(
        household=application.household, scheme=application.scheme, fields=fields, today=today
    )
    covered = fields.pop("covered_members")
    for name, value in fields.items():
        setattr(application, name, value)
    save(application, actor, reason or _("Draft updated"))
    if "covered_members" in changes:
        application.covered_members.set(covered)
    event(application, Kind.UPDATED, actor=actor, now=now, note=reason, fields=sorted(changes))
    return application


def application_submit(*, actor, application: Application, today=None, now=None) -> Application:
    """Submit the file. An incomplete file is refused with every missing item at once
    (DOMAIN.md §6: one notice listing them all), and that notice is kept in the step log; no
    clock runs before acceptance."""
    today, now = when(today, now)
    with transaction.atomic():
        application = locked(
            actor=actor, application=application, states=[State.DRAFT], action=_("submit")
        )
        emergency = application.procedure == Application.Procedure.EMERGENCY
        missing, needs_city = missing_items(
            application, today=today, emergency_submission=emergency
        )
        if missing:
            # Committed even though the submission is refused: the notice was given.
            event(application, Kind.COMPLETENESS_NOTICE, actor=actor, now=now, missing=missing)
        else:
            application.needs_city = bool(needs_city)
            application.state = State.SUBMITTED
            save(application, actor, _("Submitted"))
            event(application, Kind.SUBMITTED, actor=actor, now=now, needs_city=bool(needs_city))
            return application
    raise ValidationError(missing)


@transaction.atomic
def application_accept(
    *,
    actor,
    application: Application,
    received_on: datetime.date,
    today=None,
    now=None,
) -> Application:
    """Acceptance (受理, DOMAIN.md §6): staff enter the day the complete file was received;
    accepted_on is the first working day on or after it, and the clocks start from it."""
    today, now = when(today, now)
    application = locked(
        actor=actor, application=application, states=[State.SUBMITTED], action=_("accept")
    )
    if received_on is None:
        raise ValidationError({"received_on": _("Enter the day the complete file was received.")})
    if received_on > today:
        raise ValidationError({"received_on": _("The date cannot be in the future.")})
    application.received_on = received_on
    application.accepted_on = first_working_day_on_or_after(received_on)
    application.state = State.ACCEPTED
    save(application, actor, _("Accepted"))
    limits = rule(application, application.accepted_on)
    start = {"application": application, "started_on": application.accepted_on, "actor": actor}
    if is_dibao_like(application):
        clocks.clock_start(
            kind=Clock.Kind.HOME_VISIT,
            limit_days=limits.home_visit_days,
            holder_role=Role.CASE_WORKER,
            holder_user=application.created_by,
            **start,
        )
        clocks.clock_start(
            kind=Clock.Kind.OVERALL,
            limit_days=limits.overall_days,
            holder_role=Role.TOWN_SUPERVISOR,
            **start,
        )
    else:
        clocks.clock_start(
            kind=Clock.Kind.APPROVAL,
            limit_days=limits.approval_days,
            holder_role=decider_role(application),
            **start,
        )
    event(
        application,
        Kind.ACCEPTED,
        actor=actor,
        now=now,
        received_on=received_on.isoformat(),
        accepted_on=application.accepted_on.isoformat(),
    )
    return application


@transaction.atomic
def application_withdraw(
    *, actor, application: Application, reason: str, today=None, now=None
) -> Application:
    """The applicant withdraws: running clocks stop (a clock already late keeps its breach)."""
    today, now = when(today, now)
    application = locked(
        actor=actor,
        application=application,
        states=OPEN_STATES,
        action=_("withdraw"),
        while_paused=True,
    )
    reason = require_text(reason, "reason", _("Say why the application is withdrawn."))
    pause = open_pause(application)
    if pause is not None:
        clocks.pause_close(pause=pause, ended_on=today, actor=actor)
    clocks.clocks_stop_all(application=application, on=today, actor=actor)
    application.state = State.WITHDRAWN
    save(application, actor, reason)
    event(application, Kind.WITHDRAWN, actor=actor, now=now, note=reason)
    return application


def application_file_complete(
    *, actor, application: Application, today=None, now=None
) -> Application:
    """Emergency procedure (先行救助): after the payment, the file is completed; the whole
    completeness list applies now, every missing item reported at once."""
    today, now = when(today, now)
    with transaction.atomic():
        application = locked(
            actor=actor,
            application=application,
            states=[State.APPROVED],
            action=_("complete the file"),
        )
        if application.procedure != Application.Procedure.EMERGENCY:
            raise ValidationError(
                {"procedure": _("Only an emergency application completes its file afterwards.")}
            )
        if application.file_completed_at is not None:
            raise ValidationError({"state": _("The file is already complete.")})
        missing, _needs_city = missing_items(application, today=today)
        if missing:
            event(application, Kind.COMPLETENESS_NOTICE, actor=actor, now=now, missing=missing)
        else:
            application.file_completed_at = now
            save(application, actor, _("File completed"))
            event(application, Kind.FILE_COMPLETED, actor=actor, now=now)
            return application
    raise ValidationError(missing)
