"""The monthly check's runs under /api/v1/checks/: GET the runs with their progress (scoped: a
town role sees the city-wide runs and its towns', with its own towns' figures only), GET one;
POST starts a run for a period (the city supervisor or an administrator): 202 with the run,
carried out by one task per town (audit.monthly_check_town)."""

from django.db import transaction
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from cases.models import Town
from cases.selectors import get_in_scope
from relief.api import Api, InputSerializer, MonthField, named_choice_field, username

from .. import check, tasks
from .. import check_selectors as selectors
from ..models import CheckRun

CheckStateField = named_choice_field(CheckRun.State, "CheckRunStateEnum")


class CanReadChecks(BasePermission):
    def has_permission(self, request, view):
        if not selectors.can_read_checks(request.user):
            raise PermissionDenied("Your role does not give access to the monthly check.")
        return True


class CheckRunListSerializer(serializers.ListSerializer):
    """Runs with their progress read in one grouped query for the whole page."""

    def to_representation(self, data):
        runs = list(data.all() if hasattr(data, "all") else data)
        progress = selectors.progresses(self.context["request"].user, runs)
        for run in runs:
            run.progress = progress[run.pk]
        return super().to_representation(runs)


class CheckRunSerializer(serializers.Serializer):
    """A run as the reader may see it (selectors.progress)."""

    class Meta:
        list_serializer_class = CheckRunListSerializer

    id = serializers.IntegerField()
    period = serializers.DateField()
    from_month = serializers.DateField()
    town = serializers.CharField(source="town.code", allow_null=True)
    started_by = username("started_by")
    started_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    state = CheckStateField()
    towns_total = serializers.IntegerField(source="progress.towns_total")
    towns_done = serializers.IntegerField(source="progress.towns_done")
    households_checked = serializers.IntegerField(source="progress.households_checked")
    new_findings = serializers.IntegerField(source="progress.new_findings")

    def to_representation(self, instance):
        if not hasattr(instance, "progress"):  # one run; a list reads them all at once
            instance.progress = selectors.progress(self.context["request"].user, instance)
        return super().to_representation(instance)


class CheckStartSerializer(InputSerializer):
    period = MonthField(help_text="The month checked, YYYY-MM.")
    town = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Town.objects.all(),
        required=False,
        allow_null=True,
        help_text="A town's 9-digit code; empty: every town.",
    )
    from_month = MonthField(
        required=False,
        allow_null=True,
        help_text="The first month reconciled, YYYY-MM; empty: the month after the last "
        "checked period, or the matching rule's first-check months back.",
    )


class CheckListApi(Api):
    """GET: the check runs, newest first, with their progress (towns_done of towns_total).
    POST: start a check of a period (the city supervisor or an administrator), for every town
    or one; it runs in the background, so the answer (202) is the run as it starts: poll it."""

    permission_classes = [IsAuthenticated, CanReadChecks]

    class FilterSerializer(serializers.Serializer):
        period = MonthField(required=False, help_text="YYYY-MM.")
        state = CheckStateField(required=False)

    @extend_schema(
        operation_id="checks_list",
        parameters=[FilterSerializer],
        responses=CheckRunSerializer(many=True),
    )
    def get(self, request):
        filters = self.filters(self.FilterSerializer)
        rows = selectors.runs_in_scope(request.user).order_by("-id")
        for name in ("period", "state"):
            if name in filters:
                rows = rows.filter(**{name: filters[name]})
        return self.paginated(rows, CheckRunSerializer)

    @extend_schema(
        operation_id="checks_create",
        request=CheckStartSerializer,
        responses={
            202: CheckRunSerializer,
            400: OpenApiResponse(description="A field is missing or malformed."),
            403: OpenApiResponse(description="Your role may not start a check."),
        },
    )
    def post(self, request):
        data = self.validated(CheckStartSerializer)
        with transaction.atomic():
            run = check.check_start(
                actor=request.user,
                period=data["period"],
                town=data.get("town"),
                from_month=data.get("from_month"),
            )
            tasks.fan_out(run)
        run = selectors.runs_in_scope(request.user).get(pk=run.pk)
        return Response(
            CheckRunSerializer(run, context={"request": request}).data,
            status=status.HTTP_202_ACCEPTED,
        )


class CheckDetailApi(Api):
    """One check run with its progress."""

    permission_classes = [IsAuthenticated, CanReadChecks]

    @extend_schema(operation_id="checks_retrieve", responses=CheckRunSerializer)
    def get(self, request, pk):
        run = get_in_scope(selectors.runs_in_scope(request.user), pk=pk)
        return Response(CheckRunSerializer(run, context={"request": request}).data)
