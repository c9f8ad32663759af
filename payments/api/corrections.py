"""Reassessments, recoveries and back-pay (payments.corrections) under /api/v1/:

- GET /reassessments/ and /reassessments/{id}/ (with its months); POST /reassessments/
  reassesses a grant from a month by hand (201 with the reassessment, or 200 with
  `reassessed` false when there is nothing to correct);
- GET and POST /recoveries/ (POST: a manual order), GET /recoveries/{id}/, POST
  /recoveries/{id}/confirm/, /reject/, /refund/ (finance), /fine/ (fraud only);
- GET and POST /backpays/, GET /backpays/{id}/, POST /backpays/{id}/confirm/ and /reject/.

Another town's order or grant is a 404; the wrong role, or deciding one's own order,
a 403; the wrong state or bad input a 400 naming the field.
"""

from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from cases import selectors
from cases.models import Grant
from relief.api import (
    InputSerializer,
    OptionalBooleanField,
    ReasonField,
    ScopedPrimaryKeyRelatedField,
    id_filter,
    money_field,
    named_choice_field,
    username,
)
from relief.dates import month_key

from .. import corrections, fines, ledger
from ..models import BackPay, Recovery
from .base import PaymentsApi

NOTHING_TO_CORRECT = _(
    "Nothing to correct: no month from %(month)s on has been paid, or every paid month "
    "matches what was due and what is already corrected."
)

OrderStateField = named_choice_field(Recovery.State, "CorrectionStateEnum")
MethodField = named_choice_field(Recovery.Method, "RecoveryMethodEnum")


def months_field(**kwargs) -> serializers.DictField:
    return serializers.DictField(
        child=serializers.CharField(),
        help_text='Amounts by month: {"YYYY-MM": "amount", ...}.',
        **kwargs,
    )


# Output


class ReassessmentMonthSerializer(serializers.Serializer):
    month = serializers.DateField()
    due = money_field()
    paid = money_field()
    corrected = money_field(help_text="Back-pay minus recoveries already ordered for the month.")
    difference = money_field(help_text="Due − paid − corrected.")


class ReassessmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    grant = serializers.IntegerField(source="grant_id")
    household = serializers.IntegerField(source="grant.household_id")
    town = serializers.CharField(source="grant.town.code")
    schedule_entry = serializers.IntegerField(
        source="schedule_entry_id",
        allow_null=True,
        help_text="The confirmed schedule entry that reached back; empty when done by hand.",
    )
    from_month = serializers.DateField()
    to_month = serializers.DateField(help_text="The last month with a paid line.")
    overpaid = money_field()
    underpaid = money_field()
    recovery = serializers.IntegerField(
        source="recovery_order", allow_null=True, help_text="The recovery it created."
    )
    backpay = serializers.IntegerField(
        source="backpay_order", allow_null=True, help_text="The back-pay it created."
    )
    created_at = serializers.DateTimeField()
    created_by = username("created_by")


class ReassessmentDetailSerializer(ReassessmentSerializer):
    months = ReassessmentMonthSerializer(many=True)


class RepaymentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    amount = money_field()
    received_on = serializers.DateField()
    line = serializers.IntegerField(
        source="line_id", allow_null=True, help_text="The deduction line that repaid it."
    )
    note = serializers.CharField()
    recorded_by = username("recorded_by")
    recorded_at = serializers.DateTimeField()


class FineDecisionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    amount = money_field()
    decided_on = serializers.DateField()
    reference = serializers.CharField()
    note = serializers.CharField()
    recorded_by = serializers.CharField(source="recorded_by.username")
    recorded_at = serializers.DateTimeField()


class OrderSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    grant = serializers.IntegerField(source="grant_id")
    household = serializers.IntegerField(source="grant.household_id")
    town = serializers.CharField(source="grant.town.code")
    reassessment = serializers.IntegerField(source="reassessment_id", allow_null=True)
    months = months_field()
    amount = money_field()
    reason = serializers.CharField()
    state = OrderStateField()
    created_at = serializers.DateTimeField()
    created_by = username("created_by")
    confirmed_by = username("confirmed_by")
    confirmed_at = serializers.DateTimeField(allow_null=True)
    decision_note = serializers.CharField()


class RecoverySerializer(OrderSerializer):
    fraud = serializers.BooleanField()
    method = MethodField()
    balance = money_field(help_text="What is still owed.")
    repayments = RepaymentSerializer(many=True)
    fines = FineDecisionSerializer(many=True)


class BackPaySerializer(OrderSerializer):
    line = serializers.IntegerField(
        source="line_id", allow_null=True, help_text="The back-pay line that pays it."
    )


class ReassessResultSerializer(serializers.Serializer):
    reassessed = serializers.BooleanField()
    reassessment = ReassessmentDetailSerializer(allow_null=True)
    detail = serializers.CharField()


# Reads

ORDER_RELATED = ("grant__town", "created_by", "confirmed_by")


def reassessments(user):
    def order_of(model):
        return Subquery(model.objects.filter(reassessment=OuterRef("pk")).values("pk")[:1])

    return (
        ledger.reassessments_in_scope(user)
        .select_related("grant__town", "created_by")
        .annotate(recovery_order=order_of(Recovery), backpay_order=order_of(BackPay))
    )


def recoveries(user):
    return (
        ledger.recoveries_in_scope(user)
        .select_related(*ORDER_RELATED)
        .prefetch_related("repayments__recorded_by", "fines__recorded_by")
    )


def backpays(user):
    return ledger.backpays_in_scope(user).select_related(*ORDER_RELATED)


def reassessment_data(user, pk) -> dict:
    reassessment = selectors.get_in_scope(reassessments(user).prefetch_related("months"), pk=pk)
    return ReassessmentDetailSerializer(reassessment).data


def recovery_response(user, pk, status_code=status.HTTP_200_OK) -> Response:
    recovery = selectors.get_in_scope(recoveries(user), pk=pk)
    return Response(RecoverySerializer(recovery).data, status=status_code)


def backpay_response(user, pk, status_code=status.HTTP_200_OK) -> Response:
    backpay = selectors.get_in_scope(backpays(user), pk=pk)
    return Response(BackPaySerializer(backpay).data, status=status_code)


def apply_filters(rows, filters: dict, names: dict):
    for name, lookup in names.items():
        if name in filters:
            rows = rows.filter(**{lookup: filters[name]})
    return rows


# Reassessments


class ReassessSerializer(InputSerializer):
    grant = ScopedPrimaryKeyRelatedField(scope=selectors.grants_in_scope, model=Grant)
    from_month = serializers.DateField(help_text="The first day of the first month to reassess.")


class ReassessmentListApi(PaymentsApi):
    """Reassessments of the user's towns, newest first. POST reassesses a grant from a month
    (case workers and supervisors of the town): due − paid − corrected per paid month, a
    proposed recovery and back-pay for the differences."""

    class FilterSerializer(serializers.Serializer):
        grant = id_filter()
        household = id_filter()

    @extend_schema(
        operation_id="reassessments_list",
        parameters=[FilterSerializer],
        responses=ReassessmentSerializer(many=True),
    )
    def get(self, request):
        filters = self.filters(self.FilterSerializer)
        rows = apply_filters(
            reassessments(request.user),
            filters,
            {"grant": "grant_id", "household": "grant__household_id"},
        )
        return self.paginated(rows.order_by("-id"), ReassessmentSerializer)

    @extend_schema(
        operation_id="reassessments_create",
        request=ReassessSerializer,
        responses={201: ReassessResultSerializer, 200: ReassessResultSerializer},
    )
    def post(self, request):
        data = self.validated(ReassessSerializer)
        reassessment = corrections.reassess(actor=request.user, **data)
        if reassessment is None:
            result = {
                "reassessed": False,
                "reassessment": None,
                "detail": str(NOTHING_TO_CORRECT % {"month": month_key(data["from_month"])}),
            }
            return Response(ReassessResultSerializer(result).data)
        result = {
            "reassessed": True,
            "reassessment": reassessment_data(request.user, reassessment.pk),
            "detail": "",
        }
        return Response(result, status=status.HTTP_201_CREATED)


class ReassessmentDetailApi(PaymentsApi):
    """One reassessment with its months and the orders it created."""

    @extend_schema(operation_id="reassessments_retrieve", responses=ReassessmentDetailSerializer)
    def get(self, request, pk):
        return Response(reassessment_data(request.user, pk))


# Orders: lists, manual proposals, details


class OrderFilterSerializer(serializers.Serializer):
    state = OrderStateField(required=False)
    grant = id_filter()
    household = id_filter()
    awaiting_me = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Only the proposed orders you may confirm (not your own; supervisors).",
    )


ORDER_FILTERS = {"state": "state", "grant": "grant_id", "household": "grant__household_id"}


def order_rows(request, rows, filters: dict):
    if filters.get("awaiting_me"):
        rows = ledger.orders_awaiting(user=request.user, orders=rows)
    return apply_filters(rows, filters, ORDER_FILTERS).order_by("-id")


class BackPayCreateSerializer(InputSerializer):
    grant = ScopedPrimaryKeyRelatedField(scope=selectors.grants_in_scope, model=Grant)
    months = serializers.DictField(
        child=money_field(),
        help_text='The months and their amounts: {"YYYY-MM": "amount", ...}.',
    )
    reason = ReasonField(help_text="Why the correction is needed (e.g. an audit finding).")


class RecoveryCreateSerializer(BackPayCreateSerializer):
    fraud = serializers.BooleanField(required=False, default=False)


class RecoveryListApi(PaymentsApi):
    """Recoveries (追回) of the user's towns, newest first. POST proposes one found outside a
    reassessment (case workers and supervisors of the town); a second person confirms it."""

    class FilterSerializer(OrderFilterSerializer):
        fraud = serializers.BooleanField(required=False, allow_null=True, default=None)
        method = MethodField(required=False)

    @extend_schema(
        operation_id="recoveries_list",
        parameters=[FilterSerializer],
        responses=RecoverySerializer(many=True),
    )
    def get(self, request):
        filters = self.filters(self.FilterSerializer)
        rows = order_rows(request, recoveries(request.user), filters)
        rows = apply_filters(rows, filters, {"fraud": "fraud", "method": "method"})
        return self.paginated(rows, RecoverySerializer)

    @extend_schema(
        operation_id="recoveries_create",
        request=RecoveryCreateSerializer,
        responses={201: RecoverySerializer},
    )
    def post(self, request):
        data = self.validated(RecoveryCreateSerializer)
        recovery = corrections.recovery_create(actor=request.user, **data)
        return recovery_response(request.user, recovery.pk, status.HTTP_201_CREATED)


class RecoveryDetailApi(PaymentsApi):
    """One recovery with its repayments and fine decisions."""

    @extend_schema(operation_id="recoveries_retrieve", responses=RecoverySerializer)
    def get(self, request, pk):
        return recovery_response(request.user, pk)


class BackPayListApi(PaymentsApi):
    """Back-pay (补发) of the user's towns, newest first. POST proposes one found outside a
    reassessment; a second person confirms it and the next payment run pays it."""

    class FilterSerializer(OrderFilterSerializer):
        pass

    @extend_schema(
        operation_id="backpays_list",
        parameters=[FilterSerializer],
        responses=BackPaySerializer(many=True),
    )
    def get(self, request):
        filters = self.filters(self.FilterSerializer)
        return self.paginated(
            order_rows(request, backpays(request.user), filters), BackPaySerializer
        )

    @extend_schema(
        operation_id="backpays_create",
        request=BackPayCreateSerializer,
        responses={201: BackPaySerializer},
    )
    def post(self, request):
        data = self.validated(BackPayCreateSerializer)
        backpay = corrections.backpay_create(actor=request.user, **data)
        return backpay_response(request.user, backpay.pk, status.HTTP_201_CREATED)


class BackPayDetailApi(PaymentsApi):
    """One back-pay order."""

    @extend_schema(operation_id="backpays_retrieve", responses=BackPaySerializer)
    def get(self, request, pk):
        return backpay_response(request.user, pk)


# Decisions


class RecoveryConfirmSerializer(InputSerializer):
    method = MethodField(
        required=False,
        default=Recovery.Method.REFUND,
        help_text="refund, or deduction where the payment rule in force allows it.",
    )
    fraud = OptionalBooleanField(
        required=False, help_text="Whether fraud was involved; left out: as proposed."
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class BackPayConfirmSerializer(InputSerializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class CorrectionRejectionSerializer(InputSerializer):
    reason = ReasonField(help_text="Why the order is rejected.")


class RefundSerializer(InputSerializer):
    amount = money_field(help_text="Yuan received; never more than the balance.")
    received_on = serializers.DateField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


class FineSerializer(InputSerializer):
    amount = money_field(help_text="The fine decided (recorded, never computed or deducted).")
    decided_on = serializers.DateField()
    reference = serializers.CharField(max_length=100, help_text="The decision's reference.")
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class RecoveryConfirmApi(PaymentsApi):
    """Confirm a proposed recovery and how it is repaid (a town supervisor of the town or the
    city supervisor, not its creator)."""

    @extend_schema(
        operation_id="recoveries_confirm",
        request=RecoveryConfirmSerializer,
        responses=RecoverySerializer,
    )
    def post(self, request, pk):
        data = self.validated(RecoveryConfirmSerializer)
        recovery = selectors.get_in_scope(ledger.recoveries_in_scope(request.user), pk=pk)
        corrections.recovery_confirm(actor=request.user, recovery=recovery, **data)
        return recovery_response(request.user, pk)


class RecoveryRejectApi(PaymentsApi):
    """Reject a proposed recovery with reasons (a second person, as for confirming)."""

    @extend_schema(
        operation_id="recoveries_reject",
        request=CorrectionRejectionSerializer,
        responses=RecoverySerializer,
    )
    def post(self, request, pk):
        data = self.validated(CorrectionRejectionSerializer)
        recovery = selectors.get_in_scope(ledger.recoveries_in_scope(request.user), pk=pk)
        corrections.recovery_reject(actor=request.user, recovery=recovery, **data)
        return recovery_response(request.user, pk)


class RecoveryRefundApi(PaymentsApi):
    """Record a refund the household paid (finance): it lowers the balance, never below 0."""

    @extend_schema(
        operation_id="recoveries_refund",
        request=RefundSerializer,
        responses={201: RecoverySerializer},
    )
    def post(self, request, pk):
        data = self.validated(RefundSerializer)
        recovery = selectors.get_in_scope(ledger.recoveries_in_scope(request.user), pk=pk)
        corrections.recovery_refund_record(actor=request.user, recovery=recovery, **data)
        return recovery_response(request.user, pk, status.HTTP_201_CREATED)


class RecoveryFineApi(PaymentsApi):
    """Record a fine decided in the penalty procedure for fraud (supervisors; fraud recoveries
    only). It never changes the balance."""

    @extend_schema(
        operation_id="recoveries_fine", request=FineSerializer, responses={201: RecoverySerializer}
    )
    def post(self, request, pk):
        data = self.validated(FineSerializer)
        recovery = selectors.get_in_scope(ledger.recoveries_in_scope(request.user), pk=pk)
        fines.fine_decision_record(actor=request.user, recovery=recovery, **data)
        return recovery_response(request.user, pk, status.HTTP_201_CREATED)


class BackPayConfirmApi(PaymentsApi):
    """Confirm a proposed back-pay: the next payment run pays it (a second person)."""

    @extend_schema(
        operation_id="backpays_confirm",
        request=BackPayConfirmSerializer,
        responses=BackPaySerializer,
    )
    def post(self, request, pk):
        data = self.validated(BackPayConfirmSerializer)
        backpay = selectors.get_in_scope(ledger.backpays_in_scope(request.user), pk=pk)
        corrections.backpay_confirm(actor=request.user, backpay=backpay, **data)
        return backpay_response(request.user, pk)


class BackPayRejectApi(PaymentsApi):
    """Reject a proposed back-pay with reasons (a second person)."""

    @extend_schema(
        operation_id="backpays_reject",
        request=CorrectionRejectionSerializer,
        responses=BackPaySerializer,
    )
    def post(self, request, pk):
        data = self.validated(CorrectionRejectionSerializer)
        backpay = selectors.get_in_scope(ledger.backpays_in_scope(request.user), pk=pk)
        corrections.backpay_reject(actor=request.user, backpay=backpay, **data)
        return backpay_response(request.user, pk)


# The ledger
