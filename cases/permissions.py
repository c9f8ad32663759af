"""What each role may do (DOMAIN.md §2), in every form the apps need: the role sets, the checks
services make (`require_role`, `require_second_person`), the page decorators and the API's
permission classes. Which rows a user may see is cases.selectors' job, not this module's."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework.permissions import SAFE_METHODS, BasePermission

from .models import Role

TOWN_ROLES = {Role.CASE_WORKER, Role.TOWN_SUPERVISOR}
CITY_CASE_ROLES = {Role.CITY_SUPERVISOR, Role.FINANCE, Role.AUDITOR}
CASE_READERS = TOWN_ROLES | CITY_CASE_ROLES
REGISTRY_EDITORS = {Role.CASE_WORKER, Role.TOWN_SUPERVISOR, Role.CITY_SUPERVISOR}
ID_REVEALERS = {Role.CASE_WORKER, Role.TOWN_SUPERVISOR, Role.CITY_SUPERVISOR, Role.AUDITOR}
# Case workers of the town prepare; supervisors may prepare too, and then may not decide.
PREPARER_ROLES = {Role.CASE_WORKER, Role.TOWN_SUPERVISOR, Role.CITY_SUPERVISOR}
DECIDER_ROLES = {Role.TOWN_SUPERVISOR, Role.CITY_SUPERVISOR}
# Who is offered which work page (the navigation; the pages check the same sets).
MY_WORK_ROLES = {Role.CASE_WORKER, Role.TOWN_SUPERVISOR, Role.CITY_SUPERVISOR, Role.FINANCE}
APPROVAL_ROLES = set(DECIDER_ROLES)
DASHBOARD_ROLES = {Role.TOWN_SUPERVISOR, Role.CITY_SUPERVISOR, Role.AUDITOR}
# Partner registry extracts (audit/, REGISTRIES.md): providers upload and see their own uploads;
# administrators, auditors and the city supervisor see every upload; administrators may upload
# too (for a partner that sends its file another way) and write the match request.
EXTRACT_VIEWER_ROLES = {
    Role.REGISTRY_PROVIDER,
    Role.ADMINISTRATOR,
    Role.AUDITOR,
    Role.CITY_SUPERVISOR,
}
EXTRACT_UPLOADER_ROLES = {Role.REGISTRY_PROVIDER, Role.ADMINISTRATOR}
# Roles of people outside the bureau: they reach their own pages and endpoints only (the
# confinement middleware of audit/ and relief.api.NotPartnerAccount, via settings).
PARTNER_ROLES = {Role.REGISTRY_PROVIDER}
# Where each role starts: the page `/` and a login without `?next=` lead to (the start view,
# cases/views/start.py). URL names, so that this module imports no other app.
START_PAGES = {
    Role.CASE_WORKER: "cases:my-work",
    Role.TOWN_SUPERVISOR: "cases:approval-queue",
    Role.CITY_SUPERVISOR: "cases:approval-queue",
    Role.FINANCE: "payments:batch-list",
    # Auditors start from history. Until the auditors' history browser (audit/) exists and
    # takes its place here, the household list is their read-only start: every household of
    # the city, each with its history page.
    Role.AUDITOR: "cases:household-list",
    # Administrators configure the system: towns, users, schemes and calendars in /admin/.
    Role.ADMINISTRATOR: "admin:index",
    # A partner agency's account: the list of its own uploads, with the upload form.
    Role.REGISTRY_PROVIDER: "audit:extract-list",
}
# Those who prepare, decide or audit applications find them in the navigation (every case
# reader may open the list).
APPLICATIONS_ROLES = PREPARER_ROLES | {Role.AUDITOR}


def role_of(user) -> str | None:
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    profile = getattr(user, "staff", None)
    return profile.role if profile is not None else None


def start_page(user) -> str | None:
    """The URL name of the user's start page: their role's; Django's staff without a role (a
    superuser made with createsuperuser) configure, so theirs is /admin/. None: no role, no
    start page."""
    role = role_of(user)
    if role in START_PAGES:
        return START_PAGES[role]
    if user.is_authenticated and user.is_active and user.is_staff:
        return START_PAGES[Role.ADMINISTRATOR]
    return None


def can_view_cases(user) -> bool:
    return role_of(user) in CASE_READERS


# The monthly check's runs hold counts, no case data: every case reader (a town role sees its
# own towns' parts, audit.check_selectors) and the administrator, who starts them.
CHECK_READER_ROLES = CASE_READERS | {Role.ADMINISTRATOR}


def can_read_checks(user) -> bool:
    return role_of(user) in CHECK_READER_ROLES


def can_view_extracts(user) -> bool:
    return role_of(user) in EXTRACT_VIEWER_ROLES


def can_upload_extracts(user) -> bool:
    return role_of(user) in EXTRACT_UPLOADER_ROLES


def is_partner(user) -> bool:
    return role_of(user) in PARTNER_ROLES


def can_edit_registry(user) -> bool:
    return role_of(user) in REGISTRY_EDITORS


def can_reveal_id(user) -> bool:
    return role_of(user) in ID_REVEALERS


def require(allowed: bool, message: str | None = None) -> None:
    if not allowed:
        raise PermissionDenied(message or _("Your role may not do this."))


def require_role(actor, roles, message: str) -> None:
    if role_of(actor) not in roles:
        raise PermissionDenied(message)


def require_second_person(actor, makers, message: str) -> None:
    """Money changes need two people (DOMAIN.md §2, DESIGN.md "Invariants"): whoever made or
    prepared a thing does not approve, confirm or decide it. `makers` is the id of who made it,
    or the ids of everyone who took part; None (made by the system) leaves it to anyone."""
    ids = {makers} if isinstance(makers, int) else set(makers or ())
    if actor.pk in ids:
        raise PermissionDenied(message)


# --- pages ------------------------------------------------------------------------------------


def case_reader_required(view):
    """Signed in, and a role that reads case data (DOMAIN.md §2). An administrator configures
    the system and gets 403 on every case page."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not can_view_cases(request.user):
            raise PermissionDenied(_("Your role does not give access to case data."))
        return view(request, *args, **kwargs)

    return wrapper


def registry_editor_required(view):
    """Signed in, and a role that edits the registry: finance officers and auditors read only."""

    @case_reader_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not can_edit_registry(request.user):
            raise PermissionDenied(_("Your role may read case data but not change it."))
        return view(request, *args, **kwargs)

    return wrapper


# --- the API ----------------------------------------------------------------------------------


class CanViewCases(BasePermission):
    """Case data is for the case roles of DOMAIN.md §2: an administrator configures the system
    and reads no case data. Which rows a user sees is cases.selectors' job, not this class's."""

    message = gettext_lazy("Your role may not see case data.")

    def has_permission(self, request, view):
        return can_view_cases(request.user)


class CanEditRegistryOrReadOnly(BasePermission):
    """Finance officers and auditors read the registry but change nothing in it. The services
    check the same rule again; checking it here first answers 403 before any input is parsed."""

    message = gettext_lazy("Your role may not change the registry.")

    def has_permission(self, request, view):
        return request.method in SAFE_METHODS or can_edit_registry(request.user)
