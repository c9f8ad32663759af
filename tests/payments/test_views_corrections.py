"""Recovery and back-pay queues and pages (payments/views/corrections.py): what awaits a
supervisor's decision (not their own orders), filters, each button reaching its service
(confirm, reject, refund by finance, a fine decision for fraud only), every refusal shown with
the service's message, another town's order a 404, and lists that run a fixed number of
queries whatever their length."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from payments import corrections
from payments.models import BackPay, FineDecision, PaymentRule, Recovery
from tests.factories import approved_grant
from tests.payments.test_ledger import APRIL, MARCH, MAY, M, confirm_entry, paid_line

pytestmark = pytest.mark.django_db

FINE = {"amount": "900.00", "decided_on": "2024-06-19", "reference": "东民罚〔2024〕12号"}


@pytest.fixture
def grant(db):
    """Dibao from March 2024 at 1,600.00, paid for March to May; from March it is 1,450.00."""
    grant = approved_grant(starts_month=MARCH)
    for month in (MARCH, APRIL, MAY):
        paid_line(grant, month)
    confirm_entry(grant, MARCH, "1450.00")
    return grant


@pytest.fixture
def recovery(grant):
    """The system's reassessment: 150.00 overpaid in each of March, April and May."""
    corrections.reassess(grant=grant, from_month=MARCH)
    return Recovery.objects.get()


def url(order, action="") -> str:
    name = "recovery" if isinstance(order, Recovery) else "backpay"
    if action:
        return reverse(f"payments:{name}-action", args=[order.pk, action])
    return reverse(f"payments:{name}-detail", args=[order.pk])


def act(client, order, action, **data):
    return client.post(url(order, action), {f"{action}-{k}": v for k, v in data.items()})


def summary(response) -> str:
    return " | ".join(response.context["summary"])


def listed(client, name, **params) -> set[int]:
    response = client.get(reverse(f"payments:{name}-list"), params)
    assert response.status_code == 200
    return {order.pk for order, _head, _span in response.context["rows"]}


def manual_recovery(actor, grant, amount="10.00", **kwargs) -> Recovery:
    return corrections.recovery_create(
        actor=actor, grant=grant, months={"2024-04": amount}, reason="Audit finding.", **kwargs
    )


def manual_backpay(actor, grant, amount="12.50", month="2024-04") -> BackPay:
    return corrections.backpay_create(
        actor=actor, grant=grant, months={month: amount}, reason="Audit finding."
    )


# --- the queues -----------------------------------------------------------------------------


def test_a_supervisor_sees_what_awaits_their_decision_by_default(
    client, recovery, grant, supervisor_chashan, worker_chashan
):
    own = manual_recovery(supervisor_chashan, grant)
    client.force_login(supervisor_chashan)

    response = client.get(reverse("payments:recovery-list"))

    assert response.context["show"] == "awaiting"
    assert [order.pk for order, _head, _span in response.context["rows"]] == [recovery.pk]
    assert response.context["rows"][0][2] == "2024-03 – 2024-05"
    assert response.context["awaiting_count"] == 1
    assert listed(client, "recovery", show="all") == {recovery.pk, own.pk}
    # A case worker decides nothing: the list shows everything of the town by default.
    client.force_login(worker_chashan)
    assert listed(client, "recovery") == {recovery.pk, own.pk}


def test_the_recovery_list_filters_by_state_fraud_and_method(
    client, recovery, grant, supervisor_chashan, auditor
):
    fraud = manual_recovery(supervisor_chashan, grant, fraud=True)
    client.force_login(auditor)

    assert listed(client, "recovery", fraud="yes") == {fraud.pk}
    assert listed(client, "recovery", fraud="no") == {recovery.pk}
    assert listed(client, "recovery", state="confirmed") == set()
    assert listed(client, "recovery", method="refund") == {recovery.pk, fraud.pk}


def test_another_towns_orders_do_not_exist_for_a_town_role(
    client, recovery, grant, worker_chashan, worker_dalang
):
    backpay = manual_backpay(worker_chashan, grant)
    client.force_login(worker_dalang)

    assert listed(client, "recovery") == set()
    assert listed(client, "backpay") == set()
    assert client.get(url(recovery)).status_code == 404
    assert client.get(url(backpay)).status_code == 404
    assert act(client, recovery, "reject", reason="No.").status_code == 404
    assert act(client, backpay, "confirm").status_code == 404


@pytest.mark.parametrize("name", ["recovery", "backpay"])
def test_the_order_lists_run_a_fixed_number_of_queries(
    client, name, worker_chashan, auditor, django_assert_max_num_queries
):
    client.force_login(auditor)
    list_url = reverse(f"payments:{name}-list")
    create = manual_recovery if name == "recovery" else manual_backpay

    def add(n):
        for _ in range(n):
            create(worker_chashan, approved_grant(starts_month=MARCH))

    add(2)
    with CaptureQueriesContext(connection) as queries:
        assert len(client.get(list_url).context["rows"]) == 2
    add(8)
    with django_assert_max_num_queries(len(queries)):
        assert len(client.get(list_url).context["rows"]) == 10


# --- a recovery's page ----------------------------------------------------------------------


def test_the_recovery_page_shows_the_months_and_the_reassessment(client, recovery, auditor):
    client.force_login(auditor)

    response = client.get(url(recovery))

    page = response.content.decode()
    assert response.context["months"] == [
        (MARCH, "150.00"),
        (APRIL, "150.00"),
        (MAY, "150.00"),
    ]
    assert [row.difference for row in response.context["reassessment_months"]] == [
        Decimal("-150.00")
    ] * 3
    assert "450.00" in page
    assert response.context["action_forms"] == []


def test_a_supervisor_confirms_a_recovery_through_the_page(client, recovery, supervisor_chashan):
    client.force_login(supervisor_chashan)
    page = client.get(url(recovery))
    assert [item["name"] for item in page.context["action_forms"]] == ["confirm", "reject"]

    response = act(client, recovery, "confirm", method="refund", fraud="yes", note="Checked.")

    assert response.status_code == 302
    recovery.refresh_from_db()
    assert (recovery.state, recovery.fraud, recovery.confirmed_by) == (
        Recovery.State.CONFIRMED,
        True,
        supervisor_chashan,
    )
    assert "Recovery confirmed." in client.get(url(recovery)).content.decode()


def test_confirming_ones_own_recovery_shows_the_refusal(client, grant, supervisor_chashan):
    own = manual_recovery(supervisor_chashan, grant)
    client.force_login(supervisor_chashan)
    page = client.get(url(own))
    assert page.context["own_order"]
    assert page.context["action_forms"] == []

    response = act(client, own, "confirm", method="refund")

    assert response.status_code == 403
    assert "You created this order, so someone else must confirm it." in summary(response)
    own.refresh_from_db()
    assert own.state == Recovery.State.PROPOSED


def test_deduction_where_the_rule_forbids_it_names_the_repayment(
    client, recovery, supervisor_chashan
):
    client.force_login(supervisor_chashan)

    response = act(client, recovery, "confirm", method="deduction")

    assert response.status_code == 400
    assert "Recovery by deduction is not allowed by the payment rules" in response.content.decode()
    assert "Repayment" in summary(response)
    PaymentRule.objects.create(effective_from=M(2024, 1, 1), deductions_allowed=True)
    assert act(client, recovery, "confirm", method="deduction").status_code == 302
    recovery.refresh_from_db()
    assert recovery.method == Recovery.Method.DEDUCTION


def test_a_rejection_needs_reasons(client, recovery, supervisor_chashan):
    client.force_login(supervisor_chashan)
    refused = act(client, recovery, "reject", reason="")
    assert refused.status_code == 400
    assert "Give the reasons for the rejection." in summary(refused)
    assert act(client, recovery, "reject", reason="Income was reported in time.").status_code == 302
    recovery.refresh_from_db()
    assert recovery.state == Recovery.State.REJECTED


def test_finance_records_a_refund_and_a_supervisor_may_not(
    client, recovery, supervisor_chashan, finance
):
    client.force_login(finance)
    not_yet = act(client, recovery, "refund", amount="100.00", received_on="2024-06-01")
    assert not_yet.status_code == 400
    assert "Cannot record a refund: the order is waiting for confirmation" in summary(not_yet)

    corrections.recovery_confirm(actor=supervisor_chashan, recovery=recovery)
    assert [item["name"] for item in client.get(url(recovery)).context["action_forms"]] == [
        "refund"
    ]
    too_much = act(client, recovery, "refund", amount="450.01", received_on="2024-06-01")
    assert too_much.status_code == 400
    assert "is more than the 450.00 yuan still owed" in summary(too_much)
    assert (
        act(client, recovery, "refund", amount="100.00", received_on="2024-06-01").status_code
        == 302
    )
    recovery.refresh_from_db()
    assert recovery.balance == Decimal("350.00")
    assert "100.00" in client.get(url(recovery)).content.decode()

    client.force_login(supervisor_chashan)
    refused = act(client, recovery, "refund", amount="1.00", received_on="2024-06-01")
    assert refused.status_code == 403
    assert "Only a finance officer records refunds." in summary(refused)


def test_a_fine_decision_only_for_fraud(client, recovery, supervisor_chashan, city_supervisor):
    corrections.recovery_confirm(actor=supervisor_chashan, recovery=recovery, fraud=False)
    client.force_login(city_supervisor)
    assert "fine" not in [
        item["name"] for item in client.get(url(recovery)).context["action_forms"]
    ]

    refused = act(client, recovery, "fine", **FINE)
    assert refused.status_code == 400
    assert "A fine is recorded only for a recovery where fraud was involved" in summary(refused)

    Recovery.objects.filter(pk=recovery.pk).update(fraud=True)
    assert "fine" in [item["name"] for item in client.get(url(recovery)).context["action_forms"]]
    assert act(client, recovery, "fine", **FINE).status_code == 302
    fine = FineDecision.objects.get()
    assert fine.reference == "东民罚〔2024〕12号"
    recovery.refresh_from_db()
    assert recovery.balance == Decimal("450.00")  # a fine never changes the balance
    assert "东民罚〔2024〕12号" in client.get(url(recovery)).content.decode()


def test_an_unknown_order_action_is_404(client, recovery, supervisor_chashan):
    client.force_login(supervisor_chashan)
    assert act(client, recovery, "forgive").status_code == 404


# --- back-pay -------------------------------------------------------------------------------


def test_back_pay_is_confirmed_by_a_second_person(
    client, grant, worker_chashan, supervisor_chashan
):
    backpay = manual_backpay(worker_chashan, grant)
    client.force_login(worker_chashan)
    refused = act(client, backpay, "confirm")
    assert refused.status_code == 403
    assert "Only a town supervisor of the town or the city supervisor" in summary(refused)

    client.force_login(supervisor_chashan)
    assert listed(client, "backpay") == {backpay.pk}  # awaiting the supervisor
    assert act(client, backpay, "confirm", note="Checked.").status_code == 302
    backpay.refresh_from_db()
    assert (backpay.state, backpay.confirmed_by) == (BackPay.State.CONFIRMED, supervisor_chashan)
    page = client.get(url(backpay)).content.decode()
    assert "the next payment run" in page
    assert listed(client, "backpay") == set()


def test_back_pay_rejection_needs_reasons(client, grant, worker_chashan, supervisor_chashan):
    backpay = manual_backpay(worker_chashan, grant)
    client.force_login(supervisor_chashan)

    refused = act(client, backpay, "reject", reason="")
    assert refused.status_code == 400
    assert "Give the reasons for the rejection." in summary(refused)
    assert act(client, backpay, "reject", reason="Duplicate.").status_code == 302
    backpay.refresh_from_db()
    assert (backpay.state, backpay.decision_note) == (BackPay.State.REJECTED, "Duplicate.")
