"""The caseload import goes through the one reader's limits (relief/tabular/reading.py): a
workbook of millions of empty rows is refused within seconds with the rule on the status page;
a Latin-1 CSV is refused naming the encoding rule, a GB18030 one is imported."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cases import imports
from cases.models import HouseholdImport, Person
from tests.cases.test_import import COLUMNS, csv_bytes, good_rows, member, upload
from tests.factories import town
from tests.relief.test_tabular_limits import (
    BOMB_BYTES,
    cost_of,
    twenty_million_empty_rows,
)

pytestmark = pytest.mark.django_db


def test_the_import_page_refuses_twenty_million_empty_rows(
    client, worker_chashan, django_capture_on_commit_callbacks
):
    bomb = twenty_million_empty_rows(*COLUMNS[:8])

    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, worker_chashan, bomb, name="caseload.xlsx")

    household_import = HouseholdImport.objects.get()
    assert household_import.status == HouseholdImport.Status.REJECTED
    assert household_import.errors == [
        {
            "row": 0,
            "column": "",
            "rule": "The workbook part xl/worksheets/sheet1.xml unpacks to more than 100 times "
            "its compressed size, which no real sheet does; delete the empty or repeated rows "
            "and columns, or save the data again in a new workbook.",
        }
    ]
    assert "100 times its compressed size" in client.get(response.url).content.decode()


def test_the_import_refuses_the_bomb_within_megabytes(worker_chashan):
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
    assert "100 times its compressed size" in household_import.errors[0]["rule"]
    print(f"import refused the bomb in {cost.seconds:.3f} s CPU, {cost.peak >> 20} MB")
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
