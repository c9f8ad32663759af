"""Logging in through the login page: language, audit events, lockout and session expiry."""

import datetime
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from relief.models import AuditEvent

PASSWORD = "relief-test-pw"  # the personas' password (tests/factories.py)
SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY_9AM = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)


@pytest.fixture
def login_url():
    return reverse("login")


@pytest.fixture
def households_url():
    return reverse("cases:household-list")


def log_in(client, username, password=PASSWORD, **headers):
    return client.post(reverse("login"), {"username": username, "password": password}, **headers)


def is_logged_in(client):
    return "_auth_user_id" in client.session


# --- language ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_login_page_is_in_simplified_chinese_by_default(login_url):
    response = Client().get(login_url)  # no Accept-Language: the default applies
    assert response.status_code == 200
    assert response.headers["Content-Language"] == "zh-hans"
    assert '<html lang="zh-hans">' in response.content.decode()
    # Django's own catalogue translates the form's field labels.
    form = response.context["form"]
    assert (form["username"].label, form["password"].label) == ("用户名", "密码")


@pytest.mark.django_db
def test_login_page_follows_the_chosen_language(client, login_url):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(login_url)
    assert response.headers["Content-Language"] == "en"
    assert '<html lang="en">' in response.content.decode()
    assert response.context["form"]["username"].label == "Username"


@pytest.mark.django_db
def test_admin_login_page_is_in_simplified_chinese_by_default():
    response = Client().get(reverse("admin:login"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "用户名" in content and "密码" in content


# --- logging in --------------------------------------------------------------------------------


def test_successful_login_is_an_audit_event_and_goes_to_the_start_page(client, worker_chashan):
    response = log_in(client, "worker-chashan", HTTP_USER_AGENT="pytest-login")
    assert response.status_code == 302
    assert response.url == reverse("start")
    assert is_logged_in(client)
    event = AuditEvent.objects.get(action=AuditEvent.Action.LOGIN)
    assert (event.actor, event.actor_username, event.user_agent) == (
        worker_chashan,
        "worker-chashan",
        "pytest-login",
    )


def test_failed_login_shows_the_form_again_and_is_an_audit_event(client, worker_chashan):
    response = log_in(client, "worker-chashan", "wrong-password")
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not is_logged_in(client)
    event = AuditEvent.objects.get(action=AuditEvent.Action.LOGIN_FAILED)
    assert (event.actor, event.actor_username) == (None, "worker-chashan")
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN).exists()


def test_logout_is_an_audit_event(client, worker_chashan):
    log_in(client, "worker-chashan")
    response = client.post(reverse("logout"))
    assert response.status_code in (200, 302)
    assert not is_logged_in(client)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.LOGOUT, actor=worker_chashan).exists()


# --- lockout -----------------------------------------------------------------------------------


def test_four_failed_logins_do_not_lock_the_account(client, worker_chashan):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(client, "worker-chashan", "wrong-password")
    response = log_in(client, "worker-chashan")
    assert response.status_code == 302
    assert is_logged_in(client)


def test_five_failed_logins_lock_the_account_even_for_the_right_password(client, worker_chashan):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, "worker-chashan", "wrong-password")
    response = log_in(client, "worker-chashan")
    assert response.status_code in (403, 429)
    assert not is_logged_in(client)
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN).exists()


def test_lockout_is_per_account_not_per_address(client, worker_chashan, supervisor_chashan):
    # Staff of one town service hall share one NAT address: a colleague's lockout is not theirs.
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, "worker-chashan", "wrong-password")
    response = log_in(client, "supervisor-chashan")
    assert response.status_code == 302
    assert is_logged_in(client)


def test_successful_login_resets_the_failure_count(client, worker_chashan):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(client, "worker-chashan", "wrong-password")
    assert log_in(client, "worker-chashan").status_code == 302
    client.post(reverse("logout"))
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(client, "worker-chashan", "wrong-password")
    response = log_in(client, "worker-chashan")
    assert response.status_code == 302


# --- session expiry ----------------------------------------------------------------------------


def test_session_expires_after_thirty_minutes_without_activity(
    client, worker_chashan, households_url, login_url
):
    with mock.patch("django.utils.timezone.now", return_value=MONDAY_9AM):
        assert log_in(client, "worker-chashan").status_code == 302

    with mock.patch(
        "django.utils.timezone.now", return_value=MONDAY_9AM + datetime.timedelta(minutes=31)
    ):
        response = client.get(households_url)
    assert response.status_code == 302
    assert response.url.startswith(login_url)
    assert f"next={households_url}" in response.url


def test_activity_keeps_the_session_alive(client, worker_chashan, households_url):
    minutes = datetime.timedelta(minutes=1)
    with mock.patch("django.utils.timezone.now", return_value=MONDAY_9AM):
        assert log_in(client, "worker-chashan").status_code == 302
    # A request every 29 minutes: an hour and a half after logging in, still logged in.
    for step in (29, 58, 87):
        with mock.patch("django.utils.timezone.now", return_value=MONDAY_9AM + step * minutes):
            response = client.get(households_url)
        assert response.status_code == 200, f"logged out after {step} minutes"
