"""The working-day calendar over the API: the administrators' schedule table (read by every
signed-in user, written by administrators) and the calendar arithmetic itself."""

import datetime

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from . import services, workdays
from .api import NotPartnerAccount
from .models import CalendarDay


class IsAdministratorOrReadOnly(BasePermission):
    """The schedule is configuration: administrators (staff) change it, everyone reads it."""

    message = _("Only administrators may change the holiday schedule.")

    def has_permission(self, request, view):
        return request.method in SAFE_METHODS or request.user.is_staff


class CalendarDaySerializer(serializers.ModelSerializer):
    class Meta:
        model = CalendarDay
        fields = ["id", "day", "kind", "name", "note"]


class CalendarDayListApi(APIView):
    """GET: the administrators' holidays and make-up working days, which override the
    chinesecalendar package (`?year=` to filter). POST (administrators): enter or correct one
    day; every open due date is recomputed."""

    permission_classes = [IsAuthenticated, NotPartnerAccount, IsAdministratorOrReadOnly]

    class FilterSerializer(serializers.Serializer):
        year = serializers.IntegerField(required=False, min_value=1900, max_value=2200)

    class InputSerializer(serializers.Serializer):
        day = serializers.DateField()
        kind = serializers.ChoiceField(choices=CalendarDay.Kind.choices)
        name = serializers.CharField(max_length=50)
        note = serializers.CharField(required=False, allow_blank=True, default="")
        reason = serializers.CharField(help_text="Why the schedule changes (kept in history).")

    @extend_schema(
        operation_id="calendar_days_list",
        parameters=[FilterSerializer],
        responses=CalendarDaySerializer(many=True),
    )
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        days = CalendarDay.objects.all()
        if "year" in filters.validated_data:
            days = days.filter(day__year=filters.validated_data["year"])
        return Response(CalendarDaySerializer(days, many=True).data)

    @extend_schema(
        operation_id="calendar_days_create",
        request=InputSerializer,
        responses={201: CalendarDaySerializer},
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        entry = services.calendar_day_save(actor=request.user, **data.validated_data)
        return Response(CalendarDaySerializer(entry).data, status=status.HTTP_201_CREATED)


class CalendarDayDetailApi(APIView):
    """DELETE (administrators): remove an entered day, with a reason."""

    permission_classes = [IsAuthenticated, NotPartnerAccount, IsAdministratorOrReadOnly]

    class DeleteSerializer(serializers.Serializer):
        reason = serializers.CharField()

    @extend_schema(
        operation_id="calendar_days_delete", request=DeleteSerializer, responses={204: None}
    )
    def delete(self, request, pk):
        entry = CalendarDay.objects.filter(pk=pk).first()
        if entry is None:
            raise NotFound
        data = self.DeleteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.calendar_day_delete(actor=request.user, entry=entry, **data.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WorkdaysApi(APIView):
    """The calendar's arithmetic: `?start=D&add=N` gives the date N working days after D;
    `?start=A&end=B` the number of working days after A up to and including B. A result that
    used a year with no official schedule lists that year in `provisional_years`."""

    permission_classes = [IsAuthenticated, NotPartnerAccount]

    class QuerySerializer(serializers.Serializer):
        start = serializers.DateField()
        add = serializers.IntegerField(required=False, min_value=0, max_value=3650)
        end = serializers.DateField(required=False)

        def validate(self, attrs):
            if ("add" in attrs) == ("end" in attrs):
                raise serializers.ValidationError({"add": _("Give either add or end, not both.")})
            if "end" in attrs and attrs["end"] < attrs["start"]:
                raise serializers.ValidationError({"end": _("end must not be before start.")})
            return attrs

    class ResultSerializer(serializers.Serializer):
        date = serializers.DateField(required=False)
        working_days = serializers.IntegerField(required=False)
        provisional_years = serializers.ListField(child=serializers.IntegerField())

    @extend_schema(
        operation_id="calendar_workdays", parameters=[QuerySerializer], responses=ResultSerializer
    )
    def get(self, request):
        query = self.QuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        start: datetime.date = query.validated_data["start"]
        if "add" in query.validated_data:
            result = workdays.add_working_days(start, query.validated_data["add"])
            body = {"date": result, "provisional_years": workdays.provisional_years(start, result)}
        else:
            end = query.validated_data["end"]
            body = {
                "working_days": workdays.working_days_between(start, end),
                "provisional_years": workdays.provisional_years(start, end),
            }
        return Response(self.ResultSerializer(body).data)
