"""The OpenAPI schema documents every API endpoint, and generating it raises no warning. The
schema and the interactive docs are for signed-in users, and the docs come from the app's own
static files (no CDN)."""

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

ENDPOINTS = [
    "/api/v1/auth/token/",
    "/api/v1/auth/token/revoke/",
    "/api/v1/households/",
    "/api/v1/households/{id}/",
    "/api/v1/persons/",
    "/api/v1/persons/{id}/",
    "/api/v1/persons/{id}/reveal-id/",
    "/api/v1/memberships/",
    "/api/v1/memberships/{id}/",
    "/api/v1/memberships/{id}/leave/",
    "/api/v1/income-lines/",
    "/api/v1/income-lines/{id}/",
    "/api/v1/income-lines/{id}/end/",
    "/api/v1/assets/",
    "/api/v1/assets/{id}/",
    "/api/v1/assets/{id}/end/",
    "/api/v1/income-types/",
    "/api/v1/towns/",
    "/api/v1/villages/",
    "/api/v1/documents/",
    "/api/v1/documents/{id}/",
    "/api/v1/documents/{id}/download/",
    "/api/v1/applications/",
    "/api/v1/applications/{id}/",
    "/api/v1/applications/{id}/accept/",
    "/api/v1/applications/{id}/clocks/",
    "/api/v1/applications/{id}/complete-file/",
    "/api/v1/applications/{id}/decide/",
    "/api/v1/checks/",
    "/api/v1/checks/{id}/",
    "/api/v1/applications/{id}/disburse/",
    "/api/v1/applications/{id}/emergency-approve/",
    "/api/v1/applications/{id}/end-notice/",
    "/api/v1/applications/{id}/events/",
    "/api/v1/applications/{id}/extend/",
    "/api/v1/applications/{id}/home-visit/",
    "/api/v1/applications/{id}/objection/",
    "/api/v1/applications/{id}/opinion/",
    "/api/v1/applications/{id}/request-supplement/",
    "/api/v1/applications/{id}/start-notice/",
    "/api/v1/applications/{id}/submit/",
    "/api/v1/applications/{id}/supplement-received/",
    "/api/v1/applications/{id}/withdraw/",
    "/api/v1/approval-queue/",
    "/api/v1/backpays/",
    "/api/v1/backpays/{id}/",
    "/api/v1/backpays/{id}/confirm/",
    "/api/v1/backpays/{id}/reject/",
    "/api/v1/breaches/",
    "/api/v1/calendar/days/",
    "/api/v1/calendar/days/{id}/",
    "/api/v1/calendar/workdays/",
    "/api/v1/findings/",
    "/api/v1/findings/{id}/",
    "/api/v1/findings/{id}/approve/",
    "/api/v1/findings/{id}/confirm/",
    "/api/v1/findings/{id}/dismiss/",
    "/api/v1/findings/{id}/reject/",
    "/api/v1/grants/",
    "/api/v1/grants/{id}/",
    "/api/v1/grants/{id}/gradual-exit/",
    "/api/v1/grants/{id}/recheck/",
    "/api/v1/grants/{id}/resume/",
    "/api/v1/grants/{id}/schedule/",
    "/api/v1/grants/{id}/schedule/propose/",
    "/api/v1/grants/{id}/status/",
    "/api/v1/grants/{id}/suspend/",
    "/api/v1/grants/{id}/terminate/",
    "/api/v1/ledger/grants/{id}/",
    "/api/v1/ledger/households/{id}/",
    "/api/v1/ledger/totals/",
    "/api/v1/my-work/",
    "/api/v1/notifications/",
    "/api/v1/notifications/read-all/",
    "/api/v1/notifications/{id}/read/",
    "/api/v1/payee-accounts/",
    "/api/v1/payee-accounts/{id}/",
    "/api/v1/payee-accounts/{id}/confirm/",
    "/api/v1/payee-accounts/{id}/reject/",
    "/api/v1/payment-batches/",
    "/api/v1/payment-batches/{id}/",
    "/api/v1/payment-batches/{id}/approve/",
    "/api/v1/payment-batches/{id}/bank-file/",
    "/api/v1/payment-batches/{id}/bank-files/",
    "/api/v1/payment-batches/{id}/lines/",
    "/api/v1/payment-batches/{id}/reject/",
    "/api/v1/payment-batches/{id}/returns/",
    "/api/v1/payment-batches/{id}/send/",
    "/api/v1/payment-batches/{id}/submit/",
    "/api/v1/payment-runs/",
    "/api/v1/payment-runs/{id}/",
    "/api/v1/reassessments/",
    "/api/v1/reassessments/{id}/",
    "/api/v1/registry/extracts/",
    "/api/v1/registry/extracts/{id}/",
    "/api/v1/recoveries/",
    "/api/v1/recoveries/{id}/",
    "/api/v1/recoveries/{id}/confirm/",
    "/api/v1/recoveries/{id}/fine/",
    "/api/v1/recoveries/{id}/refund/",
    "/api/v1/recoveries/{id}/reject/",
    "/api/v1/schedule-confirmations/",
    "/api/v1/schedule-confirmations/{id}/",
    "/api/v1/schedule-confirmations/{id}/confirm/",
    "/api/v1/schedule-confirmations/{id}/reject/",
    "/api/v1/schedule-entries/",
    "/api/v1/schedule-entries/{id}/",
    "/api/v1/schedule-entries/{id}/confirm/",
    "/api/v1/schedule-entries/{id}/reject/",
]


@pytest.fixture
def schema(worker_chashan):
    client = APIClient()
    client.force_authenticate(worker_chashan)
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def test_schema_lists_every_endpoint(schema):
    assert set(ENDPOINTS) <= set(schema["paths"])


def test_token_endpoint_needs_no_authentication_in_the_schema(schema):
    operation = schema["paths"]["/api/v1/auth/token/"]["post"]
    assert "security" not in schema  # no global requirement that would apply to it
    assert operation.get("security", []) in ([], [{}])
    assert "tokenAuth" in schema["components"]["securitySchemes"]


def test_token_revoke_takes_the_token_it_revokes_in_the_schema(schema):
    operation = schema["paths"]["/api/v1/auth/token/revoke/"]["post"]
    assert operation["security"] == [{"tokenAuth": []}]
    assert "204" in operation["responses"] and "401" in operation["responses"]


def test_schema_documents_the_token_lifetime(schema):
    description = schema["components"]["securitySchemes"]["tokenAuth"]["description"]
    assert "30 minutes without use" in description and "12 hours" in description
    assert "/api/v1/auth/token/revoke/" in description
    obtain = schema["paths"]["/api/v1/auth/token/"]["post"]["description"]
    assert "30 minutes" in obtain and "12 hours" in obtain


def test_case_endpoints_require_a_token_or_session_in_the_schema(schema):
    security = schema["paths"]["/api/v1/households/"]["get"]["security"]
    assert {"tokenAuth": []} in security
    assert {"cookieAuth": []} in security


def test_household_list_is_paginated_in_the_schema(schema):
    response = schema["paths"]["/api/v1/households/"]["get"]["responses"]["200"]
    ref = response["content"]["application/json"]["schema"]["$ref"]
    assert ref.endswith("/PaginatedHouseholdList")


def test_schema_needs_a_signed_in_user(db):
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 401


def test_schema_answers_a_token(worker_chashan):
    token = (
        APIClient()
        .post("/api/v1/auth/token/", {"username": "worker-chashan", "password": "relief-test-pw"})
        .json()["token"]
    )
    response = APIClient().get("/api/schema/", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200


def test_swagger_ui_sends_visitors_to_the_login_page(db):
    response = Client().get("/api/docs/")
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next=/api/docs/"


def test_swagger_ui_is_served_from_the_apps_own_static_files(worker_chashan):
    client = Client()
    client.force_login(worker_chashan)
    response = client.get("/api/docs/")
    assert response.status_code == 200
    content = response.content.decode()
    for asset in ("swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js"):
        assert f'"/static/drf_spectacular_sidecar/swagger-ui-dist/{asset}"' in content
        assert finders.find(f"drf_spectacular_sidecar/swagger-ui-dist/{asset}")
    # No other origin, no inline script or style: the start-up script is a file of its own.
    assert "http://" not in content and "https://" not in content and "//cdn" not in content
    assert "<script>" not in content and "<style" not in content and "style=" not in content
    assert '<script src="/api/docs/?script="></script>' in content
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle(" in script.content.decode()
    assert '"validatorUrl": null' in script.content.decode()


def test_schema_generates_without_warnings(db, tmp_path):
    # --fail-on-warn turns any drf-spectacular warning or error into a failure.
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml")
    )
    assert "/api/v1/households/" in (tmp_path / "schema.yml").read_text()
