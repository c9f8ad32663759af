"""`{{ user|signatory }}`: who signs a printed document for citizens (decision and acceptance
notices, the payment roster). The same as `staff_name` (relief.people, the one rule): the
person's name, or their role's title when no name is set; never a login name."""

from django import template

from relief.people import staff_name

register = template.Library()


@register.filter
def signatory(user) -> str:
    return staff_name(user)
