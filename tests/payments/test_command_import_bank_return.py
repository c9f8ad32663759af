"""python manage.py import_bank_return --batch ID FILE [--user NAME]"""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from payments.bankfiles import bank_file_export
from payments.models import BankReturn, Batch
from tests.payments.bank_helpers import answered, batch_with_rows, read_csv, return_csv

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent_batch(finance):
    batch, _grants = batch_with_rows()
    _name, chunks, _file = bank_file_export(actor=finance, batch=batch, fmt="csv")
    rows = read_csv(b"".join(chunks))
    Batch.objects.filter(pk=batch.pk).update(state=Batch.State.SENT)
    return batch, rows


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_bank_return", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def write(tmp_path, content: bytes, name="return.csv") -> str:
    path = tmp_path / name
    path.write_bytes(content)
    return str(path)


def test_import_then_repeat_both_exit_0_and_say_which(sent_batch, tmp_path, finance):
    batch, rows = sent_batch
    path = write(tmp_path, return_csv(answered(rows, {2: ("失败", "账户已销户")})))

    out, _err = run("--batch", str(batch.pk), path, "--user", "finance")

    assert (
        f"Imported {path} for batch #{batch.pk} (3 rows). Return imported: 2 payments paid" in out
    )
    assert "1 failed (1,450.00 yuan)" in out
    assert BankReturn.objects.get().imported_by == finance

    out, _err = run("--batch", str(batch.pk), path, "--user", "finance")
    assert "was already imported" in out and "nothing changed" in out
    assert BankReturn.objects.count() == 1


def test_a_rejected_file_exits_1_with_the_report_on_stderr(sent_batch, tmp_path):
    batch, rows = sent_batch
    path = write(tmp_path, return_csv(answered(rows), totals=[3, "1.00"]))

    with pytest.raises(CommandError) as error:
        run("--batch", str(batch.pk), path)

    assert error.value.returncode == 1
    assert "was rejected: 2 problems; nothing was changed" in str(error.value)
    assert not BankReturn.objects.exists()


def test_the_report_lines_go_to_stderr(sent_batch, tmp_path):
    batch, rows = sent_batch
    data = answered(rows)
    data[0][0] = "77"
    path = write(tmp_path, return_csv(data, totals=[3, "4030.50"]))
    err = io.StringIO()

    with pytest.raises(CommandError):
        call_command("import_bank_return", "--batch", str(batch.pk), path, stderr=err)

    report = err.getvalue()
    assert f"row 2, column 序号: 序号 77 is not a row of batch #{batch.pk} (unknown line)" in report
    assert "the batch's row 序号 1 is missing from the file" in report


def test_without_user_the_import_has_no_user(sent_batch, tmp_path):
    batch, rows = sent_batch
    run("--batch", str(batch.pk), write(tmp_path, return_csv(answered(rows))))
    assert BankReturn.objects.get().imported_by is None


@pytest.mark.parametrize(
    "args,message",
    [
        (["--batch", "999999"], "--batch: no payment batch has the id 999999"),
        (["--batch", "abc"], "--batch: no payment batch has the id abc"),
        (["--user", "nobody"], "--user: no user is called nobody"),
        (["--user", "worker-chashan"], "--user: Only the finance officer imports bank returns"),
    ],
)
def test_bad_arguments_name_the_argument(sent_batch, tmp_path, worker_chashan, args, message):
    batch, rows = sent_batch
    path = write(tmp_path, return_csv(answered(rows)))
    full = ["--batch", str(batch.pk), *args] if args[0] == "--user" else args
    with pytest.raises(CommandError, match=message):
        run(*full, path)
    assert not BankReturn.objects.exists()


def test_a_file_that_is_neither_csv_nor_xlsx_or_missing_is_refused(sent_batch, tmp_path):
    batch, _rows = sent_batch
    with pytest.raises(CommandError, match="neither .csv nor .xlsx"):
        run("--batch", str(batch.pk), write(tmp_path, b"x", "return.txt"))
    with pytest.raises(CommandError, match="not a readable file"):
        run("--batch", str(batch.pk), str(tmp_path / "missing.csv"))


def test_a_batch_not_sent_is_refused_naming_the_batch(tmp_path):
    batch, _grants = batch_with_rows()
    with pytest.raises(CommandError, match="batch: Batch #.* a bank return is imported only"):
        run("--batch", str(batch.pk), write(tmp_path, b"x"))
