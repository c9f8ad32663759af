"""The payments endpoints under /api/v1/: batches and their lines, payment runs, payee
accounts, bank files and returns, reassessments, recoveries, back-pay and the ledger."""

from django.urls import path

from . import accounts, bankfiles, batches, corrections, ledger, runs

urlpatterns = [
    path("payment-batches/", batches.BatchListApi.as_view(), name="api-payment-batch-list"),
    path(
        "payment-batches/<int:pk>/",
        batches.BatchDetailApi.as_view(),
        name="api-payment-batch-detail",
    ),
    path(
        "payment-batches/<int:pk>/lines/",
        batches.BatchLinesApi.as_view(),
        name="api-payment-batch-lines",
    ),
    *[
        path(f"payment-batches/<int:pk>/{name}/", view.as_view(), name=f"api-payment-batch-{name}")
        for name, view in batches.BATCH_ACTIONS
    ],
    path("payment-runs/", runs.RunListApi.as_view(), name="api-payment-run-list"),
    path("payment-runs/<int:pk>/", runs.RunDetailApi.as_view(), name="api-payment-run-detail"),
    path("payee-accounts/", accounts.AccountListApi.as_view(), name="api-payee-account-list"),
    path(
        "payee-accounts/<int:pk>/",
        accounts.AccountDetailApi.as_view(),
        name="api-payee-account-detail",
    ),
    path(
        "payee-accounts/<int:pk>/confirm/",
        accounts.AccountConfirmApi.as_view(),
        name="api-payee-account-confirm",
    ),
    path(
        "payee-accounts/<int:pk>/reject/",
        accounts.AccountRejectApi.as_view(),
        name="api-payee-account-reject",
    ),
    path(
        "payment-batches/<int:pk>/bank-file/",
        bankfiles.BatchBankFileApi.as_view(),
        name="api-payment-batch-bank-file",
    ),
    path(
        "payment-batches/<int:pk>/bank-files/",
        bankfiles.BatchBankFileListApi.as_view(),
        name="api-payment-batch-bank-files",
    ),
    path(
        "payment-batches/<int:pk>/returns/",
        bankfiles.BatchReturnListApi.as_view(),
        name="api-payment-batch-returns",
    ),
    path("reassessments/", corrections.ReassessmentListApi.as_view(), name="api-reassessment-list"),
    path(
        "reassessments/<int:pk>/",
        corrections.ReassessmentDetailApi.as_view(),
        name="api-reassessment-detail",
    ),
    path("recoveries/", corrections.RecoveryListApi.as_view(), name="api-recovery-list"),
    path(
        "recoveries/<int:pk>/", corrections.RecoveryDetailApi.as_view(), name="api-recovery-detail"
    ),
    path(
        "recoveries/<int:pk>/confirm/",
        corrections.RecoveryConfirmApi.as_view(),
        name="api-recovery-confirm",
    ),
    path(
        "recoveries/<int:pk>/reject/",
        corrections.RecoveryRejectApi.as_view(),
        name="api-recovery-reject",
    ),
    path(
        "recoveries/<int:pk>/refund/",
        corrections.RecoveryRefundApi.as_view(),
        name="api-recovery-refund",
    ),
    path(
        "recoveries/<int:pk>/fine/", corrections.RecoveryFineApi.as_view(), name="api-recovery-fine"
    ),
    path("backpays/", corrections.BackPayListApi.as_view(), name="api-backpay-list"),
    path("backpays/<int:pk>/", corrections.BackPayDetailApi.as_view(), name="api-backpay-detail"),
    path(
        "backpays/<int:pk>/confirm/",
        corrections.BackPayConfirmApi.as_view(),
        name="api-backpay-confirm",
    ),
    path(
        "backpays/<int:pk>/reject/",
        corrections.BackPayRejectApi.as_view(),
        name="api-backpay-reject",
    ),
    path("ledger/grants/<int:pk>/", ledger.GrantLedgerApi.as_view(), name="api-ledger-grant"),
    path(
        "ledger/households/<int:pk>/",
        ledger.HouseholdLedgerApi.as_view(),
        name="api-ledger-household",
    ),
    path("ledger/totals/", ledger.CityTotalsApi.as_view(), name="api-ledger-totals"),
]
