"""Filters every template has without {% load %} (settings.TEMPLATES "builtins"): money shown
one way everywhere, and staff by their names.

    {{ batch.total_amount|money }}   203,260.00
    {{ order.amount|yuan }}          203,260.00 元
    {{ batch.approved_by|staff_name }}
    {% sort_th sort "town" _("Town") %}   a sortable header (relief/sorting.py)
"""

from django import template
from django.utils.html import format_html

from relief.money import format_money, format_yuan
from relief.people import staff_name as _staff_name

register = template.Library()


@register.filter
def money(value) -> str:
    return format_money(value)


@register.filter
def yuan(value) -> str:
    return format_yuan(value)


@register.filter
def staff_name(user) -> str:
    return _staff_name(user)


@register.simple_tag
def sort_th(sort, column: str, label, css_class: str = ""):
    """A sortable column's header: a link to the other order of `column` (keeping the list's
    filters), its state for screen readers (aria-sort), and an arrow when it orders the list."""
    link = sort.links[column]
    arrow = {"ascending": " ▲", "descending": " ▼"}.get(link["state"], "")
    return format_html(
        '<th scope="col"{} aria-sort="{}"><a href="{}" data-testid="sort-{}">{}{}</a></th>',
        format_html(' class="{}"', css_class) if css_class else "",
        link["state"],
        link["href"],
        column,
        label,
        arrow,
    )
