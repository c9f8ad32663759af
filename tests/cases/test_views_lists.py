"""Lists for a worker with hundreds of cases: sortable columns on the household, application
and grant lists (?sort= from an allow-list, a stable order, kept across pages and filters), a
search on the applications list, the household list's grant filters, "Applications" in the
navigation, and a fixed number of queries whatever the page size. And no ID number in any URL
a search produces: the search forms are POSTed and a term with digits is kept in the session."""

import datetime
import re
from decimal import Decimal
from html.parser import HTMLParser
from urllib.parse import unquote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.models import Grant, Membership
from tests.factories import (
    ApplicationFactory,
    approved_grant,
    household_with_members,
    scheme,
)

pytestmark = pytest.mark.django_db

HOUSEHOLDS = reverse("cases:household-list")
APPLICATIONS = reverse("cases:application-list")
GRANTS = reverse("cases:grant-list")
TODAY = timezone.localdate()


def named(household, name: str):
    head = household.memberships.get(relation=Membership.Relation.HEAD).person
    head.name = name
    head.save()
    return head


class Urls(HTMLParser):
    """Every URL a page holds: links, form actions, sources."""

    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "action", "src") and value:
                self.urls.append(unquote(value))


def urls_of(response) -> list[str]:
    parser = Urls()
    parser.feed(response.content.decode())
    return parser.urls


# --- sorting --------------------------------------------------------------------------------


def test_the_household_list_sorts_by_head_both_ways_and_falls_back_on_an_unknown_column(
    client, worker_chashan
):
    for name in ("张三", "李四", "王五"):
        named(household_with_members("chashan"), name)
    client.force_login(worker_chashan)

    def heads(sort):
        rows = client.get(HOUSEHOLDS, {"sort": sort}).context["rows"]
        return [head.name for _household, head in rows]

    assert heads("head") == sorted(["张三", "李四", "王五"])
    assert heads("-head") == sorted(["张三", "李四", "王五"], reverse=True)
    newest_first = heads("-id")
    assert heads("no-such-column") == newest_first
    assert heads("members);drop") == newest_first


def test_equal_values_keep_one_order_across_pages(client, worker_chashan):
    """Thirty households of one town sorted by town: page 1 and page 2 hold every household
    once, in the order of their ids."""
    ids = [household_with_members("chashan", size=1).pk for _ in range(30)]
    client.force_login(worker_chashan)

    first = client.get(HOUSEHOLDS, {"sort": "town"})
    second = client.get(HOUSEHOLDS, {"sort": "town", "page": 2})

    shown = [h.pk for h, _ in first.context["rows"]] + [h.pk for h, _ in second.context["rows"]]
    assert shown == sorted(ids)


def test_the_order_is_kept_across_pages_and_filters(client, worker_chashan):
    for _ in range(30):
        household_with_members("chashan", size=1)
    client.force_login(worker_chashan)

    response = client.get(HOUSEHOLDS, {"sort": "-members", "status": "active"})

    html = response.content.decode()
    assert "status=active&amp;sort=-members&amp;page=2" in html  # the pages keep both
    assert '<input type="hidden" name="sort" value="-members">' in html  # the filter form too
    # The header of the sorted column links to the other direction and keeps the filter.
    assert 'href="?status=active&amp;sort=members"' in html
    assert 'aria-sort="descending"' in html
    # Searching keeps the order (the form posts it, the redirect carries it).
    searched = client.post(HOUSEHOLDS, {"search": "张", "sort": "-members", "status": "active"})
    assert searched.status_code == 302
    assert "sort=-members" in searched["Location"] and "status=active" in searched["Location"]


def test_the_grant_list_sorts_by_this_months_amount(client, city_supervisor):
    amounts = [Decimal("900.00"), Decimal("1600.00"), Decimal("300.00")]
    for amount in amounts:
        approved_grant(amount=amount, starts_month=datetime.date(2024, 1, 1))
    client.force_login(city_supervisor)

    rows = client.get(GRANTS, {"sort": "-amount"}).context["rows"]

    assert [grant.confirmed_amount for grant, _head, _mark in rows] == sorted(amounts)[::-1]


def test_the_application_list_sorts_by_head(client, worker_chashan):
    for name in ("王五", "张三", "李四"):
        household = household_with_members("chashan")
        named(household, name)
        ApplicationFactory(household=household, scheme=scheme("dibao"))
    client.force_login(worker_chashan)

    rows = client.get(APPLICATIONS, {"sort": "head"}).context["rows"]

    assert [head for _application, head, _mark in rows] == sorted(["王五", "张三", "李四"])


# --- the applications list's search ---------------------------------------------------------


def test_applications_are_found_by_head_name_id_number_and_application_id(client, worker_chashan):
    households = [household_with_members("chashan") for _ in range(3)]
    named(households[0], "欧阳娜娜")
    applications = [
        ApplicationFactory(household=household, scheme=scheme("dibao")) for household in households
    ]
    child = households[1].memberships.get(relation="child").person
    client.force_login(worker_chashan)

    def found(term):
        response = client.post(APPLICATIONS, {"search": term}, follow=True)
        return {application.pk for application, _head, _mark in response.context["rows"]}

    assert found("欧阳") == {applications[0].pk}
    assert found(child.id_number) == {applications[1].pk}
    assert found(child.id_number[-6:]) == {applications[1].pk}
    assert found(f"#{applications[2].pk}") == {applications[2].pk}
    assert found("") == {a.pk for a in applications}


def test_a_child_s_name_does_not_find_the_application(client, worker_chashan):
    household = household_with_members("chashan")
    ApplicationFactory(household=household, scheme=scheme("dibao"))
    child = household.memberships.get(relation="child").person
    child.name = "欧阳娜娜"
    child.save()
    client.force_login(worker_chashan)

    response = client.post(APPLICATIONS, {"search": "欧阳"}, follow=True)

    assert response.context["rows"] == []


# --- the household list's grant filters -----------------------------------------------------


def test_households_are_filtered_by_scheme_grant_state_and_recheck(client, city_supervisor):
    dibao = approved_grant()
    tekun = approved_grant(scheme_code="tekun")
    ended = approved_grant()
    Grant.objects.filter(pk=ended.pk).update(state=Grant.State.TERMINATED)
    Grant.objects.filter(pk=dibao.pk).update(recheck_due_on=TODAY - datetime.timedelta(days=3))
    Grant.objects.filter(pk=tekun.pk).update(recheck_due_on=TODAY + datetime.timedelta(days=5))
    client.force_login(city_supervisor)

    def listed(**filters):
        rows = client.get(HOUSEHOLDS, filters).context["rows"]
        return {household.pk for household, _head in rows}

    assert listed(scheme="dibao") == {dibao.household_id}
    assert listed(scheme="tekun") == {tekun.household_id}
    assert listed(grant_state="terminated") == {ended.household_id}
    assert listed(recheck="overdue") == {dibao.household_id}
    assert listed(recheck="due_soon") == {tekun.household_id}
    assert listed(scheme="dibao", recheck="due_soon") == set()


# --- the navigation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "persona, shown",
    [
        ("worker_chashan", True),
        ("supervisor_chashan", True),
        ("city_supervisor", True),
        ("auditor", True),
        ("finance", False),
    ],
)
def test_applications_are_in_the_navigation_of_those_who_work_on_them(
    client, request, persona, shown
):
    client.force_login(request.getfixturevalue(persona))
    html = client.get(HOUSEHOLDS).content.decode()
    assert ('data-testid="nav-applications"' in html) is shown


# --- queries --------------------------------------------------------------------------------


def _queries(client, url, params) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(queries), len(response.context["rows"])


@pytest.mark.parametrize(
    "url, params",
    [
        (HOUSEHOLDS, {"sort": "head"}),
        (HOUSEHOLDS, {"sort": "-members", "scheme": "dibao", "recheck": "overdue"}),
        (HOUSEHOLDS, {"search": "户主", "sort": "village"}),
        (APPLICATIONS, {"sort": "head"}),
        (APPLICATIONS, {"sort": "-next_due", "search": "户主"}),
        (GRANTS, {"sort": "head"}),
        (GRANTS, {"sort": "-amount"}),
    ],
)
def test_sorted_filtered_and_searched_lists_run_a_fixed_number_of_queries(
    client, city_supervisor, url, params
):
    def add(count):
        for _ in range(count):
            grant = approved_grant()
            Grant.objects.filter(pk=grant.pk).update(recheck_due_on=datetime.date(2024, 1, 1))
            named(grant.household, "户主")

    client.force_login(city_supervisor)
    add(2)
    # A first request fills the process's caches (the working-day calendar is read once and
    # then only revalidated), so that both counts below are of the page alone.
    _queries(client, url, params)
    few, rows = _queries(client, url, params)
    add(8)
    many, more_rows = _queries(client, url, params)
    assert more_rows > rows
    assert many == few


# --- no ID number in a URL ------------------------------------------------------------------


@pytest.mark.parametrize("url", [HOUSEHOLDS, APPLICATIONS])
def test_no_id_number_is_in_any_url_a_search_produces(client, worker_chashan, url):
    households = []
    for _ in range(60):  # more than a page, so the page links are there too
        household = household_with_members("chashan")
        ApplicationFactory(household=household, scheme=scheme("dibao"))
        households.append(household)
    head = households[0].memberships.get(relation="head").person
    client.force_login(worker_chashan)

    for term in (head.id_number, head.id_number[-6:]):
        posted = client.post(url, {"search": term, "sort": "id"})
        assert posted.status_code == 302
        assert term not in unquote(posted["Location"])
        page = client.get(posted["Location"])
        assert page.status_code == 200
        assert len(page.context["rows"]) == 1  # found, through the session
        assert term in page.content.decode()  # shown in the search box, not in a URL
        assert not [link for link in urls_of(page) if term in link]
        # A link from elsewhere with the number in it is moved to a key at once.
        linked = client.get(url, {"search": term})
        assert linked.status_code == 302 and term not in unquote(linked["Location"])


def test_a_name_search_stays_readable_in_the_url(client, worker_chashan):
    named(household_with_members("chashan"), "欧阳娜娜")
    client.force_login(worker_chashan)

    posted = client.post(HOUSEHOLDS, {"search": "欧阳"})

    assert unquote(posted["Location"]) == f"{HOUSEHOLDS}?search=欧阳"
    assert len(client.get(HOUSEHOLDS, {"search": "欧阳"}).context["rows"]) == 1


def test_the_export_of_a_kept_search_exports_what_was_found(client, worker_chashan):
    households = [household_with_members("chashan") for _ in range(3)]
    head = households[1].memberships.get(relation="head").person
    client.force_login(worker_chashan)
    page = client.get(client.post(HOUSEHOLDS, {"search": head.id_number})["Location"])
    export = next(link for link in urls_of(page) if "export.csv" in link)

    response = client.get(export)

    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert re.findall(r"^(\d+),", body, re.MULTILINE) == [str(households[1].pk)]


def test_a_search_key_from_another_session_asks_to_search_again(client, worker_chashan):
    client.force_login(worker_chashan)

    response = client.get(HOUSEHOLDS, {"q": "not-a-key-of-this-session"})

    assert response.status_code == 200
    assert 'data-testid="search-expired"' in response.content.decode()
