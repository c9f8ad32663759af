"""The printable payment roster (发放花名册) of a batch: what each household of the town's batch
is paid, with masked account and ID numbers, for the case roles of the town (and the city-wide
roles) to read, print and file."""

from django.db.models import Sum
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from cases import selectors as case_selectors
from cases.permissions import case_reader_required
from relief.money import ZERO

from .. import selectors
from ..bankfiles import roster_rows


@require_GET
@case_reader_required
def batch_roster(request, pk):
    # Its signatories are named by name or role title (cases' signatory filter): read with it.
    batch = case_selectors.get_in_scope(
        selectors.batches_in_scope(request.user).select_related(
            "town", "submitted_by__staff", "approved_by__staff"
        ),
        pk=pk,
    )
    rows = roster_rows(batch)
    total = sum((row.amount for row in rows), ZERO)
    returned = batch.returns.aggregate(paid=Sum("paid_amount"), failed=Sum("failed_amount"))
    return render(
        request,
        "payments/roster.html",
        {
            "batch": batch,
            "rows": rows,
            "total": total,
            "returned": returned if returned["paid"] is not None else None,
            "today": timezone.localdate(),
        },
    )
