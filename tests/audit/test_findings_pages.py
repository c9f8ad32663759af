"""The findings pages (audit/views/): the list with its filters, counts and amounts, town
scoping, the finding's page (record, figures, months with totals, the actions each role is
offered, history), the actions posted from it (a refusal shown with 400/403), the dashboard's
tables and charts and the matching coverage, and the findings on the work pages."""

from decimal import Decimal

import pytest
from django.test import Client

from audit.models import Finding
from cases.models import Role
from tests.audit.findings_factories import finding, month_rows, registry_record
from tests.factories import approved_grant, staff_user
from tests.payments.test_ledger import APRIL, MARCH, MAY, M, paid_line

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client(headers={"accept-language": "en"})
    client.force_login(user)
    return client


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
        head,
        "deposits",
        MAY,
        institution="东莞银行",
        amount=Decimal("100000.00"),
        on_date=M(2024, 3, 10),
    )
    return finding(
        kind=Finding.Kind.ASSETS_OVER_LIMIT,
        grant=grant,
        person=head,
        record=record,
        effective_month=MARCH,
        months=month_rows(("2024-04", "0.00", "1600.00"), ("2024-05", "0.00", "1600.00")),
        figures={"assets": "100000.00", "limit": "62400.00"},
        assignee=worker_chashan,
        due_on=M(2024, 6, 12),
    )


@pytest.fixture
def dalang_finding(db):
    grant = approved_grant(town_slug="dalang", starts_month=MARCH)
    return finding(kind=Finding.Kind.DEATH, grant=grant, period=APRIL)


def test_the_list_shows_counts_and_amounts_of_the_users_towns(
    deposits, dalang_finding, worker_chashan
):
    response = client_for(worker_chashan).get("/audit/findings/")
    assert response.status_code == 200
    page = response.content.decode()
    assert f'data-testid="finding-{deposits.pk}"' in page
    assert f'data-testid="finding-{dalang_finding.pk}"' not in page
    assert response.context["totals"].count == 1
    assert response.context["totals"].overpaid == Decimal("3200.00")
    assert "3,200.00" in page


def test_the_list_filters_and_sorts(deposits, dalang_finding, city_supervisor):
    client = client_for(city_supervisor)
    assert client.get("/audit/findings/").context["totals"].count == 2
    for query, expected in [
        ("kind=death", [dalang_finding.pk]),
        ("period=2024-05", [deposits.pk]),
        (f"town={dalang_finding.town.code}", [dalang_finding.pk]),
        ("state=confirmed", []),
        ("sort=-difference", [dalang_finding.pk, deposits.pk]),
    ]:
        response = client.get(f"/audit/findings/?{query}")
        assert [f.pk for f in response.context["page"].object_list] == expected, query


def test_another_towns_finding_is_not_found(deposits, worker_dalang):
    client = client_for(worker_dalang)
    assert client.get(f"/audit/findings/{deposits.pk}/").status_code == 404
    response = client.post(
        f"/audit/findings/{deposits.pk}/actions/confirm/", {"confirm-checked": "on"}
    )
    assert response.status_code == 404


def test_registry_providers_have_no_findings_pages(deposits):
    provider = staff_user("provider", Role.REGISTRY_PROVIDER)
    client = client_for(provider)
    assert client.get("/audit/findings/").status_code == 403
    assert client.get("/audit/").status_code == 403


def test_the_finding_page(deposits, worker_chashan):
    response = client_for(worker_chashan).get(f"/audit/findings/{deposits.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "东莞银行" in page and "100,000.00" in page
    assert "Limit (yuan)" in page and "62400.00" in page  # the rule's figures, labelled
    assert page.count("-1,600.00") == 2 and "-3,200.00" in page
    assert 'data-testid="action-confirm"' in page and 'data-testid="action-dismiss"' in page
    assert 'data-testid="action-approve"' not in page
    assert 'data-testid="finding-history"' in page


def test_the_actions_each_role_is_offered(deposits, worker_chashan, supervisor_chashan, auditor):
    def actions(user):
        response = client_for(user).get(f"/audit/findings/{deposits.pk}/")
        return [item["name"] for item in response.context["action_forms"]]

    assert actions(worker_chashan) == ["confirm", "dismiss"]
    assert actions(supervisor_chashan) == ["confirm", "dismiss", "reassign"]
    assert actions(auditor) == []
    deposits.state, deposits.proposal, deposits.proposed_by = "proposed", "confirm", worker_chashan
    deposits.save()
    assert actions(worker_chashan) == []
    assert actions(supervisor_chashan) == ["approve", "reject", "reassign"]


def test_propose_and_approve_from_the_page(deposits, worker_chashan, supervisor_chashan, grant):
    url = f"/audit/findings/{deposits.pk}/actions/"
    # The confirmation box is required.
    response = client_for(worker_chashan).post(url + "confirm/", {})
    assert response.status_code == 400
    assert "Tick the box" in response.content.decode()

    response = client_for(worker_chashan).post(url + "confirm/", {"confirm-checked": "on"})
    assert response.status_code == 302
    deposits.refresh_from_db()
    assert deposits.state == Finding.State.PROPOSED

    # The proposer is told someone else decides; deciding one's own is a 403.
    response = client_for(supervisor_chashan).post(url + "approve/", {"approve-checked": "on"})
    assert response.status_code == 302
    deposits.refresh_from_db()
    assert deposits.state == Finding.State.CONFIRMED
    page = client_for(supervisor_chashan).get(f"/audit/findings/{deposits.pk}/").content.decode()
    assert 'data-testid="outcome-recovery"' in page
    assert "The grant ends with 2024-03." in page


def test_a_refusal_is_shown_on_the_page(deposits, worker_chashan):
    response = client_for(worker_chashan).post(
        f"/audit/findings/{deposits.pk}/actions/dismiss/", {"dismiss-reason": ""}
    )
    assert response.status_code == 400
    assert "Say why the finding is dismissed." in response.content.decode()


def test_ones_own_proposal_may_not_be_approved(deposits, supervisor_chashan):
    client = client_for(supervisor_chashan)
    url = f"/audit/findings/{deposits.pk}/actions/"
    assert client.post(url + "confirm/", {"confirm-checked": "on"}).status_code == 302
    page = client.get(f"/audit/findings/{deposits.pk}/").content.decode()
    assert 'data-testid="own-proposal"' in page
    assert client.post(url + "approve/", {"approve-checked": "on"}).status_code == 403


def test_reassign_from_the_page(deposits, supervisor_chashan):
    other = staff_user("worker-chashan-2", Role.CASE_WORKER, "chashan")
    response = client_for(supervisor_chashan).post(
        f"/audit/findings/{deposits.pk}/actions/reassign/", {"reassign-assignee": other.pk}
    )
    assert response.status_code == 302
    deposits.refresh_from_db()
    assert deposits.assignee == other


def test_the_dashboard(deposits, dalang_finding, grant, city_supervisor):
    # One of the grant's two members has a deposits record in May: half matched.
    response = client_for(city_supervisor).get("/audit/?period=2024-05")
    assert response.status_code == 200
    page = response.content.decode()
    assert f'data-testid="audit-town-{deposits.town.code}"' in page
    assert f'data-testid="audit-town-{dalang_finding.town.code}"' not in page  # April only
    coverage = {row["source"].code: row for row in response.context["coverage"]}
    assert coverage["deposits"]["recipients"] >= 2
    assert coverage["deposits"]["matched"] == 1
    assert coverage["property"]["matched"] == 0
    assert "bar-w-" in page
    # Month by month: the six months up to the period, May's share where April's is the
    # recipients' without a record.
    months = response.context["coverage_months"]
    assert [m.strftime("%Y-%m") for m in months["months"]] == [
        "2023-12",
        "2024-01",
        "2024-02",
        "2024-03",
        "2024-04",
        "2024-05",
    ]
    by_source = {row["source"].code: row["shares"] for row in months["rows"]}
    assert by_source["deposits"][-1] == coverage["deposits"]["share"]
    assert by_source["property"][-1] == 0
    assert 'data-testid="audit-coverage-months"' in page


def test_the_dashboard_is_scoped(deposits, dalang_finding, worker_dalang):
    response = client_for(worker_dalang).get("/audit/?period=2024-05")
    assert response.context["town_rows"] == []


def test_my_work_lists_my_findings(deposits, worker_chashan):
    page = client_for(worker_chashan).get("/cases/work/").content.decode()
    assert f'data-testid="my-finding-{deposits.pk}"' in page


def test_the_approvals_page_lists_proposals_to_decide(deposits, worker_chashan, supervisor_chashan):
    deposits.state, deposits.proposal, deposits.proposed_by = "proposed", "confirm", worker_chashan
    deposits.save()
    response = client_for(supervisor_chashan).get("/cases/work/approvals/")
    assert f'data-testid="decide-finding-{deposits.pk}"' in response.content.decode()


def test_the_dashboard_counts_only_standing_findings(deposits, grant, city_supervisor):
    """Dismissed and closed findings are shown apart, in no count or amount."""
    head = grant.household.memberships.order_by("id").first().person
    for state in (Finding.State.DISMISSED, Finding.State.CLOSED):
        finding(
            kind=Finding.Kind.ASSETS_OVER_LIMIT,
            grant=grant,
            person=head,
            period=MAY,
            months=month_rows(("2024-04", "0.00", "1600.00")),
            state=state,
        )
    response = client_for(city_supervisor).get("/audit/?period=2024-05")
    totals = response.context["totals"]
    assert (totals.count, totals.overpaid) == (1, Decimal("3200.00"))
    (row,) = response.context["town_rows"]
    assert (row["count"], row["overpaid"]) == (1, Decimal("3200.00"))
    assert (response.context["dismissed"], response.context["closed"]) == (1, 1)
    page = response.content.decode()
    assert 'data-testid="audit-dismissed">1<' in page
    assert 'data-testid="audit-closed">1<' in page


# Figures as a Chinese reader reads them: every key a rule or the check writes (audit/rules.py,
# audit/check.py) with the values they write, one finding per kind.
FIGURES_OF_KIND = {
    Finding.Kind.ASSETS_OVER_LIMIT: {
        "assets": "100000.00",
        "limit": "62400.00",
        "members": 2,
        "standard": "1300.00",
        "months": "24",
    },
    Finding.Kind.PROPERTY: {
        "residential": 2,
        "non_residential": 1,
        "max_residential": 1,
        "max_non_residential": 0,
    },
    Finding.Kind.VEHICLE: {"vehicles": 1, "max_vehicles": 0},
    Finding.Kind.BUSINESS: {"businesses": 1, "max_businesses": 0},
    Finding.Kind.DEATH: {"date": "2024-03-15"},
    Finding.Kind.MOVED_OUT: {"date": "2024-03-15", "region": "440300"},
    Finding.Kind.INCOME_CHANGED: {
        "registry": "300.00",
        "recorded": None,
        "tolerance": "50.00",
        "income_type": "pension",
    },
    Finding.Kind.NO_AUTHORISATION: {"records": 2, "sources": ["deposits", "vehicles"]},
    Finding.Kind.NOT_ENROLLED: {
        "reference": "DG2024001",
        "per_capita_income": "800.00",
        "standard": "1300.00",
        "size": 3,
    },
    Finding.Kind.AMOUNT_DIFFERS: {"months_differing": 2},
}


def figures_section(page: str) -> str:
    import re

    section = page.split('data-testid="finding-figures"', 1)[1].split("</dl>", 1)[0]
    return re.sub(r"<[^>]+>", " ", section)


@pytest.mark.parametrize("kind", list(Finding.Kind))
def test_every_kinds_figures_show_in_chinese_without_keys_or_codes(
    kind, grant, worker_chashan, city_supervisor
):
    head, child = [m.person for m in grant.household.memberships.order_by("id")]
    figures = dict(FIGURES_OF_KIND.get(kind, {}))
    if kind == Finding.Kind.NO_AUTHORISATION:
        figures["people"] = [head.pk, child.pk]
    if kind == Finding.Kind.ENROLLED_TWICE:
        figures["grants"] = [grant.pk]
    item = finding(kind=kind, grant=grant, person=head, figures=figures)
    client = Client(headers={"accept-language": "zh-hans"})
    client.force_login(worker_chashan)
    response = client.get(f"/audit/findings/{item.pk}/")
    rows = response.context["figures"]
    assert len(rows) == len(figures)
    # Each figure has its label (a msgid the Chinese catalogue translates), never its key ...
    assert not [label for label, _value in rows if label in figures]
    # ... and its value as a reader knows it, never a code.
    values = " ".join(value for _label, value in rows)
    for code in ("pension", "deposits", "vehicles", "None"):
        assert code not in values, code
    if kind == Finding.Kind.INCOME_CHANGED:
        assert "养老金" in values
    if kind == Finding.Kind.NO_AUTHORISATION:
        assert "银行存款" in values and head.name in values and child.name in values


def test_another_towns_grant_is_named_by_town_and_scheme_only(grant, worker_dalang):
    """enrolled_twice in 大朗: the 茶山 grant covering the person too is shown as 茶山's dibao,
    without its number, which a 大朗 case worker cannot open."""
    later = approved_grant(town_slug="dalang", starts_month=MARCH)
    head = grant.household.memberships.order_by("id").first().person
    item = finding(
        kind=Finding.Kind.ENROLLED_TWICE,
        grant=later,
        person=head,
        figures={"grants": [grant.pk, later.pk]},
    )
    section = figures_section(
        client_for(worker_dalang).get(f"/audit/findings/{item.pk}/").content.decode()
    )
    assert f"#{later.pk} " in section
    assert f"#{grant.pk} " not in section
    assert grant.town.name in section and later.town.name in section
