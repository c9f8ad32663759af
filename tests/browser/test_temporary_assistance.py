"""Temporary assistance in a real browser: a case worker in 茶山 creates an application
for a prepared household on its page, submits it and accepts it; the town supervisor then finds
it in the approval queue with its due date, next to an older application whose clock is overdue,
opens it and approves it; the page shows it approved, with its grant. The pages are in Chinese
(the browser asks for zh-CN), so the test finds things by data-testid and field ids."""

import re
from decimal import Decimal

import pytest
from django.utils import timezone

from cases.models import Application, Clock, Grant, Membership, Role
from cases.workflow import services
from tests.factories import DIBAO_DAYS, complete_household, scheme, staff_user

# Transactional: the live server's thread must see committed rows (see test_household_browser).
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "relief-test-pw"
DETAIL_URL = re.compile(r"/cases/applications/(\d+)/$")


def log_in(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_test_id("login-submit").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)  # the role's start page


def log_out(page) -> None:
    page.get_by_test_id("logout").click()
    page.wait_for_load_state()


def overdue_application(worker) -> Application:
    """An older application accepted on 2024-02-05: its approval clock was due on 2024-02-22."""
    application = services.application_create(
        actor=worker,
        household=complete_household(income=None),
        scheme=scheme("temp_emergency"),
        proposed_amount=Decimal("1200.00"),
        amount_basis="House fire",
    )
    services.application_submit(
        actor=worker, application=application, today=DIBAO_DAYS["submitted"]
    )
    services.application_accept(
        actor=worker,
        application=application,
        received_on=DIBAO_DAYS["received"],
        today=DIBAO_DAYS["accepted"],
    )
    return application


def test_worker_submits_and_accepts_then_the_supervisor_approves_from_the_queue(
    new_context, tmp_path
):
    worker = staff_user("worker-chashan", Role.CASE_WORKER, "chashan")
    staff_user("supervisor-chashan", Role.TOWN_SUPERVISOR, "chashan")
    household = complete_household(income=None, size=3)
    head = household.memberships.get(relation=Membership.Relation.HEAD).person
    head.name = "陈美玲"
    head.save()
    older = overdue_application(worker)
    today = timezone.localdate()

    # The case worker creates the application from the household's page.
    page = new_context().new_page()
    log_in(page, "worker-chashan")
    page.goto(f"/cases/households/{household.pk}/")
    page.get_by_test_id("new-application").click()
    page.wait_for_url(f"**/cases/households/{household.pk}/applications/new/")
    assert "8,100.00" in page.content()  # the band is shown next to the amount
    page.select_option("#id_scheme", str(scheme("temp_expenditure").pk))
    page.select_option("#id_procedure", "general")
    page.fill("#id_proposed_amount", "3000.00")
    page.fill("#id_amount_basis", "住院医疗费用 20,000 元")
    page.fill("#id_instalments", "1")
    page.get_by_test_id("form-submit").click()
    page.wait_for_url(DETAIL_URL)
    application = Application.objects.get(pk=int(DETAIL_URL.search(page.url).group(1)))
    assert application.household == household
    assert application.state == Application.State.DRAFT
    assert application.created_by == worker

    # Submit: the file is complete (members authorised, amount within the band).
    page.get_by_test_id("step-submit-submit").click()
    page.wait_for_load_state()
    page.get_by_test_id("step-accept").wait_for()
    application.refresh_from_db()
    assert application.state == Application.State.SUBMITTED

    # Accept with the day the complete file was received: the approval clock starts.
    page.get_by_test_id("step-accept").locator("summary").click()
    page.fill("#id_accept-received_on", today.isoformat())
    page.get_by_test_id("step-accept-submit").click()
    page.get_by_test_id("clock-approval").wait_for()
    application.refresh_from_db()
    assert application.state == Application.State.ACCEPTED
    assert application.received_on == today
    due_on = application.clocks.get(kind=Clock.Kind.APPROVAL).due_on
    assert page.get_by_test_id("accepted-on").inner_text() == application.accepted_on.isoformat()
    assert due_on.isoformat() in page.get_by_test_id("clock-approval").inner_text()
    page.screenshot(path=tmp_path / "accepted.png", full_page=True)
    log_out(page)

    # The town supervisor sees both in the approval queue, with due dates and the overdue mark.
    log_in(page, "supervisor-chashan")
    page.get_by_test_id("nav-approvals").click()
    page.wait_for_url("**/cases/work/approvals/")
    queue = page.get_by_test_id("approval-queue")
    rows = queue.locator("tbody tr")
    assert rows.count() == 2
    # Soonest due first: the overdue application, then the new one.
    assert rows.nth(0).get_attribute("data-testid") == f"approval-{older.pk}"
    assert rows.nth(1).get_attribute("data-testid") == f"approval-{application.pk}"
    late_row = page.get_by_test_id(f"approval-{older.pk}")
    assert "2024-02-22" in late_row.get_by_test_id("due-on").inner_text()
    assert late_row.get_by_test_id("mark-overdue").is_visible()
    assert "row-overdue" in late_row.get_attribute("class")
    new_row = page.get_by_test_id(f"approval-{application.pk}")
    assert new_row.get_by_test_id("due-on").inner_text() == due_on.isoformat()
    assert "陈美玲" in new_row.inner_text()
    page.screenshot(path=tmp_path / "approval-queue.png", full_page=True)

    # It opens the new application and approves it.
    new_row.locator(f"a[href='/cases/applications/{application.pk}/']").click()
    page.wait_for_url(f"**/cases/applications/{application.pk}/")
    page.get_by_test_id("step-approve").locator("summary").click()
    page.fill("#id_approve-reasons", "医疗票据已核实")
    page.get_by_test_id("step-approve-submit").click()
    page.get_by_test_id("grant").wait_for()

    application.refresh_from_db()
    assert application.state == Application.State.APPROVED
    assert application.decided_by.username == "supervisor-chashan"
    grant = Grant.objects.get(application=application)
    assert grant.approved_amount == Decimal("3000.00")
    assert page.get_by_test_id("approved-amount").inner_text() == "3,000.00"
    assert f"#{grant.pk}" in page.get_by_test_id("grant").inner_text()
    assert "3,000.00" in page.get_by_test_id("grant-schedule").inner_text()
    assert "status-app-approved" in page.get_by_test_id("application-state").get_attribute("class")
    assert page.get_by_test_id("steps").count() == 0  # nothing left to decide
    page.screenshot(path=tmp_path / "approved.png", full_page=True)

    # The approved application has left the queue.
    page.get_by_test_id("nav-approvals").click()
    page.wait_for_url("**/cases/work/approvals/")
    assert page.get_by_test_id(f"approval-{application.pk}").count() == 0
