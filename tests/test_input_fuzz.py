"""Fuzz: no input a person or a client can send ends in a 500. Every HTML list page and export
with odd values in each of its filters; control characters (NUL above all, which PostgreSQL
refuses in text) in addresses, filters and posted forms, answered 400 naming the parameter
(relief/request_checks.py); every API filter of the schema; JSON nested 100,000 deep to every
API endpoint that takes a body (relief/api_parsers.py); and hostile files to every import, the caseload
and the bank's return. Run it on PostgreSQL too (DATABASE_URL): that is where NUL used to fail."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from cases.models import HouseholdImport, Role
from payments.models import Batch
from tests.factories import approved_grant, staff_user, town
from tests.payments.bank_helpers import batch_with_rows
from tests.relief.test_tabular_limits import (
    PARTS,
    crafted_xlsx,
    header_row,
    twenty_million_empty_rows,
)

pytestmark = pytest.mark.django_db

CONTROL = {"nul": "\x00", "nul inside": "茶山\x00镇", "escape": "\x1b[2J", "line feed": "a\nb"}
ODD = {
    "superscript digit": "²",
    "ethiopic digit": "፩",
    "arabic-indic digits": "٤٤١٩٠٠١٠٣",
    "full-width digits": "４４１９",
    "beyond 64 bits": "9" * 30,
    "5,000 digits": "9" * 5000,
    "negative": "-1",
    "markup and quotes": "'\"<script>",
    "formula": "=HYPERLINK(1)",
    "month 0000-03": "0000-03",
    "lone percent": "%",
}


@pytest.fixture
def world(db):
    """Something behind every page: a household with a grant, a sent batch."""
    grant = approved_grant()
    batch, _grants = batch_with_rows(("1600.00",), state=Batch.State.SENT)
    return {"household": grant.household, "grant": grant, "batch": batch}


@pytest.fixture
def supervisor(db):
    return staff_user("supervisor", Role.CITY_SUPERVISOR)


def pages(world) -> dict[str, list[str]]:
    """Every list page and export with its filters."""
    household, batch = world["household"].pk, world["batch"].pk
    return {
        reverse("cases:household-list"): ["search", "town", "village", "status", "page"],
        reverse("cases:household-export"): ["search", "town", "village", "status"],
        reverse("cases:household-create"): ["members"],
        reverse("cases:household-history", args=[household]): ["page"],
        reverse("cases:application-list"): ["state", "scheme", "household", "page"],
        reverse("cases:grant-list"): ["state", "scheme", "town", "household", "page"],
        reverse("cases:standard-change-list"): ["state", "page"],
        reverse("cases:my-work"): ["clocks", "page", "schedule"],
        reverse("cases:approval-queue"): ["page"],
        reverse("cases:dashboard"): ["page"],
        reverse("cases:inbox"): ["unread", "page"],
        reverse("public-notices"): ["town"],
        reverse("payments:batch-list"): ["period", "town", "state", "kind", "page"],
        reverse("payments:batch-detail", args=[batch]): ["page"],
        reverse("payments:batch-reconciliation", args=[batch]): ["page"],
        reverse("payments:run-list"): ["page"],
        reverse("payments:recovery-list"): ["show", "state", "fraud", "method", "page"],
        reverse("payments:backpay-list"): ["show", "state", "fraud", "method", "page"],
        reverse("payments:city-totals"): ["start", "end"],
        reverse("payments:city-totals-csv"): ["start", "end"],
        reverse("payments:household-ledger", args=[household]): ["start", "end"],
    }


def test_no_odd_filter_value_on_any_list_page_or_export_is_a_500(client, supervisor, world):
    client.force_login(supervisor)
    for url, params in pages(world).items():
        for param in params:
            for case, value in ODD.items():
                response = client.get(url, {param: value})

                assert response.status_code < 500, (url, param, case)


def test_a_control_character_in_any_filter_is_a_400_naming_it(client, supervisor, world):
    client.force_login(supervisor)
    for url, params in pages(world).items():
        for param in params:
            for case, value in CONTROL.items():
                response = client.get(url, {param: value})

                assert response.status_code == 400, (url, param, case)
                assert f"“{param}” contains a control character" in response.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/cases/notices/%00/print/",
        "/cases/notices/441900103%00/1/print/",
        "/cases/households/%00/",
        "/cases/imports/template.%00",
        "/payments/batches/1/bank-file/%00/",
        "/api/v1/households/%00/",
        "/%00",
    ],
)
def test_a_control_character_in_the_address_is_a_400(client, supervisor, url):
    client.force_login(supervisor)

    response = client.get(url)

    assert response.status_code == 400
    assert "The address contains a control character" in response.content.decode()


@pytest.mark.parametrize(
    "url, data",
    [
        (
            "cases:household-create",
            {"town": "1", "address": "茶山\x00", "members-TOTAL_FORMS": "1"},
        ),
        ("cases:import-upload", {"town": "\x00"}),
        ("login", {"username": "admin\x00", "password": "x"}),
        ("set_language", {"language": "en\x00", "next": "/"}),
    ],
)
def test_a_posted_form_field_with_nul_is_a_400(client, supervisor, url, data):
    client.force_login(supervisor)

    response = client.post(reverse(url), data)

    assert response.status_code == 400
    assert "contains a control character (such as NUL)" in response.content.decode()


def test_posted_forms_keep_tabs_and_line_breaks(client, supervisor, world):
    client.force_login(supervisor)
    household = world["household"]

    response = client.post(
        reverse("cases:household-edit", args=[household.pk]),
        {"address": "茶山镇\t南社村", "status": "active", "reason": "搬迁\r\n新地址"},
    )

    assert response.status_code == 302
    household.refresh_from_db()
    assert household.address == "茶山镇\t南社村"


def test_an_uploaded_file_name_with_nul_is_stored_without_it(
    client, supervisor, django_capture_on_commit_callbacks
):
    client.force_login(supervisor)
    upload = SimpleUploadedFile("case\x00load.csv", b"household_ref\r\nH1\r\n")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("cases:import-upload"), {"town": town("chashan").pk, "file": upload}
        )

    assert response.status_code in (302, 400)
    assert all("\x00" not in i.file_name for i in HouseholdImport.objects.all())


# The API ---------------------------------------------------------------------------------------


def api_client(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def operations(client, methods: set[str]) -> list[tuple[str, str, list[str]]]:
    """(path with ids filled in, method, query parameter names) of every API operation (the
    schema is for signed-in users)."""
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    found = []
    for path, item in schema.json()["paths"].items():
        for method, operation in item.items():
            if method in methods:
                names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
                found.append((path.replace("{id}", "1"), method, names))
    return found


def test_every_api_filter_refuses_a_control_character_and_survives_odd_values(supervisor, world):
    client = api_client(supervisor)
    checked = 0
    for path, _method, names in operations(client, {"get"}):
        for name in names:
            refused = client.get(path, {name: "\x00"})
            assert refused.status_code == 400, (path, name)
            assert name in refused.json(), (path, name)
            for case, value in ODD.items():
                response = client.get(path, {name: value})
                assert response.status_code < 500, (path, name, case)
            checked += 1
    assert checked > 40


DEEP = "[" * 100_000 + "]" * 100_000
DEEP_IN_AN_OBJECT = '{"members": ' + "[" * 100_000 + "]" * 100_000 + "}"


def test_deeply_nested_json_to_any_api_endpoint_is_never_a_500(supervisor, world):
    client = api_client(supervisor)
    refused = 0
    for path, method, _names in operations(client, {"post", "put", "patch"}):
        for body in (DEEP, DEEP_IN_AN_OBJECT):
            response = getattr(client, method)(path, body, content_type="application/json")

            assert response.status_code < 500, (path, method)
            if response.status_code == 400 and "nested more than 64" in str(response.json()):
                refused += 1
    assert refused > 20


@pytest.mark.parametrize(
    "path", ["/api/v1/households/", "/api/v1/payee-accounts/", "/api/v1/auth/token/"]
)
def test_deeply_nested_json_is_a_400_naming_the_rule(supervisor, path):
    response = api_client(supervisor).post(path, DEEP, content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "The JSON body is nested more than 64 levels deep (arrays and objects); no "
        "request needs that many."
    }


def test_json_nested_within_the_limit_and_brackets_in_strings_are_read(supervisor):
    from relief.api_parsers import json_depth_exceeds

    assert not json_depth_exceeds(b'{"a": "' + b"[" * 1000 + b'", "b": [[[1]]]}')
    assert not json_depth_exceeds(b'{"a": "\\"[[[[", "b": 1}')
    assert json_depth_exceeds(b"[" * 65 + b"]" * 65)
    assert not json_depth_exceeds(b"[" * 64 + b"]" * 64)


def test_a_nul_in_a_json_field_is_a_400_on_that_field(supervisor):
    body = {"town": "441900103", "address": "茶山\u0000", "members": []}

    response = api_client(supervisor).post("/api/v1/households/", body, format="json")

    assert response.status_code == 400
    assert "address" in response.json()


# Imports ---------------------------------------------------------------------------------------


def zipped(parts: dict[str, bytes | str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return out.getvalue()


HOSTILE_FILES = {
    "empty.csv": b"",
    "only a BOM.csv": b"\xef\xbb\xbf",
    "NUL bytes.csv": b"\x00" * 1000,
    "NUL in the header.csv": b"household_ref,na\x00me\r\nH1,x\r\n",
    "control characters.csv": b"household_ref,name\r\nH1,\x1b[2J\x07\r\n",
    "escape in a header.csv": b"household_ref,\x1bname\r\nH1,x\r\n",
    "UTF-16.csv": "household_ref,name\r\nH1,陈大文\r\n".encode("utf-16"),
    "a field over the csv limit.csv": b'household_ref\r\n"' + b"x" * 200_000 + b'"\r\n',
    "an unclosed quote.csv": b'household_ref,name\r\nH1,"x\r\n',
    "carriage returns only.csv": b"household_ref,name\rH1,x\r",
    "a 20,000-character header.csv": b"x" * 20_000 + b"\r\nH1\r\n",
    "=HYPERLINK.csv": b'household_ref,name\r\n=HYPERLINK("x"),@SUM(1)\r\n',
    "not a zip.xlsx": b"PK\x03\x04 not really a zip",
    "a zip without a workbook.xlsx": zipped({"hello.txt": "hi"}),
    "garbage XML.xlsx": zipped({**PARTS, "xl/worksheets/sheet1.xml": "<worksheet><sheetData><"}),
    "an XML entity bomb.xlsx": zipped(
        {
            **PARTS,
            "xl/worksheets/sheet1.xml": (
                '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
                + "".join(
                    f'<!ENTITY {c} "{("&" + p + ";") * 10}">'
                    for p, c in zip("abcdefg", "bcdefgh", strict=True)
                )
                + ']><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                '<sheetData><row><c t="inlineStr"><is><t>&h;</t></is></c></row></sheetData>'
                "</worksheet>"
            ),
        }
    ),
    "deep XML.xlsx": crafted_xlsx(first="<x>" * 50_000 + "</x>" * 50_000),
    "the old xls.xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500,
    "a formula-only sheet.xlsx": crafted_xlsx(
        first=header_row("household_ref") + '<row r="2"><c r="A2"><f>1/0</f></c></row>'
    ),
    # Bombs and odd values (relief/tabular/reading.py refuses them before reading far).
    "20,000,000 empty rows.xlsx": twenty_million_empty_rows("household_ref", "name"),
    "a 1,000-column sheet.xlsx": crafted_xlsx(
        rows=200,
        row_xml=b"<row>" + b"<c><v>1</v></c>" * 1000 + b"</row>",
        first=header_row("household_ref"),
    ),
    "odd unicode.csv": (
        "household_ref,name,id_number,amount\r\n"
        "H1,\u202e陈\u200b大文\ufeff,４４１９²፩,１６００.００\r\n"
        "H2,\U0001f600,\u0663\u0664,\u00b9\u00b2\u00b3\r\n"
    ).encode("utf-8"),
    "huge values.csv": b"household_ref,members,amount\r\nH1,"
    + b"9" * 5000
    + b","
    + b"9" * 5000
    + b".99\r\n",
}


@pytest.mark.parametrize("name", HOSTILE_FILES)
def test_a_hostile_caseload_file_is_rejected_not_a_500(
    client, django_capture_on_commit_callbacks, name
):
    worker = staff_user("worker-chashan", Role.CASE_WORKER, "chashan")
    client.force_login(worker)
    upload = SimpleUploadedFile(name, HOSTILE_FILES[name])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("cases:import-upload"), {"town": town("chashan").pk, "file": upload}
        )

    assert response.status_code < 500
    if response.status_code == 302:
        household_import = HouseholdImport.objects.get()
        assert household_import.status == HouseholdImport.Status.REJECTED
        assert household_import.errors
        assert client.get(response.url).status_code == 200


@pytest.mark.parametrize("name", HOSTILE_FILES)
def test_a_hostile_bank_return_is_rejected_not_a_500(client, finance, name):
    batch, _grants = batch_with_rows(("1600.00",), state=Batch.State.SENT)
    client.force_login(finance)

    response = client.post(
        reverse("payments:batch-return-upload", args=[batch.pk]),
        {"return-file": SimpleUploadedFile(name, HOSTILE_FILES[name])},
    )

    assert response.status_code == 400, response.status_code
    batch.refresh_from_db()
    assert batch.state == Batch.State.SENT


@pytest.mark.parametrize("name", HOSTILE_FILES)
def test_a_hostile_bank_return_through_the_api_is_a_400_not_a_500(finance, name):
    batch, _grants = batch_with_rows(("1600.00",), state=Batch.State.SENT)

    response = api_client(finance).post(
        f"/api/v1/payment-batches/{batch.pk}/returns/",
        {"file": SimpleUploadedFile(name, HOSTILE_FILES[name])},
        format="multipart",
    )

    assert response.status_code == 400, response.status_code
    batch.refresh_from_db()
    assert batch.state == Batch.State.SENT
