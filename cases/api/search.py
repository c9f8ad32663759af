"""Searches with the term in the request body: POST /api/v1/households/search/ and
POST /api/v1/persons/search/. A URL (and so a GET's ?search=) is written into access logs,
proxies' logs and browser histories; a full ID number belongs in a body. Same results, scope
and masking as the lists; `?page=N` pages through them."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated

from relief.api import Api, InputSerializer, StrictCharField, id_filter

from .. import selectors
from ..models import Household
from ..permissions import CanViewCases
from .households import HouseholdSerializer
from .persons import PersonSerializer

SEARCH_HELP = (
    "A member's name prefix, a full ID number (15 or 18 characters), or the last 4 or more "
    "ID characters."
)


def page_of(name: str, serializer) -> serializers.Serializer:
    return inline_serializer(
        name=name,
        fields={
            "count": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": serializer(many=True),
        },
    )


class SearchApi(Api):
    # Reading, though POSTed: every role that reads cases may search (a comment, not a
    # docstring: docstrings become the endpoints' descriptions in the schema).
    permission_classes = [IsAuthenticated, CanViewCases]


class HouseholdSearchApi(SearchApi):
    """Households of the user's towns whose members match `search`, with the list's filters.
    Use this rather than GET /households/?search= for an ID number: the term stays out of the
    URL, and so out of access logs."""

    class HouseholdSearchSerializer(InputSerializer):
        search = StrictCharField(max_length=50, help_text=SEARCH_HELP)
        town = serializers.RegexField(
            r"^\d{9}$", required=False, help_text="A town's 9-digit division code."
        )
        village = id_filter()
        status = serializers.ChoiceField(choices=Household.Status.choices, required=False)

    @extend_schema(
        operation_id="households_search",
        request=HouseholdSearchSerializer,
        responses=page_of("PaginatedHouseholdSearchList", HouseholdSerializer),
    )
    def post(self, request):
        filters = {
            k: v for k, v in self.validated(self.HouseholdSearchSerializer).items() if v != ""
        }
        households = selectors.household_list(user=request.user, **filters)
        return self.paginated(households, HouseholdSerializer)


class PersonSearchApi(SearchApi):
    """People with a membership in a household the user may see who match `search`. Use this
    rather than GET /persons/?search= for an ID number: the term stays out of the URL."""

    class PersonSearchSerializer(InputSerializer):
        search = StrictCharField(max_length=50, help_text=SEARCH_HELP)

    @extend_schema(
        operation_id="persons_search",
        request=PersonSearchSerializer,
        responses=page_of("PaginatedPersonSearchList", PersonSerializer),
    )
    def post(self, request):
        term = self.validated(self.PersonSearchSerializer)["search"]
        persons = selectors.persons_in_scope(request.user).filter(
            pk__in=selectors.matching_persons(term)
        )
        return self.paginated(persons.order_by("id"), PersonSerializer)
