"""A deposits-over-limit finding worked in a real browser (issue 11): a 大朗 case worker finds it
on My work, opens it, reads the months and proposes to confirm it, ticking that they checked it;
the 大朗 town supervisor finds the proposal on Approvals and confirms it; the grant ends and the
recovery of the months paid waits in the supervisor's recovery queue. The pages are in Chinese
(the browser asks for zh-CN), so the test finds things by data-testid."""

import datetime
from decimal import Decimal

import pytest

from audit.models import Finding
from cases.models import Role
from payments.models import Recovery
from tests.audit.findings_factories import finding, month_rows, registry_record
from tests.factories import approved_grant, staff_user
from tests.payments.test_ledger import paid_line

# Transactional: the live server's thread must see committed rows (see test_household_browser).
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "relief-test-pw"
MARCH, APRIL, MAY = (datetime.date(2024, m, 1) for m in (3, 4, 5))


def log_in(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_test_id("login-submit").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def test_a_dalang_deposits_finding_confirmed_leads_to_a_recovery(new_context, tmp_path):
    worker = staff_user("worker-dalang", Role.CASE_WORKER, "dalang")
    staff_user("supervisor-dalang", Role.TOWN_SUPERVISOR, "dalang")
    grant = approved_grant(town_slug="dalang", starts_month=MARCH)
    for month in (MARCH, APRIL, MAY):
        paid_line(grant, month)
    head = grant.household.memberships.order_by("id").first().person
    record = registry_record(
        head,
        "deposits",
        MAY,
        institution="东莞银行",
        amount=Decimal("100000.00"),
        on_date=datetime.date(2024, 3, 10),
    )
    item = finding(
        kind=Finding.Kind.ASSETS_OVER_LIMIT,
        grant=grant,
        person=head,
        record=record,
        effective_month=MARCH,
        assignee=worker,
        months=month_rows(("2024-04", "0.00", "1600.00"), ("2024-05", "0.00", "1600.00")),
        figures={"assets": "100000.00", "limit": "62400.00"},
    )

    # The case worker finds it on My work and proposes to confirm it.
    page = new_context().new_page()
    log_in(page, "worker-dalang")
    page.goto("/cases/work/")
    page.get_by_test_id(f"my-finding-{item.pk}").locator("a").click()
    page.wait_for_url(f"**/audit/findings/{item.pk}/")
    assert "-3,200.00" in page.get_by_test_id("finding-difference").inner_text()
    assert "东莞银行" in page.get_by_test_id("finding-record").inner_text()
    page.get_by_test_id("action-confirm").locator("summary").click()
    page.check("#id_confirm-checked")
    page.get_by_test_id("action-confirm-submit").click()
    page.wait_for_load_state()
    assert "status-finding-proposed" in page.get_by_test_id("finding-state").get_attribute("class")
    page.screenshot(path=tmp_path / "proposed.png", full_page=True)
    page.context.close()

    # The 大朗 supervisor confirms it from Approvals.
    page = new_context().new_page()
    log_in(page, "supervisor-dalang")
    page.goto("/cases/work/approvals/")
    page.get_by_test_id(f"decide-finding-{item.pk}").locator("a").click()
    page.wait_for_url(f"**/audit/findings/{item.pk}/")
    page.get_by_test_id("action-approve").locator("summary").click()
    page.check("#id_approve-checked")
    page.get_by_test_id("action-approve-submit").click()
    page.wait_for_load_state()
    assert "status-finding-confirmed" in page.get_by_test_id("finding-state").get_attribute("class")
    recovery = Recovery.objects.get(grant=grant)
    assert (recovery.amount, recovery.state) == (Decimal("3200.00"), Recovery.State.PROPOSED)

    # The recovery waits in the supervisor's queue.
    page.get_by_test_id("outcome-recovery").click()
    page.wait_for_url(f"**/payments/recoveries/{recovery.pk}/")
    page.goto("/payments/recoveries/")
    assert page.get_by_test_id("showing-awaiting").count() == 1
    assert "3,200.00" in page.get_by_test_id(f"order-{recovery.pk}").inner_text()
    page.screenshot(path=tmp_path / "recovery.png", full_page=True)
