"""The live progress of a monthly check in a real browser (static/js/towns-progress.js, which
the payment run page shares): while the run goes, the page fills in the towns done, the
households checked and the new findings from the progress endpoint, and reloads itself with
the result once the run has finished."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from audit import check
from audit.models import CheckRun
from cases.models import Role
from tests.factories import staff_user

# Transactional: the live server's thread must see committed rows (see test_household_browser).
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "relief-test-pw"
PERIOD = datetime.date(2024, 6, 1)


def test_a_running_check_shows_its_progress_and_then_its_result(new_context):
    staff_user("city-supervisor", Role.CITY_SUPERVISOR)
    run = check.start_check(period=PERIOD, from_month=PERIOD)
    page = new_context().new_page()
    page.goto("/accounts/login/")
    page.fill("#id_username", "city-supervisor")
    page.fill("#id_password", PASSWORD)
    page.get_by_test_id("login-submit").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    page.goto(f"/audit/checks/{run.pk}/")
    assert page.get_by_test_id("check-households").inner_text() == "0"

    # Two towns done: the page shows their figures without a reload.
    first, second, *rest = run.towns.order_by("pk")
    for part, households in ((first, 120), (second, 80)):
        part.state, part.households_checked, part.new_findings = CheckRun.State.DONE, households, 2
        part.save()
    expect(page.get_by_test_id("check-households")).to_have_text("200")
    expect(page.get_by_test_id("check-new-findings")).to_have_text("4")
    expect(page.locator("#check-towns")).to_have_text(f"2 / {len(rest) + 2}")
    expect(page.get_by_test_id("check-progress")).to_have_js_property("value", 2)

    # Finished: the page reloads itself and stops polling.
    run.towns.update(state=CheckRun.State.DONE)
    CheckRun.objects.filter(pk=run.pk).update(state=CheckRun.State.DONE, finished_at=timezone.now())
    expect(page.locator("script[src*=towns-progress]")).to_have_count(0)
    expect(page.get_by_test_id("check-households")).to_have_text("200")
