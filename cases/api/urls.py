"""The case endpoints under /api/v1/: the registry, applications and their steps, the inbox
and breaches, grants, their schedules and standard changes."""

from django.urls import path

from . import application_steps as steps
from . import applications as apps
from . import (
    documents,
    evidence,
    grants,
    households,
    memberships,
    notifications,
    persons,
    places,
    schedules,
    search,
    standard_changes,
)

STEPS = [
    ("submit", steps.ApplicationSubmitApi),
    ("accept", steps.ApplicationAcceptApi),
    ("request-supplement", steps.ApplicationSupplementRequestApi),
    ("supplement-received", steps.ApplicationSupplementReceiveApi),
    ("home-visit", steps.ApplicationHomeVisitApi),
    ("opinion", steps.ApplicationOpinionApi),
    ("start-notice", steps.ApplicationNoticeStartApi),
    ("objection", steps.ApplicationObjectionApi),
    ("end-notice", steps.ApplicationNoticeEndApi),
    ("extend", steps.ApplicationExtendApi),
    ("decide", steps.ApplicationDecideApi),
    ("emergency-approve", steps.ApplicationEmergencyApproveApi),
    ("complete-file", steps.ApplicationFileCompleteApi),
    ("disburse", steps.ApplicationDisburseApi),
    ("withdraw", steps.ApplicationWithdrawApi),
]

urlpatterns = [
    # The registry.
    path("households/", households.HouseholdListApi.as_view(), name="api-household-list"),
    # Searches with the term in the body, out of URLs and access logs (cases/api/search.py).
    path("households/search/", search.HouseholdSearchApi.as_view(), name="api-household-search"),
    path("persons/search/", search.PersonSearchApi.as_view(), name="api-person-search"),
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
    # Applications, the inbox and breaches.
    path("applications/", apps.ApplicationListApi.as_view(), name="api-application-list"),
    path(
        "applications/<int:pk>/",
        apps.ApplicationDetailApi.as_view(),
        name="api-application-detail",
    ),
    *[
        path(f"applications/<int:pk>/{name}/", view.as_view(), name=f"api-application-{name}")
        for name, view in STEPS
    ],
    path(
        "applications/<int:pk>/clocks/",
        apps.ApplicationClocksApi.as_view(),
        name="api-application-clocks",
    ),
    path(
        "applications/<int:pk>/events/",
        apps.ApplicationEventsApi.as_view(),
        name="api-application-events",
    ),
    path("my-work/", apps.MyWorkApi.as_view(), name="api-my-work"),
    path("approval-queue/", apps.ApprovalQueueApi.as_view(), name="api-approval-queue"),
    path("breaches/", notifications.BreachListApi.as_view(), name="api-breach-list"),
    path(
        "notifications/", notifications.NotificationListApi.as_view(), name="api-notification-list"
    ),
    path(
        "notifications/read-all/",
        notifications.NotificationReadAllApi.as_view(),
        name="api-notification-read-all",
    ),
    path(
        "notifications/<int:pk>/read/",
        notifications.NotificationReadApi.as_view(),
        name="api-notification-read",
    ),
    path("grants/", grants.GrantListApi.as_view(), name="api-grant-list"),
    path("grants/<int:pk>/", grants.GrantDetailApi.as_view(), name="api-grant-detail"),
    # Grants: schedules, suspension, termination, gradual exit, re-checks, standard changes.
    path("grants/<int:pk>/status/", schedules.GrantStatusApi.as_view(), name="api-grant-status"),
    path(
        "grants/<int:pk>/schedule/", schedules.GrantScheduleApi.as_view(), name="api-grant-schedule"
    ),
    path(
        "grants/<int:pk>/schedule/propose/",
        schedules.GrantScheduleProposeApi.as_view(),
        name="api-grant-schedule-propose",
    ),
    *[
        path(f"grants/<int:pk>/{name}/", view.as_view(), name=f"api-grant-{name}")
        for name, view in schedules.GRANT_ACTIONS
    ],
    path(
        "schedule-entries/",
        schedules.ScheduleEntryListApi.as_view(),
        name="api-schedule-entry-list",
    ),
    path(
        "schedule-entries/<int:pk>/",
        schedules.ScheduleEntryDetailApi.as_view(),
        name="api-schedule-entry-detail",
    ),
    path(
        "schedule-entries/<int:pk>/confirm/",
        schedules.ScheduleEntryConfirmApi.as_view(),
        name="api-schedule-entry-confirm",
    ),
    path(
        "schedule-entries/<int:pk>/reject/",
        schedules.ScheduleEntryRejectApi.as_view(),
        name="api-schedule-entry-reject",
    ),
    path(
        "schedule-confirmations/",
        standard_changes.ScheduleConfirmationListApi.as_view(),
        name="api-schedule-confirmation-list",
    ),
    path(
        "schedule-confirmations/<int:pk>/",
        standard_changes.ScheduleConfirmationDetailApi.as_view(),
        name="api-schedule-confirmation-detail",
    ),
    path(
        "schedule-confirmations/<int:pk>/confirm/",
        standard_changes.ScheduleConfirmationConfirmApi.as_view(),
        name="api-schedule-confirmation-confirm",
    ),
    path(
        "schedule-confirmations/<int:pk>/reject/",
        standard_changes.ScheduleConfirmationRejectApi.as_view(),
        name="api-schedule-confirmation-reject",
    ),
]
