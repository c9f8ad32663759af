"""What the schedule services share: the locked, scoped grant and the checks every service
makes (scope 404, role 403, state 400), the calculation of a grant's month, superseding and
rejecting entries, notifications' links and recipients, audit events."""

import datetime

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_update_with_history

from relief.dates import month_key
from relief.errors import state_error
from relief.models import AuditEvent
from relief.services import record

from .. import selectors
from ..calculation import calculate
from ..models import Grant, Role, ScheduleEntry, StaffProfile
from ..permissions import require_role

Entry = ScheduleEntry
GrantState = Grant.State

# A standard change reads this many grants per query (and writes their proposals together).
CHUNK_SIZE = 500
# At most this many skipped grants are listed on a standard change (the count is complete).
SKIPPED_LISTED = 1000

PROPOSER_MESSAGE = gettext_lazy(
    "Only case workers and supervisors of the town propose schedule changes."
)
DECIDER_MESSAGE = gettext_lazy(
    "Only a town supervisor of the town or the city supervisor may do this."
)
CITY_MESSAGE = gettext_lazy("Only a city supervisor proposes and confirms a standard change.")


def require_month(month, field: str = "from_month") -> datetime.date:
    if not isinstance(month, datetime.date) or isinstance(month, datetime.datetime):
        raise ValidationError({field: _("Give a month as the date of its first day.")})
    if month.day != 1:
        raise ValidationError({field: _("A month is given as its first day (e.g. 2024-03-01).")})
    return month


def locked_grant(*, actor, grant: Grant, roles, role_message: str) -> Grant:
    """The grant, locked: another town's grant is a 404, the wrong role a 403 (in this order,
    as for applications)."""
    grant = selectors.get_in_scope(
        selectors.grants_in_scope(actor)
        .select_for_update(of=("self",))
        .select_related("scheme", "town", "household", "application"),
        pk=grant.pk,
    )
    require_role(actor, roles, role_message)
    return grant


GRANT_STATE = gettext_lazy("Cannot %(action)s: the grant is %(state)s (%(code)s).")
# Proposals and standard changes: whoever proposed does not confirm or reject (DOMAIN.md §2).
PROPOSER_REFUSED = gettext_lazy("You proposed this, so someone else must %(what)s it.")


def require_state(grant: Grant, states, action: str) -> None:
    if grant.state not in states:
        raise state_error(grant, action, GRANT_STATE)


def require_not_temporary(grant: Grant) -> None:
    if grant.scheme.is_temporary:
        raise ValidationError(
            {
                "grant": _(
                    "Temporary assistance has no schedule recomputation or re-checks: its "
                    "amount was decided within the band and approved once."
                )
            }
        )


def require_month_of_grant(grant: Grant, month: datetime.date, field: str) -> None:
    if month < grant.starts_month or (grant.ends_month and month > grant.ends_month):
        raise ValidationError(
            {
                field: _("The grant pays from %(start)s to %(end)s: %(month)s is outside.")
                % {
                    "start": month_key(grant.starts_month),
                    "end": month_key(grant.ends_month) if grant.ends_month else "…",
                    "month": month_key(month),
                }
            }
        )


def require_not_in_exit(grant: Grant, month: datetime.date) -> None:
    if grant.exit_from_month is not None and month >= grant.exit_from_month:
        raise ValidationError(
            {
                "from_month": _(
                    "The grant is in gradual exit from %(month)s: the exit fixes its amounts."
                )
                % {"month": month_key(grant.exit_from_month)}
            }
        )


def pending_proposal_error(entry: ScheduleEntry) -> ValidationError:
    return ValidationError(
        {
            "from_month": _(
                "A proposal from %(month)s is waiting for confirmation (#%(id)s): confirm or "
                "reject it first."
            )
            % {"month": month_key(entry.from_month), "id": entry.pk}
        }
    )


def covered_ids(grant: Grant) -> list[int] | None:
    # prefetch_related("application__covered_members") makes this free in a standard change.
    covered = [person.pk for person in grant.application.covered_members.all()]
    return covered or None


def calculate_for(grant: Grant, month: datetime.date):
    return calculate(
        household=grant.household,
        scheme=grant.scheme,
        month=month,
        covered_person_ids=covered_ids(grant),
    )


def grant_url(grant_id: int) -> str:
    """The grant's page: where a schedule or re-check reminder takes its reader."""
    return reverse("cases:grant-detail", args=[grant_id])


def staff_of_towns(roles, town_ids) -> dict[tuple[str, int], list[int]]:
    """Active staff of the town roles in `roles`, by (role, town id): one query."""
    rows = StaffProfile.objects.filter(
        user__is_active=True, role__in=roles, towns__in=town_ids
    ).values_list("role", "towns", "user_id")
    staff: dict[tuple[str, int], list[int]] = {}
    for role, town_id, user_id in rows:
        staff.setdefault((role, town_id), []).append(user_id)
    return staff


def city_supervisors() -> list[int]:
    return list(
        StaffProfile.objects.filter(user__is_active=True, role=Role.CITY_SUPERVISOR).values_list(
            "user_id", flat=True
        )
    )


def audit(actor, target, town_code: str, what: str, **data) -> None:
    record(
        actor=actor,
        action=AuditEvent.Action.APPROVE,
        target=target,
        town_code=town_code,
        what=what,
        **data,
    )


def supersede(*, grant_ids, from_month: datetime.date, actor, reason: str) -> int:
    """Mark the confirmed entries of these grants from exactly `from_month` superseded: the
    entry being confirmed takes their place (one confirmed entry per grant and month)."""
    superseded = list(
        ScheduleEntry.objects.select_for_update().filter(
            grant_id__in=grant_ids, from_month=from_month, state=Entry.State.CONFIRMED
        )
    )
    for old in superseded:
        old.state = Entry.State.SUPERSEDED
    bulk_update_with_history(
        superseded,
        ScheduleEntry,
        ["state"],
        batch_size=CHUNK_SIZE,
        default_user=actor,
        default_change_reason=reason,
    )
    return len(superseded)


def mark_rejected(entry: ScheduleEntry, *, actor, reason: str, now) -> None:
    entry.state = Entry.State.REJECTED
    entry.rejected_by = actor
    entry.rejected_at = now
    entry.rejection_reason = reason
