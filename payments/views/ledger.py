"""Entitlement ledger pages: a household's ledger per grant and month (due, paid,
corrected, difference; payments.ledger.household_ledger) linked from the household's page, and
the city totals by town and month (payments.ledger.city_totals: city-wide roles see every town,
town roles their towns), with a CSV download recorded as an audit event ("export")."""

import io

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from cases import selectors as case_selectors
from cases.models import Grant
from cases.permissions import case_reader_required
from relief import tabular
from relief.dates import add_months, first_of_month, month_key
from relief.models import AuditEvent
from relief.money import ZERO, format_money
from relief.services import record
from relief.views import apply_service_errors, error_summary

from .. import ledger
from ..forms import LedgerRangeForm

# The city totals' default range: the due side costs one aggregate query per month over every
# grant paying in it (payments.ledger.city_totals), so a page asks for a few months.
CITY_DEFAULT_MONTHS = 3


def _sums(rows) -> dict:
    return {
        name: sum((getattr(row, name) for row in rows), ZERO)
        for name in ("due", "paid", "corrected", "difference")
    }


def _month_range(form: LedgerRangeForm, default_from, default_to):
    """The range asked for (?start=YYYY-MM&end=YYYY-MM), else the page's default; a default
    longer than the ledger reads at once is cut to its last ledger.MAX_MONTHS months."""
    default_from = max(default_from, add_months(default_to, 1 - ledger.MAX_MONTHS))
    start = form.value("start")
    end = form.value("end")
    start = first_of_month(start) if start else default_from
    end = first_of_month(end) if end else max(default_to, start)
    return start, end


def _read(form, reader, start, end, **kwargs):
    """Call a ledger read; a range it refuses lands on the range form (start/end), 400."""
    try:
        return reader(from_month=start, to_month=end, **kwargs), 200
    except ValidationError as error:
        apply_service_errors(form, error, aliases={"from_month": "start", "to_month": "end"})
        return [], 400


@require_GET
@case_reader_required
def household_ledger(request, pk):
    """The household's grants month by month: what was due (the confirmed schedule), paid (paid
    lines), corrected (back-pay minus recoveries ordered) and the difference."""
    household = case_selectors.get_in_scope(
        case_selectors.households_in_scope(request.user).select_related("town"), pk=pk
    )
    grants = list(
        Grant.objects.filter(household=household)
        .select_related("scheme")
        .order_by("starts_month", "id")
    )
    this_month = first_of_month(timezone.localdate())
    first = min((grant.starts_month for grant in grants), default=this_month)
    form = LedgerRangeForm(request.GET or {})
    start, end = _month_range(form, min(first, this_month), this_month)
    rows, status = _read(form, ledger.household_ledger, start, end, household=household)
    by_grant = {grant.pk: [] for grant in grants}
    for row in rows:
        by_grant.setdefault(row.grant_id, []).append(row)
    sections = [
        {"grant": grant, "rows": by_grant[grant.pk], "totals": _sums(by_grant[grant.pk])}
        for grant in grants
    ]
    return render(
        request,
        "payments/household_ledger.html",
        {
            "household": household,
            "sections": sections,
            "totals": _sums(rows),
            "form": form,
            "start": start,
            "end": end,
            "summary": error_summary(form),
        },
        status=status,
    )


def _city_rows(request):
    form = LedgerRangeForm(request.GET or {})
    this_month = first_of_month(timezone.localdate())
    start, end = _month_range(form, add_months(this_month, 1 - CITY_DEFAULT_MONTHS), this_month)
    rows, status = _read(form, ledger.city_totals, start, end, user=request.user)
    return form, start, end, rows, status


def _city_page(request, form, start, end, rows, status):
    return render(
        request,
        "payments/city_totals.html",
        {
            "rows": rows,
            "totals": _sums(rows),
            "form": form,
            "start": start,
            "end": end,
            "query": f"start={start:%Y-%m}&end={end:%Y-%m}",
            "summary": error_summary(form),
        },
        status=status,
    )


@require_GET
@case_reader_required
def city_totals(request):
    """Due, paid, corrected and difference by town and month for the user's towns."""
    return _city_page(request, *_city_rows(request))


@require_GET
@case_reader_required
def city_totals_csv(request):
    """The city totals as CSV (UTF-8 with BOM, for Excel), recorded as an "export" audit event
    with its range and row count. A range the ledger refuses shows the page with the reason."""
    form, start, end, rows, status = _city_rows(request)
    if status != 200:
        return _city_page(request, form, start, end, rows, status)
    record(
        actor=request.user,
        action=AuditEvent.Action.EXPORT,
        request=request,
        what="ledger_city_totals",
        from_month=month_key(start),
        to_month=month_key(end),
        rows=len(rows),
    )
    out = io.StringIO(newline="")
    # Text cells neutralised against formula injection; amounts stay numbers.
    writer = tabular.CsvWriter(out, lineterminator="\r\n")
    writer.writerow(
        [
            _("Town code"),
            _("Town"),
            _("Month"),
            _("Due (yuan)"),
            _("Paid (yuan)"),
            _("Corrected (yuan)"),
            _("Difference (yuan)"),
        ]
    )
    for row in rows:
        writer.writerow(
            [
                row.town_code,
                row.town_name,
                month_key(row.month),
                *(
                    format_money(value)
                    for value in (row.due, row.paid, row.corrected, row.difference)
                ),
            ]
        )
    response = HttpResponse(
        ("\ufeff" + out.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8"
    )
    name = f"relief-ledger-totals-{month_key(start)}-{month_key(end)}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response
