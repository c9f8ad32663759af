"""The registry in a real browser: a case worker in 茶山 logs
in, registers a household of two through the new-household form (the second member row is
added by the page's JavaScript), finds it by the last four characters of a member's ID number,
opens it, and cannot see a household of 大朗 in the list, in a search, or at its address.
And the pages are in Simplified Chinese by default and in English once switched."""

import datetime
import re

import pytest

from cases.models import Household, Membership, Role, Town
from tests.factories import household_with_members, make_id_number, staff_user

# Transactional: the live server / worker thread must see committed rows. The towns and income
# types that a flush removes are put back by tests/conftest.py's _reference_data fixture.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

PASSWORD = "relief-test-pw"
HEAD_NAME = "陈美玲"
CHILD_NAME = "陈小明"
HEAD_ID = make_id_number(907, datetime.date(1978, 3, 15))
CHILD_ID = make_id_number(908, datetime.date(2006, 9, 1))
ADDRESS = "茶山镇南社村十二巷8号"
DETAIL_URL = re.compile(r"/cases/households/(\d+)/$")


def log_in(page, username: str) -> None:
    page.goto("/cases/households/")
    page.wait_for_url("**/accounts/login/**")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_test_id("login-submit").click()
    page.wait_for_url("**/cases/households/")


def search(page, term: str):
    page.get_by_test_id("household-search").fill(term)
    with page.expect_navigation():
        page.get_by_test_id("search-submit").click()
    # The form is POSTed and the list answers at ?q=<key>: ID characters are in no address.
    assert re.search(r"/cases/households/\?q=", page.url) and term not in page.url
    return page.get_by_test_id("household-results")


def result_rows(results):
    """The list's household rows (the "no households match" row has no household link)."""
    return results.locator("tbody tr").filter(has=results.page.locator("a[href*='/households/']"))


def test_case_worker_registers_finds_and_opens_own_household_but_not_another_towns(page, tmp_path):
    chashan = Town.objects.get(slug="chashan")
    assert chashan.code == "441900103"
    assert Town.objects.filter(slug="dalang").exists()
    staff_user("worker-chashan", Role.CASE_WORKER, "chashan")
    dalang = household_with_members("dalang", size=2)
    dalang_tails = {
        number[-4:] for number in dalang.memberships.values_list("person__id_number", flat=True)
    }
    assert CHILD_ID[-4:] not in dalang_tails  # else the search below would prove nothing

    log_in(page, "worker-chashan")
    dalang_link = f"a[href='/cases/households/{dalang.pk}/']"
    assert page.locator(dalang_link).count() == 0

    # Register the household: one member row is there, the button adds the second.
    page.get_by_test_id("new-household").click()
    page.wait_for_url("**/cases/households/new/")
    assert page.locator("#id_town").input_value() == str(chashan.pk)
    page.fill("#id_address", ADDRESS)
    assert page.get_by_test_id("member-row").count() == 1
    assert page.locator("#id_members-0-relation").input_value() == Membership.Relation.HEAD
    page.fill("#id_members-0-name", HEAD_NAME)
    page.fill("#id_members-0-id_number", HEAD_ID)
    page.get_by_test_id("add-member").click()
    assert page.get_by_test_id("member-row").count() == 2
    assert page.locator("#id_members-TOTAL_FORMS").input_value() == "2"
    page.fill("#id_members-1-name", CHILD_NAME)
    page.fill("#id_members-1-id_number", CHILD_ID)
    page.select_option("#id_members-1-relation", Membership.Relation.CHILD)
    page.get_by_test_id("household-submit").click()
    page.wait_for_url(DETAIL_URL)

    household_pk = int(DETAIL_URL.search(page.url).group(1))
    household = Household.objects.get(pk=household_pk)
    assert household.town == chashan
    assert household.address == ADDRESS
    assert sorted(
        household.memberships.filter(left_on__isnull=True).values_list(
            "person__id_number", "relation"
        )
    ) == sorted([(HEAD_ID, "head"), (CHILD_ID, "child")])

    # Find it by the last four characters of the child's ID number, and open it.
    page.goto("/cases/households/")
    results = search(page, CHILD_ID[-4:])
    rows = result_rows(results)
    assert rows.count() == 1
    assert HEAD_NAME in rows.first.inner_text()
    assert "茶山" in rows.first.inner_text()
    rows.first.locator(f"a[href='/cases/households/{household_pk}/']").first.click()
    page.wait_for_url(f"**/cases/households/{household_pk}/")
    members = page.get_by_test_id("current-members")
    members_text = members.inner_text()
    assert HEAD_NAME in members_text and CHILD_NAME in members_text
    assert f"441900********{CHILD_ID[-4:]}" in members_text
    assert CHILD_ID not in page.content()  # ID numbers are shown masked
    assert "茶山" in page.locator("main").inner_text()
    page.screenshot(path=tmp_path / "household-detail.png", full_page=True)

    # The 大朗 household is in neither the list nor a search, and its page does not exist.
    page.goto("/cases/households/")
    assert result_rows(page.get_by_test_id("household-results")).count() == 1
    assert page.locator(dalang_link).count() == 0
    for tail in sorted(dalang_tails):
        assert result_rows(search(page, tail)).count() == 0
    response = page.goto(f"/cases/households/{dalang.pk}/")
    assert response.status == 404
    assert dalang.address not in page.content()


@pytest.mark.parametrize("browser_locale", ["zh-CN", "de-DE"])
def test_pages_are_in_simplified_chinese_by_default_and_in_english_after_switching(
    new_context, browser_locale
):
    """zh-CN: a Dongguan browser; de-DE: a language Relief does not offer, so the default."""
    staff_user("worker-chashan", Role.CASE_WORKER, "chashan")
    page = new_context(locale=browser_locale).new_page()
    log_in(page, "worker-chashan")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.get_by_test_id("language-select").input_value() == "zh-hans"

    page.get_by_test_id("language-select").select_option("en")
    page.locator("form:has([data-testid='language-select']) button[type='submit']").click()
    page.wait_for_function("document.documentElement.lang === 'en'")
    assert page.url.endswith("/cases/households/")  # back on the page it was switched on
    assert page.get_by_test_id("language-select").input_value() == "en"
    assert page.get_by_test_id("new-household").inner_text() == "New household"

    # The choice stays for the next page.
    page.get_by_test_id("new-household").click()
    page.wait_for_url("**/cases/households/new/")
    assert page.locator("html").get_attribute("lang") == "en"
