"""Persons: /api/v1/persons/. ID numbers are masked; revealing one is an audited action."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from relief.api import (
    InputSerializer,
    NameField,
    OptionalBooleanField,
    ReasonField,
)

from .. import selectors, services
from ..models import Person
from ..permissions import CanViewCases
from .base import CaseApi, QuerySearchField


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    id_number = serializers.CharField(
        source="masked_id", help_text="Masked: first 6 + ******** + last 4."
    )
    birth_date = serializers.DateField()
    sex = serializers.ChoiceField(choices=Person.Sex.choices)
    disability_grade = serializers.ChoiceField(choices=Person.Disability.choices)
    disability_category = serializers.ChoiceField(choices=Person.DisabilityCategory.choices)
    serious_illness = serializers.BooleanField()
    employment_status = serializers.ChoiceField(choices=Person.Employment.choices)


def person_get(*, user, pk) -> Person:
    return selectors.get_in_scope(selectors.persons_in_scope(user), pk=pk)


class PersonListApi(CaseApi):
    """People with a membership (current or past) in a household the user may see."""

    class FilterSerializer(serializers.Serializer):
        search = QuerySearchField(
            search_path="/api/v1/persons/search/",
            what="A name prefix, or the last 4 to 14 ID characters.",
        )

    @extend_schema(
        operation_id="persons_list",
        parameters=[FilterSerializer],
        responses=PersonSerializer(many=True),
    )
    def get(self, request):
        filters = self.filters(self.FilterSerializer)
        persons = selectors.persons_in_scope(request.user)
        if filters.get("search", "").strip():
            persons = persons.filter(pk__in=selectors.matching_persons(filters["search"]))
        return self.paginated(persons.order_by("id"), PersonSerializer)


class PersonDetailApi(CaseApi):
    """One person, ID number masked. PATCH changes the name or person details, with a reason."""

    class PersonUpdateSerializer(InputSerializer):
        reason = ReasonField()
        name = NameField(max_length=50, required=False)
        disability_grade = serializers.ChoiceField(
            choices=Person.Disability.choices, required=False
        )
        disability_category = serializers.ChoiceField(
            choices=Person.DisabilityCategory.choices, required=False
        )
        serious_illness = OptionalBooleanField(required=False)
        employment_status = serializers.ChoiceField(
            choices=Person.Employment.choices, required=False
        )

    @extend_schema(operation_id="persons_retrieve", responses=PersonSerializer)
    def get(self, request, pk):
        return Response(PersonSerializer(person_get(user=request.user, pk=pk)).data)

    @extend_schema(
        operation_id="persons_partial_update",
        request=PersonUpdateSerializer,
        responses=PersonSerializer,
    )
    def patch(self, request, pk):
        person = person_get(user=request.user, pk=pk)
        serializer = self.PersonUpdateSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        reason = changes.pop("reason")
        person = services.person_update(actor=request.user, person=person, reason=reason, **changes)
        return Response(PersonSerializer(person).data)


class PersonRevealIdApi(CaseApi):
    """Show a person's full ID number. Every reveal is an audit event; finance officers may not
    reveal (DOMAIN.md §2), and the service says so with a 403."""

    # Revealing writes nothing to the registry, so readers (auditors) may ask; the service
    # decides which roles may reveal.
    permission_classes = [IsAuthenticated, CanViewCases]

    class IdNumberSerializer(serializers.Serializer):
        id_number = serializers.CharField(help_text=_("The full ID number."))

    @extend_schema(operation_id="persons_reveal_id", request=None, responses=IdNumberSerializer)
    def post(self, request, pk):
        person = person_get(user=request.user, pk=pk)
        number = services.id_number_reveal(actor=request.user, person=person, request=request)
        response = Response(self.IdNumberSerializer({"id_number": number}).data)
        response["Cache-Control"] = "no-store"
        return response
