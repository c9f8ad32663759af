"""Household pages: the list (search, filters, CSV export), registering a household with its
members, the household's page, and editing it. Reads come from cases.selectors (the one place
that scopes by town), writes go through cases.services."""

from functools import partial

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from relief import search, tabular
from relief.errors import NestedValidationError
from relief.sorting import Sort
from relief.views import apply_service_errors, error_summary, querystring_without_page, save_edit

from .. import grants, selectors, services
from ..forms.registry import (
    HouseholdCreateForm,
    HouseholdEditForm,
    HouseholdFilterForm,
    MemberFormSet,
)
from ..models import Membership, Scheme
from ..permissions import case_reader_required, registry_editor_required

PAGE_SIZE = 25
FILTER_KEYS = HouseholdFilterForm.KEYS
EXPORT_CHUNK = 500
MAX_MEMBER_ROWS = 20


def _filter_form(request, params) -> HouseholdFilterForm:
    towns = list(selectors.towns_in_scope(request.user))
    villages = selectors.villages_in_scope(request.user)
    town_code = params.get("town", "")
    if town_code:
        villages = villages.filter(town__code=town_code)
    return HouseholdFilterForm(
        params or None,
        towns=towns,
        villages=villages,
        schemes=Scheme.objects.order_by("code"),
    )


def _households(request, params):
    """The filter form, the list's order and its households, from the list's parameters
    (with the search term a ?q= key stands for put back)."""
    form = _filter_form(request, params)
    filters = form.filters() if form.is_bound else {}
    # The filters as the URL carries them (a private term as its ?q= key), for the headers'
    # links and the pages.
    keep = querystring_without_page(request.GET, (*FILTER_KEYS, search.TOKEN_PARAM))
    sort = Sort.from_params(params, selectors.HOUSEHOLD_SORTS, default="-id", keep=keep)
    today = timezone.localdate()
    households = selectors.household_list(
        user=request.user,
        order_by=sort.order_by if sort.param else None,
        today=today,
        recheck_soon_until=grants.recheck_due_soon_until(today),
        **filters,
    )
    return form, filters, sort, households


@require_http_methods(["GET", "POST"])
@case_reader_required
def household_list(request):
    """The households of the user's towns. The search form is POSTed: a term with digits (an
    ID number or its tail) is kept in the session and the list is shown at ?q=<key>, so no ID
    number is ever in a URL (relief/search.py); a name stays in the URL as ?search=."""
    url = reverse("cases:household-list")
    if request.method == "POST":
        return search.search_redirect(request, url, (*FILTER_KEYS, "sort"))
    if search.private_search_in_url(request):
        return search.redirect_to_key(request, url, (*FILTER_KEYS, "sort"))
    params, expired = search.search_params(request)
    form, filters, sort, households = _households(request, params)
    page = Paginator(households, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        (household, selectors.head_among(household.current_memberships))
        for household in page.object_list
    ]
    return render(
        request,
        "cases/household_list.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "sort": sort,
            "filters_query": sort.query,
            "search_expired": expired,
            "search_limit": selectors.SEARCH_LIMIT,
            "search_limited": bool(filters.get("search"))
            and page.paginator.count >= selectors.SEARCH_LIMIT,
        },
    )


class _Echo:
    """csv.writer writes into this and gets the line back, so rows can be streamed."""

    def write(self, value):
        return value


def _csv_lines(households):
    # Every text cell neutralised against formula injection (relief/tabular/writing.py).
    writer = tabular.CsvWriter(_Echo())
    yield "\ufeff"  # BOM: Excel then reads the file as UTF-8 and shows the Chinese names.
    yield writer.writerow(
        [
            _("Household"),
            _("Town"),
            _("Village or community"),
            _("Head of household"),
            _("Head's ID number (masked)"),
            _("Members"),
            _("Address"),
            _("Household-registration place"),
            _("Status"),
        ]
    )
    for household in households.iterator(chunk_size=EXPORT_CHUNK):
        head = selectors.head_among(household.current_memberships)
        yield writer.writerow(
            [
                household.pk,
                household.town.name,
                household.village.name if household.village else "",
                head.name if head else "",
                head.masked_id if head else "",
                len(household.current_memberships),
                household.address,
                household.hukou_place,
                household.get_status_display(),
            ]
        )


@require_GET
@case_reader_required
def household_export(request):
    """The list as CSV, with the list's filters, order and scope, masked IDs, and an audit
    event. An ID number in its URL is moved to a session key first, as on the list."""
    if search.private_search_in_url(request):
        url = reverse("cases:household-export")
        return search.redirect_to_key(request, url, (*FILTER_KEYS, "sort"))
    params, expired = search.search_params(request)
    form, filters, _sort, households = _households(request, params)
    if expired or (form.is_bound and form.errors):
        # Export exactly what was asked for or nothing: the list page shows what is wrong.
        return redirect(f"{reverse('cases:household-list')}?{request.GET.urlencode()}")
    services.export_recorded(
        actor=request.user,
        what="households",
        rows=households.count(),
        request=request,
        **filters,
    )
    response = StreamingHttpResponse(_csv_lines(households), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="households-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response


def _cleaned_or_typed(form, name: str, default=None):
    """A field's cleaned value, or what was typed when the field has an error of its own (the
    service's check of it is then not shown: the field already says what is wrong)."""
    data = getattr(form, "cleaned_data", {})
    if name in data:
        return data[name]
    if name in form.errors:
        return form.data.get(form.add_prefix(name), default)
    return default


def _member_inputs(formset):
    """The filled rows of the member formset, with the form each came from. A row with errors
    of its own still goes to the service's check, with what was typed."""
    rows = []
    for form in formset.forms:
        if form.is_blank():
            continue
        data = getattr(form, "cleaned_data", {})
        member = services.MemberInput(
            name=_cleaned_or_typed(form, "name", ""),
            id_number=_cleaned_or_typed(form, "id_number", ""),
            relation=_cleaned_or_typed(form, "relation", ""),
            joined_on=data.get("joined_on"),
            extra={name: data[name] for name in form.PERSON_FIELDS if name in data},
        )
        rows.append((form, member))
    return rows


def _apply_member_errors(error: ValidationError, form, rows, members_errors: list) -> None:
    """household_create's errors: "members[2].id_number" goes to the second filled member row's
    ID number field; "members" (at least one member) above the formset; the rest to the
    household form. A field that already shows an error of its form's own is left alone."""
    if not hasattr(error, "error_dict"):
        apply_service_errors(form, error)
        return
    household_errors = {}
    for key, messages_ in error.message_dict.items():
        if key == "members":
            members_errors.extend(messages_)
            continue
        if key.startswith("members["):
            index_text, _dot, field = key[len("members[") :].partition("].")
            index = int(index_text) - 1 if index_text.isdigit() else -1
            if 0 <= index < len(rows):
                row_form = rows[index][0]
                if field not in row_form.errors:
                    apply_service_errors(row_form, ValidationError({field or "__all__": messages_}))
                continue
        if key not in form.errors:
            household_errors[key] = messages_
    if household_errors:
        apply_service_errors(form, ValidationError(household_errors))


def _formset_summary(formset) -> list[str]:
    lines = []
    for number, member_form in enumerate(formset.forms, start=1):
        prefix = _("Member %(number)d — ") % {"number": number}
        lines.extend(error_summary(member_form, prefix=prefix))
    return lines


@require_http_methods(["GET", "POST"])
@registry_editor_required
def household_create(request):
    members_errors: list[str] = []
    if request.method == "POST":
        form = HouseholdCreateForm(request.POST, user=request.user)
        formset = MemberFormSet(request.POST, prefix="members")
        valid = form.is_valid() & formset.is_valid()  # both, so both report their errors
        rows = _member_inputs(formset)
        values = {
            "actor": request.user,
            "town": form.cleaned_data.get("town"),
            "village": form.cleaned_data.get("village"),
            "address": _cleaned_or_typed(form, "address", ""),
            "hukou_place": form.cleaned_data.get("hukou_place", ""),
            "members": [member for _form, member in rows],
        }
        try:
            if valid:
                household = services.household_create(**values)
            else:
                # Every problem in one pass: the service's rules as well as the forms' own.
                detail = services.household_check(**values)
                if detail:
                    raise NestedValidationError(detail)
        except ValidationError as error:
            _apply_member_errors(error, form, rows, members_errors)
        else:
            if valid:
                messages.success(request, _("Household #%(id)d registered.") % {"id": household.pk})
                return redirect("cases:household-detail", pk=household.pk)
        members_errors.extend(formset.non_form_errors())
    else:
        form = HouseholdCreateForm(user=request.user)
        # ?members=N gives N member rows without JavaScript (the page's button adds rows too).
        rows = request.GET.get("members", "1")
        wanted = rows.isascii() and rows.isdigit() and len(rows) <= 3
        count = min(max(int(rows), 1), MAX_MEMBER_ROWS) if wanted else 1
        initial = [{"relation": Membership.Relation.HEAD}] + [{}] * (count - 1)
        formset = MemberFormSet(prefix="members", initial=initial)
    summary = error_summary(form) + _formset_summary(formset) + list(members_errors)
    return render(
        request,
        "cases/household_create.html",
        {
            "form": form,
            "formset": formset,
            "members_errors": members_errors,
            "summary": summary,
        },
        status=400 if summary else 200,
    )


@require_GET
@case_reader_required
def household_detail(request, pk):
    household = selectors.household_get(user=request.user, pk=pk)
    user = request.user
    memberships = list(selectors.household_members(household=household))
    context = {
        "household": household,
        "current_members": [m for m in memberships if m.left_on is None],
        "past_members": [m for m in memberships if m.left_on is not None],
        "income_lines": selectors.income_lines_in_scope(user)
        .filter(household=household)
        .select_related("income_type", "person")
        .order_by("-valid_from", "-id"),
        "assets": selectors.assets_in_scope(user)
        .filter(household=household)
        .select_related("person")
        .order_by("-valid_from", "-id"),
        "authorisations": selectors.authorisations_in_scope(user)
        .filter(household=household)
        .select_related("person", "scan"),
        "documents": selectors.documents_in_scope(user)
        .filter(household=household)
        .select_related("person", "uploaded_by"),
        "today": timezone.localdate(),
    }
    return render(request, "cases/household_detail.html", context)


@require_http_methods(["GET", "POST"])
@registry_editor_required
def household_edit(request, pk):
    household = selectors.household_get(user=request.user, pk=pk)
    form = HouseholdEditForm(request.POST or None, user=request.user, household=household)
    update = partial(services.household_update, actor=request.user, household=household)
    if save_edit(request, form, update, _("The household was updated.")):
        return redirect("cases:household-detail", pk=household.pk)
    return render_form(
        request,
        form,
        household=household,
        title=_("Edit household #%(id)d") % {"id": household.pk},
        submit=_("Save changes"),
    )


def render_form(request, form, *, household, title, submit, intro="", multipart=False):
    """The one page for every small registry form: title, error summary, fields, submit."""
    summary = error_summary(form)
    return render(
        request,
        "cases/form_page.html",
        {
            "form": form,
            "household": household,
            "title": title,
            "intro": intro,
            "submit": submit,
            "multipart": multipart,
            "summary": summary,
        },
        status=400 if summary else 200,
    )
