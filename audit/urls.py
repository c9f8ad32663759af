"""The audit pages: registry extracts, findings, check runs, the dashboard (DESIGN.md, audit/)."""

from django.urls import path

from .views import checks, dashboard, extracts, findings

app_name = "audit"

urlpatterns: list = [
    path("", dashboard.dashboard, name="dashboard"),
    path("extracts/", extracts.extract_list, name="extract-list"),
    path("extracts/<int:pk>/", extracts.extract_detail, name="extract-detail"),
    path("extracts/upload/", extracts.extract_upload, name="extract-upload"),
    path("extracts/match-request/", extracts.match_request, name="match-request"),
    path("findings/", findings.finding_list, name="finding-list"),
    path("findings/<int:pk>/", findings.finding_detail, name="finding-detail"),
    path(
        "findings/<int:pk>/actions/<slug:action>/",
        findings.finding_action,
        name="finding-action",
    ),
    # The monthly check's runs (audit/views/checks.py).
    path("checks/", checks.check_list, name="check-list"),
    path("checks/<int:pk>/", checks.check_detail, name="check-detail"),
    path("checks/<int:pk>/progress/", checks.check_progress, name="check-progress"),
]
