"""POST /api/v1/registry/extracts/ (201 imported, 400 rejected with every bad row, 200 already
imported) and the uploads' reports: a provider sees only its own uploads; administrators,
auditors and the city supervisor see all; case roles none."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from audit.models import Extract, RegistryRecord, Source
from tests.factories import AuthorisationFactory, PersonFactory, staff_user

pytestmark = pytest.mark.django_db
URL = "/api/v1/registry/extracts/"
HEADER = "身份证号,姓名,机构,余额,余额日期"


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def upload(client, text, source="deposits", period="2026-11", name="deposits.csv"):
    file = SimpleUploadedFile(name, text.encode(), content_type="text/csv")
    return client.post(URL, {"source": source, "period": period, "file": file}, format="multipart")


@pytest.fixture
def person():
    person = PersonFactory(name="李四")
    AuthorisationFactory(person=person, signer_name=person.name)
    return person


def test_upload_201_then_200_for_the_same_file(registry_provider, person):
    client = api(registry_provider)
    text = f"{HEADER}\n{person.id_number},李四,工商银行,100.00,2026-11-30\n"

    created = upload(client, text)

    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["state"], body["rows"], body["matched"], body["period"]) == (
        "imported",
        1,
        None,  # not shown to a provider (test_partner_access.py)
        "2026-11",
    )
    assert body["uploaded_by"] == registry_provider.username

    again = upload(client, text)

    assert again.status_code == 200 and again.json()["id"] == body["id"]
    assert RegistryRecord.objects.count() == 1


def test_upload_400_names_every_bad_row(registry_provider, person):
    text = f"{HEADER}\n{person.id_number},李四,工商银行,1.001,2026-11-30\n,李四,工商银行,1,2026-11-31\n"

    response = upload(api(registry_provider), text)

    assert response.status_code == 400
    body = response.json()
    assert body["extract"]["state"] == "rejected"
    assert [(e["field"], e["row"], e["column"]) for e in body["errors"]] == [
        ("file", 2, "余额"),
        ("file", 3, "身份证号"),
        ("file", 3, "余额日期"),
    ]
    assert not RegistryRecord.objects.exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [({"source": "nope"}, "source"), ({"period": "2026-13"}, "period")],
)
def test_upload_400_for_a_bad_source_or_period(registry_provider, data, field):
    params = {"source": "deposits", "period": "2026-11"} | data
    response = upload(api(registry_provider), HEADER + "\n", **params)

    assert response.status_code == 400 and field in response.json()


def test_case_roles_may_neither_upload_nor_read(worker_chashan, finance):
    for user in (worker_chashan, finance):
        client = api(user)
        assert upload(client, HEADER + "\n").status_code == 403
        assert client.get(URL).status_code == 403


def test_a_provider_sees_only_its_own_uploads(
    registry_provider, person, auditor, city_supervisor, administrator
):
    other = staff_user("provider-insurer", "registry_provider")
    other.registry_sources.add(Source.objects.get(code="deposits"))
    mine = upload(
        api(registry_provider), f"{HEADER}\n{person.id_number},李四,工行,1.00,2026-11-30\n"
    ).json()
    theirs = upload(
        api(other), f"{HEADER}\n{person.id_number},李四,工行,2.00,2026-11-30\n", period="2026-10"
    ).json()

    listed = api(registry_provider).get(URL).json()

    assert [row["id"] for row in listed["results"]] == [mine["id"]]
    assert api(registry_provider).get(f"{URL}{theirs['id']}/").status_code == 404
    assert api(registry_provider).get(f"{URL}{mine['id']}/").status_code == 200
    for user in (auditor, city_supervisor, administrator):
        ids = {row["id"] for row in api(user).get(URL).json()["results"]}
        assert ids == {mine["id"], theirs["id"]}
    # An auditor reads but does not upload.
    assert upload(api(auditor), HEADER + "\n").status_code == 403
    assert Extract.objects.count() == 2


def test_the_list_filters(registry_provider, person):
    client = api(registry_provider)
    upload(client, f"{HEADER}\n{person.id_number},李四,工行,1.00,2026-11-30\n")
    upload(client, f"{HEADER}\n{person.id_number},李四,工行,x,2026-11-30\n", period="2026-10")

    assert client.get(URL, {"state": "rejected"}).json()["count"] == 1
    assert client.get(URL, {"period": "2026-11"}).json()["results"][0]["state"] == "imported"
    assert client.get(URL, {"period": "2026-13"}).status_code == 400
