"""POST /api/v1/auth/token/: tokens for API clients, through django-axes."""

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from relief.models import ApiToken, AuditEvent
from relief.tokens import digest

URL = "/api/v1/auth/token/"
PASSWORD = "relief-test-pw"


def obtain(username: str, password: str, fmt: str = "json"):
    return APIClient(HTTP_ACCEPT_LANGUAGE="en").post(
        URL, {"username": username, "password": password}, format=fmt
    )


@pytest.mark.django_db
def test_right_password_in_json_gives_a_token(worker_chashan):
    response = obtain("worker-chashan", PASSWORD)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token", "expires_at", "idle_timeout"}
    # Only the key's digest is stored.
    assert ApiToken.objects.get(user=worker_chashan).digest == digest(body["token"])
    assert not ApiToken.objects.filter(digest=body["token"]).exists()


@pytest.mark.django_db
def test_right_password_in_a_form_gives_a_new_token_and_both_work(worker_chashan):
    # Each login issues its own token (tokens expire; a second client's login must not hand it
    # a token that is about to end, nor end the first client's).
    first = obtain("worker-chashan", PASSWORD, fmt="multipart").json()["token"]
    urlencoded = APIClient().post(
        URL,
        f"username=worker-chashan&password={PASSWORD}",
        content_type="application/x-www-form-urlencoded",
    )

    assert urlencoded.status_code == 200
    second = urlencoded.json()["token"]
    assert second != first
    assert ApiToken.objects.filter(user=worker_chashan).count() == 2
    for token in (first, second):
        response = APIClient().get("/api/v1/towns/", HTTP_AUTHORIZATION=f"Token {token}")
        assert response.status_code == 200


@pytest.mark.django_db
def test_token_is_a_login_audit_event(worker_chashan):
    obtain("worker-chashan", PASSWORD)

    event = AuditEvent.objects.get(action=AuditEvent.Action.LOGIN)
    assert event.actor == worker_chashan


@pytest.mark.django_db
def test_wrong_password_is_a_400_in_drf_shape(worker_chashan):
    response = obtain("worker-chashan", "wrong-password")

    assert response.status_code == 400
    assert list(response.json()) == ["non_field_errors"]
    assert not ApiToken.objects.exists()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN_FAILED).count() == 1


@pytest.mark.django_db
def test_unknown_user_is_a_400(db):
    assert obtain("nobody", PASSWORD).status_code == 400


@pytest.mark.django_db
def test_missing_password_is_a_400_on_password(worker_chashan):
    response = APIClient().post(URL, {"username": "worker-chashan"}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["password"]


@pytest.mark.django_db
def test_inactive_user_gets_no_token(worker_chashan):
    worker_chashan.is_active = False
    worker_chashan.save()

    assert obtain("worker-chashan", PASSWORD).status_code == 400


@pytest.mark.django_db
def test_account_is_locked_after_the_failure_limit_even_with_the_right_password(worker_chashan):
    limit = settings.AXES_FAILURE_LIMIT
    statuses = [obtain("worker-chashan", "wrong-password").status_code for _ in range(limit)]

    locked = obtain("worker-chashan", PASSWORD)

    assert statuses[: limit - 1] == [400] * (limit - 1)
    assert statuses[-1] == 429  # the failure that locks the account says so
    assert locked.status_code == 429
    assert "locked" in locked.json()["detail"]
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_lockout_is_per_account(worker_chashan, worker_dalang):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        obtain("worker-chashan", "wrong-password")

    assert obtain("worker-dalang", PASSWORD).status_code == 200


@pytest.mark.django_db
def test_a_successful_login_resets_the_failure_count(worker_chashan):
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit - 1):
        obtain("worker-chashan", "wrong-password")
    assert obtain("worker-chashan", PASSWORD).status_code == 200

    for _ in range(limit - 1):
        obtain("worker-chashan", "wrong-password")

    assert obtain("worker-chashan", PASSWORD).status_code == 200


@pytest.mark.django_db
def test_token_authenticates_api_requests(worker_chashan, chashan_household):
    token = obtain("worker-chashan", PASSWORD).json()["token"]
    client = APIClient()

    response = client.get("/api/v1/households/", HTTP_AUTHORIZATION=f"Token {token}")

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [chashan_household.pk]


@pytest.mark.django_db
def test_session_login_authenticates_api_requests(worker_chashan, chashan_household):
    client = APIClient()
    client.force_login(worker_chashan)  # a session, as the pages use

    assert client.get("/api/v1/households/").status_code == 200


@pytest.mark.django_db
def test_wrong_token_is_a_401(chashan_household):
    response = APIClient().get("/api/v1/households/", HTTP_AUTHORIZATION="Token not-a-token")

    assert response.status_code == 401


@pytest.mark.django_db
def test_no_credentials_is_a_401(chashan_household):
    assert APIClient().get("/api/v1/households/").status_code == 401
