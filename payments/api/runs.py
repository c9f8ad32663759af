"""Payment runs under /api/v1/payment-runs/: GET the runs with their progress, GET one; POST
starts a run for a period (the city supervisor, or a town supervisor for one of their towns):
202 with the run, carried out by one task per town (payments.payment_run_town)."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from cases import selectors as case_selectors
from cases.models import Town
from relief.api import (
    InputSerializer,
    MonthField,
    username,
)

from .. import runs, selectors, tasks
from ..models import PaymentRun
from .base import PaymentsApi, RunKindField, RunStateField


class PaymentRunSerializer(serializers.Serializer):
    """A run as the reader may see it: a town role reading a city-wide run gets the figures of
    its own towns only (towns_total is then the number of its towns)."""

    id = serializers.IntegerField()
    kind = RunKindField()
    period = serializers.DateField()
    town = serializers.CharField(source="town.code", allow_null=True)
    started_by = username("started_by")
    started_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    state = RunStateField()
    towns_total = serializers.IntegerField(source="figures.towns_total")
    towns_done = serializers.IntegerField(source="figures.towns_done")
    new_lines = serializers.IntegerField(source="figures.new_lines")
    message = serializers.CharField(source="figures.message")

    def to_representation(self, instance):
        instance.figures = runs.run_figures(instance)
        return super().to_representation(instance)


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


class RunListApi(PaymentsApi):
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
        rows = selectors.runs_listed(request.user)
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
        run = selectors.runs_listed(request.user).get(pk=run.pk)
        return Response(PaymentRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class RunDetailApi(PaymentsApi):
    """One payment run with its progress and, when finished, what it did."""

    @extend_schema(operation_id="payment_runs_retrieve", responses=PaymentRunSerializer)
    def get(self, request, pk):
        run = case_selectors.get_in_scope(selectors.runs_listed(request.user), pk=pk)
        return Response(PaymentRunSerializer(run).data)
