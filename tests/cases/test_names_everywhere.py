"""A name made only of invisible characters, or holding a control or format character, is
refused the same way wherever a name comes in (relief.names): the registry services, the page
forms, the API, the caseload import, a payee account's holder and an authorisation's signer;
and a name typed with full-width characters is stored in its plain form."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from cases import services
from cases.models import Authorisation, Household, Person
from payments import accounts
from tests.cases.test_import import csv_bytes, member, run_import, write
from tests.factories import approved_grant, make_id_number, town

pytestmark = pytest.mark.django_db

ZWSP = "\u200b"
INVISIBLE = "A name must contain visible characters."
CONTROL = (
    "The name contains an invisible control or formatting character (U+200B); type it again "
    "without it."
)


def api(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def register(worker, name):
    return services.household_create(
        actor=worker,
        town=town("chashan"),
        address="茶山镇南社村1号",
        members=[services.MemberInput(name=name, id_number=make_id_number(31), relation="head")],
    )


@pytest.mark.parametrize(("name", "message"), [(ZWSP, INVISIBLE), (f"陈{ZWSP}美玲", CONTROL)])
def test_the_registry_service_refuses_the_name(worker_chashan, name, message):
    with pytest.raises(ValidationError) as refused:
        register(worker_chashan, name)
    assert refused.value.message_dict == {"members[1].name": [message]}
    assert not Household.objects.exists()


def test_a_full_width_name_is_stored_plain(worker_chashan):
    register(worker_chashan, "ＬＩ　Ｍｉｎｇ\u3000")
    assert Person.objects.get().name == "LI Ming"


def test_the_registration_page_refuses_it_on_the_members_name(client, worker_chashan):
    client.force_login(worker_chashan)
    response = client.post(
        reverse("cases:household-create"),
        {
            "town": town("chashan").pk,
            "address": "茶山镇南社村1号",
            "members-TOTAL_FORMS": "1",
            "members-INITIAL_FORMS": "1",
            "members-0-name": ZWSP,
            "members-0-id_number": make_id_number(31),
            "members-0-relation": "head",
            "members-0-disability_grade": "0",
            "members-0-employment_status": "unemployed",
        },
    )
    assert response.status_code == 400
    assert response.context["formset"].forms[0].errors["name"] == [INVISIBLE]
    assert not Household.objects.exists()


def test_the_api_refuses_it_for_a_new_member_and_a_renamed_person(worker_chashan):
    response = api(worker_chashan).post(
        "/api/v1/households/",
        {
            "town": "441900103",
            "address": "茶山镇南社村1号",
            "members": [{"name": ZWSP, "id_number": make_id_number(31), "relation": "head"}],
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["members"] == [{"name": [INVISIBLE]}]

    person = register(worker_chashan, "陈美玲").memberships.get().person
    response = api(worker_chashan).patch(
        f"/api/v1/persons/{person.pk}/", {"name": f"陈{ZWSP}美玲", "reason": "typo"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"name": [CONTROL]}
    person.refresh_from_db()
    assert person.name == "陈美玲"


def test_the_import_refuses_it_naming_the_row_and_column(tmp_path, worker_chashan):
    path = write(tmp_path, "caseload.csv", csv_bytes([member(name=ZWSP)]))
    household_import = run_import(path, actor=worker_chashan)
    assert {(e["row"], e["column"], e["rule"]) for e in household_import.errors} == {
        (2, "name", INVISIBLE)
    }
    assert not Household.objects.exists()


def test_a_payee_account_holder_and_an_authorisation_signer_are_names_too(worker_chashan, client):
    grant = approved_grant()
    head = grant.household.memberships.get(relation="head").person
    with pytest.raises(ValidationError) as refused:
        accounts.payee_account_propose(
            actor=worker_chashan,
            grant=grant,
            payee=head,
            bank_name="中国工商银行东莞分行",
            account_holder=ZWSP,
            account_number="6222000011112222",
            reason="First account",
        )
    assert refused.value.message_dict["account_holder"] == [INVISIBLE]

    client.force_login(worker_chashan)
    response = client.post(
        reverse("cases:authorisation-add", args=[grant.household.pk]),
        {
            "person": head.pk,
            "signer_name": f"陈{ZWSP}美玲",
            "signed_on": "2024-01-05",
            "scope": "all",
        },
    )
    assert response.status_code == 400
    assert response.context["form"].errors["signer_name"] == [CONTROL]
    with pytest.raises(ValidationError):
        services.authorisation_create(
            actor=worker_chashan,
            household=grant.household,
            person=head,
            signer_name=ZWSP,
            signed_on=datetime.date(2024, 1, 5),
        )
    assert not Authorisation.objects.filter(person=head, signed_on="2024-01-05").exists()
