"""Searching through the API with the term in the body (POST /api/v1/households/search/ and
/api/v1/persons/search/), so that an ID number stays out of URLs and access logs: the same
results, scope and masking as the lists' GET ?search=, for every role that reads cases."""

import pytest
from rest_framework.test import APIClient

from tests.factories import household_with_members

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def head_of(household):
    return household.memberships.get(relation="head").person


@pytest.fixture
def households(db):
    return {slug: household_with_members(slug) for slug in ("chashan", "dalang")}


@pytest.mark.parametrize("persona", ["worker_chashan", "auditor", "finance", "city_supervisor"])
def test_a_household_is_found_by_its_heads_id_number_in_the_body(request, households, persona):
    head = head_of(households["chashan"])
    client = client_for(request.getfixturevalue(persona))

    response = client.post("/api/v1/households/search/", {"search": head.id_number}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert [row["id"] for row in body["results"]] == [households["chashan"].pk]
    assert body["count"] == 1
    assert head.id_number not in response.content.decode()  # masked, as in the list
    assert head.masked_id in response.content.decode()


def test_the_search_is_scoped_to_the_users_towns(worker_chashan, households):
    head = head_of(households["dalang"])

    response = client_for(worker_chashan).post(
        "/api/v1/households/search/", {"search": head.id_number}, format="json"
    )

    assert response.json()["results"] == []


def test_the_list_filters_apply_and_unknown_fields_are_refused(city_supervisor, households):
    head = head_of(households["chashan"])
    client = client_for(city_supervisor)

    other_town = client.post(
        "/api/v1/households/search/",
        {"search": head.id_number, "town": "441900113"},
        format="json",
    )
    typo = client.post(
        "/api/v1/households/search/", {"search": head.id_number, "twon": "x"}, format="json"
    )
    missing = client.post("/api/v1/households/search/", {}, format="json")

    assert other_town.json()["results"] == []
    assert typo.status_code == 400 and "twon" in typo.json()
    assert missing.status_code == 400 and "search" in missing.json()


def test_a_person_is_found_by_id_number_in_the_body(worker_chashan, households):
    head = head_of(households["chashan"])

    response = client_for(worker_chashan).post(
        "/api/v1/persons/search/", {"search": head.id_number[-6:]}, format="json"
    )

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [head.pk]


def test_the_administrator_reads_no_case_data_by_searching(administrator, households):
    head = head_of(households["chashan"])

    response = client_for(administrator).post(
        "/api/v1/households/search/", {"search": head.id_number}, format="json"
    )

    assert response.status_code == 403


def test_the_api_documentation_says_to_post_an_id_number(client, worker_chashan):
    client.force_login(worker_chashan)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    assert "post" in schema["paths"]["/api/v1/households/search/"]
    assert "post" in schema["paths"]["/api/v1/persons/search/"]
    list_parameters = schema["paths"]["/api/v1/households/"]["get"]["parameters"]
    search = next(p for p in list_parameters if p["name"] == "search")
    assert "/api/v1/households/search/" in search["description"]
