"""The monthly check's services: run the rules of audit/rules.py for a period,
town by town, and create, update or close the Finding rows they lead to.

A town's check:
1. the registry rules raise their candidates (SQL per town, audit/rules.py);
2. every candidate that affects money gets its months: from its effective month (not before the
   grant's first month) to the grant's last paid month, as its confirmation reassesses them (the
   run's first reconciled month does not cut them: it applies to `amount_differs` only),
   what the household should have been paid with the candidate's registry data as evidence
   (audit.amounts.expected) beside what it had (audit.amounts.paid). All of a town's grants go
   into one `expected` call per layer of candidates (a household at most once per layer, so
   that each candidate's months see its own changes only);
3. the households no registry candidate touches are reconciled without changes: a month whose
   payment differs from the calculation now raises `amount_differs`;
4. the candidates are reconciled with the stored findings of the period (audit/reconcile.py):
   a new one is created (assigned to the town's least-loaded case worker, due in the matching
   rule's working days), unless a dismissed finding of the same kind and subject has the same fingerprint; an open or
   closed one takes the new data (an open one left untouched when nothing changed, a closed one
   opened again); a dismissed one is opened again only when its fingerprint changed; proposed
   and confirmed ones are people's work and stay as they are. An open finding of the period
   and town that no rule raises any more (its extract replaced, its data corrected) is closed.

Re-running a period therefore changes nothing.
"""

import datetime
from collections import Counter
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Grant, Town
from cases.permissions import require
from relief.dates import add_months, first_of_month
from relief.money import ZERO

from . import person_rules, rules
from .amounts import MonthFigure, expected, months_between, paid
from .check_selectors import can_start_checks
from .models import CheckRun, CheckRunTown, Finding
from .reconcile import reconcile
from .rules import Candidate, Context

Kind = Finding.Kind
# The registry rules, in the order their findings are listed; amount_differs comes after them
# (it needs their results).
RECORD_RULES = (
    rules.assets_over_limit,
    rules.property_rule,
    rules.vehicle_rule,
    rules.business_rule,
    *person_rules.PERSON_RULES,
)
# What a finding's months may reach after the period: payments are made ahead (the run on the
# 20th pays the next month), so the last paid month may follow the period checked.
PAID_AHEAD_MONTHS = 3
# An unfinished run with no progress for this long is abandoned when another run of its period
# starts (a whole city's check takes minutes; a town's, seconds).
STALLED_AFTER = datetime.timedelta(hours=6)


@dataclass
class TownResult:
    households_checked: int = 0
    new_findings: int = 0
    by_kind: Counter = field(default_factory=Counter)


# --- months -------------------------------------------------------------------------------------


def _layers(candidates: list[Candidate]) -> list[list[Candidate]]:
    """Candidates in layers holding each household at most once (most need one layer)."""
    layers: list[list[Candidate]] = []
    seen: list[set[int]] = []
    for candidate in candidates:
        for layer, households in zip(layers, seen, strict=True):
            if candidate.household_id not in households:
                layer.append(candidate)
                households.add(candidate.household_id)
                break
        else:
            layers.append([candidate])
            seen.append({candidate.household_id})
    return layers


def _month_figures(candidate, grant, first, last_paid, expected_amounts, paid_amounts):
    start = max(candidate.effective_month or first, grant.starts_month)
    end = last_paid.get(grant.pk)
    if end is None or end < start:
        return []
    return [
        MonthFigure(
            month=month,
            expected=expected_amounts.get((grant.pk, month), ZERO),
            paid=paid_amounts.get((grant.pk, month), ZERO),
        )
        for month in months_between(start, end)
    ]


def _set_months(candidate: Candidate, figures: list[MonthFigure]) -> None:
    candidate.months = [figure.as_dict() for figure in figures]
    differences = [figure.difference for figure in figures]
    candidate.overpaid = -sum((d for d in differences if d < 0), ZERO)
    candidate.underpaid = sum((d for d in differences if d > 0), ZERO)
    candidate.difference_total = sum(differences, ZERO)


def _ledger(grant_ids, first: datetime.date, period: datetime.date):
    """What the grants had per month, and each grant's last month with a payment."""
    paid_amounts = paid(grant_ids, first, add_months(period, PAID_AHEAD_MONTHS))
    last_paid: dict[int, datetime.date] = {}
    for (grant_id, month), amount in paid_amounts.items():
        if amount and (grant_id not in last_paid or month > last_paid[grant_id]):
            last_paid[grant_id] = month
    return paid_amounts, last_paid


def add_months_tables(
    candidates: list[Candidate], *, first: datetime.date, period: datetime.date
) -> None:
    """Give every money candidate its months and totals, with one `expected` call per layer."""
    money = [c for c in candidates if c.affects_money and c.grant_id is not None]
    for candidate in candidates:
        _set_months(candidate, [])
    if not money:
        return
    grants = Grant.objects.only("starts_month").in_bulk({c.grant_id for c in money})
    starts = {
        id(c): max(c.effective_month or first, grants[c.grant_id].starts_month) for c in money
    }
    paid_amounts, last_paid = _ledger(list(grants), min(starts.values()), period)
    for layer in _layers(money):
        layer_starts = [starts[id(c)] for c in layer]
        ends = [last_paid[c.grant_id] for c in layer if c.grant_id in last_paid]
        if not ends or max(ends) < min(layer_starts):
            continue
        months = months_between(min(layer_starts), max(ends))
        changes = [change for c in layer for change in c.changes]
        expected_amounts = expected({c.grant_id for c in layer}, months, changes)
        for candidate in layer:
            grant = grants[candidate.grant_id]
            figures = _month_figures(
                candidate, grant, first, last_paid, expected_amounts, paid_amounts
            )
            _set_months(candidate, figures)


def amount_differs(
    ctx: Context, households: list[tuple[int, int]], *, first: datetime.date
) -> list[Candidate]:
    """For the households no registry rule raised money for: a month whose payment differs
    from what the calculation gives on the evidence and rules now recorded, from the first such
    month to the last paid month (one finding per grant)."""
    if not households:
        return []
    # The ledger first, read for the town's grants as a subquery (not thousands of ids): only
    # the households' grants paid in the months reconciled are then calculated, by id.
    wanted = {grant_id: household_id for household_id, grant_id in households}
    town_grants = Grant.objects.filter(town_id=ctx.town.pk)
    paid_amounts, last_paid = _ledger(town_grants.values("pk"), first, ctx.period)
    starts = dict(town_grants.values_list("pk", "starts_month"))
    # (grant id, first month, last paid month) of the grants paid in the months reconciled.
    paying = sorted(
        (pk, max(first, starts[pk]), month)
        for pk, month in last_paid.items()
        if pk in wanted and month >= max(first, starts[pk])
    )
    if not paying:
        return []
    months = months_between(first, max(last for _pk, _start, last in paying))
    expected_amounts = expected([pk for pk, _start, _last in paying], months)
    candidates = []
    for pk, start, last in paying:
        figures = [
            MonthFigure(
                month,
                expected_amounts.get((pk, month), ZERO),
                paid_amounts.get((pk, month), ZERO),
            )
            for month in months_between(start, last)
        ]
        differing = [f for f in figures if f.difference]
        if not differing:
            continue  # nearly every grant: paid what the calculation gives
        figures = [f for f in figures if f.month >= differing[0].month]
        candidate = Candidate(
            kind=Kind.AMOUNT_DIFFERS,
            subject=f"grant:{pk}",
            town_id=ctx.town.pk,
            household_id=wanted[pk],
            grant_id=pk,
            effective_month=differing[0].month,
        )
        _set_months(candidate, figures)
        candidate.figures = {"months_differing": len(differing)}
        candidate.fingerprint = rules.digest(candidate.months)
        candidates.append(candidate)
    return candidates


# --- the check of one town, and of a run --------------------------------------------------------


def check_town(
    *,
    period: datetime.date,
    town: Town,
    from_month: datetime.date,
    today: datetime.date | None = None,
    actor=None,
) -> TownResult:
    """The whole check of one town for the period (see the module docstring), in one
    transaction: a town's findings change together or not at all."""
    today = today or timezone.localdate()
    ctx = Context(period=period, town=town, rule=rules.matching_rule(period))
    with transaction.atomic():
        with rules.base_tables(ctx):
            households = rules.live_households(ctx)
            candidates = [c for rule in RECORD_RULES for c in rule(ctx)]
        add_months_tables(candidates, first=from_month, period=period)
        touched = {c.household_id for c in candidates if c.affects_money and c.months}
        untouched = [(h, g) for h, g in households if h not in touched]
        candidates += amount_differs(ctx, untouched, first=from_month)
        new = reconcile(ctx, candidates, today=today, actor=actor)
    return TownResult(
        households_checked=len(households),
        new_findings=new,
        by_kind=Counter(c.kind for c in candidates),
    )


def default_from_month(period: datetime.date, town: Town | None = None) -> datetime.date:
    """The month after the last period checked (for the town, or city-wide), else the matching
    rule's first-check months back, counting the period itself."""
    runs = CheckRun.objects.filter(state=CheckRun.State.DONE, period__lt=period)
    if town is not None:
        runs = runs.filter(Q(town=town) | Q(town__isnull=True))
    last = runs.aggregate(last=Max("period"))["last"]
    if last is not None:
        return add_months(last, 1)
    months = rules.matching_rule(period).first_check_months or 1
    return add_months(period, -(months - 1))


def check_start(
    *,
    actor,
    period: datetime.date,
    town: Town | None = None,
    from_month: datetime.date | None = None,
) -> CheckRun:
    """A run started by a person (the checks page, the API): the city supervisor or an
    administrator, for the city or one town. Returns the run, queued."""
    require(
        can_start_checks(actor), _("Only the city supervisor or an administrator starts a check.")
    )
    period = first_of_month(period)
    if from_month is not None and first_of_month(from_month) > period:
        raise ValidationError(
            {"from_month": _("The first month to reconcile comes after the period.")}
        )
    return start_check(period=period, town=town, from_month=from_month, user=actor)


@transaction.atomic
def start_check(
    *,
    period: datetime.date,
    town: Town | None = None,
    from_month: datetime.date | None = None,
    user=None,
) -> CheckRun:
    """Record a run and its towns (queued), for the tasks or run_check to carry out. Refused
    while a run of the period over the same towns is unfinished: both would write the same
    findings, and the second would fail on their uniqueness."""
    period = first_of_month(period)
    _refuse_overlapping_run(period, town)
    from_month = first_of_month(from_month) if from_month else default_from_month(period, town)
    from_month = min(from_month, period)
    run = CheckRun.objects.create(period=period, from_month=from_month, town=town, started_by=user)
    towns = [town] if town is not None else list(Town.objects.order_by("code"))
    CheckRunTown.objects.bulk_create(CheckRunTown(run=run, town=t) for t in towns)
    return run


def _refuse_overlapping_run(period: datetime.date, town: Town | None) -> None:
    """The ValidationError (on `period`) when an unfinished run of the period covers a town of
    this one. The towns in scope are locked first, so that two starts at once are serialised
    and the second sees the first (on PostgreSQL; SQLite serialises writers anyway)."""
    towns = Town.objects.order_by("pk")
    if town is not None:
        towns = towns.filter(pk=town.pk)
    list(towns.select_for_update().values_list("pk", flat=True))
    running = CheckRun.objects.filter(period=period, finished_at__isnull=True)
    if town is not None:
        running = running.filter(Q(town__isnull=True) | Q(town=town))
    _abandon_stalled(running)
    other = running.order_by("id").first()
    if other is not None:
        raise ValidationError(
            {
                "period": _(
                    "Check #%(id)s of %(period)s is still running; start another check of "
                    "this period once it has finished."
                )
                % {"id": other.pk, "period": period.strftime("%Y-%m")}
            }
        )


def _abandon_stalled(runs) -> None:
    """Finish as failed the unfinished runs among `runs` with no progress (no town started or
    finished) for STALLED_AFTER: their worker stopped (a crash, a restart with the tasks lost),
    and a run nobody carries on must not block the period for ever."""
    limit = timezone.now() - STALLED_AFTER
    for run in runs.filter(started_at__lt=limit):
        progress = run.towns.aggregate(started=Max("started_at"), finished=Max("finished_at"))
        if any(moment and moment >= limit for moment in progress.values()):
            continue
        error = _("Abandoned: no progress for %(hours)s hours (its worker stopped).") % {
            "hours": int(STALLED_AFTER.total_seconds() // 3600)
        }
        now = timezone.now()
        run.towns.filter(state__in=(CheckRun.State.QUEUED, CheckRun.State.RUNNING)).update(
            state=CheckRun.State.FAILED, error=error, finished_at=now
        )
        CheckRun.objects.filter(pk=run.pk).update(
            state=CheckRun.State.FAILED, error=error, finished_at=now
        )


def run_town(*, run: CheckRun, town: Town, today: datetime.date | None = None) -> CheckRunTown:
    """Carry out one town of a run and record its progress; the last town finishes the run."""
    part = CheckRunTown.objects.get(run=run, town=town)
    if part.state == CheckRun.State.DONE:
        return part  # a retried task: the town is done
    CheckRunTown.objects.filter(pk=part.pk).update(
        state=CheckRun.State.RUNNING, started_at=timezone.now()
    )
    # Running again: queued, or finished as failed when this town is a retry of a failed one.
    CheckRun.objects.filter(pk=run.pk).exclude(state=CheckRun.State.RUNNING).update(
        state=CheckRun.State.RUNNING, finished_at=None
    )
    try:
        result = check_town(
            period=run.period,
            town=town,
            from_month=run.from_month,
            today=today,
            actor=run.started_by,
        )
    except Exception as error:
        CheckRunTown.objects.filter(pk=part.pk).update(
            state=CheckRun.State.FAILED, error=str(error)[:2000], finished_at=timezone.now()
        )
        _finish_if_done(run)
        raise
    CheckRunTown.objects.filter(pk=part.pk).update(
        state=CheckRun.State.DONE,
        households_checked=result.households_checked,
        new_findings=result.new_findings,
        error="",
        finished_at=timezone.now(),
    )
    _finish_if_done(run)
    part.refresh_from_db()
    return part


def summary(*, period: datetime.date, town: Town | None = None) -> dict:
    """The period's undecided (open or proposed) findings in scope: count, by kind, totals."""
    findings = Finding.objects.filter(period=period)
    if town is not None:
        findings = findings.filter(town=town)
    return summary_of(findings)


def summary_of(findings) -> dict:
    """Count, counts by kind and totals of the undecided findings among `findings`."""
    findings = findings.filter(state__in=Finding.UNDECIDED)
    by_kind = dict(
        findings.order_by().values_list("kind").annotate(n=Count("id")).values_list("kind", "n")
    )
    totals = findings.aggregate(over=Sum("overpaid"), under=Sum("underpaid"))
    return {
        "findings": sum(by_kind.values()),
        "by_kind": dict(sorted(by_kind.items())),
        "overpaid_total": f"{totals['over'] or ZERO:.2f}",
        "underpaid_total": f"{totals['under'] or ZERO:.2f}",
    }


def _finish_if_done(run: CheckRun) -> None:
    """Record the run's result once no town is queued or running. A finished run is recomputed
    too: a town that failed and then succeeded on a retry (Celery's autoretry) turns a FAILED
    run DONE, with the counts and summary of all its towns."""
    with transaction.atomic():
        run = CheckRun.objects.select_for_update().get(pk=run.pk)
        parts = list(run.towns.all())
        if any(p.state in (CheckRun.State.QUEUED, CheckRun.State.RUNNING) for p in parts):
            return
        failed = [p for p in parts if p.state == CheckRun.State.FAILED]
        run.households_checked = sum(p.households_checked for p in parts)
        run.new_findings = sum(p.new_findings for p in parts)
        run.state = CheckRun.State.FAILED if failed else CheckRun.State.DONE
        run.error = "\n".join(f"{p.town_id}: {p.error}" for p in failed)
        run.result = result_of(run)
        run.finished_at = timezone.now()
        run.save()


def result_of(run: CheckRun) -> dict:
    """The command's JSON line for a run."""
    return {
        "period": run.period.strftime("%Y-%m"),
        "households_checked": run.households_checked,
        "new_findings": run.new_findings,
        **summary(period=run.period, town=run.town),
    }


def run_check(
    period: datetime.date,
    town: Town | None = None,
    from_month: datetime.date | None = None,
    user=None,
    today: datetime.date | None = None,
) -> CheckRun:
    """A whole check in this process, town after town (the command; the beat fans out)."""
    run = start_check(period=period, town=town, from_month=from_month, user=user)
    for part in run.towns.select_related("town"):
        run_town(run=run, town=part.town, today=today)
    run.refresh_from_db()
    return run
