"""Bank files and bank returns of a batch: /api/v1/payment-batches/{id}/bank-file/ (the file),
.../bank-files/ (the export records) and .../returns/ (import a return; the records)."""

from django.http import StreamingHttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from relief.api import InputSerializer, id_filter, money_field, named_choice_field

from .. import selectors
from ..bankfiles import CONTENT_TYPES, bank_file_export
from ..models import BankFile, BankFileLayout
from ..returns import MAX_RETURN_BYTES, Outcome, ReturnResult, bank_return_import
from .base import PaymentsApi

BankFileFormatField = named_choice_field(BankFile.Format, "BankFileFormatEnum")
ReturnOutcomeField = named_choice_field(Outcome, "BankReturnOutcomeEnum")


class BankFileSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    batch = serializers.IntegerField(source="batch_id")
    format = BankFileFormatField()
    layout = serializers.IntegerField(source="layout_id")
    layout_name = serializers.CharField(source="layout.name")
    sha256 = serializers.CharField()
    size = serializers.IntegerField(help_text="Bytes.")
    rows = serializers.IntegerField(help_text="Rows (序号) in the file, the totals line apart.")
    total_amount = money_field()
    exported_by = serializers.CharField(source="exported_by.username")
    exported_at = serializers.DateTimeField()


class BankReturnSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    batch = serializers.IntegerField(source="batch_id")
    sha256 = serializers.CharField()
    file_name = serializers.CharField()
    rows = serializers.IntegerField()
    paid_rows = serializers.IntegerField()
    failed_rows = serializers.IntegerField()
    paid_amount = money_field()
    failed_amount = money_field()
    imported_by = serializers.CharField(
        source="imported_by.username",
        allow_null=True,
        help_text="Empty when imported on the command line without --user.",
    )
    imported_at = serializers.DateTimeField()


class ReturnProblemSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="Row in the file (1 = header; 0 = the whole file).")
    column = serializers.CharField(help_text="The column's header; empty for the whole row.")
    rule = serializers.CharField()


class ReturnResultSerializer(serializers.Serializer):
    outcome = ReturnOutcomeField(
        help_text="imported; repeat (the same file again: nothing changed); rejected (nothing "
        "changed: see problems).",
    )
    batch = serializers.IntegerField(source="batch.pk")
    sha256 = serializers.CharField()
    rows = serializers.IntegerField()
    paid_rows = serializers.IntegerField()
    failed_rows = serializers.IntegerField()
    paid_lines = serializers.IntegerField(
        help_text="Payment lines paid, as the reconciliation counts them (a row may hold "
        "several lines of one payee)."
    )
    failed_lines = serializers.IntegerField(help_text="Payment lines failed.")
    paid_amount = money_field()
    failed_amount = money_field()
    repayments = serializers.IntegerField(help_text="Recovery repayments from paid deductions.")
    settled_backpays = serializers.IntegerField(help_text="Back-pay orders settled.")
    bank_return = BankReturnSerializer(allow_null=True)
    problems = serializers.SerializerMethodField()

    def get_problems(self, result) -> list[dict]:
        return ReturnProblemSerializer(result.report.sorted(), many=True).data


class BatchBankFileApi(PaymentsApi):
    """The batch's bank file, with full account and ID numbers (finance only; every download is
    an audit event and a bank-file record). Layout and totals line: docs/bank-files.md."""

    class QuerySerializer(InputSerializer):
        format = BankFileFormatField(required=False, default=BankFile.Format.CSV)
        layout = id_filter(help_text="A bank-file layout's id; the default layout if absent.")

    def perform_content_negotiation(self, request, force=False):
        # `format` names the file's format here, not a DRF renderer: the file bypasses
        # renderers, and an error answer falls back to JSON.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        operation_id="payment_batches_bank_file",
        parameters=[QuerySerializer],
        responses={
            (200, "text/csv"): OpenApiTypes.BINARY,
            (200, CONTENT_TYPES[BankFile.Format.XLSX]): OpenApiTypes.BINARY,
            403: OpenApiResponse(description="Only the finance officer exports bank files."),
            400: OpenApiResponse(description="The batch is not approved, or a bad parameter."),
        },
    )
    def get(self, request, pk):
        batch = selectors.batch_get(user=request.user, pk=pk)
        query = self.filters(self.QuerySerializer)
        layout = None
        if "layout" in query:
            layout = BankFileLayout.objects.filter(pk=query["layout"]).first()
            if layout is None:
                raise serializers.ValidationError({"layout": [_("No such bank-file layout.")]})
        fmt = query.get("format", BankFile.Format.CSV)
        name, chunks, _record = bank_file_export(
            actor=request.user, batch=batch, fmt=fmt, layout=layout, request=request
        )
        response = StreamingHttpResponse(chunks, content_type=CONTENT_TYPES[fmt])
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        response["Cache-Control"] = "private, no-store"
        return response


class BatchBankFileListApi(PaymentsApi):
    """The bank files exported for the batch: who, when, the SHA-256 and size of each."""

    @extend_schema(
        operation_id="payment_batches_bank_files_list", responses=BankFileSerializer(many=True)
    )
    def get(self, request, pk):
        batch = selectors.batch_get(user=request.user, pk=pk)
        rows = BankFile.objects.filter(batch=batch).select_related("layout", "exported_by")
        return self.paginated(rows.order_by("-id"), BankFileSerializer)


class BatchReturnListApi(PaymentsApi):
    """GET: the bank returns imported for the batch. POST (multipart, finance): import the bank's
    return file (CSV or XLSX: the bank file plus 状态 and 失败原因), whole or not at all: 201
    imported, 200 the same file again (nothing changed), 400 rejected with every problem."""

    parser_classes = [MultiPartParser, FormParser]

    class ReturnUploadSerializer(InputSerializer):
        file = serializers.FileField(help_text="The bank's return file, .csv or .xlsx.")

    @extend_schema(
        operation_id="payment_batches_returns_list", responses=BankReturnSerializer(many=True)
    )
    def get(self, request, pk):
        batch = selectors.batch_get(user=request.user, pk=pk)
        rows = batch.returns.select_related("imported_by").order_by("-id")
        return self.paginated(rows, BankReturnSerializer)

    @extend_schema(
        operation_id="payment_batches_returns_create",
        request={"multipart/form-data": ReturnUploadSerializer},
        responses={
            201: ReturnResultSerializer,
            200: ReturnResultSerializer,
            400: OpenApiResponse(
                ReturnResultSerializer,
                description="Rejected (outcome and problems), or the batch is not sent.",
            ),
            403: OpenApiResponse(description="Only the finance officer imports bank returns."),
        },
    )
    def post(self, request, pk):
        batch = selectors.batch_get(user=request.user, pk=pk)
        serializer = self.ReturnUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        if upload.size > MAX_RETURN_BYTES:
            raise serializers.ValidationError(
                {
                    "file": [
                        _("The file is larger than %(max)d MB.") % {"max": MAX_RETURN_BYTES >> 20}
                    ]
                }
            )
        result = bank_return_import(
            actor=request.user,
            batch=batch,
            file_name=upload.name,
            content=upload.read(),
            request=request,
        )
        code = {
            ReturnResult.IMPORTED: status.HTTP_201_CREATED,
            ReturnResult.REPEAT: status.HTTP_200_OK,
            ReturnResult.REJECTED: status.HTTP_400_BAD_REQUEST,
        }[result.outcome]
        return Response(ReturnResultSerializer(result).data, status=code)
