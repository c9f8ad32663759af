"""The registry extract pages: the list of uploads, one upload's report, the upload
form with its progress bar, and the administrators' match-request download."""

import io

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from cases.permissions import can_upload_extracts, can_view_extracts, role_of
from relief.views import error_summary

from .. import imports, selectors
from ..match_requests import MATCH_REQUEST_ROLES, match_request_write
from ..models import Source

MONTH_INPUT = {"placeholder": "2026-11", "pattern": imports.PATTERNS["month"]}


def _month(value: str):
    try:
        return imports.parse_period(value)
    except ValueError as exc:
        raise forms.ValidationError(str(exc)) from None


class UploadForm(forms.Form):
    source = forms.ModelChoiceField(queryset=Source.objects.all(), label=gettext_lazy("Source"))
    period = forms.CharField(
        label=gettext_lazy("Month"),
        help_text=gettext_lazy("The month the extract describes, as YYYY-MM."),
        widget=forms.TextInput(attrs=MONTH_INPUT),
    )
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy(
            "CSV (UTF-8) or .xlsx in the exchange format: a key column (身份证号 or 身份证号哈希), "
            "姓名 if you have it, and the source's columns."
        ),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # A provider lists (and may choose) only the sources assigned to it.
        self.fields["source"].queryset = selectors.sources_uploadable(user)

    def clean_period(self):
        return _month(self.cleaned_data["period"])


class MatchRequestForm(forms.Form):
    period = forms.CharField(label=gettext_lazy("Month"), widget=forms.TextInput(attrs=MONTH_INPUT))
    hashed = forms.BooleanField(
        label=gettext_lazy("Hashed ID numbers (身份证号哈希)"), required=False, initial=True
    )

    def clean_period(self):
        return _month(self.cleaned_data["period"])


def _require_extract_viewer(request) -> None:
    if not can_view_extracts(request.user):
        raise PermissionDenied(_("Your role does not give access to registry extracts."))


@require_GET
@login_required
def extract_list(request):
    _require_extract_viewer(request)
    return render(
        request,
        "audit/extract_list.html",
        {
            "extracts": selectors.extracts_visible(request.user)[:200],
            "can_upload": can_upload_extracts(request.user),
            "sees_counts": selectors.sees_match_counts(request.user),
            "match_form": MatchRequestForm() if _may_export(request) else None,
        },
    )


def _may_export(request) -> bool:
    return role_of(request.user) in MATCH_REQUEST_ROLES


@login_required
def extract_upload(request):
    if not can_upload_extracts(request.user):
        raise PermissionDenied(_("Your role may not upload registry extracts."))
    form = UploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        result = imports.extract_import(
            actor=request.user,
            source=form.cleaned_data["source"],
            period=form.cleaned_data["period"],
            file=upload,
            file_name=upload.name,
        )
        if result.already:
            messages.info(request, _("This file was already imported; nothing was changed."))
            if not selectors.extracts_visible(request.user).filter(pk=result.extract.pk):
                return redirect("audit:extract-list")  # another account's upload and report
        elif result.rejected:
            messages.error(request, imports.rejected_text(result.problem_count))
        else:
            messages.success(request, _("The extract was imported."))
        return redirect("audit:extract-detail", pk=result.extract.pk)
    return render(
        request, "audit/extract_upload.html", {"form": form, "summary": error_summary(form)}
    )


@require_POST
@login_required
def match_request(request):
    """The match request as a CSV download, for administrators (recorded as an export)."""
    if not _may_export(request):
        raise PermissionDenied(_("Only administrators may write match requests."))
    form = MatchRequestForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(e for errors in form.errors.values() for e in errors))
        return redirect("audit:extract-list")
    out = io.BytesIO()
    period, hashed = form.cleaned_data["period"], form.cleaned_data["hashed"]
    match_request_write(actor=request.user, period=period, hashed=hashed, out=out, request=request)
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    name = f"match-request-{period:%Y-%m}{'-hashed' if hashed else ''}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_GET
@login_required
def extract_detail(request, pk):
    _require_extract_viewer(request)
    extract = selectors.extracts_visible(request.user).filter(pk=pk).first()
    if extract is None:
        raise Http404
    return render(
        request,
        "audit/extract_detail.html",
        {"extract": extract, "sees_counts": selectors.sees_match_counts(request.user)},
    )
