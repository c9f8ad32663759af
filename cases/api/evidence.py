"""Dated evidence: /api/v1/income-lines/, /api/v1/assets/ and the income-type table.

Evidence is never deleted or edited in place: it is recorded, and it ends on a date
(POST .../{id}/end/). Money is in yuan, sent and returned as strings with 2 decimals."""

from decimal import Decimal

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from relief.api import (
    InputSerializer,
    NotPartnerAccount,
    OptionalBooleanField,
    ReasonField,
    ScopedPrimaryKeyRelatedField,
    id_filter,
    money_field,
    named_choice_field,
)

from .. import selectors, services
from ..models import Asset, Household, IncomeType, Person
from ..models.evidence import Source
from .base import CaseApi

AssetKindField = named_choice_field(Asset.Kind, "AssetKindEnum")


class EvidenceFilterSerializer(serializers.Serializer):
    household = id_filter()
    person = id_filter()


class EvidenceInputSerializer(InputSerializer):
    """Fields every kind of evidence has."""

    household = ScopedPrimaryKeyRelatedField(scope=selectors.households_in_scope, model=Household)
    person = ScopedPrimaryKeyRelatedField(
        scope=selectors.persons_in_scope,
        model=Person,
        required=False,
        allow_null=True,
        help_text="The member it concerns; empty for the household as a whole.",
    )
    valid_from = serializers.DateField()
    valid_to = serializers.DateField(required=False, allow_null=True)
    source = serializers.ChoiceField(choices=Source.choices, required=False)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)
    reason = ReasonField(required=False, allow_blank=True)


class EvidenceEndSerializer(InputSerializer):
    valid_to = serializers.DateField(help_text="The last day the evidence holds.")
    reason = ReasonField()


class EvidenceApi(CaseApi):
    """List, record and end one kind of evidence; subclasses name the kind."""

    output_serializer: type[serializers.Serializer]

    def rows(self):
        """The user's rows of this kind, from a cases.selectors *_in_scope function."""
        raise NotImplementedError

    def list_response(self):
        filters = self.filters(EvidenceFilterSerializer)
        rows = self.rows().order_by("household_id", "valid_from", "id")
        if "household" in filters:
            rows = rows.filter(household_id=filters["household"])
        if "person" in filters:
            rows = rows.filter(person_id=filters["person"])
        return self.paginated(rows, self.output_serializer)

    def end_response(self, pk):
        evidence = selectors.get_in_scope(self.rows(), pk=pk)
        serializer = EvidenceEndSerializer(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        evidence = services.evidence_end(
            actor=self.request.user, evidence=evidence, **serializer.validated_data
        )
        return Response(self.output_serializer(evidence).data)


# Income lines


class IncomeLineSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    household = serializers.IntegerField(source="household_id")
    person = serializers.IntegerField(source="person_id", allow_null=True)
    income_type = serializers.CharField(source="income_type.code")
    income_type_name = serializers.CharField(source="income_type.name")
    counted = serializers.BooleanField(source="income_type.counted")
    monthly_amount = money_field()
    valid_from = serializers.DateField()
    valid_to = serializers.DateField(allow_null=True)
    source = serializers.ChoiceField(choices=Source.choices)
    note = serializers.CharField()
    created_at = serializers.DateTimeField()


class IncomeLineApi(EvidenceApi):
    output_serializer = IncomeLineSerializer

    def rows(self):
        return selectors.income_lines_in_scope(self.request.user).select_related("income_type")


class IncomeLineListApi(IncomeLineApi):
    """GET: income lines. POST: record a monthly income from a date."""

    class IncomeLineCreateSerializer(EvidenceInputSerializer):
        income_type = serializers.SlugRelatedField(
            slug_field="code",
            queryset=IncomeType.objects.all(),
            help_text="An income type's code (GET /api/v1/income-types/).",
        )
        monthly_amount = money_field(min_value=Decimal("0.00"))

    @extend_schema(
        operation_id="income_lines_list",
        parameters=[EvidenceFilterSerializer],
        responses=IncomeLineSerializer(many=True),
    )
    def get(self, request):
        return self.list_response()

    @extend_schema(
        operation_id="income_lines_create",
        request=IncomeLineCreateSerializer,
        responses={201: IncomeLineSerializer},
    )
    def post(self, request):
        serializer = self.IncomeLineCreateSerializer(
            data=request.data, context={"request": request}
        )
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        line = services.income_line_create(
            actor=request.user,
            household=fields.pop("household"),
            reason=fields.pop("reason", ""),
            **fields,
        )
        return Response(IncomeLineSerializer(line).data, status=status.HTTP_201_CREATED)


class IncomeLineDetailApi(IncomeLineApi):
    """One income line."""

    @extend_schema(operation_id="income_lines_retrieve", responses=IncomeLineSerializer)
    def get(self, request, pk):
        return Response(IncomeLineSerializer(selectors.get_in_scope(self.rows(), pk=pk)).data)


class IncomeLineEndApi(IncomeLineApi):
    """The income stops holding after `valid_to`; history keeps the line."""

    @extend_schema(
        operation_id="income_lines_end",
        request=EvidenceEndSerializer,
        responses=IncomeLineSerializer,
    )
    def post(self, request, pk):
        return self.end_response(pk)


# Assets


class AssetSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    household = serializers.IntegerField(source="household_id")
    person = serializers.IntegerField(source="person_id", allow_null=True)
    kind = AssetKindField()
    value = money_field()
    units = serializers.IntegerField()
    description = serializers.CharField()
    exempt = serializers.BooleanField()
    valid_from = serializers.DateField()
    valid_to = serializers.DateField(allow_null=True)
    source = serializers.ChoiceField(choices=Source.choices)
    note = serializers.CharField()
    created_at = serializers.DateTimeField()


class AssetApi(EvidenceApi):
    output_serializer = AssetSerializer

    def rows(self):
        return selectors.assets_in_scope(self.request.user)


class AssetListApi(AssetApi):
    """GET: assets. POST: record an asset from a date."""

    class AssetCreateSerializer(EvidenceInputSerializer):
        kind = AssetKindField()
        value = money_field(min_value=Decimal("0.00"), required=False)
        units = serializers.IntegerField(min_value=0, max_value=2**31 - 1, required=False)
        description = serializers.CharField(max_length=200, required=False, allow_blank=True)
        exempt = OptionalBooleanField(required=False)

    @extend_schema(
        operation_id="assets_list",
        parameters=[EvidenceFilterSerializer],
        responses=AssetSerializer(many=True),
    )
    def get(self, request):
        return self.list_response()

    @extend_schema(
        operation_id="assets_create",
        request=AssetCreateSerializer,
        responses={201: AssetSerializer},
    )
    def post(self, request):
        serializer = self.AssetCreateSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        asset = services.asset_create(
            actor=request.user,
            household=fields.pop("household"),
            reason=fields.pop("reason", ""),
            **fields,
        )
        return Response(AssetSerializer(asset).data, status=status.HTTP_201_CREATED)


class AssetDetailApi(AssetApi):
    """One asset."""

    @extend_schema(operation_id="assets_retrieve", responses=AssetSerializer)
    def get(self, request, pk):
        return Response(AssetSerializer(selectors.get_in_scope(self.rows(), pk=pk)).data)


class AssetEndApi(AssetApi):
    """The asset stops holding after `valid_to`; history keeps it."""

    @extend_schema(
        operation_id="assets_end",
        request=EvidenceEndSerializer,
        responses=AssetSerializer,
    )
    def post(self, request, pk):
        return self.end_response(pk)


# Income types: configuration, readable by every signed-in user.


class IncomeTypeSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    counted = serializers.BooleanField(help_text="Whether this income counts in the means test.")
    note = serializers.CharField()


class IncomeTypeListApi(CaseApi):
    """The income-type table: which incomes count in the means test (configuration)."""

    permission_classes = [IsAuthenticated, NotPartnerAccount]

    @extend_schema(operation_id="income_types_list", responses=IncomeTypeSerializer(many=True))
    def get(self, request):
        return self.paginated(IncomeType.objects.order_by("code"), IncomeTypeSerializer)
