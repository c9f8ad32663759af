"""Grant amount schedules and a grant's later life (cases.grants):

- GET /api/v1/grants/{id}/schedule/: the grant's schedule entries, every state;
- POST /api/v1/grants/{id}/schedule/propose/: the calculation's amount from a month, proposed
  (201), or nothing to propose because it equals the amount in force (200, `proposed` false);
- GET /api/v1/schedule-entries/ (?awaiting_me=true: the proposals this user may confirm),
  POST /api/v1/schedule-entries/{id}/confirm/ and /reject/;
- POST /api/v1/grants/{id}/suspend/, /resume/, /terminate/, /gradual-exit/, /recheck/.

The wrong role, or confirming what one proposed, is a 403; the wrong state a 400 naming it;
another town's grant or entry a 404.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from relief.api import (
    InputSerializer,
    ReasonField,
    StrictCharField,
    id_filter,
    money_field,
    named_choice_field,
    username,
)
from relief.dates import month_key

from .. import grants as schedules
from .. import selectors
from ..models import Grant, ScheduleEntry
from .base import WorkflowApi
from .grants import GrantStateField, ScheduleStateField

NOTHING_TO_PROPOSE = _(
    "The calculation for %(month)s gives the confirmed amount in force: nothing to propose."
)

EntryKindField = named_choice_field(ScheduleEntry.Kind, "ScheduleEntryKindEnum")


class GrantScheduleEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    grant = serializers.IntegerField(source="grant_id")
    kind = EntryKindField()
    from_month = serializers.DateField(help_text="The first day of the month it applies from.")
    amount = money_field(help_text="Yuan per month.")
    state = ScheduleStateField()
    reason = serializers.CharField()
    confirmation = serializers.IntegerField(
        source="confirmation_id",
        allow_null=True,
        help_text="The standard change it belongs to (confirmed as a whole).",
    )
    proposed_by = serializers.CharField(source="proposed_by.username")
    proposed_at = serializers.DateTimeField(allow_null=True)
    confirmed_by = username("confirmed_by")
    confirmed_at = serializers.DateTimeField(allow_null=True)
    rejected_by = username("rejected_by")
    rejected_at = serializers.DateTimeField(allow_null=True)
    rejection_reason = serializers.CharField()
    calculation = serializers.JSONField(help_text="The calculation it was computed with.")


class SuspensionSerializer(serializers.Serializer):
    from_month = serializers.DateField()
    resumed_month = serializers.DateField(allow_null=True)
    reason = serializers.CharField()
    suspended_by = serializers.CharField(source="suspended_by.username")
    resumed_by = username("resumed_by")
    resume_reason = serializers.CharField()


class GrantStatusSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    town = serializers.CharField(source="town.code")
    scheme = serializers.CharField(source="scheme.code")
    state = GrantStateField()
    starts_month = serializers.DateField()
    ends_month = serializers.DateField(allow_null=True, help_text="The last month it pays.")
    exit_from_month = serializers.DateField(
        allow_null=True, help_text="First month of the gradual exit (渐退)."
    )
    end_reason = serializers.CharField()
    recheck_due_on = serializers.DateField(allow_null=True)
    last_rechecked_on = serializers.DateField(allow_null=True)
    suspensions = SuspensionSerializer(many=True)


class ProposalResultSerializer(serializers.Serializer):
    proposed = serializers.BooleanField()
    entry = GrantScheduleEntrySerializer(allow_null=True)
    detail = serializers.CharField()


# Reads


ENTRY_RELATED = ("grant", "proposed_by", "confirmed_by", "rejected_by")


def entries(user):
    return schedules.schedule_entries_in_scope(user).select_related(*ENTRY_RELATED)


def grant_get(user, pk) -> Grant:
    return selectors.get_in_scope(selectors.grants_in_scope(user), pk=pk)


def grant_response(user, pk) -> Response:
    grant = selectors.get_in_scope(
        selectors.grants_in_scope(user)
        .select_related("town", "scheme")
        .prefetch_related("suspensions__suspended_by", "suspensions__resumed_by"),
        pk=pk,
    )
    return Response(GrantStatusSerializer(grant).data)


def entry_response(user, pk, status_code=status.HTTP_200_OK) -> Response:
    entry = selectors.get_in_scope(entries(user), pk=pk)
    return Response(GrantScheduleEntrySerializer(entry).data, status=status_code)


class ConfirmSerializer(InputSerializer):
    pass


class RejectionSerializer(InputSerializer):
    reason = ReasonField()


# A grant's schedule and proposals


class GrantScheduleApi(WorkflowApi):
    """The grant's schedule entries, oldest month first, in every state."""

    @extend_schema(
        operation_id="grants_schedule_list", responses=GrantScheduleEntrySerializer(many=True)
    )
    def get(self, request, pk):
        grant = grant_get(request.user, pk)
        rows = entries(request.user).filter(grant=grant).order_by("from_month", "id")
        return Response(GrantScheduleEntrySerializer(rows, many=True).data)


class ProposeSerializer(InputSerializer):
    from_month = serializers.DateField(help_text="The first day of the month.")
    reason = ReasonField(help_text="Why the amount is recomputed (new evidence, a re-check).")


class GrantScheduleProposeApi(WorkflowApi):
    """Propose the calculation's amount from a month (case workers and supervisors of the
    town). It pays nothing until a second person confirms it. When it equals the confirmed
    amount in force, nothing is recorded (200, `proposed` false)."""

    @extend_schema(
        operation_id="grants_schedule_propose",
        request=ProposeSerializer,
        responses={201: ProposalResultSerializer, 200: ProposalResultSerializer},
    )
    def post(self, request, pk):
        data = self.validated(ProposeSerializer)
        entry = schedules.schedule_propose(
            grant=grant_get(request.user, pk), actor=request.user, **data
        )
        if entry is None:
            result = {
                "proposed": False,
                "entry": None,
                "detail": str(NOTHING_TO_PROPOSE % {"month": month_key(data["from_month"])}),
            }
            return Response(ProposalResultSerializer(result).data)
        entry = selectors.get_in_scope(entries(request.user), pk=entry.pk)
        result = {"proposed": True, "entry": entry, "detail": ""}
        return Response(ProposalResultSerializer(result).data, status=status.HTTP_201_CREATED)


# Schedule entries


class ScheduleEntryListApi(WorkflowApi):
    """Schedule entries of the user's towns. `awaiting_me=true`: the single proposals this user
    may confirm (not their own; standard changes are confirmed as a whole)."""

    class FilterSerializer(serializers.Serializer):
        state = ScheduleStateField(required=False)
        kind = EntryKindField(required=False)
        grant = id_filter()
        confirmation = id_filter()
        awaiting_me = serializers.BooleanField(required=False, allow_null=True, default=None)

    @extend_schema(
        operation_id="schedule_entries_list",
        parameters=[FilterSerializer],
        responses=GrantScheduleEntrySerializer(many=True),
    )
    def get(self, request):
        filters = self.filters(self.FilterSerializer)
        rows = entries(request.user)
        if filters.get("awaiting_me"):
            rows = rows.filter(pk__in=schedules.schedule_queue(user=request.user).values("pk"))
        for name, lookup in (
            ("state", "state"),
            ("kind", "kind"),
            ("grant", "grant_id"),
            ("confirmation", "confirmation_id"),
        ):
            if name in filters:
                rows = rows.filter(**{lookup: filters[name]})
        return self.paginated(rows.order_by("-id"), GrantScheduleEntrySerializer)


class ScheduleEntryDetailApi(WorkflowApi):
    """One schedule entry with its calculation."""

    @extend_schema(operation_id="schedule_entries_retrieve", responses=GrantScheduleEntrySerializer)
    def get(self, request, pk):
        return entry_response(request.user, pk)


class ScheduleEntryConfirmApi(WorkflowApi):
    """Confirm a proposal: from its month the grant pays its amount (a town supervisor of the
    town or the city supervisor, not the proposer)."""

    @extend_schema(
        operation_id="schedule_entries_confirm",
        request=ConfirmSerializer,
        responses=GrantScheduleEntrySerializer,
    )
    def post(self, request, pk):
        self.validated(ConfirmSerializer)
        entry = selectors.get_in_scope(entries(request.user), pk=pk)
        schedules.schedule_confirm(entry=entry, actor=request.user)
        return entry_response(request.user, pk)


class ScheduleEntryRejectApi(WorkflowApi):
    """Reject a proposal with reasons (a second person, as for confirming)."""

    @extend_schema(
        operation_id="schedule_entries_reject",
        request=RejectionSerializer,
        responses=GrantScheduleEntrySerializer,
    )
    def post(self, request, pk):
        data = self.validated(RejectionSerializer)
        entry = selectors.get_in_scope(entries(request.user), pk=pk)
        schedules.schedule_reject(entry=entry, actor=request.user, **data)
        return entry_response(request.user, pk)


# A grant's state


class MonthReasonSerializer(InputSerializer):
    reason = ReasonField()
    from_month = serializers.DateField(
        required=False, help_text="The first day of the month; default: next month."
    )


class TerminateSerializer(InputSerializer):
    reason = ReasonField()
    ends_month = serializers.DateField(help_text="The last month paid (its first day).")


class GradualExitSerializer(InputSerializer):
    reason = ReasonField()
    from_month = serializers.DateField(help_text="The first exit month (its first day).")
    months = serializers.IntegerField(
        min_value=1, max_value=120, help_text="At most the scheme rule's gradual_exit_months."
    )
    stepped = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Step the amount down in equal parts (proposed for a second person).",
    )


class RecheckSerializer(InputSerializer):
    on = serializers.DateField(help_text="The day of the re-check.")
    note = StrictCharField(max_length=2000, required=False, allow_blank=True)


def grant_action(operation_id: str, input_serializer, service, doc: str):
    """A POST /api/v1/grants/{id}/<action>/ endpoint: the scoped grant, one service call, the
    grant's state as it is now."""

    class GrantActionApi(WorkflowApi):
        @extend_schema(
            operation_id=operation_id,
            request=input_serializer,
            responses=GrantStatusSerializer,
            description=doc,
        )
        def post(self, request, pk):
            data = self.validated(input_serializer)
            service(grant=grant_get(request.user, pk), actor=request.user, **data)
            return grant_response(request.user, pk)

    GrantActionApi.__name__ = GrantActionApi.__qualname__ = (
        "".join(part.title() for part in operation_id.split("_")) + "Api"
    )
    return GrantActionApi


GRANT_ACTIONS = [
    (
        "suspend",
        grant_action(
            "grants_suspend",
            MonthReasonSerializer,
            schedules.grant_suspend,
            "Suspend payment from a month until resumed (supervisors).",
        ),
    ),
    (
        "resume",
        grant_action(
            "grants_resume",
            MonthReasonSerializer,
            schedules.grant_resume,
            "Resume payment from a month (supervisors).",
        ),
    ),
    (
        "terminate",
        grant_action(
            "grants_terminate",
            TerminateSerializer,
            schedules.grant_terminate,
            "End the grant with its last month paid (supervisors).",
        ),
    ),
    (
        "gradual-exit",
        grant_action(
            "grants_gradual_exit",
            GradualExitSerializer,
            schedules.grant_gradual_exit,
            "Gradual exit (渐退): pay some more months, then end (supervisors).",
        ),
    ),
    (
        "recheck",
        grant_action(
            "grants_recheck",
            RecheckSerializer,
            schedules.grant_recheck_record,
            "Record the periodic re-check; the next one falls due a year or six months later.",
        ),
    ),
]


class GrantStatusApi(WorkflowApi):
    """The grant's state, end, gradual exit, re-check dates and suspensions."""

    @extend_schema(
        operation_id="grants_status",
        responses={200: GrantStatusSerializer, 404: OpenApiResponse(description="Not found.")},
    )
    def get(self, request, pk):
        return grant_response(request.user, pk)
