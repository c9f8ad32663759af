"""The findings API (audit/api/findings.py): the list's shape, filters and pagination, town
scoping (another town's finding is a 404, a registry provider a 403), and the four actions with
their refusals (the wrong role or one's own proposal 403, the wrong state or a missing reason a
400 naming the field)."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from audit.models import Finding
from cases.models import Role
from payments.models import Recovery
from tests.audit.findings_factories import finding, month_rows, registry_record
from tests.factories import approved_grant, staff_user
from tests.payments.test_ledger import APRIL, MARCH, MAY, M, paid_line

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
    grant = approved_grant(starts_month=MARCH)
    for month in (MARCH, APRIL, MAY):
        paid_line(grant, month)
    return grant


@pytest.fixture
def deposits(grant, worker_chashan):
    head = grant.household.memberships.order_by("id").first().person
    record = registry_record(
        head, "deposits", MAY, amount=Decimal("100000.00"), on_date=M(2024, 3, 10)
    )
    return finding(
        kind=Finding.Kind.ASSETS_OVER_LIMIT,
        grant=grant,
        person=head,
        record=record,
        effective_month=MARCH,
        months=month_rows(("2024-04", "0.00", "1600.00"), ("2024-05", "0.00", "1600.00")),
        assignee=worker_chashan,
    )


@pytest.fixture
def dalang_finding(db):
    grant = approved_grant(town_slug="dalang", starts_month=MARCH)
    return finding(kind=Finding.Kind.DEATH, grant=grant, period=APRIL)


def url(item, action=""):
    return f"/api/v1/findings/{item.pk}/" + (f"{action}/" if action else "")


def test_the_list_shape(deposits, worker_chashan):
    response = get(worker_chashan, "/api/v1/findings/")
    assert response.status_code == 200
    assert response.data["count"] == 1
    (row,) = response.data["results"]
    assert {
        k: row[k] for k in ("id", "kind", "period", "town", "household", "person", "state")
    } == {
        "id": deposits.pk,
        "kind": "assets_over_limit",
        "period": "2024-05",
        "town": deposits.town.code,
        "household": deposits.household_id,
        "person": deposits.person_id,
        "state": "open",
    }
    assert row["months"] == [
        {"month": "2024-04", "expected": "0.00", "paid": "1600.00", "difference": "-1600.00"},
        {"month": "2024-05", "expected": "0.00", "paid": "1600.00", "difference": "-1600.00"},
    ]
    assert row["difference_total"] == "-3200.00"


def test_filters(deposits, dalang_finding, city_supervisor):
    def ids(**params):
        response = get(city_supervisor, "/api/v1/findings/", **params)
        assert response.status_code == 200, response.data
        return [row["id"] for row in response.data["results"]]

    assert set(ids()) == {deposits.pk, dalang_finding.pk}
    assert ids(period="2024-05") == [deposits.pk]
    assert ids(town=dalang_finding.town.code) == [dalang_finding.pk]
    assert ids(kind="death") == [dalang_finding.pk]
    assert ids(state="open", kind="assets_over_limit") == [deposits.pk]
    assert ids(state="confirmed") == []


@pytest.mark.parametrize(
    "params, field",
    [({"period": "2024-13"}, "period"), ({"kind": "nonsense"}, "kind"), ({"state": "x"}, "state")],
)
def test_a_bad_filter_is_a_400_naming_it(params, field, city_supervisor):
    response = get(city_supervisor, "/api/v1/findings/", **params)
    assert response.status_code == 400
    assert field in response.data


def test_town_scoping(deposits, dalang_finding, worker_dalang, worker_chashan):
    response = get(worker_chashan, "/api/v1/findings/")
    assert [row["id"] for row in response.data["results"]] == [deposits.pk]
    assert get(worker_dalang, url(deposits)).status_code == 404
    assert post(worker_dalang, url(deposits, "confirm")).status_code == 404


def test_registry_providers_and_administrators_see_no_findings(deposits, administrator):
    provider = staff_user("provider", Role.REGISTRY_PROVIDER)
    for user in (provider, administrator):
        assert get(user, "/api/v1/findings/").status_code == 403


def test_confirm_then_approve(deposits, worker_chashan, supervisor_chashan, grant):
    response = post(worker_chashan, url(deposits, "confirm"))
    assert response.status_code == 200, response.data
    assert (response.data["state"], response.data["proposal"]) == ("proposed", "confirm")

    assert post(worker_chashan, url(deposits, "approve")).status_code == 403
    response = post(supervisor_chashan, url(deposits, "approve"))

    assert response.status_code == 200, response.data
    assert response.data["state"] == "confirmed"
    recovery = Recovery.objects.get(grant=grant)
    assert response.data["outcome"]["recovery"] == recovery.pk


def test_dismiss_needs_a_reason(deposits, worker_chashan):
    response = post(worker_chashan, url(deposits, "dismiss"))
    assert response.status_code == 400
    assert "reason" in response.data
    response = post(worker_chashan, url(deposits, "dismiss"), {"reason": "A cleared family shop."})
    assert response.status_code == 200
    assert (response.data["proposal"], response.data["reason"]) == (
        "dismiss",
        "A cleared family shop.",
    )


def test_reject_needs_reasons_and_reopens(deposits, worker_chashan, supervisor_chashan):
    post(worker_chashan, url(deposits, "confirm"))
    assert "reason" in post(supervisor_chashan, url(deposits, "reject")).data
    response = post(supervisor_chashan, url(deposits, "reject"), {"reason": "Look again."})
    assert response.status_code == 200
    assert (response.data["state"], response.data["rejection_reason"]) == ("open", "Look again.")


def test_one_may_not_decide_ones_own_proposal(deposits, supervisor_chashan):
    assert post(supervisor_chashan, url(deposits, "confirm")).status_code == 200
    assert post(supervisor_chashan, url(deposits, "approve")).status_code == 403


def test_the_wrong_state_is_a_400(deposits, supervisor_chashan):
    response = post(supervisor_chashan, url(deposits, "approve"))
    assert response.status_code == 400
    assert "state" in response.data


def test_an_unknown_field_is_a_400(deposits, worker_chashan):
    response = post(worker_chashan, url(deposits, "confirm"), {"amount": "1"})
    assert response.status_code == 400
    assert "amount" in response.data


def test_auditors_read_every_town_and_act_on_none(deposits, dalang_finding, auditor):
    response = get(auditor, "/api/v1/findings/")
    assert {row["id"] for row in response.data["results"]} == {deposits.pk, dalang_finding.pk}
    assert get(auditor, url(dalang_finding)).status_code == 200
    assert post(auditor, url(deposits, "confirm")).status_code == 403


def test_another_towns_grant_is_only_said_to_cover_the_person(grant, worker_dalang):
    """enrolled_twice in 大朗: the 茶山 grant is given as its town and scheme, not its id."""
    later = approved_grant(town_slug="dalang", starts_month=MARCH)
    head = grant.household.memberships.order_by("id").first().person
    item = finding(
        kind=Finding.Kind.ENROLLED_TWICE,
        grant=later,
        person=head,
        figures={"grants": [grant.pk, later.pk]},
    )
    expected = {
        "grants": [later.pk],
        "covered_elsewhere": [{"town": grant.town.code, "scheme": "dibao"}],
    }
    detail = get(worker_dalang, f"/api/v1/findings/{item.pk}/").json()
    assert detail["figures"] == expected
    (row,) = get(worker_dalang, "/api/v1/findings/").json()["results"]
    assert row["figures"] == expected
