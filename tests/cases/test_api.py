"""The registry API: households, persons, memberships, evidence, documents, places."""

import datetime
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from cases import services
from cases.idnumbers import mask_id_number
from cases.models import Asset, Document, Household, IncomeLine, Membership, Person
from relief.models import AuditEvent
from tests.factories import (
    AssetFactory,
    IncomeLineFactory,
    VillageFactory,
    household_with_members,
    make_id_number,
    town,
)

CHASHAN = "441900103"
DALANG = "441900113"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def client_for(user) -> APIClient:
    # Messages are compared in English; the default language is Simplified Chinese.
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def member(name: str, id_number: str, relation: str = "head", **extra) -> dict:
    base = {"name": name, "id_number": id_number, "relation": relation, "joined_on": "2024-03-01"}
    return base | extra


def household_body(*members, town_code: str = CHASHAN, **extra) -> dict:
    return {"town": town_code, "address": "茶山镇南社村1号", "members": list(members)} | extra


HEAD_ID = make_id_number(11, datetime.date(1985, 5, 5))
CHILD_ID = make_id_number(12, datetime.date(2015, 6, 1))
BAD_CHECK_ID = "130402198207290622"  # DOMAIN.md §4: invalid check character


def head_of(household: Household) -> Person:
    return household.memberships.get(relation="head").person


# Registering a household


@pytest.mark.django_db
def test_worker_registers_household_and_gets_it_back_with_masked_ids(worker_chashan):
    village = VillageFactory(town=town("chashan"), name="南社村")
    response = client_for(worker_chashan).post(
        "/api/v1/households/",
        household_body(
            member("李明", HEAD_ID),
            member("李小明", CHILD_ID, "child", disability_grade=2, serious_illness=True),
            village=village.pk,
            hukou_place="广东省东莞市茶山镇",
        ),
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    household = Household.objects.get(pk=body["id"])
    assert body["town"] == CHASHAN
    assert body["town_name"] == "茶山"
    assert body["village"] == village.pk
    assert body["address"] == "茶山镇南社村1号"
    assert body["hukou_place"] == "广东省东莞市茶山镇"
    assert body["status"] == "active"
    head, child = body["members"]
    person = Person.objects.get(id_number=HEAD_ID)
    assert head == {
        "membership_id": household.memberships.get(person=person).pk,
        "person_id": person.pk,
        "name": "李明",
        "id_number": mask_id_number(HEAD_ID),
        "relation": "head",
        "joined_on": "2024-03-01",
        "birth_date": "1985-05-05",
        "sex": "M",
    }
    assert child["id_number"] == mask_id_number(CHILD_ID)
    assert HEAD_ID not in response.content.decode()
    assert CHILD_ID not in response.content.decode()
    child_person = Person.objects.get(id_number=CHILD_ID)
    assert child_person.disability_grade == 2
    assert child_person.serious_illness is True


@pytest.mark.django_db
def test_registration_with_a_bad_check_character_is_nested_under_that_member(worker_chashan):
    response = client_for(worker_chashan).post(
        "/api/v1/households/",
        household_body(member("李明", HEAD_ID), member("李红", BAD_CHECK_ID, "spouse")),
        format="json",
    )

    assert response.status_code == 400
    errors = response.json()["members"]
    assert errors[0] == {}
    assert "check character" in errors[1]["id_number"][0]
    assert not Household.objects.exists()
    assert not Person.objects.exists()


@pytest.mark.django_db
def test_a_member_cannot_join_in_the_future_and_joins_today_when_no_date_is_given(
    worker_chashan,
):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    client = client_for(worker_chashan)
    response = client.post(
        "/api/v1/households/",
        household_body(
            member("李明", HEAD_ID), member("李红", CHILD_ID, "child", joined_on=str(tomorrow))
        ),
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["members"] == [{}, {"joined_on": ["The date cannot be in the future."]}]

    head = member("李明", HEAD_ID)
    del head["joined_on"]
    response = client.post("/api/v1/households/", household_body(head), format="json")
    assert response.status_code == 201
    assert response.json()["members"][0]["joined_on"] == timezone.localdate().isoformat()


@pytest.mark.django_db
def test_registration_reports_the_bodys_and_the_registrys_problems_in_one_answer(
    worker_chashan, dalang_household
):
    other = head_of(dalang_household)
    body = household_body(
        member("李明", HEAD_ID),
        member("李红", BAD_CHECK_ID, "spouse"),
        member("别的名字", other.id_number, "cousin"),
    )
    del body["address"]

    response = client_for(worker_chashan).post("/api/v1/households/", body, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "address": ["This field is required."],
        "members": [
            {},
            {"id_number": ["The check character of the ID number is wrong (GB 11643)."]},
            {
                "relation": ['"cousin" is not a valid choice.'],
                "id_number": [
                    "This ID number cannot be used here. Ask the city civil affairs bureau "
                    "(市民政局)."
                ],
            },
        ],
    }
    assert list(Household.objects.all()) == [dalang_household]
    assert AuditEvent.objects.filter(action="foreign_id", object_id=str(other.pk)).exists()


@pytest.mark.django_db
def test_registration_with_two_heads_is_refused(worker_chashan):
    response = client_for(worker_chashan).post(
        "/api/v1/households/",
        household_body(member("李明", HEAD_ID), member("李红", CHILD_ID, "head")),
        format="json",
    )

    assert response.status_code == 400
    one_head = ["Exactly one member must be the head of household (relation 'head')."]
    assert response.json()["members"] == [{"relation": one_head}, {"relation": one_head}]


@pytest.mark.django_db
def test_registration_without_members_is_refused(worker_chashan):
    response = client_for(worker_chashan).post(
        "/api/v1/households/", household_body(), format="json"
    )

    assert response.status_code == 400
    assert "at least one member" in response.json()["members"][0]


@pytest.mark.django_db
def test_registration_in_a_town_outside_the_workers_scope_is_a_town_error(worker_chashan):
    response = client_for(worker_chashan).post(
        "/api/v1/households/",
        household_body(member("李明", HEAD_ID), town_code=DALANG),
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["town"]
    assert not Household.objects.exists()


@pytest.mark.django_db
def test_registration_in_an_unknown_town_is_a_town_error(worker_chashan):
    response = client_for(worker_chashan).post(
        "/api/v1/households/",
        household_body(member("李明", HEAD_ID), town_code="441900999"),
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["town"]


@pytest.mark.django_db
def test_registration_with_another_towns_village_is_a_village_error(worker_chashan):
    village = VillageFactory(town=town("dalang"), name="大朗村")
    response = client_for(worker_chashan).post(
        "/api/v1/households/",
        household_body(member("李明", HEAD_ID), village=village.pk),
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["village"]


@pytest.mark.django_db
def test_member_of_another_towns_household_is_refused_without_naming_that_household(
    worker_chashan, dalang_household
):
    other = head_of(dalang_household)
    response = client_for(worker_chashan).post(
        "/api/v1/households/",
        household_body(member(other.name, other.id_number)),
        format="json",
    )

    assert response.status_code == 400
    assert "already a member of another household" in response.json()["members"][0]["id_number"][0]
    text = response.content.decode()
    assert "大朗" not in text
    assert dalang_household.address not in text
    assert DALANG not in text
    assert not re.search(r"\d", text)  # no household id, no town code, nothing numeric at all
    assert Household.objects.filter(town__slug="chashan").count() == 0


@pytest.mark.django_db
def test_registration_records_the_actor_in_history(worker_chashan):
    response = client_for(worker_chashan).post(
        "/api/v1/households/", household_body(member("李明", HEAD_ID)), format="json"
    )

    record = Household.objects.get(pk=response.json()["id"]).history.get()
    assert record.history_user == worker_chashan


# Reading households


@pytest.mark.django_db
def test_household_detail_shows_current_members_only(worker_chashan, chashan_household):
    leaver = chashan_household.memberships.get(relation="child")
    services.member_leave(
        actor=worker_chashan,
        membership=leaver,
        left_on=datetime.date(2024, 6, 30),
        leave_reason="moved_out",
        today=datetime.date(2024, 7, 1),
    )

    response = client_for(worker_chashan).get(f"/api/v1/households/{chashan_household.pk}/")

    assert response.status_code == 200
    assert [m["relation"] for m in response.json()["members"]] == ["head"]


@pytest.mark.django_db
def test_household_list_is_paginated_at_fifty(worker_chashan):
    for _ in range(51):
        household_with_members("chashan", size=1)
    client = client_for(worker_chashan)

    first = client.get("/api/v1/households/").json()
    second = client.get(first["next"]).json()

    assert set(first) == {"count", "next", "previous", "results"}
    assert first["count"] == 51
    assert len(first["results"]) == 50
    assert first["previous"] is None
    assert len(second["results"]) == 1
    assert second["next"] is None


def household_list_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/households/")
    assert response.status_code == 200
    return len(queries)


@pytest.mark.django_db
def test_household_list_runs_the_same_number_of_queries_for_5_and_30_households(worker_chashan):
    client = client_for(worker_chashan)
    for _ in range(5):
        household_with_members("chashan", size=3)
    few = household_list_queries(client)
    for _ in range(25):
        household_with_members("chashan", size=3)

    many = household_list_queries(client)

    assert len(client.get("/api/v1/households/").json()["results"]) == 30
    assert many == few


@pytest.fixture
def two_towns(db):
    chashan_village = VillageFactory(town=town("chashan"), name="南社村")
    dalang_village = VillageFactory(town=town("dalang"), name="水平村")
    return {
        "chashan": household_with_members("chashan", size=2, village=chashan_village),
        "chashan_closed": household_with_members("chashan", size=1, status="closed"),
        "dalang": household_with_members("dalang", size=2, village=dalang_village),
    }


def listed_ids(client, query: str) -> set[int]:
    response = client.get(f"/api/v1/households/?{query}")
    assert response.status_code == 200, response.json()
    return {row["id"] for row in response.json()["results"]}


@pytest.mark.django_db
def test_household_list_filters_by_town_code(city_supervisor, two_towns):
    ids = listed_ids(client_for(city_supervisor), f"town={DALANG}")

    assert ids == {two_towns["dalang"].pk}


@pytest.mark.django_db
def test_household_list_filters_by_village_id(city_supervisor, two_towns):
    village = two_towns["chashan"].village

    assert listed_ids(client_for(city_supervisor), f"village={village.pk}") == {
        two_towns["chashan"].pk
    }


@pytest.mark.django_db
def test_household_list_filters_by_status(worker_chashan, two_towns):
    assert listed_ids(client_for(worker_chashan), "status=closed") == {
        two_towns["chashan_closed"].pk
    }


@pytest.mark.django_db
def test_household_list_ignores_empty_filters(worker_chashan, two_towns):
    ids = listed_ids(client_for(worker_chashan), "town=&village=&status=&search=")

    assert ids == {two_towns["chashan"].pk, two_towns["chashan_closed"].pk}


@pytest.mark.django_db
def test_household_search_by_name_prefix(worker_chashan, two_towns):
    child = two_towns["chashan"].memberships.get(relation="child").person
    Person.objects.filter(pk=child.pk).update(name="欧阳娜娜")

    assert listed_ids(client_for(worker_chashan), "search=欧阳") == {two_towns["chashan"].pk}


@pytest.mark.django_db
def test_household_search_by_full_id_number_is_posted(worker_chashan, two_towns):
    head = head_of(two_towns["chashan"])
    client = client_for(worker_chashan)

    posted = client.post("/api/v1/households/search/", {"search": head.id_number}, format="json")

    assert {row["id"] for row in posted.json()["results"]} == {two_towns["chashan"].pk}
    # Not in a URL (tests/cases/test_ids_out_of_urls.py).
    assert client.get(f"/api/v1/households/?search={head.id_number}").status_code == 400


@pytest.mark.django_db
def test_household_search_by_last_four_id_characters(worker_chashan, two_towns):
    head = head_of(two_towns["chashan"])

    assert two_towns["chashan"].pk in listed_ids(
        client_for(worker_chashan), f"search={head.id_number[-4:]}"
    )
    assert listed_ids(client_for(worker_chashan), f"search={head.id_number[-8:]}") == {
        two_towns["chashan"].pk
    }


@pytest.mark.django_db
def test_household_search_does_not_find_another_towns_household(worker_chashan, two_towns):
    head = head_of(two_towns["dalang"])

    posted = client_for(worker_chashan).post(
        "/api/v1/households/search/", {"search": head.id_number}, format="json"
    )

    assert posted.json()["results"] == []
    assert listed_ids(client_for(worker_chashan), f"search={head.id_number[-6:]}") == set()


# Changing households and persons


@pytest.mark.django_db
def test_household_patch_records_actor_and_reason_in_history(worker_chashan, chashan_household):
    response = client_for(worker_chashan).patch(
        f"/api/v1/households/{chashan_household.pk}/",
        {"address": "茶山镇超朗村8号", "reason": "Moved within the town"},
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert response.json()["address"] == "茶山镇超朗村8号"
    record = chashan_household.history.latest()
    assert record.address == "茶山镇超朗村8号"
    assert record.history_user == worker_chashan
    assert record.history_change_reason == "Moved within the town"


@pytest.mark.django_db
def test_household_patch_without_reason_is_refused(worker_chashan, chashan_household):
    response = client_for(worker_chashan).patch(
        f"/api/v1/households/{chashan_household.pk}/", {"address": "新地址"}, format="json"
    )

    assert response.status_code == 400
    assert "reason" in response.json()
    chashan_household.refresh_from_db()
    assert chashan_household.address != "新地址"


@pytest.mark.django_db
def test_household_town_cannot_be_patched(worker_chashan, chashan_household):
    response = client_for(worker_chashan).patch(
        f"/api/v1/households/{chashan_household.pk}/",
        {"town": DALANG, "reason": "Try to move it"},
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["town"]


@pytest.mark.django_db
def test_person_patch_records_actor_and_reason_in_history(worker_chashan, chashan_household):
    person = head_of(chashan_household)

    response = client_for(worker_chashan).patch(
        f"/api/v1/persons/{person.pk}/",
        {"employment_status": "unable", "disability_grade": 1, "reason": "Medical assessment"},
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert response.json()["employment_status"] == "unable"
    record = person.history.latest()
    assert record.employment_status == "unable"
    assert record.disability_grade == 1
    assert record.history_user == worker_chashan
    assert record.history_change_reason == "Medical assessment"


@pytest.mark.django_db
def test_person_id_number_cannot_be_patched(worker_chashan, chashan_household):
    person = head_of(chashan_household)

    response = client_for(worker_chashan).patch(
        f"/api/v1/persons/{person.pk}/",
        {"id_number": HEAD_ID, "reason": "Typo"},
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["id_number"]


# Persons and revealing ID numbers


@pytest.mark.django_db
def test_person_list_masks_id_numbers(worker_chashan, chashan_household):
    response = client_for(worker_chashan).get("/api/v1/persons/")

    assert response.status_code == 200
    rows = response.json()["results"]
    assert len(rows) == 2
    for row in rows:
        person = Person.objects.get(pk=row["id"])
        assert row["id_number"] == mask_id_number(person.id_number)
        assert person.id_number not in response.content.decode()


@pytest.mark.django_db
def test_person_search_by_last_four(worker_chashan, chashan_household):
    person = head_of(chashan_household)

    response = client_for(worker_chashan).get(f"/api/v1/persons/?search={person.id_number[-4:]}")

    assert person.pk in [row["id"] for row in response.json()["results"]]


@pytest.mark.django_db
def test_reveal_shows_the_full_number_and_records_an_audit_event(worker_chashan, chashan_household):
    person = head_of(chashan_household)

    response = client_for(worker_chashan).post(f"/api/v1/persons/{person.pk}/reveal-id/")

    assert response.status_code == 200
    assert response.json() == {"id_number": person.id_number}
    assert response["Cache-Control"] == "no-store"
    event = AuditEvent.objects.get(action=AuditEvent.Action.ID_REVEALED)
    assert event.actor == worker_chashan
    assert event.actor_username == "worker-chashan"
    assert event.object_id == str(person.pk)
    assert event.town_code == CHASHAN


@pytest.mark.django_db
def test_auditor_may_reveal_an_id_number(auditor, chashan_household):
    person = head_of(chashan_household)

    response = client_for(auditor).post(f"/api/v1/persons/{person.pk}/reveal-id/")

    assert response.status_code == 200
    assert AuditEvent.objects.get(action=AuditEvent.Action.ID_REVEALED).actor == auditor


@pytest.mark.django_db
def test_finance_may_not_reveal_an_id_number(finance, chashan_household):
    person = head_of(chashan_household)

    response = client_for(finance).post(f"/api/v1/persons/{person.pk}/reveal-id/")

    assert response.status_code == 403
    assert person.id_number not in response.content.decode()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.ID_REVEALED).exists()


@pytest.mark.django_db
def test_reveal_of_another_towns_person_is_not_found(worker_dalang, chashan_household):
    person = head_of(chashan_household)

    response = client_for(worker_dalang).post(f"/api/v1/persons/{person.pk}/reveal-id/")

    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.ID_REVEALED).exists()


# Memberships


@pytest.mark.django_db
def test_member_joins_a_household_with_a_reason(worker_chashan, chashan_household):
    response = client_for(worker_chashan).post(
        "/api/v1/memberships/",
        {
            "household": chashan_household.pk,
            "name": "王小宝",
            "id_number": CHILD_ID,
            "relation": "child",
            "joined_on": "2024-05-01",
            "reason": "Newborn",
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["household"] == chashan_household.pk
    assert body["id_number"] == mask_id_number(CHILD_ID)
    assert body["left_on"] is None
    membership = Membership.objects.get(pk=body["id"])
    assert membership.history.get().history_change_reason == "Newborn"


@pytest.mark.django_db
def test_member_cannot_join_another_towns_household(worker_chashan, dalang_household):
    response = client_for(worker_chashan).post(
        "/api/v1/memberships/",
        {
            "household": dalang_household.pk,
            "name": "王小宝",
            "id_number": CHILD_ID,
            "relation": "child",
            "reason": "Newborn",
        },
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["household"]
    assert not Person.objects.filter(id_number=CHILD_ID).exists()


@pytest.mark.django_db
def test_second_head_cannot_join(worker_chashan, chashan_household):
    response = client_for(worker_chashan).post(
        "/api/v1/memberships/",
        {
            "household": chashan_household.pk,
            "name": "王大",
            "id_number": HEAD_ID,
            "relation": "head",
            "reason": "Spouse",
        },
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["relation"]


@pytest.mark.django_db
def test_membership_list_filters_by_household(worker_chashan, chashan_household):
    other = household_with_members("chashan", size=1)

    response = client_for(worker_chashan).get(
        f"/api/v1/memberships/?household={chashan_household.pk}"
    )

    rows = response.json()["results"]
    assert {row["household"] for row in rows} == {chashan_household.pk}
    assert len(rows) == 2
    assert other.pk not in {row["household"] for row in rows}


@pytest.mark.django_db
def test_member_leaves_on_a_date(worker_chashan, chashan_household):
    membership = chashan_household.memberships.get(relation="child")

    response = client_for(worker_chashan).post(
        f"/api/v1/memberships/{membership.pk}/leave/",
        {"left_on": "2024-06-30", "leave_reason": "marriage", "note": "Married in 大岭山"},
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert response.json()["left_on"] == "2024-06-30"
    assert response.json()["leave_reason"] == "marriage"
    membership.refresh_from_db()
    assert membership.left_on == datetime.date(2024, 6, 30)
    assert membership.history.latest().history_user == worker_chashan


@pytest.mark.django_db
def test_member_cannot_leave_twice(worker_chashan, chashan_household):
    membership = chashan_household.memberships.get(relation="child")
    url = f"/api/v1/memberships/{membership.pk}/leave/"
    client = client_for(worker_chashan)
    client.post(url, {"left_on": "2024-06-30", "leave_reason": "death"}, format="json")

    response = client.post(url, {"left_on": "2024-07-30", "leave_reason": "death"}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["left_on"]


@pytest.mark.django_db
def test_leaving_before_joining_is_refused(worker_chashan, chashan_household):
    membership = chashan_household.memberships.get(relation="child")  # joined 2020-01-01

    response = client_for(worker_chashan).post(
        f"/api/v1/memberships/{membership.pk}/leave/",
        {"left_on": "2019-12-31", "leave_reason": "moved_out"},
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["left_on"]


# Evidence


@pytest.mark.django_db
def test_income_line_is_recorded_with_money_as_a_two_decimal_string(
    worker_chashan, chashan_household
):
    person = head_of(chashan_household)

    response = client_for(worker_chashan).post(
        "/api/v1/income-lines/",
        {
            "household": chashan_household.pk,
            "person": person.pk,
            "income_type": "wage",
            "monthly_amount": "1234.5",
            "valid_from": "2024-01-01",
            "reason": "Pay slip",
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["monthly_amount"] == "1234.50"
    assert body["income_type"] == "wage"
    assert body["person"] == person.pk
    line = IncomeLine.objects.get(pk=body["id"])
    assert line.monthly_amount == Decimal("1234.50")
    assert line.history.get().history_user == worker_chashan


@pytest.mark.django_db
def test_income_amount_with_three_decimals_is_refused(worker_chashan, chashan_household):
    response = client_for(worker_chashan).post(
        "/api/v1/income-lines/",
        {
            "household": chashan_household.pk,
            "income_type": "wage",
            "monthly_amount": "10.005",
            "valid_from": "2024-01-01",
        },
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["monthly_amount"]


@pytest.mark.django_db
def test_income_of_a_person_outside_the_household_is_refused(worker_chashan, chashan_household):
    stranger = head_of(household_with_members("chashan", size=1))

    response = client_for(worker_chashan).post(
        "/api/v1/income-lines/",
        {
            "household": chashan_household.pk,
            "person": stranger.pk,
            "income_type": "wage",
            "monthly_amount": "100.00",
            "valid_from": "2024-01-01",
        },
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["person"]


@pytest.mark.django_db
def test_income_line_ends_on_a_date(worker_chashan, chashan_household):
    line = IncomeLineFactory(household=chashan_household)

    response = client_for(worker_chashan).post(
        f"/api/v1/income-lines/{line.pk}/end/",
        {"valid_to": "2024-12-31", "reason": "Job ended"},
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert response.json()["valid_to"] == "2024-12-31"
    line.refresh_from_db()
    assert line.valid_to == datetime.date(2024, 12, 31)
    assert line.history.latest().history_change_reason == "Job ended"


@pytest.mark.django_db
def test_evidence_cannot_end_before_it_began(worker_chashan, chashan_household):
    line = IncomeLineFactory(household=chashan_household)  # from 2024-01-01

    response = client_for(worker_chashan).post(
        f"/api/v1/income-lines/{line.pk}/end/",
        {"valid_to": "2023-12-31", "reason": "Typo"},
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["valid_to"]


@pytest.mark.django_db
def test_income_lines_list_filters_by_household(worker_chashan, chashan_household):
    line = IncomeLineFactory(household=chashan_household)
    IncomeLineFactory(household=household_with_members("chashan", size=1))

    response = client_for(worker_chashan).get(
        f"/api/v1/income-lines/?household={chashan_household.pk}"
    )

    assert [row["id"] for row in response.json()["results"]] == [line.pk]
    assert response.json()["results"][0]["monthly_amount"] == "1000.00"


@pytest.mark.django_db
def test_asset_is_recorded_and_ended(worker_chashan, chashan_household):
    client = client_for(worker_chashan)
    created = client.post(
        "/api/v1/assets/",
        {
            "household": chashan_household.pk,
            "kind": "deposit",
            "value": "52000",
            "valid_from": "2024-02-01",
            "description": "农商银行定期",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["value"] == "52000.00"

    ended = client.post(
        f"/api/v1/assets/{created.json()['id']}/end/",
        {"valid_to": "2024-08-31", "reason": "Deposit withdrawn for surgery"},
        format="json",
    )

    assert ended.status_code == 200
    assert Asset.objects.get(pk=created.json()["id"]).valid_to == datetime.date(2024, 8, 31)


@pytest.mark.django_db
def test_assets_list_filters_by_household(worker_chashan, chashan_household):
    asset = AssetFactory(household=chashan_household)
    AssetFactory(household=household_with_members("chashan", size=1))

    response = client_for(worker_chashan).get(f"/api/v1/assets/?household={chashan_household.pk}")

    assert [row["id"] for row in response.json()["results"]] == [asset.pk]
    assert response.json()["results"][0]["value"] == "5000.00"


@pytest.mark.django_db
def test_income_types_are_listed(worker_chashan):
    response = client_for(worker_chashan).get("/api/v1/income-types/")

    assert response.status_code == 200
    assert "wage" in [row["code"] for row in response.json()["results"]]


# Places


@pytest.mark.django_db
def test_every_town_is_listed_with_its_code(worker_chashan):
    response = client_for(worker_chashan).get("/api/v1/towns/")

    assert response.status_code == 200
    towns = {row["code"]: row["name"] for row in response.json()["results"]}
    assert towns[CHASHAN] == "茶山"
    assert towns[DALANG] == "大朗"
    assert response.json()["count"] == 36


@pytest.mark.django_db
def test_villages_are_those_of_the_users_towns(worker_chashan):
    own = VillageFactory(town=town("chashan"), name="南社村")
    VillageFactory(town=town("dalang"), name="水平村")

    response = client_for(worker_chashan).get("/api/v1/villages/")

    assert [row["id"] for row in response.json()["results"]] == [own.pk]
    assert response.json()["results"][0]["town"] == CHASHAN


# Documents


@pytest.mark.django_db
def test_document_is_uploaded_and_downloaded(worker_chashan, chashan_household):
    client = client_for(worker_chashan)
    upload = SimpleUploadedFile("hukou.pdf", PDF, content_type="application/pdf")

    created = client.post(
        "/api/v1/documents/",
        {"household": chashan_household.pk, "kind": "hukou", "title": "户口簿", "file": upload},
        format="multipart",
    )

    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["content_type"] == "application/pdf"
    assert body["size"] == len(PDF)
    assert body["uploaded_by"] == "worker-chashan"
    download = client.get(body["download_url"])
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert "attachment" in download["Content-Disposition"]
    assert b"".join(download.streaming_content) == PDF


@pytest.mark.django_db
def test_document_download_is_named_by_its_number_not_by_the_uploaders_file_name(
    worker_chashan, chashan_household
):
    document = services.document_upload(
        actor=worker_chashan,
        household=chashan_household,
        upload=SimpleUploadedFile("陈美玲-癌症诊断书.pdf", PDF),
        title="诊断书",
    )

    response = client_for(worker_chashan).get(f"/api/v1/documents/{document.pk}/download/")

    assert response.status_code == 200
    assert response["Content-Disposition"] == (f'attachment; filename="document-{document.pk}.pdf"')


@pytest.mark.django_db
def test_document_with_a_forged_extension_is_refused(worker_chashan, chashan_household):
    upload = SimpleUploadedFile(
        "virus.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf"
    )

    response = client_for(worker_chashan).post(
        "/api/v1/documents/",
        {"household": chashan_household.pk, "file": upload},
        format="multipart",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["file"]
    assert not Document.objects.exists()


@pytest.mark.django_db
def test_document_download_asking_for_pdf_gets_the_file(worker_chashan, chashan_household):
    document = services.document_upload(
        actor=worker_chashan,
        household=chashan_household,
        upload=SimpleUploadedFile("a.pdf", PDF),
        title="A",
    )

    response = client_for(worker_chashan).get(
        f"/api/v1/documents/{document.pk}/download/", HTTP_ACCEPT="application/pdf"
    )

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF


@pytest.mark.django_db
def test_document_with_a_missing_file_is_a_404_not_a_500(worker_chashan, chashan_household):
    document = services.document_upload(
        actor=worker_chashan,
        household=chashan_household,
        upload=SimpleUploadedFile("a.pdf", PDF),
        title="A",
    )
    document.file.storage.delete(document.file.name)

    response = client_for(worker_chashan).get(f"/api/v1/documents/{document.pk}/download/")

    assert response.status_code == 404
