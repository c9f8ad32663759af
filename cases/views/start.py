"""The start page: `/` and a login without `?next=` lead each role to its own first page
(cases.permissions.START_PAGES): case workers to their work, supervisors to the approval queue,
finance to the payment batches, auditors to the households, administrators to /admin/."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from ..permissions import start_page


@require_GET
@login_required
def start(request):
    page = start_page(request.user)
    if page is None:
        raise PermissionDenied(_("Your account has no role yet: ask an administrator for one."))
    return redirect(page)
