"""Caseload import from XLSX/CSV (cases/imports/, docs/import-template.md): the template, the all-or-nothing checks with a
report naming every bad row, the command, the upload pages and the task."""

import csv
import datetime
import io
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.contrib.staticfiles import finders
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import ManagementUtility, call_command
from django.core.management.base import CommandError
from django.db import connections
from django.urls import reverse
from django.utils import translation

from cases import imports
from cases.models import (
    Asset,
    Household,
    HouseholdImport,
    IncomeLine,
    Membership,
    Person,
    Village,
)
from cases.tasks import import_households
from relief import tabular
from relief.models import AuditEvent
from tests.factories import make_id_number, town

TODAY = datetime.date(2024, 6, 3)
COLUMNS = [c.name for c in imports.household_columns(today=TODAY)]
CHASHAN = "441900103"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "import-template.md"


@pytest.fixture(autouse=True)
def _english():
    # Rules are compared as English text; the UI default is Chinese once translated.
    with translation.override("en"):
        yield


def member(ref="H1", n=1, relation="head", **values) -> dict:
    row = {
        "household_ref": ref,
        "address": f"茶山镇南社村{ref}号",
        "village": "",
        "hukou_place": "广东省东莞市茶山镇",
        "name": f"成员{n}",
        "id_number": make_id_number(n, datetime.date(1980, 1, 1)),
        "relation": relation,
        "joined_on": "2020-01-01",
        "evidence_date": "2024-01-01",
    }
    row.update(values)
    return row


def good_rows() -> list[dict]:
    return [
        member(
            "H1",
            1,
            "head",
            income_type="wage",
            income_monthly="1200.50",
            financial_assets="3000",
            residential_units="1",
            vehicles="1",
        ),
        member(
            "H1",
            2,
            "配偶",
            serious_illness="是",
            disability_grade="2",
            disability_category="physical",
            employment_status="unable",
        ),
        member("H2", 3, "head", income_type="pension", income_monthly="800"),
        member("H2", 4, "child", joined_on="", evidence_date=""),
    ]


def csv_bytes(rows, columns=COLUMNS, bom=True, encoding="utf-8") -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(c, "") for c in columns])
    return out.getvalue().encode("utf-8-sig" if bom else encoding)


def xlsx_bytes(rows, columns=COLUMNS) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(columns)
    for row in rows:
        sheet.append([row.get(c) for c in columns])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def write(tmp_path, name, content: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def run_import(path: Path, actor=None, today=TODAY) -> HouseholdImport:
    with path.open("rb") as fh:
        upload = SimpleUploadedFile(path.name, fh.read())
    household_import, created = imports.household_import_create(
        actor=actor, town=town("chashan"), upload=upload
    )
    assert created
    return imports.household_import_run(household_import_id=household_import.pk, today=today)


def registry_counts() -> dict:
    return {
        model.__name__: model.objects.count()
        for model in (Household, Person, Membership, IncomeLine, Asset)
    } | {
        f"{model.__name__}.history": model.history.count()
        for model in (Household, Person, Membership, IncomeLine, Asset)
    }


def errors_of(household_import) -> dict[tuple[int, str], str]:
    return {(e["row"], e["column"]): e["rule"] for e in household_import.errors}


# Good files ------------------------------------------------------------------------------------


def test_good_csv_imports_households_members_income_and_assets(tmp_path, worker_chashan):
    result = run_import(write(tmp_path, "caseload.csv", csv_bytes(good_rows())), worker_chashan)

    assert result.status == HouseholdImport.Status.DONE
    assert (result.households_created, result.persons_created) == (2, 4)
    assert (result.total_rows, result.processed_rows, result.percent) == (4, 4, 100)
    h1 = Household.objects.get(town__slug="chashan", import_ref="H1")
    assert h1.address == "茶山镇南社村H1号"
    assert h1.hukou_place == "广东省东莞市茶山镇"
    relations = dict(h1.memberships.values_list("person__name", "relation"))
    assert relations == {"成员1": "head", "成员2": "spouse"}
    spouse = Person.objects.get(name="成员2")
    assert (spouse.serious_illness, spouse.disability_grade) == (True, 2)
    assert (spouse.disability_category, spouse.employment_status) == ("physical", "unable")
    assert spouse.birth_date == datetime.date(1980, 1, 1)

    head = Person.objects.get(name="成员1")
    line = IncomeLine.objects.get(person=head)
    assert (line.household, line.income_type.code) == (h1, "wage")
    assert line.monthly_amount == Decimal("1200.50")
    assert (line.valid_from, line.source) == (datetime.date(2024, 1, 1), "declared")
    assets = {(a.kind, a.value, a.units) for a in Asset.objects.filter(person=head)}
    assert assets == {
        ("deposit", Decimal("3000.00"), 1),
        ("residential", Decimal("0.00"), 1),
        ("vehicle", Decimal("0.00"), 1),
    }
    # Zero or empty figures create no rows.
    assert not IncomeLine.objects.filter(person=spouse).exists()
    assert not Asset.objects.filter(person=spouse).exists()


def test_empty_dates_default_to_the_import_day(tmp_path, worker_chashan):
    run_import(write(tmp_path, "caseload.csv", csv_bytes(good_rows())), worker_chashan)

    child = Membership.objects.get(person__name="成员4")
    assert child.joined_on == TODAY
    assert IncomeLine.objects.get(person__name="成员3").valid_from == datetime.date(2024, 1, 1)


def test_import_writes_history_with_actor_and_reason(tmp_path, worker_chashan):
    run_import(write(tmp_path, "caseload.csv", csv_bytes(good_rows())), worker_chashan)

    for model in (Household, Person, Membership, IncomeLine, Asset):
        records = model.history.all()
        assert records.exists()
        assert {r.history_user for r in records} == {worker_chashan}
        assert {r.history_change_reason for r in records} == {"Imported from caseload.csv"}
        assert {r.history_type for r in records} == {"+"}


def test_import_is_an_audit_event(tmp_path, worker_chashan):
    result = run_import(write(tmp_path, "caseload.csv", csv_bytes(good_rows())), worker_chashan)

    event = AuditEvent.objects.get(action=AuditEvent.Action.IMPORT)
    assert (event.actor, event.town_code, event.object_id) == (
        worker_chashan,
        CHASHAN,
        str(result.pk),
    )
    assert (event.data["households"], event.data["persons"], event.data["rows"]) == (2, 4, 4)


def test_good_xlsx_with_native_cells_imports(tmp_path, worker_chashan):
    rows = good_rows()
    # What Excel gives: date cells, numbers, a village by name, lowercase x in an ID number.
    Village.objects.create(town=town("chashan"), name="南社村")
    rows[0] |= {
        "joined_on": datetime.datetime(2019, 5, 1),  # noqa: DTZ001 (Excel cells are naive)
        "evidence_date": datetime.date(2024, 2, 1),
        "income_monthly": 1200.5,
        "financial_assets": 3000,
        "residential_units": 1,
        "vehicles": 1.0,
    }
    rows[1] |= {"disability_grade": 2, "serious_illness": 1}
    first17 = "11010519491231002"
    rows[3]["id_number"] = first17 + "x"  # check character X (DOMAIN.md §4)
    for row in rows[:2]:
        row["village"] = "南社村"

    result = run_import(write(tmp_path, "caseload.xlsx", xlsx_bytes(rows)), worker_chashan)

    assert result.status == HouseholdImport.Status.DONE, result.errors
    h1 = Household.objects.get(import_ref="H1")
    assert h1.village.name == "南社村"
    head = Person.objects.get(name="成员1")
    assert head.memberships.get().joined_on == datetime.date(2019, 5, 1)
    line = IncomeLine.objects.get(person=head)
    assert (line.monthly_amount, line.valid_from) == (Decimal("1200.50"), datetime.date(2024, 2, 1))
    assert Asset.objects.get(person=head, kind="vehicle").units == 1
    assert Person.objects.get(name="成员2").serious_illness is True
    assert Person.objects.filter(id_number="11010519491231002X").exists()


def test_person_known_to_the_registry_without_a_household_is_reused(tmp_path, worker_chashan):
    from tests.factories import MembershipFactory, PersonFactory

    person = PersonFactory(name="成员3", id_number=make_id_number(3, datetime.date(1980, 1, 1)))
    MembershipFactory(
        person=person,
        joined_on=datetime.date(2010, 1, 1),
        left_on=datetime.date(2019, 12, 31),
        leave_reason="moved_out",
    )

    result = run_import(write(tmp_path, "caseload.csv", csv_bytes(good_rows())), worker_chashan)

    assert result.status == HouseholdImport.Status.DONE, result.errors
    assert result.persons_created == 3
    assert Membership.objects.filter(person=person, left_on__isnull=True).get().household == (
        Household.objects.get(import_ref="H2")
    )


# Bad files -------------------------------------------------------------------------------------


def test_file_with_bad_rows_is_rejected_whole_naming_every_bad_row(
    tmp_path, worker_chashan, dalang_household
):
    other_town_member = dalang_household.memberships.select_related("person").first().person
    bad_check = make_id_number(2, datetime.date(1980, 1, 1))
    bad_check = bad_check[:17] + ("0" if bad_check[17] != "0" else "1")
    rows = [
        member("H1", 1, "head"),  # row 2: good
        member("H1", 2, "spouse", id_number=bad_check),  # row 3
        member("H2", 3, "head", joined_on="2024/01/05"),  # row 4
        member("H2", 4, "cousin"),  # row 5
        member("H3", 5, "head"),  # row 6
        member("H3", 6, "head"),  # row 7: second head
        member("H4", 7, "head", income_type="wage", income_monthly="-5"),  # row 8
        member("H4", 8, "child", id_number=make_id_number(1, datetime.date(1980, 1, 1))),  # row 9
        member(
            "H5", 9, "head", name=other_town_member.name, id_number=other_town_member.id_number
        ),  # row 10: already in a 大朗 household
        member("H6", 10, "head"),  # row 11: good, and still not written
    ]
    before = registry_counts()

    result = run_import(write(tmp_path, "bad.csv", csv_bytes(rows)), worker_chashan)

    assert result.status == HouseholdImport.Status.REJECTED
    assert registry_counts() == before
    assert not Household.objects.filter(import_ref__in=["H1", "H6"]).exists()
    errors = errors_of(result)
    assert set(errors) == {
        (3, "id_number"),
        (4, "joined_on"),
        (5, "relation"),
        (6, "relation"),
        (7, "relation"),
        (8, "income_monthly"),
        (9, "id_number"),
        (10, "id_number"),
    }
    assert errors[(3, "id_number")] == "The check character of the ID number is wrong (GB 11643)."
    assert "YYYY-MM-DD" in errors[(4, "joined_on")]
    assert errors[(5, "relation")].startswith("must be one of: head, spouse, child")
    assert "household H3 has 2 heads (rows 6, 7)" in errors[(6, "relation")]
    assert errors[(7, "relation")] == errors[(6, "relation")]
    assert errors[(8, "income_monthly")] == "must not be negative"
    assert errors[(9, "id_number")] == "the same ID number is already on row 2"
    assert "already a member of another household" in errors[(10, "id_number")]
    # Nothing about the other household leaks into the message.
    assert dalang_household.town.name not in errors[(10, "id_number")]
    assert dalang_household.address not in errors[(10, "id_number")]
    report = imports.household_import_report(result)
    assert report.bad_rows() == [3, 4, 5, 6, 7, 8, 9, 10]
    assert report.lines()[0] == (
        "row 3, column id_number: The check character of the ID number is wrong (GB 11643)."
    )
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.IMPORT).exists()


@pytest.mark.parametrize(
    ("change", "row", "column", "rule"),
    [
        (
            {1: {"address": "另一个地址"}},
            3,
            "address",
            "differs from row 2 of household H1; this column must be the same on every row",
        ),
        ({1: {"hukou_place": "湖南"}}, 3, "hukou_place", "differs from row 2 of household H1"),
        ({0: {"relation": "child"}}, 2, "relation", "household H1 has no head"),
        ({0: {"name": ""}}, 2, "name", "a value is required"),
        ({0: {"id_number": "12345"}}, 2, "id_number", "An ID number has 18 characters"),
        ({0: {"income_monthly": "1,200.00"}}, 2, "income_monthly", "thousands separators"),
        ({0: {"income_monthly": "1200.555"}}, 2, "income_monthly", "more than 2 decimal places"),
        ({0: {"income_monthly": "¥1200"}}, 2, "income_monthly", "without a currency sign"),
        ({0: {"financial_assets": "lots"}}, 2, "financial_assets", "plain amount in yuan"),
        (
            {0: {"income_type": "lottery", "income_monthly": "5"}},
            2,
            "income_type",
            "unknown income type",
        ),
        ({0: {"income_monthly": "5"}}, 2, "income_type", "an income type is required"),
        ({0: {"vehicles": "-1"}}, 2, "vehicles", "must be at least 0"),
        ({0: {"residential_units": "1.5"}}, 2, "residential_units", "must be a whole number"),
        ({0: {"disability_grade": "5"}}, 2, "disability_grade", "must be at most 4"),
        ({0: {"disability_category": "tall"}}, 2, "disability_category", "must be one of"),
        ({0: {"serious_illness": "maybe"}}, 2, "serious_illness", "must be one of: 是, 否"),
        ({0: {"employment_status": "astronaut"}}, 2, "employment_status", "must be one of"),
        ({0: {"joined_on": "2024-02-30"}}, 2, "joined_on", "is not a real date"),
        ({0: {"joined_on": "2024-06-04"}}, 2, "joined_on", "cannot be after 2024-06-03"),
        ({0: {"evidence_date": "2030-01-01"}}, 2, "evidence_date", "cannot be after 2024-06-03"),
        ({0: {"joined_on": "1979-12-31"}}, 2, "joined_on", "before the member's birth date"),
        ({0: {"village": "不存在村"}}, 2, "village", "茶山 has no village or community"),
        ({0: {"household_ref": "x" * 65}}, 2, "household_ref", "longer than 64 characters"),
    ],
)
def test_each_rule_names_row_column_and_rule(tmp_path, worker_chashan, change, row, column, rule):
    rows = [member("H1", 1, "head"), member("H1", 2, "child")]
    for index, values in change.items():
        rows[index].update(values)

    result = run_import(write(tmp_path, "bad.csv", csv_bytes(rows)), worker_chashan)

    assert result.status == HouseholdImport.Status.REJECTED
    errors = errors_of(result)
    assert (row, column) in errors, errors
    assert rule in errors[(row, column)]
    assert not Household.objects.exists()


def test_id_number_registered_under_another_name_is_refused(tmp_path, worker_chashan):
    from tests.factories import PersonFactory

    PersonFactory(name="王五", id_number=make_id_number(1, datetime.date(1980, 1, 1)))

    result = run_import(write(tmp_path, "bad.csv", csv_bytes([member("H1", 1)])), worker_chashan)

    assert errors_of(result) == {
        (2, "name"): "this ID number is registered under another name; check both"
    }


def test_another_towns_id_number_under_another_name_is_only_not_usable_and_audited(
    tmp_path, worker_chashan, dalang_household
):
    other = dalang_household.memberships.get(relation="head").person
    rows = [member(), member("H2", 2, name="别的名字", id_number=other.id_number)]
    household_import = run_import(write(tmp_path, "f.csv", csv_bytes(rows)), actor=worker_chashan)
    assert household_import.status == HouseholdImport.Status.REJECTED
    assert errors_of(household_import) == {
        (3, "id_number"): (
            "This ID number cannot be used here. Ask the city civil affairs bureau (市民政局)."
        )
    }
    event = AuditEvent.objects.get(action="foreign_id")
    assert (event.actor, event.object_id, event.data) == (
        worker_chashan,
        str(other.pk),
        {"where": "import"},
    )


def test_household_ref_already_imported_into_the_town_is_refused(tmp_path, worker_chashan):
    run_import(write(tmp_path, "first.csv", csv_bytes([member("H1", 1)])), worker_chashan)

    result = run_import(write(tmp_path, "second.csv", csv_bytes([member("H1", 2)])), worker_chashan)

    assert errors_of(result) == {
        (2, "household_ref"): "a household with this reference was already imported into 茶山"
    }


def test_person_who_left_another_household_cannot_join_before_leaving(tmp_path, worker_chashan):
    from tests.factories import MembershipFactory, PersonFactory

    person = PersonFactory(name="成员1", id_number=make_id_number(1, datetime.date(1980, 1, 1)))
    MembershipFactory(
        person=person,
        joined_on=datetime.date(2010, 1, 1),
        left_on=datetime.date(2021, 3, 1),
        leave_reason="moved_out",
    )

    result = run_import(write(tmp_path, "bad.csv", csv_bytes([member("H1", 1)])), worker_chashan)

    assert "until 2021-03-01" in errors_of(result)[(2, "joined_on")]


def test_missing_and_unknown_columns_are_errors_on_row_one(tmp_path, worker_chashan):
    columns = [c for c in COLUMNS if c != "id_number"] + ["nickname"]

    result = run_import(
        write(tmp_path, "bad.csv", csv_bytes([member("H1", 1)], columns=columns)), worker_chashan
    )

    errors = errors_of(result)
    assert errors[(1, "id_number")] == "this required column is missing from the header row"
    assert errors[(1, "nickname")].startswith("unknown column; the template's columns are:")
    assert set(errors) == {(1, "id_number"), (1, "nickname")}


def test_optional_columns_may_be_left_out(tmp_path, worker_chashan):
    columns = ["household_ref", "address", "name", "id_number", "relation"]

    result = run_import(
        write(tmp_path, "minimal.csv", csv_bytes([member("H1", 1)], columns=columns)),
        worker_chashan,
    )

    assert result.status == HouseholdImport.Status.DONE, result.errors
    person = Person.objects.get()
    assert (person.disability_grade, person.employment_status) == (0, "unemployed")


def test_unreadable_file_is_rejected_with_a_file_level_error(tmp_path, worker_chashan):
    result = run_import(
        write(tmp_path, "broken.xlsx", b"PK\x03\x04 not really a zip"), worker_chashan
    )

    assert result.status == HouseholdImport.Status.REJECTED
    assert result.errors == [
        {"row": 0, "column": "", "rule": "The file is not a readable XLSX workbook."}
    ]
    assert imports.household_import_report(result).lines() == [
        "file: The file is not a readable XLSX workbook."
    ]


def test_only_xlsx_and_csv_files_are_accepted(worker_chashan):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        imports.household_import_create(
            actor=worker_chashan,
            town=town("chashan"),
            upload=SimpleUploadedFile("caseload.xls", b"\xd0\xcf\x11\xe0"),
        )
    assert "file" in exc.value.message_dict


def test_worker_cannot_import_into_another_town(worker_chashan):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        imports.household_import_create(
            actor=worker_chashan,
            town=town("dalang"),
            upload=SimpleUploadedFile("caseload.csv", csv_bytes([member()])),
        )
    assert exc.value.message_dict == {"town": ["You may not register cases in this town."]}


def test_actor_who_lost_the_town_before_the_run_gets_a_rejection(tmp_path, worker_chashan):
    household_import, _ = imports.household_import_create(
        actor=worker_chashan,
        town=town("chashan"),
        upload=SimpleUploadedFile("caseload.csv", csv_bytes(good_rows())),
    )
    worker_chashan.staff.towns.clear()

    result = imports.household_import_run(household_import_id=household_import.pk, today=TODAY)

    assert result.status == HouseholdImport.Status.REJECTED
    assert result.errors[0]["rule"] == "You may not register cases in this town."
    assert not Household.objects.exists()


# Reading ---------------------------------------------------------------------------------------


def read(content: bytes, name="f.csv") -> tabular.Table:
    return tabular.read_table(io.BytesIO(content), name=name)


def test_csv_is_read_with_or_without_bom_and_in_gb18030():
    rows = [member("H1", 1)]
    for content in (
        csv_bytes(rows, bom=True),
        csv_bytes(rows, bom=False),
        csv_bytes(rows, bom=False, encoding="gb18030"),
    ):
        table = read(content)
        assert table.header == COLUMNS
        assert table.rows[0][0] == 2
        assert table.rows[0][1][COLUMNS.index("name")] == "成员1"


def test_blank_rows_are_skipped_but_keep_the_spreadsheet_row_numbers():
    content = b"household_ref,name\r\nH1,a\r\n,\r\n\r\nH2,b\r\n"

    assert [number for number, _ in read(content).rows] == [2, 5]


def test_xlsx_rows_keep_their_row_numbers():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet["A1"], sheet["A2"], sheet["A4"] = "household_ref", "H1", "H2"
    out = io.BytesIO()
    workbook.save(out)

    assert [number for number, _ in read(out.getvalue(), "f.xlsx").rows] == [2, 4]


def test_id_number_typed_as_an_excel_number_is_explained():
    parse = tabular.text()
    with pytest.raises(ValueError, match="Excel kept only 15 digits"):
        parse(4.41900198001011e17)


def test_old_xls_files_and_empty_files_are_refused():
    with pytest.raises(tabular.TabularError, match=r"\.xls format"):
        read(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "old.xls")
    with pytest.raises(tabular.TabularError, match="no data rows"):
        read(b"household_ref,name\r\n")
    with pytest.raises(tabular.TabularError, match="empty"):
        read(b"")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12", Decimal("12.00")),
        ("0.1", Decimal("0.10")),
        (1234.5, Decimal("1234.50")),
        (7, Decimal("7.00")),
    ],
)
def test_money_parser_gives_decimal_yuan(raw, expected):
    assert tabular.money()(raw) == expected


def test_money_parser_refuses_floats_with_more_than_two_decimals():
    with pytest.raises(ValueError, match="more than 2 decimal places"):
        tabular.money()(0.1 + 0.2)


def test_boolean_and_choice_parsers():
    parse = tabular.boolean()
    assert [parse(v) for v in ("是", "否", "YES", "no", "1", 0, True)] == [
        True,
        False,
        True,
        False,
        True,
        False,
        True,
    ]
    relation = tabular.choice(imports.RELATIONS)
    assert [relation(v) for v in ("户主", "Spouse", "孙子女", "其他")] == [
        "head",
        "spouse",
        "grandchild",
        "other",
    ]


def test_report_as_text_and_json():
    report = tabular.ImportReport()
    report.add(7, "id_number", "the check character is wrong (GB 11643)")
    report.add(2, "", "empty row")

    assert report.as_text() == (
        "row 2: empty row\nrow 7, column id_number: the check character is wrong (GB 11643)"
    )
    assert report.as_json()[1] == {
        "row": 7,
        "column": "id_number",
        "rule": "the check character is wrong (GB 11643)",
    }
    assert not report.ok


# The command -----------------------------------------------------------------------------------


@pytest.fixture
def run_command(monkeypatch):
    """Run the command as `manage.py` does, returning its exit status. Django closes every
    database connection after a command; here that would end the test's transaction."""
    monkeypatch.setattr(connections, "close_all", lambda: None)

    def run(*args) -> int:
        try:
            ManagementUtility(["manage.py", "import_households", *map(str, args)]).execute()
        except SystemExit as exit_:
            return exit_.code
        return 0

    return run


def test_command_imports_a_good_file_and_exits_0(tmp_path, worker_chashan, capsys, run_command):
    path = write(tmp_path, "caseload.csv", csv_bytes(good_rows()))

    code = run_command("--town", CHASHAN, path, "--user", "worker-chashan")

    out, err = capsys.readouterr()
    assert code == 0
    assert "Households: 2; new people: 4; rows: 4." in out
    assert "4 of 4 rows written" in err  # progress goes to stderr
    assert Household.objects.filter(town__code=CHASHAN).count() == 2
    assert Household.history.first().history_user == worker_chashan


def test_command_without_user_records_no_actor(tmp_path, capsys, run_command, db):
    path = write(tmp_path, "caseload.csv", csv_bytes(good_rows()))

    assert run_command("--town", CHASHAN, path) == 0

    assert {r.history_user for r in Person.history.all()} == {None}
    assert AuditEvent.objects.get(action="import").actor_username == imports.COMMAND_USERNAME


def test_command_rejects_a_bad_file_with_exit_1_and_every_bad_row_on_stderr(
    tmp_path, capsys, run_command, db
):
    rows = [member("H1", 1), member("H1", 2, "head"), member("H2", 3, joined_on="yesterday")]
    path = write(tmp_path, "bad.csv", csv_bytes(rows))
    before = registry_counts()

    code = run_command("--town", CHASHAN, path)

    _, err = capsys.readouterr()
    assert code == 1
    assert "row 2, column relation: household H1 has 2 heads (rows 2, 3)" in err
    assert "row 3, column relation: household H1 has 2 heads (rows 2, 3)" in err
    assert "row 4, column joined_on: write the date as YYYY-MM-DD" in err
    assert "3 errors in 3 rows; nothing was written" in err
    assert registry_counts() == before


def test_command_repeat_import_exits_0_and_changes_nothing(tmp_path, capsys, run_command, db):
    path = write(tmp_path, "caseload.csv", csv_bytes(good_rows()))
    assert run_command("--town", CHASHAN, path) == 0
    before = registry_counts()
    imports_before = HouseholdImport.objects.count()
    capsys.readouterr()

    code = run_command("--town", CHASHAN, path)

    out, _ = capsys.readouterr()
    assert code == 0
    assert "was already imported into 茶山" in out
    assert registry_counts() == before
    assert HouseholdImport.objects.count() == imports_before


def test_command_unknown_town_exits_1_naming_the_option(tmp_path, capsys, run_command, db):
    path = write(tmp_path, "caseload.csv", csv_bytes(good_rows()))

    code = run_command("--town", "441900999", path)

    assert code == 1
    assert "--town: no town has the division code 441900999" in capsys.readouterr().err


def test_command_unknown_user_and_missing_file_are_errors(tmp_path, db):
    path = write(tmp_path, "caseload.csv", csv_bytes(good_rows()))
    with pytest.raises(CommandError, match="--user"):
        call_command("import_households", str(path), town=CHASHAN, user="nobody")
    with pytest.raises(CommandError, match="FILE"):
        call_command("import_households", str(tmp_path / "missing.csv"), town=CHASHAN)


def test_command_user_without_the_town_is_refused(tmp_path, worker_dalang):
    path = write(tmp_path, "caseload.csv", csv_bytes(good_rows()))

    with pytest.raises(CommandError, match="town: You may not register cases in this town"):
        call_command("import_households", str(path), town=CHASHAN, user="worker-dalang")
    assert not Household.objects.exists()


# The pages -------------------------------------------------------------------------------------


def upload(client, user, content: bytes, name="caseload.csv", town_slug="chashan"):
    client.force_login(user)
    return client.post(
        reverse("cases:import-upload"),
        {"town": town(town_slug).pk, "file": SimpleUploadedFile(name, content)},
        HTTP_ACCEPT_LANGUAGE="en",
    )


def test_upload_runs_the_import_and_the_status_page_shows_100_percent(
    client, worker_chashan, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, worker_chashan, csv_bytes(good_rows()))

    household_import = HouseholdImport.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("cases:import-status", args=[household_import.pk])
    assert household_import.actor == worker_chashan
    page = client.get(response.url, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'max="100" value="100"' in html
    assert '<dd data-testid="households-created">2</dd>' in html
    assert '<dd data-testid="persons-created">4</dd>' in html
    assert '<dd data-testid="rows-imported">4</dd>' in html
    progress = client.get(reverse("cases:import-progress", args=[household_import.pk])).json()
    assert progress | {"errors": None} == {
        "id": household_import.pk,
        "status": "done",
        "status_display": "Imported",
        "finished": True,
        "total_rows": 4,
        "processed_rows": 4,
        "percent": 100,
        "households_created": 2,
        "persons_created": 4,
        "errors": None,
    }
    assert Household.objects.filter(town__slug="chashan").count() == 2


def test_status_page_of_a_rejected_file_lists_every_bad_row(
    client, worker_chashan, django_capture_on_commit_callbacks
):
    rows = [member("H1", 1), member("H1", 2, "sibling", income_monthly="-1")]
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, worker_chashan, csv_bytes(rows))

    html = client.get(response.url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-testid="import-rejected"' in html
    assert "must not be negative" in html
    progress = client.get(response.url.rstrip("/") + "/progress/").json()
    assert progress["status"] == "rejected"
    assert progress["errors"] == [
        {"row": 3, "column": "income_monthly", "rule": "must not be negative"}
    ]


def test_pending_import_page_polls_the_progress_endpoint(client, worker_chashan):
    # Without running the on-commit task: what a real worker's user sees first.
    response = upload(client, worker_chashan, csv_bytes(good_rows()))

    html = client.get(response.url).content.decode()
    assert "<progress" in html
    assert 'data-progress-url="' + response.url + 'progress/"' in html
    # The polling script is a static file (the CSP allows no inline script).
    assert '<script src="/static/js/import-progress.js"></script>' in html
    assert "setTimeout(poll, 1000)" in Path(finders.find("js/import-progress.js")).read_text()
    assert client.get(response.url + "progress/").json()["status"] == "pending"


def test_uploading_the_same_file_again_shows_the_earlier_import(
    client, worker_chashan, django_capture_on_commit_callbacks
):
    content = csv_bytes(good_rows())
    with django_capture_on_commit_callbacks(execute=True):
        first = upload(client, worker_chashan, content)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        second = upload(client, worker_chashan, content, name="renamed.csv")

    assert second.url == first.url
    assert callbacks == []  # nothing enqueued
    assert HouseholdImport.objects.count() == 1
    assert Household.objects.count() == 2


def test_worker_of_another_town_cannot_see_the_import(
    client, worker_chashan, worker_dalang, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, worker_chashan, csv_bytes(good_rows()))
    pk = HouseholdImport.objects.get().pk

    client.force_login(worker_dalang)
    assert client.get(reverse("cases:import-status", args=[pk])).status_code == 404
    assert client.get(reverse("cases:import-progress", args=[pk])).status_code == 404
    assert response.url not in client.get(reverse("cases:import-upload")).content.decode()


def test_town_out_of_scope_is_refused(client, worker_chashan):
    response = upload(client, worker_chashan, csv_bytes(good_rows()), town_slug="dalang")

    assert response.status_code == 200
    assert response.context["form"].errors["town"]
    assert not HouseholdImport.objects.exists()


def test_read_only_roles_cannot_open_the_upload_page(client, finance, auditor, administrator):
    for user in (finance, auditor, administrator):
        client.force_login(user)
        assert client.get(reverse("cases:import-upload")).status_code == 403


def test_upload_page_offers_the_town_and_the_templates(client, worker_chashan):
    client.force_login(worker_chashan)

    response = client.get(reverse("cases:import-upload"))

    assert list(response.context["form"].fields["town"].queryset) == [town("chashan")]
    html = response.content.decode()
    assert reverse("cases:import-template", args=["xlsx"]) in html
    assert reverse("cases:import-template", args=["csv"]) in html


# The template ----------------------------------------------------------------------------------


def test_xlsx_template_has_the_header_an_example_household_and_notes(client, worker_chashan):
    client.force_login(worker_chashan)

    response = client.get(reverse("cases:import-template", args=["xlsx"]))

    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    members, notes = workbook.worksheets
    rows = list(members.iter_rows(values_only=True))
    assert list(rows[0]) == COLUMNS
    assert len(rows) == 3
    assert {row[0] for row in rows[1:]} == {"H0001"}
    assert notes.title == imports.NOTES_SHEET
    notes_rows = list(notes.iter_rows(values_only=True))
    assert [row[0] for row in notes_rows[1:]] == COLUMNS
    assert all(row[1] and row[2] in ("yes", "no") and row[3] for row in notes_rows[1:])


def test_csv_template_is_utf8_with_bom(client, worker_chashan):
    client.force_login(worker_chashan)

    response = client.get(reverse("cases:import-template", args=["csv"]))

    assert response.content.startswith(b"\xef\xbb\xbf")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0].split(",") == COLUMNS
    assert len(lines) == 3


def test_unknown_template_format_is_404(client, worker_chashan):
    client.force_login(worker_chashan)

    assert client.get(reverse("cases:import-template", args=["pdf"])).status_code == 404


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_the_template_example_imports_cleanly(tmp_path, worker_chashan, fmt):
    content = imports.template_xlsx() if fmt == "xlsx" else imports.template_csv()

    result = run_import(write(tmp_path, f"template.{fmt}", content), worker_chashan)

    assert result.status == HouseholdImport.Status.DONE, result.errors
    assert (result.households_created, result.persons_created) == (1, 2)


def test_documented_template_lists_every_column():
    text = DOCS.read_text(encoding="utf-8")

    for column in COLUMNS:
        assert f"| `{column}` |" in text


# The task --------------------------------------------------------------------------------------


def test_task_run_twice_gives_the_same_result(worker_chashan):
    household_import, _ = imports.household_import_create(
        actor=worker_chashan,
        town=town("chashan"),
        upload=SimpleUploadedFile("caseload.csv", csv_bytes(good_rows())),
    )

    first = import_households.delay(household_import.pk).get()
    counts = registry_counts()
    second = import_households.delay(household_import.pk).get()

    assert (
        first
        == second
        == {
            "id": household_import.pk,
            "status": "done",
            "households_created": 2,
            "persons_created": 4,
            "errors": 0,
        }
    )
    assert registry_counts() == counts
    assert AuditEvent.objects.filter(action="import").count() == 1


def test_task_rerun_of_a_rejected_import_keeps_the_report(worker_chashan):
    household_import, _ = imports.household_import_create(
        actor=worker_chashan,
        town=town("chashan"),
        upload=SimpleUploadedFile("bad.csv", csv_bytes([member(relation="child")])),
    )

    first = import_households.delay(household_import.pk).get()
    second = import_households.delay(household_import.pk).get()

    assert first == second
    assert first["status"] == "rejected" and first["errors"] == 1


def test_task_for_an_unknown_import_does_nothing(db):
    assert import_households.delay(987654).get() is None


def test_task_is_registered_under_its_explicit_name():
    assert import_households.name == "cases.import_households"


def test_second_import_of_the_same_file_pending_at_the_same_time_is_rejected(worker_chashan):
    content = csv_bytes(good_rows())
    first, _ = imports.household_import_create(
        actor=worker_chashan, town=town("chashan"), upload=SimpleUploadedFile("a.csv", content)
    )
    second, _ = imports.household_import_create(
        actor=worker_chashan, town=town("chashan"), upload=SimpleUploadedFile("b.csv", content)
    )

    imports.household_import_run(household_import_id=first.pk, today=TODAY)
    result = imports.household_import_run(household_import_id=second.pk, today=TODAY)

    assert result.status == HouseholdImport.Status.REJECTED
    assert "already imported into 茶山" in result.errors[0]["rule"]
    assert Household.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_progress_is_visible_to_the_status_page_while_the_file_is_written(worker_chashan):
    from django.db import DEFAULT_DB_ALIAS, connection

    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time: progress shows when the import commits")
    rows = [member(f"H{i}", i) for i in range(1, 41)]
    household_import, _ = imports.household_import_create(
        actor=worker_chashan,
        town=town("chashan"),
        upload=SimpleUploadedFile("caseload.csv", csv_bytes(rows)),
    )
    status_page = connections.create_connection(DEFAULT_DB_ALIAS)  # another request's view
    seen = []

    def look(processed, total):
        with status_page.cursor() as cursor:
            cursor.execute(
                "SELECT processed_rows FROM cases_householdimport WHERE id = %s",
                [household_import.pk],
            )
            seen.append(cursor.fetchone()[0])

    try:
        imports.household_import_run(household_import_id=household_import.pk, progress=look)
    finally:
        status_page.close()

    # Each look happens just before the next count is written: the page saw every step.
    assert seen == list(range(0, 40, 2))


def test_task_that_fails_unexpectedly_ends_the_import_as_rejected(worker_chashan, monkeypatch):
    household_import, _ = imports.household_import_create(
        actor=worker_chashan,
        town=town("chashan"),
        upload=SimpleUploadedFile("caseload.csv", csv_bytes(good_rows())),
    )

    def broken(**kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr(imports, "household_import_run", broken)

    with pytest.raises(RuntimeError):
        import_households.delay(household_import.pk)

    household_import.refresh_from_db()
    assert household_import.status == HouseholdImport.Status.REJECTED
    assert "unexpected error; nothing was written" in household_import.errors[0]["rule"]


def test_town_no_longer_in_use_is_refused(worker_chashan):
    from django.core.exceptions import ValidationError

    chashan = town("chashan")
    chashan.valid_to = datetime.date(2020, 1, 1)
    chashan.save()

    with pytest.raises(ValidationError) as exc:
        imports.household_import_create(
            actor=worker_chashan,
            town=chashan,
            upload=SimpleUploadedFile("caseload.csv", csv_bytes(good_rows())),
        )
    assert exc.value.message_dict == {"town": ["This town is no longer in use."]}


def test_upload_whose_import_fails_shows_the_failure_on_the_status_page(
    client, worker_chashan, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(**kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr(imports, "household_import_run", broken)

    # The task is enqueued as a robust on-commit callback: its failure is logged, not raised.
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, worker_chashan, csv_bytes(good_rows()))

    assert response.status_code == 302
    html = client.get(response.url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "unexpected error; nothing was written" in html
