"""Registry pages: who sees what (every persona against every page), the list, its search and
its constant query count, and the login pages. Shared fixtures for tests/cases/test_views_*.py
live here too."""

import datetime
from types import SimpleNamespace

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.models import Document, Membership
from relief.models import AuditEvent
from tests.factories import (
    HouseholdFactory,
    MembershipFactory,
    PersonFactory,
    household_with_members,
    make_id_number,
    town,
)

PDF = b"%PDF-1.4\n%test document\n"
PERSONAS = [
    "worker_chashan",
    "supervisor_chashan",
    "worker_dalang",
    "city_supervisor",
    "finance",
    "auditor",
    "administrator",
]
# persona -> (sees 茶山, sees 大朗), as in DOMAIN.md §2; the administrator sees no case data.
VISIBILITY = {
    "worker_chashan": (True, False),
    "supervisor_chashan": (True, False),
    "worker_dalang": (False, True),
    "city_supervisor": (True, True),
    "finance": (True, True),
    "auditor": (True, True),
    "administrator": (False, False),
}
EDITORS = {"worker_chashan", "supervisor_chashan", "worker_dalang", "city_supervisor"}
REVEALERS = EDITORS | {"auditor"}


def _document(household, person, uploader, title):
    document = Document(
        household=household,
        person=person,
        title=title,
        kind=Document.Kind.ID_CARD,
        content_type="application/pdf",
        size=len(PDF),
        sha256="0" * 64,
        uploaded_by=uploader,
    )
    document.file.save("card.pdf", ContentFile(PDF), save=False)
    document.save()
    return document


def _home(slug, address, head_name, head_seq, birth):
    household = HouseholdFactory(town=town(slug), address=address)
    head = PersonFactory(name=head_name, id_number=make_id_number(head_seq, birth))
    MembershipFactory(household=household, person=head, relation=Membership.Relation.HEAD)
    spouse = PersonFactory()
    MembershipFactory(household=household, person=spouse, relation=Membership.Relation.SPOUSE)
    return household, head


def build_registry(user_model) -> SimpleNamespace:
    """One household in 茶山 and one in 大朗, each with a named head and a document."""
    uploader = user_model.objects.create_user("uploader")
    chashan, chashan_head = _home(
        "chashan", "茶山镇南社村1号", "李南社", 101, datetime.date(1975, 3, 4)
    )
    dalang, dalang_head = _home(
        "dalang", "大朗镇水口村9号", "王水口", 202, datetime.date(1968, 8, 9)
    )
    return SimpleNamespace(
        chashan=chashan,
        chashan_head=chashan_head,
        chashan_document=_document(chashan, chashan_head, uploader, "茶山身份证"),
        dalang=dalang,
        dalang_head=dalang_head,
        dalang_document=_document(dalang, dalang_head, uploader, "大朗身份证"),
    )


@pytest.fixture
def registry(db, django_user_model):
    return build_registry(django_user_model)


def detail_url(household):
    return reverse("cases:household-detail", args=[household.pk])


def login(client, request, persona):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    return user


LIST = reverse("cases:household-list")


# --- The scoping matrix: every persona against every page --------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_list_shows_only_households_in_scope(client, request, registry, persona):
    login(client, request, persona)
    response = client.get(LIST)
    sees_chashan, sees_dalang = VISIBILITY[persona]
    if persona == "administrator":
        assert response.status_code == 403
        return
    assert response.status_code == 200
    content = response.content.decode()
    assert (detail_url(registry.chashan) in content) is sees_chashan
    assert (detail_url(registry.dalang) in content) is sees_dalang


@pytest.mark.parametrize("how", ["name", "full_id", "last4", "last6"])
@pytest.mark.parametrize("persona", PERSONAS)
def test_search_finds_only_households_in_scope(client, request, registry, persona, how):
    login(client, request, persona)
    sees_chashan, sees_dalang = VISIBILITY[persona]
    for household, head, visible in (
        (registry.chashan, registry.chashan_head, sees_chashan),
        (registry.dalang, registry.dalang_head, sees_dalang),
    ):
        term = {
            "name": head.name[:2],
            "full_id": head.id_number,
            "last4": head.id_number[-4:],
            "last6": head.id_number[-6:],
        }[how]
        # Searched as the page's form searches: POSTed, then the list it redirects to.
        response = client.post(LIST, {"search": term}, follow=True)
        if persona == "administrator":
            assert response.status_code == 403
            continue
        content = response.content.decode()
        assert (detail_url(household) in content) is visible
        other = registry.dalang if household == registry.chashan else registry.chashan
        assert detail_url(other) not in content


@pytest.mark.parametrize("page", ["detail", "history"])
@pytest.mark.parametrize("persona", PERSONAS)
def test_household_pages_are_404_outside_scope(client, request, registry, persona, page):
    login(client, request, persona)
    name = {"detail": "cases:household-detail", "history": "cases:household-history"}[page]
    sees_chashan, sees_dalang = VISIBILITY[persona]
    for household, visible in ((registry.chashan, sees_chashan), (registry.dalang, sees_dalang)):
        response = client.get(reverse(name, args=[household.pk]))
        if persona == "administrator":
            assert response.status_code == 403
        else:
            assert response.status_code == (200 if visible else 404)


@pytest.mark.parametrize("persona", PERSONAS)
def test_export_contains_only_households_in_scope(client, request, registry, persona):
    login(client, request, persona)
    response = client.get(reverse("cases:household-export"))
    if persona == "administrator":
        assert response.status_code == 403
        assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()
        return
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    sees_chashan, sees_dalang = VISIBILITY[persona]
    assert (registry.chashan_head.masked_id in text) is sees_chashan
    assert (registry.dalang_head.masked_id in text) is sees_dalang


@pytest.mark.parametrize("persona", PERSONAS)
def test_document_download_is_404_outside_scope(client, request, registry, persona):
    login(client, request, persona)
    sees_chashan, sees_dalang = VISIBILITY[persona]
    for document, visible in (
        (registry.chashan_document, sees_chashan),
        (registry.dalang_document, sees_dalang),
    ):
        response = client.get(reverse("cases:document-download", args=[document.pk]))
        if persona == "administrator":
            assert response.status_code == 403
        elif visible:
            assert response.status_code == 200
            assert b"".join(response.streaming_content) == PDF
            assert response["Content-Type"] == "application/pdf"
            assert "attachment" in response["Content-Disposition"]
        else:
            assert response.status_code == 404


@pytest.mark.parametrize("persona", PERSONAS)
def test_reveal_shows_full_id_to_revealers_in_scope_and_records_it(
    client, request, registry, persona
):
    user = login(client, request, persona)
    sees_chashan, sees_dalang = VISIBILITY[persona]
    for household, head, visible in (
        (registry.chashan, registry.chashan_head, sees_chashan),
        (registry.dalang, registry.dalang_head, sees_dalang),
    ):
        url = reverse("cases:person-reveal", args=[household.pk, head.pk])
        response = client.post(url)
        events = AuditEvent.objects.filter(
            action=AuditEvent.Action.ID_REVEALED, object_id=str(head.pk)
        )
        if persona == "administrator" or (visible and persona not in REVEALERS):
            assert response.status_code == 403
            assert not events.exists()
        elif not visible:
            assert response.status_code == 404
            assert not events.exists()
        else:
            assert response.status_code == 200
            assert head.id_number in response.content.decode()
            assert "no-store" in response["Cache-Control"]
            event = events.get()
            assert event.actor == user
            assert event.town_code == household.town.code
    # Not kept: the household page afterwards shows the masked number only.
    if persona in REVEALERS and persona != "worker_dalang":
        page = client.get(detail_url(registry.chashan)).content.decode()
        assert registry.chashan_head.id_number not in page
        assert registry.chashan_head.masked_id in page


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_editors_may_change_the_registry(client, request, registry, persona):
    login(client, request, persona)
    url = reverse("cases:household-edit", args=[registry.chashan.pk])
    data = {"address": "茶山镇南社村2号", "status": "active", "reason": "Moved next door"}
    get, post = client.get(url), client.post(url, data)
    registry.chashan.refresh_from_db()
    if persona in EDITORS and VISIBILITY[persona][0]:
        assert get.status_code == 200
        assert post.status_code == 302
        assert registry.chashan.address == "茶山镇南社村2号"
    else:
        # Finance, the auditor and the administrator: 403; another town's worker: 404.
        expected = 404 if persona in EDITORS else 403
        assert get.status_code == expected
        assert post.status_code == expected
        assert registry.chashan.address == "茶山镇南社村1号"


WRITE_PAGES = [
    ("cases:household-create", lambda r: []),
    ("cases:member-add", lambda r: [r.chashan.pk]),
    ("cases:income-add", lambda r: [r.chashan.pk]),
    ("cases:asset-add", lambda r: [r.chashan.pk]),
    ("cases:document-upload", lambda r: [r.chashan.pk]),
    ("cases:authorisation-add", lambda r: [r.chashan.pk]),
    ("cases:person-edit", lambda r: [r.chashan.pk, r.chashan_head.pk]),
    (
        "cases:member-leave",
        lambda r: [r.chashan.pk, r.chashan.memberships.get(person=r.chashan_head).pk],
    ),
]


@pytest.mark.parametrize("name, args", WRITE_PAGES, ids=[p[0] for p in WRITE_PAGES])
@pytest.mark.parametrize("persona", ["finance", "auditor", "administrator"])
def test_readers_get_403_on_every_write_page(client, request, registry, persona, name, args):
    login(client, request, persona)
    url = reverse(name, args=args(registry))
    assert client.get(url).status_code == 403
    assert client.post(url, {}).status_code == 403


def test_reveal_is_post_only(client, worker_chashan, registry):
    client.force_login(worker_chashan)
    url = reverse("cases:person-reveal", args=[registry.chashan.pk, registry.chashan_head.pk])
    assert client.get(url).status_code == 405
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.ID_REVEALED).exists()


def test_reveal_refuses_a_person_who_is_not_a_member_of_that_household(
    client, worker_chashan, registry
):
    other = household_with_members("chashan", size=1)
    client.force_login(worker_chashan)
    url = reverse("cases:person-reveal", args=[other.pk, registry.chashan_head.pk])
    assert client.post(url).status_code == 404


def test_anonymous_visitor_is_sent_to_login(client, registry):
    for url in (LIST, detail_url(registry.chashan), reverse("cases:household-export")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


# --- The list ------------------------------------------------------------------------------


def test_list_masks_ids_and_shows_the_row_columns(client, worker_chashan, registry):
    client.force_login(worker_chashan)
    content = client.get(LIST).content.decode()
    head = registry.chashan_head
    assert head.masked_id in content
    assert head.id_number not in content
    for text in ("茶山", "李南社", "茶山镇南社村1号", 'data-testid="household-results"'):
        assert text in content
    assert 'data-testid="household-search"' in content
    assert 'data-testid="new-household"' in content


def test_list_hides_new_household_button_from_readers(client, finance, registry):
    client.force_login(finance)
    content = client.get(LIST).content.decode()
    assert 'data-testid="new-household"' not in content


def test_list_filters_by_town_village_and_status(client, city_supervisor, registry):
    from cases.models import Village

    village = Village.objects.create(town=registry.chashan.town, name="南社村")
    registry.chashan.village = village
    registry.chashan.save()
    closed = household_with_members("chashan", size=1, status="closed")
    client.force_login(city_supervisor)

    by_town = client.get(LIST, {"town": "441900113"}).content.decode()
    assert detail_url(registry.dalang) in by_town
    assert detail_url(registry.chashan) not in by_town

    by_village = client.get(LIST, {"village": str(village.pk)}).content.decode()
    assert detail_url(registry.chashan) in by_village
    assert detail_url(registry.dalang) not in by_village

    by_status = client.get(LIST, {"status": "closed"}).content.decode()
    assert detail_url(closed) in by_status
    assert detail_url(registry.chashan) not in by_status


def test_town_filter_offers_only_towns_in_scope(client, worker_chashan, registry):
    client.force_login(worker_chashan)
    response = client.get(LIST)
    choices = [code for code, _label in response.context["form"].fields["town"].choices]
    assert choices == ["", "441900103"]


def test_a_town_outside_scope_in_the_url_is_refused_and_shows_nothing_more(
    client, worker_chashan, registry
):
    client.force_login(worker_chashan)
    response = client.get(LIST, {"town": "441900113"})
    content = response.content.decode()
    assert response.status_code == 200
    assert "Town:" in content  # the filter's error names the field
    assert detail_url(registry.dalang) not in content


def test_list_paginates_25_a_page_and_keeps_the_filters(client, worker_chashan, db):
    for _ in range(30):
        household_with_members("chashan", size=1)
    client.force_login(worker_chashan)
    first = client.get(LIST, {"status": "active"})
    assert len(first.context["rows"]) == 25
    content = first.content.decode()
    assert "status=active&amp;page=2" in content
    second = client.get(LIST, {"status": "active", "page": 2})
    assert len(second.context["rows"]) == 5
    assert client.get(LIST, {"page": "999"}).status_code == 200


def _count_list_queries(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST)
    assert response.status_code == 200
    return len(queries), len(response.context["rows"])


@pytest.mark.parametrize("persona", ["worker_chashan", "city_supervisor"])
def test_list_runs_a_constant_number_of_queries_whatever_the_page_size(
    client, request, db, persona
):
    login(client, request, persona)
    for _ in range(5):
        household_with_members("chashan", size=3)
    few, rows = _count_list_queries(client)
    assert rows == 5
    for _ in range(25):
        household_with_members("chashan", size=3)
    many, rows = _count_list_queries(client)
    assert rows == 25
    assert many == few


# --- Base layout and login pages ------------------------------------------------------------


def test_layout_shows_user_role_language_switch_and_logout(client, worker_chashan, registry):
    client.force_login(worker_chashan)
    content = client.get(LIST).content.decode()
    assert "worker-chashan" in content
    assert "Case worker" in content or "经办" in content
    assert reverse("set_language") in content
    assert 'value="zh-hans"' in content and 'value="en"' in content
    assert f'action="{reverse("logout")}" method="post"' in content
    assert reverse("swagger-ui") in content
    assert reverse("admin:index") not in content


def test_administrator_sees_the_admin_link(client, administrator):
    client.force_login(administrator)
    content = client.get(reverse("login")).content.decode()
    assert reverse("admin:index") in content
    assert reverse("cases:household-list") not in content.split("<main")[0]


def test_login_page_logs_in_and_lands_on_the_start_page(client, worker_chashan):
    page = client.get(reverse("login"))
    assert page.status_code == 200
    assert 'name="username"' in page.content.decode()
    response = client.post(
        reverse("login"), {"username": "worker-chashan", "password": "relief-test-pw"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("start")


def test_wrong_password_says_so_on_the_login_page(client, worker_chashan):
    response = client.post(reverse("login"), {"username": "worker-chashan", "password": "nope"})
    assert response.status_code == 200
    assert "did not match" in response.content.decode()


def test_repeated_failures_lock_the_account_for_30_minutes(client, worker_chashan, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "worker-chashan", "password": "nope"})
    response = client.post(
        reverse("login"), {"username": "worker-chashan", "password": "relief-test-pw"}
    )
    content = response.content.decode()
    assert response.status_code == 429
    assert "locked for 30 minutes" in content


def test_logout_is_a_post_that_ends_the_session(client, worker_chashan):
    client.force_login(worker_chashan)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(LIST).status_code == 302


def test_language_switch_sets_english(client, worker_chashan):
    client.force_login(worker_chashan)
    response = client.post(reverse("set_language"), {"language": "en", "next": LIST})
    assert response.status_code == 302
    page = client.get(LIST)
    assert page.content.decode().startswith("<!DOCTYPE html>")
    assert '<html lang="en">' in page.content.decode()
