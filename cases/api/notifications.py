"""The inbox and the breach register: /api/v1/notifications/ and /api/v1/breaches/."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from relief.api import named_choice_field

from .. import inbox, selectors
from ..models import Notification
from ..workflow import selectors as workflow
from .applications import ClockKindField, RoleField
from .base import WorkflowApi

NotificationKindField = named_choice_field(Notification.Kind, "NotificationKindEnum")


class NotificationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = NotificationKindField()
    message = serializers.CharField()
    url = serializers.CharField()
    application = serializers.IntegerField(source="application_id", allow_null=True)
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)


class NotificationListApi(WorkflowApi):
    """The user's own notifications, newest first; `unread_count` in the response header
    X-Unread-Count."""

    class FilterSerializer(serializers.Serializer):
        unread = serializers.BooleanField(required=False, allow_null=True, default=None)

    @extend_schema(
        operation_id="notifications_list",
        parameters=[FilterSerializer],
        responses=NotificationSerializer(many=True),
    )
    def get(self, request):
        filters = self.filters(self.FilterSerializer)
        rows = workflow.inbox(user=request.user, unread=bool(filters.get("unread")))
        response = self.paginated(rows, NotificationSerializer)
        response["X-Unread-Count"] = str(workflow.unread_count(user=request.user))
        return response


class NotificationReadApi(WorkflowApi):
    """Mark one of the user's notifications read."""

    @extend_schema(
        operation_id="notifications_read", request=None, responses=NotificationSerializer
    )
    def post(self, request, pk):
        notification = selectors.get_in_scope(workflow.inbox(user=request.user), pk=pk)
        notification = inbox.notification_mark_read(
            actor=request.user, notification=notification, now=timezone.now()
        )
        return Response(NotificationSerializer(notification).data)


class ReadAllSerializer(serializers.Serializer):
    marked = serializers.IntegerField()


class NotificationReadAllApi(WorkflowApi):
    """Mark all the user's notifications read."""

    @extend_schema(operation_id="notifications_read_all", request=None, responses=ReadAllSerializer)
    def post(self, request):
        marked = inbox.notifications_mark_all_read(actor=request.user, now=timezone.now())
        return Response({"marked": marked})


class BreachSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    application = serializers.IntegerField(source="application_id")
    town = serializers.CharField(source="town.code")
    kind = ClockKindField()
    due_on = serializers.DateField()
    detected_on = serializers.DateField()
    working_days_late = serializers.IntegerField()
    final = serializers.BooleanField(help_text="The clock has stopped: the figure is final.")
    holder_role = RoleField()
    holder = serializers.CharField(source="holder_user.username", allow_null=True)


class BreachListApi(WorkflowApi):
    """Clocks that passed their due date, in the user's towns, latest first."""

    class FilterSerializer(serializers.Serializer):
        town = serializers.RegexField(r"^\d{9}$", required=False)
        kind = ClockKindField(required=False)
        open = serializers.BooleanField(
            required=False, allow_null=True, default=None, help_text="Only running clocks."
        )

    @extend_schema(
        operation_id="breaches_list",
        parameters=[FilterSerializer],
        responses=BreachSerializer(many=True),
    )
    def get(self, request):
        filters = self.filters(self.FilterSerializer)
        rows = workflow.breach_list(
            user=request.user,
            town=filters.get("town", ""),
            kind=filters.get("kind", ""),
            open_only=bool(filters.get("open")),
        ).select_related("holder_user")
        return self.paginated(rows, BreachSerializer)
