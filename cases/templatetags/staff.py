"""`{{ user|signatory }}`: who signs a printed document for citizens (decision and acceptance
notices, the payment roster): the person's name, or their role's title when no name is set;
never a login name."""

from django import template

from relief.people import has_name, staff_name

register = template.Library()


@register.filter
def signatory(user) -> str:
    if user is None:
        return ""
    if has_name(user):
        return staff_name(user)
    profile = getattr(user, "staff", None)
    return profile.get_role_display() if profile is not None else ""
