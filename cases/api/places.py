"""Towns and villages: /api/v1/towns/ (public configuration, all towns) and /api/v1/villages/
(the villages of the user's towns)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated

from relief.api import NotPartnerAccount

from .. import selectors
from ..models import Town
from .base import CaseApi


class TownSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="9-digit division code.")
    name = serializers.CharField()
    type = serializers.ChoiceField(choices=Town.Type.choices)
    slug = serializers.CharField()
    valid_from = serializers.DateField()
    valid_to = serializers.DateField(allow_null=True)


class TownListApi(CaseApi):
    """Every town (public configuration), with its 9-digit division code."""

    permission_classes = [IsAuthenticated, NotPartnerAccount]

    @extend_schema(operation_id="towns_list", responses=TownSerializer(many=True))
    def get(self, request):
        return self.paginated(Town.objects.order_by("code"), TownSerializer)


class VillageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    town = serializers.CharField(source="town.code")
    name = serializers.CharField()
    kind = serializers.CharField(help_text="village or community")
    code = serializers.CharField()
    valid_from = serializers.DateField(allow_null=True)
    valid_to = serializers.DateField(allow_null=True)


class VillageListApi(CaseApi):
    """Villages and communities of the towns the user may see (none for an administrator, who
    manages them in the admin site)."""

    permission_classes = [IsAuthenticated, NotPartnerAccount]

    class FilterSerializer(serializers.Serializer):
        town = serializers.RegexField(r"^\d{9}$", required=False)

    @extend_schema(
        operation_id="villages_list",
        parameters=[FilterSerializer],
        responses=VillageSerializer(many=True),
    )
    def get(self, request):
        filters = self.filters(self.FilterSerializer)
        villages = selectors.villages_in_scope(request.user).order_by("town__code", "name")
        if "town" in filters:
            villages = villages.filter(town__code=filters["town"])
        return self.paginated(villages, VillageSerializer)
