"""The workflow's endpoints under /api/v1/ (cases/api/applications.py, grants.py,
notifications.py)."""

from django.urls import path

from . import application_steps as steps
from . import applications as apps
from . import grants, notifications, schedules

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
    # Schedules, standard changes, suspension, termination, gradual exit, re-checks.
    *schedules.urlpatterns,
]
