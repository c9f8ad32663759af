"""Registry extracts: POST a partner's file (multipart: source, period, file) and read the
reports of uploads. Registry providers see their own uploads only; administrators, auditors
and the city supervisor see all (audit.selectors)."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from cases.permissions import can_upload_extracts, can_view_extracts
from relief.api import Api, InputSerializer, MonthField

from .. import imports, selectors
from ..models import Extract, Source


def already_text():
    return _("This file was already imported; nothing was changed.")


class CanUseExtracts(BasePermission):
    """Registry providers, administrators, auditors and the city supervisor read uploads;
    providers and administrators upload."""

    def has_permission(self, request, view):
        if request.method == "POST":
            return can_upload_extracts(request.user)
        return can_view_extracts(request.user)


class ExtractApi(Api):
    # Base of the extract endpoints (a comment: docstrings become descriptions).
    permission_classes = [IsAuthenticated, CanUseExtracts]


class ProblemSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="Spreadsheet row (1 is the header; 0: the file).")
    column = serializers.CharField(help_text="The column's header, or empty for the whole row.")
    rule = serializers.CharField()


class ExtractSerializer(serializers.ModelSerializer):
    source = serializers.CharField(source="source.code")
    period = serializers.DateField(format="%Y-%m")
    uploaded_by = serializers.CharField(source="uploaded_by.username", allow_null=True)
    replaced_by = serializers.PrimaryKeyRelatedField(read_only=True)
    errors = ProblemSerializer(many=True)

    # Shown to administrators, auditors and the city supervisor; null for a registry provider
    # (selectors.sees_match_counts: they would tell whether an ID number is someone's).
    MATCH_COUNTS = ("matched", "dropped_unknown", "set_aside_unauthorised", "names_differ")
    matched = serializers.IntegerField(allow_null=True, help_text="null for a registry provider")
    dropped_unknown = serializers.IntegerField(allow_null=True)
    set_aside_unauthorised = serializers.IntegerField(allow_null=True)
    names_differ = serializers.IntegerField(allow_null=True)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is None or not selectors.sees_match_counts(request.user):
            for name in self.MATCH_COUNTS:
                data[name] = None
        return data

    class Meta:
        model = Extract
        fields = [
            "id",
            "source",
            "period",
            "file_name",
            "sha256",
            "size",
            "keyed_by_hash",
            "state",
            "rows",
            "matched",
            "dropped_unknown",
            "set_aside_unauthorised",
            "names_differ",
            "errors",
            "replaced_by",
            "uploaded_by",
            "uploaded_at",
            "finished_at",
        ]


RejectedSerializer = inline_serializer(
    "ExtractRejected",
    {
        "detail": serializers.CharField(),
        "extract": ExtractSerializer(),
        "errors": inline_serializer(
            "ExtractProblem",
            {
                "field": serializers.CharField(),
                "row": serializers.IntegerField(),
                "column": serializers.CharField(),
                "rule": serializers.CharField(),
            },
            many=True,
        ),
    },
)


class ExtractListApi(ExtractApi):
    """GET: uploads with their reports. POST (multipart: source, period, file): import a
    partner's extract. 201: imported, with the report. 200: the same file was already imported;
    nothing changed. 400: rejected whole, every bad row named by row, column and rule."""

    parser_classes = [MultiPartParser, FormParser]

    class FilterSerializer(serializers.Serializer):
        source = serializers.SlugRelatedField(
            slug_field="code", queryset=Source.objects.all(), required=False
        )
        period = MonthField(required=False)
        state = serializers.ChoiceField(choices=Extract.State.choices, required=False)

    class UploadSerializer(InputSerializer):
        source = serializers.SlugRelatedField(
            slug_field="code", queryset=Source.objects.all(), help_text="e.g. deposits"
        )
        period = MonthField()
        file = serializers.FileField(help_text="CSV (UTF-8) or XLSX, REGISTRIES.md's format.")

    @extend_schema(
        operation_id="registry_extracts_list",
        parameters=[FilterSerializer],
        responses=ExtractSerializer(many=True),
    )
    def get(self, request):
        filters = self.filters(self.FilterSerializer)
        rows = selectors.extracts_visible(request.user)
        for name in ("source", "period", "state"):
            if name in filters:
                rows = rows.filter(**{name: filters[name]})
        return self.paginated(rows, ExtractSerializer)

    @extend_schema(
        operation_id="registry_extracts_create",
        request={"multipart/form-data": UploadSerializer},
        responses={
            201: ExtractSerializer,
            200: OpenApiResponse(
                ExtractSerializer,
                description="Already imported. When another account uploaded that file, only "
                "{detail}: its report is not shown.",
            ),
            400: RejectedSerializer,
        },
    )
    def post(self, request):
        data = self.validated(self.UploadSerializer)
        upload = data["file"]
        result = imports.extract_import(
            actor=request.user,
            source=data["source"],
            period=data["period"],
            file=upload,
            file_name=upload.name,
        )
        if result.already and not selectors.extracts_visible(request.user).filter(
            pk=result.extract.pk
        ):
            # Another account's upload: say only that it is there, never show its report.
            return Response({"detail": already_text()}, status=status.HTTP_200_OK)
        body = ExtractSerializer(result.extract, context={"request": request}).data
        if result.rejected:
            return Response(
                {
                    "detail": imports.rejected_text(result.problem_count),
                    "extract": body,
                    "errors": [{"field": "file", **error} for error in result.extract.errors],
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response(
            body, status=status.HTTP_200_OK if result.already else status.HTTP_201_CREATED
        )


class ExtractDetailApi(ExtractApi):
    """One upload and its report (for a rejected file, the bad rows)."""

    @extend_schema(operation_id="registry_extracts_retrieve", responses=ExtractSerializer)
    def get(self, request, pk):
        extract = selectors.extracts_visible(request.user).filter(pk=pk).first()
        if extract is None:
            raise NotFound
        return Response(ExtractSerializer(extract, context={"request": request}).data)
