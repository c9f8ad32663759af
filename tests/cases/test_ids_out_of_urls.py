"""An ID number never stays in a URL (issue 10, items 1 and 10): URLs are written into access
logs, browser histories and Referer headers. A list page or export given one in ?search=
(however its digits are written: ASCII, full-width, Arabic-Indic, superscript) moves it to a
session key at once (relief/search.py); the API's GET ?search= refuses it with a 400 naming the
field and the rule, pointing to the POST search."""

import pytest
from django.urls import reverse

from tests.cases.test_api import client_for
from tests.cases.test_idnumbers_everywhere import (
    HEAD_ID,
    arabic_indic,
    full_width,
    register_by_api,
)

pytestmark = pytest.mark.django_db

SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def superscript(number: str) -> str:
    return number.translate(SUPERSCRIPT)


FORMS = {
    "ascii": lambda n: n,
    "full-width": full_width,
    "arabic-indic": arabic_indic,
    "superscript": superscript,
}
PAGES = ["cases:household-list", "cases:household-export", "cases:application-list"]


@pytest.fixture
def registered(worker_chashan):
    assert register_by_api(worker_chashan, HEAD_ID).status_code == 201


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("page", PAGES)
def test_a_page_moves_an_id_number_in_its_url_to_a_session_key(
    client, worker_chashan, registered, page, form
):
    client.force_login(worker_chashan)
    typed = FORMS[form](HEAD_ID)
    url = reverse(page)

    response = client.get(url, {"search": typed})

    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(url + "?q=")
    assert "search" not in location and HEAD_ID[-4:] not in location
    assert client.get(location).status_code == 200


def test_the_export_at_its_key_holds_the_person_found(client, worker_chashan, registered):
    client.force_login(worker_chashan)

    response = client.get(
        reverse("cases:household-export"), {"search": superscript(HEAD_ID)}, follow=True
    )

    assert response.status_code == 200
    assert "李明" in response.getvalue().decode("utf-8-sig")


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("endpoint", ["/api/v1/households/", "/api/v1/persons/"])
def test_the_api_refuses_an_id_number_in_get_search(worker_chashan, registered, endpoint, form):
    response = client_for(worker_chashan).get(endpoint, {"search": FORMS[form](HEAD_ID)})

    assert response.status_code == 400
    [message] = response.json()["search"]
    assert "ID number" in message and "/search/" in message and "access logs" in message


@pytest.mark.parametrize(
    "term", ["1" * 15, "¹" * 15, "x" + "٣" * 16 + "y", "44" + "²" * 13, HEAD_ID[:-1]]
)
def test_the_api_refuses_any_run_of_digits_long_enough_to_be_an_id_number(worker_chashan, term):
    response = client_for(worker_chashan).get("/api/v1/persons/", {"search": term})

    assert response.status_code == 400
    assert "search" in response.json()


@pytest.mark.parametrize("term", ["李", HEAD_ID[-6:], full_width(HEAD_ID[-4:]), "1" * 14])
def test_the_api_still_searches_by_name_and_by_the_tail_of_a_number(
    worker_chashan, registered, term
):
    response = client_for(worker_chashan).get("/api/v1/households/", {"search": term})

    assert response.status_code == 200


def test_the_post_search_finds_what_the_get_refuses(worker_chashan, registered):
    client = client_for(worker_chashan)

    response = client.post(
        "/api/v1/persons/search/", {"search": superscript(HEAD_ID)}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_the_schema_documents_the_refusal(worker_chashan):
    schema = (
        client_for(worker_chashan)
        .get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
        .json()
    )

    for path in ("/api/v1/households/", "/api/v1/persons/"):
        [search] = [p for p in schema["paths"][path]["get"]["parameters"] if p["name"] == "search"]
        assert "refused" in search["description"] and "/search/" in search["description"]
