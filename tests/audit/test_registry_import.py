"""Importing partner extracts (audit/imports.py, REGISTRIES.md): every rule of a row named by
spreadsheet row, column and rule; a bad file refused whole; the same file recognised; a new file
replacing the old; unknown people dropped; hashed keys; the authorisation gate; names that
differ; the command. On PostgreSQL a CSV goes through COPY and set-based SQL, elsewhere through
Python: both must report the same problems in the same words."""

import datetime
import io
import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from openpyxl import Workbook

from audit import imports
from audit.keys import hash_id
from audit.models import Extract, PersonKey, RegistryRecord, Source
from tests.factories import AuthorisationFactory, PersonFactory, make_id_number

pytestmark = pytest.mark.django_db

PERIOD = datetime.date(2026, 11, 1)


def csv_bytes(lines: list[str], bom: bool = False) -> io.BytesIO:
    data = ("\n".join(lines) + "\n").encode()
    return io.BytesIO((b"\xef\xbb\xbf" if bom else b"") + data)


def xlsx_bytes(lines: list[str]) -> io.BytesIO:
    workbook = Workbook()
    sheet = workbook.active
    for line in lines:
        sheet.append(line.split(",") if line else [])
    out = io.BytesIO()
    workbook.save(out)
    out.seek(0)
    return out


def run(lines, source="deposits", period=PERIOD, actor=None, form=csv_bytes, name="f.csv"):
    return imports.extract_import(
        actor=actor,
        source=Source.objects.get(code=source),
        period=period,
        file=form(lines),
        file_name=name,
    )


def authorised(person, scope="all", **kwargs):
    return AuthorisationFactory(person=person, signer_name=person.name, scope=scope, **kwargs)


@pytest.fixture
def people():
    """Three people Relief knows; the first two authorised for everything."""
    found = [PersonFactory(name=f"王{i}") for i in range(3)]
    authorised(found[0])
    authorised(found[1])
    return found


HEADER = "身份证号,姓名,机构,余额,余额日期"


def test_a_good_file_is_imported_with_its_counts(people):
    a, b, c = people
    stranger = make_id_number(901, datetime.date(1990, 5, 5))
    result = run(
        [
            HEADER,
            f"{a.id_number},{a.name},工商银行,1200.50,2026-11-30",
            "",
            f"{b.id_number.lower()},别名,农业银行,30000,2026-11-30",
            f"{c.id_number},{c.name},建设银行,5.1,2026-11-30",
            f"{stranger},路人,建设银行,9.99,2026-11-30",
        ]
    )

    extract = result.extract
    assert result.imported and extract.state == Extract.State.IMPORTED
    assert result.summary() == {
        "source": "deposits",
        "period": "2026-11",
        "rows": 4,
        "matched": 3,
        "dropped_unknown": 1,
        "set_aside_unauthorised": 1,
        "names_differ": 1,
        "sha256": extract.sha256,
        "imported": True,
    }
    records = {r.person_id: r for r in RegistryRecord.objects.filter(extract=extract)}
    assert set(records) == {a.pk, b.pk, c.pk}  # the stranger is never stored
    assert records[a.pk].row_number == 2
    assert records[b.pk].row_number == 4  # the blank row 3 still counts
    assert records[a.pk].amount == Decimal("1200.50")
    assert records[a.pk].institution == "工商银行"
    assert records[a.pk].on_date == datetime.date(2026, 11, 30)
    assert records[b.pk].name_differs and not records[a.pk].name_differs
    assert records[c.pk].authorised is False and records[a.pk].authorised is True


def test_a_bom_and_crlf_line_ends_are_read(people):
    a = people[0]
    data = f"{HEADER}\r\n{a.id_number},{a.name},工行,1.00,2026-11-01\r\n\r\n".encode()

    result = imports.extract_import(
        actor=None,
        source=Source.objects.get(code="deposits"),
        period=PERIOD,
        file=io.BytesIO(b"\xef\xbb\xbf" + data),
    )

    assert result.extract.rows == 1 and result.extract.matched == 1


BAD_FILE = [
    HEADER,
    "{good},王0,工商银行,1200.50,2026-11-30",
    "110105194912310021,王0,工商银行,1.00,2026-11-30",  # wrong check character
    "1101051949123100,王0,工商银行,1.00,2026-11-30",  # too short
    "",
    "{good},,工商银行,12.345,2026-11-30",  # three decimals
    "{good},,工商银行,1,200.00,2026-11-30",  # a thousands separator: one cell too many
    "{good},,,-5,2026-02-30",  # institution missing, negative, not a real date
    "{good},,工商银行,5,2026/11/30",  # not YYYY-MM-DD
    ",王0,工商银行,5,2026-11-30",  # no key
]


def bad_lines(people):
    return [line.replace("{good}", people[0].id_number) for line in BAD_FILE]


EXPECTED_PROBLEMS = [
    (3, "身份证号", "the check character of the ID number is wrong (GB 11643)"),
    (4, "身份证号", "an ID number has 17 digits followed by a digit or X"),
    (6, "余额", "write a plain amount in yuan with at most two decimals, such as 12345.60"),
    (7, "", "the row has more cells than the header row has columns"),
    (8, "机构", "a value is required"),
    (8, "余额", "write a plain amount in yuan with at most two decimals, such as 12345.60"),
    (8, "余额日期", "is not a real date"),
    (9, "余额日期", "write the date as YYYY-MM-DD, such as 2024-03-01"),
    (10, "身份证号", "a value is required"),
]


@pytest.mark.parametrize("form", [csv_bytes, xlsx_bytes], ids=["csv", "xlsx"])
def test_every_bad_row_is_named_and_nothing_is_stored(people, form):
    result = run(bad_lines(people), form=form)

    assert result.rejected and not result.imported
    assert [(e["row"], e["column"], e["rule"]) for e in result.extract.errors] == EXPECTED_PROBLEMS
    assert not RegistryRecord.objects.exists()


def test_the_sql_and_python_forms_report_the_same_problems(people):
    if connection.vendor != "postgresql":
        pytest.skip("the COPY form runs on PostgreSQL only")
    # Without the row of too many cells, COPY takes the file and the SQL checks run.
    lines = [line for line in bad_lines(people) if "1,200" not in line]
    lines += [
        "{},,工商银行,5,2026-11-30".format("ｂ" * 64),  # not hex even after NFKC
        "{},,{},5,2026-11-30".format(people[0].id_number, "长" * 101),
    ]
    data = ("\n".join(lines) + "\n").encode()
    source = Source.objects.get(code="deposits")

    sql = imports.extract_import(actor=None, source=source, period=PERIOD, file=io.BytesIO(data))
    rules, _parsed, problems = imports.check_rows_python(
        source, imports.reading.iter_rows(data, max_rows=10_000)
    )

    python_errors = [p.as_dict() for p in sorted(problems, key=lambda p: p.row)]
    assert sql.extract.errors == python_errors
    assert [e["row"] for e in sql.extract.errors][-2:] == [10, 11]


@pytest.mark.parametrize(
    ("source", "header", "row", "column", "rule"),
    [
        (
            "property",
            "身份证号,不动产单元号,用途,登记日期",
            "X,商铺,2020-01-01",
            "用途",
            "must be one of: 住宅, 非住宅",
        ),
        (
            "vehicles",
            "身份证号,号牌号码,车辆类型,登记日期",
            "粤S1,飞机,2020-01-01",
            "车辆类型",
            "must be one of: 汽车, 摩托车, 残疾人专用车, 其他",
        ),
        (
            "hukou_moves",
            "身份证号,迁出日期,迁往地区",
            "2026-11-02,44190",
            "迁往地区",
            "must be a 6-digit division code",
        ),
        (
            "low_income",
            "身份证号,家庭编号,家庭人口,月人均收入,所在镇街",
            "H1,3,500.00,4419001",
            "所在镇街",
            "must be a 9-digit town code",
        ),
        (
            "low_income",
            "身份证号,家庭编号,家庭人口,月人均收入,所在镇街",
            "H1,三,500.00,441900103",
            "家庭人口",
            "must be a whole number from 0 to 999",
        ),
        (
            "social_insurance",
            "身份证号,险种,月金额,起始月",
            "养老,1500.00,2026-13",
            "起始月",
            "write the month as YYYY-MM, such as 2024-03",
        ),
    ],
)
def test_each_sources_rules(people, source, header, row, column, rule):
    result = run([header, f"{people[0].id_number},{row}"], source=source)

    assert result.extract.errors == [{"row": 2, "column": column, "rule": rule}]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (
            "姓名,机构,余额,余额日期",
            [(1, "", "the file needs exactly one key column: 身份证号 or 身份证号哈希")],
        ),
        (
            "身份证号,身份证号哈希,机构,余额,余额日期",
            [(1, "", "the file needs exactly one key column: 身份证号 or 身份证号哈希")],
        ),
        (
            "身份证号,机构,余额",
            [(1, "余额日期", "this column of the source is missing from the header row")],
        ),
        (
            "身份证号,机构,余额,余额日期,备注",
            [
                (
                    1,
                    "备注",
                    "unknown column; this source's columns are: 身份证号, 姓名, 机构, 余额, 余额日期",
                )
            ],
        ),
    ],
)
def test_the_header_is_checked(people, header, expected):
    columns = header.count(",") + 1
    result = run([header, ",".join([people[0].id_number] + ["x"] * (columns - 1))])

    assert [(e["row"], e["column"], e["rule"]) for e in result.extract.errors] == expected
    assert result.rejected


def test_the_same_file_again_changes_nothing(people):
    lines = [HEADER, f"{people[0].id_number},王0,工商银行,1.00,2026-11-30"]
    first = run(lines)

    again = run(lines)

    assert again.already and not again.imported
    assert again.extract == first.extract
    assert Extract.objects.count() == 1 and RegistryRecord.objects.count() == 1


def test_a_new_file_replaces_the_earlier_one(people):
    received = []
    imports.extract_imported.connect(lambda **kw: received.append(kw), weak=False)
    first = run([HEADER, f"{people[0].id_number},王0,工商银行,1.00,2026-11-30"]).extract

    second = run([HEADER, f"{people[1].id_number},王1,工商银行,2.00,2026-11-30"]).extract

    first.refresh_from_db()
    assert first.state == Extract.State.REPLACED and first.replaced_by == second
    # The replaced extract keeps its records (the evidence of its findings); readers use the
    # live ones only.
    assert list(RegistryRecord.objects.current().values_list("extract_id", "person_id")) == [
        (second.pk, people[1].pk)
    ]
    assert first.records.count() == 1
    assert received[-1]["extract"] == second and received[-1]["replaced"] == first
    # Another month is another extract: nothing replaced.
    other = run(
        [HEADER, f"{people[1].id_number},王1,工商银行,2.00,2026-10-30"],
        period=datetime.date(2026, 10, 1),
    )
    assert other.imported and received[-1]["replaced"] is None


@pytest.mark.parametrize("form", [csv_bytes, xlsx_bytes])
def test_a_finding_keeps_the_record_of_a_replaced_extract(people, form):
    from tests.audit.factories import FindingFactory

    first = run([HEADER, f"{people[0].id_number},王0,工商银行,1.00,2026-11-30"], form=form)
    evidence = first.extract.records.get()
    finding = FindingFactory(period=PERIOD, record=evidence, extract=first.extract)

    run([HEADER, f"{people[0].id_number},王0,工商银行,2.00,2026-11-30"], form=form)

    finding.refresh_from_db()
    assert finding.record == evidence and evidence.amount == Decimal("1.00")
    assert list(RegistryRecord.objects.current().values_list("amount", flat=True)) == [
        Decimal("2.00")
    ]


def test_a_rejected_file_replaces_nothing(people):
    good = run([HEADER, f"{people[0].id_number},王0,工商银行,1.00,2026-11-30"]).extract

    run([HEADER, f"{people[0].id_number},王0,工商银行,x,2026-11-30"])

    good.refresh_from_db()
    assert good.state == Extract.State.IMPORTED and good.records.count() == 1


@pytest.mark.parametrize("upper", [False, True])
def test_hashed_keys_are_matched(people, upper):
    a = people[0]
    digest = hash_id(a.id_number)
    unknown = hash_id(make_id_number(5, datetime.date(1999, 1, 1)))
    result = run(
        [
            "身份证号哈希,机构,余额,余额日期",
            f"{digest.upper() if upper else digest},工商银行,100.00,2026-11-30",
            f"{unknown},工商银行,100.00,2026-11-30",
        ]
    )

    assert result.extract.keyed_by_hash
    assert (result.extract.matched, result.extract.dropped_unknown) == (1, 1)
    record = RegistryRecord.objects.get()
    assert record.person == a and record.key_hash == digest
    assert PersonKey.objects.get(person=a).key_hash == digest


def test_a_bad_hash_is_named(people):
    result = run(["身份证号哈希,机构,余额,余额日期", "abc,工商银行,100.00,2026-11-30"])

    assert result.extract.errors == [
        {
            "row": 2,
            "column": "身份证号哈希",
            "rule": "must be 64 hexadecimal digits (HMAC-SHA256 of the ID number)",
        }
    ]


def test_hash_id_is_hmac_sha256_of_the_upper_case_number(settings):
    import hashlib
    import hmac

    settings.MATCHING_KEY = "k" * 32
    number = (
        make_id_number(7).replace(make_id_number(7)[-1], "X") if False else "11010519491231002X"
    )
    expected = hmac.new(b"k" * 32, number.encode(), hashlib.sha256).hexdigest()

    assert hash_id(number.lower()) == expected
    assert len(expected) == 64 and expected == expected.lower()


@pytest.mark.parametrize(
    ("scope", "valid_until", "revoked_on", "signed_on", "used"),
    [
        ("all", None, None, datetime.date(2025, 1, 1), True),
        ("bank", None, None, datetime.date(2025, 1, 1), True),
        ("bank", datetime.date(2026, 11, 1), None, datetime.date(2025, 1, 1), True),
        ("bank", datetime.date(2026, 10, 31), None, datetime.date(2025, 1, 1), False),  # expired
        ("property", None, None, datetime.date(2025, 1, 1), False),  # wrong scope
        ("all", None, datetime.date(2026, 11, 1), datetime.date(2025, 1, 1), False),  # revoked
        ("all", None, None, datetime.date(2026, 11, 2), False),  # signed after the 1st
    ],
)
def test_the_authorisation_gate(scope, valid_until, revoked_on, signed_on, used):
    person = PersonFactory()
    authorised(
        person, scope=scope, valid_until=valid_until, revoked_on=revoked_on, signed_on=signed_on
    )

    result = run([HEADER, f"{person.id_number},,工商银行,1.00,2026-11-30"])

    assert result.extract.set_aside_unauthorised == (0 if used else 1)
    assert RegistryRecord.objects.get().authorised is used


def test_the_low_income_list_needs_no_authorisation_and_keeps_unknown_households():
    person = PersonFactory()  # no authorisation at all
    stranger = make_id_number(77, datetime.date(1985, 3, 3))

    result = run(
        [
            "身份证号,家庭编号,家庭人口,月人均收入,所在镇街",
            f"{person.id_number},H1,3,500.00,441900103",
            f"{stranger},H2,2,400.00,441900103",
        ],
        source="low_income",
    )

    extract = result.extract
    assert (extract.matched, extract.set_aside_unauthorised, extract.dropped_unknown) == (1, 0, 0)
    known, unknown = RegistryRecord.objects.order_by("row_number")
    assert known.person == person and known.authorised and known.size == 3
    assert unknown.person is None and unknown.key_hash == hash_id(stranger)
    assert unknown.region == "441900103" and unknown.amount == Decimal("400.00")


def test_every_source_imports_a_good_row(people):
    a = people[0]
    rows = {
        "securities": ("机构,市值,日期", "华泰证券,100.00,2026-11-30"),
        "insurance": ("机构,现金价值,日期", "平安,100.00,2026-11-30"),
        "property": ("不动产单元号,用途,登记日期", "U1,住宅,2020-01-01"),
        "vehicles": ("号牌号码,车辆类型,登记日期", "粤S1,摩托车,2020-01-01"),
        "business": (
            "统一社会信用代码,主体类型,角色,成立日期,状态",
            "9144,个体工商户,经营者,2020-01-01,存续",
        ),
        "deaths": ("死亡日期", "2026-11-02"),
        "hukou_moves": ("迁出日期,迁往地区", "2026-11-02,110105"),
        "social_insurance": ("险种,月金额,起始月", "养老,1500.00,2026-03"),
    }
    for code, (header, row) in rows.items():
        result = run([f"身份证号,{header}", f"{a.id_number},{row}"], source=code)
        assert result.imported, (code, result.extract.errors)
    business = RegistryRecord.objects.get(source__code="business")
    assert (business.category, business.role, business.status) == ("个体工商户", "经营者", "存续")
    assert RegistryRecord.objects.get(source__code="social_insurance").from_month == datetime.date(
        2026, 3, 1
    )
    assert RegistryRecord.objects.get(source__code="hukou_moves").region == "110105"


def test_a_full_width_id_number_is_read(people):
    a = people[0]
    full_width = a.id_number.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))

    result = run([HEADER, f"{full_width},,工商银行,1.00,2026-11-30"])

    assert result.extract.matched == 1


def test_a_gb18030_file_is_read_by_the_python_form(people):
    a = people[0]
    data = f"{HEADER}\n{a.id_number},王0,工商银行,1.00,2026-11-30\n".encode("gb18030")

    result = imports.extract_import(
        actor=None, source=Source.objects.get(code="deposits"), period=PERIOD, file=io.BytesIO(data)
    )

    assert result.imported and result.extract.matched == 1


def test_quoted_cells_and_blank_lines_keep_their_row_numbers(people):
    a = people[0]
    data = (
        f'{HEADER}\n\n{a.id_number},"王0","工商\n银行",1.00,2026-11-30\n\n\n'
        f"{a.id_number},王0,工商银行,x,2026-11-30\n"
    ).encode()

    result = imports.extract_import(
        actor=None, source=Source.objects.get(code="deposits"), period=PERIOD, file=io.BytesIO(data)
    )

    assert result.extract.errors == [
        {
            "row": 6,
            "column": "余额",
            "rule": "write a plain amount in yuan with at most two decimals, such as 12345.60",
        }
    ]


def test_more_than_the_caseload_cap_is_imported(people, monkeypatch):
    # The caseload import stops at 100,000 rows; here the reader's cap does not apply.
    monkeypatch.setattr(imports.reading, "MAX_ROWS", 3)
    a = people[0]
    lines = [HEADER] + [f"{a.id_number},王0,银行{i},1.00,2026-11-30" for i in range(6)]

    assert run(lines).extract.rows == 6


def test_the_uploader_must_be_a_provider_or_an_administrator(
    people, worker_chashan, registry_provider
):
    from django.core.exceptions import PermissionDenied

    lines = [HEADER, f"{people[0].id_number},王0,工商银行,1.00,2026-11-30"]
    with pytest.raises(PermissionDenied):
        run(lines, actor=worker_chashan)
    assert run(lines, actor=registry_provider).extract.uploaded_by == registry_provider


def test_a_provider_uploads_only_its_own_sources(people, registry_provider):
    """A provider uploading for another agency's source is refused, naming the field; the
    other agency's extract stays as it was (nothing replaced, no findings closed)."""
    from django.core.exceptions import ValidationError

    from tests.factories import staff_user

    lines = [HEADER, f"{people[0].id_number},王0,工商银行,1.00,2026-11-30"]
    real = run(lines, actor=registry_provider).extract
    insurer = staff_user("provider-insurer", "registry_provider")
    insurer.registry_sources.set(Source.objects.filter(code="insurance"))

    with pytest.raises(ValidationError) as caught:
        run([HEADER, f"{people[1].id_number},王1,工商银行,9.00,2026-11-30"], actor=insurer)

    assert list(caught.value.message_dict) == ["source"]
    assert "deposits" in caught.value.message_dict["source"][0]
    real.refresh_from_db()
    assert real.state == Extract.State.IMPORTED and Extract.objects.count() == 1
    # The administrator delivers any source (the command without --user too).
    assert run(lines + [f"{people[1].id_number},王1,工商银行,2.00,2026-11-30"]).imported


def test_the_same_file_of_another_uploader_is_only_already_imported(
    people, registry_provider, administrator
):
    lines = [HEADER, f"{people[0].id_number},王0,工商银行,1.00,2026-11-30"]
    first = run(lines, actor=administrator).extract

    again = run(lines, actor=registry_provider)

    # The service names the extract (the callers show it only to whom may see it: the API
    # and the page check audit.selectors.extracts_visible).
    assert again.already and again.extract == first and not again.imported
    assert Extract.objects.count() == 1


# The command -----------------------------------------------------------------------------------


def command(tmp_path, lines, *extra):
    path = tmp_path / "deposits.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(
            "import_registry",
            str(path),
            "--source",
            "deposits",
            "--period",
            "2026-11",
            *extra,
            stdout=out,
            stderr=err,
        )
        code = 0
    except CommandError as exc:
        code = exc.returncode
    return code, out.getvalue(), err.getvalue()


def test_the_command_imports_then_recognises_the_same_file(tmp_path, people, registry_provider):
    lines = [HEADER, f"{people[0].id_number},王0,工商银行,1.00,2026-11-30"]

    code, out, _err = command(tmp_path, lines, "--user", registry_provider.username)

    assert code == 0
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["imported"] is True and summary["rows"] == 1 and summary["matched"] == 1
    assert set(summary) >= {
        "source",
        "period",
        "rows",
        "matched",
        "dropped_unknown",
        "set_aside_unauthorised",
        "sha256",
        "imported",
    }
    assert Extract.objects.get().uploaded_by == registry_provider

    code, out, _err = command(tmp_path, lines)

    assert code == 0 and "already imported" in out
    assert json.loads(out.strip().splitlines()[-1])["imported"] is False


def test_the_command_refuses_a_provider_another_agencys_source(tmp_path, people):
    from tests.factories import staff_user

    insurer = staff_user("provider-insurer", "registry_provider")
    lines = [HEADER, f"{people[0].id_number},王0,工商银行,1.00,2026-11-30"]
    path = tmp_path / "deposits.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    with pytest.raises(CommandError, match="^--source: .*deposits"):
        call_command(
            "import_registry",
            str(path),
            "--source",
            "deposits",
            "--period",
            "2026-11",
            "--user",
            insurer.username,
            stdout=io.StringIO(),
        )
    assert not Extract.objects.exists()


def test_the_command_exits_1_with_the_report(tmp_path, people):
    code, out, err = command(tmp_path, [HEADER, f"{people[0].id_number},王0,工商银行,x,2026-11-30"])

    assert code == 1
    assert "row 2, column 余额: write a plain amount" in err
    assert json.loads(out.strip().splitlines()[-1])["imported"] is False
    assert not RegistryRecord.objects.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--source", "nope", "--period", "2026-11"], "--source"),
        (["--source", "deposits", "--period", "2026-13"], "--period"),
        (["--source", "deposits", "--period", "2026-11", "--user", "ghost"], "--user"),
    ],
)
def test_the_command_names_a_bad_argument(tmp_path, args, message):
    path = tmp_path / "f.csv"
    path.write_text(HEADER + "\n")
    with pytest.raises(CommandError, match=message):
        call_command("import_registry", str(path), *args)


@pytest.mark.parametrize("chunk", [7, 16, 64])
@pytest.mark.parametrize("crlf", [False, True])
def test_rows_keep_their_numbers_across_copy_chunks(people, monkeypatch, chunk, crlf):
    # COPY gets the file in pieces cut at line ends; blank lines and a quoted cell holding line
    # breaks must keep the reader's row numbers wherever the pieces are cut.
    from audit.imports import postgres

    monkeypatch.setattr(postgres, "CHUNK", chunk)
    read_by_python = []
    python_form = imports.check_rows_python
    monkeypatch.setattr(
        imports, "check_rows_python", lambda *a: read_by_python.append(1) or python_form(*a)
    )
    a = people[0]
    text = (
        f'\ufeff{HEADER}\n\n{a.id_number},王0,"工商\n\n银行",1.00,2026-11-30\n\n'
        f"{a.id_number},王0,工商银行,1.00,2026-11-30\n\n\n"
        f"{a.id_number},王0,工商银行,x,2026-11-30\n"
    )
    if crlf:  # Excel's line ends; a line break inside a cell stays a bare LF
        text = text.replace("\n\n银行", "\0").replace("\n", "\r\n").replace("\0", "\n\n银行")
    data = text.encode()

    result = imports.extract_import(
        actor=None, source=Source.objects.get(code="deposits"), period=PERIOD, file=io.BytesIO(data)
    )

    rule = "write a plain amount in yuan with at most two decimals, such as 12345.60"
    assert result.extract.errors == [{"row": 8, "column": "余额", "rule": rule}]
    fixed = data.replace(b",x,", b",2.00,")
    result = imports.extract_import(
        actor=None,
        source=Source.objects.get(code="deposits"),
        period=PERIOD,
        file=io.BytesIO(fixed),
    )
    assert list(
        RegistryRecord.objects.order_by("row_number").values_list("row_number", "institution")
    ) == [(3, "工商\n\n银行"), (5, "工商银行"), (8, "工商银行")]
    # On PostgreSQL both files went through COPY, not the Python form.
    assert read_by_python == ([] if connection.vendor == "postgresql" else [1, 1])


def test_mixed_line_ends_are_read_by_the_python_form(people):
    # COPY refuses a file whose line ends change style; the Python form reads it instead.
    a = people[0]
    data = f"{HEADER}\r\n\n{a.id_number},王0,工商银行,1.00,2026-11-30\r\n".encode()

    result = imports.extract_import(
        actor=None, source=Source.objects.get(code="deposits"), period=PERIOD, file=io.BytesIO(data)
    )

    assert result.imported and RegistryRecord.objects.get().row_number == 3


def test_the_python_form_stores_in_batches_and_keeps_no_rows(people, monkeypatch):
    """XLSX and the fallback are streamed: the check keeps counts and the listed problems only,
    the rows are stored STORE_ROWS at a time (here 2) with the same counts."""
    from audit.imports import rules as import_rules

    monkeypatch.setattr(import_rules, "STORE_ROWS", 2)
    a, b, c = people
    lines = [HEADER] + [
        f"{person.id_number},{name},银行{i},1.00,2026-11-30"
        for i, (person, name) in enumerate(
            [(a, "王0"), (b, "别名"), (c, "王2"), (a, "王0"), (b, "王1")]
        )
    ]

    result = run(lines, form=xlsx_bytes, name="f.xlsx")

    extract = result.extract
    assert (
        extract.rows,
        extract.matched,
        extract.set_aside_unauthorised,
        extract.names_differ,
    ) == (
        5,
        5,
        1,
        1,
    )
    assert sorted(extract.records.values_list("row_number", flat=True)) == [2, 3, 4, 5, 6]


def test_the_python_check_lists_the_first_problems_and_counts_the_rest(people, monkeypatch):
    from audit.imports import rules as import_rules

    monkeypatch.setattr(import_rules, "MAX_LISTED", 2)
    monkeypatch.setattr(imports, "MAX_LISTED", 2)
    lines = [HEADER] + [",王0,工商银行,x,2026-11-30" for _ in range(3)]

    rules, tally, problems = imports.check_rows_python(
        Source.objects.get(code="deposits"), imports.reading.iter_rows(xlsx_bytes(lines))
    )

    assert (tally.rows, tally.problems) == (3, 6)
    assert [(p.row, p.column) for p in problems] == [(2, "身份证号"), (2, "余额")]
    result = run(lines, form=xlsx_bytes, name="f.xlsx")
    assert result.problem_count == 6 and result.extract.rows == 3
    assert len(result.extract.errors) == 3 and result.extract.errors[-1]["row"] == 0
