"""The monthly check's pages: the runs with their per-town progress, a form to start one for
the city supervisor and administrators, and a run's page, which polls a small JSON endpoint
(static/js/towns-progress.js) while the run is going and shows its result when it is done."""

from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from cases.models import Town
from cases.selectors import get_in_scope
from relief.dates import month_key
from relief.forms import MonthField, with_blank
from relief.views import error_summary, run_service

from .. import check, tasks
from .. import check_selectors as selectors
from ..models import Finding

PAGE_SIZE = 50


class CheckStartForm(forms.Form):
    period = MonthField(
        label=gettext_lazy("Month checked"), required=True, help_text=gettext_lazy("e.g. 2024-06.")
    )
    town = forms.ChoiceField(label=gettext_lazy("Town"), required=False)
    from_month = MonthField(
        label=gettext_lazy("First month reconciled"),
        help_text=gettext_lazy(
            "Empty: the month after the last checked period, or the matching rule's first-check "
            "months back."
        ),
    )

    def __init__(self, *args, towns=(), **kwargs):
        super().__init__(*args, **kwargs)
        self._towns = {town.code: town for town in towns}
        self.fields["town"].choices = with_blank(
            [(town.code, town.name) for town in towns], gettext_lazy("Every town")
        )

    def clean_town(self):
        return self._towns.get(self.cleaned_data.get("town") or "")


def check_reader_required(view):
    """Signed in, and a role that reads the check's runs (the case roles and administrators)."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not selectors.can_read_checks(request.user):
            raise PermissionDenied(_("Your role does not give access to the monthly check."))
        return view(request, *args, **kwargs)

    return wrapper


def _start(user, data):
    with transaction.atomic():
        run = check.check_start(
            actor=user, period=data["period"], town=data["town"], from_month=data["from_month"]
        )
        tasks.fan_out(run)
    return run


@require_http_methods(["GET", "POST"])
@check_reader_required
def check_list(request):
    """The check runs the user may see, newest first, with their progress; the city
    supervisor and administrators start one here."""
    user = request.user
    form = None
    if selectors.can_start_checks(user) or request.method == "POST":
        towns = Town.objects.order_by("code")
        form = CheckStartForm(
            request.POST if request.method == "POST" else None, towns=towns, prefix="check"
        )
    status = 200
    if request.method == "POST":
        ok, run, status = run_service(form, lambda data: _start(user, data))
        if ok:
            messages.success(
                request,
                _("Check #%(id)s of %(period)s started.")
                % {"id": run.pk, "period": month_key(run.period)},
            )
            return redirect("audit:check-detail", pk=run.pk)
    page = Paginator(selectors.runs_in_scope(user).order_by("-id"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    runs = list(page.object_list)
    progress = selectors.progresses(user, runs)
    return render(
        request,
        "audit/check_list.html",
        {
            "page": page,
            "rows": [(run, progress[run.pk]) for run in runs],
            "form": form if selectors.can_start_checks(user) else None,
            "summary": error_summary(form) if form is not None else [],
        },
        status=status,
    )


@require_GET
@check_reader_required
def check_detail(request, pk):
    run = get_in_scope(selectors.runs_in_scope(request.user), pk=pk)
    progress = selectors.progress(request.user, run)
    parts = list(selectors.parts_in_scope(request.user, run))
    by_kind = []
    if progress["finished"]:
        findings = Finding.objects.filter(period=run.period, town__in=[p.town for p in parts])
        if run.town_id is not None:
            findings = findings.filter(town_id=run.town_id)
        summary = check.summary_of(findings)
        labels = dict(Finding.Kind.choices)
        by_kind = [(labels.get(kind, kind), count) for kind, count in summary["by_kind"].items()]
    else:
        summary = None
    return render(
        request,
        "audit/check_detail.html",
        {
            "run": run,
            "progress": progress,
            "parts": parts,
            "summary": summary,
            "by_kind": by_kind,
        },
    )


@require_GET
@check_reader_required
def check_progress(request, pk):
    """The run's progress as JSON, for the run page's poll."""
    run = get_in_scope(selectors.runs_in_scope(request.user), pk=pk)
    return JsonResponse(selectors.progress(request.user, run))
