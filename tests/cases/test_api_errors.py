"""No request ends in a 500: malformed bodies and parameters get a 400 naming the field."""

import pytest
from rest_framework.test import APIClient

from tests.cases.test_api import HEAD_ID, client_for, head_of, household_body, member
from tests.factories import IncomeLineFactory


def first_member(**changes) -> dict:
    return household_body(member("李明", HEAD_ID) | changes)


# (body, the top-level field the error must name, and where under it if nested)
HOUSEHOLD_BODIES = {
    "members not a list": (household_body() | {"members": "李明"}, "members"),
    "members an object": (household_body() | {"members": {"name": "李明"}}, "members"),
    "a member not an object": (household_body() | {"members": ["李明"]}, "members"),
    "id_number a number": (first_member(id_number=110105194912310021), "members"),
    "id_number null": (first_member(id_number=None), "members"),
    "name a list": (first_member(name=["李", "明"]), "members"),
    "unknown relation": (first_member(relation="cousin"), "members"),
    "impossible joining date": (first_member(joined_on="2024-02-30"), "members"),
    "joining date not a date": (first_member(joined_on="yesterday"), "members"),
    "disability grade out of range": (first_member(disability_grade=9), "members"),
    "serious illness not a boolean": (first_member(serious_illness="maybe"), "members"),
    "unknown member field": (first_member(sex="M"), "members"),
    "missing town": ({"address": "x", "members": [member("李明", HEAD_ID)]}, "town"),
    "unknown town": (household_body(member("李明", HEAD_ID), town_code="441900999"), "town"),
    "town a list": (household_body(member("李明", HEAD_ID)) | {"town": ["441900103"]}, "town"),
    "town an object": (household_body(member("李明", HEAD_ID)) | {"town": {"code": 1}}, "town"),
    "missing address": (
        {"town": "441900103", "members": [member("李明", HEAD_ID)]},
        "address",
    ),
    "blank address": (household_body(member("李明", HEAD_ID)) | {"address": "  "}, "address"),
    "address a number": (household_body(member("李明", HEAD_ID)) | {"address": 12}, "address"),
    "village not an id": (household_body(member("李明", HEAD_ID)) | {"village": "南社"}, "village"),
    "village unknown": (household_body(member("李明", HEAD_ID)) | {"village": 999999}, "village"),
    "village too large": (household_body(member("李明", HEAD_ID)) | {"village": 10**30}, "village"),
    "unknown field": (household_body(member("李明", HEAD_ID)) | {"village_id": 1}, "village_id"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", HOUSEHOLD_BODIES)
def test_malformed_household_body_is_a_400_naming_the_field(worker_chashan, case):
    body, field = HOUSEHOLD_BODIES[case]

    response = client_for(worker_chashan).post("/api/v1/households/", body, format="json")

    assert response.status_code == 400, response.content
    assert field in response.json()


@pytest.mark.django_db
def test_member_errors_are_nested_per_member(worker_chashan):
    body = household_body(member("李明", HEAD_ID), {"name": "李红", "relation": "spouse"})

    response = client_for(worker_chashan).post("/api/v1/households/", body, format="json")

    assert response.status_code == 400
    assert response.json() == {"members": [{}, {"id_number": ["This field is required."]}]}


@pytest.mark.django_db
def test_id_number_sent_as_a_number_is_a_type_error_on_that_member(worker_chashan):
    response = client_for(worker_chashan).post(
        "/api/v1/households/", first_member(id_number=110105194912310021), format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["members"][0]) == ["id_number"]


RAW_BODIES = {
    "malformed JSON": "{not json",
    "truncated JSON": '{"town": "441900103", "members": [',
    "a JSON list": "[]",
    "a JSON string": '"household"',
    "JSON null": "null",
    "a JSON number": "12",
    "empty body": "",
    "invalid UTF-8": b"\xff\xfe{",
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", RAW_BODIES)
@pytest.mark.parametrize(
    "url", ["/api/v1/households/", "/api/v1/memberships/", "/api/v1/income-lines/"]
)
def test_unparseable_or_wrongly_shaped_json_is_a_400(worker_chashan, case, url):
    response = client_for(worker_chashan).post(
        url, RAW_BODIES[case], content_type="application/json"
    )

    assert response.status_code == 400, response.content
    assert isinstance(response.json(), dict)


@pytest.mark.django_db
def test_unsupported_content_type_is_a_415(worker_chashan):
    response = client_for(worker_chashan).post(
        "/api/v1/households/", "<household/>", content_type="application/xml"
    )

    assert response.status_code == 415


@pytest.mark.django_db
def test_document_upload_as_json_is_a_415(worker_chashan, chashan_household):
    response = client_for(worker_chashan).post(
        "/api/v1/documents/", {"household": chashan_household.pk}, format="json"
    )

    assert response.status_code == 415


@pytest.fixture
def bad_requests(chashan_household):
    """Every other endpoint with something wrong in it: (method, url, body, field)."""
    hh = chashan_household.pk
    head = head_of(chashan_household)
    membership = chashan_household.memberships.get(relation="child").pk
    line = IncomeLineFactory(household=chashan_household).pk
    return {
        "household patch without reason": ("patch", f"/api/v1/households/{hh}/", {}, "reason"),
        "household patch with blank reason": (
            "patch",
            f"/api/v1/households/{hh}/",
            {"address": "x", "reason": ""},
            "reason",
        ),
        "household patch of status to nonsense": (
            "patch",
            f"/api/v1/households/{hh}/",
            {"status": "gone", "reason": "r"},
            "status",
        ),
        "household patch of the town": (
            "patch",
            f"/api/v1/households/{hh}/",
            {"town": "441900113", "reason": "r"},
            "town",
        ),
        "person patch of a blank name": (
            "patch",
            f"/api/v1/persons/{head.pk}/",
            {"name": "", "reason": "r"},
            "name",
        ),
        "person patch of employment to nonsense": (
            "patch",
            f"/api/v1/persons/{head.pk}/",
            {"employment_status": "astronaut", "reason": "r"},
            "employment_status",
        ),
        "member without household": (
            "post",
            "/api/v1/memberships/",
            member("王", HEAD_ID, "child") | {"reason": "r"},
            "household",
        ),
        "member with household as text": (
            "post",
            "/api/v1/memberships/",
            member("王", HEAD_ID, "child") | {"reason": "r", "household": "one"},
            "household",
        ),
        "member with a bad ID number": (
            "post",
            "/api/v1/memberships/",
            member("王", "130402198207290622", "child") | {"reason": "r", "household": hh},
            "id_number",
        ),
        "member joining in the future": (
            "post",
            "/api/v1/memberships/",
            member("王", HEAD_ID, "child", joined_on="2999-01-01")
            | {"reason": "r", "household": hh},
            "joined_on",
        ),
        "leave without a date": (
            "post",
            f"/api/v1/memberships/{membership}/leave/",
            {"leave_reason": "death"},
            "left_on",
        ),
        "leave with a bad date": (
            "post",
            f"/api/v1/memberships/{membership}/leave/",
            {"left_on": "31/12/2024", "leave_reason": "death"},
            "left_on",
        ),
        "leave with an unknown reason": (
            "post",
            f"/api/v1/memberships/{membership}/leave/",
            {"left_on": "2024-06-30", "leave_reason": "vanished"},
            "leave_reason",
        ),
        "leave in the future": (
            "post",
            f"/api/v1/memberships/{membership}/leave/",
            {"left_on": "2999-06-30", "leave_reason": "death"},
            "left_on",
        ),
        "income amount not a number": (
            "post",
            "/api/v1/income-lines/",
            {
                "household": hh,
                "income_type": "wage",
                "monthly_amount": "abc",
                "valid_from": "2024-01-01",
            },
            "monthly_amount",
        ),
        "income amount NaN": (
            "post",
            "/api/v1/income-lines/",
            {
                "household": hh,
                "income_type": "wage",
                "monthly_amount": "NaN",
                "valid_from": "2024-01-01",
            },
            "monthly_amount",
        ),
        "income amount negative": (
            "post",
            "/api/v1/income-lines/",
            {
                "household": hh,
                "income_type": "wage",
                "monthly_amount": "-1",
                "valid_from": "2024-01-01",
            },
            "monthly_amount",
        ),
        "income amount too large": (
            "post",
            "/api/v1/income-lines/",
            {
                "household": hh,
                "income_type": "wage",
                "monthly_amount": "1e20",
                "valid_from": "2024-01-01",
            },
            "monthly_amount",
        ),
        "income type unknown": (
            "post",
            "/api/v1/income-lines/",
            {
                "household": hh,
                "income_type": "lottery",
                "monthly_amount": "1",
                "valid_from": "2024-01-01",
            },
            "income_type",
        ),
        "income without start date": (
            "post",
            "/api/v1/income-lines/",
            {"household": hh, "income_type": "wage", "monthly_amount": "1"},
            "valid_from",
        ),
        "income ending before it starts": (
            "post",
            "/api/v1/income-lines/",
            {
                "household": hh,
                "income_type": "wage",
                "monthly_amount": "1",
                "valid_from": "2024-05-01",
                "valid_to": "2024-04-30",
            },
            "valid_to",
        ),
        "end without a reason": (
            "post",
            f"/api/v1/income-lines/{line}/end/",
            {"valid_to": "2024-12-31"},
            "reason",
        ),
        "asset of an unknown kind": (
            "post",
            "/api/v1/assets/",
            {"household": hh, "kind": "gold", "valid_from": "2024-01-01"},
            "kind",
        ),
        "asset with negative units": (
            "post",
            "/api/v1/assets/",
            {"household": hh, "kind": "vehicle", "units": -1, "valid_from": "2024-01-01"},
            "units",
        ),
        "document without a file": (
            "post",
            "/api/v1/documents/",
            {"household": hh},
            "file",
        ),
    }


@pytest.mark.django_db
def test_no_malformed_request_to_any_endpoint_is_a_500(worker_chashan, bad_requests):
    client = client_for(worker_chashan)
    for case, (method, url, body, field) in bad_requests.items():
        fmt = "multipart" if url == "/api/v1/documents/" else "json"

        response = getattr(client, method)(url, body, format=fmt)

        assert response.status_code == 400, (case, response.content)
        assert field in response.json(), (case, response.json())


BAD_QUERIES = {
    "/api/v1/households/?village=abc": "village",
    "/api/v1/households/?village=0": "village",
    "/api/v1/households/?town=chashan": "town",
    "/api/v1/households/?status=gone": "status",
    "/api/v1/memberships/?household=x": "household",
    "/api/v1/memberships/?current=perhaps": "current",
    "/api/v1/income-lines/?person=x": "person",
    "/api/v1/assets/?household=-3": "household",
    "/api/v1/documents/?kind=passport": "kind",
    "/api/v1/villages/?town=1": "town",
    "/api/v1/households/?village=99999999999999999999999": "village",
    "/api/v1/memberships/?household=99999999999999999999999": "household",
    "/api/v1/income-lines/?household=99999999999999999999999": "household",
    "/api/v1/documents/?person=99999999999999999999999": "person",
}


@pytest.mark.django_db
@pytest.mark.parametrize("url", BAD_QUERIES)
def test_malformed_filter_is_a_400_naming_the_parameter(worker_chashan, url):
    response = client_for(worker_chashan).get(url)

    assert response.status_code == 400
    assert BAD_QUERIES[url] in response.json()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/households/99999999999999999999999/",
        "/api/v1/persons/99999999999999999999999/",
        "/api/v1/households/?page=999",
        "/api/v1/households/?page=abc",
        "/api/v1/households/?search=%00",
        "/api/v1/persons/?search=" + "9" * 17 + "X",
    ],
)
def test_odd_urls_are_not_a_500(worker_chashan, url):
    response = client_for(worker_chashan).get(url)

    assert response.status_code in (200, 400, 404)


@pytest.mark.django_db
def test_reveal_of_a_person_that_does_not_exist_is_a_404(worker_chashan):
    response = client_for(worker_chashan).post("/api/v1/persons/99999999999999999999/reveal-id/")

    assert response.status_code == 404


@pytest.mark.django_db
def test_permission_denied_by_a_service_is_a_403(finance, chashan_household):
    person = head_of(chashan_household)

    response = client_for(finance).post(f"/api/v1/persons/{person.pk}/reveal-id/")

    assert response.status_code == 403
    assert "detail" in response.json()


@pytest.mark.django_db
def test_token_endpoint_with_malformed_json_is_a_400(db):
    response = APIClient().post(
        "/api/v1/auth/token/", '{"username": ', content_type="application/json"
    )

    assert response.status_code == 400
