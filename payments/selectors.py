"""Reads of payments data, scoped like every other read (cases.selectors.scope_by_town): case
workers and town supervisors see their towns' batches, lines and accounts (case workers read
only: the services decide who may act); city supervisors, finance officers and auditors see the
whole city; administrators see none."""

import datetime

from django.db.models import Count, IntegerField, Q, QuerySet, Sum, Value

from cases import selectors as case_selectors
from cases.permissions import CITY_CASE_ROLES, TOWN_ROLES, role_of
from relief.money import ZERO, to_fen

from .models import Batch, PayeeAccount, PaymentLine, PaymentRule, PaymentRun, PaymentRunTown


def batches_in_scope(user) -> QuerySet[Batch]:
    return case_selectors.scope_by_town(Batch.objects.all(), user, "town")


def lines_in_scope(user) -> QuerySet[PaymentLine]:
    return case_selectors.scope_by_town(PaymentLine.objects.all(), user, "batch__town")


def accounts_in_scope(user) -> QuerySet[PayeeAccount]:
    return case_selectors.scope_by_town(PayeeAccount.objects.all(), user, "grant__town")


def runs_in_scope(user) -> QuerySet[PaymentRun]:
    """City-wide roles see every run; town roles the runs of their towns and the city-wide
    runs (which wrote their towns' batches too)."""
    role = role_of(user)
    if role in CITY_CASE_ROLES:
        return PaymentRun.objects.all()
    if role in TOWN_ROLES:
        towns = case_selectors.towns_in_scope(user)
        return PaymentRun.objects.filter(Q(town__isnull=True) | Q(town__in=towns))
    return PaymentRun.objects.none()


def runs_listed(user) -> QuerySet[PaymentRun]:
    """The runs in scope with what their pages and the API show of them. For a town role, each
    run carries the figures of the user's own towns (own_towns, own_towns_done, own_new_lines,
    own_no_account, own_batches, own_lines, own_total, from PaymentRunTown): a city-wide run is
    shown to it through those only (payments.runs.run_figures), never the city's figures."""
    rows = runs_in_scope(user).select_related("town", "started_by")
    if role_of(user) not in TOWN_ROLES:
        return rows
    towns = list(case_selectors.towns_in_scope(user).values_list("pk", flat=True))
    own = Q(town_results__town_id__in=towns)
    return rows.annotate(
        own_towns=Value(len(towns), output_field=IntegerField()),
        own_towns_done=Count("town_results", filter=own),
        own_new_lines=Sum("town_results__new_lines", filter=own),
        own_no_account=Sum("town_results__no_account", filter=own),
        own_batches=Sum("town_results__batches", filter=own),
        own_lines=Sum("town_results__lines", filter=own),
        own_total=Sum("town_results__total_amount", filter=own),
    ).order_by("-id")  # a grouped query drops Meta.ordering


def run_towns_in_scope(user, run: PaymentRun) -> QuerySet[PaymentRunTown]:
    """What a run did in each of the user's towns (all towns for city roles)."""
    return case_selectors.scope_by_town(
        PaymentRunTown.objects.filter(run=run), user, "town"
    ).select_related("town")


# What a batch's pages and API load with it: the town and the three people who acted, each with
# their staff profile, so that an unnamed one is named by their role's title (relief.people).
BATCH_RELATED = ("town", "submitted_by__staff", "approved_by__staff", "sent_by__staff")


def batch_get(*, user, pk) -> Batch:
    """One batch of the user's towns, or 404."""
    return case_selectors.get_in_scope(batches_in_scope(user).select_related("town"), pk=pk)


def line_get(*, user, pk) -> PaymentLine:
    return case_selectors.get_in_scope(lines_in_scope(user).select_related("batch"), pk=pk)


def account_get(*, user, pk) -> PayeeAccount:
    return case_selectors.get_in_scope(accounts_in_scope(user).select_related("grant__town"), pk=pk)


def payment_rule_in_force(day: datetime.date) -> PaymentRule | None:
    """The dated payment rule in force on `day` (the latest one that started by then): whether
    recoveries may be deducted, and the cap (DOMAIN.md §9)."""
    return (
        PaymentRule.objects.filter(effective_from__lte=day)
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=day))
        .order_by("-effective_from", "-id")
        .first()
    )


def batch_status_totals(batch: Batch) -> dict[str, dict]:
    """The batch's payment lines and their amounts by status (one GROUP BY): what the
    reconciliation page shows and the bank-return import reports. Lines, not bank rows: a row
    pays one payee the sum of their lines (a month's amount and a reissued month, say), and
    each line is a payment of its own with its own status."""
    totals = {status: {"lines": 0, "amount": ZERO} for status in PaymentLine.Status.values}
    rows = batch.lines.order_by().values("status").annotate(n=Count("id"), amount=Sum("amount"))
    for row in rows:
        totals[row["status"]] = {"lines": row["n"], "amount": to_fen(row["amount"] or ZERO)}
    return totals
