"""The workflow API: /api/v1/applications/ and its steps, clocks, breaches, notifications,
grants. Each transition and each refusal (wrong state 400, wrong role or self-approval 403,
another town 404) through HTTP, on pinned days around Spring Festival 2024."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from cases.models import Application, Breach, Clock, Extension, Grant, Notification, Role
from cases.workflow.sweep import clocks_sweep
from tests.factories import (
    DIBAO_DAYS,
    complete_household,
    dibao_application,
    household_with_members,
    staff_user,
)

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
D = DIBAO_DAYS


def client_for(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


@pytest.fixture
def on(monkeypatch):
    """Pin the server's clock to 10:00 in Shanghai on a day: on("2024-02-05")."""

    def pin(day):
        if isinstance(day, str):
            day = datetime.date.fromisoformat(day)
        moment = datetime.datetime.combine(day, datetime.time(10, 0), tzinfo=SHANGHAI)
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return pin


def post(user, application, action, body=None):
    return client_for(user).post(
        f"/api/v1/applications/{application if isinstance(application, int) else application.pk}"
        f"/{action}/",
        body or {},
        format="json",
    )


def create(user, household, scheme="dibao", **extra):
    return client_for(user).post(
        "/api/v1/applications/",
        {"household": household.pk, "scheme": scheme, **extra},
        format="json",
    )


# The whole dibao procedure


def test_dibao_from_draft_to_grant_through_the_api(on, worker_chashan, supervisor_chashan):
    household = complete_household()
    on(D["submitted"])
    response = create(worker_chashan, household)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["state"], body["town"], body["scheme"]) == ("draft", "441900103", "dibao")
    pk = body["id"]

    steps = [
        ("submit", {}, D["submitted"], "submitted"),
        ("accept", {"received_on": "2024-02-03"}, D["accepted"], "accepted"),
        ("home-visit", {"findings": "Lives in a rented room."}, D["visited"], "visited"),
        ("opinion", {"recommend": True}, D["opinion"], "opinion"),
        ("start-notice", {}, D["notice"], "notice"),
        ("end-notice", {}, D["notice_ended"], "notice_ended"),
    ]
    for action, data, day, state in steps:
        on(day)
        response = post(worker_chashan, pk, action, data)
        assert response.status_code == 200, (action, response.json())
        assert response.json()["state"] == state

    body = response.json()
    assert body["accepted_on"] == "2024-02-04"  # received on Saturday, a make-up Sunday
    assert body["notice"]["ends_on"] == "2024-02-14"
    assert body["notice"]["amount"] == "1600.00"
    assert body["calculation"]["total"] == "1600.00"

    on(D["approved"])
    response = post(supervisor_chashan, pk, "decide", {"approve": True, "reasons": "Eligible."})
    assert response.status_code == 200, response.json()
    assert response.json()["decision"] == "approved"
    assert response.json()["decided_by"] == "supervisor-chashan"

    grants = client_for(worker_chashan).get("/api/v1/grants/").json()["results"]
    assert len(grants) == 1
    assert grants[0]["starts_month"] == "2024-03-01"
    assert [(e["amount"], e["state"], e["confirmed_by"]) for e in grants[0]["schedule"]] == [
        ("1600.00", "confirmed", "supervisor-chashan")
    ]
    events = client_for(worker_chashan).get(f"/api/v1/applications/{pk}/events/").json()
    assert [e["kind"] for e in events] == [
        "created",
        "submitted",
        "accepted",
        "home_visit",
        "opinion",
        "notice_started",
        "notice_ended",
        "approved",
    ]


def test_clocks_endpoint_shows_due_dates_and_flags(on, worker_chashan):
    application = dibao_application(worker=worker_chashan, until="accepted")
    on("2024-02-20")
    clocks = client_for(worker_chashan).get(f"/api/v1/applications/{application.pk}/clocks/")
    assert clocks.status_code == 200
    by_kind = {c["kind"]: c for c in clocks.json()}
    assert by_kind["home_visit"]["due_on"] == "2024-02-19"
    assert by_kind["home_visit"]["overdue"] is True
    assert by_kind["home_visit"]["holder"] == "worker-chashan"
    assert by_kind["overall"]["due_on"] == "2024-03-21"
    assert by_kind["overall"]["overdue"] is False


# Refusals


def test_a_step_in_the_wrong_state_is_a_400_naming_the_state(on, worker_chashan):
    application = dibao_application(worker=worker_chashan)
    on(D["accepted"])
    response = post(worker_chashan, application, "accept", {"received_on": "2024-02-03"})
    assert response.status_code == 400
    assert response.json() == {
        "state": ["Cannot accept: the application is in state “Draft” (draft)."]
    }


def test_an_incomplete_file_is_refused_with_every_missing_item(on, worker_chashan):
    household = household_with_members("chashan", size=2)
    on(D["submitted"])
    pk = create(worker_chashan, household).json()["id"]
    response = post(worker_chashan, pk, "submit")
    assert response.status_code == 400
    assert set(response.json()) == {"authorisations", "income"}
    assert len(response.json()["authorisations"]) == 2


@pytest.mark.parametrize(
    ("persona", "action", "body"),
    [
        ("worker_chashan", "decide", {"approve": True}),
        ("finance", "decide", {"approve": True}),
        ("auditor", "end-notice", {}),
        ("finance", "withdraw", {"reason": "x"}),
        ("worker_chashan", "extend", {"reason": "x"}),
        ("supervisor_chashan", "disburse", {}),
    ],
)
def test_the_wrong_role_is_a_403(on, request, worker_chashan, persona, action, body):
    application = dibao_application(worker=worker_chashan, until="notice_ended")
    on(D["approved"])
    response = post(request.getfixturevalue(persona), application, action, body)
    assert response.status_code == 403, response.json()
    application.refresh_from_db()
    assert application.state == "notice_ended"


def test_an_administrator_reaches_no_application(on, administrator, worker_chashan):
    application = dibao_application(worker=worker_chashan, until="submitted")
    assert client_for(administrator).get("/api/v1/applications/").status_code == 403
    response = post(administrator, application, "accept", {"received_on": "2024-02-03"})
    assert response.status_code == 403


def test_self_approval_is_a_403_with_a_clear_message(on, worker_chashan, supervisor_chashan):
    application = dibao_application(worker=worker_chashan, until="visited")
    on(D["opinion"])
    assert post(supervisor_chashan, application, "opinion", {"recommend": True}).status_code == 200
    for action, day in (("start-notice", D["notice"]), ("end-notice", D["notice_ended"])):
        on(day)
        assert post(worker_chashan, application, action).status_code == 200
    on(D["approved"])
    response = post(supervisor_chashan, application, "decide", {"approve": True})
    assert response.status_code == 403
    assert "You prepared this application" in response.json()["detail"]
    assert not Grant.objects.exists()


def test_another_towns_application_is_a_404(on, worker_chashan, worker_dalang):
    application = dibao_application(worker=worker_chashan, until="submitted")
    client = client_for(worker_dalang)
    assert client.get(f"/api/v1/applications/{application.pk}/").status_code == 404
    assert client.get(f"/api/v1/applications/{application.pk}/clocks/").status_code == 404
    on(D["accepted"])
    response = post(worker_dalang, application, "accept", {"received_on": "2024-02-03"})
    assert response.status_code == 404
    assert client.get("/api/v1/applications/").json()["count"] == 0


def test_creating_for_another_towns_household_is_a_400(worker_dalang):
    response = create(worker_dalang, complete_household("chashan"))
    assert response.status_code == 400
    assert "household" in response.json()


def test_bad_bodies_are_400s_naming_the_field(on, worker_chashan, supervisor_chashan):
    application = dibao_application(worker=worker_chashan, until="notice_ended")
    on(D["approved"])
    assert post(supervisor_chashan, application, "decide", {}).json() == {
        "approve": ["This field is required."]
    }
    response = post(supervisor_chashan, application, "decide", {"approve": True, "amount": 1})
    assert response.status_code == 400
    assert "amount" in response.json()
    response = post(supervisor_chashan, application, "decide", {"approve": False})
    assert response.status_code == 400
    assert "reasons" in response.json()


def test_a_draft_is_edited_with_patch_and_then_frozen(on, worker_chashan):
    application = dibao_application(worker=worker_chashan)
    client = client_for(worker_chashan)
    url = f"/api/v1/applications/{application.pk}/"
    response = client.patch(url, {"note": "Walk-in", "reason": "Typo"}, format="json")
    assert response.status_code == 200
    assert response.json()["note"] == "Walk-in"
    on(D["submitted"])
    assert post(worker_chashan, application, "submit").status_code == 200
    response = client.patch(url, {"note": "Later"}, format="json")
    assert response.status_code == 400
    assert "submitted" in response.json()["state"][0]


@pytest.fixture
def supervisor_dalang(db):
    return staff_user("supervisor-dalang", Role.TOWN_SUPERVISOR, "dalang")


@pytest.fixture
def preparing_supervisor(db):
    """A 茶山 supervisor who gave the town opinion: a preparer of the application."""
    return staff_user("supervisor-chashan-opinion", Role.TOWN_SUPERVISOR, "chashan")


def test_another_towns_supervisor_can_neither_decide_nor_extend(
    on, worker_chashan, supervisor_dalang
):
    application = dibao_application(worker=worker_chashan, until="notice_ended")
    overall = application.clocks.get(kind=Clock.Kind.OVERALL)
    on(D["approved"])
    response = post(supervisor_dalang, application, "decide", {"approve": True})
    assert response.status_code == 404
    response = post(supervisor_dalang, application, "decide", {"approve": False, "reasons": "x"})
    assert response.status_code == 404
    assert post(supervisor_dalang, application, "extend", {"reason": "x"}).status_code == 404

    application.refresh_from_db()
    assert (application.state, application.decision, application.decided_by) == (
        "notice_ended",
        "",
        None,
    )
    assert not Grant.objects.exists()
    assert not Extension.objects.exists()
    overall.refresh_from_db()
    assert overall.limit_days == 30
    assert not application.events.filter(actor=supervisor_dalang).exists()


@pytest.mark.parametrize(
    ("until", "day", "action", "body", "message"),
    [
        ("accepted", D["visited"], "submit", {}, "Cannot submit: "),
        ("draft", D["accepted"], "accept", {"received_on": "2024-02-03"}, "Cannot accept: "),
        ("submitted", D["visited"], "home-visit", {"findings": "x"}, "Cannot record a home"),
        ("visited", D["notice"], "start-notice", {}, "Cannot post a notice: "),
        ("notice", "2024-02-14", "end-notice", {}, "runs until 2024-02-14"),
    ],
)
def test_a_preparing_step_in_the_wrong_state_is_a_400_and_changes_nothing(
    on, worker_chashan, until, day, action, body, message
):
    application = dibao_application(worker=worker_chashan, until=until)
    events = application.events.count()
    on(day)
    response = post(worker_chashan, application, action, body)
    assert response.status_code == 400, response.json()
    assert message in response.json()["state"][0]
    if message.startswith("Cannot"):
        assert f"({until})" in response.json()["state"][0]
    application.refresh_from_db()
    assert application.state == until
    assert application.events.count() == events


def test_deciding_dibao_before_the_notice_ends_is_a_400(on, worker_chashan, supervisor_chashan):
    application = dibao_application(worker=worker_chashan, until="notice")
    on("2024-02-15")
    response = post(supervisor_chashan, application, "decide", {"approve": True})
    assert response.status_code == 400
    assert response.json() == {
        "state": ["Cannot approve: the application is in state “Public notice running” (notice)."]
    }
    application.refresh_from_db()
    assert application.state == "notice"
    assert not Grant.objects.exists()


def test_completing_the_file_of_a_general_application_is_a_400(
    on, worker_chashan, supervisor_chashan
):
    pk = accepted_temporary(on, worker_chashan, "3000.00")
    on(D["visited"])
    assert post(supervisor_chashan, pk, "decide", {"approve": True}).status_code == 200
    response = post(worker_chashan, pk, "complete-file")
    assert response.status_code == 400
    assert "emergency" in response.json()["procedure"][0]
    assert Application.objects.get(pk=pk).file_completed_at is None


@pytest.mark.parametrize(
    ("persona", "status_code"),
    [
        ("worker_chashan", 403),
        ("finance", 403),
        ("auditor", 403),
        ("supervisor_dalang", 404),
        ("preparing_supervisor", 403),
        ("supervisor_chashan", 200),
        ("city_supervisor", 200),
    ],
)
def test_who_may_decide(on, request, worker_chashan, preparing_supervisor, persona, status_code):
    application = dibao_application(worker=worker_chashan, until="visited")
    on(D["opinion"])
    response = post(preparing_supervisor, application, "opinion", {"recommend": True})
    assert response.status_code == 200
    for action, day in (("start-notice", D["notice"]), ("end-notice", D["notice_ended"])):
        on(day)
        assert post(worker_chashan, application, action).status_code == 200

    on(D["approved"])
    response = post(request.getfixturevalue(persona), application, "decide", {"approve": True})
    assert response.status_code == status_code, response.json()
    application.refresh_from_db()
    if status_code == 200:
        assert application.state == "approved"
        assert Grant.objects.filter(application=application).exists()
    else:
        assert application.state == "notice_ended"
        assert not Grant.objects.exists()


# Pauses, objections, extensions


def test_pause_and_resume_move_the_due_dates_through_the_api(on, worker_chashan):
    application = dibao_application(worker=worker_chashan, until="accepted")
    on("2024-02-08")
    response = post(worker_chashan, application, "request-supplement", {"items": "Payslips"})
    assert response.status_code == 200
    on("2024-02-19")
    assert post(worker_chashan, application, "supplement-received").status_code == 200
    clocks = client_for(worker_chashan).get(f"/api/v1/applications/{application.pk}/clocks/")
    home_visit = next(c for c in clocks.json() if c["kind"] == "home_visit")
    assert home_visit["due_on"] == "2024-02-22"  # 02-19 plus 09, 18, 19 paused
    assert home_visit["paused_since"] is None


def test_objection_sends_the_application_back_to_a_home_visit(on, worker_chashan):
    application = dibao_application(worker=worker_chashan, until="notice")
    on("2024-02-09")
    response = post(worker_chashan, application, "objection", {"objection": "Owns a shop."})
    assert response.json()["state"] == "reinvestigation"
    assert response.json()["notice"]["objections"] == 1
    on("2024-02-19")
    assert post(worker_chashan, application, "end-notice").status_code == 400
    response = post(worker_chashan, application, "home-visit", {"findings": "No shop."})
    assert response.json()["state"] == "notice"
    assert post(worker_chashan, application, "end-notice").json()["state"] == "notice_ended"


def test_extension_through_the_api(on, worker_chashan, supervisor_chashan):
    application = dibao_application(worker=worker_chashan, until="accepted")
    on(D["visited"])
    response = post(supervisor_chashan, application, "extend", {"reason": "Hospital report"})
    assert response.status_code == 200
    clocks = client_for(worker_chashan).get(f"/api/v1/applications/{application.pk}/clocks/")
    overall = next(c for c in clocks.json() if c["kind"] == "overall")
    assert (overall["limit_days"], overall["due_on"]) == (45, "2024-04-12")


def test_withdrawal_through_the_api(on, worker_chashan):
    application = dibao_application(worker=worker_chashan, until="accepted")
    on(D["visited"])
    assert post(worker_chashan, application, "withdraw", {}).status_code == 400
    response = post(worker_chashan, application, "withdraw", {"reason": "Found work"})
    assert response.json()["state"] == "withdrawn"


# Temporary assistance


def temporary_body(amount: str, **extra) -> dict:
    return {
        "proposed_amount": amount,
        "amount_basis": "Hospital bill",
        "instalments": 1,
        **extra,
    }


def accepted_temporary(on, worker, amount, scheme="temp_expenditure", **extra):
    on(D["submitted"])
    response = create(
        worker, complete_household(income=None), scheme, **temporary_body(amount, **extra)
    )
    assert response.status_code == 201, response.json()
    pk = response.json()["id"]
    assert post(worker, pk, "submit").status_code == 200
    response = post(worker, pk, "accept", {"received_on": "2024-02-03"})
    assert response.status_code == 200, response.json()
    return pk


def test_above_the_threshold_the_town_supervisor_gets_403_and_the_city_approves(
    on, worker_chashan, supervisor_chashan, city_supervisor
):
    pk = accepted_temporary(on, worker_chashan, "6000.00")
    on(D["visited"])
    response = post(supervisor_chashan, pk, "decide", {"approve": True})
    assert response.status_code == 403
    assert "5,000.00" in response.json()["detail"]
    response = post(city_supervisor, pk, "decide", {"approve": True})
    assert response.status_code == 200, response.json()
    assert response.json()["approved_amount"] == "6000.00"
    assert response.json()["needs_city"] is True


def test_below_the_threshold_the_town_supervisor_approves_and_finance_disburses(
    on, worker_chashan, supervisor_chashan, finance
):
    pk = accepted_temporary(on, worker_chashan, "3000.00")
    on(D["visited"])
    assert post(supervisor_chashan, pk, "decide", {"approve": True}).status_code == 200
    on("2024-02-19")
    response = post(finance, pk, "disburse", {"note": "Batch 7"})
    assert response.status_code == 200, response.json()
    clocks = client_for(finance).get(f"/api/v1/applications/{pk}/clocks/").json()
    disbursement = next(c for c in clocks if c["kind"] == "disbursement")
    assert disbursement["stopped_on"] == "2024-02-19"
    assert post(finance, pk, "disburse").status_code == 400


def test_approving_an_amount_outside_the_band_is_a_400(on, worker_chashan, supervisor_chashan):
    pk = accepted_temporary(on, worker_chashan, "3000.00")
    on(D["visited"])
    response = post(supervisor_chashan, pk, "decide", {"approve": True, "approved_amount": "50.00"})
    assert response.status_code == 400
    assert "approved_amount" in response.json()


def test_deciding_another_amount_than_the_proposed_one_is_a_400(
    on, worker_chashan, supervisor_chashan
):
    pk = accepted_temporary(on, worker_chashan, "3000.00")
    on(D["visited"])
    body = {"approve": True, "approved_amount": "2500.00"}
    response = post(supervisor_chashan, pk, "decide", body)
    assert response.status_code == 400
    assert set(response.json()) == {"approved_amount"}
    assert "proposed amount of 3,000.00 yuan" in response.json()["approved_amount"][0]
    assert Application.objects.get(pk=pk).state == "accepted"
    assert not Grant.objects.exists()
    body["approved_amount"] = "3000.00"
    response = post(supervisor_chashan, pk, "decide", body)
    assert response.status_code == 200, response.json()
    assert response.json()["approved_amount"] == "3000.00"


def test_emergency_approval_of_another_amount_is_a_400(on, worker_chashan, supervisor_chashan):
    pk = accepted_temporary(
        on, worker_chashan, "2000.00", scheme="temp_emergency", procedure="emergency"
    )
    response = post(supervisor_chashan, pk, "emergency-approve", {"approved_amount": "1500.00"})
    assert response.status_code == 400
    assert "approved_amount" in response.json()
    assert Application.objects.get(pk=pk).state == "accepted"


@pytest.mark.parametrize(
    ("scheme", "procedure", "action", "body"),
    [
        ("temp_expenditure", "general", "decide", {"approve": True, "approved_amount": "4000"}),
        ("temp_emergency", "emergency", "emergency-approve", {"approved_amount": "4000.00"}),
    ],
)
def test_a_lower_amount_does_not_bring_a_city_application_to_the_town(
    on, worker_chashan, supervisor_chashan, scheme, procedure, action, body
):
    pk = accepted_temporary(on, worker_chashan, "6000.00", scheme=scheme, procedure=procedure)
    on(D["visited"])
    response = post(supervisor_chashan, pk, action, body)
    assert response.status_code == 403
    assert "5,000.00" in response.json()["detail"]
    application = Application.objects.get(pk=pk)
    assert (application.state, application.needs_city) == ("accepted", True)
    assert not Grant.objects.exists()


def test_emergency_procedure_through_the_api(on, worker_chashan, supervisor_chashan):
    on(D["submitted"])
    household = household_with_members("chashan", size=1)
    response = create(
        worker_chashan,
        household,
        "temp_emergency",
        procedure="emergency",
        **temporary_body("2000.00"),
    )
    pk = response.json()["id"]
    assert post(worker_chashan, pk, "submit").status_code == 200  # no authorisation needed yet
    assert post(worker_chashan, pk, "accept", {"received_on": "2024-02-05"}).status_code == 200
    response = post(supervisor_chashan, pk, "emergency-approve", {"reasons": "House fire"})
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "approved"
    assert response.json()["file_completed_at"] is None
    response = post(worker_chashan, pk, "complete-file")
    assert response.status_code == 400
    assert "authorisations" in response.json()


def test_emergency_approval_of_a_general_application_is_a_400(
    on, worker_chashan, supervisor_chashan
):
    pk = accepted_temporary(on, worker_chashan, "3000.00")
    response = post(supervisor_chashan, pk, "emergency-approve")
    assert response.status_code == 400
    assert "procedure" in response.json()


# Lists: applications, my work, approval queue, breaches, notifications, grants


def test_the_list_is_scoped_and_filtered(worker_chashan, worker_dalang, city_supervisor):
    chashan = dibao_application(worker=worker_chashan, until="submitted")
    dalang = dibao_application(worker=worker_dalang, household=complete_household("dalang"))
    assert [
        a["id"] for a in client_for(worker_chashan).get("/api/v1/applications/").json()["results"]
    ] == [chashan.pk]
    city = client_for(city_supervisor)
    assert city.get("/api/v1/applications/").json()["count"] == 2
    response = city.get("/api/v1/applications/", {"state": "draft"})
    assert [a["id"] for a in response.json()["results"]] == [dalang.pk]
    assert city.get("/api/v1/applications/", {"state": "nonsense"}).status_code == 400


def test_my_work_and_the_approval_queue(on, worker_chashan, supervisor_chashan):
    waiting = dibao_application(worker=worker_chashan, until="notice_ended")
    dibao_application(worker=worker_chashan, until="accepted")
    on("2024-02-20")
    work = client_for(worker_chashan).get("/api/v1/my-work/").json()["results"]
    assert {c["kind"] for c in work} == {"home_visit"}
    assert work[0]["overdue"] is True
    supervisor_work = client_for(supervisor_chashan).get("/api/v1/my-work/").json()["results"]
    assert {c["kind"] for c in supervisor_work} == {"overall", "decision"}
    queue = client_for(supervisor_chashan).get("/api/v1/approval-queue/").json()["results"]
    assert [a["id"] for a in queue] == [waiting.pk]
    assert client_for(worker_chashan).get("/api/v1/approval-queue/").json()["count"] == 0


def test_breaches_are_listed_in_scope(worker_chashan, worker_dalang, auditor):
    application = dibao_application(worker=worker_chashan, until="accepted")
    clocks_sweep(today=datetime.date(2024, 2, 20))
    rows = client_for(worker_chashan).get("/api/v1/breaches/").json()["results"]
    assert [(b["application"], b["kind"], b["working_days_late"]) for b in rows] == [
        (application.pk, "home_visit", 1)
    ]
    assert client_for(worker_dalang).get("/api/v1/breaches/").json()["count"] == 0
    assert client_for(auditor).get("/api/v1/breaches/", {"open": True}).json()["count"] == 1
    assert Breach.objects.count() == 1


def test_notifications_are_the_users_own_and_can_be_marked_read(
    on, worker_chashan, supervisor_chashan
):
    dibao_application(worker=worker_chashan, until="accepted")
    clocks_sweep(today=datetime.date(2024, 2, 20))
    client = client_for(worker_chashan)
    response = client.get("/api/v1/notifications/")
    assert response["X-Unread-Count"] == "1"
    (notification,) = response.json()["results"]
    assert notification["kind"] == "overdue"
    assert notification["read_at"] is None

    theirs = Notification.objects.get(user=supervisor_chashan)
    assert client.post(f"/api/v1/notifications/{theirs.pk}/read/").status_code == 404

    on("2024-02-20")
    response = client.post(f"/api/v1/notifications/{notification['id']}/read/")
    assert response.status_code == 200
    assert response.json()["read_at"] is not None
    assert client.get("/api/v1/notifications/", {"unread": True}).json()["count"] == 0
    marked = client_for(supervisor_chashan).post("/api/v1/notifications/read-all/")
    assert marked.json() == {"marked": 1}


def test_grants_are_scoped(worker_chashan, supervisor_chashan, worker_dalang):
    application = dibao_application(
        worker=worker_chashan, supervisor=supervisor_chashan, until="approved"
    )
    grant = Grant.objects.get(application=application)
    detail = client_for(worker_chashan).get(f"/api/v1/grants/{grant.pk}/")
    assert detail.status_code == 200
    assert detail.json()["schedule"][0]["amount"] == "1600.00"
    assert Decimal(detail.json()["schedule"][0]["amount"]) == Decimal(
        application.calculation["total"]
    )
    assert client_for(worker_dalang).get(f"/api/v1/grants/{grant.pk}/").status_code == 404
    assert client_for(worker_dalang).get("/api/v1/grants/").json()["count"] == 0


def test_list_queries_do_not_grow_with_the_page(worker_chashan, city_supervisor):
    client = client_for(city_supervisor)

    def queries_for_list() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/v1/applications/").status_code == 200
        return len(queries)

    dibao_application(worker=worker_chashan, until="submitted")
    one = queries_for_list()
    for _ in range(3):
        dibao_application(worker=worker_chashan, until="opinion")
    assert queries_for_list() == one


def test_the_schema_documents_the_workflow_endpoints(schema_client):
    response = schema_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    paths = set(response.json()["paths"])
    for path in [
        "/api/v1/applications/",
        "/api/v1/applications/{id}/",
        "/api/v1/applications/{id}/decide/",
        "/api/v1/applications/{id}/accept/",
        "/api/v1/applications/{id}/clocks/",
        "/api/v1/breaches/",
        "/api/v1/notifications/",
        "/api/v1/notifications/{id}/read/",
        "/api/v1/grants/",
        "/api/v1/grants/{id}/",
    ]:
        assert path in paths


def test_application_states_in_the_api_are_the_models(schema_client):
    response = schema_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    enum = response.json()["components"]["schemas"]["ApplicationStateEnum"]["enum"]
    assert enum == list(Application.State.values)


def test_covered_members_are_person_ids_in_scope(worker_chashan):
    household = complete_household()
    head = household.memberships.get(relation="head").person
    response = create(worker_chashan, household, covered_members=[head.pk])
    assert response.status_code == 201, response.json()
    assert response.json()["covered_members"] == [head.pk]

    stranger = household_with_members("dalang", size=1).memberships.get().person
    response = create(worker_chashan, complete_household(), covered_members=[stranger.pk])
    assert response.status_code == 400
    assert "covered_members" in response.json()
