"""Bank-file export (payments/bankfiles.py): rows per 序号, totals line, full numbers, finance
only, the BankFile record and the audit event."""

import datetime
import hashlib
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from openpyxl import load_workbook

from payments.bankfiles import bank_file_export
from payments.models import BankFile, BankFileLayout, Batch, PaymentLine
from relief.models import AuditEvent
from tests.payments.bank_helpers import (
    batch_of,
    batch_with_rows,
    line,
    paying_grants,
    read_csv,
)

pytestmark = pytest.mark.django_db


def export(actor, batch, fmt="csv", **kwargs):
    name, chunks, bank_file = bank_file_export(actor=actor, batch=batch, fmt=fmt, **kwargs)
    return name, b"".join(chunks), bank_file


def test_csv_has_a_row_per_seq_with_full_numbers_and_a_totals_line(finance):
    batch, grants = batch_with_rows()
    name, content, _file = export(finance, batch)

    rows = read_csv(content)
    assert content.count(b"\r\n") == 5  # header, 3 rows, totals: CRLF line ends
    assert rows[0] == ["序号", "户名", "账号", "金额", "身份证号", "摘要"]
    first_grant, first_account = grants[0]
    assert rows[1] == [
        "1",
        first_account.account_holder,
        "6222000000000001",
        "1600.00",
        first_account.payee.id_number,
        "2026-12 低保",
    ]
    assert [r[3] for r in rows[1:4]] == ["1600.00", "1450.00", "980.50"]
    assert rows[4] == ["合计", "3", "4030.50", "", "", ""]
    assert name == f"relief-batch-{batch.pk}-{batch.town.code}-2026-12-monthly.csv"


def test_lines_of_one_grant_share_a_row_that_pays_their_sum_net_of_the_deduction(finance):
    batch = batch_of()
    (grant, account), (other, other_account) = paying_grants(2)
    line(batch, grant, account, seq=1, amount="1600.00")
    line(batch, grant, account, seq=1, amount="300.00", kind=PaymentLine.Kind.BACKPAY)
    line(batch, grant, account, seq=1, amount="-480.00", kind=PaymentLine.Kind.DEDUCTION)
    line(batch, other, other_account, seq=2, amount="1450.00")

    _name, content, bank_file = export(finance, batch)

    rows = read_csv(content)
    assert [(r[0], r[3]) for r in rows[1:-1]] == [("1", "1420.00"), ("2", "1450.00")]
    assert rows[-1][:3] == ["合计", "2", "2870.00"]
    assert (bank_file.rows, bank_file.total_amount) == (2, Decimal("2870.00"))


def test_a_reissued_line_of_an_earlier_month_shows_both_months_in_the_memo(finance):
    batch = batch_of()
    [(grant, account)] = paying_grants(1)
    line(batch, grant, account, seq=1, amount="1600.00")
    line(batch, grant, account, seq=1, amount="1600.00", period=datetime.date(2026, 11, 1))

    rows = read_csv(export(finance, batch)[1])

    assert rows[1][3:] == [
        "3200.00",
        grant.household.memberships.get(relation="head").person.id_number,
        "2026-11~2026-12 低保",
    ]


def test_export_records_hash_size_rows_exporter_and_an_audit_event(finance):
    batch, _grants = batch_with_rows()
    now = datetime.datetime(2026, 11, 26, 9, 30, tzinfo=datetime.UTC)

    _name, content, bank_file = export(finance, batch, now=now)

    bank_file.refresh_from_db()
    assert bank_file.sha256 == hashlib.sha256(content).hexdigest()
    assert bank_file.size == len(content)
    assert (bank_file.rows, bank_file.total_amount) == (3, Decimal("4030.50"))
    assert (bank_file.exported_by, bank_file.exported_at, bank_file.format) == (finance, now, "csv")
    assert bank_file.layout.is_default
    event = AuditEvent.objects.get(action="export")
    assert (event.actor, event.object_type, event.object_id) == (
        finance,
        "payments.bankfile",
        str(bank_file.pk),
    )
    assert event.town_code == batch.town.code
    assert event.data["sha256"] == bank_file.sha256
    assert event.data["total_amount"] == "4030.50"


@pytest.mark.parametrize(
    "persona",
    ["worker_chashan", "supervisor_chashan", "city_supervisor", "auditor", "administrator"],
)
def test_only_finance_exports_a_bank_file(persona, request):
    batch, _grants = batch_with_rows()
    with pytest.raises(PermissionDenied):
        export(request.getfixturevalue(persona), batch)
    assert not BankFile.objects.exists()
    assert not AuditEvent.objects.filter(action="export").exists()


@pytest.mark.parametrize("state", [Batch.State.DRAFT, Batch.State.SUBMITTED])
def test_a_batch_not_yet_approved_has_no_bank_file(finance, state):
    batch, _grants = batch_with_rows(state=state)
    with pytest.raises(ValidationError) as error:
        export(finance, batch)
    assert "state" in error.value.message_dict
    assert not BankFile.objects.exists()


@pytest.mark.parametrize("state", [Batch.State.SENT, Batch.State.RECONCILED])
def test_a_sent_or_reconciled_batch_may_be_downloaded_again(finance, state):
    batch, _grants = batch_with_rows(state=state)
    assert read_csv(export(finance, batch)[1])[-1][:3] == ["合计", "3", "4030.50"]


def test_reversed_lines_are_left_out_and_failed_ones_kept_for_the_re_download(finance):
    batch, grants = batch_with_rows(state=Batch.State.RECONCILED)
    batch.lines.filter(seq=2).update(status=PaymentLine.Status.FAILED)
    grant, account = grants[0]
    line(
        batch,
        grant,
        account,
        seq=1,
        amount="300.00",
        kind=PaymentLine.Kind.BACKPAY,
        status=PaymentLine.Status.REVERSED,
    )

    rows = read_csv(export(finance, batch)[1])

    assert [r[3] for r in rows[1:-1]] == ["1600.00", "1450.00", "980.50"]


def test_unknown_format_is_refused(finance):
    batch, _grants = batch_with_rows()
    with pytest.raises(ValidationError) as error:
        export(finance, batch, fmt="pdf")
    assert "format" in error.value.message_dict


def test_a_row_that_pays_nothing_stops_the_export_and_nothing_is_recorded(finance):
    batch = batch_of()
    [(grant, account)] = paying_grants(1)
    line(batch, grant, account, seq=1, amount="100.00")
    line(batch, grant, account, seq=1, amount="-100.00", kind=PaymentLine.Kind.DEDUCTION)
    with pytest.raises(ValidationError, match="must pay more than 0"):
        export(finance, batch)
    assert not BankFile.objects.exists()
    assert not AuditEvent.objects.filter(action="export").exists()


def test_lines_without_a_row_number_stop_the_export(finance):
    batch = batch_of()
    [(grant, account)] = paying_grants(1)
    line(batch, grant, account, seq=0, amount="100.00")
    with pytest.raises(ValidationError, match="no row number"):
        export(finance, batch)


def test_a_row_mixing_two_grants_stops_the_export(finance):
    batch = batch_of()
    (grant, account), (other, other_account) = paying_grants(2)
    line(batch, grant, account, seq=1, amount="100.00")
    line(batch, other, other_account, seq=1, amount="100.00")
    with pytest.raises(ValidationError, match="more than one grant"):
        export(finance, batch)


def test_an_empty_batch_has_no_bank_file(finance):
    with pytest.raises(ValidationError, match="no lines"):
        export(finance, batch_of())


def test_a_layout_chooses_and_orders_the_columns(finance):
    batch, grants = batch_with_rows(("1600.00",))
    layout = BankFileLayout.objects.create(
        name="农商行",
        columns=[
            {"header": "账号", "field": "account_number"},
            {"header": "金额", "field": "amount"},
            {"header": "序号", "field": "seq"},
            {"header": "开户行", "field": "bank_name"},
            {"header": "镇街", "field": "town"},
            {"header": "期间", "field": "period"},
        ],
    )

    _name, content, bank_file = export(finance, batch, layout=layout)

    rows = read_csv(content)
    assert rows[0] == ["账号", "金额", "序号", "开户行", "镇街", "期间"]
    assert rows[1] == [
        "6222000000000001",
        "1600.00",
        "1",
        "中国农业银行",
        batch.town.name,
        "2026-12",
    ]
    assert bank_file.layout == layout


@pytest.mark.parametrize(
    "columns,problem",
    [
        (
            [{"header": "序号", "field": "seq"}, {"header": "金额", "field": "amount"}],
            "account_number",
        ),
        (
            [
                {"header": "序号", "field": "seq"},
                {"header": "账号", "field": "account_number"},
                {"header": "金额", "field": "amount"},
                {"header": "电话", "field": "phone"},
            ],
            "unknown field phone",
        ),
        (
            [
                {"header": "序号", "field": "seq"},
                {"header": "账号", "field": "account_number"},
                {"header": "账号", "field": "amount"},
            ],
            "same header",
        ),
    ],
)
def test_a_layout_that_cannot_be_matched_back_is_refused(finance, columns, problem):
    batch, _grants = batch_with_rows(("1600.00",))
    layout = BankFileLayout.objects.create(name="bad", columns=columns)
    with pytest.raises(ValidationError, match=problem) as error:
        export(finance, batch, layout=layout)
    assert "layout" in error.value.message_dict


def test_xlsx_has_text_account_and_id_numbers_and_numeric_amounts(finance):
    batch, grants = batch_with_rows()

    name, content, bank_file = export(finance, batch, fmt="xlsx")

    assert name.endswith(".xlsx")
    assert bank_file.sha256 == hashlib.sha256(content).hexdigest()
    assert (bank_file.size, bank_file.format) == (len(content), "xlsx")
    sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == ["序号", "户名", "账号", "金额", "身份证号", "摘要"]
    assert rows[1][0] == 1
    assert rows[1][2] == "6222000000000001"
    assert rows[1][3] == pytest.approx(1600.0)
    assert rows[1][4] == grants[0][1].payee.id_number
    assert rows[3][3] == pytest.approx(980.5)
    assert rows[4][:3] == ["合计", 3, pytest.approx(4030.5)]


# The printable payment roster (发放花名册) --------------------------------------------------


def roster_url(batch) -> str:
    return f"/payments/batches/{batch.pk}/roster/"


@pytest.mark.parametrize(
    "persona", ["worker_chashan", "supervisor_chashan", "city_supervisor", "finance", "auditor"]
)
def test_the_towns_and_city_roles_read_the_roster_with_masked_numbers(client, persona, request):
    batch, grants = batch_with_rows()
    client.force_login(request.getfixturevalue(persona))

    response = client.get(roster_url(batch))

    assert response.status_code == 200
    page = response.content.decode()
    account = grants[0][1]
    assert "****0001" in page and "6222000000000001" not in page
    id_number = account.payee.id_number
    assert f"{id_number[:6]}********{id_number[-4:]}" in page and id_number not in page
    assert account.account_holder in page
    assert "4,030.50" in page and "2026-12 低保" in page


def test_the_roster_shows_the_banks_answer_once_reconciled(client, worker_chashan):
    batch, _grants = batch_with_rows(state=Batch.State.RECONCILED)
    batch.lines.filter(seq=2).update(status=PaymentLine.Status.FAILED, failure_reason="账户冻结")
    client.force_login(worker_chashan)
    page = client.get(roster_url(batch)).content.decode()
    assert "Failed: 账户冻结" in page


def test_another_towns_roster_is_404(client, worker_dalang):
    batch, _grants = batch_with_rows()
    client.force_login(worker_dalang)
    assert client.get(roster_url(batch)).status_code == 404


def test_an_administrator_gets_403_for_the_roster(client, administrator):
    batch, _grants = batch_with_rows()
    client.force_login(administrator)
    assert client.get(roster_url(batch)).status_code == 403


def test_the_roster_runs_a_fixed_number_of_queries(client, finance, django_assert_max_num_queries):
    batch, _grants = batch_with_rows(("1.00", "2.00", "3.00", "4.00", "5.00"))
    client.force_login(finance)
    with django_assert_max_num_queries(12) as small:
        client.get(roster_url(batch))
    bigger, _more = batch_with_rows(("1.00",) * 8)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(roster_url(bigger))
