"""The Content-Security-Policy in a real browser: the API docs render on an intranet (every
request to another host is blocked and none is even tried), and the key pages of every role
work under the policy with no violation reported."""

import re

import pytest

from cases.models import Role
from tests.factories import dibao_application, staff_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "relief-test-pw"
LOCAL_HOSTS = {"localhost", "127.0.0.1"}

# Collects the document's CSP violations; Playwright adds it before any script of the page runs.
LISTEN_FOR_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__cspViolations.push(
    event.violatedDirective + " blocked " + (event.blockedURI || "inline") +
    " at " + event.documentURI + ":" + event.lineNumber
  );
});
"""


def log_in(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_test_id("login-submit").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def log_out(page) -> None:
    page.context.clear_cookies()


def intranet_context(new_context):
    """A browser context that can reach only this machine, and records what it was refused."""
    context = new_context()
    refused: list[str] = []

    def only_localhost(route):
        host = re.match(r"^[a-z-]+://([^/:]+)", route.request.url)
        if host and host.group(1) in LOCAL_HOSTS:
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    context.route("**/*", only_localhost)
    return context, refused


class Watch:
    """Every CSP violation a page reports: the securitypolicyviolation events of each document
    and Chromium's console messages about the policy."""

    def __init__(self, context):
        self.context = context
        self.console: list[str] = []
        self.events: list[str] = []
        context.add_init_script(LISTEN_FOR_VIOLATIONS)

    def page(self):
        page = self.context.new_page()
        page.on(
            "console",
            lambda message: (
                self.console.append(message.text)
                if "Content Security Policy" in message.text
                else None
            ),
        )
        return page

    def visit(self, page, path: str):
        response = page.goto(path)
        assert response is not None and response.status == 200, (
            f"{path}: {response and response.status}"
        )
        policy = response.headers.get("content-security-policy", "")
        assert "default-src 'self'" in policy, f"{path} has no CSP: {policy!r}"
        self.collect(page)
        return response

    def collect(self, page):
        page.wait_for_load_state("load")
        page.wait_for_timeout(50)  # violation events are dispatched as tasks after parsing
        self.events += page.evaluate("window.__cspViolations || []")

    def violations(self) -> list[str]:
        return self.events + self.console


def test_api_docs_render_offline_from_the_apps_own_files(new_context):
    staff_user("worker-chashan", Role.CASE_WORKER, "chashan")
    context, refused = intranet_context(new_context)
    watch = Watch(context)
    page = watch.page()

    log_in(page, "worker-chashan")
    watch.visit(page, "/api/docs/")
    # Swagger UI draws only the operations near the viewport: the first tag's at once, the
    # others as the page scrolls down to them.
    page.locator(".opblock").nth(9).wait_for()
    assert page.locator(".opblock-summary-path", has_text="/api/v1/applications/").count() >= 1
    revoke = page.locator(".opblock-summary", has_text="/api/v1/auth/token/revoke/")
    for _ in range(200):  # a bounded scroll through some 130 operations
        if revoke.count():
            break
        page.mouse.wheel(0, 1500)
        page.wait_for_timeout(50)
    assert revoke.count() == 1
    # Open one operation: Swagger UI's own rendering works under the policy too.
    revoke.click()
    page.locator(".opblock-body").first.wait_for()
    watch.collect(page)
    assert refused == []  # nothing was even tried outside this machine
    assert watch.violations() == []


def test_key_pages_work_under_the_policy_with_no_violation(new_context):
    worker = staff_user("worker-chashan", Role.CASE_WORKER, "chashan")
    supervisor = staff_user("supervisor-chashan", Role.TOWN_SUPERVISOR, "chashan")
    staff_user("supervisor", Role.CITY_SUPERVISOR)
    staff_user("finance", Role.FINANCE)
    staff_user("auditor", Role.AUDITOR)
    admin = staff_user("admin", Role.ADMINISTRATOR)
    admin.is_staff = admin.is_superuser = True
    admin.save()
    application = dibao_application(worker=worker, supervisor=supervisor, until="accepted")
    household = application.household
    context, refused = intranet_context(new_context)
    watch = Watch(context)
    page = watch.page()

    watch.visit(page, "/accounts/login/")
    watch.visit(page, "/public/notices/")

    log_in(page, "worker-chashan")
    for path in (
        "/cases/work/",
        "/cases/households/",
        f"/cases/households/{household.pk}/",
        f"/cases/applications/{application.pk}/",
        "/cases/imports/",
        "/cases/grants/",
        "/cases/inbox/",
    ):
        watch.visit(page, path)
    # The new-household page's script (static/js/household-form.js) adds a member row.
    watch.visit(page, "/cases/households/new/")
    assert page.get_by_test_id("member-row").count() == 1
    page.get_by_test_id("add-member").click()
    assert page.get_by_test_id("member-row").count() == 2
    watch.collect(page)
    # A printable sheet with its Print button (static/js/print.js).
    watch.visit(page, f"/cases/applications/{application.pk}/print/acceptance/")
    assert page.get_by_test_id("print").get_attribute("data-action") == "print"
    log_out(page)

    log_in(page, "supervisor-chashan")
    for path in ("/cases/work/approvals/", "/cases/work/dashboard/"):
        watch.visit(page, path)
    # The dashboard's bars have their widths from the stylesheet, not from style attributes.
    bar = page.locator("[data-testid=bar-chashan] .bar-open")
    assert bar.evaluate("element => getComputedStyle(element).width") != "auto"
    assert bar.evaluate("element => element.getBoundingClientRect().width") > 100
    log_out(page)

    log_in(page, "finance")
    for path in ("/payments/batches/", "/payments/runs/"):
        watch.visit(page, path)
    log_out(page)

    log_in(page, "auditor")
    watch.visit(page, f"/cases/households/{household.pk}/history/")
    log_out(page)

    log_in(page, "admin")
    for path in (
        "/admin/",
        "/admin/auth/user/",
        f"/admin/auth/user/{worker.pk}/change/",
        "/admin/relief/calendarday/add/",
        "/admin/relief/apitoken/",
    ):
        watch.visit(page, path)

    assert refused == []
    assert watch.violations() == []
