"""A partner agency's account (cases.permissions.PARTNER_ROLES) reaches its own pages only: the
extract list, detail and upload form, its account pages and the API documentation. Every other
page answers 403 before its view runs, so a page added later is closed to partners unless it is
listed here. The API's endpoints close themselves (relief.api.NotPartnerAccount, CanViewCases):
token requests are authenticated by DRF after this middleware."""

from django.core.exceptions import PermissionDenied
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _

from cases.permissions import is_partner

# URL names (with namespace) a partner may open.
PARTNER_PAGES = {
    "start",
    "login",
    "logout",
    "password_change",
    "password_change_done",
    "set_language",
    "swagger-ui",
    "schema",
    "audit:extract-list",
    "audit:extract-detail",
    "audit:extract-upload",
}


class PartnerConfinementMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if is_partner(getattr(request, "user", None)) and not self._allowed(request.path_info):
            raise PermissionDenied(_("Your account may use only the registry upload pages."))
        return self.get_response(request)

    @staticmethod
    def _allowed(path: str) -> bool:
        if path.startswith("/api/v1/"):
            return True  # DRF's permission classes decide (see the module docstring).
        try:
            match = resolve(path)
        except Resolver404:
            return True  # a 404 tells nothing
        return match.view_name in PARTNER_PAGES
