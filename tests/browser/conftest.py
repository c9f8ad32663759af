"""Browser fixtures: Playwright driving Debian's Chromium against pytest-django's live server.

The machine (and CI) has no network, so Chromium is started with everything that would phone
home switched off. Without Chromium or Playwright the tests skip with a notice, and fail when
RELIEF_REQUIRE_FULL_SUITE=1 (CI).
"""

import os
import shutil

import pytest

from tests.conftest import skip_or_fail

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# A failing step should fail in seconds, not after Playwright's default 30 s.
TIMEOUT_MS = 10_000


def _chromium_path() -> str | None:
    if os.path.exists(CHROMIUM):
        return CHROMIUM
    return shutil.which("chromium")


@pytest.fixture(scope="module")
def playwright_instance():
    """One Playwright per browser-test module. Its sync API keeps an asyncio loop running in the main
    thread, so Django's async-safety check would refuse every ORM call (the tests' own and the
    database fixtures') while it lives: DJANGO_ALLOW_ASYNC_UNSAFE is set for exactly that long."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("Playwright cannot be imported: browser tests need `pip install playwright`")
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        yield playwright
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="module")
def browser(request):
    executable = _chromium_path()
    if executable is None:
        skip_or_fail("Chromium not installed: browser tests need Debian's chromium")
    playwright = request.getfixturevalue("playwright_instance")
    browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def new_context(browser, live_server):
    """Opens browser contexts (fresh cookies) on the live server; all are closed afterwards.
    By default the browser asks for Chinese, as the case workers' browsers in Dongguan do."""
    contexts = []

    def open_context(locale: str = "zh-CN"):
        context = browser.new_context(
            base_url=live_server.url,
            locale=locale,
            timezone_id="Asia/Shanghai",
            viewport={"width": 1280, "height": 900},
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context

    yield open_context
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context):
    return new_context().new_page()
