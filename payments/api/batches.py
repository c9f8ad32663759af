"""Payment batches and their lines under /api/v1/:

- GET /api/v1/payment-batches/ (filters period, town, state, kind) and /{id}/ with totals;
  GET /api/v1/payment-batches/{id}/lines/ (paginated; account numbers masked);
  POST /api/v1/payment-batches/{id}/submit/, /approve/, /reject/, /send/.

Scoped like every case read (payments.selectors): another town's batch or line is a 404; the
wrong role, or approving one's own batch, a 403; the wrong state a 400.
"""

from django.db.models import Count, Sum
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response

from cases import selectors as case_selectors
from relief.api import (
    InputSerializer,
    MonthField,
    ReasonField,
    id_filter,
    money_field,
    username,
)
from relief.money import ZERO, to_fen

from .. import batches, selectors
from ..models import PaymentLine
from .base import (
    BatchKindField,
    BatchStateField,
    LineKindField,
    LineStatusField,
    PaymentActionSerializer,
    PaymentsApi,
)

# Batches and lines


class PaymentBatchSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = BatchKindField()
    town = serializers.CharField(source="town.code", help_text="The town's 9-digit code.")
    town_name = serializers.CharField(source="town.name")
    period = serializers.DateField(help_text="The first day of the month paid.")
    business_date = serializers.DateField()
    state = BatchStateField()
    run = serializers.IntegerField(source="run_id", allow_null=True)
    line_count = serializers.IntegerField()
    total_amount = money_field(help_text="Net total of the lines (deductions subtracted).")
    created_at = serializers.DateTimeField()
    submitted_by = username("submitted_by")
    submitted_at = serializers.DateTimeField(allow_null=True)
    approved_by = username("approved_by")
    approved_at = serializers.DateTimeField(allow_null=True)
    sent_by = username("sent_by")
    sent_at = serializers.DateTimeField(allow_null=True)
    reconciled_at = serializers.DateTimeField(allow_null=True)


class PaymentTotalSerializer(serializers.Serializer):
    lines = serializers.IntegerField()
    amount = money_field()


class PaymentBatchTotalsSerializer(serializers.Serializer):
    rows = serializers.IntegerField(help_text="Bank-file rows: one per grant (序号).")
    by_kind = serializers.DictField(child=PaymentTotalSerializer(), help_text="Per line kind.")
    by_status = serializers.DictField(child=PaymentTotalSerializer(), help_text="Per line status.")


class PaymentBatchDetailSerializer(PaymentBatchSerializer):
    totals = serializers.SerializerMethodField()

    @extend_schema_field(PaymentBatchTotalsSerializer)
    def get_totals(self, batch) -> dict:
        rows = batch.lines.values("kind", "status").annotate(n=Count("id"), amount=Sum("amount"))
        by_kind: dict = {}
        by_status: dict = {}
        for row in rows:
            for key, bucket in ((row["kind"], by_kind), (row["status"], by_status)):
                entry = bucket.setdefault(key, {"lines": 0, "amount": ZERO})
                entry["lines"] += row["n"]
                entry["amount"] = to_fen(entry["amount"] + (row["amount"] or ZERO))
        seqs = batch.lines.values("seq").distinct().count()
        return PaymentBatchTotalsSerializer(
            {"rows": seqs, "by_kind": by_kind, "by_status": by_status}
        ).data


class PaymentLineSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    batch = serializers.IntegerField(source="batch_id")
    seq = serializers.IntegerField(help_text="The bank-file row (序号); a grant's lines share it.")
    grant = serializers.IntegerField(source="grant_id")
    period = serializers.DateField()
    kind = LineKindField()
    amount = money_field(help_text="Yuan; a deduction is negative.")
    status = LineStatusField()
    replaces = serializers.IntegerField(
        source="replaces_id", allow_null=True, help_text="The failed line this one reissues."
    )
    payee = serializers.IntegerField(source="payee_id")
    bank_name = serializers.CharField()
    account_holder = serializers.CharField()
    account_number = serializers.CharField(
        source="masked_number", help_text="Masked: the last four digits."
    )
    failure_reason = serializers.CharField()
    created_at = serializers.DateTimeField()


def batch_response(user, pk) -> Response:
    batch = case_selectors.get_in_scope(
        selectors.batches_in_scope(user).select_related(*selectors.BATCH_RELATED), pk=pk
    )
    return Response(PaymentBatchDetailSerializer(batch).data)


class BatchListApi(PaymentsApi):
    """The payment batches of the user's towns, newest period first."""

    class FilterSerializer(serializers.Serializer):
        period = MonthField(required=False, help_text="YYYY-MM.")
        town = serializers.CharField(required=False, help_text="A town's 9-digit code.")
        state = BatchStateField(required=False)
        kind = BatchKindField(required=False)

    @extend_schema(
        operation_id="payment_batches_list",
        parameters=[FilterSerializer],
        responses=PaymentBatchSerializer(many=True),
    )
    def get(self, request):
        filters = self.filters(self.FilterSerializer)
        rows = selectors.batches_in_scope(request.user).select_related(*selectors.BATCH_RELATED)
        for name, lookup in (
            ("period", "period"),
            ("town", "town__code"),
            ("state", "state"),
            ("kind", "kind"),
        ):
            if name in filters:
                rows = rows.filter(**{lookup: filters[name]})
        return self.paginated(rows, PaymentBatchSerializer)


class BatchDetailApi(PaymentsApi):
    """One batch with its totals per line kind and status."""

    @extend_schema(operation_id="payment_batches_retrieve", responses=PaymentBatchDetailSerializer)
    def get(self, request, pk):
        return batch_response(request.user, pk)


class BatchLinesApi(PaymentsApi):
    """The batch's lines in bank-file order (account numbers masked)."""

    class FilterSerializer(serializers.Serializer):
        kind = LineKindField(required=False)
        status = LineStatusField(required=False)
        grant = id_filter()

    @extend_schema(
        operation_id="payment_batches_lines",
        parameters=[FilterSerializer],
        responses=PaymentLineSerializer(many=True),
    )
    def get(self, request, pk):
        batch = selectors.batch_get(user=request.user, pk=pk)
        filters = self.filters(self.FilterSerializer)
        rows = PaymentLine.objects.filter(batch=batch).order_by("seq", "id")
        for name, lookup in (("kind", "kind"), ("status", "status"), ("grant", "grant_id")):
            if name in filters:
                rows = rows.filter(**{lookup: filters[name]})
        return self.paginated(rows, PaymentLineSerializer)


class PaymentBatchRejectSerializer(InputSerializer):
    reason = ReasonField(help_text="Why the batch goes back to draft.")


def batch_action(operation_id: str, service, doc: str, input_serializer=PaymentActionSerializer):
    """A POST /api/v1/payment-batches/{id}/<action>/ endpoint: the scoped batch, one service
    call, the batch as it is now."""

    class BatchActionApi(PaymentsApi):
        @extend_schema(
            operation_id=operation_id,
            request=input_serializer,
            responses={
                200: PaymentBatchDetailSerializer,
                400: OpenApiResponse(description="The batch is not in a state that allows it."),
                403: OpenApiResponse(description="Your role may not, or you are its maker."),
                404: OpenApiResponse(description="Not found (or another town's batch)."),
            },
            description=doc,
        )
        def post(self, request, pk):
            batch = selectors.batch_get(user=request.user, pk=pk)
            serializer = input_serializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            service(actor=request.user, batch=batch, **serializer.validated_data)
            return batch_response(request.user, pk)

    BatchActionApi.__name__ = BatchActionApi.__qualname__ = (
        "".join(part.title() for part in operation_id.split("_")) + "Api"
    )
    return BatchActionApi


BATCH_ACTIONS = [
    (
        "submit",
        batch_action(
            "payment_batches_submit",
            batches.batch_submit,
            "Submit a draft batch for approval (a supervisor of the town; the maker).",
        ),
    ),
    (
        "approve",
        batch_action(
            "payment_batches_approve",
            batches.batch_approve,
            "Approve a submitted batch (a supervisor of the town who is not its maker).",
        ),
    ),
    (
        "reject",
        batch_action(
            "payment_batches_reject",
            batches.batch_reject,
            "Send a submitted batch back to draft with reasons.",
            PaymentBatchRejectSerializer,
        ),
    ),
    (
        "send",
        batch_action(
            "payment_batches_send",
            batches.batch_send,
            "Mark an approved batch sent to the bank (finance); stops the disbursement clocks "
            "of the temporary assistance it pays.",
        ),
    ),
]


# Runs


# Payee accounts
