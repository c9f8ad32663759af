"""The payment run (DESIGN.md "A month's close", step 4): set-based, per town.

`payment_run(period=..., kind=...)` writes, for every town (or one), the lines that are missing
for the period into the town's draft batch, in ONE transaction per town:

- a monthly run (kind "monthly"): a regular line for every dibao and tekun grant whose confirmed
  amount for the month (cases.grants.with_confirmed_amount, THE amount rule, compiled
  into the INSERT ... SELECT) is above zero and that has a confirmed payee account; a back-pay
  line per grant with confirmed back-pay orders not yet paid; where the payment rule in force
  allows it, a recovery deduction capped at a share of the grant's regular line; and the
  reissue of every failed regular or back-pay line;
- a disbursement run (kind "disbursement", the daily batch) or an urgent one (kind "urgent", an
  ad-hoc batch): an instalment line for every temporary-assistance grant whose instalment falls
  in the month, and the reissue of failed instalment lines.

Only once: at most one line is ever written per grant, period and kind, except a reissue, which
points to the failed line it replaces (a failed line is reissued once: `replaces` is unique).
The partial unique constraint `one_live_line_per_grant_period_kind` backs it whatever the code
does (ON CONFLICT DO NOTHING), and on PostgreSQL an advisory lock per (kind, period, town)
makes a concurrent run of the same town wait and then find nothing to do. A reversed line is
settled by a correction (back-pay), never paid again by the run. A failed deduction is not
reissued: the recovery's balance did not change, so the next run deducts again within the cap.

Safe to run twice (a second run writes nothing and says so) and safe to kill: each town commits
whole (its batch, lines, row numbers and totals), so a killed run leaves whole towns done and
no partial batch, and the next run completes the rest.
"""

import datetime
import hashlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import (
    BigIntegerField,
    Count,
    DateField,
    DateTimeField,
    Exists,
    F,
    FilteredRelation,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_update_with_history

from cases import selectors as case_selectors
from cases.grants import with_confirmed_amount
from cases.models import Grant, Role, Scheme, Town
from cases.permissions import role_of
from relief.dates import month_key
from relief.history import with_actor
from relief.money import ZERO, format_money, to_fen

from . import selectors
from .models import (
    BackPay,
    Batch,
    PayeeAccount,
    PaymentLine,
    PaymentRun,
    PaymentRunTown,
    Recovery,
)

Kind = PaymentRun.Kind
LineKind = PaymentLine.Kind
LineStatus = PaymentLine.Status

# Which line kinds each run writes (and reissues).
MONTHLY_REISSUED = (LineKind.REGULAR, LineKind.BACKPAY)
TEMPORARY_REISSUED = (LineKind.INSTALMENT,)

# The columns an INSERT ... SELECT writes, in this order; the SELECT names them c_<column>.
LINE_COLUMNS = (
    "batch_id",
    "grant_id",
    "period",
    "kind",
    "amount",
    "status",
    "seq",
    "replaces_id",
    "payee_id",
    "account_id",
    "bank_name",
    "account_holder",
    "account_number",
    "failure_reason",
    "created_at",
)

# Rows per query where the run goes through Python (back-pay orders, deductions: few rows).
CHUNK = 1000
# At most this many skipped grants are listed per town of a run (the count is complete).
SKIPPED_LISTED = 1000


@dataclass
class TownResult:
    town: Town
    new_lines: int = 0
    no_account: int = 0
    batch: Batch | None = None
    finished: "RunResult | None" = None  # set by the town that completed the run
    # The grants the run skipped in the town: (grant id, PaymentRunTown.Skip code).
    skipped: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class RunResult:
    """What a run did and what the period holds now, in its scope (one town or all)."""

    period: datetime.date
    kind: str
    run: PaymentRun
    batches: int = 0
    lines: int = 0
    new_lines: int = 0
    total_amount: Decimal = ZERO
    no_account: int = 0

    @property
    def generated(self) -> bool:
        return self.new_lines > 0

    @property
    def message(self) -> str:
        values = {
            "period": month_key(self.period),
            "new": self.new_lines,
            "lines": self.lines,
            "batches": self.batches,
            "total": format_money(self.total_amount),
        }
        if self.generated:
            text = (
                _(
                    "%(period)s: %(new)d new lines written; the period now holds %(lines)d live "
                    "lines in %(batches)d batches, %(total)s yuan in all."
                )
                % values
            )
        else:
            text = (
                _(
                    "%(period)s: nothing new to write; the period already holds %(lines)d live "
                    "lines in %(batches)d batches, %(total)s yuan in all."
                )
                % values
            )
        if self.no_account:
            text += " " + _(
                "%(count)d grants due a payment have no confirmed payee account and got no line."
            ) % {"count": self.no_account}
        return text

    def as_dict(self) -> dict:
        """The command's JSON line (manage.py payment_run)."""
        return {
            "period": month_key(self.period),
            "batches": self.batches,
            "lines": self.lines,
            "new_lines": self.new_lines,
            "total_amount": str(to_fen(self.total_amount)),
            "generated": self.generated,
        }


Progress = Callable[[int, int, TownResult], None]


# Who may start a run


def require_run_permission(actor, town: Town | None) -> None:
    """The city supervisor runs payments for any town or the whole city; a town supervisor for
    one of their towns (another town does not exist for them: 404). A run the scheduler starts
    has no actor and needs no permission."""
    role = role_of(actor)
    if role == Role.CITY_SUPERVISOR:
        return
    if role != Role.TOWN_SUPERVISOR:
        raise PermissionDenied(
            _("Only the city supervisor or a town supervisor starts a payment run.")
        )
    if town is None:
        raise PermissionDenied(
            _("A town supervisor runs payments for one of their towns: name the town.")
        )
    case_selectors.get_in_scope(case_selectors.towns_in_scope(actor), pk=town.pk)


def require_period(period) -> datetime.date:
    if not isinstance(period, datetime.date) or isinstance(period, datetime.datetime):
        raise ValidationError({"period": _("Give the period as the date of its first day.")})
    if period.day != 1:
        raise ValidationError(
            {"period": _("A period is a month, given as its first day (e.g. 2024-03-01).")}
        )
    return period


def require_kind(kind: str) -> str:
    if kind not in Kind.values:
        raise ValidationError(
            {
                "kind": _("Unknown run kind “%(kind)s”: use one of %(kinds)s.")
                % {"kind": kind, "kinds": ", ".join(Kind.values)}
            }
        )
    return kind


# The run


def payment_run_start(
    *,
    period: datetime.date,
    town: Town | None = None,
    actor=None,
    kind: str = Kind.MONTHLY,
    now: datetime.datetime | None = None,
) -> PaymentRun:
    """Record a run that is about to start (state running), after the checks: the period, the
    kind, and who may start it. The API creates it and lets a task carry it out."""
    period = require_period(period)
    kind = require_kind(kind)
    if actor is not None:
        require_run_permission(actor, town)
    towns_total = 1 if town is not None else Town.objects.count()
    return PaymentRun.objects.create(
        kind=kind,
        period=period,
        town=town,
        started_by=actor if getattr(actor, "is_authenticated", False) else None,
        started_at=now or timezone.now(),
        state=PaymentRun.State.RUNNING,
        towns_total=towns_total,
    )


def payment_run(
    *,
    period: datetime.date,
    town: Town | None = None,
    actor=None,
    kind: str = Kind.MONTHLY,
    progress: Progress | None = None,
    run: PaymentRun | None = None,
    today: datetime.date | None = None,
    now: datetime.datetime | None = None,
) -> RunResult:
    """Write the period's missing lines for one town or every town, town after town (see the
    module's docstring); `actor` is recorded (None: the scheduler). `run` carries out a run
    recorded earlier by payment_run_start. The scheduler runs the towns of a city-wide run as
    parallel tasks instead (payments.tasks.payment_run_fan_out), each a payment_run_town."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    if run is None:
        run = payment_run_start(period=period, town=town, actor=actor, kind=kind, now=now)
    towns, finished = run_towns(run), None
    for index, each in enumerate(towns, start=1):
        town_result = payment_run_town(run=run, town=each, actor=actor, today=today, now=now)
        finished = town_result.finished
        if progress is not None:
            progress(index, len(towns), town_result)
    return finished or payment_run_finish(run)


def run_towns(run: PaymentRun) -> list[Town]:
    """The run's towns in code order (its towns_total set to their number)."""
    towns = [run.town] if run.town is not None else list(Town.objects.order_by("code"))
    if run.towns_total != len(towns):
        run.towns_total = len(towns)
        run.save(update_fields=["towns_total"])
    return towns


def payment_run_town(
    *,
    run: PaymentRun,
    town: Town,
    actor=None,
    today: datetime.date | None = None,
    now: datetime.datetime | None = None,
) -> TownResult:
    """One town of a run, in its own transaction, then the run's progress; the town that
    completes the run (towns_done reaching towns_total, whichever finishes last when towns run
    in parallel) records the run's result (TownResult.finished). A town that fails marks the
    run failed: the towns done stay done, and the next run completes the rest."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    try:
        result = _run_town(
            run=run, town=town, period=run.period, kind=run.kind, actor=actor, today=today, now=now
        )
    except Exception as exc:
        PaymentRun.objects.filter(pk=run.pk).update(
            state=PaymentRun.State.FAILED,
            finished_at=timezone.now(),
            message=_(
                "Stopped in a town's transaction (%(error)s): the towns done before it stay "
                "done; the next run completes the rest."
            )
            % {"error": exc.__class__.__name__},
        )
        raise
    with transaction.atomic():
        row = PaymentRun.objects.select_for_update().get(pk=run.pk)
        row.towns_done += 1
        row.new_lines += result.new_lines
        row.no_account += result.no_account
        row.save(update_fields=["towns_done", "new_lines", "no_account"])
        _record_town(run=run, result=result)
        # A run marked failed by a town that then succeeded on its task's retry completes too.
        last = row.towns_done >= row.towns_total and row.state != PaymentRun.State.COMPLETE
    if last:
        result.finished = payment_run_finish(run)
    return result


def payment_run_finish(run: PaymentRun) -> RunResult:
    """Record a run as complete, with its message (see run_result)."""
    result = run_result(run)
    PaymentRun.objects.filter(pk=run.pk).update(
        state=PaymentRun.State.COMPLETE, finished_at=timezone.now(), message=result.message
    )
    run.refresh_from_db()
    return result


def _record_town(*, run: PaymentRun, result: TownResult) -> None:
    """What the run did in the town and what the period holds there now (PaymentRunTown):
    what a town role may see of a city-wide run."""
    batches = Batch.objects.filter(period=run.period, kind=run.kind, town=result.town)
    totals = PaymentLine.objects.filter(PaymentLine.LIVE, batch__in=batches).aggregate(
        lines=Count("id"), total=Sum("amount")
    )
    PaymentRunTown.objects.update_or_create(
        run=run,
        town=result.town,
        defaults={
            "new_lines": result.new_lines,
            "no_account": result.no_account,
            "batches": batches.count(),
            "lines": totals["lines"],
            "total_amount": to_fen(totals["total"] or ZERO),
            "skipped": [
                {"grant": grant_id, "reason": reason}
                for grant_id, reason in result.skipped[:SKIPPED_LISTED]
            ],
            "skipped_count": len(result.skipped),
        },
    )


@dataclass(frozen=True)
class RunFigures:
    """What a reader may see of a run's progress and result: the run's own figures, or for a
    town role reading a city-wide run the sums over its own towns (payments.selectors.runs_listed
    annotates them), with the run's message said over those."""

    towns_done: int
    towns_total: int
    new_lines: int
    no_account: int
    message: str


def run_figures(run: PaymentRun) -> RunFigures:
    if getattr(run, "own_towns", None) is None or run.town_id is not None:
        return RunFigures(
            run.towns_done, run.towns_total, run.new_lines, run.no_account, run.message
        )
    message = run.message
    if run.state == PaymentRun.State.COMPLETE:
        message = RunResult(
            period=run.period,
            kind=run.kind,
            run=run,
            batches=run.own_batches or 0,
            lines=run.own_lines or 0,
            new_lines=run.own_new_lines or 0,
            total_amount=to_fen(run.own_total or ZERO),
            no_account=run.own_no_account or 0,
        ).message
    return RunFigures(
        towns_done=run.own_towns_done,
        towns_total=run.own_towns,
        new_lines=run.own_new_lines or 0,
        no_account=run.own_no_account or 0,
        message=message,
    )


def run_result(run: PaymentRun) -> RunResult:
    """What a run wrote (the towns' counts, kept on the run) and what the period holds now in
    its scope: the period's batches of the run's kind and their live lines."""
    run.refresh_from_db()
    result = RunResult(
        period=run.period,
        kind=run.kind,
        run=run,
        new_lines=run.new_lines,
        no_account=run.no_account,
    )
    batches = Batch.objects.filter(period=result.period, kind=result.kind)
    if run.town is not None:
        batches = batches.filter(town=run.town)
    result.batches = batches.count()
    totals = PaymentLine.objects.filter(PaymentLine.LIVE, batch__in=batches).aggregate(
        lines=Count("id"), total=Sum("amount")
    )
    result.lines = totals["lines"]
    result.total_amount = to_fen(totals["total"] or ZERO)
    return result


def lock_town(*, kind: str, period: datetime.date, town: Town) -> None:
    """Serialise runs of one town, period and kind of line on PostgreSQL (released at the end
    of the town's transaction). Disbursement and urgent runs write the same instalment lines,
    so they share a lock. SQLite has one writer at a time and needs none."""
    if connection.vendor != "postgresql":
        return
    family = "monthly" if kind == Kind.MONTHLY else "temporary"
    digest = hashlib.blake2b(
        f"payments.run:{family}:{period.isoformat()}:{town.pk}".encode(), digest_size=8
    ).digest()
    key = int.from_bytes(digest, "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def _no_jit() -> None:
    """A town's statements each read tens of thousands of rows once: PostgreSQL's JIT
    compilation of them cost more than it saved, up to a second per statement
    (bench/README.md). For the rest of the transaction."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")


def _run_town(*, run, town, period, kind, actor, today, now) -> TownResult:
    result = TownResult(town=town)
    with transaction.atomic():
        lock_town(kind=kind, period=period, town=town)
        _no_jit()
        temporary = kind != Kind.MONTHLY
        reissued = TEMPORARY_REISSUED if temporary else MONTHLY_REISSUED
        business_date = today
        batch = open_drafts(
            town=town, kind=kind, period=period, business_date=business_date
        ).first()
        if batch is None:
            if not _anything_to_write(
                town=town, period=period, temporary=temporary, reissued=reissued
            ):
                _skipped(result, town=town, period=period, temporary=temporary)
                return result
            batch = Batch(kind=kind, town=town, period=period, business_date=business_date, run=run)
            with_actor(batch, actor, _("Payment run #%(id)s") % {"id": run.pk}).save()
        new = _reissue(batch=batch, town=town, kinds=reissued, now=now, actor=actor)
        new += _insert(
            _due_lines(batch=batch, town=town, period=period, temporary=temporary, now=now)
        )
        if not temporary:
            new += _backpay(batch=batch, town=town, period=period, actor=actor)
            new += _deductions(batch=batch, town=town, period=period)
        if new:
            batch_number_rows(batch)
            batch_set_totals(
                batch,
                actor=actor,
                reason=_("Payment run #%(id)s: %(new)d new lines") % {"id": run.pk, "new": new},
            )
        result.new_lines, result.batch = new, batch
        _skipped(result, town=town, period=period, temporary=temporary)
    return result


def open_drafts(*, town, kind, period, business_date) -> QuerySet[Batch]:
    """The town's draft batch to add to, locked: for a monthly run the period's draft (whatever
    day it was started), for a disbursement or urgent run the draft of the day. A batch already
    submitted, approved or sent is never added to: new lines go into a new draft."""
    drafts = Batch.objects.select_for_update().filter(
        town=town, kind=kind, period=period, state=Batch.State.DRAFT
    )
    if kind != Kind.MONTHLY:
        drafts = drafts.filter(business_date=business_date)
    return drafts.order_by("id")


# What the lines are made of


def _confirmed_account() -> FilteredRelation:
    return FilteredRelation("accounts", condition=Q(accounts__state=PayeeAccount.State.CONFIRMED))


def _line_kind(temporary: bool) -> str:
    return LineKind.INSTALMENT if temporary else LineKind.REGULAR


def _paying_grants(*, town, period, temporary: bool) -> QuerySet[Grant]:
    """The town's grants of the kind of scheme that may pay for `period`, annotated with
    `confirmed_amount` (zero when nothing is due: before the first month, after the last one,
    while suspended). The date filters only narrow the scan; the amount rule decides."""
    grants = Grant.objects.filter(town=town, starts_month__lte=period).filter(
        Q(ends_month__isnull=True) | Q(ends_month__gte=period)
    )
    temporary_schemes = Q(scheme__kind=Scheme.Kind.TEMPORARY)
    grants = grants.filter(temporary_schemes) if temporary else grants.exclude(temporary_schemes)
    return with_confirmed_amount(grants.order_by(), month=period)


class _ProbedExists(Exists):
    """EXISTS evaluated as a probe per outer row: on PostgreSQL "OFFSET 0" keeps the planner
    from turning it into a join (SQLite always probes). The period's lines are written during
    the run, so the planner's statistics do not know them yet: planned as an anti-join from an
    estimate of a few rows, the check against a million lines became a scan per grant
    (bench/README.md)."""

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler, connection, template="EXISTS(%(subquery)s OFFSET 0)", **extra_context
        )


def _due_grants(*, town, period, temporary: bool) -> QuerySet[Grant]:
    """The paying grants (see _paying_grants) that have no line of the run's kind for the
    period yet, each checked through the (grant, period) index."""
    lines = PaymentLine.objects.filter(grant=OuterRef("pk"), period=period)
    return _paying_grants(town=town, period=period, temporary=temporary).exclude(
        _ProbedExists(lines.filter(kind=_line_kind(temporary)))
    )


def _due_lines(*, batch, town, period, temporary: bool, now) -> QuerySet[Grant]:
    """The regular (or instalment) lines to write, as a SELECT of LINE_COLUMNS: the paying
    grants joined to their confirmed account, whose details are copied into the line.

    A grant that already has a live line for the period is not looked for here: the INSERT
    skips it (ON CONFLICT on one_live_line_per_grant_period_kind, an index probe per row that
    needs no statistics). Only a grant with a failed or reversed line is left out (a failed
    line is reissued, a reversed one settled by a correction): a hashed list of the period's
    few such lines, read from the partial index line_not_live."""
    kind = _line_kind(temporary)
    not_live = PaymentLine.objects.filter(
        period=period, kind=kind, status__in=[LineStatus.FAILED, LineStatus.REVERSED]
    ).values("grant_id")
    return (
        _paying_grants(town=town, period=period, temporary=temporary)
        .exclude(pk__in=not_live)
        .annotate(acct=_confirmed_account())
        .filter(acct__isnull=False)
        .annotate(
            c_batch_id=Value(batch.pk, output_field=IntegerField()),
            c_grant_id=F("pk"),
            c_period=Value(period, output_field=DateField()),
            c_kind=Value(kind),
            c_amount=F("confirmed_amount"),
            **_line_defaults(now),
            c_replaces_id=Cast(Value(None), output_field=BigIntegerField()),
            **_account_columns("acct"),
        )
    )


def _line_defaults(now) -> dict:
    return {
        "c_status": Value(LineStatus.PENDING),
        "c_failure_reason": Value(""),
        "c_created_at": Value(now, output_field=DateTimeField()),
    }


def _account_columns(relation: str) -> dict:
    return {
        "c_payee_id": F(f"{relation}__payee_id"),
        "c_account_id": F(f"{relation}__id"),
        "c_bank_name": F(f"{relation}__bank_name"),
        "c_account_holder": F(f"{relation}__account_holder"),
        "c_account_number": F(f"{relation}__account_number"),
    }


def _insert(rows: QuerySet) -> int:
    """INSERT the rows of a queryset annotated with c_<column> for LINE_COLUMNS but seq, skipping
    any row with no positive amount and any that conflicts with a unique constraint (another
    live line of the grant, period and kind; a second reissue of one line). Returns the rows
    written. `seq` is numbered by grant here, so that batch_number_rows, which renumbers the
    whole batch, has nothing to rewrite in a new batch of regular lines."""
    selects = [f"c_{column}" for column in LINE_COLUMNS if column != "seq"]
    sql, params = rows.values(*selects).order_by().query.sql_with_params()
    quote = connection.ops.quote_name
    table = quote(PaymentLine._meta.db_table)
    columns = ", ".join(quote(column) for column in LINE_COLUMNS)
    selected = ", ".join(
        f"ROW_NUMBER() OVER (ORDER BY src.{quote('c_grant_id')})"
        if column == "seq"
        else f"src.{quote('c_' + column)}"
        for column in LINE_COLUMNS
    )
    # The WHERE also settles SQLite's parsing of INSERT ... SELECT ... ON CONFLICT. OFFSET 0
    # keeps PostgreSQL from pushing it into the SELECT, which would compute the amount twice.
    fence = " OFFSET 0" if connection.vendor == "postgresql" else ""
    statement = (
        f"INSERT INTO {table} ({columns}) SELECT {selected} FROM ({sql}{fence}) src "
        f"WHERE src.{quote('c_amount')} > 0 ON CONFLICT DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return max(cursor.rowcount, 0)


def _reissue_candidates(*, town, kinds) -> QuerySet[PaymentLine]:
    """Failed lines of the town's grants that were never reissued, whose grant, period and kind
    has no live line, and whose grant has a confirmed account now."""
    live = PaymentLine.objects.filter(
        PaymentLine.LIVE,
        grant=OuterRef("grant"),
        period=OuterRef("period"),
        kind=OuterRef("kind"),
    )
    return (
        PaymentLine.objects.filter(status=LineStatus.FAILED, kind__in=kinds, grant__town=town)
        .exclude(Exists(PaymentLine.objects.filter(replaces=OuterRef("pk"))))
        .exclude(Exists(live))
        .annotate(
            acct=FilteredRelation(
                "grant__accounts",
                condition=Q(grant__accounts__state=PayeeAccount.State.CONFIRMED),
            )
        )
        .filter(acct__isnull=False)
        .order_by()
    )


def _reissue(*, batch, town, kinds, now, actor) -> int:
    """A new line for each failed line (same grant, period, kind and amount) pointing to it,
    into the account confirmed now. The back-pay orders of a reissued back-pay line follow it."""
    rows = _reissue_candidates(town=town, kinds=kinds).annotate(
        c_batch_id=Value(batch.pk, output_field=IntegerField()),
        c_grant_id=F("grant_id"),
        c_period=F("period"),
        c_kind=F("kind"),
        c_amount=F("amount"),
        **_line_defaults(now),
        c_replaces_id=F("pk"),
        **_account_columns("acct"),
    )
    written = _insert(rows)
    if written and LineKind.BACKPAY in kinds:
        moved = dict(
            PaymentLine.objects.filter(
                batch=batch, kind=LineKind.BACKPAY, replaces__isnull=False
            ).values_list("replaces_id", "pk")
        )
        orders = list(BackPay.objects.filter(line_id__in=list(moved)))
        for order in orders:
            new_line = moved[order.line_id]
            order.line_id = new_line
            with_actor(order, actor, _("Paid by reissued line #%(id)s") % {"id": new_line})
        if orders:
            bulk_update_with_history(
                orders,
                BackPay,
                ["line"],
                batch_size=CHUNK,
                default_user=actor if getattr(actor, "is_authenticated", False) else None,
                default_change_reason=_("Paid by a reissued line"),
            )
    return written


def _anything_to_write(*, town, period, temporary: bool, reissued) -> bool:
    """Whether a new batch would get any line (so a run with nothing to do creates none)."""
    if _reissue_candidates(town=town, kinds=reissued).exists():
        return True
    due = (
        _due_grants(town=town, period=period, temporary=temporary)
        .annotate(acct=_confirmed_account())
        .filter(acct__isnull=False, confirmed_amount__gt=0)
    )
    if due.exists():
        return True
    if temporary:
        return False
    return _backpay_orders(town=town).filter(_has_confirmed_account("grant")).exists()


def _skipped(result: TownResult, *, town, period, temporary: bool) -> None:
    """The grants the run left without a line in the town, each with why: due a payment for
    the period with no confirmed account (such a grant has no line at all: a line needs a
    confirmed account, and a confirmed account is only ever superseded by another,
    payments.accounts), and, in a monthly run, confirmed back-pay waiting for an account."""
    Skip = PaymentRunTown.Skip
    no_account = list(
        _paying_grants(town=town, period=period, temporary=temporary)
        .exclude(_has_confirmed_account(""))
        .filter(confirmed_amount__gt=0)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    result.no_account = len(no_account)
    result.skipped = [(grant_id, Skip.NO_ACCOUNT) for grant_id in no_account]
    if not temporary:
        waiting = (
            _backpay_orders(town=town)
            .exclude(_has_confirmed_account("grant"))
            .order_by("grant_id")
            .values_list("grant_id", flat=True)
            .distinct()
        )
        listed = set(no_account)
        result.skipped += [
            (grant_id, Skip.BACKPAY_NO_ACCOUNT) for grant_id in waiting if grant_id not in listed
        ]


def _has_confirmed_account(grant_path: str) -> Exists:
    """Whether the grant (at `grant_path`, "" for a grant itself) has a confirmed account,
    probed: PostgreSQL then checks it (cheap, and true for nearly every grant) before the
    amount (two subqueries per grant) instead of joining every account first."""
    grant = OuterRef(f"{grant_path}_id" if grant_path else "pk")
    return _ProbedExists(
        PayeeAccount.objects.filter(grant_id=grant, state=PayeeAccount.State.CONFIRMED)
    )


# Back-pay and deductions: few rows, written from values the run has locked


def _backpay_orders(*, town) -> QuerySet[BackPay]:
    return BackPay.objects.filter(
        state=BackPay.State.CONFIRMED, line__isnull=True, grant__town=town
    )


def _account_values(grant_ids) -> dict[int, dict]:
    accounts = {}
    for start in range(0, len(grant_ids), CHUNK):
        for row in PayeeAccount.objects.filter(
            grant_id__in=grant_ids[start : start + CHUNK], state=PayeeAccount.State.CONFIRMED
        ).values("grant_id", "id", "payee_id", "bank_name", "account_holder", "account_number"):
            accounts[row["grant_id"]] = row
    return accounts


def _line(*, batch, grant_id, period, kind, amount, account: dict) -> PaymentLine:
    return PaymentLine(
        batch=batch,
        grant_id=grant_id,
        period=period,
        kind=kind,
        amount=amount,
        status=LineStatus.PENDING,
        payee_id=account["payee_id"],
        account_id=account["id"],
        bank_name=account["bank_name"],
        account_holder=account["account_holder"],
        account_number=account["account_number"],
    )


def _backpay(*, batch, town, period, actor) -> int:
    """One back-pay line per grant for the run's period with the sum of its confirmed orders
    not yet paid, and the orders linked to it (so they are paid once). The orders are locked
    and summed in Python, so an order confirmed meanwhile is neither summed nor linked: the
    next run pays it. A grant that already has a back-pay line for the period (or no confirmed
    account) waits for the next run too."""
    orders = list(
        _backpay_orders(town=town)
        .select_for_update(of=("self",))
        .order_by("id")
        .values_list("pk", "grant_id", "amount")
    )
    if not orders:
        return 0
    grant_ids = sorted({grant_id for _pk, grant_id, _amount in orders})
    taken = set()
    for start in range(0, len(grant_ids), CHUNK):
        taken |= set(
            PaymentLine.objects.filter(
                grant_id__in=grant_ids[start : start + CHUNK], period=period, kind=LineKind.BACKPAY
            ).values_list("grant_id", flat=True)
        )
    accounts = _account_values(grant_ids)
    sums: dict[int, Decimal] = defaultdict(lambda: ZERO)
    order_ids: dict[int, list[int]] = defaultdict(list)
    for pk, grant_id, amount in orders:
        if grant_id in taken or grant_id not in accounts:
            continue
        sums[grant_id] += amount
        order_ids[grant_id].append(pk)
    lines = [
        _line(
            batch=batch,
            grant_id=grant_id,
            period=period,
            kind=LineKind.BACKPAY,
            amount=to_fen(total),
            account=accounts[grant_id],
        )
        for grant_id, total in sums.items()
        if total > 0
    ]
    if not lines:
        return 0
    PaymentLine.objects.bulk_create(lines, batch_size=CHUNK, ignore_conflicts=True)
    written = dict(
        PaymentLine.objects.filter(
            batch=batch, period=period, kind=LineKind.BACKPAY, grant_id__in=list(sums)
        ).values_list("grant_id", "pk")
    )
    linked = [pk for grant_id in written for pk in order_ids[grant_id]]
    instances = []
    for start in range(0, len(linked), CHUNK):
        instances += list(BackPay.objects.filter(pk__in=linked[start : start + CHUNK]))
    for order in instances:
        order.line_id = written[order.grant_id]
        with_actor(order, actor, _("Paid by line #%(id)s") % {"id": order.line_id})
    bulk_update_with_history(
        instances,
        BackPay,
        ["line"],
        batch_size=CHUNK,
        default_user=actor if getattr(actor, "is_authenticated", False) else None,
        default_change_reason=_("Paid by a back-pay line"),
    )
    return len(written)


def deduction_amount(*, outstanding: Decimal, pending: Decimal, regular: Decimal, cap_percent):
    """What a run deducts (as a positive amount) from a grant's regular line: what is still
    owed and not yet being deducted, never above the cap (cap % of the regular line, rounded
    half up to the fen; DOMAIN.md §9: capped, only where the rules allow it)."""
    cap = to_fen(regular * Decimal(cap_percent) / Decimal(100))
    return max(min(outstanding - pending, cap), ZERO)


def _deductions(*, batch, town, period) -> int:
    """Recovery deductions, only where the payment rule in force for the period allows them:
    for each grant with confirmed deduction recoveries still owed and a regular line for the
    period in this batch (deducted in the same bank-file row), −min(balance − deductions
    already pending, cap)."""
    rule = selectors.payment_rule_in_force(period)
    if rule is None or not rule.deductions_allowed:
        return 0
    owed: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for grant_id, balance in (
        Recovery.objects.select_for_update(of=("self",))
        .filter(
            state=Recovery.State.CONFIRMED,
            method=Recovery.Method.DEDUCTION,
            balance__gt=0,
            grant__town=town,
        )
        .order_by("id")
        .values_list("grant_id", "balance")
    ):
        owed[grant_id] += balance
    if not owed:
        return 0
    grant_ids = sorted(owed)
    lines = []
    for start in range(0, len(grant_ids), CHUNK):
        chunk = grant_ids[start : start + CHUNK]
        pending = dict(
            PaymentLine.objects.filter(
                grant_id__in=chunk, kind=LineKind.DEDUCTION, status=LineStatus.PENDING
            )
            .values("grant_id")
            .annotate(total=Sum("amount"))
            .values_list("grant_id", "total")
        )
        regular = (
            PaymentLine.objects.filter(
                batch=batch, grant_id__in=chunk, period=period, kind=LineKind.REGULAR
            )
            .filter(PaymentLine.LIVE)
            .exclude(
                Exists(
                    PaymentLine.objects.filter(PaymentLine.LIVE).filter(
                        grant=OuterRef("grant"), period=period, kind=LineKind.DEDUCTION
                    )
                )
            )
            .values(
                "grant_id",
                "amount",
                "payee_id",
                "account_id",
                "bank_name",
                "account_holder",
                "account_number",
            )
        )
        for row in regular:
            amount = deduction_amount(
                outstanding=owed[row["grant_id"]],
                pending=-(pending.get(row["grant_id"]) or ZERO),
                regular=row["amount"],
                cap_percent=rule.deduction_cap_percent,
            )
            if amount > 0:
                account = {
                    "id": row["account_id"],
                    "payee_id": row["payee_id"],
                    "bank_name": row["bank_name"],
                    "account_holder": row["account_holder"],
                    "account_number": row["account_number"],
                }
                lines.append(
                    _line(
                        batch=batch,
                        grant_id=row["grant_id"],
                        period=period,
                        kind=LineKind.DEDUCTION,
                        amount=-amount,
                        account=account,
                    )
                )
    if not lines:
        return 0
    before = PaymentLine.objects.filter(batch=batch, kind=LineKind.DEDUCTION).count()
    PaymentLine.objects.bulk_create(lines, batch_size=CHUNK, ignore_conflicts=True)
    return PaymentLine.objects.filter(batch=batch, kind=LineKind.DEDUCTION).count() - before


# The batch


def batch_number_rows(batch: Batch) -> None:
    """`seq`, the bank-file row (序号): one per grant in the batch, 1, 2, 3… by grant id (a
    dense rank), so a grant's lines share a row that pays their sum. Only a draft batch is
    renumbered, before any bank file exists."""
    quote = connection.ops.quote_name
    table = quote(PaymentLine._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET seq = ranked.row_seq FROM ("
            f"SELECT id, DENSE_RANK() OVER (ORDER BY grant_id) AS row_seq "
            f"FROM {table} WHERE batch_id = %s) AS ranked "
            f"WHERE {table}.id = ranked.id AND {table}.seq <> ranked.row_seq",
            [batch.pk],
        )


def batch_set_totals(batch: Batch, *, actor, reason: str) -> None:
    """The batch's line count and net total, from its lines (one aggregate)."""
    totals = batch.lines.aggregate(count=Count("id"), total=Sum("amount"))
    batch.line_count = totals["count"]
    batch.total_amount = to_fen(totals["total"] or ZERO)
    with_actor(batch, actor, reason).save(update_fields=["line_count", "total_amount"])
