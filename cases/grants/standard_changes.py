"""Standard changes: one proposal per grant of a scheme from a month, confirmed at once by a
second city supervisor (DESIGN.md: one confirmation may cover a city-wide standard change)."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet, Subquery
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from relief.dates import month_key, when
from relief.errors import require_text, state_error
from relief.history import with_actor
from relief.money import to_fen

from .. import selectors
from ..calculation import Item, calculate_many
from ..inbox import Message, notify_many
from ..models import (
    Grant,
    Notification,
    Role,
    ScheduleConfirmation,
    ScheduleConfirmationTown,
    ScheduleEntry,
    Scheme,
    Town,
)
from ..permissions import require_role, require_second_person
from .amounts import confirmed_entry, schedule_confirmations_in_scope
from .checks import (
    CHUNK_SIZE,
    CITY_MESSAGE,
    PROPOSER_REFUSED,
    SKIPPED_LISTED,
    Entry,
    GrantState,
    audit,
    city_supervisors,
    covered_ids,
    mark_rejected,
    require_month,
    supersede,
)


def _grants_paying_in(scheme: Scheme, month: datetime.date, town: Town | None) -> QuerySet[Grant]:
    grants = Grant.objects.filter(
        scheme=scheme,
        state__in=(GrantState.ACTIVE, GrantState.SUSPENDED),
        starts_month__lte=month,
    ).filter(Q(ends_month__isnull=True) | Q(ends_month__gte=month))
    if town is not None:
        grants = grants.filter(town=town)
    return grants


def _skipped_because(grant: Grant, month: datetime.date, waiting_ids: dict) -> str | None:
    """Why a standard change leaves the grant out before calculating it, if it does."""
    if grant.exit_from_month is not None and month >= grant.exit_from_month:
        return _("in gradual exit")
    if grant.pk in waiting_ids:
        return _("proposal #%(id)s from this month is waiting") % {"id": waiting_ids[grant.pk]}
    return None


def _calculation_item(grant: Grant, month: datetime.date) -> Item:
    """What `calculate_for(grant, month)` computes, as an item of a chunk."""
    return Item(
        household=grant.household,
        scheme=grant.scheme,
        month=month,
        covered_person_ids=covered_ids(grant),
    )


@transaction.atomic
def standard_change_propose(
    *,
    scheme: Scheme,
    from_month: datetime.date,
    actor,
    town: Town | None = None,
    reason: str = "",
    today: datetime.date | None = None,
    now: datetime.datetime | None = None,
) -> ScheduleConfirmation:
    """Propose, for every active or suspended grant of `scheme` paying in `from_month` (in
    `town`, or city-wide), the amount the calculation gives from that month, grouped under one
    ScheduleConfirmation that a second city supervisor confirms at once. Grants whose amount
    does not change are counted, not proposed; grants in gradual exit, with a proposal from the
    same month waiting, or whose calculation fails are skipped with the reason. While a
    standard change for the same scheme, month and town is waiting, proposing it again
    returns that one and adds nothing.

    Cost: a fixed number of queries per chunk, whatever its size. Grants are read CHUNK_SIZE at a
    time with their households, covered members and amounts in force (4 queries per chunk), the
    chunk is calculated together (`calculate_many`: 8 queries for its memberships, income,
    assets and dated rules), and its proposals are written with their history in 2 queries. A
    town of 10,000 grants is 20 chunks, about 300 queries, in one transaction; a city-wide change
    at provincial scale should still be run per town (the `town` argument), one task each."""
    today, now = when(today, now)
    require_role(actor, {Role.CITY_SUPERVISOR}, CITY_MESSAGE)
    from_month = require_month(from_month)
    if scheme.is_temporary:
        raise ValidationError(
            {"scheme": _("Temporary assistance has no standard to recompute amounts from.")}
        )
    # Serialises standard changes of a scheme, so two runs cannot both start one.
    scheme = Scheme.objects.select_for_update().get(pk=scheme.pk)
    waiting = ScheduleConfirmation.objects.filter(
        scheme=scheme, from_month=from_month, town=town, state=ScheduleConfirmation.State.PROPOSED
    ).first()
    if waiting is not None:
        return waiting
    reason = (reason or "").strip() or _("Standard change from %(month)s") % {
        "month": month_key(from_month)
    }
    confirmation = ScheduleConfirmation(
        scheme=scheme,
        town=town,
        from_month=from_month,
        reason=reason,
        proposed_by=actor,
        proposed_at=now,
    )
    with_actor(confirmation, actor, reason).save()

    considered = unchanged = proposed = 0
    skipped: list[dict] = []
    skipped_count = 0
    # The same counts by town: what a town role may see of a city-wide change.
    by_town: dict[int, ScheduleConfirmationTown] = {}
    ids = list(
        _grants_paying_in(scheme, from_month, town).order_by("pk").values_list("pk", flat=True)
    )
    for start in range(0, len(ids), CHUNK_SIZE):
        chunk = ids[start : start + CHUNK_SIZE]
        grants = list(
            Grant.objects.filter(pk__in=chunk)
            .select_related("household", "scheme", "application")
            .prefetch_related("application__covered_members")
            .annotate(in_force=Subquery(confirmed_entry(from_month)))
            .order_by("pk")
        )
        waiting_ids = dict(
            ScheduleEntry.objects.filter(
                grant_id__in=chunk, from_month=from_month, state=Entry.State.PROPOSED
            ).values_list("grant_id", "pk")
        )
        reasons = {grant.pk: _skipped_because(grant, from_month, waiting_ids) for grant in grants}
        calculated = [grant for grant in grants if reasons[grant.pk] is None]
        outcomes = calculate_many([_calculation_item(grant, from_month) for grant in calculated])
        calculations = {}
        for grant, outcome in zip(calculated, outcomes, strict=True):
            if outcome.error is not None:
                reasons[grant.pk] = "; ".join(outcome.error.messages)
            calculations[grant.pk] = outcome.calculation
        entries = []
        for grant in grants:
            considered += 1
            counts = by_town.setdefault(
                grant.town_id,
                ScheduleConfirmationTown(confirmation=confirmation, town_id=grant.town_id),
            )
            counts.considered += 1
            why = reasons[grant.pk]
            if why is not None:
                skipped_count += 1
                counts.skipped += 1
                if len(skipped) < SKIPPED_LISTED:
                    skipped.append({"grant": grant.pk, "reason": why})
                continue
            calculation = calculations[grant.pk]
            in_force = to_fen(grant.in_force) if grant.in_force is not None else None
            if calculation.total == in_force:
                unchanged += 1
                counts.unchanged += 1
                continue
            counts.proposed += 1
            entries.append(
                ScheduleEntry(
                    grant=grant,
                    from_month=from_month,
                    amount=calculation.total,
                    calculation=calculation.as_dict(),
                    state=Entry.State.PROPOSED,
                    kind=Entry.Kind.STANDARD_CHANGE,
                    reason=reason,
                    proposed_by=actor,
                    proposed_at=now,
                    confirmation=confirmation,
                )
            )
        bulk_create_with_history(
            entries, ScheduleEntry, default_user=actor, default_change_reason=reason
        )
        proposed += len(entries)

    ScheduleConfirmationTown.objects.bulk_create(by_town.values())
    confirmation.grants_considered = considered
    confirmation.unchanged_count = unchanged
    confirmation.proposed_count = proposed
    confirmation.skipped = skipped
    confirmation.skipped_count = skipped_count
    with_actor(confirmation, actor, _("Proposals computed")).save()
    if proposed:
        text = _(
            "Standard change #%(id)s (%(scheme)s from %(month)s) proposes %(count)s new amounts: "
            "it waits for a second city supervisor's confirmation."
        ) % {
            "id": confirmation.pk,
            "scheme": scheme,
            "month": month_key(from_month),
            "count": proposed,
        }
        notify_many(
            [
                Message(
                    user_id, Notification.Kind.DECISION, f"standard_change:{confirmation.pk}", text
                )
                for user_id in city_supervisors()
                if user_id != actor.pk
            ]
        )
    return confirmation


def _locked_confirmation(*, actor, confirmation: ScheduleConfirmation) -> ScheduleConfirmation:
    confirmation = selectors.get_in_scope(
        schedule_confirmations_in_scope(actor)
        .select_for_update(of=("self",))
        .select_related("scheme", "town"),
        pk=confirmation.pk,
    )
    require_role(actor, {Role.CITY_SUPERVISOR}, CITY_MESSAGE)
    return confirmation


CONFIRMATION_STATE = gettext_lazy("Cannot %(action)s: the standard change is %(state)s (%(code)s).")


@transaction.atomic
def schedule_confirmation_confirm(
    *, confirmation: ScheduleConfirmation, actor, now=None
) -> ScheduleConfirmation:
    """Confirm every proposal of a standard change at once (a city supervisor other than the
    proposer): from its month each grant pays its proposed amount. Entries rejected one by one
    meanwhile (their grant ended) stay rejected. Confirming twice changes nothing."""
    _today, now = when(None, now)
    confirmation = _locked_confirmation(actor=actor, confirmation=confirmation)
    State = ScheduleConfirmation.State
    if confirmation.state == State.CONFIRMED:
        return confirmation
    if confirmation.state != State.PROPOSED:
        raise state_error(confirmation, _("confirm"), CONFIRMATION_STATE)
    require_second_person(
        actor, confirmation.proposed_by_id, PROPOSER_REFUSED % {"what": _("confirm")}
    )
    reason = _("Standard change #%(id)s confirmed") % {"id": confirmation.pk}
    entries = confirmation.entries.filter(state=Entry.State.PROPOSED).order_by("pk")
    grant_ids = list(entries.values_list("grant_id", flat=True))
    for start in range(0, len(grant_ids), CHUNK_SIZE):
        supersede(
            grant_ids=grant_ids[start : start + CHUNK_SIZE],
            from_month=confirmation.from_month,
            actor=actor,
            reason=reason,
        )
    confirmed = 0
    for start in range(0, len(grant_ids), CHUNK_SIZE):
        batch = list(
            entries.filter(grant_id__in=grant_ids[start : start + CHUNK_SIZE]).select_for_update()
        )
        for entry in batch:
            entry.state = Entry.State.CONFIRMED
            entry.confirmed_by = actor
            entry.confirmed_at = now
        bulk_update_with_history(
            batch,
            ScheduleEntry,
            ["state", "confirmed_by", "confirmed_at"],
            default_user=actor,
            default_change_reason=reason,
        )
        confirmed += len(batch)
    confirmation.state = State.CONFIRMED
    confirmation.confirmed_by = actor
    confirmation.confirmed_at = now
    with_actor(confirmation, actor, reason).save()
    audit(
        actor,
        confirmation,
        confirmation.town.code if confirmation.town else "",
        "standard_change",
        scheme=confirmation.scheme.code,
        from_month=confirmation.from_month.isoformat(),
        entries=confirmed,
    )
    return confirmation


@transaction.atomic
def schedule_confirmation_reject(
    *, confirmation: ScheduleConfirmation, actor, reason: str, now=None
) -> ScheduleConfirmation:
    """Reject a standard change with reasons: none of its proposals ever pays."""
    _today, now = when(None, now)
    confirmation = _locked_confirmation(actor=actor, confirmation=confirmation)
    State = ScheduleConfirmation.State
    if confirmation.state == State.REJECTED:
        return confirmation
    if confirmation.state != State.PROPOSED:
        raise state_error(confirmation, _("reject"), CONFIRMATION_STATE)
    require_second_person(
        actor, confirmation.proposed_by_id, PROPOSER_REFUSED % {"what": _("reject")}
    )
    reason = require_text(reason, "reason", _("Give the reasons for the rejection."))
    batch = list(confirmation.entries.filter(state=Entry.State.PROPOSED).select_for_update())
    for entry in batch:
        mark_rejected(entry, actor=actor, reason=reason, now=now)
    bulk_update_with_history(
        batch,
        ScheduleEntry,
        ["state", "rejected_by", "rejected_at", "rejection_reason"],
        batch_size=CHUNK_SIZE,
        default_user=actor,
        default_change_reason=reason,
    )
    confirmation.state = State.REJECTED
    confirmation.rejected_by = actor
    confirmation.rejected_at = now
    confirmation.rejection_reason = reason
    with_actor(confirmation, actor, reason).save()
    return confirmation
