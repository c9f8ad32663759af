"""Bank-return import (payments/returns.py): whole or not at all, every problem reported, a repeat
changes nothing; paid and failed lines, repayments, settled back-pay, the reconciled batch."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from openpyxl import load_workbook

from cases.models import Notification
from payments import returns
from payments.bankfiles import bank_file_export
from payments.models import BackPay, BankFileLayout, BankReturn, Batch, PaymentLine
from payments.returns import ReturnResult, bank_return_import, checking
from relief.models import AuditEvent
from tests.payments.bank_helpers import (
    NOW,
    answered,
    batch_of,
    batch_with_rows,
    deduction_recovery,
    line,
    paying_grants,
    read_csv,
    return_csv,
)

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 12, 3)


def exported(finance, batch, fmt="csv", **kwargs) -> bytes:
    _name, chunks, _file = bank_file_export(actor=finance, batch=batch, fmt=fmt, **kwargs)
    return b"".join(chunks)


def sent_batch(finance, amounts=("1600.00", "1450.00", "980.50")):
    """An approved batch exported and marked sent; returns (batch, grants, exported CSV rows)."""
    batch, grants = batch_with_rows(amounts)
    rows = read_csv(exported(finance, batch))
    Batch.objects.filter(pk=batch.pk).update(state=Batch.State.SENT)
    batch.refresh_from_db()
    return batch, grants, rows


def do_import(actor, batch, content, name="return.csv"):
    return bank_return_import(
        actor=actor, batch=batch, file_name=name, content=content, today=TODAY, now=NOW
    )


def statuses(batch):
    return list(batch.lines.order_by("seq", "id").values_list("seq", "status", "failure_reason"))


def assert_nothing_changed(batch):
    batch.refresh_from_db()
    assert batch.state == Batch.State.SENT
    assert set(batch.lines.values_list("status", flat=True)) == {"pending"}
    assert not BankReturn.objects.exists()
    assert not AuditEvent.objects.filter(action="import").exists()


def problems(result):
    return [(e.row, e.column, e.rule) for e in result.report.sorted()]


# Success -------------------------------------------------------------------------------------


def test_an_all_paid_return_pays_every_line_and_reconciles_the_batch(finance):
    batch, _grants, rows = sent_batch(finance)
    content = return_csv(answered(rows))

    result = do_import(finance, batch, content)

    assert result.outcome == ReturnResult.IMPORTED and result.ok
    assert (result.rows, result.paid_rows, result.failed_rows) == (3, 3, 0)
    assert result.paid_amount == Decimal("4030.50")
    assert set(batch.lines.values_list("status", flat=True)) == {"paid"}
    batch.refresh_from_db()
    assert (batch.state, batch.reconciled_at) == (Batch.State.RECONCILED, NOW)
    assert batch.history.first().history_user == finance
    record = BankReturn.objects.get()
    assert (record.batch, record.sha256, record.file_name) == (batch, result.sha256, "return.csv")
    assert (record.paid_rows, record.failed_rows, record.imported_by) == (3, 0, finance)
    event = AuditEvent.objects.get(action="import")
    assert (event.actor, event.object_id, event.town_code) == (
        finance,
        str(record.pk),
        batch.town.code,
    )


def test_failed_rows_fail_their_lines_with_the_reason_and_tell_the_towns_case_workers(
    finance, worker_chashan, worker_dalang, supervisor_chashan
):
    batch, _grants, rows = sent_batch(finance)
    content = return_csv(answered(rows, {2: ("失败", "账户已销户")}))

    result = do_import(finance, batch, content)

    assert (result.paid_rows, result.failed_rows) == (2, 1)
    assert (result.paid_amount, result.failed_amount) == (Decimal("2580.50"), Decimal("1450.00"))
    assert statuses(batch) == [(1, "paid", ""), (2, "failed", "账户已销户"), (3, "paid", "")]
    note = Notification.objects.get()
    assert note.user == worker_chashan
    assert "1 rows" in note.message and f"#{batch.pk}" in note.message
    assert note.url == f"/payments/batches/{batch.pk}/reconciliation/"
    record = BankReturn.objects.get()
    assert (record.failed_rows, record.failed_amount) == (1, Decimal("1450.00"))


def test_english_status_words_are_accepted(finance):
    batch, _grants, rows = sent_batch(finance)
    content = return_csv(answered(rows, {1: ("failed", "closed"), 2: ("PAID", "")}))
    assert do_import(finance, batch, content).failed_rows == 1


def test_the_command_line_operator_may_import_without_a_user(finance):
    batch, _grants, rows = sent_batch(finance)
    result = do_import(None, batch, return_csv(answered(rows)))
    assert result.outcome == ReturnResult.IMPORTED
    assert BankReturn.objects.get().imported_by is None
    assert AuditEvent.objects.get(action="import").actor_username == returns.COMMAND_USERNAME


def test_a_paid_deduction_becomes_a_repayment_lowering_the_recovery_balance(finance):
    batch = batch_of()
    [(grant, account)] = paying_grants(1)
    recovery = deduction_recovery(grant, amount="1000.00")
    line(batch, grant, account, seq=1, amount="1600.00")
    deduction = line(batch, grant, account, seq=1, amount="-480.00", kind="deduction")
    rows = read_csv(exported(finance, batch))
    Batch.objects.filter(pk=batch.pk).update(state=Batch.State.SENT)

    result = do_import(finance, batch, return_csv(answered(rows)))

    assert result.repayments == 1
    recovery.refresh_from_db()
    assert (recovery.balance, recovery.state) == (Decimal("520.00"), "confirmed")
    repayment = recovery.repayments.get()
    assert (repayment.amount, repayment.line, repayment.received_on) == (
        Decimal("480.00"),
        deduction,
        TODAY,
    )
    assert recovery.history.first().history_user == finance


def test_a_deduction_repaying_the_whole_balance_settles_the_recovery_and_spills_to_the_next(
    finance,
):
    batch = batch_of()
    [(grant, account)] = paying_grants(1)
    older = deduction_recovery(grant, amount="300.00", balance="200.00")
    newer = deduction_recovery(grant, amount="1000.00")
    line(batch, grant, account, seq=1, amount="1600.00")
    line(batch, grant, account, seq=1, amount="-480.00", kind="deduction")
    rows = read_csv(exported(finance, batch))
    Batch.objects.filter(pk=batch.pk).update(state=Batch.State.SENT)

    do_import(finance, batch, return_csv(answered(rows)))

    older.refresh_from_db()
    newer.refresh_from_db()
    assert (older.balance, older.state) == (Decimal("0.00"), "settled")
    assert (newer.balance, newer.state) == (Decimal("720.00"), "confirmed")
    assert newer.repayments.get().amount == Decimal("280.00")


def test_a_failed_row_repays_nothing(finance):
    batch = batch_of()
    [(grant, account)] = paying_grants(1)
    recovery = deduction_recovery(grant, amount="1000.00")
    line(batch, grant, account, seq=1, amount="1600.00")
    line(batch, grant, account, seq=1, amount="-480.00", kind="deduction")
    rows = read_csv(exported(finance, batch))
    Batch.objects.filter(pk=batch.pk).update(state=Batch.State.SENT)

    do_import(finance, batch, return_csv(answered(rows, {1: ("失败", "户名不符")})))

    recovery.refresh_from_db()
    assert recovery.balance == Decimal("1000.00")
    assert not recovery.repayments.exists()
    assert set(batch.lines.values_list("status", flat=True)) == {"failed"}


def backpay_order(grant, line_):
    return BackPay.objects.create(
        grant=grant,
        months={"2026-06": "300.00"},
        amount=Decimal("300.00"),
        reason="Standard corrected.",
        state=BackPay.State.CONFIRMED,
        created_at=NOW,
        line=line_,
    )


def test_a_paid_back_pay_line_settles_its_orders_and_a_failed_one_does_not(finance):
    batch = batch_of()
    (grant, account), (other, other_account) = paying_grants(2)
    line(batch, grant, account, seq=1, amount="1600.00")
    order = backpay_order(
        grant, line(batch, grant, account, seq=1, amount="300.00", kind="backpay")
    )
    line(batch, other, other_account, seq=2, amount="1600.00")
    unpaid = backpay_order(
        other, line(batch, other, other_account, seq=2, amount="300.00", kind="backpay")
    )
    rows = read_csv(exported(finance, batch))
    Batch.objects.filter(pk=batch.pk).update(state=Batch.State.SENT)

    result = do_import(finance, batch, return_csv(answered(rows, {2: ("失败", "账号错误")})))

    assert result.settled_backpays == 1
    order.refresh_from_db()
    unpaid.refresh_from_db()
    assert order.state == BackPay.State.SETTLED
    assert unpaid.state == BackPay.State.CONFIRMED
    assert order.history.first().history_user == finance


def test_a_paid_reissue_of_a_failed_back_pay_line_settles_the_order(finance):
    earlier = batch_of(state=Batch.State.RECONCILED, period=datetime.date(2026, 11, 1))
    [(grant, account)] = paying_grants(1)
    failed = line(earlier, grant, account, seq=1, amount="300.00", kind="backpay", status="failed")
    order = backpay_order(grant, failed)
    batch = batch_of()
    line(
        batch,
        grant,
        account,
        seq=1,
        amount="300.00",
        kind="backpay",
        period=failed.period,
        replaces=failed,
    )
    rows = read_csv(exported(finance, batch))
    Batch.objects.filter(pk=batch.pk).update(state=Batch.State.SENT)

    do_import(finance, batch, return_csv(answered(rows)))

    order.refresh_from_db()
    assert order.state == BackPay.State.SETTLED


def test_xlsx_round_trip_export_fill_in_the_status_import(finance):
    batch, _grants = batch_with_rows()
    workbook = load_workbook(io.BytesIO(exported(finance, batch, fmt="xlsx")))
    Batch.objects.filter(pk=batch.pk).update(state=Batch.State.SENT)
    sheet = workbook.worksheets[0]
    sheet.cell(row=1, column=7, value="状态")
    sheet.cell(row=1, column=8, value="失败原因")
    for row in range(2, 5):
        sheet.cell(row=row, column=7, value="成功")
    sheet.cell(row=3, column=7, value="失败")
    sheet.cell(row=3, column=8, value="账户冻结")
    out = io.BytesIO()
    workbook.save(out)

    result = do_import(finance, batch, out.getvalue(), name="return.xlsx")

    assert result.outcome == ReturnResult.IMPORTED, result.report.lines()
    assert statuses(batch) == [(1, "paid", ""), (2, "failed", "账户冻结"), (3, "paid", "")]


def test_a_gb18030_csv_saved_by_excel_is_read(finance):
    batch, _grants, rows = sent_batch(finance)
    content = return_csv(answered(rows)).decode("utf-8-sig").encode("gb18030")
    assert do_import(finance, batch, content).outcome == ReturnResult.IMPORTED


def test_the_headers_of_the_layout_the_batch_was_exported_in_are_matched(finance):
    batch, _grants = batch_with_rows(("1600.00",))
    layout = BankFileLayout.objects.create(
        name="short",
        columns=[
            {"header": "流水号", "field": "seq"},
            {"header": "收款账号", "field": "account_number"},
            {"header": "交易金额", "field": "amount"},
        ],
    )
    rows = read_csv(exported(finance, batch, layout=layout))
    Batch.objects.filter(pk=batch.pk).update(state=Batch.State.SENT)
    content = return_csv(
        [[*rows[1], "成功", ""]],
        header=["流水号", "收款账号", "交易金额", "状态", "失败原因"],
        totals=[1, "1600.00"],
    )

    assert do_import(finance, batch, content).outcome == ReturnResult.IMPORTED


# Rejections ----------------------------------------------------------------------------------


def test_a_wrong_total_rejects_the_whole_file_with_a_report(finance):
    batch, _grants, rows = sent_batch(finance)
    content = return_csv(answered(rows), totals=[3, "4030.00"])

    result = do_import(finance, batch, content)

    assert result.outcome == ReturnResult.REJECTED and not result.ok
    assert problems(result) == [
        (5, "合计", "the totals line says 4,030.00 yuan but the file's rows add up to 4,030.50"),
        (5, "合计", f"the totals line says 4,030.00 yuan but batch #{batch.pk} pays 4,030.50"),
    ]
    assert_nothing_changed(batch)


def test_a_count_that_does_not_match_the_batch_is_reported(finance):
    batch, _grants, rows = sent_batch(finance)
    content = return_csv(answered(rows), totals=[4, "4030.50"])
    assert problems(do_import(finance, batch, content)) == [
        (5, "合计", "the totals line counts 4 rows but the file has 3"),
        (5, "合计", f"the totals line counts 4 rows but batch #{batch.pk} has 3"),
    ]
    assert_nothing_changed(batch)


def test_an_unknown_line_rejects_the_whole_file(finance):
    batch, _grants, rows = sent_batch(finance)
    data = answered(rows)
    data.append(["99", "王五", "6222000000000099", "10.00", "", "", "成功", ""])

    result = do_import(finance, batch, return_csv(data, totals=[3, "4030.50"]))

    assert (5, "序号", f"序号 99 is not a row of batch #{batch.pk} (unknown line)") in problems(
        result
    )
    assert result.outcome == ReturnResult.REJECTED
    assert_nothing_changed(batch)


def test_an_account_number_that_does_not_match_the_row_is_reported_masked(finance):
    batch, _grants, rows = sent_batch(finance)
    data = answered(rows)
    data[1][2] = "6222999999999999"

    result = do_import(finance, batch, return_csv(data))

    assert problems(result) == [
        (3, "账号", "the account number does not match the batch's row 序号 2 (****0002)")
    ]
    assert_nothing_changed(batch)


def test_every_problem_of_a_file_is_reported_in_row_order(finance):
    batch, _grants, rows = sent_batch(finance)
    data = answered(rows)
    data[0][3] = "1500.00"  # amount differs from the row
    data[1][6] = "退回"  # not a status
    data[2][0] = "1"  # duplicate 序号; row 3 is then missing

    result = do_import(finance, batch, return_csv(data, totals=[3, "4030.50"]))

    assert problems(result) == [
        (0, "序号", "the batch's row 序号 3 is missing from the file"),
        (2, "金额", "the amount 1,500.00 does not match the batch's row 序号 1 (1,600.00)"),
        (3, "状态", "must be one of: 成功, paid, 失败, failed"),
        (4, "序号", "序号 1 is already on row 2 (duplicate row)"),
        (5, "合计", "the totals line says 4,030.50 yuan but the file's rows add up to 3,930.50"),
    ]
    assert_nothing_changed(batch)


def test_a_missing_totals_line_and_rows_after_it_are_reported(finance):
    batch, _grants, rows = sent_batch(finance)
    header = rows[0] + ["状态", "失败原因"]
    no_totals = "\r\n".join(",".join(r) for r in [header, *answered(rows)]).encode()
    assert problems(do_import(finance, batch, no_totals)) == [
        (0, "合计", "the totals line (合计, row count, total amount) is missing")
    ]
    late = return_csv(answered(rows)[:2], totals=[2, "3050.00"]) + ",".join(
        answered(rows)[2]
    ).encode("utf-8")
    result = do_import(finance, batch, late)
    assert (5, "", "a row after the totals line (合计); the totals line is last") in problems(
        result
    )
    assert_nothing_changed(batch)


def test_a_bad_totals_line_a_second_one_and_bad_cells_are_reported(finance):
    batch, _grants, rows = sent_batch(finance)
    data = answered(rows)
    data[0][2] = ""  # 账号 left empty
    data[1][7] = "原" * 201  # 失败原因 too long
    content = return_csv(data, totals=["三", "4030.50"]) + "合计,3,4030.50,,,,,\r\n".encode()

    assert problems(do_import(finance, batch, content)) == [
        (2, "账号", "a value is required"),
        (3, "失败原因", "is longer than 200 characters"),
        (5, "合计", "must be a whole number"),
        (6, "合计", "a second totals line; the file has one"),
    ]
    assert_nothing_changed(batch)


def test_a_column_twice_in_the_header_is_reported(finance):
    batch, _grants, rows = sent_batch(finance)
    content = return_csv(
        [[*row, "成功"] for row in answered(rows)],
        header=["序号", "户名", "账号", "金额", "身份证号", "摘要", "状态", "失败原因", "STATUS"],
    )
    assert problems(do_import(finance, batch, content)) == [
        (1, "STATUS", "the column appears twice in the header row")
    ]


def test_a_header_without_the_status_column_is_reported(finance):
    batch, _grants, rows = sent_batch(finance)
    result = do_import(finance, batch, exported(finance, batch))
    assert problems(result) == [(1, "状态", "this required column is missing from the header row")]


def test_an_unreadable_or_empty_file_is_reported(finance):
    batch, _grants, _rows = sent_batch(finance)
    assert problems(do_import(finance, batch, b"")) == [(0, "", "The file is empty.")]
    assert problems(do_import(finance, batch, b"PK\x03\x04broken")) == [
        (0, "", "The file is not a readable XLSX workbook.")
    ]


def test_a_long_report_lists_the_first_problems_and_counts_the_rest(finance, monkeypatch):
    monkeypatch.setattr(checking, "MAX_LISTED_PROBLEMS", 2)
    batch, _grants, rows = sent_batch(finance)
    content = return_csv([], totals=[0, "0.00"])

    lines = do_import(finance, batch, content).report.lines()

    assert len(lines) == 3
    assert any("more problems are not listed" in text for text in lines)


# Repeats and state ---------------------------------------------------------------------------


def test_importing_the_same_file_again_changes_nothing(finance, worker_chashan):
    batch, _grants, rows = sent_batch(finance)
    content = return_csv(answered(rows, {2: ("失败", "账户已销户")}))
    do_import(finance, batch, content)
    before = statuses(batch)

    again = do_import(finance, batch, content)

    assert again.outcome == ReturnResult.REPEAT and again.ok
    assert statuses(batch) == before
    assert BankReturn.objects.count() == 1
    assert AuditEvent.objects.filter(action="import").count() == 1
    assert Notification.objects.count() == 1


def test_another_file_for_a_reconciled_batch_is_rejected(finance):
    batch, _grants, rows = sent_batch(finance)
    do_import(finance, batch, return_csv(answered(rows)))
    before = statuses(batch)

    result = do_import(finance, batch, return_csv(answered(rows, {1: ("失败", "late news")})))

    assert result.outcome == ReturnResult.REJECTED
    assert "already reconciled with another return file" in result.report.as_text()
    assert statuses(batch) == before
    assert BankReturn.objects.count() == 1


@pytest.mark.parametrize("state", [Batch.State.DRAFT, Batch.State.APPROVED])
def test_a_batch_not_sent_takes_no_return(finance, state):
    batch, _grants = batch_with_rows(state=state)
    with pytest.raises(ValidationError) as error:
        do_import(finance, batch, b"anything")
    assert "batch" in error.value.message_dict


@pytest.mark.parametrize("persona", ["worker_chashan", "supervisor_chashan", "auditor"])
def test_only_finance_imports_a_return(finance, persona, request):
    batch, _grants, rows = sent_batch(finance)
    with pytest.raises(PermissionDenied):
        do_import(request.getfixturevalue(persona), batch, return_csv(answered(rows)))
    assert_nothing_changed(batch)


def test_lines_already_paid_stay_paid(finance):
    """Only pending lines change: the import never rewrites a paid line (DESIGN.md)."""
    batch, _grants, rows = sent_batch(finance)
    batch.lines.filter(seq=1).update(status=PaymentLine.Status.PAID)
    do_import(finance, batch, return_csv(answered(rows, {1: ("失败", "x")})))
    assert statuses(batch)[0] == (1, "paid", "")
