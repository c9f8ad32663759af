from django.urls import path

from .views import (
    application_list,
    applications,
    evidence,
    grants,
    history,
    households,
    members,
    standard_changes,
    work,
)
from .views import imports as import_views

app_name = "cases"
urlpatterns = [
    # Registry pages (cases/views/households.py and friends).
    path("households/", households.household_list, name="household-list"),
    path("households/export.csv", households.household_export, name="household-export"),
    path("households/new/", households.household_create, name="household-create"),
    path("households/<int:pk>/", households.household_detail, name="household-detail"),
    path("households/<int:pk>/edit/", households.household_edit, name="household-edit"),
    path("households/<int:pk>/history/", history.household_history, name="household-history"),
    path("households/<int:pk>/members/add/", members.member_add, name="member-add"),
    path(
        "households/<int:pk>/members/<int:membership_pk>/leave/",
        members.member_leave,
        name="member-leave",
    ),
    path(
        "households/<int:pk>/persons/<int:person_pk>/edit/",
        members.person_edit,
        name="person-edit",
    ),
    path(
        "households/<int:pk>/persons/<int:person_pk>/reveal/",
        members.person_reveal,
        name="person-reveal",
    ),
    path("households/<int:pk>/income/add/", evidence.income_add, name="income-add"),
    path("households/<int:pk>/assets/add/", evidence.asset_add, name="asset-add"),
    path(
        "households/<int:pk>/income/<int:evidence_pk>/end/",
        evidence.evidence_end,
        {"kind": "income"},
        name="income-end",
    ),
    path(
        "households/<int:pk>/assets/<int:evidence_pk>/end/",
        evidence.evidence_end,
        {"kind": "asset"},
        name="asset-end",
    ),
    path(
        "households/<int:pk>/documents/upload/",
        evidence.document_upload,
        name="document-upload",
    ),
    path(
        "households/<int:pk>/authorisations/add/",
        evidence.authorisation_add,
        name="authorisation-add",
    ),
    path("documents/<int:pk>/download/", evidence.document_download, name="document-download"),
    # Caseload import pages (cases/views/imports.py) go below this line.
    path("imports/", import_views.import_upload, name="import-upload"),
    path("imports/<int:pk>/", import_views.import_status, name="import-status"),
    path("imports/<int:pk>/progress/", import_views.import_progress, name="import-progress"),
    path("imports/template.<str:fmt>", import_views.import_template, name="import-template"),
    # Application pages (cases/views/applications.py) and work pages (cases/views/work.py).
    path(
        "households/<int:pk>/applications/new/",
        applications.application_create,
        name="application-create",
    ),
    path("applications/", application_list.application_list, name="application-list"),
    path("applications/<int:pk>/", applications.application_detail, name="application-detail"),
    path("applications/<int:pk>/edit/", applications.application_edit, name="application-edit"),
    path(
        "applications/<int:pk>/steps/<slug:action>/",
        applications.application_step,
        name="application-step",
    ),
    path(
        "applications/<int:pk>/print/acceptance/",
        applications.acceptance_notice,
        name="application-acceptance-notice",
    ),
    path(
        "applications/<int:pk>/print/decision/",
        applications.decision_notice,
        name="application-decision-notice",
    ),
    path("notices/<str:town>/print/", work.notice_sheet, name="notice-sheet-town"),
    path("notices/<str:town>/<int:village>/print/", work.notice_sheet, name="notice-sheet-village"),
    path("work/", work.my_work, name="my-work"),
    path("work/approvals/", work.approval_queue, name="approval-queue"),
    path("work/dashboard/", work.dashboard, name="dashboard"),
    path("inbox/", work.inbox, name="inbox"),
    path("inbox/read-all/", work.notifications_read_all, name="inbox-read-all"),
    path("inbox/<int:pk>/read/", work.notification_read, name="inbox-read"),
    # Grant pages and standard changes (cases/views/grants.py).
    path("grants/", grants.grant_list, name="grant-list"),
    path("grants/<int:pk>/", grants.grant_detail, name="grant-detail"),
    path("grants/<int:pk>/actions/<slug:action>/", grants.grant_action, name="grant-action"),
    path(
        "grants/<int:pk>/entries/<int:entry_pk>/<slug:action>/",
        grants.schedule_entry_action,
        name="schedule-entry-action",
    ),
    path(
        "grants/standard-changes/",
        standard_changes.standard_change_list,
        name="standard-change-list",
    ),
    path(
        "grants/standard-changes/<int:pk>/",
        standard_changes.standard_change_detail,
        name="standard-change-detail",
    ),
    path(
        "grants/standard-changes/<int:pk>/<slug:action>/",
        standard_changes.standard_change_action,
        name="standard-change-action",
    ),
]
