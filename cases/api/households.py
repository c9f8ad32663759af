"""Households and their members: /api/v1/households/."""

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response

from relief.api import (
    InputSerializer,
    NameField,
    OptionalBooleanField,
    ReasonField,
    ScopedPrimaryKeyRelatedField,
    StrictCharField,
    id_filter,
    merge_errors,
    valid_parts,
)

from .. import selectors, services
from ..models import Household, Membership, Person, Town, Village
from .base import CaseApi, QuerySearchField


class MemberListSerializer(serializers.ListSerializer):
    """Member errors as a list with one entry per member, `{}` for a good one: the shape of the
    service's NestedValidationError, so a client reads member errors the same way whichever
    layer found them (DRF 3.18's own ListSerializer answers `{"1": {...}}`)."""

    def to_internal_value(self, data):
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as exc:
            detail = exc.detail
            if (
                isinstance(data, list)
                and isinstance(detail, dict)
                and all(isinstance(key, int) for key in detail)
            ):
                raise serializers.ValidationError(
                    [detail.get(index, {}) for index in range(len(data))]
                ) from None
            raise


class MemberInputSerializer(InputSerializer):
    """One member as registered: name, ID number and relation, plus optional person details."""

    class Meta:
        list_serializer_class = MemberListSerializer

    name = NameField(max_length=50)
    id_number = StrictCharField(
        max_length=40, help_text="18 characters (or a legacy 15-digit number), as a string."
    )
    relation = serializers.ChoiceField(choices=Membership.Relation.choices)
    joined_on = serializers.DateField(required=False)
    disability_grade = serializers.ChoiceField(choices=Person.Disability.choices, required=False)
    disability_category = serializers.ChoiceField(
        choices=Person.DisabilityCategory.choices, required=False
    )
    serious_illness = OptionalBooleanField(required=False)
    employment_status = serializers.ChoiceField(choices=Person.Employment.choices, required=False)


def member_input(data: dict) -> services.MemberInput:
    """A member of a request body: its validated fields (a field that failed its own check is
    left empty: the registry's check of it is not reported, the field's own error is)."""
    return services.MemberInput(
        name=data.get("name", ""),
        id_number=data.get("id_number", ""),
        relation=data.get("relation", ""),
        joined_on=data.get("joined_on"),
        extra={key: data[key] for key in services.PERSON_FIELDS if key in data},
    )


class MemberSerializer(serializers.Serializer):
    """A current member. The ID number is masked; POST /persons/{id}/reveal-id/ shows it."""

    membership_id = serializers.IntegerField(source="id")
    person_id = serializers.IntegerField()
    name = serializers.CharField(source="person.name")
    id_number = serializers.CharField(source="person.masked_id")
    relation = serializers.ChoiceField(choices=Membership.Relation.choices)
    joined_on = serializers.DateField()
    birth_date = serializers.DateField(source="person.birth_date")
    sex = serializers.ChoiceField(source="person.sex", choices=Person.Sex.choices)


class HouseholdSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    town = serializers.CharField(source="town.code", help_text="The town's 9-digit division code.")
    town_name = serializers.CharField(source="town.name")
    village = serializers.IntegerField(source="village_id", allow_null=True)
    village_name = serializers.CharField(source="village.name", allow_null=True)
    address = serializers.CharField()
    hukou_place = serializers.CharField()
    status = serializers.ChoiceField(choices=Household.Status.choices)
    created_at = serializers.DateTimeField()
    members = serializers.SerializerMethodField()

    @extend_schema_field(MemberSerializer(many=True))
    def get_members(self, household) -> list[dict]:
        # Plain dicts: a nested serializer costs about 10 ms on a page of 50 households.
        return [
            {
                "membership_id": m.id,
                "person_id": m.person_id,
                "name": m.person.name,
                "id_number": m.person.masked_id,
                "relation": m.relation,
                "joined_on": m.joined_on.isoformat(),
                "birth_date": m.person.birth_date.isoformat(),
                "sex": m.person.sex,
            }
            for m in household.current_memberships
        ]


def household_for_output(*, user, pk) -> Household:
    """A household with its current members, loaded the way the list loads it."""
    return selectors.get_in_scope(selectors.household_list(user=user), pk=pk)


class HouseholdListApi(CaseApi):
    """GET: the households of the user's towns, with their current members. POST: register a
    household with its members (exactly one head); member errors come back per member."""

    class FilterSerializer(serializers.Serializer):
        town = serializers.RegexField(
            r"^\d{9}$", required=False, help_text="A town's 9-digit division code."
        )
        village = id_filter()
        status = serializers.ChoiceField(choices=Household.Status.choices, required=False)
        search = QuerySearchField(
            search_path="/api/v1/households/search/",
            what="A member's name prefix, or the last 4 to 14 ID characters.",
        )

    class HouseholdCreateSerializer(InputSerializer):
        town = serializers.SlugRelatedField(
            slug_field="code",
            queryset=Town.objects.all(),
            help_text="The town's 9-digit division code.",
        )
        village = ScopedPrimaryKeyRelatedField(
            scope=selectors.villages_in_scope, model=Village, required=False, allow_null=True
        )
        address = StrictCharField(max_length=200)
        hukou_place = StrictCharField(max_length=200, required=False, allow_blank=True)
        members = MemberInputSerializer(many=True)
        reason = ReasonField(required=False, allow_blank=True)

    @extend_schema(
        operation_id="households_list",
        parameters=[FilterSerializer],
        responses=HouseholdSerializer(many=True),
    )
    def get(self, request):
        filters = self.filters(self.FilterSerializer)
        households = selectors.household_list(user=request.user, **filters)
        return self.paginated(households, HouseholdSerializer)

    @extend_schema(
        operation_id="households_create",
        request=HouseholdCreateSerializer,
        responses={201: HouseholdSerializer},
    )
    def post(self, request):
        serializer = self.HouseholdCreateSerializer(data=request.data, context={"request": request})
        if not serializer.is_valid():
            # Every problem in one answer: the registry's rules for what could be read, beside
            # the body's own errors (which win for their fields).
            data = valid_parts(serializer)
            members = data.get("members")
            rules = services.household_check(
                actor=request.user,
                town=data.get("town"),
                village=data.get("village"),
                address=data.get("address", ""),
                hukou_place=data.get("hukou_place", ""),
                members=[member_input(m) for m in members] if isinstance(members, list) else [],
            )
            raise serializers.ValidationError(merge_errors(serializer.errors, rules))
        data = serializer.validated_data
        household = services.household_create(
            actor=request.user,
            town=data["town"],
            village=data.get("village"),
            address=data["address"],
            hukou_place=data.get("hukou_place", ""),
            members=[member_input(member) for member in data["members"]],
            reason=data.get("reason") or None,
        )
        output = HouseholdSerializer(household_for_output(user=request.user, pk=household.pk))
        return Response(output.data, status=status.HTTP_201_CREATED)


class HouseholdDetailApi(CaseApi):
    """One household. PATCH changes address, village, household-registration place or status,
    with a reason that goes into the history."""

    class HouseholdUpdateSerializer(InputSerializer):
        reason = ReasonField()
        address = StrictCharField(max_length=200, required=False)
        village = ScopedPrimaryKeyRelatedField(
            scope=selectors.villages_in_scope, model=Village, required=False, allow_null=True
        )
        hukou_place = StrictCharField(max_length=200, required=False, allow_blank=True)
        status = serializers.ChoiceField(choices=Household.Status.choices, required=False)

    @extend_schema(
        operation_id="households_retrieve",
        responses=HouseholdSerializer,
    )
    def get(self, request, pk):
        return Response(HouseholdSerializer(household_for_output(user=request.user, pk=pk)).data)

    @extend_schema(
        operation_id="households_partial_update",
        request=HouseholdUpdateSerializer,
        responses=HouseholdSerializer,
    )
    def patch(self, request, pk):
        household = selectors.household_get(user=request.user, pk=pk)
        serializer = self.HouseholdUpdateSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        reason = changes.pop("reason")
        services.household_update(actor=request.user, household=household, reason=reason, **changes)
        return Response(HouseholdSerializer(household_for_output(user=request.user, pk=pk)).data)
