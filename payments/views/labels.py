"""What the payments pages share: their page size, and the labels of the keys a payments
service names that are not fields of the action's form (relief.views puts such an error on the
form under its label)."""

from functools import partial

from django.utils.translation import gettext_lazy as _

from relief.views import run_service as common_run_service

PAGE_SIZE = 50

# Labels for the keys a payments service names that are not fields of the action's form.
KEY_LABELS = {
    "state": _("State"),
    "lines": _("Lines"),
    "batch": _("Batch"),
    "layout": _("Bank-file layout"),
    "format": _("Format"),
    "file": _("File"),
    "period": _("Month paid"),
    "kind": _("Kind"),
    "town": _("Town"),
    "payee": _("Payee"),
    "bank_name": _("Bank"),
    "account_holder": _("Account holder"),
    "account_number": _("Account number"),
    "method": _("Repayment"),
    "amount": _("Amount"),
    "received_on": _("Received on"),
    "decided_on": _("Decided on"),
    "reference": _("Decision reference"),
    "recovery": _("Recovery"),
    "months": _("Months"),
    "reason": _("Reason"),
}

# A refused action shows the service's message on the page, with 400 or 403, never a 500.
run_service = partial(common_run_service, labels=KEY_LABELS)
