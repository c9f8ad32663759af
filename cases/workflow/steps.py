"""The steps between acceptance and decision (DOMAIN.md §6, §7): supplementary documents
(pause and resume), the home visit, the town opinion, the public notice, objections and their
re-investigation, the end of the notice.

Like every workflow service: keyword-only, the actor and `today`/`now` (tests pin time), the
application locked and its state re-checked, the step log and history written in one
transaction.
"""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from relief.dates import when
from relief.errors import require_text
from relief.history import with_actor

from .. import selectors
from ..calculation import refusal_message
from ..models import (
    Application,
    ApplicationEvent,
    Clock,
    Pause,
    PublicNotice,
    Role,
)
from ..models.applications import mask_name
from . import clocks
from .checks import (
    State,
    current_calculation,
    decider_role,
    event,
    is_dibao_like,
    locked,
    open_pause,
    rule,
    save,
)

Kind = ApplicationEvent.Kind


# Supplementary documents may be asked for after acceptance, before the public notice.
SUPPLEMENT_STATES = [State.ACCEPTED, State.VISITED, State.OPINION]


@transaction.atomic
def application_supplement_request(
    *, actor, application: Application, items: str, today=None, now=None
) -> Application:
    """Ask the applicant for supplementary documents: the clocks pause until they arrive, when
    the scheme's rule says so (pause_on_supplement; DOMAIN.md §6)."""
    today, now = when(today, now)
    application = locked(
        actor=actor,
        application=application,
        states=SUPPLEMENT_STATES,
        action=_("request supplementary documents"),
    )
    items = require_text(items, "items", _("List the documents the applicant must supply."))
    limits = rule(application, today)
    clocks.pause_open(
        application=application,
        kind=Pause.Kind.SUPPLEMENT,
        started_on=today,
        excluded=limits.pause_on_supplement,
        actor=actor,
        reason=items,
    )
    event(application, Kind.SUPPLEMENT_REQUESTED, actor=actor, now=now, note=items)
    return application


@transaction.atomic
def application_supplement_receive(
    *, actor, application: Application, note: str = "", today=None, now=None
) -> Application:
    """The supplementary documents arrived: the clocks resume, each due date moved by exactly
    the working days of the wait."""
    today, now = when(today, now)
    application = locked(
        actor=actor,
        application=application,
        states=SUPPLEMENT_STATES,
        action=_("record supplementary documents"),
        while_paused=True,
    )
    pause = open_pause(application, kind=Pause.Kind.SUPPLEMENT)
    if pause is None:
        raise ValidationError(
            {"state": _("The application is not waiting for supplementary documents.")}
        )
    clocks.pause_close(pause=pause, ended_on=today, actor=actor)
    event(
        application,
        Kind.SUPPLEMENT_RECEIVED,
        actor=actor,
        now=now,
        note=note,
        paused_from=pause.started_on.isoformat(),
    )
    return application


@transaction.atomic
def application_home_visit_record(
    *, actor, application: Application, findings: str, today=None, now=None
) -> Application:
    """The home visit (入户调查). After acceptance it ends the home-visit step and starts the
    opinion step; during an objection it is the re-investigation, which ends the objection
    pause and lets the notice run to its end (DOMAIN.md §7)."""
    today, now = when(today, now)
    states = [State.ACCEPTED, State.REINVESTIGATION]
    application = locked(
        actor=actor, application=application, states=states, action=_("record a home visit")
    )
    findings = require_text(findings, "findings", _("Write down the findings of the visit."))
    reinvestigation = application.state == State.REINVESTIGATION
    if reinvestigation:
        pause = open_pause(application, kind=Pause.Kind.OBJECTION)
        if pause is not None:
            clocks.pause_close(pause=pause, ended_on=today, actor=actor)
        application.state = State.NOTICE
    else:
        application.state = State.VISITED
        if is_dibao_like(application):
            home_visit = application.clocks.get(kind=Clock.Kind.HOME_VISIT)
            clocks.clock_stop(clock=home_visit, on=today, actor=actor)
            clocks.clock_start(
                application=application,
                kind=Clock.Kind.OPINION,
                started_on=today,
                limit_days=rule(application, today).opinion_days,
                holder_role=Role.CASE_WORKER,
                holder_user=application.created_by,
                actor=actor,
            )
    save(application, actor, _("Home visit recorded"))
    event(
        application,
        Kind.HOME_VISIT,
        actor=actor,
        now=now,
        note=findings,
        reinvestigation=reinvestigation,
    )
    return application


@transaction.atomic
def application_opinion_give(
    *,
    actor,
    application: Application,
    recommend: bool,
    note: str = "",
    today=None,
    now=None,
) -> Application:
    """The town's initial opinion after the home visit, based on the calculation for the first
    month it would pay (stored with the application). Recommending an ineligible household is
    refused: the calculation says why."""
    today, now = when(today, now)
    application = locked(
        actor=actor, application=application, states=[State.VISITED], action=_("give an opinion")
    )
    if not is_dibao_like(application):
        raise ValidationError(
            {"state": _("Temporary assistance has no town opinion step: decide it.")}
        )
    calculation = current_calculation(application, today)
    if recommend and not calculation.eligible:
        raise ValidationError(
            {"recommend": f"{refusal_message(calculation)} {_('It cannot be recommended.')}"}
        )
    clocks.clock_stop(clock=application.clocks.get(kind=Clock.Kind.OPINION), on=today, actor=actor)
    application.calculation = calculation.as_dict()
    application.town_opinion = (
        Application.Opinion.RECOMMEND if recommend else Application.Opinion.NOT_RECOMMEND
    )
    application.state = State.OPINION
    save(application, actor, _("Town opinion given"))
    event(application, Kind.OPINION, actor=actor, now=now, note=note, recommend=bool(recommend))
    return application


@transaction.atomic
def application_notice_start(
    *, actor, application: Application, today=None, now=None
) -> PublicNotice:
    """Post the public notice (公示, DOMAIN.md §7) from today for notice_calendar_days calendar
    days: the masked head name, the household size and the calculated monthly amount. When the
    scheme does not count the notice (notice_counts_in_clock off), its working days are a pause
    of the clocks, known from the start."""
    today, now = when(today, now)
    application = locked(
        actor=actor, application=application, states=[State.OPINION], action=_("post a notice")
    )
    if application.town_opinion != Application.Opinion.RECOMMEND:
        raise ValidationError(
            {
                "town_opinion": _(
                    "The town did not recommend this application: reject it with reasons "
                    "instead of posting a notice."
                )
            }
        )
    limits = rule(application, today)
    members = list(selectors.current_members(application.household))
    head = selectors.head_among(members)
    total = (application.calculation or {}).get("total")
    notice = PublicNotice(
        application=application,
        town=application.town,
        village=application.household.village,
        starts_on=today,
        ends_on=today + datetime.timedelta(days=limits.notice_calendar_days - 1),
        head_name=mask_name(head.name if head else ""),
        household_size=len(members),
        amount=Decimal(total) if total is not None else None,
    )
    with_actor(notice, actor, _("Public notice started")).save()
    if not limits.notice_counts_in_clock:
        clocks.pause_scheduled(
            application=application,
            kind=Pause.Kind.NOTICE,
            started_on=notice.starts_on,
            ended_on=notice.ends_on,
            actor=actor,
            reason=_("Public notice (not counted in the clocks)"),
        )
    application.state = State.NOTICE
    save(application, actor, _("Public notice started"))
    event(
        application,
        Kind.NOTICE_STARTED,
        actor=actor,
        now=now,
        starts_on=notice.starts_on.isoformat(),
        ends_on=notice.ends_on.isoformat(),
    )
    return notice


@transaction.atomic
def application_objection_record(
    *, actor, application: Application, objection: str, today=None, now=None
) -> Application:
    """An objection received during the notice: it is re-investigated (a new home visit), and
    the clocks pause meanwhile, for at most objection_pause_max_days working days (DOMAIN.md §6,
    Guangzhou: 20)."""
    today, now = when(today, now)
    application = locked(
        actor=actor,
        application=application,
        states=[State.NOTICE],
        action=_("record an objection"),
    )
    objection = require_text(objection, "objection", _("Write down the objection."))
    notice = PublicNotice.objects.select_for_update().get(application=application)
    if not notice.starts_on <= today <= notice.ends_on:
        raise ValidationError(
            {
                "objection": _(
                    "Objections are received while the notice runs (%(start)s to %(end)s)."
                )
                % {"start": notice.starts_on.isoformat(), "end": notice.ends_on.isoformat()}
            }
        )
    notice.objections += 1
    with_actor(notice, actor, _("Objection received")).save()
    limits = rule(application, today)
    clocks.pause_open(
        application=application,
        kind=Pause.Kind.OBJECTION,
        started_on=today,
        excluded=limits.pause_on_objection,
        max_days=limits.objection_pause_max_days,
        actor=actor,
        reason=objection,
    )
    application.state = State.REINVESTIGATION
    save(application, actor, _("Objection received"))
    event(application, Kind.OBJECTION, actor=actor, now=now, note=objection)
    return application


@transaction.atomic
def application_notice_end(*, actor, application: Application, today=None, now=None) -> Application:
    """End the notice, from the day after its last day. The decision is due decision_days
    working days after the notice ended (DOMAIN.md §6), or after the last objection's
    re-investigation if that ended later."""
    today, now = when(today, now)
    application = locked(
        actor=actor, application=application, states=[State.NOTICE], action=_("end the notice")
    )
    notice = PublicNotice.objects.select_for_update().get(application=application)
    if today <= notice.ends_on:
        raise ValidationError(
            {
                "state": _("The public notice runs until %(date)s; end it from the next day.")
                % {"date": notice.ends_on.isoformat()}
            }
        )
    notice.ended_at = now
    with_actor(notice, actor, _("Public notice ended")).save()
    last_objection = (
        application.pauses.filter(kind=Pause.Kind.OBJECTION, ended_on__isnull=False)
        .order_by("-ended_on")
        .values_list("ended_on", flat=True)
        .first()
    )
    started_on = max(notice.ends_on, last_objection or notice.ends_on)
    clocks.clock_start(
        application=application,
        kind=Clock.Kind.DECISION,
        started_on=started_on,
        limit_days=rule(application, started_on).decision_days,
        holder_role=decider_role(application),
        actor=actor,
    )
    application.state = State.NOTICE_ENDED
    save(application, actor, _("Public notice ended"))
    event(application, Kind.NOTICE_ENDED, actor=actor, now=now, objections=notice.objections)
    return application
