"""Filters every template has without {% load %} (settings.TEMPLATES "builtins"): money shown
one way everywhere, and staff by their names.

    {{ batch.total_amount|money }}   203,260.00
    {{ order.amount|yuan }}          203,260.00 元
    {{ batch.approved_by|staff_name }}
"""

from django import template

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
