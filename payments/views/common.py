"""What the payments pages share: the labels of the keys a service names that are not fields of
the action's form, one refused action shown on its page (cases.views.common.run_service), and
the pages' action specs."""

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.views.common import error_summary
from cases.views.common import run_service as common_run_service

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


@dataclass(frozen=True)
class Action:
    """One button of a page: its label, its form, the one service call it makes (actor, object,
    cleaned data) and the message on success."""

    label: str
    form: type[forms.Form]
    run: Callable[..., object]
    success: str
    style: str = "primary"  # or "danger"


def action_forms(actions: dict[str, Action], names, failed=None) -> list[dict]:
    """The forms of the actions `names` offered on a page; a refused action (`failed`: its name
    and bound form) is shown open with the service's message, even when the page would not
    offer it now (a POST from a stale page)."""
    failed_name, failed_form = failed or (None, None)
    names = list(names)
    if failed_name in actions and failed_name not in names:
        names.append(failed_name)
    return [
        {
            "name": name,
            "action": actions[name],
            "form": failed_form if name == failed_name else actions[name].form(prefix=name),
            "open": name == failed_name,
        }
        for name in names
    ]


def failed_summary(actions: dict[str, Action], failed) -> list[str]:
    """ "Action — Field: message" lines for the error summary at the top of the page."""
    if not failed:
        return []
    name, form = failed
    label = actions[name].label if name in actions else name
    return [f"{label} — {line}" for line in error_summary(form)]
