"""Each role lands on its own start page after logging in, and at `/`: case workers on their
work, town and city supervisors on the approval queue, finance on the payment batches, auditors
on the households (until the auditors' history browser exists), administrators on /admin/,
registry providers on their own uploads.
A safe `?next=` still wins."""

import pytest
from django.test import Client
from django.urls import reverse

from cases.models import Role
from tests.factories import UserFactory

PASSWORD = "relief-test-pw"  # the personas' password (tests/factories.py)

START_PAGES = [
    ("worker_chashan", "cases:my-work"),
    ("supervisor_chashan", "cases:approval-queue"),
    ("city_supervisor", "cases:approval-queue"),
    ("finance", "payments:batch-list"),
    ("auditor", "cases:household-list"),
    ("administrator", "admin:index"),
    ("registry_provider", "audit:extract-list"),
]


def log_in(client, user, next_url=None):
    data = {"username": user.get_username(), "password": PASSWORD}
    if next_url is not None:
        data["next"] = next_url
    return client.post(reverse("login"), data, follow=True)


@pytest.mark.django_db
@pytest.mark.parametrize(("persona", "page"), START_PAGES)
def test_each_role_lands_on_its_start_page_after_logging_in(request, persona, page):
    user = request.getfixturevalue(persona)

    response = log_in(Client(), user)

    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse(page)


@pytest.mark.django_db
@pytest.mark.parametrize(("persona", "page"), START_PAGES)
def test_home_is_the_roles_start_page(request, persona, page):
    client = Client()
    client.force_login(request.getfixturevalue(persona))

    response = client.get("/")

    assert response.status_code == 302
    assert response.url == reverse(page)
    assert client.get(response.url).status_code == 200


def test_administrator_no_longer_lands_on_a_403(administrator):
    response = log_in(Client(), administrator)

    assert response.status_code == 200
    assert response.request["PATH_INFO"] == reverse("admin:index")


def test_a_superuser_without_a_role_starts_in_the_administration(db):
    # Made with `manage.py createsuperuser`, as the production README says: no staff profile.
    user = UserFactory(username="root", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(user)

    assert client.get("/").url == reverse("admin:index")


def test_a_user_without_a_role_is_told_so(db):
    client = Client(headers={"accept-language": "en"})
    client.force_login(UserFactory(username="nobody"))

    assert client.get("/").status_code == 403


def test_anonymous_visitor_at_home_is_sent_to_login_and_back(db):
    response = Client().get("/")

    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next=/"


def test_a_safe_next_wins_over_the_start_page(worker_chashan):
    grants = reverse("cases:grant-list")

    response = log_in(Client(), worker_chashan, next_url=grants)

    assert response.redirect_chain[-1][0] == grants


@pytest.mark.parametrize("unsafe", ["https://evil.example.org/", "//evil.example.org/x"])
def test_an_unsafe_next_is_ignored_for_the_start_page(worker_chashan, unsafe):
    response = log_in(Client(), worker_chashan, next_url=unsafe)

    assert response.redirect_chain[-1][0] == reverse("cases:my-work")


def test_start_pages_name_every_role():
    from cases.permissions import START_PAGES as MAPPING

    assert set(MAPPING) == set(Role)
