"""CSV export of the household list: the list's filters and scope, masked IDs, UTF-8 with a
BOM for Excel, streamed, and an audit event."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from relief.models import AuditEvent
from tests.cases.test_views import build_registry
from tests.factories import PersonFactory, household_with_members


@pytest.fixture
def registry(db, django_user_model):
    return build_registry(django_user_model)


EXPORT = reverse("cases:household-export")


def export(client, **params):
    response = client.get(EXPORT, params)
    assert response.status_code == 200
    assert response.streaming
    body = b"".join(response.streaming_content)
    return response, body


def rows_of(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_export_is_utf8_with_bom_and_masks_ids(client, worker_chashan, registry):
    client.force_login(worker_chashan)
    response, body = export(client)
    assert body.startswith(b"\xef\xbb\xbf")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    rows = rows_of(body)
    assert len(rows) == 2  # header and the one 茶山 household
    header, row = rows
    assert row[0] == str(registry.chashan.pk)
    assert row[1] == "茶山"
    assert row[3] == "李南社"
    assert row[4] == registry.chashan_head.masked_id
    assert row[5] == "2"
    assert row[6] == "茶山镇南社村1号"
    assert registry.chashan_head.id_number not in body.decode("utf-8-sig")
    assert registry.dalang_head.masked_id not in body.decode("utf-8-sig")


def test_export_applies_the_lists_filters_and_records_them(client, city_supervisor, registry):
    client.force_login(city_supervisor)
    _response, body = export(client, town="441900113", search="王水")
    rows = rows_of(body)
    assert [r[0] for r in rows[1:]] == [str(registry.dalang.pk)]
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert event.actor == city_supervisor
    assert event.actor_username == "supervisor"
    assert event.data["what"] == "households"
    assert event.data["rows"] == 1
    assert event.data["filters"] == {
        "search": "王水",
        "town": "441900113",
        "village": "",
        "status": "",
        "scheme": "",
        "grant_state": "",
        "recheck": "",
    }


def test_export_records_the_row_count_of_the_users_scope(client, worker_dalang, registry):
    client.force_login(worker_dalang)
    export(client)
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert event.actor == worker_dalang
    assert event.data["rows"] == 1


def test_list_page_links_to_the_export_with_the_same_filters(client, worker_chashan, registry):
    client.force_login(worker_chashan)
    content = client.get(
        reverse("cases:household-list"), {"search": "李", "status": "active"}
    ).content.decode()
    assert f"{EXPORT}?search=%E6%9D%8E&amp;status=active" in content


def test_export_neutralises_spreadsheet_formulas(client, worker_chashan, db):
    household = household_with_members("chashan", size=1, address="=HYPERLINK(1)")
    head = household.memberships.get().person
    head.name = "+SUM(A1)"
    head.save()
    client.force_login(worker_chashan)
    _response, body = export(client)
    row = rows_of(body)[1]
    assert row[3] == "'+SUM(A1)"
    assert row[6] == "'=HYPERLINK(1)"


def test_export_queries_do_not_grow_with_the_rows(client, worker_chashan, db):
    client.force_login(worker_chashan)
    for _ in range(3):
        household_with_members("chashan", size=2)
    with CaptureQueriesContext(connection) as few:
        export(client)
    for _ in range(40):
        household_with_members("chashan", size=2)
    PersonFactory()  # not a member of anything: not exported
    with CaptureQueriesContext(connection) as many:
        _response, body = export(client)
    assert len(rows_of(body)) == 44
    assert len(many) == len(few)


def test_export_with_an_invalid_filter_exports_nothing_and_shows_the_error(
    client, worker_chashan, registry
):
    client.force_login(worker_chashan)
    response = client.get(EXPORT, {"town": "441900113"})
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:household-list") + "?town=441900113"
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


def test_administrator_cannot_export(client, administrator, registry):
    client.force_login(administrator)
    assert client.get(EXPORT).status_code == 403
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()
