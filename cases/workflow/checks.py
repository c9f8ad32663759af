"""What every workflow service shares: the locked, scoped, state-checked application; who may
prepare and who may decide (DOMAIN.md §2); the step log."""

import datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from relief.errors import state_error
from relief.history import with_actor

from .. import selectors
from ..calculation import Calculation, calculate, scheme_rule
from ..grants.create import grant_starts_month
from ..models import Application, ApplicationEvent, Pause, Role
from ..permissions import PREPARER_ROLES, require_role, require_second_person

State = Application.State


APPLICATION_STATE = gettext_lazy(
    "Cannot %(action)s: the application is in state “%(state)s” (%(code)s)."
)


def application_state_error(application: Application, action: str) -> ValidationError:
    return state_error(application, action, APPLICATION_STATE, lower=False)


def require_preparer_role(actor) -> None:
    require_role(
        actor,
        PREPARER_ROLES,
        _("Your role may not prepare applications: case workers and supervisors do."),
    )


def locked(
    *,
    actor,
    application: Application,
    states,
    action: str,
    roles=PREPARER_ROLES,
    role_message: str | None = None,
    while_paused: bool = False,
) -> Application:
    """The application, locked for the rest of the transaction, after the checks every step
    makes in this order: another town's application does not exist for the actor (404); the
    actor's role may take this step (403); the application is in a state that allows it (400
    naming the state); it is not waiting for supplementary documents, unless the step is the
    one that ends the wait (400)."""
    application = selectors.get_in_scope(
        selectors.applications_in_scope(actor)
        .select_for_update(of=("self",))
        .select_related("scheme", "household", "town"),
        pk=application.pk,
    )
    require_role(
        actor,
        roles,
        role_message
        or _("Your role may not prepare applications: case workers and supervisors do."),
    )
    if application.state not in states:
        raise application_state_error(application, action)
    if not while_paused:
        waiting = open_pause(application, kind=Pause.Kind.SUPPLEMENT)
        if waiting is not None:
            raise ValidationError(
                {
                    "state": _(
                        "The application is waiting for supplementary documents since "
                        "%(date)s: record their receipt first."
                    )
                    % {"date": waiting.started_on.isoformat()}
                }
            )
    return application


def open_pause(application: Application, kind: str | None = None) -> Pause | None:
    pauses = application.pauses.filter(ended_on__isnull=True)
    if kind is not None:
        pauses = pauses.filter(kind=kind)
    return pauses.first()


def event(
    application: Application,
    kind: str,
    *,
    actor,
    now: datetime.datetime,
    note: str = "",
    **data,
) -> ApplicationEvent:
    return ApplicationEvent.objects.create(
        application=application, kind=kind, actor=actor, at=now, note=note, data=data
    )


def save(application: Application, actor, reason: str) -> Application:
    with_actor(application, actor, reason).save()
    return application


def rule(application: Application, on: datetime.date):
    return scheme_rule(scheme=application.scheme, on=on)


def preparer_ids(application: Application) -> set[int]:
    """Who prepared the application (DOMAIN.md §2): its creator and everyone who carried out a
    step of it, decisions and the disbursement excepted."""
    ids = set(
        application.events.exclude(kind__in=ApplicationEvent.NOT_PREPARING)
        .exclude(actor=None)
        .values_list("actor_id", flat=True)
    )
    ids.add(application.created_by_id)
    return ids


def require_not_preparer(actor, application: Application, what: str) -> None:
    """Whoever prepared an application does not decide it (DOMAIN.md §2)."""
    require_second_person(
        actor,
        preparer_ids(application),
        _(
            "You prepared this application (you created it or carried out one of its "
            "steps), so someone else must %(what)s."
        )
        % {"what": what},
    )


def is_dibao_like(application: Application) -> bool:
    """Dibao and tekun share the full procedure: home visit, opinion, public notice."""
    return not application.scheme.is_temporary


def decider_role(application: Application) -> str:
    return Role.CITY_SUPERVISOR if application.needs_city else Role.TOWN_SUPERVISOR


def current_calculation(application: Application, today: datetime.date) -> Calculation:
    """The calculation a step of the application makes on `today` (a town opinion, a
    decision, the preview while preparing), on the day that matters (DOMAIN.md §5, §6):
    - dibao and tekun: for the first month the grant would pay (the month after the decision),
      with the household, evidence and rules as valid on that month's first day (the month's
      rule, as every payment of the grant is calculated);
    - temporary assistance: for the month of the decision, with the household as it is on the
      day itself (a household registered this month, its members joined today, is assessed
      as it is, not as it was on the first of the month).
    A refusal built from it names the failed checks and that date (refusal_message)."""
    covered = list(application.covered_members.values_list("pk", flat=True))
    return calculate(
        household=application.household,
        scheme=application.scheme,
        month=grant_starts_month(application, today),
        as_of=today if application.scheme.is_temporary else None,
        covered_person_ids=covered or None,
    )
