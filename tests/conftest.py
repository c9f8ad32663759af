"""Shared fixtures: the named personas of STYLE.md and Celery's eager mode.

A case worker in 茶山 and one in 大朗, their town supervisors, the city supervisor, a finance
officer, an auditor and an administrator.
"""

import importlib
import os

import pytest

from cases.models import Role
from tests.factories import UserFactory, household_with_members, staff_user

# Set by .ci/run: a browser or Redis-worker test that cannot run fails instead of skipping.
REQUIRE_FULL_SUITE = os.environ.get("RELIEF_REQUIRE_FULL_SUITE", "") == "1"


def skip_or_fail(reason: str):
    if REQUIRE_FULL_SUITE:
        pytest.fail(f"required in CI but cannot run: {reason}")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _celery_eager(request):
    """Tasks run eagerly in-process unless a test is marked redis_worker."""
    from config.celery import app

    eager = request.node.get_closest_marker("redis_worker") is None
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = eager
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    # Password hashing at production strength makes every login fixture slow; tests need none.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _english_outside_requests():
    """Code called directly (services, commands) speaks English in tests, whatever language an
    earlier request left active; requests still choose their own through LocaleMiddleware."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _reference_data(request):
    """Towns, income types, the demo schemes with their rules and the payments defaults come
    from data migrations. A transactional test's flush removes them; put them back
    (idempotently) for the transactional tests that follow."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not marker.kwargs.get("transaction"):
        return
    request.getfixturevalue("_django_db_helper")
    from django.apps import apps

    from cases.models import Scheme, Town

    if not Town.objects.exists():
        load = importlib.import_module("cases.migrations.0002_towns_and_income_types").load
        load(apps, None)
    if not Scheme.objects.exists():
        importlib.import_module("cases.migrations.0004_schemes").load(apps, None)
    # The default bank-file layout and payment rule (idempotent).
    importlib.import_module("payments.migrations.0001_payments").load(apps, None)


@pytest.fixture
def client():
    """A test client that asks for English pages, so assertions compare the English source
    strings. Tests of the Chinese default build their own `Client()`."""
    from django.test import Client

    return Client(headers={"accept-language": "en"})


@pytest.fixture
def schema_client(db):
    """An API client of a signed-in user: the OpenAPI schema answers signed-in users only."""
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(UserFactory(username="schema-reader"))
    return client


@pytest.fixture
def worker_chashan(db):
    return staff_user("worker-chashan", Role.CASE_WORKER, "chashan")


@pytest.fixture
def worker_dalang(db):
    return staff_user("worker-dalang", Role.CASE_WORKER, "dalang")


@pytest.fixture
def supervisor_chashan(db):
    return staff_user("supervisor-chashan", Role.TOWN_SUPERVISOR, "chashan")


@pytest.fixture
def city_supervisor(db):
    return staff_user("supervisor", Role.CITY_SUPERVISOR)


@pytest.fixture
def finance(db):
    return staff_user("finance", Role.FINANCE)


@pytest.fixture
def auditor(db):
    return staff_user("auditor", Role.AUDITOR)


@pytest.fixture
def administrator(db):
    user = staff_user("admin", Role.ADMINISTRATOR)
    user.is_staff = True
    user.is_superuser = True
    user.save()
    return user


@pytest.fixture
def registry_provider(db):
    # A partner agency's account (the bank association's upload account), assigned every
    # source (audit.Source.providers) so that it may upload any of them.
    from audit.models import Source

    user = staff_user("provider-bank", Role.REGISTRY_PROVIDER)
    user.registry_sources.set(Source.objects.all())
    return user


@pytest.fixture
def chashan_household(db):
    return household_with_members("chashan", size=2)


@pytest.fixture
def dalang_household(db):
    return household_with_members("dalang", size=2)
