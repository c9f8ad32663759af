"""The payments endpoints under /api/v1/: batches, lines, runs and payee accounts
(payments/api/batches.py), and the other parts' modules."""

from django.urls import path

from . import batches

# Batches, lines, their actions, payment runs and payee accounts (payments/api/batches.py).
urlpatterns: list = [*batches.urlpatterns]

# Bank files and returns of a batch (payments/api/bankfiles.py).
from .bankfiles import (  # noqa: E402
    BatchBankFileApi,
    BatchBankFileListApi,
    BatchReturnListApi,
)

urlpatterns += [
    path(
        "payment-batches/<int:pk>/bank-file/",
        BatchBankFileApi.as_view(),
        name="api-payment-batch-bank-file",
    ),
    path(
        "payment-batches/<int:pk>/bank-files/",
        BatchBankFileListApi.as_view(),
        name="api-payment-batch-bank-files",
    ),
    path(
        "payment-batches/<int:pk>/returns/",
        BatchReturnListApi.as_view(),
        name="api-payment-batch-returns",
    ),
]

# Reassessments, recoveries, back-pay and the entitlement ledger (payments/api/corrections.py).
from . import corrections  # noqa: E402

urlpatterns += corrections.urlpatterns
