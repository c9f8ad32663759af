"""How a member of staff is named on pages, messages and printed documents: by their name, not
their login."""

import re

CJK = re.compile(r"[\u3400-\u9fff]")


def has_name(user) -> bool:
    return bool((getattr(user, "first_name", "") or "").strip()) or bool(
        (getattr(user, "last_name", "") or "").strip()
    )


def staff_name(user) -> str:
    """The user's name: family name then given name, run together when written in Chinese
    (陈晓明), "Given Family" otherwise; the username only when no name is set; "" for no user."""
    if user is None:
        return ""
    first = (getattr(user, "first_name", "") or "").strip()
    last = (getattr(user, "last_name", "") or "").strip()
    if first or last:
        if CJK.search(first + last):
            return f"{last}{first}"
        return f"{first} {last}".strip()
    return user.get_username() if hasattr(user, "get_username") else str(user)
