"""A real Celery worker, on Redis, runs the caseload import: the task is found by its name,
its argument survives serialisation, and the worker's own database connection sees the upload
and writes the households. Needs REDIS_URL (CI sets it; RELIEF_REQUIRE_FULL_SUITE=1 turns the
skip into a failure)."""

import csv
import datetime
import io
import os
import threading
import time
from urllib.parse import urlsplit, urlunsplit

import pytest
from celery.contrib.testing.worker import start_worker
from celery.result import EagerResult
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from cases import imports
from cases.models import Household, HouseholdImport, Person
from cases.tasks import import_households
from config.celery import app
from tests.conftest import skip_or_fail
from tests.factories import make_id_number, town

# Transactional: the live server / worker thread must see committed rows. The towns and income
# types that a flush removes are put back by tests/conftest.py's _reference_data fixture.
pytestmark = [
    pytest.mark.redis_worker,
    pytest.mark.django_db(transaction=True),
]

COLUMNS = [
    "household_ref",
    "address",
    "name",
    "id_number",
    "relation",
    "income_type",
    "income_monthly",
]


def caseload(*members) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for ref, n, relation in members:
        writer.writerow(
            [
                ref,
                f"茶山镇{ref}号",
                f"成员{n}",
                make_id_number(n, datetime.date(1985, 5, 5)),
                relation,
                "wage",
                "1500.00",
            ]
        )
    return out.getvalue().encode("utf-8-sig")


def _forget_connections() -> None:
    """The app caches its broker pool and result backend; drop them so that the next use
    connects to the broker and backend configured now. (Not closed: kombu keeps one pool per
    broker URL for the whole process and would hand the closed one back.)"""
    app._pool = None
    amqp = app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None
    app._backend_cache = None
    app._local = threading.local()


def own_redis_database(url: str) -> str:
    """REDIS_URL as it is, or, under pytest-xdist, a database number of the test process's own
    (gw0 takes the base number + 10, gw1 + 11, ...), so that no process's worker takes another's
    tasks."""
    name = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not name.startswith("gw"):
        return url
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{(base + 10 + int(name[2:])) % 16}"))


@pytest.fixture
def worker(monkeypatch):
    url = os.environ.get("REDIS_URL", "")
    if not url:
        skip_or_fail("REDIS_URL not set: these tests start a Celery worker on Redis")
    url = own_redis_database(url)
    saved = {key: app.conf[key] for key in ("broker_url", "result_backend", "task_always_eager")}
    # The settings read REDIS_URL at import time; the test configures the app itself.
    app.conf.update(broker_url=url, result_backend=url, task_always_eager=False)
    _forget_connections()
    # The worker thread opens its own database connection. With CONN_MAX_AGE 0 Celery closes it
    # after each task, so nothing holds the test database open when it is flushed and dropped.
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 0)
    app.control.purge()  # no leftovers of an earlier, interrupted run
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30) as w:
            yield w
    finally:
        app.conf.update(saved)
        _forget_connections()


def upload(worker_user, content: bytes, name="caseload.csv") -> HouseholdImport:
    household_import, created = imports.household_import_create(
        actor=worker_user, town=town("chashan"), upload=SimpleUploadedFile(name, content)
    )
    assert created
    return household_import


def test_worker_imports_households(worker, worker_chashan):
    household_import = upload(
        worker_chashan, caseload(("H1", 1, "head"), ("H1", 2, "spouse"), ("H2", 3, "户主"))
    )

    async_result = import_households.delay(household_import.pk)

    assert not isinstance(async_result, EagerResult)  # it went through Redis
    result = async_result.get(timeout=30)
    assert result == {
        "id": household_import.pk,
        "status": "done",
        "households_created": 2,
        "persons_created": 3,
        "errors": 0,
    }
    assert set(Household.objects.values_list("import_ref", flat=True)) == {"H1", "H2"}
    assert Person.history.filter(history_user=worker_chashan).count() == 3
    household_import.refresh_from_db()
    assert (household_import.processed_rows, household_import.total_rows) == (3, 3)


def test_worker_run_twice_is_a_no_op(worker, worker_chashan):
    household_import = upload(worker_chashan, caseload(("H1", 1, "head")))

    first = import_households.delay(household_import.pk).get(timeout=30)
    second = import_households.delay(household_import.pk).get(timeout=30)

    assert first == second
    assert first["status"] == "done"
    assert Household.objects.count() == 1
    assert Household.history.count() == 1


def test_worker_rejects_a_bad_file_and_writes_nothing(worker, worker_chashan):
    household_import = upload(worker_chashan, caseload(("H1", 1, "child")), name="bad.csv")

    result = import_households.delay(household_import.pk).get(timeout=30)

    assert result["status"] == "rejected"
    household_import.refresh_from_db()
    assert household_import.errors[0]["row"] == 2
    assert household_import.errors[0]["column"] == "relation"
    assert not Household.objects.exists()


def test_upload_page_enqueues_and_the_progress_endpoint_reaches_done(
    worker, worker_chashan, client
):
    client.force_login(worker_chashan)

    response = client.post(
        reverse("cases:import-upload"),
        {
            "town": town("chashan").pk,
            "file": SimpleUploadedFile("caseload.csv", caseload(("H1", 1, "head"))),
        },
    )

    assert response.status_code == 302
    progress_url = response.url + "progress/"
    # SQLite has one writer at a time, and the test database is a shared-cache in-memory one
    # with table locks: while the worker writes, a read of the import table fails at once.
    # PostgreSQL answers every poll.
    client.raise_request_exception = False
    # A bounded wait for the worker (150 polls), not a measure of its speed.
    for _poll in range(150):
        answer = client.get(progress_url)
        if answer.status_code != 200:
            assert connection.vendor == "sqlite", answer.status_code
        else:
            progress = answer.json()
            if progress["finished"]:
                break
        time.sleep(0.2)
    else:
        pytest.fail("the worker did not finish the import after 150 polls")
    assert progress["status"] == "done"
    assert (progress["processed_rows"], progress["total_rows"], progress["percent"]) == (1, 1, 100)
    assert Household.objects.filter(import_ref="H1").exists()
