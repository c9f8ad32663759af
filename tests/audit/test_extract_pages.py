"""The extract pages: the list (own uploads for a provider, all for administrators, auditors and
the city supervisor), the report of one upload with the bad rows of a rejected file, the upload
form (its progress bar is static/js/extract-upload.js) and the administrators' match request."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from audit.models import Extract, MatchRequest, Source
from tests.factories import PersonFactory, staff_user

pytestmark = pytest.mark.django_db
HEADER = "身份证号,姓名,机构,余额,余额日期"


def signed_in(user):
    client = Client(headers={"accept-language": "en"})
    client.force_login(user)
    return client


def post_file(client, text, period="2026-11"):
    deposits = Source.objects.get(code="deposits")
    file = SimpleUploadedFile("deposits.csv", text.encode(), content_type="text/csv")
    return client.post(
        "/audit/extracts/upload/",
        {"source": deposits.pk, "period": period, "file": file},
        follow=True,
    )


def test_a_provider_uploads_and_reads_the_report(registry_provider, administrator):
    person = PersonFactory()
    client = signed_in(registry_provider)
    page = client.get("/audit/extracts/upload/")
    assert page.status_code == 200
    assert 'src="/static/js/extract-upload.js"' in page.content.decode()
    assert 'data-testid="upload-progress"' in page.content.decode()

    response = post_file(client, f"{HEADER}\n{person.id_number},,工行,1.00,2026-11-30\n")

    extract = Extract.objects.get()
    assert response.redirect_chain[-1][0] == f"/audit/extracts/{extract.pk}/"
    html = response.content.decode()
    assert 'data-testid="extract-rows">1<' in html
    assert "The extract was imported." in html
    # The matched counts are for the bureau, not for the partner (they would reveal who is
    # known): see test_partner_access.py.
    assert 'data-testid="extract-matched"' not in html
    admin_html = signed_in(administrator).get(f"/audit/extracts/{extract.pk}/").content.decode()
    assert 'data-testid="extract-matched">1<' in admin_html

    again = post_file(client, f"{HEADER}\n{person.id_number},,工行,1.00,2026-11-30\n")
    assert "already imported" in again.content.decode()


def test_a_rejected_upload_shows_every_bad_row(registry_provider):
    client = signed_in(registry_provider)

    response = post_file(client, f"{HEADER}\n,,工行,1.001,2026-11-30\n")

    html = response.content.decode()
    assert 'data-testid="extract-errors"' in html
    assert "a value is required" in html and "at most two decimals" in html


def test_a_bad_month_is_named_on_the_form(registry_provider):
    response = post_file(signed_in(registry_provider), HEADER + "\n", period="11/2026")

    assert response.status_code == 200
    assert "write the month as YYYY-MM" in response.content.decode()
    assert not Extract.objects.exists()


def test_the_list_shows_a_provider_its_own_uploads_only(
    registry_provider, auditor, city_supervisor
):
    other = staff_user("provider-insurer", "registry_provider")
    other.registry_sources.add(Source.objects.get(code="deposits"))
    post_file(signed_in(registry_provider), f"{HEADER}\n,,工行,1.00,2026-11-30\n")
    post_file(signed_in(other), f"{HEADER}\n,,工行,2.00,2026-11-30\n", period="2026-10")
    mine, theirs = Extract.objects.order_by("pk")

    html = signed_in(registry_provider).get("/audit/extracts/").content.decode()

    assert f'data-testid="extract-{mine.pk}"' in html
    assert f'data-testid="extract-{theirs.pk}"' not in html
    assert signed_in(registry_provider).get(f"/audit/extracts/{theirs.pk}/").status_code == 404
    for user in (auditor, city_supervisor):
        html = signed_in(user).get("/audit/extracts/").content.decode()
        assert f'data-testid="extract-{theirs.pk}"' in html
        assert 'data-testid="nav-extracts"' in html
        assert signed_in(user).get("/audit/extracts/upload/").status_code == 403


def test_case_workers_and_finance_see_no_extracts(worker_chashan, finance):
    for user in (worker_chashan, finance):
        client = signed_in(user)
        assert client.get("/audit/extracts/").status_code == 403
        assert 'data-testid="nav-extracts"' not in client.get("/cases/households/").content.decode()


def test_an_administrator_downloads_the_match_request(administrator, registry_provider):
    client = signed_in(administrator)
    assert 'data-testid="match-request"' in client.get("/audit/extracts/").content.decode()

    response = client.post("/audit/extracts/match-request/", {"period": "2026-11", "hashed": "on"})

    assert response.status_code == 200
    assert (
        response["Content-Disposition"] == 'attachment; filename="match-request-2026-11-hashed.csv"'
    )
    assert response.content.decode().splitlines()[0] == "身份证号哈希"
    assert MatchRequest.objects.get().created_by == administrator
    # Nobody else may write one, a provider least of all.
    assert (
        signed_in(registry_provider)
        .post("/audit/extracts/match-request/", {"period": "2026-11"})
        .status_code
        == 403
    )
    assert (
        'data-testid="match-request"'
        not in signed_in(registry_provider).get("/audit/extracts/").content.decode()
    )
