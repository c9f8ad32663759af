"""The audit API under /api/v1/: registry extracts, findings, check runs (DESIGN.md, audit/)."""

from django.urls import path

from . import checks, extracts, findings

urlpatterns: list = [
    path("registry/extracts/", extracts.ExtractListApi.as_view(), name="api-extract-list"),
    path(
        "registry/extracts/<int:pk>/",
        extracts.ExtractDetailApi.as_view(),
        name="api-extract-detail",
    ),
    path("findings/", findings.FindingListApi.as_view(), name="api-finding-list"),
    path("findings/<int:pk>/", findings.FindingDetailApi.as_view(), name="api-finding-detail"),
    *[
        path(f"findings/<int:pk>/{name}/", view.as_view(), name=f"api-finding-{name}")
        for name, view in findings.ACTIONS
    ],
    path("checks/", checks.CheckListApi.as_view(), name="api-check-list"),
    path("checks/<int:pk>/", checks.CheckDetailApi.as_view(), name="api-check-detail"),
]
