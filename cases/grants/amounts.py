"""What a grant pays for a month (the one rule the payment run reads), and the scoped reads of
schedule entries and standard changes."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Case,
    DecimalField,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from relief.dates import first_of_month
from relief.money import ZERO, to_fen

from .. import selectors
from ..models import Grant, GrantSuspension, ScheduleConfirmation, ScheduleEntry
from ..permissions import CITY_CASE_ROLES, DECIDER_ROLES, TOWN_ROLES, role_of
from .checks import Entry, require_month


def confirmed_entry(month: datetime.date) -> QuerySet[ScheduleEntry]:
    """The confirmed entry in force for `month` of the grant OuterRef("pk")."""
    return (
        ScheduleEntry.objects.filter(
            grant=OuterRef("pk"), state=Entry.State.CONFIRMED, from_month__lte=month
        )
        .order_by("-from_month", "-id")
        .values("amount")[:1]
    )


def with_confirmed_amount(grants: QuerySet[Grant], *, month: datetime.date) -> QuerySet[Grant]:
    """Annotate `confirmed_amount`: what each grant pays for `month` (the first of a month).
    Zero before its first month, after its last month and while suspended; else the latest
    confirmed entry with from_month <= month. One query for any number of grants."""
    month = require_month(month, "month")
    suspended = GrantSuspension.objects.filter(grant=OuterRef("pk"), from_month__lte=month).filter(
        Q(resumed_month__isnull=True) | Q(resumed_month__gt=month)
    )
    money = DecimalField(max_digits=14, decimal_places=2)
    return grants.annotate(
        confirmed_amount=Case(
            When(Q(starts_month__gt=month) | Q(ends_month__lt=month), then=Value(ZERO)),
            When(Exists(suspended), then=Value(ZERO)),
            default=Coalesce(Subquery(confirmed_entry(month), output_field=money), Value(ZERO)),
            output_field=money,
        )
    )


def confirmed_amount(*, grant: Grant, month: datetime.date) -> Decimal:
    """What `grant` pays for `month` (a date in it): its confirmed schedule and nothing else
    (DESIGN.md: new evidence or a new standard never changes a payment by itself)."""
    month = first_of_month(month)
    amount = (
        with_confirmed_amount(Grant.objects.filter(pk=grant.pk), month=month)
        .values_list("confirmed_amount", flat=True)
        .get()
    )
    return to_fen(amount)


def amount_in_force(*, grant: Grant, month: datetime.date) -> Decimal | None:
    """The amount of the confirmed entry in force for `month`, whatever the grant's state (None
    before the first entry): what a proposal from that month would replace."""
    entry = (
        grant.schedule.filter(state=Entry.State.CONFIRMED, from_month__lte=month)
        .order_by("-from_month", "-id")
        .values_list("amount", flat=True)
        .first()
    )
    return to_fen(entry) if entry is not None else None


def schedule_entries_in_scope(user) -> QuerySet[ScheduleEntry]:
    return selectors.scope_by_town(ScheduleEntry.objects.all(), user, "grant__town")


def schedule_confirmations_in_scope(user) -> QuerySet[ScheduleConfirmation]:
    """City-wide roles see every standard change; town roles the city-wide ones (they cover
    their grants too) and those of their towns."""
    role = role_of(user)
    qs = ScheduleConfirmation.objects.all()
    if role in CITY_CASE_ROLES:
        return qs
    if role in TOWN_ROLES:
        return qs.filter(Q(town__isnull=True) | Q(town__in=selectors.towns_in_scope(user)))
    return qs.none()


def schedule_confirmations_listed(user) -> QuerySet[ScheduleConfirmation]:
    """The standard changes in scope with what their pages and the API show of them. For a
    town role each carries the counts of the user's own towns (own_considered, own_proposed,
    own_unchanged, own_skipped, from ScheduleConfirmationTown): a city-wide change is shown to
    it through those only (confirmation_figures), never the city's counts."""
    rows = schedule_confirmations_in_scope(user).select_related(
        "scheme", "town", "proposed_by", "confirmed_by", "rejected_by"
    )
    if role_of(user) not in TOWN_ROLES:
        return rows
    own = Q(town_counts__town__in=selectors.towns_in_scope(user))
    return rows.annotate(
        own_considered=Coalesce(Sum("town_counts__considered", filter=own), 0),
        own_proposed=Coalesce(Sum("town_counts__proposed", filter=own), 0),
        own_unchanged=Coalesce(Sum("town_counts__unchanged", filter=own), 0),
        own_skipped=Coalesce(Sum("town_counts__skipped", filter=own), 0),
    ).order_by("-id")  # a grouped query drops Meta.ordering


@dataclass(frozen=True)
class ConfirmationFigures:
    grants_considered: int
    proposed_count: int
    unchanged_count: int
    skipped_count: int


def confirmation_figures(confirmation: ScheduleConfirmation) -> ConfirmationFigures:
    """What the reader may see of a standard change's counts: its own, or for a town role
    reading a city-wide change the counts of its own towns (schedule_confirmations_listed)."""
    if getattr(confirmation, "own_considered", None) is None or confirmation.town_id is not None:
        return ConfirmationFigures(
            confirmation.grants_considered,
            confirmation.proposed_count,
            confirmation.unchanged_count,
            confirmation.skipped_count,
        )
    return ConfirmationFigures(
        confirmation.own_considered,
        confirmation.own_proposed,
        confirmation.own_unchanged,
        confirmation.own_skipped,
    )


def skipped_in_scope(*, user, confirmation: ScheduleConfirmation) -> list[dict]:
    """The grants a standard change left out, as far as the user may see them: a city-wide
    change lists every town's grants; a town role sees only its own towns' ones."""
    ids = {item["grant"] for item in confirmation.skipped or []}
    visible = set(selectors.grants_in_scope(user).filter(pk__in=ids).values_list("pk", flat=True))
    return [item for item in confirmation.skipped or [] if item["grant"] in visible]


def schedule_queue(*, user) -> QuerySet[ScheduleEntry]:
    """The single proposals waiting for this user's confirmation: in scope, not proposed by the
    user, not part of a standard change (confirmed as a whole); supervisors only."""
    if role_of(user) not in DECIDER_ROLES:
        return ScheduleEntry.objects.none()
    return (
        schedule_entries_in_scope(user)
        .filter(state=Entry.State.PROPOSED, confirmation__isnull=True)
        .exclude(proposed_by=user)
        .select_related("grant__town", "grant__scheme", "proposed_by")
        .order_by("from_month", "id")
    )
