"""Memberships: who belongs to which household, from when to when. /api/v1/memberships/."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from relief.api import InputSerializer, ReasonField, ScopedPrimaryKeyRelatedField, id_filter

from .. import selectors, services
from ..models import Household, Membership
from .base import CaseApi
from .households import MemberInputSerializer, member_input


class MembershipSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    household = serializers.IntegerField(source="household_id")
    person_id = serializers.IntegerField()
    name = serializers.CharField(source="person.name")
    id_number = serializers.CharField(source="person.masked_id")
    relation = serializers.ChoiceField(choices=Membership.Relation.choices)
    joined_on = serializers.DateField()
    left_on = serializers.DateField(allow_null=True)
    leave_reason = serializers.ChoiceField(choices=Membership.LeaveReason.choices, allow_blank=True)
    leave_note = serializers.CharField()


def memberships(user):
    return selectors.memberships_in_scope(user).select_related("person")


class MembershipListApi(CaseApi):
    """GET: memberships, current and past. POST: a person joins a household (a newborn, a spouse,
    someone who left another household), with a reason."""

    class FilterSerializer(serializers.Serializer):
        household = id_filter()
        person = id_filter()
        current = serializers.BooleanField(
            required=False, allow_null=True, default=None, help_text="Only current members."
        )

    class MembershipCreateSerializer(MemberInputSerializer):
        household = ScopedPrimaryKeyRelatedField(
            scope=selectors.households_in_scope, model=Household
        )
        reason = ReasonField()

    @extend_schema(
        operation_id="memberships_list",
        parameters=[FilterSerializer],
        responses=MembershipSerializer(many=True),
    )
    def get(self, request):
        filters = self.filters(self.FilterSerializer)
        rows = memberships(request.user).order_by("household_id", "joined_on", "id")
        if "household" in filters:
            rows = rows.filter(household_id=filters["household"])
        if "person" in filters:
            rows = rows.filter(person_id=filters["person"])
        if "current" in filters:
            rows = rows.filter(left_on__isnull=filters["current"])
        return self.paginated(rows, MembershipSerializer)

    @extend_schema(
        operation_id="memberships_create",
        request=MembershipCreateSerializer,
        responses={201: MembershipSerializer},
    )
    def post(self, request):
        serializer = self.MembershipCreateSerializer(
            data=request.data, context={"request": request}
        )
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        membership = services.member_add(
            actor=request.user,
            household=data["household"],
            member=member_input(data),
            reason=data["reason"],
        )
        return Response(MembershipSerializer(membership).data, status=status.HTTP_201_CREATED)


class MembershipDetailApi(CaseApi):
    """One membership."""

    @extend_schema(operation_id="memberships_retrieve", responses=MembershipSerializer)
    def get(self, request, pk):
        membership = selectors.get_in_scope(memberships(request.user), pk=pk)
        return Response(MembershipSerializer(membership).data)


class MembershipLeaveApi(CaseApi):
    """A member leaves the household (death, moving out, marriage) on a date."""

    class MembershipLeaveSerializer(InputSerializer):
        left_on = serializers.DateField()
        leave_reason = serializers.ChoiceField(choices=Membership.LeaveReason.choices)
        note = serializers.CharField(max_length=200, required=False, allow_blank=True)

    @extend_schema(
        operation_id="memberships_leave",
        request=MembershipLeaveSerializer,
        responses=MembershipSerializer,
    )
    def post(self, request, pk):
        membership = selectors.get_in_scope(memberships(request.user), pk=pk)
        serializer = self.MembershipLeaveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        membership = services.member_leave(
            actor=request.user,
            membership=membership,
            left_on=data["left_on"],
            leave_reason=data["leave_reason"],
            note=data.get("note", ""),
        )
        return Response(MembershipSerializer(membership).data)
