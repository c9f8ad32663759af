"""Reassessments, recoveries, back-pay and the entitlement ledger (payments.corrections,
payments.ledger) under /api/v1/:

- GET /reassessments/ and /reassessments/{id}/ (with its months); POST /reassessments/
  reassesses a grant from a month by hand (201 with the reassessment, or 200 with
  `reassessed` false when there is nothing to correct);
- GET and POST /recoveries/ (POST: a manual order), GET /recoveries/{id}/, POST
  /recoveries/{id}/confirm/, /reject/, /refund/ (finance), /fine/ (fraud only);
- GET and POST /backpays/, GET /backpays/{id}/, POST /backpays/{id}/confirm/ and /reject/;
- GET /ledger/grants/{id}/, /ledger/households/{id}/ and /ledger/totals/ (?from=YYYY-MM&to=YYYY-MM).

Another town's order, grant or household is a 404; the wrong role, or deciding one's own order,
a 403; the wrong state or bad input a 400 naming the field.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Subquery
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from cases import selectors
from cases.api.base import WorkflowApi
from cases.models import Grant
from relief.api import (
    InputSerializer,
    MonthField,
    OptionalBooleanField,
    ReasonField,
    ScopedPrimaryKeyRelatedField,
    id_filter,
    money_field,
    named_choice_field,
    username,
)
from relief.dates import add_months, first_of_month, month_key
from relief.money import ZERO

from .. import corrections, ledger
from ..models import BackPay, Recovery

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


class ReassessmentListApi(WorkflowApi):
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


class ReassessmentDetailApi(WorkflowApi):
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
        child=serializers.DecimalField(max_digits=14, decimal_places=2),
        help_text='The months and their amounts: {"YYYY-MM": "amount", ...}.',
    )
    reason = ReasonField(help_text="Why the correction is needed (e.g. an audit finding).")


class RecoveryCreateSerializer(BackPayCreateSerializer):
    fraud = serializers.BooleanField(required=False, default=False)


class RecoveryListApi(WorkflowApi):
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


class RecoveryDetailApi(WorkflowApi):
    """One recovery with its repayments and fine decisions."""

    @extend_schema(operation_id="recoveries_retrieve", responses=RecoverySerializer)
    def get(self, request, pk):
        return recovery_response(request.user, pk)


class BackPayListApi(WorkflowApi):
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


class BackPayDetailApi(WorkflowApi):
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


class RecoveryConfirmApi(WorkflowApi):
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


class RecoveryRejectApi(WorkflowApi):
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


class RecoveryRefundApi(WorkflowApi):
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


class RecoveryFineApi(WorkflowApi):
    """Record a fine decided in the penalty procedure for fraud (supervisors; fraud recoveries
    only). It never changes the balance."""

    @extend_schema(
        operation_id="recoveries_fine", request=FineSerializer, responses={201: RecoverySerializer}
    )
    def post(self, request, pk):
        data = self.validated(FineSerializer)
        recovery = selectors.get_in_scope(ledger.recoveries_in_scope(request.user), pk=pk)
        corrections.fine_decision_record(actor=request.user, recovery=recovery, **data)
        return recovery_response(request.user, pk, status.HTTP_201_CREATED)


class BackPayConfirmApi(WorkflowApi):
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


class BackPayRejectApi(WorkflowApi):
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


# "from" is a Python keyword, so the query parameters' serializer is built with type().
LedgerRangeSerializer = type(serializers.Serializer)(
    "LedgerRangeSerializer",
    (serializers.Serializer,),
    {
        "from": MonthField(required=False, help_text="The first month, YYYY-MM."),
        "to": MonthField(required=False, help_text="The last month, YYYY-MM."),
    },
)


class LedgerRowSerializer(serializers.Serializer):
    grant = serializers.IntegerField(source="grant_id")
    month = serializers.DateField()
    due = money_field(help_text="The confirmed schedule's amount for the month.")
    paid = money_field(help_text="Paid lines (monthly payments and instalments) only.")
    on_the_way = money_field(
        help_text="Lines at the bank, or failed and waiting for their reissue: not owed again."
    )
    corrected = money_field(help_text="Back-pay minus recoveries ordered for the month.")
    difference = money_field(help_text="Due − paid − on the way − corrected.")


class LedgerTotalsMixin(serializers.Serializer):
    from_month = serializers.DateField()
    to_month = serializers.DateField()
    due = money_field()
    paid = money_field()
    corrected = money_field()
    difference = money_field()


class GrantLedgerSerializer(LedgerTotalsMixin):
    grant = serializers.IntegerField()
    rows = LedgerRowSerializer(many=True)


class HouseholdLedgerSerializer(LedgerTotalsMixin):
    household = serializers.IntegerField()
    rows = LedgerRowSerializer(many=True)


class TownMonthSerializer(serializers.Serializer):
    town = serializers.CharField(source="town_code")
    town_name = serializers.CharField()
    month = serializers.DateField()
    due = money_field()
    paid = money_field()
    corrected = money_field()
    difference = money_field()


class CityTotalsSerializer(LedgerTotalsMixin):
    rows = TownMonthSerializer(many=True)


def this_month() -> datetime.date:
    return first_of_month(timezone.localdate())


def ledger_body(rows, from_month, to_month, **identity) -> dict:
    def total(name):
        return sum((getattr(row, name) for row in rows), ZERO)

    return {
        **identity,
        "from_month": from_month,
        "to_month": to_month,
        "due": total("due"),
        "paid": total("paid"),
        "corrected": total("corrected"),
        "difference": total("difference"),
        "rows": rows,
    }


class LedgerApi(WorkflowApi):
    # Base: the month range from ?from= and ?to=, with the endpoint's defaults.
    def month_range(self, default_from, default_to) -> tuple[datetime.date, datetime.date]:
        filters = self.filters(LedgerRangeSerializer)
        from_month = filters.get("from", default_from)
        to_month = filters.get("to", max(default_to, from_month))
        return from_month, to_month

    def read(self, reader, from_month, to_month, **kwargs):
        """Call a ledger read; its range errors name the query parameters."""
        try:
            return reader(from_month=from_month, to_month=to_month, **kwargs)
        except ValidationError as exc:
            names = {"from_month": "from", "to_month": "to"}
            raise ValidationError(
                {names.get(field, field): messages for field, messages in exc.message_dict.items()}
            ) from None


class GrantLedgerApi(LedgerApi):
    """A grant's ledger month by month: due, paid, corrected, difference. By default from the
    grant's first month to this month (or its last month)."""

    @extend_schema(
        operation_id="ledger_grant",
        parameters=[LedgerRangeSerializer],
        responses=GrantLedgerSerializer,
    )
    def get(self, request, pk):
        grant = selectors.get_in_scope(selectors.grants_in_scope(request.user), pk=pk)
        end = min(this_month(), grant.ends_month or this_month())
        from_month, to_month = self.month_range(grant.starts_month, end)
        rows = self.read(ledger.grant_ledger, from_month, to_month, grant=grant)
        body = ledger_body(rows, from_month, to_month, grant=grant.pk)
        return Response(GrantLedgerSerializer(body).data)


class HouseholdLedgerApi(LedgerApi):
    """The ledger of every grant of a household. By default from its first grant's first month
    to this month."""

    @extend_schema(
        operation_id="ledger_household",
        parameters=[LedgerRangeSerializer],
        responses=HouseholdLedgerSerializer,
    )
    def get(self, request, pk):
        household = selectors.get_in_scope(selectors.households_in_scope(request.user), pk=pk)
        first = (
            Grant.objects.filter(household=household)
            .order_by("starts_month")
            .values_list("starts_month", flat=True)
            .first()
        )
        from_month, to_month = self.month_range(first or this_month(), this_month())
        rows = self.read(ledger.household_ledger, from_month, to_month, household=household)
        body = ledger_body(rows, from_month, to_month, household=household.pk)
        return Response(HouseholdLedgerSerializer(body).data)


class CityTotalsApi(LedgerApi):
    """Due, paid, corrected and difference by town and month, for the user's towns (the whole
    city for city-wide roles). By default the last three months (the due side costs one
    aggregate query per month over every grant paying in it: see payments.ledger.city_totals)."""

    @extend_schema(
        operation_id="ledger_totals",
        parameters=[LedgerRangeSerializer],
        responses=CityTotalsSerializer,
    )
    def get(self, request):
        from_month, to_month = self.month_range(add_months(this_month(), -2), this_month())
        rows = self.read(ledger.city_totals, from_month, to_month, user=request.user)
        return Response(CityTotalsSerializer(ledger_body(rows, from_month, to_month)).data)


urlpatterns = [
    path("reassessments/", ReassessmentListApi.as_view(), name="api-reassessment-list"),
    path(
        "reassessments/<int:pk>/",
        ReassessmentDetailApi.as_view(),
        name="api-reassessment-detail",
    ),
    path("recoveries/", RecoveryListApi.as_view(), name="api-recovery-list"),
    path("recoveries/<int:pk>/", RecoveryDetailApi.as_view(), name="api-recovery-detail"),
    path("recoveries/<int:pk>/confirm/", RecoveryConfirmApi.as_view(), name="api-recovery-confirm"),
    path("recoveries/<int:pk>/reject/", RecoveryRejectApi.as_view(), name="api-recovery-reject"),
    path("recoveries/<int:pk>/refund/", RecoveryRefundApi.as_view(), name="api-recovery-refund"),
    path("recoveries/<int:pk>/fine/", RecoveryFineApi.as_view(), name="api-recovery-fine"),
    path("backpays/", BackPayListApi.as_view(), name="api-backpay-list"),
    path("backpays/<int:pk>/", BackPayDetailApi.as_view(), name="api-backpay-detail"),
    path("backpays/<int:pk>/confirm/", BackPayConfirmApi.as_view(), name="api-backpay-confirm"),
    path("backpays/<int:pk>/reject/", BackPayRejectApi.as_view(), name="api-backpay-reject"),
    path("ledger/grants/<int:pk>/", GrantLedgerApi.as_view(), name="api-ledger-grant"),
    path("ledger/households/<int:pk>/", HouseholdLedgerApi.as_view(), name="api-ledger-household"),
    path("ledger/totals/", CityTotalsApi.as_view(), name="api-ledger-totals"),
]
