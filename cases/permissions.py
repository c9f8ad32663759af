"""What each role may do (DOMAIN.md §2). Which rows they may see is cases.selectors' job."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from .models import Role

TOWN_ROLES = {Role.CASE_WORKER, Role.TOWN_SUPERVISOR}
CITY_CASE_ROLES = {Role.CITY_SUPERVISOR, Role.FINANCE, Role.AUDITOR}
CASE_READERS = TOWN_ROLES | CITY_CASE_ROLES
REGISTRY_EDITORS = {Role.CASE_WORKER, Role.TOWN_SUPERVISOR, Role.CITY_SUPERVISOR}
ID_REVEALERS = {Role.CASE_WORKER, Role.TOWN_SUPERVISOR, Role.CITY_SUPERVISOR, Role.AUDITOR}


def role_of(user) -> str | None:
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    profile = getattr(user, "staff", None)
    return profile.role if profile is not None else None


def can_view_cases(user) -> bool:
    return role_of(user) in CASE_READERS


def can_edit_registry(user) -> bool:
    return role_of(user) in REGISTRY_EDITORS


def can_reveal_id(user) -> bool:
    return role_of(user) in ID_REVEALERS


def can_configure(user) -> bool:
    return role_of(user) == Role.ADMINISTRATOR or bool(user and user.is_superuser)


def require(allowed: bool, message: str | None = None) -> None:
    if not allowed:
        raise PermissionDenied(message or _("Your role may not do this."))
