"""API tokens end: after 30 minutes without use, 12 hours after they were issued, when their
holder revokes them, when the user logs out of a session, and when the password changes (by
any path). Their use is written down at most once a minute. Time is pinned by patching
django.utils.timezone.now, as tests/test_auth_pages.py does for sessions."""

import datetime
from contextlib import contextmanager
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from relief.models import ApiToken
from relief.tokens import digest

pytestmark = pytest.mark.django_db

PASSWORD = "relief-test-pw"  # the personas' password (tests/factories.py)
NEW_PASSWORD = "a-new-long-password-9"
SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY_9AM = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)
MINUTE = datetime.timedelta(minutes=1)
OBTAIN = "/api/v1/auth/token/"
REVOKE = "/api/v1/auth/token/revoke/"
TOWNS = "/api/v1/towns/"  # any endpoint that needs authentication


@contextmanager
def at(moment: datetime.datetime):
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def obtain(username="worker-chashan", password=PASSWORD) -> str:
    response = APIClient().post(OBTAIN, {"username": username, "password": password})
    assert response.status_code == 200, response.content
    return response.json()["token"]


def get(token: str, url: str = TOWNS):
    return APIClient(HTTP_ACCEPT_LANGUAGE="en").get(url, HTTP_AUTHORIZATION=f"Token {token}")


def revoke(token: str):
    return APIClient(HTTP_ACCEPT_LANGUAGE="en").post(REVOKE, HTTP_AUTHORIZATION=f"Token {token}")


# --- lifetime ----------------------------------------------------------------------------------


def test_a_fresh_token_authenticates(worker_chashan):
    with at(MONDAY_9AM):
        token = obtain()
        assert get(token).status_code == 200


def test_token_says_when_it_ends(worker_chashan):
    with at(MONDAY_9AM):
        response = APIClient().post(OBTAIN, {"username": "worker-chashan", "password": PASSWORD})

    body = response.json()
    assert body["idle_timeout"] == 30 * 60
    ends = datetime.datetime.fromisoformat(body["expires_at"])
    assert ends == MONDAY_9AM + datetime.timedelta(hours=12)


def test_token_expires_after_thirty_minutes_without_use(worker_chashan):
    with at(MONDAY_9AM):
        token = obtain()
    with at(MONDAY_9AM + 29 * MINUTE):
        assert get(token).status_code == 200
    with at(MONDAY_9AM + 59 * MINUTE + datetime.timedelta(seconds=1)):
        response = get(token)

    assert response.status_code == 401
    assert response.json()["detail"] == (
        "The token has expired: it was not used for 30 minutes. Obtain a new one from "
        "/api/v1/auth/token/."
    )
    assert response["WWW-Authenticate"] == "Token"
    assert not ApiToken.objects.exists()  # an expired token is gone for good


def test_use_keeps_the_token_alive_but_not_past_twelve_hours(worker_chashan):
    with at(MONDAY_9AM):
        token = obtain()
    # A request every 25 minutes keeps it alive all day...
    for step in range(25, 12 * 60, 25):
        with at(MONDAY_9AM + step * MINUTE):
            assert get(token).status_code == 200, f"expired after {step} minutes"
    # ...until twelve hours after it was issued.
    with at(MONDAY_9AM + datetime.timedelta(hours=12)):
        response = get(token)

    assert response.status_code == 401
    assert response.json()["detail"] == (
        "The token has expired: it was issued more than 12 hours ago. Obtain a new one from "
        "/api/v1/auth/token/."
    )


def test_lifetimes_come_from_the_settings(worker_chashan, settings):
    settings.API_TOKEN_IDLE_TIMEOUT = datetime.timedelta(minutes=5)
    settings.API_TOKEN_MAX_AGE = datetime.timedelta(hours=1)
    with at(MONDAY_9AM):
        token = obtain()
    with at(MONDAY_9AM + 4 * MINUTE):
        assert get(token).status_code == 200
    with at(MONDAY_9AM + 10 * MINUTE):
        assert get(token).status_code == 401

    with at(MONDAY_9AM):
        token = obtain()
    for step in (4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56):
        with at(MONDAY_9AM + step * MINUTE):
            assert get(token).status_code == 200
    with at(MONDAY_9AM + 60 * MINUTE):
        assert get(token).status_code == 401


def test_obtaining_a_token_deletes_the_users_expired_ones(worker_chashan):
    with at(MONDAY_9AM):
        obtain()
    with at(MONDAY_9AM + 2 * datetime.timedelta(hours=1)):
        fresh = obtain()

    assert list(ApiToken.objects.filter(user=worker_chashan)) == [
        ApiToken.objects.get(digest=digest(fresh))
    ]


# --- last use, written sparingly ----------------------------------------------------------------


def test_last_use_is_written_at_most_once_a_minute(worker_chashan):
    with at(MONDAY_9AM):
        token = obtain()

    def writes_during_a_request(moment):
        with at(moment), CaptureQueriesContext(connection) as queries:
            assert get(token).status_code == 200
        return [
            q["sql"] for q in queries if q["sql"].startswith("UPDATE") and "apitoken" in q["sql"]
        ]

    assert writes_during_a_request(MONDAY_9AM + datetime.timedelta(seconds=10)) == []
    assert writes_during_a_request(MONDAY_9AM + datetime.timedelta(seconds=59)) == []
    assert len(writes_during_a_request(MONDAY_9AM + MINUTE)) == 1
    assert writes_during_a_request(MONDAY_9AM + MINUTE + datetime.timedelta(seconds=30)) == []
    assert ApiToken.objects.get().last_used == MONDAY_9AM + MINUTE


# --- revoking ----------------------------------------------------------------------------------


def test_revoke_deletes_the_callers_token_and_answers_204(worker_chashan):
    token = obtain()
    other = obtain()

    response = revoke(token)

    assert response.status_code == 204
    assert get(token).status_code == 401
    assert get(other).status_code == 200  # the user's other tokens stay


def test_revoke_without_a_token_is_a_401(worker_chashan):
    assert APIClient().post(REVOKE).status_code == 401
    assert revoke("not-a-token").status_code == 401


def test_revoke_a_second_time_is_a_401(worker_chashan):
    token = obtain()
    assert revoke(token).status_code == 204
    assert revoke(token).status_code == 401


# --- logging out and changing the password end every token --------------------------------------


def test_session_logout_deletes_the_users_tokens(worker_chashan, worker_dalang):
    token = obtain()
    colleague = obtain("worker-dalang")
    client = Client()
    client.post(reverse("login"), {"username": "worker-chashan", "password": PASSWORD})

    client.post(reverse("logout"))

    assert get(token).status_code == 401
    assert get(colleague).status_code == 200


def test_password_change_page_deletes_the_users_tokens(worker_chashan):
    token = obtain()
    client = Client()
    client.force_login(worker_chashan)

    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert get(token).status_code == 401


def test_set_password_and_save_deletes_the_users_tokens(worker_chashan, worker_dalang):
    token = obtain()
    colleague = obtain("worker-dalang")
    user = get_user_model().objects.get(pk=worker_chashan.pk)

    user.set_password(NEW_PASSWORD)
    user.save()

    assert get(token).status_code == 401
    assert get(colleague).status_code == 200


def test_a_password_hash_set_directly_deletes_the_users_tokens(worker_chashan):
    from django.contrib.auth.hashers import make_password

    token = obtain()
    user = get_user_model().objects.get(pk=worker_chashan.pk)

    user.password = make_password(NEW_PASSWORD)
    user.save()

    assert get(token).status_code == 401


def test_administration_password_change_deletes_the_users_tokens(worker_chashan, administrator):
    token = obtain()
    client = Client()
    client.force_login(administrator)

    response = client.post(
        reverse("admin:auth_user_password_change", args=[worker_chashan.pk]),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert get(token).status_code == 401


def test_changepassword_command_deletes_the_users_tokens(worker_chashan):
    token = obtain()

    with mock.patch("getpass.getpass", return_value=NEW_PASSWORD):
        call_command("changepassword", "worker-chashan", stdout=mock.MagicMock())

    assert get(token).status_code == 401


def test_saving_the_user_without_a_new_password_keeps_the_tokens(worker_chashan):
    token = obtain()
    user = get_user_model().objects.get(pk=worker_chashan.pk)

    user.first_name = "美玲"
    user.save()
    user.save(update_fields=["last_login"])

    assert get(token).status_code == 200


def test_an_inactive_users_token_is_refused(worker_chashan):
    token = obtain()
    worker_chashan.is_active = False
    worker_chashan.save()

    assert get(token).status_code == 401
