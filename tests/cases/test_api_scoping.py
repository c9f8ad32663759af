"""Who sees what through the API: every persona against every list, detail and search endpoint.

A town role sees its own towns' rows; another town's rows are absent from lists and a 404 on
detail. City roles see every town. The administrator reads no case data (403). Finance officers
and auditors read, but writing is a 403."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cases import services
from tests.cases.test_api import PDF, client_for, head_of
from tests.factories import AssetFactory, IncomeLineFactory, VillageFactory, town

EVERYWHERE = {"chashan", "dalang"}
PERSONAS = {
    "worker_chashan": {"chashan"},
    "supervisor_chashan": {"chashan"},
    "worker_dalang": {"dalang"},
    "city_supervisor": EVERYWHERE,
    "finance": EVERYWHERE,
    "auditor": EVERYWHERE,
    "administrator": None,  # no case data at all
}
RESOURCES = ["households", "persons", "memberships", "income-lines", "assets", "documents"]


@pytest.fixture
def world(db, chashan_household, dalang_household, worker_chashan, worker_dalang):
    """One household in 茶山 and one in 大朗, each with a village, evidence and a document."""
    rows = {}
    for slug, household, worker in [
        ("chashan", chashan_household, worker_chashan),
        ("dalang", dalang_household, worker_dalang),
    ]:
        household.village = VillageFactory(town=town(slug), name=f"{slug}村")
        household.save()
        head = head_of(household)
        document = services.document_upload(
            actor=worker,
            household=household,
            upload=SimpleUploadedFile(f"{slug}.pdf", PDF),
            title=slug,
        )
        rows[slug] = {
            "households": household.pk,
            "persons": head.pk,
            "memberships": household.memberships.get(relation="head").pk,
            "income-lines": IncomeLineFactory(household=household, person=head).pk,
            "assets": AssetFactory(household=household).pk,
            "documents": document.pk,
            "villages": household.village_id,
            "head": head,
        }
        # Lists show every row of the town: both members, both memberships.
        rows[slug]["all"] = {key: {value} for key, value in rows[slug].items() if key != "head"}
        rows[slug]["all"]["persons"] = {m.person_id for m in household.memberships.all()}
        rows[slug]["all"]["memberships"] = {m.pk for m in household.memberships.all()}
    return rows


def ids_of(response) -> set[int]:
    return {row["id"] for row in response.json()["results"]}


@pytest.mark.parametrize("resource", RESOURCES)
@pytest.mark.parametrize("persona", PERSONAS)
def test_list_shows_exactly_the_personas_towns(request, world, persona, resource):
    client = client_for(request.getfixturevalue(persona))
    visible = PERSONAS[persona]

    response = client.get(f"/api/v1/{resource}/")

    if visible is None:
        assert response.status_code == 403
        assert "results" not in response.json()
        return
    assert response.status_code == 200
    assert ids_of(response) == set().union(*(world[slug]["all"][resource] for slug in visible))


@pytest.mark.parametrize("resource", RESOURCES)
@pytest.mark.parametrize("persona", PERSONAS)
def test_detail_of_another_towns_row_is_not_found(request, world, persona, resource):
    client = client_for(request.getfixturevalue(persona))
    visible = PERSONAS[persona]

    for slug in ("chashan", "dalang"):
        response = client.get(f"/api/v1/{resource}/{world[slug][resource]}/")
        if visible is None:
            assert response.status_code == 403
        elif slug in visible:
            assert response.status_code == 200
            assert response.json()["id"] == world[slug][resource]
        else:
            assert response.status_code == 404


@pytest.mark.parametrize("persona", PERSONAS)
def test_document_download_only_in_scope(request, world, persona):
    client = client_for(request.getfixturevalue(persona))
    visible = PERSONAS[persona]

    for slug in ("chashan", "dalang"):
        response = client.get(f"/api/v1/documents/{world[slug]['documents']}/download/")
        expected = 403 if visible is None else 200 if slug in visible else 404
        assert response.status_code == expected


SEARCHES = {
    "household by full ID": ("households", lambda head: head.id_number, "households"),
    "household by last 4": ("households", lambda head: head.id_number[-4:], "households"),
    "household by name": ("households", lambda head: head.name, "households"),
    "person by full ID": ("persons", lambda head: head.id_number, "persons"),
    "person by last 4": ("persons", lambda head: head.id_number[-4:], "persons"),
    "person by name": ("persons", lambda head: head.name, "persons"),
}


@pytest.mark.parametrize("search", SEARCHES)
@pytest.mark.parametrize("persona", PERSONAS)
def test_search_finds_only_the_personas_towns(request, world, persona, search):
    client = client_for(request.getfixturevalue(persona))
    visible = PERSONAS[persona]
    resource, term_of, key = SEARCHES[search]

    for slug in ("chashan", "dalang"):
        term = term_of(world[slug]["head"])
        if "full ID" in search:
            # A full ID number stays out of the URL: GET refuses it, the POST search takes it.
            refused = client.get(f"/api/v1/{resource}/", {"search": term})
            assert refused.status_code in (400, 403)
            response = client.post(f"/api/v1/{resource}/search/", {"search": term}, format="json")
        else:
            response = client.get(f"/api/v1/{resource}/", {"search": term})
        if visible is None:
            assert response.status_code == 403
        elif slug in visible:
            assert world[slug][key] in ids_of(response)
        else:
            assert world[slug][key] not in ids_of(response)


@pytest.mark.parametrize("persona", PERSONAS)
def test_villages_are_scoped_like_case_data(request, world, persona):
    client = client_for(request.getfixturevalue(persona))

    response = client.get("/api/v1/villages/")

    assert response.status_code == 200
    assert ids_of(response) == {world[slug]["villages"] for slug in PERSONAS[persona] or ()}


@pytest.mark.parametrize("persona", PERSONAS)
def test_towns_and_income_types_are_configuration_every_role_reads(request, persona):
    client = client_for(request.getfixturevalue(persona))

    assert client.get("/api/v1/towns/").status_code == 200
    assert client.get("/api/v1/income-types/").status_code == 200


def write_requests(world) -> dict:
    """One write per endpoint, each valid for a 茶山 case worker."""
    hh = world["chashan"]["households"]
    return {
        "create household": (
            "post",
            "/api/v1/households/",
            {
                "town": "441900103",
                "address": "茶山镇1号",
                "members": [{"name": "甲", "id_number": "11010519491231002X", "relation": "head"}],
            },
        ),
        "patch household": ("patch", f"/api/v1/households/{hh}/", {"address": "x", "reason": "r"}),
        "patch person": (
            "patch",
            f"/api/v1/persons/{world['chashan']['persons']}/",
            {"serious_illness": True, "reason": "r"},
        ),
        "add member": (
            "post",
            "/api/v1/memberships/",
            {
                "household": hh,
                "name": "甲",
                "id_number": "11010519491231002X",
                "relation": "child",
                "reason": "r",
            },
        ),
        "member leaves": (
            "post",
            f"/api/v1/memberships/{world['chashan']['memberships']}/leave/",
            {"left_on": "2024-06-30", "leave_reason": "death"},
        ),
        "record income": (
            "post",
            "/api/v1/income-lines/",
            {
                "household": hh,
                "income_type": "wage",
                "monthly_amount": "1.00",
                "valid_from": "2024-01-01",
            },
        ),
        "end income": (
            "post",
            f"/api/v1/income-lines/{world['chashan']['income-lines']}/end/",
            {"valid_to": "2024-12-31", "reason": "r"},
        ),
        "record asset": (
            "post",
            "/api/v1/assets/",
            {"household": hh, "kind": "vehicle", "valid_from": "2024-01-01"},
        ),
        "end asset": (
            "post",
            f"/api/v1/assets/{world['chashan']['assets']}/end/",
            {"valid_to": "2024-12-31", "reason": "r"},
        ),
    }


WRITES = [
    "create household",
    "patch household",
    "patch person",
    "add member",
    "member leaves",
    "record income",
    "end income",
    "record asset",
    "end asset",
]


@pytest.mark.parametrize("write", WRITES)
@pytest.mark.parametrize("persona", ["finance", "auditor", "administrator"])
def test_readers_and_administrator_may_not_write(request, world, persona, write):
    method, url, body = write_requests(world)[write]

    response = getattr(client_for(request.getfixturevalue(persona)), method)(
        url, body, format="json"
    )

    assert response.status_code == 403


@pytest.mark.parametrize("write", WRITES)
def test_the_town_worker_may_make_each_write(world, worker_chashan, write):
    method, url, body = write_requests(world)[write]

    response = getattr(client_for(worker_chashan), method)(url, body, format="json")

    assert response.status_code in (200, 201), response.json()


@pytest.mark.parametrize("write", [w for w in WRITES if "create" not in w])
def test_another_towns_worker_cannot_write_to_its_rows(world, worker_dalang, write):
    method, url, body = write_requests(world)[write]

    response = getattr(client_for(worker_dalang), method)(url, body, format="json")

    # Detail writes: the row does not exist for them (404); creates naming the household: 400.
    assert response.status_code in (400, 404)
    if response.status_code == 400:
        assert "household" in response.json()


@pytest.mark.parametrize("persona", ["finance", "auditor", "administrator"])
def test_readers_and_administrator_may_not_upload_documents(request, world, persona):
    response = client_for(request.getfixturevalue(persona)).post(
        "/api/v1/documents/",
        {
            "household": world["chashan"]["households"],
            "file": SimpleUploadedFile("a.pdf", PDF),
        },
        format="multipart",
    )

    assert response.status_code == 403
