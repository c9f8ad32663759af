"""Grants and their confirmed amount schedules: /api/v1/grants/ (read-only here; approval
creates a grant, later changes go through schedule proposals)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from relief.api import id_filter, money_field, named_choice_field

from .. import selectors
from ..models import Grant, ScheduleEntry
from ..workflow import selectors as workflow
from .base import WorkflowApi

GrantStateField = named_choice_field(Grant.State, "GrantStateEnum")
ScheduleStateField = named_choice_field(ScheduleEntry.State, "ScheduleEntryStateEnum")


class ScheduleEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    from_month = serializers.DateField(help_text="The first day of the month it applies from.")
    amount = money_field(help_text="Yuan per month.")
    state = ScheduleStateField()
    reason = serializers.CharField()
    proposed_by = serializers.CharField(source="proposed_by.username")
    confirmed_by = serializers.CharField(source="confirmed_by.username", allow_null=True)
    confirmed_at = serializers.DateTimeField(allow_null=True)
    calculation = serializers.JSONField()


class GrantSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    application = serializers.IntegerField(source="application_id")
    household = serializers.IntegerField(source="household_id")
    town = serializers.CharField(source="town.code")
    scheme = serializers.CharField(source="scheme.code")
    state = GrantStateField()
    starts_month = serializers.DateField()
    ends_month = serializers.DateField(allow_null=True)
    approved_amount = money_field(allow_null=True)
    instalments = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()
    schedule = ScheduleEntrySerializer(many=True)


def grants(user):
    return workflow.grant_list(user=user).prefetch_related(
        "schedule__proposed_by", "schedule__confirmed_by"
    )


class GrantListApi(WorkflowApi):
    """The grants of the user's towns, each with its amount schedule."""

    class FilterSerializer(serializers.Serializer):
        state = GrantStateField(required=False)
        household = id_filter()

    @extend_schema(
        operation_id="grants_list",
        parameters=[FilterSerializer],
        responses=GrantSerializer(many=True),
    )
    def get(self, request):
        filters = self.filters(self.FilterSerializer)
        rows = grants(request.user)
        if "state" in filters:
            rows = rows.filter(state=filters["state"])
        if "household" in filters:
            rows = rows.filter(household_id=filters["household"])
        return self.paginated(rows, GrantSerializer)


class GrantDetailApi(WorkflowApi):
    """One grant with its amount schedule."""

    @extend_schema(operation_id="grants_retrieve", responses=GrantSerializer)
    def get(self, request, pk):
        grant = selectors.get_in_scope(grants(request.user), pk=pk)
        return Response(GrantSerializer(grant).data)
