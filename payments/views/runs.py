"""Payment run pages: the runs with their progress, a form to start one for a
period (and a town) for supervisors, and a run's page, which polls a small JSON endpoint every
2 seconds while the run is running and shows its result when it is done.

The run is carried out by a task after the request's transaction commits, as the API does
(payments/api/batches.py): payments.runs.payment_run_start checks who may start it (the city
supervisor for any town or the city, a town supervisor for one of their towns) and records it;
one task per town (payments.payment_run_town, queued by payments.tasks.payment_run_fan_out)
writes the town's lines and records the run's progress."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from cases import selectors as case_selectors
from cases.models import Role
from cases.permissions import DECIDER_ROLES, case_reader_required, role_of
from relief.dates import first_of_month, month_key
from relief.money import ZERO, to_fen
from relief.views import error_summary

from .. import runs, selectors, tasks
from ..forms import RunStartForm
from ..models import PaymentRun, PaymentRunTown
from .labels import PAGE_SIZE, run_service


def percent(run: PaymentRun, figures: runs.RunFigures) -> int:
    if run.state == PaymentRun.State.COMPLETE:
        return 100
    return int(100 * figures.towns_done / figures.towns_total) if figures.towns_total else 0


def with_figures(run: PaymentRun) -> tuple[PaymentRun, int, runs.RunFigures]:
    """The run, its progress in percent and the figures the reader may see of it."""
    figures = runs.run_figures(run)
    return run, percent(run, figures), figures


def _start_form(user, data=None) -> RunStartForm | None:
    """The start form for supervisors (None for everyone else): the city supervisor picks any
    town or every town, a town supervisor one of their towns."""
    role = role_of(user)
    if role not in DECIDER_ROLES:
        return None
    towns = list(case_selectors.towns_in_scope(user).order_by("code"))
    return RunStartForm(data, towns=towns, city_wide=role == Role.CITY_SUPERVISOR, prefix="run")


def _start(user, data) -> PaymentRun:
    """Record the run (the service checks the period, the kind and who may start it) and let
    the task carry it out once the run's row is committed."""
    with transaction.atomic():
        run = runs.payment_run_start(
            actor=user, period=first_of_month(data["period"]), town=data["town"], kind=data["kind"]
        )
        tasks.payment_run_fan_out(run, user_id=user.pk)
    return run


@require_http_methods(["GET", "POST"])
@case_reader_required
def run_list(request):
    """The payment runs of the user's towns (and the city-wide ones), newest first, with their
    progress; supervisors start one here."""
    user = request.user
    form = _start_form(user, request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form is None:
            # Not offered to this role; the service refuses it with its own message (403).
            towns = case_selectors.towns_in_scope(user).order_by("code")
            form = RunStartForm(request.POST, towns=towns, city_wide=True, prefix="run")
        ok, run, status = run_service(form, lambda data: _start(user, data))
        if ok:
            messages.success(
                request,
                _("Payment run #%(id)s for %(period)s started.")
                % {"id": run.pk, "period": month_key(run.period)},
            )
            return redirect("payments:run-detail", pk=run.pk)
    page = Paginator(selectors.runs_listed(user).order_by("-id"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "payments/run_list.html",
        {
            "page": page,
            "rows": [with_figures(run) for run in page.object_list],
            "form": form,
            "summary": error_summary(form) if form is not None else [],
        },
        status=status,
    )


def run_batches(user, run: PaymentRun):
    """The batches the run's period holds for its kind (and town), in the user's scope: what a
    run wrote, whether into a new draft or into the period's open one."""
    rows = selectors.batches_in_scope(user).filter(period=run.period, kind=run.kind)
    if run.town_id is not None:
        rows = rows.filter(town_id=run.town_id)
    return rows.select_related("town").order_by("town__code", "-id")


def skipped_grants(user, run: PaymentRun) -> tuple[list[dict], int]:
    """The grants the run skipped in the user's towns, each with its town and why (listed up to
    runs.SKIPPED_LISTED per town), and how many it skipped there in all."""
    reasons = dict(PaymentRunTown.Skip.choices)
    listed, count = [], 0
    for row in selectors.run_towns_in_scope(user, run).order_by("town__code"):
        count += row.skipped_count
        listed += [
            {"grant": item["grant"], "town": row.town, "reason": reasons.get(item["reason"], "")}
            for item in row.skipped
        ]
    return listed, count


@require_GET
@case_reader_required
def run_detail(request, pk):
    run = case_selectors.get_in_scope(selectors.runs_listed(request.user), pk=pk)
    running = run.state == PaymentRun.State.RUNNING
    _run, progress, figures = with_figures(run)
    # The result once the run is done; while it runs the page shows its progress only.
    batches = [] if running else list(run_batches(request.user, run))
    skipped, skipped_count = ([], 0) if running else skipped_grants(request.user, run)
    return render(
        request,
        "payments/run_detail.html",
        {
            "run": run,
            "running": running,
            "percent": progress,
            "figures": figures,
            "skipped": skipped,
            "skipped_count": skipped_count,
            "batches": batches,
            "totals": {
                "lines": sum(batch.line_count for batch in batches),
                "amount": to_fen(sum((batch.total_amount for batch in batches), ZERO)),
            },
        },
    )


@require_GET
@case_reader_required
def run_progress(request, pk):
    """The run's progress as JSON, for the run page's poll."""
    run = case_selectors.get_in_scope(selectors.runs_listed(request.user), pk=pk)
    _run, progress, figures = with_figures(run)
    return JsonResponse(
        {
            "id": run.pk,
            "state": run.state,
            "state_display": run.get_state_display(),
            "finished": run.state != PaymentRun.State.RUNNING,
            "towns_done": figures.towns_done,
            "towns_total": figures.towns_total,
            "percent": progress,
            "new_lines": figures.new_lines,
        }
    )
