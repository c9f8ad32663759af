"""Evidence pages: income lines, assets, ending either, documents (upload and a scoped
download), and signed authorisations."""

from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from relief.views import submit_form

from .. import selectors, services
from ..forms.registry import (
    AssetForm,
    AuthorisationForm,
    DocumentForm,
    EvidenceEndForm,
    IncomeLineForm,
)
from ..permissions import case_reader_required, registry_editor_required
from .households import render_form

EVIDENCE_FIELDS = ("person", "valid_from", "valid_to", "source", "note")


@require_http_methods(["GET", "POST"])
@registry_editor_required
def income_add(request, pk):
    household = selectors.household_get(user=request.user, pk=pk)
    form = IncomeLineForm(request.POST or None, user=request.user, household=household)

    def action(data):
        return services.income_line_create(
            actor=request.user,
            household=household,
            income_type=data["income_type"],
            monthly_amount=data["monthly_amount"],
            **{name: data[name] for name in EVIDENCE_FIELDS},
        )

    if submit_form(request, form, action, _("The income line was recorded.")):
        return redirect("cases:household-detail", pk=household.pk)
    return render_form(
        request,
        form,
        household=household,
        title=_("Record income for household #%(id)d") % {"id": household.pk},
        submit=_("Record income"),
    )


@require_http_methods(["GET", "POST"])
@registry_editor_required
def asset_add(request, pk):
    household = selectors.household_get(user=request.user, pk=pk)
    form = AssetForm(request.POST or None, user=request.user, household=household)

    def action(data):
        fields = {name: data[name] for name in EVIDENCE_FIELDS}
        fields.update(
            kind=data["kind"],
            units=data["units"],
            description=data["description"],
            exempt=data["exempt"],
        )
        if data["value"] is not None:
            fields["value"] = data["value"]
        return services.asset_create(actor=request.user, household=household, **fields)

    if submit_form(request, form, action, _("The asset was recorded.")):
        return redirect("cases:household-detail", pk=household.pk)
    return render_form(
        request,
        form,
        household=household,
        title=_("Record an asset for household #%(id)d") % {"id": household.pk},
        submit=_("Record asset"),
    )


EVIDENCE_KINDS = {"income": selectors.income_lines_in_scope, "asset": selectors.assets_in_scope}


@require_http_methods(["GET", "POST"])
@registry_editor_required
def evidence_end(request, pk, kind, evidence_pk):
    """Evidence is never deleted: it stops holding from a date (history keeps it)."""
    if kind not in EVIDENCE_KINDS:
        raise Http404
    reader = EVIDENCE_KINDS[kind]
    household = selectors.household_get(user=request.user, pk=pk)
    evidence = selectors.get_in_scope(
        reader(request.user).filter(household=household).select_related("household"),
        pk=evidence_pk,
    )
    form = EvidenceEndForm(request.POST or None, initial={"valid_to": evidence.valid_to})

    def action(data):
        return services.evidence_end(
            actor=request.user, evidence=evidence, valid_to=data["valid_to"], reason=data["reason"]
        )

    def success(ended):
        return _("%(what)s now holds until %(date)s.") % {
            "what": ended,
            "date": ended.valid_to.isoformat(),
        }

    if submit_form(request, form, action, success):
        return redirect("cases:household-detail", pk=household.pk)
    return render_form(
        request,
        form,
        household=household,
        title=_("End evidence: %(what)s") % {"what": evidence},
        intro=_("Valid from %(date)s. The row is kept; it stops holding after the date below.")
        % {"date": evidence.valid_from.isoformat()},
        submit=_("End it"),
    )


@require_http_methods(["GET", "POST"])
@registry_editor_required
def document_upload(request, pk):
    household = selectors.household_get(user=request.user, pk=pk)
    form = DocumentForm(
        request.POST or None, request.FILES or None, user=request.user, household=household
    )

    def action(data):
        return services.document_upload(
            actor=request.user,
            household=household,
            upload=data["file"],
            title=data["title"],
            kind=data["kind"],
            person=data["person"],
        )

    if submit_form(request, form, action, _("The document was uploaded.")):
        return redirect("cases:household-detail", pk=household.pk)
    return render_form(
        request,
        form,
        household=household,
        title=_("Upload a document for household #%(id)d") % {"id": household.pk},
        submit=_("Upload"),
        multipart=True,
    )


@require_GET
@case_reader_required
def document_download(request, pk):
    """Documents are served only through this view, which checks the town scope; there is no
    public media URL for them."""
    document = selectors.get_in_scope(selectors.documents_in_scope(request.user), pk=pk)
    try:
        handle = document.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=document.download_name,
        content_type=document.content_type,
    )
    response["Cache-Control"] = "private, no-store"
    return response


@require_http_methods(["GET", "POST"])
@registry_editor_required
def authorisation_add(request, pk):
    household = selectors.household_get(user=request.user, pk=pk)
    form = AuthorisationForm(
        request.POST or None, request.FILES or None, user=request.user, household=household
    )

    def action(data):
        return services.authorisation_create(
            actor=request.user,
            household=household,
            person=data["person"],
            signer_name=data["signer_name"],
            signed_on=data["signed_on"],
            valid_until=data["valid_until"],
            scope=data["scope"],
            scan=data["scan"],
        )

    recorded = _("The authorisation was recorded.")
    if submit_form(request, form, action, recorded, aliases={"file": "scan"}):
        return redirect("cases:household-detail", pk=household.pk)
    return render_form(
        request,
        form,
        household=household,
        title=_("Record an authorisation for household #%(id)d") % {"id": household.pk},
        intro=_(
            "A member's signed authorisation (授权书) for the economic verification queries. "
            "No registry query runs for a member without a valid one."
        ),
        submit=_("Record authorisation"),
        multipart=True,
    )
