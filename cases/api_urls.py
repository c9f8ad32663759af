"""The registry's endpoints under /api/v1/ (see cases/api/)."""

from django.urls import path

from .api import documents, evidence, households, memberships, persons, places

urlpatterns = [
    path("households/", households.HouseholdListApi.as_view(), name="api-household-list"),
    path(
        "households/<int:pk>/",
        households.HouseholdDetailApi.as_view(),
        name="api-household-detail",
    ),
    path("persons/", persons.PersonListApi.as_view(), name="api-person-list"),
    path("persons/<int:pk>/", persons.PersonDetailApi.as_view(), name="api-person-detail"),
    path(
        "persons/<int:pk>/reveal-id/",
        persons.PersonRevealIdApi.as_view(),
        name="api-person-reveal-id",
    ),
    path("memberships/", memberships.MembershipListApi.as_view(), name="api-membership-list"),
    path(
        "memberships/<int:pk>/",
        memberships.MembershipDetailApi.as_view(),
        name="api-membership-detail",
    ),
    path(
        "memberships/<int:pk>/leave/",
        memberships.MembershipLeaveApi.as_view(),
        name="api-membership-leave",
    ),
    path("income-lines/", evidence.IncomeLineListApi.as_view(), name="api-income-line-list"),
    path(
        "income-lines/<int:pk>/",
        evidence.IncomeLineDetailApi.as_view(),
        name="api-income-line-detail",
    ),
    path(
        "income-lines/<int:pk>/end/",
        evidence.IncomeLineEndApi.as_view(),
        name="api-income-line-end",
    ),
    path("assets/", evidence.AssetListApi.as_view(), name="api-asset-list"),
    path("assets/<int:pk>/", evidence.AssetDetailApi.as_view(), name="api-asset-detail"),
    path("assets/<int:pk>/end/", evidence.AssetEndApi.as_view(), name="api-asset-end"),
    path("income-types/", evidence.IncomeTypeListApi.as_view(), name="api-income-type-list"),
    path("towns/", places.TownListApi.as_view(), name="api-town-list"),
    path("villages/", places.VillageListApi.as_view(), name="api-village-list"),
    path("documents/", documents.DocumentListApi.as_view(), name="api-document-list"),
    path(
        "documents/<int:pk>/",
        documents.DocumentDetailApi.as_view(),
        name="api-document-detail",
    ),
    path(
        "documents/<int:pk>/download/",
        documents.DocumentDownloadApi.as_view(),
        name="api-document-download",
    ),
]
