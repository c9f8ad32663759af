"""A registry provider (a partner agency's account) sees its own uploads' reports and the
upload form, nothing else: no case page, no payment page, no API endpoint but the registry
ones, not even the reference data (calendar, towns, villages, income types) that every member
of staff reads. Walked over every URL pattern, so that a page added later is covered too."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

# What a partner may open: its pages (audit/middleware.py) and the API's token endpoints and
# registry endpoints; the public notice board needs no login at all.
PARTNER_PATHS = re.compile(
    r"^/(|accounts/.*|i18n/.*|audit/extracts/.*|api/schema/|api/docs/|public/notices/"
    r"|api/v1/auth/token/.*|api/v1/registry/.*)$"
)
CONVERTERS = re.compile(r"<(?:(\w+):)?\w+>")
SAMPLE = {
    "int": "1",
    "str": "x",
    "slug": "x",
    "path": "x",
    "uuid": "00000000-0000-0000-0000-000000000000",
}


def _paths(patterns, prefix=""):
    for entry in patterns:
        route = str(entry.pattern)
        if route.startswith("^"):  # a regex pattern (the admin site): checked on its own below
            continue
        route = CONVERTERS.sub(lambda m: SAMPLE.get(m.group(1) or "str", "x"), route)
        if isinstance(entry, URLResolver):
            yield from _paths(entry.url_patterns, prefix + route)
        elif isinstance(entry, URLPattern):
            yield "/" + prefix + route


def every_path():
    return sorted(
        {path for path in _paths(get_resolver().url_patterns) if not PARTNER_PATHS.match(path)}
    )


def test_the_walk_finds_the_case_and_reference_pages():
    paths = every_path()
    for expected in [
        "/cases/households/",
        "/api/v1/towns/",
        "/api/v1/calendar/days/",
        "/payments/batches/",
    ]:
        assert expected in paths


@pytest.mark.django_db
def test_a_provider_opens_no_page_but_its_own(registry_provider):
    client = APIClient()
    client.force_login(registry_provider)
    opened = []
    for path in every_path():
        status = client.get(path).status_code
        if status not in (403, 404, 405):
            opened.append((path, status))
    assert opened == []
    assert client.get("/admin/").status_code == 403
    assert client.get("/admin/cases/household/").status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/calendar/days/",
        "/api/v1/calendar/workdays/?start=2026-01-05&add=1",
        "/api/v1/towns/",
        "/api/v1/villages/",
        "/api/v1/income-types/",
        "/api/v1/households/",
    ],
)
def test_a_provider_token_reaches_no_reference_endpoint(registry_provider, path):
    client = APIClient()
    client.force_authenticate(registry_provider)

    assert client.get(path).status_code == 403


@pytest.mark.django_db
def test_staff_still_read_the_reference_data(worker_chashan, administrator):
    for user in (worker_chashan, administrator):
        client = APIClient()
        client.force_authenticate(user)
        assert client.get("/api/v1/towns/").status_code == 200
        assert client.get("/api/v1/calendar/days/").status_code == 200


@pytest.mark.django_db
def test_a_provider_starts_on_its_uploads_and_sees_only_that_link(registry_provider):
    client = APIClient()
    client.force_login(registry_provider)

    response = client.get("/", follow=True)

    assert response.redirect_chain[-1][0] == "/audit/extracts/"
    html = response.content.decode()
    assert 'data-testid="nav-extracts"' in html
    assert "/cases/" not in html and "/payments/" not in html


# A provider delivers only its sources and learns nothing of who Relief knows ------------------

HEADER = "身份证号,姓名,机构,余额,余额日期"


def _upload(client, text, source="deposits"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    file = SimpleUploadedFile("deposits.csv", text.encode(), content_type="text/csv")
    return client.post(
        "/api/v1/registry/extracts/",
        {"source": source, "period": "2026-11", "file": file},
        format="multipart",
    )


@pytest.fixture
def insurer(db):
    """A provider of the insurance source only."""
    from audit.models import Source
    from tests.factories import staff_user

    user = staff_user("provider-insurer", "registry_provider")
    user.registry_sources.set(Source.objects.filter(code="insurance"))
    return user


@pytest.fixture
def known_person(db):
    from tests.factories import AuthorisationFactory, PersonFactory

    person = PersonFactory(name="李四")
    AuthorisationFactory(person=person, signer_name=person.name)
    return person


@pytest.mark.django_db
def test_a_provider_may_not_upload_another_agencys_source(insurer, known_person):
    from audit.models import Extract

    client = APIClient()
    client.force_authenticate(insurer)

    response = _upload(client, f"{HEADER}\n{known_person.id_number},李四,工行,1.00,2026-11-30\n")

    assert response.status_code == 400
    assert list(response.json()) == ["source"]
    assert "deposits" in response.json()["source"][0]
    assert not Extract.objects.exists()


@pytest.mark.django_db
def test_the_upload_form_lists_only_the_providers_sources(insurer, known_person):
    from audit.models import Extract, Source

    client = APIClient()
    client.force_login(insurer)

    html = client.get("/audit/extracts/upload/").content.decode()

    insurance, deposits = Source.objects.get(code="insurance"), Source.objects.get(code="deposits")
    assert f'value="{insurance.pk}"' in html and f'value="{deposits.pk}"' not in html
    from django.core.files.uploadedfile import SimpleUploadedFile

    file = SimpleUploadedFile(
        "d.csv", f"{HEADER}\n{known_person.id_number},李四,工行,1,2026-11-30\n".encode()
    )
    response = client.post(
        "/audit/extracts/upload/", {"source": deposits.pk, "period": "2026-11", "file": file}
    )
    assert response.status_code == 200 and not Extract.objects.exists()


@pytest.mark.django_db
def test_a_providers_report_does_not_tell_who_is_known(
    registry_provider, administrator, auditor, known_person
):
    client = APIClient()
    client.force_authenticate(registry_provider)
    body = _upload(client, f"{HEADER}\n{known_person.id_number},别名,工行,1.00,2026-11-30\n").json()

    counts = ("matched", "dropped_unknown", "set_aside_unauthorised", "names_differ")
    url = f"/api/v1/registry/extracts/{body['id']}/"
    for shown in (
        body,
        client.get(url).json(),
        client.get("/api/v1/registry/extracts/").json()["results"][0],
    ):
        assert shown["rows"] == 1 and shown["state"] == "imported"
        assert [shown[name] for name in counts] == [None, None, None, None]
    for user in (administrator, auditor):
        staff = APIClient()
        staff.force_authenticate(user)
        assert [staff.get(url).json()[name] for name in counts] == [1, 0, 0, 1]
    from django.test import Client

    page = Client(headers={"accept-language": "en"})
    page.force_login(registry_provider)
    for path in ("/audit/extracts/", f"/audit/extracts/{body['id']}/"):
        html = page.get(path).content.decode()
        assert 'data-testid="extract-matched"' not in html and "Matched" not in html


@pytest.mark.django_db
def test_the_same_file_of_another_uploader_shows_no_report(
    registry_provider, administrator, known_person
):
    text = f"{HEADER}\n{known_person.id_number},李四,工行,1.00,2026-11-30\n"
    staff = APIClient()
    staff.force_authenticate(administrator)
    theirs = _upload(staff, text).json()
    client = APIClient()
    client.force_authenticate(registry_provider)

    response = _upload(client, text)

    assert response.status_code == 200
    assert set(response.json()) == {"detail"}
    assert str(theirs["id"]) not in response.content.decode()
    # The page says the same and goes back to the provider's own list, not to the report.
    from django.core.files.uploadedfile import SimpleUploadedFile

    from audit.models import Source

    client.force_login(registry_provider)
    page = client.post(
        "/audit/extracts/upload/",
        {
            "source": Source.objects.get(code="deposits").pk,
            "period": "2026-11",
            "file": SimpleUploadedFile("d.csv", text.encode()),
        },
    )
    assert page.status_code == 302 and page["Location"] == "/audit/extracts/"
