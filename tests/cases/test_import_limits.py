"""The caseload import goes through the one reader's limits (relief/tabular/reading.py): a
workbook of millions of empty rows is refused within seconds with the rule on the status page;
a Latin-1 CSV is refused naming the encoding rule, a GB18030 one is imported."""

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cases import imports
from cases.models import HouseholdImport, Person
from tests.cases.test_import import COLUMNS, csv_bytes, good_rows, member, upload
from tests.factories import town
from tests.relief.test_tabular_limits import (
    BOMB_BYTES,
    BOMB_SECONDS,
    cost_of,
    twenty_million_empty_rows,
)

pytestmark = pytest.mark.django_db


def test_the_import_page_refuses_twenty_million_empty_rows_within_seconds(
    client, worker_chashan, django_capture_on_commit_callbacks
):
    bomb = twenty_million_empty_rows(*COLUMNS[:8])

    started = time.process_time()
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, worker_chashan, bomb, name="caseload.xlsx")
    seconds = time.process_time() - started

    household_import = HouseholdImport.objects.get()
    assert household_import.status == HouseholdImport.Status.REJECTED
    assert household_import.errors == [
        {
            "row": 0,
            "column": "",
            "rule": "The file has more than 100000 rows after the header row (blank rows count "
            "too); remove the empty rows or split it into smaller files.",
        }
    ]
    assert "blank rows count too" in client.get(response.url).content.decode()
    assert seconds < BOMB_SECONDS


def test_the_import_refuses_the_bomb_within_seconds_and_megabytes(worker_chashan):
    upload_file = SimpleUploadedFile("caseload.xlsx", twenty_million_empty_rows(*COLUMNS[:8]))
    household_import, _created = imports.household_import_create(
        actor=worker_chashan, town=town("chashan"), upload=upload_file
    )

    def run():
        HouseholdImport.objects.filter(pk=household_import.pk).update(
            status=HouseholdImport.Status.PENDING
        )
        return imports.household_import_run(household_import_id=household_import.pk)

    cost, _raised = cost_of(run)

    household_import.refresh_from_db()
    assert household_import.status == HouseholdImport.Status.REJECTED
    assert "blank rows count too" in household_import.errors[0]["rule"]
    assert cost.seconds < BOMB_SECONDS
    assert cost.peak < BOMB_BYTES


def test_a_latin1_caseload_is_rejected_naming_the_encoding_rule(
    client, worker_chashan, django_capture_on_commit_callbacks
):
    rows = [member("H1", 1, name="José Müller", address="Calle Mayor 1", hukou_place="Madrid")]
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, worker_chashan, csv_bytes(rows, bom=False, encoding="latin-1"))

    household_import = HouseholdImport.objects.get()
    assert household_import.status == HouseholdImport.Status.REJECTED
    assert "save it as UTF-8 CSV" in household_import.errors[0]["rule"]
    assert not Person.objects.exists()


def test_a_gb18030_caseload_is_imported(client, worker_chashan, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, worker_chashan, csv_bytes(good_rows(), bom=False, encoding="gb18030"))

    assert HouseholdImport.objects.get().status == HouseholdImport.Status.DONE
    assert Person.objects.filter(name="成员1").exists()
