"""The calendar over the API: administrators enter next year's schedule, everyone reads it and
asks the calendar's arithmetic."""

import pytest
from rest_framework.test import APIClient

from relief import workdays
from relief.models import CalendarDay

pytestmark = pytest.mark.django_db

DAYS = "/api/v1/calendar/days/"
WORKDAYS = "/api/v1/calendar/workdays/"


def client_for(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def test_administrator_enters_a_day_of_next_years_schedule_with_actor_and_reason(administrator):
    assert workdays.is_provisional(2027)
    response = client_for(administrator).post(
        DAYS,
        {"day": "2027-02-08", "kind": "holiday", "name": "春节", "reason": "2027 schedule"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["day"] == "2027-02-08"
    entry = CalendarDay.objects.get(day="2027-02-08")
    assert not workdays.is_provisional(2027)
    assert not workdays.is_working_day(entry.day)
    created = entry.history.get()
    assert created.history_user == administrator
    assert created.history_change_reason == "2027 schedule"


def test_entering_the_same_day_again_corrects_it(administrator):
    client = client_for(administrator)
    body = {"day": "2027-02-07", "kind": "holiday", "name": "春节", "reason": "first"}
    client.post(DAYS, body, format="json")
    response = client.post(DAYS, {**body, "kind": "workday", "reason": "fix"}, format="json")
    assert response.status_code == 201
    assert CalendarDay.objects.get(day="2027-02-07").kind == "workday"
    assert CalendarDay.objects.count() == 1


@pytest.mark.parametrize(
    "body, field",
    [
        ({"day": "2027-13-01", "kind": "holiday", "name": "x", "reason": "r"}, "day"),
        ({"day": "2027-02-08", "kind": "vacation", "name": "x", "reason": "r"}, "kind"),
        ({"day": "2027-02-08", "kind": "holiday", "name": "x"}, "reason"),
        ({"day": "2027-02-08", "kind": "holiday", "name": "x", "reason": "  "}, "reason"),
    ],
)
def test_bad_calendar_input_is_a_400_naming_the_field(administrator, body, field):
    response = client_for(administrator).post(DAYS, body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not CalendarDay.objects.exists()


def test_other_roles_read_the_schedule_but_cannot_change_it(
    administrator, worker_chashan, city_supervisor, auditor
):
    entry = CalendarDay.objects.create(day="2027-01-01", kind="holiday", name="元旦")
    for user in (worker_chashan, city_supervisor, auditor):
        client = client_for(user)
        assert client.get(DAYS, {"year": 2027}).json() == [
            {"id": entry.pk, "day": "2027-01-01", "kind": "holiday", "name": "元旦", "note": ""}
        ]
        body = {"day": "2027-01-02", "kind": "holiday", "name": "x", "reason": "r"}
        assert client.post(DAYS, body, format="json").status_code == 403
        assert (
            client.delete(f"{DAYS}{entry.pk}/", {"reason": "r"}, format="json").status_code == 403
        )
    assert CalendarDay.objects.count() == 1
    assert APIClient().get(DAYS).status_code in (401, 403)


def test_year_filter(administrator):
    CalendarDay.objects.create(day="2027-01-01", kind="holiday", name="元旦")
    CalendarDay.objects.create(day="2026-12-31", kind="holiday", name="x")
    days = client_for(administrator).get(DAYS, {"year": 2027}).json()
    assert [day["day"] for day in days] == ["2027-01-01"]
    assert client_for(administrator).get(DAYS, {"year": "soon"}).status_code == 400


def test_administrator_deletes_a_day_with_a_reason(administrator):
    entry = CalendarDay.objects.create(day="2027-01-01", kind="holiday", name="元旦")
    client = client_for(administrator)
    assert client.delete(f"{DAYS}{entry.pk}/", {}, format="json").status_code == 400
    assert client.delete(f"{DAYS}{entry.pk}/", {"reason": "typo"}, format="json").status_code == 204
    assert not CalendarDay.objects.exists()
    assert client.delete(f"{DAYS}{entry.pk}/", {"reason": "x"}, format="json").status_code == 404


def test_workdays_arithmetic_over_the_api(worker_chashan):
    client = client_for(worker_chashan)
    # Saturday 2024-02-03 + 1 working day: Sunday 2024-02-04 is a make-up working day.
    assert client.get(WORKDAYS, {"start": "2024-02-03", "add": 1}).json() == {
        "date": "2024-02-04",
        "provisional_years": [],
    }
    assert client.get(WORKDAYS, {"start": "2024-02-08", "end": "2024-02-19"}).json() == {
        "working_days": 3,  # 02-09 (Friday, worked), 02-18 (make-up Sunday), 02-19
        "provisional_years": [],
    }


def test_workdays_marks_a_provisional_year(worker_chashan):
    body = client_for(worker_chashan).get(WORKDAYS, {"start": "2026-12-31", "add": 2}).json()
    assert body == {"date": "2027-01-04", "provisional_years": [2027]}


@pytest.mark.parametrize(
    "query, field",
    [
        ({"start": "2024-02-03"}, "add"),
        ({"start": "2024-02-03", "add": 1, "end": "2024-02-05"}, "add"),
        ({"start": "2024-02-03", "add": -1}, "add"),
        ({"start": "2024-02-03", "end": "2024-02-01"}, "end"),
        ({"start": "someday", "add": 1}, "start"),
    ],
)
def test_bad_workdays_queries_are_400_naming_the_parameter(worker_chashan, query, field):
    response = client_for(worker_chashan).get(WORKDAYS, query)
    assert response.status_code == 400
    assert field in response.json()
