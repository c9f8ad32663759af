"""Money is shown one way on every page and printed document (issue 10, item 13): two decimals
and thousands separators (203,260.00 元), through the one filter (relief.money.format_money,
the `money` and `yuan` template filters). With the demo data of `make run`, each demo role's
pages are walked as test_chinese_pages walks them; every amount written with its unit must be
in that form, no amount of 1,000 or more may appear without its separators, and the key pages
(household, application, grant, batch, reconciliation, payment run, recovery, back-pay,
printed roster and decision notice) show amounts of 1,000 or more in that form. A batch's
total agrees on the batch list, the batch's page, its reconciliation and its printed roster."""

import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation

from cases.models import Application, IncomeLine
from payments.bankfiles import batch_row_lines
from payments.models import Batch, Recovery
from tests.test_chinese_pages import NOT_PAGES, VisibleText, shape

pytestmark = pytest.mark.django_db

FORMATTED = re.compile(r"^-?\d{1,3}(?:,\d{3})*\.\d{2}$")
# An amount followed by its unit, as the pages write it.
WITH_UNIT = re.compile(r"(-?\d[\d,]*(?:\.\d+)?)\s*(?:元|yuan)")
# A number of 1,000 or more with two decimals and no separator: money shown raw (1600.00).
RAW = re.compile(r"(?<![\d,.\-:/])\d{4,}\.\d{2}(?![\d.])")
BIG = re.compile(r"(?<![\d,.])\d{1,3}(?:,\d{3})+\.\d{2}(?![\d])")
ROLES = ["worker-chashan", "supervisor", "finance"]
CHASHAN = "441900103"
MAX_PAGES = 60
KEY_PAGES = {
    "/cases/households/N/": "household",
    "/cases/applications/N/": "application",
    "/cases/grants/N/": "grant",
    "/payments/batches/N/": "batch",
    "/payments/batches/N/roster/": "printed roster",
    "/payments/batches/N/reconciliation/": "reconciliation",
    "/payments/runs/N/": "payment run",
    "/payments/recoveries/N/": "recovery",
    "/payments/backpays/N/": "back-pay",
}


def client_for(username: str) -> Client:
    client = Client(headers={"accept-language": "zh-CN,zh;q=0.9"})
    client.force_login(get_user_model().objects.get(username=username))
    return client


def visible(response) -> tuple[str, list[str]]:
    parser = VisibleText(admin=False)
    parser.feed(response.content.decode())
    return " ".join(parser.texts), parser.links


def money_problems(text: str) -> list[str]:
    problems = [m for m in WITH_UNIT.findall(text) if not FORMATTED.match(m)]
    return problems + RAW.findall(text)


def walk(client: Client, start: list[str]) -> dict[str, str]:
    """{url shape: the visible text of its first page} reached from `start`."""
    pages: dict[str, str] = {}
    queue = list(start)
    while queue and len(pages) < MAX_PAGES:
        url = queue.pop(0)
        if shape(url) in pages or NOT_PAGES.search(url) or url.startswith("/admin/"):
            continue
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response["Content-Type"]:
            pages[shape(url)] = ""
            continue
        text, links = visible(response)
        pages[shape(url)] = text
        queue.extend(link for link in links if link.startswith("/"))
    return pages


@pytest.fixture
def demo():
    """The data of `make run`, as tests/test_chinese_pages.py makes it."""
    with translation.override("zh-hans"):
        call_command("seed_demo", households=20, verbosity=0)
        call_command("seed_payments_demo", verbosity=0)


@pytest.fixture
def large_amounts(demo):
    """The demo's households are small: income lines and recoveries of 1,000 yuan or more,
    so that the household and recovery pages have a separator to show."""
    IncomeLine.objects.update(monthly_amount=Decimal("12345.67"))
    Recovery.objects.update(amount=Decimal("2468.00"), balance=Decimal("2468.00"))


def test_every_page_shows_money_one_way(large_amounts, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    problems, seen = {}, {}
    for username in ROLES:
        start = ["/", "/cases/applications/", "/cases/grants/", "/payments/", "/payments/runs/"]
        start += ["/payments/recoveries/", "/payments/backpays/"]
        for page, text in walk(client_for(username), start).items():
            if money_problems(text):
                problems[f"{username} {page}"] = money_problems(text)
            if BIG.search(text):
                seen.setdefault(page, text)
    assert problems == {}
    missing = [name for page, name in KEY_PAGES.items() if page not in seen]
    assert missing == []


def test_printed_notices_and_standard_changes_show_money_one_way(demo):
    client = client_for("supervisor")
    application = Application.objects.filter(approved_amount__isnull=False).first()
    Application.objects.filter(pk=application.pk).update(approved_amount=Decimal("1234.50"))
    decision = client.get(reverse("cases:application-decision-notice", args=[application.pk]))
    changes = client.get(reverse("cases:standard-change-list"))
    sheet = client.get(reverse("cases:notice-sheet-town", args=[CHASHAN]))

    for response in (decision, changes, sheet):
        assert response.status_code == 200
        assert money_problems(visible(response)[0]) == []
    assert "1,234.50" in visible(decision)[0]


def test_a_batch_total_agrees_on_the_list_the_page_and_the_roster(demo):
    client = client_for("finance")
    batch = max(Batch.objects.all(), key=lambda b: batch_lines(b).count())
    total = sum((line.amount for line in batch_lines(batch)), Decimal("0.00"))
    assert total >= 1000
    shown = f"{total:,.2f}"

    for url in (
        reverse("payments:batch-list"),
        reverse("payments:batch-detail", args=[batch.pk]),
        reverse("payments:batch-roster", args=[batch.pk]),
        reverse("payments:batch-reconciliation", args=[batch.pk]),
    ):
        text, _links = visible(client.get(url))
        assert shown in text, url


def batch_lines(batch):
    return batch_row_lines(batch)
