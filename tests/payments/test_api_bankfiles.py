"""/api/v1/payment-batches/{id}/bank-file/, .../bank-files/ and .../returns/."""

import hashlib
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from openpyxl import load_workbook
from rest_framework.test import APIClient

from payments.models import BankFile, BankReturn, Batch
from relief.models import AuditEvent
from tests.payments.bank_helpers import answered, batch_with_rows, read_csv, return_csv

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def bank_file_url(batch, query="") -> str:
    return f"/api/v1/payment-batches/{batch.pk}/bank-file/{query}"


def returns_url(batch) -> str:
    return f"/api/v1/payment-batches/{batch.pk}/returns/"


def upload(content: bytes, name="return.csv"):
    return {"file": SimpleUploadedFile(name, content, content_type="text/csv")}


def download(user, batch, query="") -> tuple[int, bytes, object]:
    response = api(user).get(bank_file_url(batch, query))
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return response.status_code, content, response


def sent(finance, batch) -> list[list[str]]:
    status, content, _response = download(finance, batch)
    assert status == 200
    Batch.objects.filter(pk=batch.pk).update(state=Batch.State.SENT)
    return read_csv(content)


def test_finance_downloads_the_csv_bank_file(finance):
    batch, _grants = batch_with_rows()

    status, content, response = download(finance, batch, "?format=csv")

    assert status == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="relief-batch-{batch.pk}-{batch.town.code}-2026-12-monthly.csv"'
    )
    assert response["Cache-Control"] == "private, no-store"
    assert read_csv(content)[-1][:3] == ["合计", "3", "4030.50"]
    record = BankFile.objects.get()
    assert record.sha256 == hashlib.sha256(content).hexdigest()
    assert AuditEvent.objects.get(action="export").ip == "127.0.0.1"


def test_finance_downloads_the_xlsx_bank_file(finance):
    batch, _grants = batch_with_rows()
    status, content, response = download(finance, batch, "?format=xlsx")
    assert status == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    assert next(sheet.iter_rows(values_only=True))[0] == "序号"


def test_csv_is_the_default_format(finance):
    batch, _grants = batch_with_rows()
    status, content, _response = download(finance, batch)
    assert status == 200 and content.startswith(b"\xef\xbb\xbf")


@pytest.mark.parametrize("persona", ["supervisor_chashan", "city_supervisor", "auditor"])
def test_other_roles_get_403_for_the_bank_file(persona, request):
    batch, _grants = batch_with_rows()
    status, _content, _response = download(request.getfixturevalue(persona), batch)
    assert status == 403
    assert not BankFile.objects.exists()


def test_another_towns_batch_is_404(worker_dalang):
    batch, _grants = batch_with_rows()
    assert download(worker_dalang, batch)[0] == 404
    assert api(worker_dalang).get(returns_url(batch)).status_code == 404


def test_a_bad_format_or_layout_or_state_is_400(finance):
    batch, _grants = batch_with_rows()
    status, content, _response = download(finance, batch, "?format=pdf")
    assert status == 400 and b"format" in content
    status, content, _response = download(finance, batch, "?layout=999")
    assert status == 400 and b"layout" in content
    Batch.objects.filter(pk=batch.pk).update(state=Batch.State.SUBMITTED)
    status, content, _response = download(finance, batch)
    assert status == 400 and b"state" in content


def test_the_bank_file_records_are_listed(finance, auditor):
    batch, _grants = batch_with_rows()
    download(finance, batch)
    download(finance, batch, "?format=xlsx")

    response = api(auditor).get(f"/api/v1/payment-batches/{batch.pk}/bank-files/")

    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["format"] for r in results] == ["xlsx", "csv"]
    assert results[1]["exported_by"] == "finance"
    assert results[1]["rows"] == 3 and results[1]["total_amount"] == "4030.50"


def test_finance_imports_a_return_201_then_a_repeat_is_200(finance):
    batch, _grants = batch_with_rows()
    content = return_csv(answered(sent(finance, batch), {3: ("失败", "账户冻结")}))

    response = api(finance).post(returns_url(batch), upload(content), format="multipart")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["outcome"] == "imported"
    assert (body["paid_rows"], body["failed_rows"]) == (2, 1)
    assert (body["paid_amount"], body["failed_amount"]) == ("3050.00", "980.50")
    assert body["bank_return"]["imported_by"] == "finance"
    assert body["problems"] == []

    again = api(finance).post(returns_url(batch), upload(content), format="multipart")
    assert again.status_code == 200
    assert again.json()["outcome"] == "repeat"
    assert BankReturn.objects.count() == 1


def test_a_rejected_return_is_400_with_every_problem(finance):
    batch, _grants = batch_with_rows()
    rows = answered(sent(finance, batch))
    rows[0][2] = "6222999999999999"

    response = api(finance).post(returns_url(batch), upload(return_csv(rows)), format="multipart")

    assert response.status_code == 400
    body = response.json()
    assert body["outcome"] == "rejected"
    assert body["problems"] == [
        {
            "row": 2,
            "column": "账号",
            "rule": "the account number does not match the batch's row 序号 1 (****0001)",
        }
    ]
    assert not BankReturn.objects.exists()


def test_a_return_for_a_batch_not_sent_is_400(finance):
    batch, _grants = batch_with_rows()
    response = api(finance).post(returns_url(batch), upload(b"x"), format="multipart")
    assert response.status_code == 400
    assert "batch" in response.json()


def test_a_return_without_a_file_is_400(finance):
    batch, _grants = batch_with_rows()
    response = api(finance).post(returns_url(batch), {}, format="multipart")
    assert response.status_code == 400
    assert "file" in response.json()


@pytest.mark.parametrize("persona", ["supervisor_chashan", "auditor"])
def test_other_roles_get_403_for_a_return(finance, persona, request):
    batch, _grants = batch_with_rows()
    content = return_csv(answered(sent(finance, batch)))
    response = api(request.getfixturevalue(persona)).post(
        returns_url(batch), upload(content), format="multipart"
    )
    assert response.status_code == 403
    assert not BankReturn.objects.exists()


def test_the_returns_are_listed_for_the_towns_roles(finance, worker_chashan):
    batch, _grants = batch_with_rows()
    content = return_csv(answered(sent(finance, batch)))
    api(finance).post(returns_url(batch), upload(content, "bank-12.csv"), format="multipart")

    response = api(worker_chashan).get(returns_url(batch))

    assert response.status_code == 200
    [record] = response.json()["results"]
    assert (record["file_name"], record["paid_rows"], record["paid_amount"]) == (
        "bank-12.csv",
        3,
        "4030.50",
    )


def test_the_endpoints_are_in_the_schema():
    out = io.StringIO()
    call_command("spectacular", "--format", "openapi-json", stdout=out)
    paths = json.loads(out.getvalue())["paths"]
    file_responses = paths["/api/v1/payment-batches/{id}/bank-file/"]["get"]["responses"]["200"]
    assert set(file_responses["content"]) == {
        "text/csv",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }
    assert file_responses["content"]["text/csv"]["schema"] == {
        "type": "string",
        "format": "binary",
    }
    assert (
        "multipart/form-data"
        in paths["/api/v1/payment-batches/{id}/returns/"]["post"]["requestBody"]["content"]
    )
    assert "/api/v1/payment-batches/{id}/bank-files/" in paths
