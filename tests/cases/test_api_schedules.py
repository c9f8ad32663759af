"""The schedule API: a grant's schedule and proposals, confirming and rejecting them, standard
changes, suspension, termination, gradual exit and re-checks through HTTP. Wrong role or
self-confirmation 403, wrong state 400, another town 404."""

import datetime
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from cases.models import (
    Grant,
    IncomeLine,
    IncomeType,
    Role,
    ScheduleConfirmation,
    ScheduleEntry,
    Standard,
)
from tests.factories import approved_grant, scheme, staff_user, town

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def post(user, url, body=None):
    return client_for(user).post(url, body or {}, format="json")


def get(user, url, **params):
    return client_for(user).get(url, params)


def raise_income(grant):
    IncomeLine.objects.create(
        household=grant.household,
        income_type=IncomeType.objects.get(code="wage"),
        monthly_amount=Decimal("400.00"),
        valid_from=datetime.date(2024, 6, 1),
    )


@pytest.fixture
def grant(db):
    return approved_grant()


def propose(user, grant, from_month="2024-06-01", reason="Wage rose."):
    return post(
        user,
        f"/api/v1/grants/{grant.pk}/schedule/propose/",
        {"from_month": from_month, "reason": reason},
    )


# A grant's schedule and proposals


def test_propose_then_confirm_through_the_api(grant, worker_chashan, supervisor_chashan):
    raise_income(grant)

    response = propose(worker_chashan, grant)

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["proposed"] is True
    entry = body["entry"]
    assert (entry["state"], entry["kind"], entry["amount"], entry["proposed_by"]) == (
        "proposed",
        "recalculation",
        "1200.00",
        "worker-chashan",
    )
    assert entry["calculation"]["total"] == "1200.00"

    response = post(supervisor_chashan, f"/api/v1/schedule-entries/{entry['id']}/confirm/")

    assert response.status_code == 200, response.json()
    assert (response.json()["state"], response.json()["confirmed_by"]) == (
        "confirmed",
        "supervisor-chashan",
    )
    schedule = get(worker_chashan, f"/api/v1/grants/{grant.pk}/schedule/").json()
    assert [(row["from_month"], row["amount"], row["state"]) for row in schedule] == [
        ("2024-03-01", "1600.00", "confirmed"),
        ("2024-06-01", "1200.00", "confirmed"),
    ]


def test_proposal_equal_to_the_amount_in_force_records_nothing(grant, worker_chashan):
    response = propose(worker_chashan, grant)

    assert response.status_code == 200
    body = response.json()
    assert (body["proposed"], body["entry"]) == (False, None)
    assert "nothing to propose" in body["detail"]
    assert grant.schedule.count() == 1


def test_bad_month_is_a_400_naming_the_field(grant, worker_chashan):
    response = propose(worker_chashan, grant, from_month="2024-06-15")

    assert response.status_code == 400
    assert "from_month" in response.json()


def test_unknown_field_is_refused(grant, worker_chashan):
    response = post(
        worker_chashan,
        f"/api/v1/grants/{grant.pk}/schedule/propose/",
        {"from_month": "2024-06-01", "reason": "x", "amount": "9999.00"},
    )

    assert response.status_code == 400
    assert "amount" in response.json()


def test_self_confirmation_is_a_403(grant, supervisor_chashan):
    raise_income(grant)
    entry = propose(supervisor_chashan, grant).json()["entry"]

    response = post(supervisor_chashan, f"/api/v1/schedule-entries/{entry['id']}/confirm/")

    assert response.status_code == 403
    assert ScheduleEntry.objects.get(pk=entry["id"]).state == "proposed"


@pytest.mark.parametrize("persona", ["worker_chashan", "finance", "auditor"])
def test_confirmation_by_a_role_that_does_not_decide_is_a_403(
    grant, persona, request, supervisor_chashan
):
    raise_income(grant)
    entry = propose(supervisor_chashan, grant).json()["entry"]

    response = post(
        request.getfixturevalue(persona), f"/api/v1/schedule-entries/{entry['id']}/confirm/"
    )

    assert response.status_code == 403


def test_another_towns_grant_and_entries_are_404(grant, worker_chashan, worker_dalang):
    raise_income(grant)
    entry = propose(worker_chashan, grant).json()["entry"]
    supervisor_dalang = staff_user("supervisor-dalang", Role.TOWN_SUPERVISOR, "dalang")

    assert propose(worker_dalang, grant).status_code == 404
    assert get(worker_dalang, f"/api/v1/grants/{grant.pk}/schedule/").status_code == 404
    assert get(worker_dalang, f"/api/v1/schedule-entries/{entry['id']}/").status_code == 404
    assert (
        post(supervisor_dalang, f"/api/v1/schedule-entries/{entry['id']}/confirm/").status_code
        == 404
    )
    assert (
        post(supervisor_dalang, f"/api/v1/grants/{grant.pk}/suspend/", {"reason": "x"}).status_code
        == 404
    )
    assert get(worker_dalang, "/api/v1/schedule-entries/").json()["count"] == 0


def test_reject_needs_reasons_and_a_rejected_entry_cannot_be_confirmed(
    grant, worker_chashan, supervisor_chashan
):
    raise_income(grant)
    entry = propose(worker_chashan, grant).json()["entry"]
    url = f"/api/v1/schedule-entries/{entry['id']}"

    assert post(supervisor_chashan, f"{url}/reject/").status_code == 400
    response = post(supervisor_chashan, f"{url}/reject/", {"reason": "Short job."})
    assert response.status_code == 200
    assert (response.json()["state"], response.json()["rejection_reason"]) == (
        "rejected",
        "Short job.",
    )

    response = post(supervisor_chashan, f"{url}/confirm/")

    assert response.status_code == 400
    assert "state" in response.json()


def test_the_queue_lists_the_proposals_awaiting_the_user(grant, worker_chashan, supervisor_chashan):
    raise_income(grant)
    entry = propose(worker_chashan, grant).json()["entry"]

    mine = get(supervisor_chashan, "/api/v1/schedule-entries/", awaiting_me="true").json()
    theirs = get(worker_chashan, "/api/v1/schedule-entries/", awaiting_me="true").json()

    assert [row["id"] for row in mine["results"]] == [entry["id"]]
    assert theirs["count"] == 0


# Standard changes


def test_standard_change_proposed_and_confirmed_by_two_city_supervisors(city_supervisor):
    grants = [approved_grant(), approved_grant()]
    Standard.objects.create(
        scheme=scheme("dibao"),
        town=town("chashan"),
        monthly_amount=Decimal("1400.00"),
        effective_from=datetime.date(2024, 7, 1),
    )
    body = {"scheme": "dibao", "from_month": "2024-07-01", "reason": "New 茶山 standard."}

    response = post(city_supervisor, "/api/v1/schedule-confirmations/", body)

    assert response.status_code == 201, response.json()
    change = response.json()
    assert (change["state"], change["proposed_count"], change["town"]) == ("proposed", 2, None)
    assert post(city_supervisor, "/api/v1/schedule-confirmations/", body).status_code == 200
    entries = get(city_supervisor, "/api/v1/schedule-entries/", confirmation=change["id"]).json()
    assert entries["count"] == 2
    url = f"/api/v1/schedule-confirmations/{change['id']}/confirm/"
    assert post(city_supervisor, url).status_code == 403
    entry_url = f"/api/v1/schedule-entries/{entries['results'][0]['id']}/confirm/"
    assert post(staff_user("supervisor-2", Role.CITY_SUPERVISOR), entry_url).status_code == 400

    response = post(staff_user("supervisor-2", Role.CITY_SUPERVISOR), url)

    assert response.status_code == 200, response.json()
    assert (response.json()["state"], response.json()["confirmed_by"]) == (
        "confirmed",
        "supervisor-2",
    )
    for grant in grants:
        amounts = grant.schedule.filter(state="confirmed").values_list("amount", flat=True)
        assert sorted(amounts) == [Decimal("1600.00"), Decimal("1800.00")]


def test_standard_change_by_a_town_supervisor_is_a_403(supervisor_chashan):
    response = post(
        supervisor_chashan,
        "/api/v1/schedule-confirmations/",
        {"scheme": "dibao", "from_month": "2024-07-01"},
    )

    assert response.status_code == 403
    assert not ScheduleConfirmation.objects.exists()


def test_standard_change_of_temporary_assistance_is_a_400(city_supervisor):
    response = post(
        city_supervisor,
        "/api/v1/schedule-confirmations/",
        {"scheme": "temp_emergency", "from_month": "2024-07-01"},
    )

    assert response.status_code == 400
    assert "scheme" in response.json()


def test_rejected_standard_change_through_the_api(city_supervisor):
    approved_grant()
    change = post(
        city_supervisor,
        "/api/v1/schedule-confirmations/",
        {"scheme": "dibao", "from_month": "2024-07-01"},
    ).json()
    other = staff_user("supervisor-2", Role.CITY_SUPERVISOR)

    response = post(
        other, f"/api/v1/schedule-confirmations/{change['id']}/reject/", {"reason": "Wait."}
    )

    assert response.status_code == 200
    assert response.json()["state"] == "rejected"
    listed = get(city_supervisor, "/api/v1/schedule-confirmations/", state="rejected").json()
    assert [row["id"] for row in listed["results"]] == [change["id"]]


# A grant's state


def test_suspend_resume_terminate_through_the_api(grant, supervisor_chashan):
    url = f"/api/v1/grants/{grant.pk}"

    response = post(
        supervisor_chashan,
        f"{url}/suspend/",
        {"reason": "Deposit found.", "from_month": "2024-07-01"},
    )
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "suspended"
    assert response.json()["suspensions"][0]["from_month"] == "2024-07-01"
    assert post(supervisor_chashan, f"{url}/suspend/", {"reason": "Again."}).status_code == 400

    response = post(
        supervisor_chashan, f"{url}/resume/", {"reason": "Explained.", "from_month": "2024-08-01"}
    )
    assert response.json()["state"] == "active"
    assert response.json()["suspensions"][0]["resumed_month"] == "2024-08-01"

    response = post(
        supervisor_chashan, f"{url}/terminate/", {"reason": "Moved.", "ends_month": "2024-10-01"}
    )
    assert (response.json()["state"], response.json()["ends_month"]) == (
        "terminated",
        "2024-10-01",
    )


def test_case_worker_cannot_suspend(grant, worker_chashan):
    response = post(worker_chashan, f"/api/v1/grants/{grant.pk}/suspend/", {"reason": "x"})

    assert response.status_code == 403
    grant.refresh_from_db()
    assert grant.state == Grant.State.ACTIVE


def test_gradual_exit_through_the_api(grant, supervisor_chashan):
    response = post(
        supervisor_chashan,
        f"/api/v1/grants/{grant.pk}/gradual-exit/",
        {"reason": "Found work.", "from_month": "2024-07-01", "months": 3, "stepped": True},
    )

    assert response.status_code == 200, response.json()
    assert (response.json()["exit_from_month"], response.json()["ends_month"]) == (
        "2024-07-01",
        "2024-09-01",
    )
    proposals = get(
        supervisor_chashan, "/api/v1/schedule-entries/", grant=grant.pk, kind="gradual_exit"
    ).json()
    assert sorted(row["amount"] for row in proposals["results"]) == ["1066.67", "533.33"]


def test_gradual_exit_beyond_the_rule_is_a_400(grant, supervisor_chashan):
    response = post(
        supervisor_chashan,
        f"/api/v1/grants/{grant.pk}/gradual-exit/",
        {"reason": "Found work.", "from_month": "2024-07-01", "months": 7},
    )

    assert response.status_code == 400
    assert "months" in response.json()


def test_recheck_through_the_api(grant, worker_chashan):
    response = post(
        worker_chashan, f"/api/v1/grants/{grant.pk}/recheck/", {"on": "2024-06-12", "note": "ok"}
    )

    assert response.status_code == 200, response.json()
    # The default household's members are unemployed and of working age: six-monthly.
    assert (response.json()["last_rechecked_on"], response.json()["recheck_due_on"]) == (
        "2024-06-12",
        "2024-12-12",
    )
    status = get(worker_chashan, f"/api/v1/grants/{grant.pk}/status/").json()
    assert status["recheck_due_on"] == "2024-12-12"


def test_auditor_reads_but_cannot_act(grant, auditor):
    assert get(auditor, f"/api/v1/grants/{grant.pk}/schedule/").status_code == 200
    assert (
        post(auditor, f"/api/v1/grants/{grant.pk}/recheck/", {"on": "2024-06-12"}).status_code
        == 403
    )


def test_schedule_endpoints_are_in_the_schema(schema_client):
    schema = schema_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    paths = set(schema.json()["paths"])
    assert {
        "/api/v1/grants/{id}/schedule/",
        "/api/v1/grants/{id}/schedule/propose/",
        "/api/v1/grants/{id}/status/",
        "/api/v1/grants/{id}/suspend/",
        "/api/v1/grants/{id}/resume/",
        "/api/v1/grants/{id}/terminate/",
        "/api/v1/grants/{id}/gradual-exit/",
        "/api/v1/grants/{id}/recheck/",
        "/api/v1/schedule-entries/",
        "/api/v1/schedule-entries/{id}/",
        "/api/v1/schedule-entries/{id}/confirm/",
        "/api/v1/schedule-entries/{id}/reject/",
        "/api/v1/schedule-confirmations/",
        "/api/v1/schedule-confirmations/{id}/",
        "/api/v1/schedule-confirmations/{id}/confirm/",
        "/api/v1/schedule-confirmations/{id}/reject/",
    } <= paths
