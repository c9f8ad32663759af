"""The check's pages (/audit/checks/) and API (/api/v1/checks/): the city supervisor or an
administrator starts a run, everyone with a case role follows it, each in their own scope."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from audit import check
from audit.models import CheckRun, Finding
from tests.audit.conftest import FROM, PERIOD, members, paid_grant
from tests.audit.factories import record
from tests.factories import town

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2024, 7, 1)


@pytest.fixture
def runs(db):
    """A finished city-wide run with a vehicle finding in 茶山, and a 大朗-only run."""
    grant = paid_grant()
    record("vehicles", members(grant)[0], category="汽车", reference="粤S1")
    city = check.run_check(PERIOD, from_month=FROM, today=TODAY)
    dalang = check.run_check(PERIOD, town=town("dalang"), from_month=FROM, today=TODAY)
    return city, dalang


def test_the_city_supervisor_starts_a_check_on_the_page(
    client, city_supervisor, grant, django_capture_on_commit_callbacks
):
    record("vehicles", members(grant)[0], category="汽车", reference="粤S1")
    client.force_login(city_supervisor)
    page = client.get(reverse("audit:check-list"))
    assert page.status_code == 200 and b'data-testid="check-start"' in page.content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("audit:check-list"),
            {
                "check-period": "2024-06",
                "check-town": town("chashan").code,
                "check-from_month": "2024-03",
            },
        )
    run = CheckRun.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "audit:check-detail", args=[run.pk]
    )
    assert (run.started_by, run.town, run.from_month) == (city_supervisor, town("chashan"), FROM)
    # Eager Celery: the run is done by the time the page shows it.
    detail = client.get(response.url)
    assert detail.status_code == 200
    assert Finding.objects.filter(kind=Finding.Kind.VEHICLE).exists()
    assert b'data-testid="check-result"' in detail.content
    assert b"towns-progress.js" not in detail.content  # finished: nothing to poll


def test_a_bad_start_names_the_field(client, city_supervisor):
    client.force_login(city_supervisor)
    response = client.post(
        reverse("audit:check-list"),
        {"check-period": "2024-06", "check-from_month": "2024-08"},
    )
    assert response.status_code == 400
    assert b"The first month to reconcile comes after the period." in response.content
    assert not CheckRun.objects.exists()


def test_a_case_worker_may_not_start_a_check(client, worker_chashan):
    client.force_login(worker_chashan)
    page = client.get(reverse("audit:check-list"))
    assert page.status_code == 200 and b'data-testid="check-start"' not in page.content
    response = client.post(reverse("audit:check-list"), {"check-period": "2024-06"})
    assert response.status_code == 403
    assert not CheckRun.objects.exists()


def test_a_running_check_polls_its_progress(client, city_supervisor):
    run = check.start_check(period=PERIOD, from_month=FROM)
    client.force_login(city_supervisor)
    page = client.get(reverse("audit:check-detail", args=[run.pk]))
    assert b"js/towns-progress.js" in page.content
    assert b"<script>" not in page.content  # strict CSP: no inline code
    progress = client.get(reverse("audit:check-progress", args=[run.pk])).json()
    assert progress["finished"] is False and progress["towns_done"] == 0
    assert progress["towns_total"] > 30


def test_a_town_worker_sees_city_runs_and_their_towns_parts_only(client, worker_chashan, runs):
    city, dalang = runs
    client.force_login(worker_chashan)
    listed = client.get(reverse("audit:check-list")).content
    assert f'data-testid="check-{city.pk}"'.encode() in listed
    assert f'data-testid="check-{dalang.pk}"'.encode() not in listed
    assert client.get(reverse("audit:check-detail", args=[dalang.pk])).status_code == 404
    assert client.get(reverse("audit:check-progress", args=[dalang.pk])).status_code == 404
    detail = client.get(reverse("audit:check-detail", args=[city.pk])).content
    assert f"check-town-{town('chashan').code}".encode() in detail
    assert f"check-town-{town('dalang').code}".encode() not in detail
    progress = client.get(reverse("audit:check-progress", args=[city.pk])).json()
    assert (progress["towns_total"], progress["new_findings"]) == (1, 1)


def test_a_role_without_case_data_gets_no_check_page(client, db):
    from cases.models import Role
    from tests.factories import staff_user

    provider = staff_user("bank", Role.REGISTRY_PROVIDER)
    client.force_login(provider)
    assert client.get(reverse("audit:check-list")).status_code == 403


# the API


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_api_starts_a_check(city_supervisor, grant, django_capture_on_commit_callbacks):
    record("vehicles", members(grant)[0], category="汽车", reference="粤S1")
    with django_capture_on_commit_callbacks(execute=True):
        response = api(city_supervisor).post(
            "/api/v1/checks/", {"period": "2024-06", "from_month": "2024-03"}, format="json"
        )
    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["period"] == "2024-06-01" and body["town"] is None
    assert body["started_by"] == city_supervisor.username
    run = CheckRun.objects.get(pk=body["id"])
    assert run.state == CheckRun.State.DONE  # eager
    again = api(city_supervisor).get(f"/api/v1/checks/{run.pk}/").json()
    assert again["new_findings"] == 1 and again["towns_done"] == again["towns_total"]


def test_an_administrator_starts_a_check_through_the_api(administrator):
    response = api(administrator).post(
        "/api/v1/checks/", {"period": "2024-06", "town": town("dalang").code}, format="json"
    )
    assert response.status_code == 202
    assert response.json()["town"] == town("dalang").code


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"period": "2024-13"}, "period"),
        ({}, "period"),
        ({"period": "2024-06", "town": "1"}, "town"),
        ({"period": "2024-06", "from_month": "2024-07"}, "from_month"),
    ],
)
def test_the_api_names_the_bad_field(city_supervisor, body, field):
    response = api(city_supervisor).post("/api/v1/checks/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not CheckRun.objects.exists()


def test_the_api_refuses_a_case_worker_s_start(worker_chashan):
    response = api(worker_chashan).post("/api/v1/checks/", {"period": "2024-06"}, format="json")
    assert response.status_code == 403
    assert not CheckRun.objects.exists()


def test_the_api_lists_runs_in_scope(worker_chashan, runs):
    city, dalang = runs
    body = api(worker_chashan).get("/api/v1/checks/").json()
    assert [row["id"] for row in body["results"]] == [city.pk]
    assert body["results"][0]["towns_total"] == 1
    assert api(worker_chashan).get(f"/api/v1/checks/{dalang.pk}/").status_code == 404
    filtered = api(worker_chashan).get("/api/v1/checks/?period=2024-05").json()
    assert filtered["count"] == 0
    assert api(worker_chashan).get("/api/v1/checks/?period=May").status_code == 400


# a period with an unfinished run


def test_the_page_refuses_a_second_run_of_a_period_still_running(client, city_supervisor):
    running = check.start_check(period=PERIOD, from_month=FROM)
    client.force_login(city_supervisor)
    response = client.post(
        reverse("audit:check-list"), {"check-period": "2024-06", "check-town": town("dalang").code}
    )
    assert response.status_code == 400
    assert f"#{running.pk}".encode() in response.content and b"2024-06" in response.content
    assert CheckRun.objects.count() == 1


def test_the_api_refuses_a_second_run_of_a_period_still_running(city_supervisor):
    running = check.start_check(period=PERIOD, from_month=FROM)
    response = api(city_supervisor).post("/api/v1/checks/", {"period": "2024-06"}, format="json")
    assert response.status_code == 400
    assert f"#{running.pk}" in response.json()["period"][0]
    assert CheckRun.objects.count() == 1


# the lists read the runs' progress in a fixed number of queries


def _start_runs(months):
    for month in months:
        check.start_check(period=datetime.date(2024, month, 1), from_month=FROM)


def _queries(call) -> int:
    with CaptureQueriesContext(connection) as queries:
        call()
    return len(queries)


@pytest.mark.parametrize("user_fixture", ["city_supervisor", "worker_chashan"])
def test_the_run_list_page_reads_progress_in_fixed_queries(client, request, user_fixture):
    client.force_login(request.getfixturevalue(user_fixture))
    _start_runs([1, 2])
    few = _queries(lambda: client.get(reverse("audit:check-list")))
    _start_runs([3, 4, 5, 6])
    page = client.get(reverse("audit:check-list"))
    assert page.status_code == 200 and page.content.count(b'data-testid="check-') >= 6
    assert _queries(lambda: client.get(reverse("audit:check-list"))) == few


@pytest.mark.parametrize("user_fixture", ["city_supervisor", "worker_chashan"])
def test_the_run_list_api_reads_progress_in_fixed_queries(request, user_fixture):
    client = api(request.getfixturevalue(user_fixture))
    _start_runs([1, 2])
    few = _queries(lambda: client.get("/api/v1/checks/"))
    _start_runs([3, 4, 5, 6])
    body = client.get("/api/v1/checks/").json()
    assert body["count"] == 6 and body["results"][0]["towns_total"] >= 1
    assert _queries(lambda: client.get("/api/v1/checks/")) == few
