"""The corrections API (payments/api/corrections.py): reassessments, recoveries, back-pay and
the ledger through HTTP. Wrong role or one's own order 403, wrong state or bad input 400 naming
the field, another town's order, grant or household 404."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from cases.models import Role
from payments import corrections
from payments.models import BackPay, FineDecision, PaymentRule, Reassessment, Recovery
from tests.factories import approved_grant, staff_user, town
from tests.payments.test_ledger import APRIL, MARCH, MAY, M, confirm_entry, paid_line

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def post(user, url, body=None):
    return client_for(user).post(url, body or {}, format="json")


def get(user, url, **params):
    return client_for(user).get(url, params)


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
    corrections.reassess(grant=grant, from_month=MARCH)
    return Recovery.objects.get()


# Reassessments


def test_a_case_worker_reassesses_a_grant(grant, worker_chashan):
    response = post(
        worker_chashan, "/api/v1/reassessments/", {"grant": grant.pk, "from_month": "2024-03-01"}
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["reassessed"] is True
    reassessment = body["reassessment"]
    recovery = Recovery.objects.get()
    assert (reassessment["overpaid"], reassessment["underpaid"], reassessment["to_month"]) == (
        "450.00",
        "0.00",
        "2024-05-01",
    )
    assert (reassessment["recovery"], reassessment["backpay"], reassessment["created_by"]) == (
        recovery.pk,
        None,
        "worker-chashan",
    )
    assert reassessment["months"][0] == {
        "month": "2024-03-01",
        "due": "1450.00",
        "paid": "1600.00",
        "corrected": "0.00",
        "difference": "-150.00",
    }

    again = post(
        worker_chashan, "/api/v1/reassessments/", {"grant": grant.pk, "from_month": "2024-03-01"}
    )
    assert again.status_code == 200
    assert (again.json()["reassessed"], again.json()["reassessment"]) == (False, None)
    assert Reassessment.objects.count() == 1


def test_reassessing_is_refused_to_finance_and_for_another_towns_grant(
    grant, finance, worker_dalang, worker_chashan
):
    body = {"grant": grant.pk, "from_month": "2024-03-01"}

    assert post(finance, "/api/v1/reassessments/", body).status_code == 403
    other_town = post(worker_dalang, "/api/v1/reassessments/", body)
    assert other_town.status_code == 400 and "grant" in other_town.json()
    bad_month = post(
        worker_chashan, "/api/v1/reassessments/", {"grant": grant.pk, "from_month": "2024-03-02"}
    )
    assert bad_month.status_code == 400 and "from_month" in bad_month.json()
    assert not Reassessment.objects.exists()


def test_reassessments_are_listed_and_read_in_scope(recovery, grant, auditor, worker_dalang):
    reassessment = Reassessment.objects.get()

    listed = get(auditor, "/api/v1/reassessments/", grant=grant.pk)
    assert [row["id"] for row in listed.json()["results"]] == [reassessment.pk]
    assert get(auditor, f"/api/v1/reassessments/{reassessment.pk}/").json()["months"]
    assert get(worker_dalang, "/api/v1/reassessments/").json()["count"] == 0
    assert get(worker_dalang, f"/api/v1/reassessments/{reassessment.pk}/").status_code == 404


# Recoveries


def test_a_supervisor_confirms_a_recovery(recovery, supervisor_chashan):
    response = post(
        supervisor_chashan,
        f"/api/v1/recoveries/{recovery.pk}/confirm/",
        {"method": "refund", "fraud": True, "note": "Checked."},
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["state"], body["method"], body["fraud"], body["confirmed_by"]) == (
        "confirmed",
        "refund",
        True,
        "supervisor-chashan",
    )
    assert body["months"] == {"2024-03": "150.00", "2024-04": "150.00", "2024-05": "150.00"}
    assert (body["amount"], body["balance"]) == ("450.00", "450.00")


def test_confirming_ones_own_recovery_is_forbidden(grant, supervisor_chashan):
    created = post(
        supervisor_chashan,
        "/api/v1/recoveries/",
        {"grant": grant.pk, "months": {"2024-04": "10.00"}, "reason": "Audit finding."},
    )
    assert created.status_code == 201, created.json()

    response = post(supervisor_chashan, f"/api/v1/recoveries/{created.json()['id']}/confirm/")

    assert response.status_code == 403


def test_deduction_is_refused_naming_the_method_where_the_rule_forbids_it(
    recovery, supervisor_chashan
):
    response = post(
        supervisor_chashan, f"/api/v1/recoveries/{recovery.pk}/confirm/", {"method": "deduction"}
    )

    assert response.status_code == 400
    assert "method" in response.json()
    PaymentRule.objects.create(effective_from=M(2024, 1, 1), deductions_allowed=True)
    allowed = post(
        supervisor_chashan, f"/api/v1/recoveries/{recovery.pk}/confirm/", {"method": "deduction"}
    )
    assert allowed.json()["method"] == "deduction"


def test_another_towns_recovery_is_not_found(recovery, worker_dalang, finance):
    dalang_supervisor = staff_user("supervisor-dalang", Role.TOWN_SUPERVISOR, "dalang")
    url = f"/api/v1/recoveries/{recovery.pk}/"

    assert get(worker_dalang, url).status_code == 404
    assert post(dalang_supervisor, url + "confirm/").status_code == 404
    assert post(dalang_supervisor, url + "reject/", {"reason": "No."}).status_code == 404
    assert get(finance, url).status_code == 200


def test_finance_records_a_refund_never_below_zero(recovery, supervisor_chashan, finance):
    url = f"/api/v1/recoveries/{recovery.pk}/"
    assert (
        post(finance, url + "refund/", {"amount": "1.00", "received_on": "2024-06-01"}).status_code
        == 400
    )
    post(supervisor_chashan, url + "confirm/")

    paid = post(finance, url + "refund/", {"amount": "450.00", "received_on": "2024-06-01"})
    too_much = post(finance, url + "refund/", {"amount": "0.01", "received_on": "2024-06-01"})

    assert paid.status_code == 201, paid.json()
    assert (paid.json()["balance"], paid.json()["state"]) == ("0.00", "settled")
    assert paid.json()["repayments"][0]["amount"] == "450.00"
    assert too_much.status_code == 400 and "state" in too_much.json()
    assert (
        post(
            supervisor_chashan, url + "refund/", {"amount": "1.00", "received_on": "2024-06-01"}
        ).status_code
        == 403
    )


def test_a_refund_above_the_balance_names_the_amount(recovery, supervisor_chashan, finance):
    url = f"/api/v1/recoveries/{recovery.pk}/"
    post(supervisor_chashan, url + "confirm/")

    response = post(finance, url + "refund/", {"amount": "450.01", "received_on": "2024-06-01"})

    assert response.status_code == 400 and "amount" in response.json()


def test_a_fine_is_recorded_only_for_fraud(recovery, supervisor_chashan, city_supervisor):
    url = f"/api/v1/recoveries/{recovery.pk}/"
    body = {"amount": "900.00", "decided_on": "2024-06-19", "reference": "东民罚〔2024〕12号"}
    post(supervisor_chashan, url + "confirm/", {"fraud": False})

    refused = post(city_supervisor, url + "fine/", body)
    assert refused.status_code == 400 and "recovery" in refused.json()

    Recovery.objects.filter(pk=recovery.pk).update(fraud=True)
    recorded = post(city_supervisor, url + "fine/", body)
    assert recorded.status_code == 201, recorded.json()
    assert recorded.json()["fines"][0]["reference"] == "东民罚〔2024〕12号"
    assert recorded.json()["balance"] == "450.00"
    assert FineDecision.objects.count() == 1


def test_recoveries_awaiting_me(recovery, grant, supervisor_chashan, worker_chashan):
    own = post(
        supervisor_chashan,
        "/api/v1/recoveries/",
        {"grant": grant.pk, "months": {"2024-04": "10.00"}, "reason": "Audit finding."},
    ).json()

    awaiting = get(supervisor_chashan, "/api/v1/recoveries/", awaiting_me="true").json()
    everything = get(worker_chashan, "/api/v1/recoveries/").json()

    assert [row["id"] for row in awaiting["results"]] == [recovery.pk]
    assert {row["id"] for row in everything["results"]} == {recovery.pk, own["id"]}
    assert get(worker_chashan, "/api/v1/recoveries/", awaiting_me="true").json()["count"] == 0


def test_a_manual_order_with_bad_months_is_refused(grant, worker_chashan):
    response = post(
        worker_chashan,
        "/api/v1/backpays/",
        {"grant": grant.pk, "months": {"2024-02": "10.00"}, "reason": "Audit finding."},
    )

    assert response.status_code == 400 and "months" in response.json()
    unknown = post(
        worker_chashan,
        "/api/v1/backpays/",
        {"grant": grant.pk, "months": {"2024-04": "10.00"}, "reason": "Why.", "fraud": True},
    )
    assert unknown.status_code == 400 and "fraud" in unknown.json()


# Back-pay


def test_backpay_confirmed_and_rejected_by_a_second_person(
    grant, worker_chashan, supervisor_chashan
):
    first = post(
        worker_chashan,
        "/api/v1/backpays/",
        {"grant": grant.pk, "months": {"2024-04": "12.50"}, "reason": "Audit finding."},
    ).json()
    second = post(
        worker_chashan,
        "/api/v1/backpays/",
        {"grant": grant.pk, "months": {"2024-05": "7.50"}, "reason": "Audit finding."},
    ).json()

    confirmed = post(supervisor_chashan, f"/api/v1/backpays/{first['id']}/confirm/")
    rejected = post(
        supervisor_chashan, f"/api/v1/backpays/{second['id']}/reject/", {"reason": "Duplicate."}
    )
    no_reason = post(supervisor_chashan, f"/api/v1/backpays/{second['id']}/reject/", {})
    by_worker = post(worker_chashan, f"/api/v1/backpays/{first['id']}/confirm/")

    assert (confirmed.status_code, confirmed.json()["state"]) == (200, "confirmed")
    assert (rejected.json()["state"], rejected.json()["decision_note"]) == (
        "rejected",
        "Duplicate.",
    )
    assert no_reason.status_code == 400 and "reason" in no_reason.json()
    assert by_worker.status_code == 403
    assert get(worker_chashan, "/api/v1/backpays/", state="confirmed").json()["count"] == 1
    assert BackPay.objects.get(pk=first["id"]).confirmed_by == supervisor_chashan


# The ledger


def test_grant_ledger_with_totals(grant, worker_chashan):
    response = get(
        worker_chashan, f"/api/v1/ledger/grants/{grant.pk}/", **{"from": "2024-03", "to": "2024-06"}
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["grant"], body["from_month"], body["to_month"]) == (
        grant.pk,
        "2024-03-01",
        "2024-06-01",
    )
    assert (body["due"], body["paid"], body["difference"]) == ("5800.00", "4800.00", "1000.00")
    assert [row["difference"] for row in body["rows"]] == [
        "-150.00",
        "-150.00",
        "-150.00",
        "1450.00",
    ]


def test_ledger_ranges_are_checked(grant, worker_chashan):
    url = f"/api/v1/ledger/grants/{grant.pk}/"

    assert "from" in get(worker_chashan, url, **{"from": "2024-13"}).json()
    assert "to" in get(worker_chashan, url, **{"from": "2024-05", "to": "2024-03"}).json()
    assert "to" in get(worker_chashan, url, **{"from": "2000-01", "to": "2024-03"}).json()


def test_ledgers_of_another_town_are_not_found(grant, worker_dalang):
    assert get(worker_dalang, f"/api/v1/ledger/grants/{grant.pk}/").status_code == 404
    assert get(worker_dalang, f"/api/v1/ledger/households/{grant.household_id}/").status_code == 404


def test_household_ledger(grant, auditor):
    response = get(
        auditor,
        f"/api/v1/ledger/households/{grant.household_id}/",
        **{"from": "2024-03", "to": "2024-05"},
    )

    body = response.json()
    assert (body["household"], body["paid"], body["difference"]) == (
        grant.household_id,
        "4800.00",
        "-450.00",
    )
    assert {row["grant"] for row in body["rows"]} == {grant.pk}


def test_city_totals_scoped_by_town(grant, city_supervisor, worker_dalang):
    other = approved_grant(town_slug="dalang", starts_month=MARCH, amount=Decimal("900.00"))
    paid_line(other, MARCH, "900.00")
    params = {"from": "2024-03", "to": "2024-03"}

    city = get(city_supervisor, "/api/v1/ledger/totals/", **params).json()
    dalang = get(worker_dalang, "/api/v1/ledger/totals/", **params).json()

    assert [(row["town"], row["due"], row["paid"]) for row in city["rows"]] == [
        (town("chashan").code, "1450.00", "1600.00"),
        (town("dalang").code, "900.00", "900.00"),
    ]
    assert (city["due"], city["paid"], city["difference"]) == ("2350.00", "2500.00", "-150.00")
    assert [row["town"] for row in dalang["rows"]] == [town("dalang").code]


def test_an_administrator_reads_no_corrections(recovery, administrator):
    assert get(administrator, "/api/v1/recoveries/").status_code == 403
    assert get(administrator, "/api/v1/ledger/totals/").status_code == 403


def test_the_schema_lists_the_corrections_endpoints(schema_client):
    schema = schema_client.get(
        "/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json"
    ).json()

    assert {
        "/api/v1/reassessments/",
        "/api/v1/reassessments/{id}/",
        "/api/v1/recoveries/",
        "/api/v1/recoveries/{id}/",
        "/api/v1/recoveries/{id}/confirm/",
        "/api/v1/recoveries/{id}/reject/",
        "/api/v1/recoveries/{id}/refund/",
        "/api/v1/recoveries/{id}/fine/",
        "/api/v1/backpays/",
        "/api/v1/backpays/{id}/",
        "/api/v1/backpays/{id}/confirm/",
        "/api/v1/backpays/{id}/reject/",
        "/api/v1/ledger/grants/{id}/",
        "/api/v1/ledger/households/{id}/",
        "/api/v1/ledger/totals/",
    } <= set(schema["paths"])
    parameters = schema["paths"]["/api/v1/ledger/totals/"]["get"]["parameters"]
    assert {parameter["name"] for parameter in parameters} == {"from", "to"}
