"""`{{ data|calculation_rows }}`: display rows for a stored calculation
(cases/calculation/display.py), so templates/cases/_calculation.html can render the stored dict
with no logic of its own."""

from django import template

from cases import calculation

register = template.Library()


@register.filter
def calculation_rows(data: dict | None) -> dict | None:
    return calculation.calculation_rows(data) if data else None
