"""Batch pages: the list with its filters and totals, and a batch's page with its
totals, who did what when, its lines, the bank files exported and the returns imported, and the
buttons of its way to the bank: submit, approve, reject, send (payments.batches), the bank file
(payments.bankfiles, finance) and the bank's return (payments.returns, finance); then the
reconciliation screen of a returned batch.

Every button posts to a view that calls exactly one service; the services are the authority
(who may act, the state, the maker who may not approve): a refusal shows their message on the
batch's page with 400 or 403, never a 500. Which buttons are offered mirrors their checks."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Subquery, Sum
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from cases import selectors as case_selectors
from cases.models import Role
from cases.permissions import DECIDER_ROLES, case_reader_required, role_of
from relief.dates import first_of_month
from relief.money import ZERO, to_fen
from relief.views import Action, action_forms, failed_summary, querystring_without_page, run_action

from .. import batches, runs, selectors
from ..bankfiles import CONTENT_TYPES, EXPORTABLE_STATES, bank_file_export
from ..forms import ActionForm, BatchFilterForm, CheckedForm, ReasonForm, ReturnUploadForm
from ..models import BankFile, Batch, PayeeAccount, PaymentLine, PaymentRun
from ..returns import MAX_RETURN_BYTES, ReturnResult, bank_return_import
from .labels import KEY_LABELS, PAGE_SIZE, run_service

State = Batch.State
LineStatus = PaymentLine.Status
LIST_FILTERS = ("period", "town", "state", "kind")


# --- the list -------------------------------------------------------------------------------


@require_GET
@case_reader_required
def batch_list(request):
    """The batches of the user's towns, newest period first, with the filtered set's totals and
    the runs still running: a fixed number of queries whatever the page size."""
    user = request.user
    towns = list(case_selectors.towns_in_scope(user).order_by("code"))
    filters = BatchFilterForm(request.GET or None, towns=towns)
    rows = selectors.batches_in_scope(user)
    if filters.value("period"):
        rows = rows.filter(period=first_of_month(filters.value("period")))
    for name, lookup in (("town", "town__code"), ("state", "state"), ("kind", "kind")):
        if filters.value(name):
            rows = rows.filter(**{lookup: filters.value(name)})
    totals = rows.aggregate(
        batches=Count("id"), lines=Sum("line_count"), amount=Sum("total_amount")
    )
    page = Paginator(
        rows.select_related(*selectors.BATCH_RELATED).order_by("-period", "town__code", "-id"),
        PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    running = [
        (run, 0, runs.run_figures(run))
        for run in selectors.runs_listed(user)
        .filter(state=PaymentRun.State.RUNNING)
        .order_by("-id")[:10]
    ]
    return render(
        request,
        "payments/batch_list.html",
        {
            "page": page,
            "filters": filters,
            "show_town_filter": len(towns) > 1,
            "totals": {
                "batches": totals["batches"],
                "lines": totals["lines"] or 0,
                "amount": to_fen(totals["amount"] or ZERO),
            },
            "running": running,
            "filters_query": querystring_without_page(request.GET, LIST_FILTERS),
            "can_start_run": role_of(user) in DECIDER_ROLES,
        },
    )


# --- actions on a batch ---------------------------------------------------------------------


ACTIONS: dict[str, Action] = {
    "submit": Action(
        gettext_lazy("Submit for approval"),
        ActionForm,
        lambda actor, batch, data: batches.batch_submit(actor=actor, batch=batch),
        gettext_lazy("Batch submitted: another supervisor approves it."),
    ),
    "approve": Action(
        gettext_lazy("Approve"),
        CheckedForm,
        lambda actor, batch, data: batches.batch_approve(actor=actor, batch=batch),
        gettext_lazy("Batch approved: finance exports its bank file."),
    ),
    "reject": Action(
        gettext_lazy("Send back to draft"),
        ReasonForm,
        lambda actor, batch, data: batches.batch_reject(
            actor=actor, batch=batch, reason=data["reason"] or ""
        ),
        gettext_lazy("Batch sent back to draft."),
        "danger",
    ),
    "send": Action(
        gettext_lazy("Mark sent to the bank"),
        CheckedForm,
        lambda actor, batch, data: batches.batch_send(actor=actor, batch=batch),
        gettext_lazy("Batch marked sent to the bank."),
    ),
}
# Bank files and returns: their forms are on the batch's page, their refusals shown there too.
EXPORT = Action(gettext_lazy("Bank file"), ActionForm, None, "")
RETURN = Action(gettext_lazy("Import the bank's return"), ReturnUploadForm, None, "")
PAGE_ACTIONS = {**ACTIONS, "export": EXPORT, "return": RETURN}


def available_actions(batch: Batch, *, user, has_bank_file: bool = False) -> list[str]:
    """The transitions the user may plausibly take now, mirroring payments.batches' checks:
    supervisors submit a draft and approve or reject a submitted batch (not approve what they
    submitted: the page says so instead); finance marks an approved batch sent once its bank
    file has been exported."""
    role = role_of(user)
    shown = set()
    if role in DECIDER_ROLES:
        if batch.state == State.DRAFT:
            shown.add("submit")
        if batch.state == State.SUBMITTED:
            shown.add("reject")
            if batch.submitted_by_id != user.pk:
                shown.add("approve")
    if role == Role.FINANCE and batch.state == State.APPROVED and has_bank_file:
        shown.add("send")
    return [name for name in ACTIONS if name in shown]


def _batch_get(user, pk) -> Batch:
    return case_selectors.get_in_scope(
        selectors.batches_in_scope(user).select_related(
            *selectors.BATCH_RELATED, "run__started_by"
        ),
        pk=pk,
    )


def batch_totals(batch: Batch) -> dict:
    """Lines and amounts by kind and by status (one GROUP BY), and the bank-file rows."""
    by_kind: dict = {}
    by_status: dict = {}
    rows = (
        batch.lines.order_by()
        .values("kind", "status")
        .annotate(n=Count("id"), amount=Sum("amount"))
    )
    for row in rows:
        for key, bucket in ((row["kind"], by_kind), (row["status"], by_status)):
            entry = bucket.setdefault(key, {"lines": 0, "amount": ZERO})
            entry["lines"] += row["n"]
            entry["amount"] = to_fen(entry["amount"] + (row["amount"] or ZERO))
    # In the order of the choices, whatever order the GROUP BY returned.
    return {
        "rows": batch.lines.order_by().values("seq").distinct().count(),
        "by_kind": [
            (label, by_kind[key]) for key, label in PaymentLine.Kind.choices if key in by_kind
        ],
        "by_status": [
            (key, label, by_status[key]) for key, label in LineStatus.choices if key in by_status
        ],
    }


def batch_page(request, pk, *, failed=None, status=200, report=None):
    """A batch's page in a fixed number of queries: facts, who did what when, totals, the lines
    (paginated), bank files, returns, and the user's buttons."""
    user = request.user
    batch = _batch_get(user, pk)
    role = role_of(user)
    lines = (
        PaymentLine.objects.filter(batch=batch)
        .select_related("replaces__batch", "reissued_as__batch")
        .order_by("seq", "id")
    )
    page = Paginator(lines, PAGE_SIZE).get_page(request.GET.get("page"))
    finance = role == Role.FINANCE
    failed_name, failed_form = failed or (None, None)
    export_form = failed_form if failed_name == "export" else ActionForm(prefix="export")
    return_form = failed_form if failed_name == "return" else ReturnUploadForm(prefix="return")
    bank_files = list(batch.bank_files.select_related("exported_by", "layout").order_by("-id"))
    return render(
        request,
        "payments/batch_detail.html",
        {
            "batch": batch,
            "totals": batch_totals(batch),
            "page": page,
            "bank_files": bank_files,
            "returns": list(batch.returns.select_related("imported_by").order_by("-id")),
            "action_forms": action_forms(
                ACTIONS,
                available_actions(batch, user=user, has_bank_file=bool(bank_files)),
                failed if failed_name in ACTIONS else None,
            ),
            "own_submission": (
                role in DECIDER_ROLES
                and batch.state == State.SUBMITTED
                and batch.submitted_by_id == user.pk
            ),
            "can_export": (finance and batch.state in EXPORTABLE_STATES) or failed_name == "export",
            "export_form": export_form,
            "formats": BankFile.Format.choices,
            "can_import_return": (finance and batch.state == State.SENT) or failed_name == "return",
            "return_form": return_form,
            "report": report,
            "summary": failed_summary(PAGE_ACTIONS, failed),
        },
        status=status,
    )


@require_GET
@case_reader_required
def batch_detail(request, pk):
    return batch_page(request, pk)


@require_POST
@case_reader_required
def batch_action(request, pk, action):
    """POST one transition of a batch: one service call. Success goes back to the batch's page
    with a message; a refusal shows the page again with the service's message."""
    batch = _batch_get(request.user, pk)
    if action not in ACTIONS:
        raise Http404
    ok, result, form, status = run_action(request, ACTIONS, action, batch, KEY_LABELS)
    if ok:
        messages.success(request, ACTIONS[action].message(result, form.cleaned_data))
        return redirect("payments:batch-detail", pk=batch.pk)
    return batch_page(request, batch.pk, failed=(action, form), status=status)


# --- bank files and returns -----------------------------------------------------------------


@require_POST
@case_reader_required
def batch_bank_file(request, pk, fmt):
    """POST: the batch's bank file as a download, with full account and ID numbers (finance
    only; payments.bankfiles records the file's hash, size and exporter and an audit event). A
    POST because every download writes those records."""
    batch = _batch_get(request.user, pk)
    if fmt not in BankFile.Format.values:
        raise Http404
    form = ActionForm(request.POST, prefix="export")
    ok, result, status = run_service(
        form,
        lambda data: bank_file_export(actor=request.user, batch=batch, fmt=fmt, request=request),
    )
    if not ok:
        return batch_page(request, batch.pk, failed=("export", form), status=status)
    name, chunks, _record = result
    response = StreamingHttpResponse(chunks, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@case_reader_required
def batch_return_upload(request, pk):
    """POST the bank's return file (finance): imported whole, or rejected whole with every
    problem listed on the batch's page; the same file again changes nothing and says so."""
    batch = _batch_get(request.user, pk)
    form = ReturnUploadForm(request.POST, request.FILES, prefix="return")

    def import_return(data):
        upload = data["file"]
        if upload.size > MAX_RETURN_BYTES:
            # Checked before the file is read into memory (the service checks it again).
            raise ValidationError(
                {"file": _("The file is larger than %(max)d MB.") % {"max": MAX_RETURN_BYTES >> 20}}
            )
        return bank_return_import(
            actor=request.user,
            batch=batch,
            file_name=upload.name,
            content=upload.read(),
            request=request,
        )

    ok, result, status = run_service(form, import_return)
    if not ok:
        return batch_page(request, batch.pk, failed=("return", form), status=status)
    if result.outcome == ReturnResult.REJECTED:
        form.add_error(
            None,
            _("The file was rejected with %(count)d problems and nothing changed.")
            % {"count": len(result.report)},
        )
        return batch_page(
            request, batch.pk, failed=("return", form), status=400, report=result.report.sorted()
        )
    if result.outcome == ReturnResult.REPEAT:
        messages.info(request, _("This return file was already imported: nothing changed."))
    else:
        messages.success(request, result.summary())
    return redirect("payments:batch-reconciliation", pk=batch.pk)


# --- reconciliation -------------------------------------------------------------------------


@require_GET
@case_reader_required
def batch_reconciliation(request, pk):
    """After the bank's return: paid and failed counts and amounts, and each failed line with
    the bank's reason, a link to its grant to fix the payee account, and whether it has been
    reissued (and in which batch). A fixed number of queries whatever the number of lines."""
    batch = _batch_get(request.user, pk)
    by_status = selectors.batch_status_totals(batch)
    confirmed = PayeeAccount.objects.filter(
        grant=OuterRef("grant_id"), state=PayeeAccount.State.CONFIRMED
    )
    failed = (
        PaymentLine.objects.filter(batch=batch, status=LineStatus.FAILED)
        .select_related("reissued_as__batch")
        .annotate(
            account_now=Subquery(confirmed.values("pk")[:1]),
            account_waiting=Exists(
                PayeeAccount.objects.filter(
                    grant=OuterRef("grant_id"), state=PayeeAccount.State.PROPOSED
                )
            ),
        )
        .order_by("seq", "id")
    )
    page = Paginator(failed, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "payments/reconciliation.html",
        {
            "batch": batch,
            "paid": by_status[LineStatus.PAID],
            "failed": by_status[LineStatus.FAILED],
            "pending": by_status[LineStatus.PENDING],
            "returns": list(batch.returns.select_related("imported_by").order_by("-id")),
            "page": page,
        },
    )
