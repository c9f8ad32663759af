"""Recovery (追回) and back-pay (补发) queues and pages (DOMAIN.md §9).

The lists show the orders of the user's towns, by default those awaiting the user's decision
(a supervisor: proposed, not created by them; payments.ledger.orders_awaiting); each order's
page shows its months (and the reassessment behind it), its repayments and fine decisions, and
the buttons the user may plausibly use: confirm or reject (a supervisor, not its creator),
record a refund (finance, a confirmed recovery), record a fine decision (a supervisor, a fraud
recovery). Every button calls one payments.corrections service, which decides; a refusal shows
its message on the order's page with 400 or 403, never a 500."""

from dataclasses import dataclass

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from cases import selectors as case_selectors
from cases.models import Role
from cases.permissions import DECIDER_ROLES, case_reader_required, role_of
from cases.selectors import head_name, with_heads
from relief.dates import parse_month_key
from relief.views import Action, action_forms, failed_summary, querystring_without_page, run_action

from .. import corrections, fines, ledger
from ..forms import (
    FineForm,
    NoteForm,
    OrderFilterForm,
    ReasonForm,
    RecoveryConfirmForm,
    RecoveryFilterForm,
    RefundForm,
)
from ..models import BackPay, Recovery
from .labels import KEY_LABELS, PAGE_SIZE

OrderState = Recovery.State

RECOVERY_ACTIONS: dict[str, Action] = {
    "confirm": Action(
        gettext_lazy("Confirm the recovery"),
        RecoveryConfirmForm,
        lambda actor, order, data: corrections.recovery_confirm(
            actor=actor,
            recovery=order,
            method=data["method"],
            fraud=data["fraud"],
            note=data["note"] or "",
        ),
        gettext_lazy("Recovery confirmed."),
    ),
    "reject": Action(
        gettext_lazy("Reject the recovery"),
        ReasonForm,
        lambda actor, order, data: corrections.recovery_reject(
            actor=actor, recovery=order, reason=data["reason"] or ""
        ),
        gettext_lazy("Recovery rejected: its months count as uncorrected again."),
        "danger",
    ),
    "refund": Action(
        gettext_lazy("Record a refund"),
        RefundForm,
        lambda actor, order, data: corrections.recovery_refund_record(
            actor=actor,
            recovery=order,
            amount=data["amount"],
            received_on=data["received_on"],
            note=data["note"] or "",
        ),
        gettext_lazy("Refund recorded: the balance is lower."),
    ),
    "fine": Action(
        gettext_lazy("Record a fine decision"),
        FineForm,
        lambda actor, order, data: fines.fine_decision_record(
            actor=actor,
            recovery=order,
            amount=data["amount"],
            decided_on=data["decided_on"],
            reference=data["reference"] or "",
            note=data["note"] or "",
        ),
        gettext_lazy("Fine decision recorded. It never changes the balance."),
    ),
}

BACKPAY_ACTIONS: dict[str, Action] = {
    "confirm": Action(
        gettext_lazy("Confirm the back-pay"),
        NoteForm,
        lambda actor, order, data: corrections.backpay_confirm(
            actor=actor, backpay=order, note=data["note"] or ""
        ),
        gettext_lazy("Back-pay confirmed: the next payment run pays it."),
    ),
    "reject": Action(
        gettext_lazy("Reject the back-pay"),
        ReasonForm,
        lambda actor, order, data: corrections.backpay_reject(
            actor=actor, backpay=order, reason=data["reason"] or ""
        ),
        gettext_lazy("Back-pay rejected: its months count as uncorrected again."),
        "danger",
    ),
}


def recovery_actions(order: Recovery, *, user) -> list[str]:
    role = role_of(user)
    own = order.created_by_id is not None and order.created_by_id == user.pk
    shown = set()
    if role in DECIDER_ROLES and order.state == OrderState.PROPOSED and not own:
        shown |= {"confirm", "reject"}
    if role == Role.FINANCE and order.state == OrderState.CONFIRMED:
        shown.add("refund")
    if (
        role in DECIDER_ROLES
        and order.fraud
        and order.state
        in (
            OrderState.CONFIRMED,
            OrderState.SETTLED,
        )
    ):
        shown.add("fine")
    return [name for name in RECOVERY_ACTIONS if name in shown]


def backpay_actions(order: BackPay, *, user) -> list[str]:
    own = order.created_by_id is not None and order.created_by_id == user.pk
    if role_of(user) in DECIDER_ROLES and order.state == OrderState.PROPOSED and not own:
        return ["confirm", "reject"]
    return []


@dataclass(frozen=True)
class OrderKind:
    """What the recovery and back-pay pages differ in."""

    name: str  # the URL names' prefix: "recovery" or "backpay"
    title: str
    scope: object  # user -> the orders of the user's towns
    related: tuple
    prefetch: tuple
    actions: dict
    available: object  # (order, user=) -> the action names offered
    filter_form: type


RECOVERIES = OrderKind(
    "recovery",
    gettext_lazy("Recoveries"),
    ledger.recoveries_in_scope,
    ("grant__town", "grant__household", "created_by", "confirmed_by"),
    ("repayments__recorded_by", "repayments__line__batch", "fines__recorded_by"),
    RECOVERY_ACTIONS,
    recovery_actions,
    RecoveryFilterForm,
)
BACKPAYS = OrderKind(
    "backpay",
    gettext_lazy("Back-pay"),
    ledger.backpays_in_scope,
    ("grant__town", "grant__household", "created_by", "confirmed_by", "line__batch"),
    (),
    BACKPAY_ACTIONS,
    backpay_actions,
    OrderFilterForm,
)
KINDS = {"recovery": RECOVERIES, "backpay": BACKPAYS}


def month_span(months: dict) -> str:
    """ "2024-03 – 2024-05" for an order's months ("YYYY-MM" keys sort as months do)."""
    keys = sorted(months or {})
    if not keys:
        return ""
    return keys[0] if len(keys) == 1 else f"{keys[0]} – {keys[-1]}"


def _orders(kind: OrderKind, user):
    return kind.scope(user).select_related(*kind.related)


def order_list(request, kind: OrderKind):
    """The orders of the user's towns, newest first; by default, for a supervisor, those
    awaiting their decision. A fixed number of queries whatever the page size."""
    user = request.user
    decides = role_of(user) in DECIDER_ROLES
    filters = kind.filter_form(request.GET or None)
    show = filters.value("show") or ("awaiting" if decides else "all")
    rows = _orders(kind, user)
    awaiting = ledger.orders_awaiting(user=user, orders=rows)
    if show == "awaiting":
        rows = awaiting
    if filters.value("state"):
        rows = rows.filter(state=filters.value("state"))
    if kind is RECOVERIES:
        fraud = filters.value("fraud")
        if fraud:
            rows = rows.filter(fraud=fraud == "yes")
        if filters.value("method"):
            rows = rows.filter(method=filters.value("method"))
    rows = with_heads(rows.order_by("-id"), "grant__household")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "payments/order_list.html",
        {
            "kind": kind,
            "page": page,
            "rows": [
                (order, head_name(order.grant.household), month_span(order.months))
                for order in page.object_list
            ],
            "filters": filters,
            "show": show,
            "decides": decides,
            "awaiting_count": awaiting.count() if decides else 0,
            "filters_query": querystring_without_page(
                request.GET, ("show", "state", "fraud", "method")
            ),
        },
    )


def order_page(request, kind: OrderKind, pk, *, failed=None, status=200):
    user = request.user
    order = case_selectors.get_in_scope(
        with_heads(
            _orders(kind, user)
            .select_related("reassessment")
            .prefetch_related(*kind.prefetch, "reassessment__months"),
            "grant__household",
        ),
        pk=pk,
    )
    reassessment_months = []
    if order.reassessment_id is not None:
        reassessment_months = list(order.reassessment.months.all())
    months = [(parse_month_key(key), amount) for key, amount in sorted(order.months.items())]
    return render(
        request,
        "payments/order_detail.html",
        {
            "kind": kind,
            "order": order,
            "head": head_name(order.grant.household),
            "months": months,
            "reassessment_months": reassessment_months,
            "own_order": (
                role_of(user) in DECIDER_ROLES
                and order.state == OrderState.PROPOSED
                and order.created_by_id == user.pk
            ),
            "action_forms": action_forms(kind.actions, kind.available(order, user=user), failed),
            "summary": failed_summary(kind.actions, failed),
        },
        status=status,
    )


def order_action(request, kind: OrderKind, pk, action):
    order = case_selectors.get_in_scope(_orders(kind, request.user), pk=pk)
    if action not in kind.actions:
        raise Http404
    ok, result, form, status = run_action(request, kind.actions, action, order, KEY_LABELS)
    if ok:
        messages.success(request, kind.actions[action].message(result, form.cleaned_data))
        return redirect(f"payments:{kind.name}-detail", pk=order.pk)
    return order_page(request, kind, order.pk, failed=(action, form), status=status)


@require_GET
@case_reader_required
def recovery_list(request):
    return order_list(request, RECOVERIES)


@require_GET
@case_reader_required
def recovery_detail(request, pk):
    return order_page(request, RECOVERIES, pk)


@require_POST
@case_reader_required
def recovery_action(request, pk, action):
    return order_action(request, RECOVERIES, pk, action)


@require_GET
@case_reader_required
def backpay_list(request):
    return order_list(request, BACKPAYS)


@require_GET
@case_reader_required
def backpay_detail(request, pk):
    return order_page(request, BACKPAYS, pk)


@require_POST
@case_reader_required
def backpay_action(request, pk, action):
    return order_action(request, BACKPAYS, pk, action)
