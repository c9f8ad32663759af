"""Findings on the cases work pages, through templates only (cases never imports audit):
templates/cases/work/my_work.html includes audit/_my_findings.html, the approval queue
audit/_findings_to_decide.html, and those load these tags."""

from django import template

from .. import selectors

register = template.Library()

SHOWN = 20


@register.simple_tag
def my_findings(user):
    """The undecided findings assigned to the user, soonest due first (at most SHOWN), and how
    many there are."""
    rows = selectors.findings_assigned(user=user).select_related("town")
    return {
        "rows": list(rows.order_by("due_on", "id")[:SHOWN]),
        "count": rows.count(),
    }


@register.simple_tag
def findings_to_decide(user):
    """The proposals the supervisor may decide (not their own), oldest proposal first."""
    rows = selectors.findings_to_decide(user=user).select_related("town", "proposed_by")
    return {
        "rows": list(rows.order_by("proposed_at", "id")[:SHOWN]),
        "count": rows.count(),
    }
