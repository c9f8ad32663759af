"""Temporary assistance for a household registered today, in a real browser: a case worker in
茶山 registers a household of two through the new-household form (its members join today, the
form's default), creates a temporary-assistance application on its page (the page previews the
calculation), submits it, is told that the members have no authorisation and follows the link
to the form that records one, records both, submits again and accepts it; the town supervisor
approves it the same day. The approval calculates on the day of the decision, when the members
are members, not on the first of the month when they were not yet. The pages are in Chinese
(the browser asks for zh-CN), so the test finds things by data-testid and field ids."""

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from cases.models import (
    Application,
    Authorisation,
    Grant,
    Household,
    Membership,
    Person,
    Role,
)
from tests.factories import make_id_number, scheme, staff_user

# Transactional: the live server's thread must see committed rows (see test_household_browser).
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "relief-test-pw"
HOUSEHOLD_URL = re.compile(r"/cases/households/(\d+)/$")
APPLICATION_URL = re.compile(r"/cases/applications/(\d+)/$")
MEMBERS = (
    ("黄志强", make_id_number(611, datetime.date(1979, 4, 2)), "head"),
    ("黄小雨", make_id_number(612, datetime.date(2010, 8, 9)), "child"),
)


def log_in(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_test_id("login-submit").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)  # the role's start page


def log_out(page) -> None:
    page.get_by_test_id("logout").click()
    page.wait_for_load_state()


def register_household(page) -> Household:
    page.goto("/cases/households/new/")
    page.fill("#id_address", "茶山镇超朗村三巷6号")
    today = timezone.localdate().isoformat()
    assert page.locator("#id_members-0-joined_on").input_value() == today
    page.get_by_test_id("add-member").click()
    for index, (name, number, relation) in enumerate(MEMBERS):
        page.fill(f"#id_members-{index}-name", name)
        page.fill(f"#id_members-{index}-id_number", number)
        page.select_option(f"#id_members-{index}-relation", relation)
    page.get_by_test_id("household-submit").click()
    page.wait_for_url(HOUSEHOLD_URL)
    return Household.objects.get(pk=int(HOUSEHOLD_URL.search(page.url).group(1)))


def record_authorisation(page, application_url: str, name: str) -> None:
    """From the application's page, through its link, the authorisation of one member."""
    page.goto(application_url)
    page.get_by_test_id("record-authorisation").click()
    page.wait_for_url("**/authorisations/add/")
    person = Person.objects.get(name=name)
    page.select_option("#id_person", str(person.pk))
    page.fill("#id_signer_name", name)
    page.fill("#id_signed_on", timezone.localdate().isoformat())
    page.select_option("#id_scope", "all")
    page.get_by_test_id("form-submit").click()
    page.wait_for_url(HOUSEHOLD_URL)


def test_temporary_assistance_for_a_household_registered_today_is_approved_today(
    new_context, tmp_path
):
    staff_user("worker-chashan", Role.CASE_WORKER, "chashan")
    supervisor = staff_user("supervisor-chashan", Role.TOWN_SUPERVISOR, "chashan")
    today = timezone.localdate()

    page = new_context().new_page()
    log_in(page, "worker-chashan")
    household = register_household(page)
    assert set(household.memberships.values_list("joined_on", flat=True)) == {today}

    # A temporary-assistance application from the household's page.
    page.get_by_test_id("new-application").click()
    page.wait_for_url(f"**/cases/households/{household.pk}/applications/new/")
    page.select_option("#id_scheme", str(scheme("temp_emergency").pk))
    page.select_option("#id_procedure", "general")
    page.fill("#id_proposed_amount", "2500.00")
    page.fill("#id_amount_basis", "住房失火，生活用品全部烧毁")
    page.fill("#id_instalments", "1")
    page.get_by_test_id("form-submit").click()
    page.wait_for_url(APPLICATION_URL)
    application_url = page.url
    application = Application.objects.get(pk=int(APPLICATION_URL.search(page.url).group(1)))
    # The page previews the calculation as it would be made today: two members today.
    preview = page.get_by_test_id("calculation-preview")
    assert preview.is_visible()
    assert preview.get_by_test_id("check-failed").count() == 0

    # Submitting is refused for want of authorisations; the page links to their form.
    page.get_by_test_id("step-submit-submit").click()
    page.get_by_test_id("authorisations-missing").wait_for()
    application.refresh_from_db()
    assert application.state == Application.State.DRAFT
    for name, _number, _relation in MEMBERS:
        record_authorisation(page, application_url, name)
    assert Authorisation.objects.filter(household=household).count() == 2

    # Submitted, then accepted on the day the complete file was received.
    page.goto(application_url)
    page.get_by_test_id("step-submit-submit").click()
    page.get_by_test_id("step-accept").wait_for()
    page.get_by_test_id("step-accept").locator("summary").click()
    page.fill("#id_accept-received_on", today.isoformat())
    page.get_by_test_id("step-accept-submit").click()
    page.get_by_test_id("clock-approval").wait_for()
    application.refresh_from_db()
    assert application.state == Application.State.ACCEPTED
    page.screenshot(path=tmp_path / "accepted.png", full_page=True)
    log_out(page)

    # The town supervisor approves it the same day.
    log_in(page, "supervisor-chashan")
    page.goto(application_url)
    page.get_by_test_id("step-approve").locator("summary").click()
    page.fill("#id_approve-reasons", "火灾情况已入户核实")
    page.get_by_test_id("step-approve-submit").click()
    page.get_by_test_id("grant").wait_for()
    page.screenshot(path=tmp_path / "approved.png", full_page=True)

    application.refresh_from_db()
    assert (application.state, application.decided_by) == (Application.State.APPROVED, supervisor)
    assert application.calculation["as_of"] == today.isoformat()
    assert application.calculation["members"] == len(MEMBERS)
    assert Grant.objects.get(application=application).approved_amount == Decimal("2500.00")
    assert page.get_by_test_id("error-summary").count() == 0
    assert Membership.objects.filter(household=household, left_on__isnull=True).count() == 2
