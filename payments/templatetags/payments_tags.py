"""Template tags that show payments data on other apps' pages without those apps importing
payments in Python (DESIGN.md: dependencies run payments → cases)."""

from django import template

from ..views.accounts import account_section

register = template.Library()


@register.inclusion_tag("payments/_grant_accounts.html", takes_context=True)
def payee_accounts(context, grant):
    """The grant's payee accounts section: `{% load payments_tags %}{% payee_accounts grant %}`
    on the grant's page. Scoped to the user like every read (payments.selectors)."""
    request = context["request"]
    return {
        **account_section(request.user, grant),
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "on_grant_page": True,
    }
