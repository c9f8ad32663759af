"""The applications list of a worker with hundreds of cases: filters (state, scheme, household),
a search by the head's name, an ID number or the application's id, and sortable columns, in a
fixed number of queries whatever the page size.

The search form is POSTed: a term with digits (an ID number, its tail, an application id) is kept
in the session and the list answers at ?q=<key> (relief/search.py), so no ID number is in a URL.
"""

from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from relief import search
from relief.forms import id_param
from relief.sorting import Sort
from relief.views import querystring_without_page

from .. import selectors
from ..models import Application, Scheme
from ..permissions import case_reader_required
from ..selectors import head_name, with_heads
from ..workflow import selectors as workflow
from . import workflow_ui

PAGE_SIZE = 50
LIST_FILTERS = ("state", "scheme", "household", "search")
SORTS = {
    "id": ("id",),
    "scheme": ("scheme__code",),
    "head": ("head_name",),
    "town": ("town__code",),
    "state": ("state",),
    "accepted_on": ("accepted_on",),
    "next_due": ("next_due",),
}


@require_http_methods(["GET", "POST"])
@case_reader_required
def application_list(request):
    url = reverse("cases:application-list")
    if request.method == "POST":
        return search.search_redirect(request, url, (*LIST_FILTERS, "sort"))
    if search.private_search_in_url(request):
        return search.redirect_to_key(request, url, (*LIST_FILTERS, "sort"))
    params, expired = search.search_params(request)
    state = params.get("state", "")
    scheme = params.get("scheme", "")
    household = params.get("household", "")
    household = id_param(household) or ""
    term = params.get("search", "")[:50]
    keep = querystring_without_page(request.GET, (*LIST_FILTERS, search.TOKEN_PARAM))
    sort = Sort.from_params(params, SORTS, default="-id", keep=keep)
    rows = workflow.application_list(
        user=request.user,
        state=state if state in Application.State.values else "",
        scheme=scheme,
        household=household or None,
    )
    rows = workflow_ui.with_next_due(selectors.applications_matching(rows, term))
    if sort.column == "head":
        rows = rows.annotate(head_name=selectors.head_name_of("household_id"))
    page = Paginator(with_heads(rows.order_by(*sort.order_by)), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    today = timezone.localdate()
    soon = workflow_ui.soon_until(today)
    return render(
        request,
        "cases/applications/list.html",
        {
            "page": page,
            "rows": [
                (
                    application,
                    head_name(application.household),
                    workflow_ui.deadline_mark(
                        application.next_due,
                        today=today,
                        soon=soon,
                        paused=application.paused_since is not None,
                    ),
                )
                for application in page.object_list
            ],
            "states": Application.State.choices,
            "schemes": Scheme.objects.order_by("code"),
            "state": state,
            "scheme": scheme,
            "household": household,
            "search": term,
            "search_expired": expired,
            "sort": sort,
            "filters_query": sort.query,
        },
    )
