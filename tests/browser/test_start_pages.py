"""Each role logs in through the login page and lands on its own start page, in a real browser:
the administrator on the configuration (/admin/), no longer on a 403."""

import re

import pytest

from cases.models import Role
from tests.factories import staff_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "relief-test-pw"

# (username, role, town, the start page's path, its heading in Simplified Chinese)
START_PAGES = [
    ("worker-chashan", Role.CASE_WORKER, "chashan", "/cases/work/", "我的待办"),
    ("supervisor-chashan", Role.TOWN_SUPERVISOR, "chashan", "/cases/work/approvals/", "待审批"),
    ("supervisor", Role.CITY_SUPERVISOR, None, "/cases/work/approvals/", "待审批"),
    ("finance", Role.FINANCE, None, "/payments/batches/", "发放批次"),
    ("auditor", Role.AUDITOR, None, "/cases/households/", "家庭"),
    ("provider", Role.REGISTRY_PROVIDER, None, "/audit/extracts/", "比对数据文件"),
]


def log_in_through_the_login_page(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_test_id("login-submit").click()


@pytest.mark.parametrize(("username", "role", "town", "path", "heading"), START_PAGES)
def test_each_role_logs_in_and_lands_on_its_start_page(page, username, role, town, path, heading):
    staff_user(username, role, *([town] if town else []))

    log_in_through_the_login_page(page, username)

    page.wait_for_url(re.compile(rf"{re.escape(path)}$"))
    assert page.locator("main h1").first.inner_text().startswith(heading)


def test_administrator_logs_in_and_lands_on_the_configuration(page):
    admin = staff_user("admin", Role.ADMINISTRATOR)
    admin.is_staff = admin.is_superuser = True
    admin.save()

    log_in_through_the_login_page(page, "admin")

    page.wait_for_url(re.compile(r"/admin/$"))
    assert page.locator("#site-name").inner_text() == "社会救助系统管理"
    assert page.locator("#content h1").first.inner_text() == "系统配置"
