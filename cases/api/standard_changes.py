"""Standard changes over the API: GET and POST /api/v1/schedule-confirmations/ (a proposal for
every grant of a scheme paying from a month), POST /api/v1/schedule-confirmations/{id}/confirm/
and /reject/ (a second city supervisor, for all of them at once)."""

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response

from relief.api import InputSerializer, ReasonField, named_choice_field, username

from .. import grants as schedules
from .. import selectors
from ..models import ScheduleConfirmation, Scheme, Town
from .base import WorkflowApi
from .schedules import ConfirmSerializer, RejectionSerializer

ConfirmationStateField = named_choice_field(
    ScheduleConfirmation.State, "ScheduleConfirmationStateEnum"
)


class ScheduleConfirmationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    scheme = serializers.CharField(source="scheme.code")
    town = serializers.CharField(source="town.code", allow_null=True)
    from_month = serializers.DateField()
    state = ConfirmationStateField()
    reason = serializers.CharField()
    grants_considered = serializers.IntegerField(source="figures.grants_considered")
    proposed_count = serializers.IntegerField(source="figures.proposed_count")
    unchanged_count = serializers.IntegerField(source="figures.unchanged_count")
    skipped_count = serializers.IntegerField(source="figures.skipped_count")
    skipped = serializers.SerializerMethodField(
        help_text='Grants left out that you may see: [{"grant": id, "reason": ...}].'
    )
    proposed_by = serializers.CharField(source="proposed_by.username")
    proposed_at = serializers.DateTimeField()
    confirmed_by = username("confirmed_by")
    confirmed_at = serializers.DateTimeField(allow_null=True)
    rejected_by = username("rejected_by")
    rejected_at = serializers.DateTimeField(allow_null=True)
    rejection_reason = serializers.CharField()

    def to_representation(self, instance):
        # A town role reading a city-wide change gets its own towns' counts only.
        instance.figures = schedules.confirmation_figures(instance)
        return super().to_representation(instance)

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_skipped(self, confirmation) -> list[dict]:
        context = self.context
        user = context["user"] if "user" in context else context["request"].user
        return schedules.skipped_in_scope(user=user, confirmation=confirmation)


def confirmation_response(user, pk, status_code=status.HTTP_200_OK) -> Response:
    confirmation = selectors.get_in_scope(schedules.schedule_confirmations_listed(user), pk=pk)
    data = ScheduleConfirmationSerializer(confirmation, context={"user": user}).data
    return Response(data, status=status_code)


class StandardChangeSerializer(InputSerializer):
    scheme = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Scheme.objects.exclude(kind=Scheme.Kind.TEMPORARY),
        help_text="dibao or tekun.",
    )
    from_month = serializers.DateField(help_text="The first day of the month.")
    town = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Town.objects.all(),
        required=False,
        allow_null=True,
        help_text="A town's 9-digit code; empty: every town.",
    )
    reason = ReasonField(required=False, allow_blank=True)


class ScheduleConfirmationListApi(WorkflowApi):
    """GET: the standard changes. POST (a city supervisor): propose, for every grant of a
    scheme paying in a month, the calculation's amount from that month; a second city
    supervisor confirms them at once. Proposing the same change again while it waits returns
    it (200)."""

    class FilterSerializer(serializers.Serializer):
        state = ConfirmationStateField(required=False)
        scheme = serializers.SlugField(required=False)

    @extend_schema(
        operation_id="schedule_confirmations_list",
        parameters=[FilterSerializer],
        responses=ScheduleConfirmationSerializer(many=True),
    )
    def get(self, request):
        filters = self.filters(self.FilterSerializer)
        rows = schedules.schedule_confirmations_listed(request.user)
        if "state" in filters:
            rows = rows.filter(state=filters["state"])
        if "scheme" in filters:
            rows = rows.filter(scheme__code=filters["scheme"])
        return self.paginated(rows.order_by("-id"), ScheduleConfirmationSerializer)

    @extend_schema(
        operation_id="schedule_confirmations_create",
        request=StandardChangeSerializer,
        responses={201: ScheduleConfirmationSerializer, 200: ScheduleConfirmationSerializer},
    )
    def post(self, request):
        data = self.validated(StandardChangeSerializer)
        waiting = set(
            ScheduleConfirmation.objects.filter(
                state=ScheduleConfirmation.State.PROPOSED
            ).values_list("pk", flat=True)
        )
        confirmation = schedules.standard_change_propose(actor=request.user, **data)
        code = status.HTTP_200_OK if confirmation.pk in waiting else status.HTTP_201_CREATED
        return confirmation_response(request.user, confirmation.pk, code)


class ScheduleConfirmationDetailApi(WorkflowApi):
    """One standard change; its proposals are at /api/v1/schedule-entries/?confirmation=id."""

    @extend_schema(
        operation_id="schedule_confirmations_retrieve", responses=ScheduleConfirmationSerializer
    )
    def get(self, request, pk):
        return confirmation_response(request.user, pk)


class ScheduleConfirmationConfirmApi(WorkflowApi):
    """Confirm every proposal of the standard change at once (a city supervisor other than the
    proposer)."""

    @extend_schema(
        operation_id="schedule_confirmations_confirm",
        request=ConfirmSerializer,
        responses=ScheduleConfirmationSerializer,
    )
    def post(self, request, pk):
        self.validated(ConfirmSerializer)
        confirmation = selectors.get_in_scope(
            schedules.schedule_confirmations_listed(request.user), pk=pk
        )
        schedules.schedule_confirmation_confirm(confirmation=confirmation, actor=request.user)
        return confirmation_response(request.user, pk)


class ScheduleConfirmationRejectApi(WorkflowApi):
    """Reject the standard change with reasons: none of its proposals pays."""

    @extend_schema(
        operation_id="schedule_confirmations_reject",
        request=RejectionSerializer,
        responses=ScheduleConfirmationSerializer,
    )
    def post(self, request, pk):
        data = self.validated(RejectionSerializer)
        confirmation = selectors.get_in_scope(
            schedules.schedule_confirmations_listed(request.user), pk=pk
        )
        schedules.schedule_confirmation_reject(
            confirmation=confirmation, actor=request.user, **data
        )
        return confirmation_response(request.user, pk)
