"""How a member of staff is named on pages, messages and printed documents: by their name, else
by their role's title, never by their login (a login is an internal mark: printed documents go
to citizens, and a page names a colleague as people know them)."""

import re

from django.utils.translation import gettext as _

CJK = re.compile(r"[\u3400-\u9fff]")


def has_name(user) -> bool:
    return bool((getattr(user, "first_name", "") or "").strip()) or bool(
        (getattr(user, "last_name", "") or "").strip()
    )


def staff_name(user) -> str:
    """The user's name: family name then given name, run together when written in Chinese
    (陈晓明), "Given Family" otherwise; when no name is set, their role's title (the staff
    profile's role, 财务人员), or "Administrator" / "Staff member"; "" for no user."""
    if user is None:
        return ""
    first = (getattr(user, "first_name", "") or "").strip()
    last = (getattr(user, "last_name", "") or "").strip()
    if first or last:
        if CJK.search(first + last):
            return f"{last}{first}"
        return f"{first} {last}".strip()
    return staff_title(user)


def staff_title(user) -> str:
    """The title of a user with no name: their staff profile's role, else what they are. The
    profile is read only when it was loaded with the user (select_related): naming a list's
    staff never costs a query per person."""
    state = getattr(user, "_state", None)
    if state is not None:
        profile = state.fields_cache.get("staff")
    else:
        profile = getattr(user, "staff", None)
    if profile is not None and hasattr(profile, "get_role_display"):
        return str(profile.get_role_display())
    if getattr(user, "is_superuser", False):
        return _("Administrator")
    return _("Staff member")
