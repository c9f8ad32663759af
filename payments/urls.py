"""Payments pages under /payments/: batches and their way to the bank, payment runs, payee
accounts, recoveries and back-pay, the entitlement ledger, and the printable roster."""

from django.urls import path
from django.views.generic import RedirectView

from .views import accounts, batches, corrections, ledger, roster, runs

app_name = "payments"
urlpatterns = [
    path("", RedirectView.as_view(pattern_name="payments:batch-list"), name="index"),
    # Batches (payments/views/batches.py).
    path("batches/", batches.batch_list, name="batch-list"),
    path("batches/<int:pk>/", batches.batch_detail, name="batch-detail"),
    path("batches/<int:pk>/actions/<slug:action>/", batches.batch_action, name="batch-action"),
    path("batches/<int:pk>/bank-file/<str:fmt>/", batches.batch_bank_file, name="batch-bank-file"),
    path("batches/<int:pk>/returns/", batches.batch_return_upload, name="batch-return-upload"),
    path(
        "batches/<int:pk>/reconciliation/",
        batches.batch_reconciliation,
        name="batch-reconciliation",
    ),
    path("batches/<int:pk>/roster/", roster.batch_roster, name="batch-roster"),
    # Payment runs (payments/views/runs.py).
    path("runs/", runs.run_list, name="run-list"),
    path("runs/<int:pk>/", runs.run_detail, name="run-detail"),
    path("runs/<int:pk>/progress/", runs.run_progress, name="run-progress"),
    # Payee accounts (payments/views/accounts.py; a section of the grant's page).
    path("grants/<int:grant_pk>/accounts/", accounts.grant_accounts, name="grant-accounts"),
    path(
        "grants/<int:grant_pk>/accounts/propose/",
        accounts.account_propose,
        name="account-propose",
    ),
    path("accounts/<int:pk>/<slug:action>/", accounts.account_action, name="account-action"),
    # Recoveries and back-pay (payments/views/corrections.py).
    path("recoveries/", corrections.recovery_list, name="recovery-list"),
    path("recoveries/<int:pk>/", corrections.recovery_detail, name="recovery-detail"),
    path(
        "recoveries/<int:pk>/actions/<slug:action>/",
        corrections.recovery_action,
        name="recovery-action",
    ),
    path("backpays/", corrections.backpay_list, name="backpay-list"),
    path("backpays/<int:pk>/", corrections.backpay_detail, name="backpay-detail"),
    path(
        "backpays/<int:pk>/actions/<slug:action>/",
        corrections.backpay_action,
        name="backpay-action",
    ),
    # The entitlement ledger (payments/views/ledger.py).
    path("ledger/households/<int:pk>/", ledger.household_ledger, name="household-ledger"),
    path("ledger/totals/", ledger.city_totals, name="city-totals"),
    path("ledger/totals.csv", ledger.city_totals_csv, name="city-totals-csv"),
]
