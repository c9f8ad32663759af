"""Application pages: a new application from a household's page, editing the draft,
the application's page with its clocks, step log and step buttons, and the printable notices
(受理通知书, 审批决定书).

Every step button posts to `application_step`, which calls exactly one cases.workflow service.
The services are the authority: a step they refuse (wrong state, wrong role, the preparer
deciding, an incomplete file) shows their message on the application's page, with 400 or 403.
"""

from django.contrib import messages
from django.core.exceptions import (
    ObjectDoesNotExist,
    ValidationError,
)
from django.db.models import prefetch_related_objects
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from relief.money import format_money
from relief.views import (
    Action,
    action_forms,
    error_summary,
    failed_summary,
    run_action,
    submit_form,
)

from .. import selectors
from ..calculation import temporary_band
from ..forms.applications import (
    AcceptForm,
    ApplicationCreateForm,
    ApplicationEditForm,
    ApproveForm,
    EmptyForm,
    HomeVisitForm,
    NoteForm,
    ObjectionForm,
    OpinionForm,
    ReasonForm,
    RejectForm,
    SupplementRequestForm,
    TemporaryApproveForm,
)
from ..models import Application, ApplicationEvent, Clock, Scheme
from ..permissions import case_reader_required, registry_editor_required
from ..workflow import decisions, services, steps
from ..workflow import selectors as workflow
from . import workflow_ui

PAGE_SIZE = 50

# Labels for the keys a service names that are not fields of the step's form.
KEY_LABELS = {
    "head": gettext_lazy("Head of household"),
    "authorisations": gettext_lazy("Authorisations"),
    "income": gettext_lazy("Income"),
    "state": gettext_lazy("State"),
    "calculation": gettext_lazy("Calculation"),
    "recommend": gettext_lazy("Opinion"),
    "reasons": gettext_lazy("Reasons"),
}


# ...and the application's own fields, named as the model names them.
ERROR_LABELS = {
    **{field.name: capfirst(field.verbose_name) for field in Application._meta.fields},
    **KEY_LABELS,
}


# --- new and edit ---------------------------------------------------------------------------


def band_texts(household, today) -> list[str]:
    """The band of each temporary-assistance scheme for the household's town today, shown next
    to the proposed amount (DOMAIN.md §5)."""
    texts = []
    for scheme in Scheme.objects.filter(kind=Scheme.Kind.TEMPORARY).order_by("code"):
        try:
            band = temporary_band(scheme=scheme, town=household.town_id, on=today)
        except ValidationError:
            continue  # no rule in force: the service says so if this scheme is chosen
        text = _(
            "%(scheme)s: %(minimum)s to %(maximum)s yuan; above %(threshold)s yuan the city "
            "supervisor decides."
        ) % {
            "scheme": scheme,
            "minimum": format_money(band.minimum),
            "maximum": format_money(band.maximum),
            "threshold": format_money(band.town_threshold),
        }
        if band.demo:
            text += " " + _("(demo value)")
        texts.append(text)
    return texts


def render_application_form(request, form, *, household, title, submit, application=None):
    summary = error_summary(form)
    return render(
        request,
        "cases/applications/form.html",
        {
            "form": form,
            "household": household,
            "application": application,
            "title": title,
            "submit": submit,
            "summary": summary,
        },
        status=400 if summary else 200,
    )


@require_http_methods(["GET", "POST"])
@registry_editor_required
def application_create(request, pk):
    household = selectors.household_get(user=request.user, pk=pk)
    form = ApplicationCreateForm(
        request.POST or None,
        household=household,
        bands=band_texts(household, timezone.localdate()),
    )

    def action(data):
        return services.application_create(
            actor=request.user,
            household=household,
            scheme=data["scheme"],
            **form.draft_values(),
        )

    created = []

    def success(application):
        created.append(application)
        return _("Application #%(id)d was created as a draft.") % {"id": application.pk}

    if submit_form(request, form, action, success):
        return redirect("cases:application-detail", pk=created[0].pk)
    return render_application_form(
        request,
        form,
        household=household,
        title=_("New application for household #%(id)d") % {"id": household.pk},
        submit=_("Create draft"),
    )


@require_http_methods(["GET", "POST"])
@registry_editor_required
def application_edit(request, pk):
    application = workflow.application_get(user=request.user, pk=pk)
    household = application.household
    form = ApplicationEditForm(
        request.POST or None,
        application=application,
        bands=band_texts(household, timezone.localdate())
        if application.scheme.is_temporary
        else (),
    )

    def action(data):
        changes = form.changes()
        if not changes:
            raise ValidationError(_("Nothing was changed."))
        return services.application_update(
            actor=request.user, application=application, reason=data["reason"] or "", **changes
        )

    if submit_form(request, form, action, _("The draft was updated.")):
        return redirect("cases:application-detail", pk=application.pk)
    return render_application_form(
        request,
        form,
        household=household,
        application=application,
        title=_("Edit application #%(id)d") % {"id": application.pk},
        submit=_("Save changes"),
    )


# --- steps ----------------------------------------------------------------------------------


def _approve_form(application):
    return TemporaryApproveForm if application.scheme.is_temporary else ApproveForm


def _decide(approve: bool):
    def run(actor, application, data):
        return decisions.application_decide(
            actor=actor,
            application=application,
            approve=approve,
            reasons=data.get("reasons") or "",
            approved_amount=data.get("approved_amount"),
        )

    return run


STEPS: dict[str, Action] = {
    "submit": Action(
        gettext_lazy("Submit"),
        EmptyForm,
        lambda actor, application, data: services.application_submit(
            actor=actor, application=application
        ),
        gettext_lazy("Submitted: the file is complete and waits for acceptance."),
        "primary",
    ),
    "accept": Action(
        gettext_lazy("Accept (受理)"),
        AcceptForm,
        lambda actor, application, data: services.application_accept(
            actor=actor, application=application, received_on=data["received_on"]
        ),
        gettext_lazy("Accepted: the clocks have started."),
        "primary",
    ),
    "request_supplement": Action(
        gettext_lazy("Request supplementary documents"),
        SupplementRequestForm,
        lambda actor, application, data: steps.application_supplement_request(
            actor=actor, application=application, items=data["items"]
        ),
        gettext_lazy("Supplementary documents requested: the clocks are paused."),
    ),
    "supplement_received": Action(
        gettext_lazy("Supplementary documents received"),
        NoteForm,
        lambda actor, application, data: steps.application_supplement_receive(
            actor=actor, application=application, note=data["note"] or ""
        ),
        gettext_lazy("Supplementary documents received: the clocks run again."),
        "primary",
    ),
    "home_visit": Action(
        gettext_lazy("Record home visit"),
        HomeVisitForm,
        lambda actor, application, data: steps.application_home_visit_record(
            actor=actor, application=application, findings=data["findings"]
        ),
        gettext_lazy("Home visit recorded."),
        "primary",
    ),
    "opinion": Action(
        gettext_lazy("Give the town opinion"),
        OpinionForm,
        lambda actor, application, data: steps.application_opinion_give(
            actor=actor,
            application=application,
            recommend=data["recommend"],
            note=data["note"] or "",
        ),
        gettext_lazy("Town opinion recorded."),
        "primary",
    ),
    "start_notice": Action(
        gettext_lazy("Start public notice"),
        EmptyForm,
        lambda actor, application, data: steps.application_notice_start(
            actor=actor, application=application
        ),
        gettext_lazy("Public notice started."),
        "primary",
    ),
    "objection": Action(
        gettext_lazy("Record objection"),
        ObjectionForm,
        lambda actor, application, data: steps.application_objection_record(
            actor=actor, application=application, objection=data["objection"]
        ),
        gettext_lazy("Objection recorded: re-investigate with a new home visit."),
    ),
    "end_notice": Action(
        gettext_lazy("End public notice"),
        EmptyForm,
        lambda actor, application, data: steps.application_notice_end(
            actor=actor, application=application
        ),
        gettext_lazy("Public notice ended: the decision clock has started."),
        "primary",
    ),
    "extend": Action(
        gettext_lazy("Approve extension"),
        ReasonForm,
        lambda actor, application, data: decisions.application_extend(
            actor=actor, application=application, reason=data["reason"]
        ),
        gettext_lazy("Extension approved."),
    ),
    "emergency_approve": Action(
        gettext_lazy("Approve and pay first (emergency)"),
        TemporaryApproveForm,
        lambda actor, application, data: decisions.application_emergency_approve(
            actor=actor,
            application=application,
            approved_amount=data.get("approved_amount"),
            reasons=data.get("reasons") or "",
        ),
        gettext_lazy("Approved under the emergency procedure: complete the file afterwards."),
        "primary",
    ),
    "approve": Action(
        gettext_lazy("Approve"),
        _approve_form,
        _decide(True),
        gettext_lazy("Approved: the grant was created."),
        "primary",
    ),
    "reject": Action(
        gettext_lazy("Reject"),
        RejectForm,
        _decide(False),
        gettext_lazy("Rejected."),
        "danger",
    ),
    "complete_file": Action(
        gettext_lazy("Complete the file"),
        EmptyForm,
        lambda actor, application, data: services.application_file_complete(
            actor=actor, application=application
        ),
        gettext_lazy("The file is complete."),
        "primary",
    ),
    "disburse": Action(
        gettext_lazy("Record disbursement"),
        NoteForm,
        lambda actor, application, data: decisions.application_disbursement_record(
            actor=actor, application=application, note=data["note"] or ""
        ),
        gettext_lazy("Disbursement recorded."),
        "primary",
    ),
    "withdraw": Action(
        gettext_lazy("Withdraw"),
        ReasonForm,
        lambda actor, application, data: services.application_withdraw(
            actor=actor, application=application, reason=data["reason"]
        ),
        gettext_lazy("The application was withdrawn."),
        "danger",
    ),
}


@require_POST
@case_reader_required
def application_step(request, pk, action):
    """POST one step: one service call. Success goes back to the page with a message; a
    refusal shows the page again with the service's message (400, or 403 for the wrong role
    or the preparer deciding)."""
    application = workflow.application_get(user=request.user, pk=pk)
    if action not in STEPS:
        raise Http404
    ok, result, form, status = run_action(request, STEPS, action, application, ERROR_LABELS)
    if ok:
        messages.success(request, STEPS[action].message(result, form.cleaned_data))
        return redirect("cases:application-detail", pk=application.pk)
    return application_page(request, application.pk, failed=(action, form), status=status)


# --- the application's page -----------------------------------------------------------------


# The step log's data shown under each step, with their labels (the rest is in the API).
EVENT_DATA_LABELS = {
    "received_on": gettext_lazy("received on"),
    "accepted_on": gettext_lazy("accepted on"),
    "starts_on": gettext_lazy("from"),
    "ends_on": gettext_lazy("to"),
    "amount": gettext_lazy("amount (yuan)"),
    "total": gettext_lazy("monthly amount (yuan)"),
    "limit_days": gettext_lazy("limit (working days)"),
    "objections": gettext_lazy("objections"),
    "paused_from": gettext_lazy("paused from"),
}
MONEY_KEYS = {"amount", "total"}


def event_details(event) -> tuple[list, list]:
    """(label, value) pairs of an event's data, and the missing items of a completeness notice
    as "Label: message" lines."""
    data = event.data or {}
    details = [
        (EVENT_DATA_LABELS[key], format_money(data[key]) if key in MONEY_KEYS else data[key])
        for key in EVENT_DATA_LABELS
        if data.get(key) not in (None, "")
    ]
    if data.get("recommend") is not None and event.kind == "opinion":
        details.append(
            (_("opinion"), _("recommended") if data["recommend"] else _("not recommended"))
        )
    missing = [
        f"{ERROR_LABELS.get(key, key)}: {message}"
        for key, messages_ in (data.get("missing") or {}).items()
        for message in messages_
    ]
    return details, missing


def application_context(request, pk) -> dict:
    """Everything the application's page and its printable notices show, in a fixed number of
    queries."""
    user = request.user
    application = workflow.application_get(user=user, pk=pk)
    today = timezone.localdate()
    soon = workflow_ui.soon_until(today)
    clocks = list(
        workflow.with_flags(
            application.clocks.select_related("holder_user", "breach"), today=today
        ).order_by("started_on", "id")
    )
    events = list(application.events.select_related("actor").order_by("at", "id"))
    pauses = list(application.pauses.select_related("opened_by", "closed_by"))
    notice = application.notice if _has(application, "notice") else None
    extension = application.extension if _has(application, "extension") else None
    grant = application.grant if _has(application, "grant") else None
    members = list(selectors.current_members(application.household))
    head = selectors.head_among(members)
    preview, preview_error = workflow.calculation_preview(application, today=today)
    last = events[-1] if events else None
    return {
        "application": application,
        "preview": preview,
        "preview_error": preview_error,
        # The last completeness notice found members without an authorisation: link its form.
        "authorisations_missing": last is not None
        and last.kind == ApplicationEvent.Kind.COMPLETENESS_NOTICE
        and "authorisations" in (last.data or {}).get("missing", {}),
        "household": application.household,
        "head": head,
        "member_count": len(members),
        "today": today,
        "clocks": [
            (clock, workflow_ui.clock_mark(clock, today=today, soon=soon)) for clock in clocks
        ],
        "events": [(event, *event_details(event)) for event in events],
        "pauses": pauses,
        "notice": notice,
        "extension": extension,
        "breaches": [clock.breach for clock in clocks if _has(clock, "breach")],
        "grant": grant,
        "schedule": list(grant.schedule.select_related("confirmed_by")) if grant else [],
        # The clock a decision is due by: the whole procedure (dibao, tekun) or the approval
        # step (temporary assistance).
        "decision_clock": next(
            (c for c in clocks if c.kind in (Clock.Kind.OVERALL, Clock.Kind.APPROVAL)), None
        ),
        "actions": workflow_ui.available_actions(
            application,
            user=user,
            today=today,
            events=events,
            pauses=pauses,
            clocks=clocks,
            notice=notice,
            has_extension=extension is not None,
        ),
    }


def _has(instance, name: str) -> bool:
    """Whether a reverse one-to-one exists (reading it raises when it does not)."""
    try:
        getattr(instance, name)
    except ObjectDoesNotExist:
        return False
    return True


def application_page(request, pk, *, failed=None, status=200):
    context = application_context(request, pk)
    application = context["application"]
    failed_action, failed_form = failed or (None, None)
    names = [name for name in context["actions"] if name != "edit"]
    # Only the steps on offer get a form; a refused step's message is in the summary.
    offered = failed if failed and failed[0] in names else None
    step_forms = action_forms(STEPS, names, offered, target=application)
    summary = failed_summary(STEPS, failed)
    context.update(
        {
            "step_forms": step_forms,
            "failed_form": failed_form,
            "summary": summary,
            "can_edit": "edit" in context["actions"],
        }
    )
    return render(request, "cases/applications/detail.html", context, status=status)


@require_GET
@case_reader_required
def application_detail(request, pk):
    return application_page(request, pk)


# --- printable notices ----------------------------------------------------------------------


@require_GET
@case_reader_required
def acceptance_notice(request, pk):
    """受理通知书: printable once the application is accepted. No ID number, no address."""
    context = application_context(request, pk)
    if context["application"].accepted_on is None:
        raise Http404
    return render(request, "cases/applications/print_acceptance.html", context)


@require_GET
@case_reader_required
def decision_notice(request, pk):
    """审批决定书: printable once decided, with the reasons and the amount's explanation. No ID
    number, no address."""
    context = application_context(request, pk)
    if not context["application"].decision:
        raise Http404
    # The signatory is named by name or role title (relief.people): load the profile with them.
    prefetch_related_objects([context["application"]], "decided_by__staff")
    return render(request, "cases/applications/print_decision.html", context)
