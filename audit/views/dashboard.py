"""The data-matching dashboard (/audit/): a period's findings by town and kind with their
amounts (open, proposed and confirmed ones; dismissed and closed ones counted apart), and the
matching coverage (the share of the period's recipients that each source's
extract matched, and the same share month by month over the last six months), as tables and bar charts drawn by the server (no script, no style attribute:
the stylesheet's bar-w-0 .. bar-w-100 classes, as on the cases dashboard)."""

from collections import defaultdict

from django.db.models import Count
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from cases.permissions import case_reader_required
from relief.dates import first_of_month, parse_month_key
from relief.money import ZERO

from .. import selectors
from ..models import Finding

# The findings the dashboard counts and sums: those still standing (open, proposed, confirmed).
COUNTED = (Finding.State.OPEN, Finding.State.PROPOSED, Finding.State.CONFIRMED)


def _period(request, findings) -> tuple:
    """The period asked for (?period=YYYY-MM), else the latest with findings, else this month."""
    text = (request.GET.get("period") or "").strip()
    if text:
        try:
            return parse_month_key(text, "period"), ""
        except Exception:  # noqa: BLE001 - any malformed month falls back, with a notice
            return None, text
    latest = findings.order_by("-period").values_list("period", flat=True).first()
    return latest or first_of_month(timezone.localdate()), ""


def _width(value, widest) -> int:
    return round(100 * value / widest) if widest else 0


@require_GET
@case_reader_required
def dashboard(request):
    user = request.user
    scoped = selectors.findings_in_scope(user)
    period, bad_period = _period(request, scoped)
    if period is None:
        period = first_of_month(timezone.localdate())
    of_period = scoped.filter(period=period)
    # Dismissed and closed findings are no mismatch any more: they are counted apart, and
    # their amounts in no total.
    findings = of_period.filter(state__in=COUNTED)
    set_aside = dict(
        of_period.exclude(state__in=COUNTED).order_by().values_list("state").annotate(n=Count("id"))
    )
    cells = selectors.by_town_and_kind(findings)
    kinds = [kind for kind in Finding.Kind if any(c["kind"] == kind for c in cells)]
    towns: dict[str, dict] = {}
    for cell in cells:
        town = towns.setdefault(
            cell["town__code"],
            {
                "name": cell["town__name"],
                "counts": defaultdict(int),
                "count": 0,
                "overpaid": ZERO,
                "underpaid": ZERO,
            },
        )
        town["counts"][cell["kind"]] += cell["count"]
        town["count"] += cell["count"]
        town["overpaid"] += cell["overpaid"] or ZERO
        town["underpaid"] += cell["underpaid"] or ZERO
    widest = max([t["count"] for t in towns.values()] + [0])
    widest_amount = max([t["overpaid"] + t["underpaid"] for t in towns.values()] + [ZERO])
    town_rows = [
        {
            "code": code,
            "name": town["name"],
            "cells": [town["counts"].get(kind, 0) for kind in kinds],
            "count": town["count"],
            "overpaid": town["overpaid"],
            "underpaid": town["underpaid"],
            "count_width": _width(town["count"], widest),
            "overpaid_width": _width(town["overpaid"], widest_amount),
            "underpaid_width": _width(town["underpaid"], widest_amount),
        }
        for code, town in sorted(towns.items())
    ]
    coverage = selectors.matching_coverage(user=user, period=period)
    for row in coverage:
        row["width"] = min(100, round(row["share"]))
    return render(
        request,
        "audit/dashboard.html",
        {
            "period": period,
            "bad_period": bad_period,
            "kinds": [(kind, kind.label) for kind in kinds],
            "town_rows": town_rows,
            "totals": selectors.totals(findings),
            "coverage": coverage,
            "coverage_months": selectors.coverage_by_month(user=user, period=period),
            "dismissed": set_aside.get(Finding.State.DISMISSED, 0),
            "closed": set_aside.get(Finding.State.CLOSED, 0),
        },
    )
