"""/api/v1/payment-batches/, /payment-runs/ and /payee-accounts/: scoped reads, the batch
actions, runs with progress, accounts proposed and confirmed. Wrong role or self-approval 403,
wrong state 400, another town 404."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from cases.models import Role
from payments import runs
from payments.models import Batch, PayeeAccount, PaymentLine, PaymentRun
from tests.factories import (
    PersonFactory,
    approved_grant,
    payee_account,
    paying_grant,
    staff_user,
    town,
)
from tests.payments.bank_helpers import exported

pytestmark = pytest.mark.django_db

MARCH = datetime.date(2024, 3, 1)

ENDPOINTS = [
    "/api/v1/payment-batches/",
    "/api/v1/payment-batches/{id}/",
    "/api/v1/payment-batches/{id}/lines/",
    "/api/v1/payment-batches/{id}/submit/",
    "/api/v1/payment-batches/{id}/approve/",
    "/api/v1/payment-batches/{id}/reject/",
    "/api/v1/payment-batches/{id}/send/",
    "/api/v1/payment-runs/",
    "/api/v1/payment-runs/{id}/",
    "/api/v1/payee-accounts/",
    "/api/v1/payee-accounts/{id}/",
    "/api/v1/payee-accounts/{id}/confirm/",
    "/api/v1/payee-accounts/{id}/reject/",
]


def client_for(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def post(user, url, body=None):
    return client_for(user).post(url, body or {}, format="json")


def get(user, url, **params):
    return client_for(user).get(url, params)


def batch_in(town_slug="chashan", number="6222000011114321") -> Batch:
    grant = approved_grant(town_slug=town_slug)
    payee_account(grant, account_number=number)
    runs.payment_run(period=MARCH, town=town(town_slug))
    return Batch.objects.get(town__slug=town_slug, state="draft")


@pytest.fixture
def second_supervisor(db):
    return staff_user("supervisor-chashan-2", Role.TOWN_SUPERVISOR, "chashan")


def url(batch, action="") -> str:
    return f"/api/v1/payment-batches/{batch.pk}/{action + '/' if action else ''}"


# Reads


def test_batches_are_listed_in_scope_with_filters(worker_chashan, auditor):
    chashan, dalang = batch_in("chashan"), batch_in("dalang")
    response = get(worker_chashan, "/api/v1/payment-batches/")
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [chashan.pk]
    row = response.json()["results"][0]
    assert (row["town"], row["period"], row["kind"], row["state"]) == (
        "441900103",
        "2024-03-01",
        "monthly",
        "draft",
    )
    assert (row["line_count"], row["total_amount"], row["submitted_by"]) == (1, "1600.00", None)

    everything = get(auditor, "/api/v1/payment-batches/", period="2024-03")
    assert {row["id"] for row in everything.json()["results"]} == {chashan.pk, dalang.pk}
    by_town = get(auditor, "/api/v1/payment-batches/", town="441900113", state="draft")
    assert [row["id"] for row in by_town.json()["results"]] == [dalang.pk]
    assert get(auditor, "/api/v1/payment-batches/", kind="urgent").json()["count"] == 0
    assert get(auditor, "/api/v1/payment-batches/", period="2024-04").json()["count"] == 0


def test_a_bad_filter_is_a_400(auditor):
    assert get(auditor, "/api/v1/payment-batches/", period="March").status_code == 400
    assert get(auditor, "/api/v1/payment-batches/", state="lost").status_code == 400


def test_an_administrator_sees_no_batches(administrator):
    batch_in()
    assert get(administrator, "/api/v1/payment-batches/").status_code == 403


def test_the_detail_gives_totals_per_kind_and_status(auditor):
    batch = batch_in()
    grant = PaymentLine.objects.get().grant
    PaymentLine.objects.create(
        batch=batch,
        grant=grant,
        period=datetime.date(2024, 2, 1),
        kind="backpay",
        amount=Decimal("100.50"),
        payee_id=PaymentLine.objects.get().payee_id,
        account=PayeeAccount.objects.get(),
        seq=1,
    )
    data = get(auditor, url(batch)).json()
    assert data["totals"] == {
        "rows": 1,
        "by_kind": {
            "regular": {"lines": 1, "amount": "1600.00"},
            "backpay": {"lines": 1, "amount": "100.50"},
        },
        "by_status": {"pending": {"lines": 2, "amount": "1700.50"}},
    }


def test_another_towns_batch_is_a_404(worker_chashan):
    dalang = batch_in("dalang")
    assert get(worker_chashan, url(dalang)).status_code == 404
    assert get(worker_chashan, url(dalang, "lines")).status_code == 404
    assert post(worker_chashan, url(dalang, "submit")).status_code == 404


def test_lines_show_masked_account_numbers_only(worker_chashan):
    batch = batch_in(number="6222000011114321")
    response = get(worker_chashan, url(batch, "lines"))
    assert response.status_code == 200
    line = response.json()["results"][0]
    assert line["account_number"] == "****4321"
    assert (line["seq"], line["kind"], line["amount"], line["period"]) == (
        1,
        "regular",
        "1600.00",
        "2024-03-01",
    )
    assert "6222000011114321" not in response.content.decode()
    assert get(worker_chashan, url(batch, "lines"), kind="backpay").json()["count"] == 0


# Actions


def test_submit_approve_and_send_through_the_api(supervisor_chashan, second_supervisor, finance):
    batch = batch_in()
    response = post(supervisor_chashan, url(batch, "submit"))
    assert response.status_code == 200
    assert (response.json()["state"], response.json()["submitted_by"]) == (
        "submitted",
        "supervisor-chashan",
    )
    response = post(second_supervisor, url(batch, "approve"))
    assert (response.status_code, response.json()["state"]) == (200, "approved")
    response = post(finance, url(batch, "send"))
    assert response.status_code == 400  # no bank file yet
    assert "no bank file" in response.json()["state"][0]
    exported(batch, finance)
    response = post(finance, url(batch, "send"))
    assert (response.status_code, response.json()["state"]) == (200, "sent")
    assert response.json()["sent_by"] == "finance"


def test_self_approval_is_a_403(supervisor_chashan):
    batch = batch_in()
    post(supervisor_chashan, url(batch, "submit"))
    response = post(supervisor_chashan, url(batch, "approve"))
    assert response.status_code == 403
    assert "another supervisor" in response.json()["detail"]
    batch.refresh_from_db()
    assert batch.state == "submitted"


def test_the_wrong_role_is_a_403_and_the_wrong_state_a_400(
    worker_chashan, supervisor_chashan, finance
):
    batch = batch_in()
    assert post(worker_chashan, url(batch, "submit")).status_code == 403
    assert post(finance, url(batch, "approve")).status_code == 403
    response = post(supervisor_chashan, url(batch, "approve"))
    assert response.status_code == 400
    assert "draft" in response.json()["state"][0]
    assert post(finance, url(batch, "send")).status_code == 400


def test_a_rejection_needs_reasons(supervisor_chashan, second_supervisor):
    batch = batch_in()
    post(supervisor_chashan, url(batch, "submit"))
    assert post(second_supervisor, url(batch, "reject")).status_code == 400
    response = post(second_supervisor, url(batch, "reject"), {"reason": "Row 1 is wrong"})
    assert (response.status_code, response.json()["state"]) == (200, "draft")


def test_an_action_refuses_unknown_fields(supervisor_chashan):
    batch = batch_in()
    response = post(supervisor_chashan, url(batch, "submit"), {"approved_by": 1})
    assert response.status_code == 400
    assert "approved_by" in response.json()


# Runs


def test_the_city_supervisor_starts_a_run_and_reads_its_progress(
    city_supervisor, django_capture_on_commit_callbacks
):
    grant = paying_grant()
    with django_capture_on_commit_callbacks(execute=True):
        response = post(city_supervisor, "/api/v1/payment-runs/", {"period": "2024-03"})
    assert response.status_code == 202
    started = response.json()
    assert (started["state"], started["started_by"], started["town"]) == (
        "running",
        "supervisor",
        None,
    )
    assert started["towns_total"] > 1
    assert PaymentLine.objects.get().grant == grant
    run = get(city_supervisor, f"/api/v1/payment-runs/{started['id']}/").json()
    assert (run["state"], run["new_lines"]) == ("complete", 1)
    assert run["towns_done"] == run["towns_total"]
    assert "1 new lines" in run["message"]
    listed = get(city_supervisor, "/api/v1/payment-runs/", period="2024-03").json()
    assert [row["id"] for row in listed["results"]] == [started["id"]]
    assert PaymentRun.objects.count() == 1


def test_a_town_supervisor_runs_their_own_town_only(
    supervisor_chashan, django_capture_on_commit_callbacks
):
    paying_grant()
    response = post(supervisor_chashan, "/api/v1/payment-runs/", {"period": "2024-03"})
    assert response.status_code == 403
    response = post(
        supervisor_chashan, "/api/v1/payment-runs/", {"period": "2024-03", "town": "441900113"}
    )
    assert response.status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        response = post(
            supervisor_chashan,
            "/api/v1/payment-runs/",
            {"period": "2024-03", "town": "441900103"},
        )
    assert (response.status_code, response.json()["town"]) == (202, "441900103")
    assert PaymentLine.objects.count() == 1


def test_case_workers_and_finance_do_not_start_runs(worker_chashan, finance):
    for user in (worker_chashan, finance):
        response = post(user, "/api/v1/payment-runs/", {"period": "2024-03", "town": "441900103"})
        assert response.status_code == 403
    assert not PaymentRun.objects.exists()


def test_a_run_needs_a_month(city_supervisor):
    for period in ("2024-3", "2024-13", "", "2024-03-01"):
        response = post(city_supervisor, "/api/v1/payment-runs/", {"period": period})
        assert response.status_code == 400, period
        assert "period" in response.json()
    response = post(city_supervisor, "/api/v1/payment-runs/", {"period": "2024-03", "kind": "x"})
    assert response.status_code == 400


def test_town_roles_see_only_their_towns_runs(worker_dalang):
    chashan = runs.payment_run(period=MARCH, town=town("chashan")).run
    city_wide = runs.payment_run(period=MARCH).run
    rows = get(worker_dalang, "/api/v1/payment-runs/").json()["results"]
    assert [row["id"] for row in rows] == [city_wide.pk]
    assert get(worker_dalang, f"/api/v1/payment-runs/{chashan.pk}/").status_code == 404


# Payee accounts


def propose_body(grant, **changes):
    head = grant.household.memberships.get(relation="head").person
    body = {
        "grant": grant.pk,
        "payee": head.pk,
        "bank_name": "中国建设银行东莞分行",
        "account_holder": head.name,
        "account_number": "6217000022223333",
        "reason": "First account",
    }
    body.update(changes)
    return body


def test_an_account_is_proposed_then_confirmed_by_another_supervisor(
    worker_chashan, supervisor_chashan
):
    grant = approved_grant()
    response = post(worker_chashan, "/api/v1/payee-accounts/", propose_body(grant))
    assert response.status_code == 201
    account = response.json()
    assert (account["state"], account["account_number"], account["proposed_by"]) == (
        "proposed",
        "****3333",
        "worker-chashan",
    )
    assert "6217000022223333" not in response.content.decode()
    assert post(worker_chashan, f"/api/v1/payee-accounts/{account['id']}/confirm/").status_code == (
        403
    )
    response = post(supervisor_chashan, f"/api/v1/payee-accounts/{account['id']}/confirm/")
    assert (response.status_code, response.json()["state"]) == (200, "confirmed")
    listed = get(worker_chashan, "/api/v1/payee-accounts/", grant=grant.pk, state="confirmed")
    assert [row["id"] for row in listed.json()["results"]] == [account["id"]]


def test_the_proposer_may_not_confirm_and_a_rejection_needs_reasons(supervisor_chashan):
    grant = approved_grant()
    account = post(supervisor_chashan, "/api/v1/payee-accounts/", propose_body(grant)).json()
    confirm = post(supervisor_chashan, f"/api/v1/payee-accounts/{account['id']}/confirm/")
    assert confirm.status_code == 403
    other = staff_user("supervisor-chashan-2", Role.TOWN_SUPERVISOR, "chashan")
    assert post(other, f"/api/v1/payee-accounts/{account['id']}/reject/").status_code == 400
    response = post(
        other, f"/api/v1/payee-accounts/{account['id']}/reject/", {"reason": "Wrong bank"}
    )
    assert (response.status_code, response.json()["state"]) == (200, "rejected")
    again = post(other, f"/api/v1/payee-accounts/{account['id']}/confirm/")
    assert again.status_code == 400


def test_a_proposal_is_checked(worker_chashan, auditor):
    grant = approved_grant()
    response = post(worker_chashan, "/api/v1/payee-accounts/", propose_body(grant, payee=0))
    assert response.status_code == 400
    stranger = PersonFactory()
    response = post(
        worker_chashan, "/api/v1/payee-accounts/", propose_body(grant, payee=stranger.pk)
    )
    assert response.status_code == 400
    response = post(
        worker_chashan, "/api/v1/payee-accounts/", propose_body(grant, account_number="12ab")
    )
    assert (response.status_code, list(response.json())) == (400, ["account_number"])
    assert post(auditor, "/api/v1/payee-accounts/", propose_body(grant)).status_code == 403
    assert not PayeeAccount.objects.exists()


def test_another_towns_grant_and_account_do_not_exist(worker_dalang, worker_chashan):
    grant = approved_grant()
    response = post(worker_dalang, "/api/v1/payee-accounts/", propose_body(grant))
    assert response.status_code == 400
    assert "grant" in response.json()
    account = payee_account(grant)
    assert get(worker_dalang, f"/api/v1/payee-accounts/{account.pk}/").status_code == 404
    assert get(worker_dalang, "/api/v1/payee-accounts/").json()["count"] == 0
    assert get(worker_chashan, f"/api/v1/payee-accounts/{account.pk}/").status_code == 200


# Schema


def test_the_schema_lists_the_payment_endpoints(schema_client):
    response = schema_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    paths = response.json()["paths"]
    assert set(ENDPOINTS) <= set(paths)
    lines = paths["/api/v1/payment-batches/{id}/lines/"]["get"]["responses"]["200"]
    assert lines["content"]["application/json"]["schema"]["$ref"].endswith(
        "/PaginatedPaymentLineList"
    )


def test_the_schema_generates_without_warnings(tmp_path):
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml")
    )
    assert "/api/v1/payment-runs/" in (tmp_path / "schema.yml").read_text()
