"""Applications and their workflow: /api/v1/applications/.

GET lists the applications of the user's towns; POST creates a draft; PATCH edits it; the
application's clocks and step log, the user's work and approval queue. The steps themselves
(POST /api/v1/applications/{id}/<action>/) are in application_steps.py.
"""

from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response

from relief.api import (
    InputSerializer,
    OptionalBooleanField,
    ReasonField,
    ScopedPrimaryKeyRelatedField,
    StrictCharField,
    id_filter,
    money_field,
    named_choice_field,
)

from .. import selectors
from ..models import Application, ApplicationEvent, Clock, Household, Person, Role, Scheme
from ..workflow import selectors as workflow
from ..workflow import services
from .base import WorkflowApi

StateField = named_choice_field(Application.State, "ApplicationStateEnum")
ProcedureField = named_choice_field(Application.Procedure, "ApplicationProcedureEnum")
OpinionField = named_choice_field(Application.Opinion, "TownOpinionEnum")
DecisionField = named_choice_field(Application.Decision, "DecisionEnum")
ClockKindField = named_choice_field(Clock.Kind, "ClockKindEnum")
RoleField = named_choice_field(Role, "RoleEnum")
EventKindField = named_choice_field(ApplicationEvent.Kind, "ApplicationEventKindEnum")


class PublicNoticeSerializer(serializers.Serializer):
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    village = serializers.CharField(source="village.name", allow_null=True)
    head_name = serializers.CharField(help_text="Masked: first and last character (张*明).")
    household_size = serializers.IntegerField()
    amount = money_field(allow_null=True)
    objections = serializers.IntegerField()
    ended_at = serializers.DateTimeField(allow_null=True)


class ApplicationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    household = serializers.IntegerField(source="household_id")
    town = serializers.CharField(source="town.code", help_text="The town's 9-digit division code.")
    town_name = serializers.CharField(source="town.name")
    scheme = serializers.CharField(source="scheme.code")
    scheme_name = serializers.CharField(source="scheme.name")
    procedure = ProcedureField()
    state = StateField()
    received_on = serializers.DateField(allow_null=True)
    accepted_on = serializers.DateField(allow_null=True)
    covered_members = serializers.SerializerMethodField()
    no_income_declared = serializers.BooleanField()
    note = serializers.CharField()
    proposed_amount = money_field(allow_null=True)
    amount_basis = serializers.CharField()
    instalments = serializers.IntegerField()
    approved_amount = money_field(allow_null=True)
    needs_city = serializers.BooleanField(
        help_text="Above the town's approval threshold: the city supervisor decides."
    )
    town_opinion = OpinionField()
    calculation = serializers.JSONField(
        help_text="The calculation the opinion or decision used (cases.calculation)."
    )
    decision = DecisionField()
    decision_reasons = serializers.CharField()
    decided_by = serializers.CharField(source="decided_by.username", allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    file_completed_at = serializers.DateTimeField(allow_null=True)
    created_by = serializers.CharField(source="created_by.username")
    created_at = serializers.DateTimeField()
    notice = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_covered_members(self, application) -> list[int]:
        return sorted(person.pk for person in application.covered_members.all())

    @extend_schema_field(PublicNoticeSerializer(allow_null=True))
    def get_notice(self, application):
        notice = getattr(application, "notice", None)
        return PublicNoticeSerializer(notice).data if notice is not None else None


def applications_for_output(user):
    return (
        workflow.application_list(user=user)
        .select_related("created_by", "decided_by", "notice__village")
        .prefetch_related("covered_members")
    )


def application_response(request, pk, status_code=status.HTTP_200_OK) -> Response:
    application = selectors.get_in_scope(applications_for_output(request.user), pk=pk)
    return Response(ApplicationSerializer(application).data, status=status_code)


class ApplicationFieldsSerializer(InputSerializer):
    procedure = ProcedureField(required=False)
    covered_members = serializers.ListField(
        child=ScopedPrimaryKeyRelatedField(scope=selectors.persons_in_scope, model=Person),
        required=False,
        help_text="Person ids of the covered members; empty: every co-resident member.",
    )
    no_income_declared = OptionalBooleanField(required=False)
    proposed_amount = money_field(
        required=False, allow_null=True, help_text="Temporary assistance: yuan, within the band."
    )
    amount_basis = StrictCharField(required=False, allow_blank=True, max_length=2000)
    instalments = serializers.IntegerField(required=False, min_value=1, max_value=120)
    note = StrictCharField(required=False, allow_blank=True, max_length=2000)


class ApplicationListApi(WorkflowApi):
    """GET: the applications of the user's towns. POST: a draft application of a household for
    a scheme (dibao, tekun, temp_emergency, temp_expenditure)."""

    class FilterSerializer(serializers.Serializer):
        state = StateField(required=False)
        scheme = serializers.SlugField(required=False, help_text="A scheme's code.")
        town = serializers.RegexField(
            r"^\d{9}$", required=False, help_text="A town's 9-digit division code."
        )
        household = id_filter()

    class ApplicationCreateSerializer(ApplicationFieldsSerializer):
        household = ScopedPrimaryKeyRelatedField(
            scope=selectors.households_in_scope, model=Household
        )
        scheme = serializers.SlugRelatedField(
            slug_field="code", queryset=Scheme.objects.all(), help_text="The scheme's code."
        )

    @extend_schema(
        operation_id="applications_list",
        parameters=[FilterSerializer],
        responses=ApplicationSerializer(many=True),
    )
    def get(self, request):
        filters = self.filters(self.FilterSerializer)
        rows = applications_for_output(request.user)
        for name, lookup in (
            ("state", "state"),
            ("scheme", "scheme__code"),
            ("town", "town__code"),
            ("household", "household_id"),
        ):
            if name in filters:
                rows = rows.filter(**{lookup: filters[name]})
        return self.paginated(rows, ApplicationSerializer)

    @extend_schema(
        operation_id="applications_create",
        request=ApplicationCreateSerializer,
        responses={201: ApplicationSerializer},
    )
    def post(self, request):
        serializer = self.ApplicationCreateSerializer(
            data=request.data, context={"request": request}
        )
        serializer.is_valid(raise_exception=True)
        application = services.application_create(actor=request.user, **serializer.validated_data)
        return application_response(request, application.pk, status.HTTP_201_CREATED)


class ApplicationDetailApi(WorkflowApi):
    """One application. PATCH edits a draft, with an optional reason kept in the history."""

    class ApplicationUpdateSerializer(ApplicationFieldsSerializer):
        reason = ReasonField(required=False, allow_blank=True)

    @extend_schema(operation_id="applications_retrieve", responses=ApplicationSerializer)
    def get(self, request, pk):
        return application_response(request, pk)

    @extend_schema(
        operation_id="applications_partial_update",
        request=ApplicationUpdateSerializer,
        responses=ApplicationSerializer,
    )
    def patch(self, request, pk):
        application = workflow.application_get(user=request.user, pk=pk)
        serializer = self.ApplicationUpdateSerializer(
            data=request.data, context={"request": request}
        )
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        reason = changes.pop("reason", "")
        services.application_update(
            actor=request.user, application=application, reason=reason, **changes
        )
        return application_response(request, pk)


# Clocks and the step log


class ClockSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    application = serializers.IntegerField(source="application_id")
    kind = ClockKindField()
    started_on = serializers.DateField()
    limit_days = serializers.IntegerField(help_text="Working days.")
    due_on = serializers.DateField()
    stopped_on = serializers.DateField(allow_null=True)
    paused_since = serializers.DateField(allow_null=True)
    holder_role = RoleField()
    holder = serializers.CharField(source="holder_user.username", allow_null=True)
    provisional = serializers.BooleanField(
        help_text="The due date uses a year with no official holiday schedule yet."
    )
    overdue = serializers.BooleanField()
    due_soon = serializers.BooleanField()
    working_days_late = serializers.SerializerMethodField()

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_working_days_late(self, clock) -> int | None:
        breach = getattr(clock, "breach", None)
        return breach.working_days_late if breach is not None else None


class ApplicationClocksApi(WorkflowApi):
    """The application's working-day clocks, with their due dates and breaches."""

    @extend_schema(operation_id="applications_clocks", responses=ClockSerializer(many=True))
    def get(self, request, pk):
        application = workflow.application_get(user=request.user, pk=pk)
        clocks = workflow.with_flags(
            application.clocks.select_related("holder_user", "breach"),
            today=timezone.localdate(),
        ).order_by("started_on", "id")
        return Response(ClockSerializer(clocks, many=True).data)


class EventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = EventKindField()
    actor = serializers.CharField(source="actor.username", allow_null=True)
    at = serializers.DateTimeField()
    note = serializers.CharField()
    data = serializers.JSONField()


class ApplicationEventsApi(WorkflowApi):
    """The application's step log, oldest first."""

    @extend_schema(operation_id="applications_events", responses=EventSerializer(many=True))
    def get(self, request, pk):
        application = workflow.application_get(user=request.user, pk=pk)
        events = application.events.select_related("actor").order_by("at", "id")
        return Response(EventSerializer(events, many=True).data)


class MyWorkApi(WorkflowApi):
    """The running clocks of the steps the user holds, soonest due first."""

    @extend_schema(operation_id="my_work_list", responses=ClockSerializer(many=True))
    def get(self, request):
        clocks = workflow.my_work(user=request.user).select_related("holder_user", "breach")
        return self.paginated(clocks, ClockSerializer)


class ApprovalQueueApi(WorkflowApi):
    """The applications waiting for a decision the user may take."""

    @extend_schema(operation_id="approval_queue_list", responses=ApplicationSerializer(many=True))
    def get(self, request):
        queue = workflow.approval_queue(user=request.user)
        rows = applications_for_output(request.user).filter(pk__in=queue.values("pk"))
        return self.paginated(rows.order_by("accepted_on", "id"), ApplicationSerializer)
