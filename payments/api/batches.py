"""Payment batches, their lines, payment runs and payee accounts under /api/v1/:

- GET /api/v1/payment-batches/ (filters period, town, state, kind) and /{id}/ with totals;
  GET /api/v1/payment-batches/{id}/lines/ (paginated; account numbers masked);
  POST /api/v1/payment-batches/{id}/submit/, /approve/, /reject/, /send/;
- GET /api/v1/payment-runs/ (with progress), /{id}/; POST starts a run for a period (the city
  supervisor, or a town supervisor for one of their towns): 202 with the run, carried out by
  one task per town (payments.payment_run_town) whose progress the run shows;
- GET and POST /api/v1/payee-accounts/ (list; propose), GET /{id}/, POST /{id}/confirm/ and
  /{id}/reject/.

Scoped like every case read (payments.selectors): another town's batch, line, run or account is
a 404; the wrong role, or approving one's own batch or account, a 403; the wrong state a 400.
"""

from django.db.models import Count, Sum
from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response

from cases import selectors as case_selectors
from cases.api.base import WorkflowApi
from cases.models import Grant, Person, Town
from relief.api import (
    InputSerializer,
    MonthField,
    ReasonField,
    ScopedPrimaryKeyRelatedField,
    StrictCharField,
    id_filter,
    money_field,
    named_choice_field,
    username,
)
from relief.money import ZERO, to_fen

from .. import accounts, batches, runs, selectors, tasks
from ..models import Batch, PayeeAccount, PaymentLine, PaymentRun

BatchKindField = named_choice_field(Batch.Kind, "PaymentBatchKindEnum")
BatchStateField = named_choice_field(Batch.State, "PaymentBatchStateEnum")
LineKindField = named_choice_field(PaymentLine.Kind, "PaymentLineKindEnum")
LineStatusField = named_choice_field(PaymentLine.Status, "PaymentLineStatusEnum")
RunKindField = named_choice_field(PaymentRun.Kind, "PaymentRunKindEnum")
RunStateField = named_choice_field(PaymentRun.State, "PaymentRunStateEnum")
AccountStateField = named_choice_field(PayeeAccount.State, "PayeeAccountStateEnum")


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


BATCH_RELATED = ("town", "submitted_by", "approved_by", "sent_by")


def batch_response(user, pk) -> Response:
    batch = case_selectors.get_in_scope(
        selectors.batches_in_scope(user).select_related(*BATCH_RELATED), pk=pk
    )
    return Response(PaymentBatchDetailSerializer(batch).data)


class BatchListApi(WorkflowApi):
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
        rows = selectors.batches_in_scope(request.user).select_related(*BATCH_RELATED)
        for name, lookup in (
            ("period", "period"),
            ("town", "town__code"),
            ("state", "state"),
            ("kind", "kind"),
        ):
            if name in filters:
                rows = rows.filter(**{lookup: filters[name]})
        return self.paginated(rows, PaymentBatchSerializer)


class BatchDetailApi(WorkflowApi):
    """One batch with its totals per line kind and status."""

    @extend_schema(operation_id="payment_batches_retrieve", responses=PaymentBatchDetailSerializer)
    def get(self, request, pk):
        return batch_response(request.user, pk)


class BatchLinesApi(WorkflowApi):
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


class PaymentActionSerializer(InputSerializer):
    pass


class PaymentBatchRejectSerializer(InputSerializer):
    reason = ReasonField(help_text="Why the batch goes back to draft.")


def batch_action(operation_id: str, service, doc: str, input_serializer=PaymentActionSerializer):
    """A POST /api/v1/payment-batches/{id}/<action>/ endpoint: the scoped batch, one service
    call, the batch as it is now."""

    class BatchActionApi(WorkflowApi):
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


class PaymentRunSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = RunKindField()
    period = serializers.DateField()
    town = serializers.CharField(source="town.code", allow_null=True)
    started_by = username("started_by")
    started_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    state = RunStateField()
    towns_total = serializers.IntegerField()
    towns_done = serializers.IntegerField()
    new_lines = serializers.IntegerField()
    message = serializers.CharField()


class PaymentRunStartSerializer(InputSerializer):
    period = MonthField(help_text="The month to pay, YYYY-MM.")
    town = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Town.objects.all(),
        required=False,
        allow_null=True,
        help_text="A town's 9-digit code; empty: every town (the city supervisor).",
    )
    kind = RunKindField(required=False, default=PaymentRun.Kind.MONTHLY)


def runs_for_output(user):
    return selectors.runs_in_scope(user).select_related("town", "started_by")


class RunListApi(WorkflowApi):
    """GET: the payment runs, newest first, with their progress (towns_done of towns_total).
    POST: start a run for a period (the city supervisor, or a town supervisor for one of their
    towns); it is carried out in the background, so the answer (202) is the run as it starts:
    poll it for progress."""

    class FilterSerializer(serializers.Serializer):
        period = MonthField(required=False, help_text="YYYY-MM.")
        state = RunStateField(required=False)
        kind = RunKindField(required=False)

    @extend_schema(
        operation_id="payment_runs_list",
        parameters=[FilterSerializer],
        responses=PaymentRunSerializer(many=True),
    )
    def get(self, request):
        filters = self.filters(self.FilterSerializer)
        rows = runs_for_output(request.user)
        for name in ("period", "state", "kind"):
            if name in filters:
                rows = rows.filter(**{name: filters[name]})
        return self.paginated(rows, PaymentRunSerializer)

    @extend_schema(
        operation_id="payment_runs_create",
        request=PaymentRunStartSerializer,
        responses={
            202: PaymentRunSerializer,
            403: OpenApiResponse(description="Your role may not start a payment run."),
            404: OpenApiResponse(description="Another town's run."),
        },
    )
    def post(self, request):
        serializer = PaymentRunStartSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        run = runs.payment_run_start(
            actor=request.user,
            period=data["period"],
            town=data.get("town"),
            kind=data.get("kind") or PaymentRun.Kind.MONTHLY,
        )
        tasks.payment_run_fan_out(run, user_id=request.user.pk)
        run = runs_for_output(request.user).get(pk=run.pk)
        return Response(PaymentRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class RunDetailApi(WorkflowApi):
    """One payment run with its progress and, when finished, what it did."""

    @extend_schema(operation_id="payment_runs_retrieve", responses=PaymentRunSerializer)
    def get(self, request, pk):
        run = case_selectors.get_in_scope(runs_for_output(request.user), pk=pk)
        return Response(PaymentRunSerializer(run).data)


# Payee accounts


class PayeeAccountSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    grant = serializers.IntegerField(source="grant_id")
    payee = serializers.IntegerField(source="payee_id")
    bank_name = serializers.CharField()
    account_holder = serializers.CharField()
    account_number = serializers.CharField(
        source="masked_number", help_text="Masked: the last four digits."
    )
    state = AccountStateField()
    reason = serializers.CharField()
    proposed_by = serializers.CharField(source="proposed_by.username")
    proposed_at = serializers.DateTimeField()
    confirmed_by = username("confirmed_by")
    confirmed_at = serializers.DateTimeField(allow_null=True)


class PayeeAccountProposeSerializer(InputSerializer):
    grant = ScopedPrimaryKeyRelatedField(scope=case_selectors.grants_in_scope, model=Grant)
    payee = ScopedPrimaryKeyRelatedField(
        scope=case_selectors.persons_in_scope,
        model=Person,
        help_text="A current member of the grant's household.",
    )
    bank_name = StrictCharField(max_length=100)
    account_holder = StrictCharField(max_length=50)
    account_number = StrictCharField(max_length=30, help_text="8 to 30 digits, no spaces.")
    reason = ReasonField(help_text="Why this account (a first account, a changed account).")


def accounts_for_output(user):
    return selectors.accounts_in_scope(user).select_related("proposed_by", "confirmed_by")


def account_response(user, pk, status_code=status.HTTP_200_OK) -> Response:
    account = case_selectors.get_in_scope(accounts_for_output(user), pk=pk)
    return Response(PayeeAccountSerializer(account).data, status=status_code)


class AccountListApi(WorkflowApi):
    """GET: the payee accounts of the user's towns. POST: propose a grant's account (case
    workers and supervisors of the town); it pays nothing until a supervisor other than the
    proposer confirms it."""

    class FilterSerializer(serializers.Serializer):
        grant = id_filter()
        state = AccountStateField(required=False)

    @extend_schema(
        operation_id="payee_accounts_list",
        parameters=[FilterSerializer],
        responses=PayeeAccountSerializer(many=True),
    )
    def get(self, request):
        filters = self.filters(self.FilterSerializer)
        rows = accounts_for_output(request.user)
        if "grant" in filters:
            rows = rows.filter(grant_id=filters["grant"])
        if "state" in filters:
            rows = rows.filter(state=filters["state"])
        return self.paginated(rows, PayeeAccountSerializer)

    @extend_schema(
        operation_id="payee_accounts_create",
        request=PayeeAccountProposeSerializer,
        responses={201: PayeeAccountSerializer},
    )
    def post(self, request):
        serializer = PayeeAccountProposeSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        account = accounts.payee_account_propose(actor=request.user, **serializer.validated_data)
        return account_response(request.user, account.pk, status.HTTP_201_CREATED)


class AccountDetailApi(WorkflowApi):
    """One payee account (the number masked)."""

    @extend_schema(operation_id="payee_accounts_retrieve", responses=PayeeAccountSerializer)
    def get(self, request, pk):
        return account_response(request.user, pk)


class AccountConfirmApi(WorkflowApi):
    """Confirm a proposed account (a supervisor of the town who did not propose it); the
    account it replaces is superseded."""

    @extend_schema(
        operation_id="payee_accounts_confirm",
        request=PaymentActionSerializer,
        responses=PayeeAccountSerializer,
    )
    def post(self, request, pk):
        PaymentActionSerializer(data=request.data).is_valid(raise_exception=True)
        account = selectors.account_get(user=request.user, pk=pk)
        accounts.payee_account_confirm(actor=request.user, account=account)
        return account_response(request.user, pk)


class AccountRejectApi(WorkflowApi):
    """Reject a proposed account with reasons (a supervisor who did not propose it)."""

    class PayeeAccountRejectSerializer(InputSerializer):
        reason = ReasonField(help_text="Why the account is rejected.")

    @extend_schema(
        operation_id="payee_accounts_reject",
        request=PayeeAccountRejectSerializer,
        responses=PayeeAccountSerializer,
    )
    def post(self, request, pk):
        serializer = self.PayeeAccountRejectSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        account = selectors.account_get(user=request.user, pk=pk)
        accounts.payee_account_reject(
            actor=request.user, account=account, **serializer.validated_data
        )
        return account_response(request.user, pk)


urlpatterns = [
    path("payment-batches/", BatchListApi.as_view(), name="api-payment-batch-list"),
    path("payment-batches/<int:pk>/", BatchDetailApi.as_view(), name="api-payment-batch-detail"),
    path(
        "payment-batches/<int:pk>/lines/",
        BatchLinesApi.as_view(),
        name="api-payment-batch-lines",
    ),
    *[
        path(f"payment-batches/<int:pk>/{name}/", view.as_view(), name=f"api-payment-batch-{name}")
        for name, view in BATCH_ACTIONS
    ],
    path("payment-runs/", RunListApi.as_view(), name="api-payment-run-list"),
    path("payment-runs/<int:pk>/", RunDetailApi.as_view(), name="api-payment-run-detail"),
    path("payee-accounts/", AccountListApi.as_view(), name="api-payee-account-list"),
    path("payee-accounts/<int:pk>/", AccountDetailApi.as_view(), name="api-payee-account-detail"),
    path(
        "payee-accounts/<int:pk>/confirm/",
        AccountConfirmApi.as_view(),
        name="api-payee-account-confirm",
    ),
    path(
        "payee-accounts/<int:pk>/reject/",
        AccountRejectApi.as_view(),
        name="api-payee-account-reject",
    ),
]
