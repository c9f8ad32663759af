"""Caseload import pages: upload a file, follow its progress, read the result or the rejection
report, and download the template (docs/import-template.md)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from relief.views import apply_service_errors, error_summary

from .. import imports, selectors, tasks
from ..models import HouseholdImport, Town
from ..permissions import case_reader_required, registry_editor_required

TEMPLATE_NAME = "relief-household-import-template"
TEMPLATE_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


class ImportForm(forms.Form):
    town = forms.ModelChoiceField(queryset=Town.objects.none(), label=gettext_lazy("Town"))
    file = forms.FileField(
        label=gettext_lazy("Caseload file"),
        help_text=gettext_lazy(
            "An .xlsx or .csv file in the template: one row per member. A file with any bad "
            "row is rejected whole and nothing is written."
        ),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        towns = selectors.towns_in_scope(user)
        self.fields["town"].queryset = towns
        if len(towns) == 1:
            self.fields["town"].initial = towns[0].pk


@registry_editor_required
def import_upload(request):
    form = ImportForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            household_import, created = tasks.household_import_submit(
                actor=request.user,
                town=form.cleaned_data["town"],
                upload=form.cleaned_data["file"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            if not created:
                messages.info(
                    request,
                    _("This file was already imported into %(town)s; nothing was changed.")
                    % {"town": household_import.town.name},
                )
            return redirect("cases:import-status", pk=household_import.pk)
    return render(
        request,
        "cases/import_upload.html",
        {
            "form": form,
            "summary": error_summary(form),
            "imports": selectors.household_imports_in_scope(request.user)[:20],
        },
    )


def _import_in_scope(request, pk) -> HouseholdImport:
    # Another town's import does not exist for this user.
    return selectors.get_in_scope(selectors.household_imports_in_scope(request.user), pk=pk)


@case_reader_required
@require_GET
def import_status(request, pk):
    household_import = _import_in_scope(request, pk)
    return render(
        request,
        "cases/import_status.html",
        {
            "household_import": household_import,
            "finished": household_import.status in imports.FINISHED,
            "report": imports.household_import_report(household_import).sorted(),
            "progress_url": reverse("cases:import-progress", args=[household_import.pk]),
        },
    )


@case_reader_required
@require_GET
def import_progress(request, pk):
    household_import = _import_in_scope(request, pk)
    finished = household_import.status in imports.FINISHED
    return JsonResponse(
        {
            "id": household_import.pk,
            "status": household_import.status,
            "status_display": household_import.get_status_display(),
            "finished": finished,
            "total_rows": household_import.total_rows,
            "processed_rows": household_import.processed_rows,
            "percent": 100
            if household_import.status == HouseholdImport.Status.DONE
            else household_import.percent,
            "households_created": household_import.households_created,
            "persons_created": household_import.persons_created,
            # The report only once there is one: the page polls every second.
            "errors": household_import.errors if finished else [],
        }
    )


@login_required
@require_GET
def import_template(request, fmt):
    if fmt not in TEMPLATE_TYPES:
        raise Http404
    content = imports.template_xlsx() if fmt == "xlsx" else imports.template_csv()
    response = HttpResponse(content, content_type=TEMPLATE_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{TEMPLATE_NAME}.{fmt}"'
    return response
