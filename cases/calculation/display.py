"""How a calculation is shown: labels for its checks, figures and rule sources, the display rows
templates/cases/_calculation.html renders (`{{ data|calculation_rows }}`), and the one message
that refuses a step because the calculation finds the household not eligible
(`refusal_message`)."""

from decimal import Decimal

from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _

from relief.money import format_money

from ..models import AddOn
from ..models.schemes import DatedRule
from .results import Calculation, CheckCode

CHECK_LABELS = {
    CheckCode.HAS_MEMBERS: _("The household has co-resident members"),
    CheckCode.INCOME_BELOW_STANDARD: _("Income per person below the standard"),
    CheckCode.NO_INCOME: _("No counted income"),
    CheckCode.FINANCIAL_ASSETS: _("Financial assets within the limit"),
    CheckCode.RESIDENTIAL: _("Residential properties within the limit"),
    CheckCode.NON_RESIDENTIAL: _("Non-residential properties within the limit"),
    CheckCode.VEHICLES: _("Motor vehicles within the limit"),
    CheckCode.BUSINESSES: _("Business registrations within the limit"),
}

FIGURE_LABELS = {
    "members": _("co-resident members"),
    "per_capita": _("income per person"),
    "standard": _("standard"),
    "income": _("counted income"),
    "financial_assets": _("financial assets"),
    "limit": _("limit"),
    "months": _("months of the standard"),
    "units": _("counted"),
    "maximum": _("maximum"),
}

# Figures of the checks that are amounts of money (the others count people, months or units).
MONEY_FIGURES = {"per_capita", "standard", "income", "financial_assets", "limit"}
DEMO_SOURCE = DatedRule.DEMO_SOURCE

SOURCE_LABELS = {
    "scheme_rule": _("Scheme rule"),
    "standard": _("Standard"),
    "add_on": _("Add-on"),
    "income_type_rule": _("Income type rule"),
}


def _four_places(value: str | None) -> str | None:
    """Income per person to 4 places, grouped like money (1,000.3333)."""
    if value is None:
        return None
    return f"{Decimal(value).quantize(Decimal('0.0001')):,}"


def _figure(name: str, value):
    if value is None:
        return None
    if name == "per_capita":
        return _four_places(value)
    return format_money(value) if name in MONEY_FIGURES else value


def _money(value):
    return None if value is None else format_money(value)


def source_text(source: str) -> str:
    """A rule's source as shown: translated where it is one of Relief's own (DEMO_SOURCE), as
    DatedRule.source_shown shows it."""
    return gettext(source) if source else ""


def _labelled_figure(name: str, value) -> str:
    shown = _figure(name, None if value is None else str(value))
    return gettext("%(label)s %(value)s") % {
        "label": FIGURE_LABELS.get(name, name),
        "value": "—" if shown is None else shown,
    }


def refusal_message(calculation: Calculation | dict) -> str:
    """Why the calculation finds the household not eligible, for a refused step: every failed
    check with its figures, the month calculated and the day whose household, evidence and rules
    it used. Every refusal that rests on a calculation (an approval, a town opinion, temporary
    assistance) words it here, and so does a schedule proposal that falls to zero, so staff can
    see which check failed, by how much and as of when, without opening the calculation. Takes
    a Calculation or a stored one (Calculation.as_dict())."""
    data = calculation if isinstance(calculation, dict) else calculation.as_dict()
    failed = [
        gettext("%(check)s (%(figures)s)")
        % {
            "check": CHECK_LABELS.get(check["code"], check["code"]),
            "figures": pgettext("between figures", ", ").join(
                _labelled_figure(name, value) for name, value in check["figures"].items()
            ),
        }
        for check in data.get("checks", [])
        if not check["passed"]
    ]
    return gettext(
        "The calculation for %(month)s, with the household, evidence and rules as of %(date)s, "
        "finds the household not eligible. Failed: %(checks)s."
    ) % {
        "month": data["month"][:7],
        "date": data["as_of"],
        "checks": pgettext("between checks", "; ").join(failed),
    }


def calculation_rows(data: dict) -> dict:
    """Display rows for templates/cases/_calculation.html from a stored `Calculation.as_dict()`:
    translated labels, per-capita shown to 4 places (the calculation keeps full precision)."""
    categories = dict(AddOn.Category.choices)
    checks = [
        {
            "label": CHECK_LABELS.get(check["code"], check["code"]),
            "passed": check["passed"],
            "figures": [
                (FIGURE_LABELS.get(name, name), _figure(name, value))
                for name, value in check["figures"].items()
            ],
            "source": source_text(check["source"]),
            "demo_source": check["source"] == DEMO_SOURCE,
        }
        for check in data.get("checks", [])
    ]
    amounts = []
    if data.get("total") is not None:
        amounts = [
            (_("Standard (yuan per person per month)"), _money(data["standard"])),
            (_("Counted income (yuan per month)"), _money(data["income"])),
            (_("Excluded income (yuan per month)"), _money(data["excluded_income"])),
            (_("Co-resident members"), data["members"]),
            (_("Income per person"), _four_places(data["per_capita"])),
            (_("Covered members"), data["covered"]),
        ]
        if data.get("basic_standard") is not None:
            amounts.append((_("Basic standard (extreme poverty)"), _money(data["basic_standard"])))
        amounts.append((_("Base amount"), _money(data["base"])))
        amounts.extend(
            (
                _("Add-on: %(name)s, %(category)s (%(percent)s%%)")
                % {
                    "name": line["name"],
                    "category": categories.get(line["category"], line["category"]),
                    "percent": line["percent"],
                },
                _money(line["amount"]),
            )
            for line in data["add_ons"]
        )
        if data.get("floor_amount") is not None:
            label = _("Floor (applied)") if data["floor_applied"] else _("Floor (not applied)")
            amounts.append((label, _money(data["floor_amount"])))
    sources = [
        {
            "label": SOURCE_LABELS.get(source["kind"], source["kind"]),
            "effective_from": source["effective_from"],
            "effective_to": source["effective_to"],
            "source": source_text(source["source"]),
            "is_demo": source["is_demo"],
        }
        for source in data.get("sources", [])
    ]
    return {
        "checks": checks,
        "amounts": amounts,
        "total": _money(data.get("total")),
        "eligible": data.get("eligible"),
        "demo": data.get("demo"),
        "month": data.get("month"),
        "as_of": data.get("as_of"),
        "sources": sources,
    }
