"""Documents: /api/v1/documents/ (list, multipart upload) and their download."""

from django.http import FileResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from relief.api import InputSerializer, ScopedPrimaryKeyRelatedField, id_filter, named_choice_field

from .. import selectors, services
from ..models import Document, Household, Person
from .base import CaseApi

DocumentKindField = named_choice_field(Document.Kind, "DocumentKindEnum")


class DocumentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    household = serializers.IntegerField(source="household_id")
    person = serializers.IntegerField(source="person_id", allow_null=True)
    kind = DocumentKindField()
    title = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField(help_text="Bytes.")
    sha256 = serializers.CharField()
    uploaded_by = serializers.CharField(source="uploaded_by.username")
    uploaded_at = serializers.DateTimeField()
    download_url = serializers.SerializerMethodField()

    def get_download_url(self, document) -> str:
        return reverse("api-document-download", kwargs={"pk": document.pk})


def documents(user):
    return selectors.documents_in_scope(user).select_related("uploaded_by")


class DocumentListApi(CaseApi):
    """GET: documents. POST (multipart): upload a PDF, JPEG or PNG for a household or member."""

    parser_classes = [MultiPartParser, FormParser]

    class FilterSerializer(serializers.Serializer):
        household = id_filter()
        person = id_filter()
        kind = DocumentKindField(required=False)

    class DocumentUploadSerializer(InputSerializer):
        household = ScopedPrimaryKeyRelatedField(
            scope=selectors.households_in_scope, model=Household
        )
        person = ScopedPrimaryKeyRelatedField(
            scope=selectors.persons_in_scope, model=Person, required=False, allow_null=True
        )
        kind = DocumentKindField(required=False)
        title = serializers.CharField(max_length=120, required=False, allow_blank=True)
        file = serializers.FileField(help_text="A PDF, JPEG or PNG file (checked by content).")

    @extend_schema(
        operation_id="documents_list",
        parameters=[FilterSerializer],
        responses=DocumentSerializer(many=True),
    )
    def get(self, request):
        filters = self.filters(self.FilterSerializer)
        rows = documents(request.user)
        if "household" in filters:
            rows = rows.filter(household_id=filters["household"])
        if "person" in filters:
            rows = rows.filter(person_id=filters["person"])
        if "kind" in filters:
            rows = rows.filter(kind=filters["kind"])
        return self.paginated(rows.order_by("-uploaded_at", "-id"), DocumentSerializer)

    @extend_schema(
        operation_id="documents_create",
        request={"multipart/form-data": DocumentUploadSerializer},
        responses={201: DocumentSerializer},
    )
    def post(self, request):
        serializer = self.DocumentUploadSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        document = services.document_upload(
            actor=request.user,
            household=data["household"],
            person=data.get("person"),
            upload=data["file"],
            title=data.get("title", ""),
            kind=data.get("kind") or Document.Kind.OTHER,
        )
        return Response(DocumentSerializer(document).data, status=status.HTTP_201_CREATED)


class DocumentDetailApi(CaseApi):
    """One document's details; the file itself is at download_url."""

    @extend_schema(operation_id="documents_retrieve", responses=DocumentSerializer)
    def get(self, request, pk):
        document = selectors.get_in_scope(documents(request.user), pk=pk)
        return Response(DocumentSerializer(document).data)


class DocumentDownloadApi(CaseApi):
    """The stored file, streamed, for a user who may see the document's household."""

    def perform_content_negotiation(self, request, force=False):
        # A client may ask for the file's own type (Accept: application/pdf); the file bypasses
        # renderers, and an error answer falls back to JSON instead of a 406.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        operation_id="documents_download",
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            (200, "image/jpeg"): OpenApiTypes.BINARY,
            (200, "image/png"): OpenApiTypes.BINARY,
        },
    )
    def get(self, request, pk):
        document = selectors.get_in_scope(documents(request.user), pk=pk)
        try:
            handle = document.file.open("rb")
        except FileNotFoundError:
            raise NotFound(_("The file of this document is missing from storage.")) from None
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=document.download_name,
            content_type=document.content_type,
        )
        response["Cache-Control"] = "private, no-store"
        return response
