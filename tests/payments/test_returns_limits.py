"""A bank return goes through the one reader's limits (relief/tabular/reading.py): a workbook
unpacking to millions of rows is refused within megabytes, with the rule in the report, on the page
as through the service; the row limit follows the batch's own rows."""

import pytest

from payments.models import Batch
from payments.returns import ReturnResult, bank_return_import, checking
from tests.payments.bank_helpers import NOW, batch_with_rows
from tests.payments.test_views_batches import upload
from tests.relief.test_tabular_limits import (
    BOMB_BYTES,
    archive_checks_lifted,  # noqa: F401 (a fixture)
    cost_of,
    crafted_xlsx,
    header_row,
    twenty_million_empty_rows,
)

pytestmark = pytest.mark.django_db

HEADER = ("序号", "户名", "账号", "金额", "身份证号", "摘要", "状态", "失败原因")


@pytest.fixture
def sent_batch():
    batch, _grants = batch_with_rows(("1600.00", "1450.00"), state=Batch.State.SENT)
    return batch


def test_the_return_row_limit_is_the_batchs_rows_and_some(sent_batch):
    assert checking.return_row_limit(sent_batch) == 2 + checking.EXTRA_ROWS


def test_a_return_of_twenty_million_empty_rows_is_refused_within_megabytes(sent_batch, finance):
    bomb = twenty_million_empty_rows(*HEADER)

    cost, _raised = cost_of(lambda: checking.bank_return_check(batch=sent_batch, content=bomb))
    result = bank_return_import(
        actor=finance, batch=sent_batch, file_name="return.xlsx", content=bomb, now=NOW
    )

    assert result.outcome == ReturnResult.REJECTED
    assert result.report.lines() == [
        "file: The workbook part xl/worksheets/sheet1.xml unpacks to more than 100 times its "
        "compressed size, which no real sheet does; delete the empty or repeated rows and "
        "columns, or save the data again in a new workbook."
    ]
    print(f"return bomb refused in {cost.seconds:.3f} s CPU, {cost.peak >> 20} MB")
    assert cost.peak < BOMB_BYTES


@pytest.mark.usefixtures("archive_checks_lifted")
def test_a_return_of_more_empty_rows_than_the_batch_has_is_refused_at_the_row_limit(
    sent_batch, finance
):
    # 1,000,000 empty rows unpack to 6 MB, within the flat cap; with the ratio check lifted, the
    # row limit refuses them.
    bomb = crafted_xlsx(rows=1_000_000, row_xml=b"<row/>", first=header_row(*HEADER))

    cost, _raised = cost_of(lambda: checking.bank_return_check(batch=sent_batch, content=bomb))
    result = bank_return_import(
        actor=finance, batch=sent_batch, file_name="return.xlsx", content=bomb, now=NOW
    )

    assert result.report.lines() == [
        "file: The file has more than 1002 rows after the header row (blank rows count too); "
        "remove the empty rows or split it into smaller files."
    ]
    print(f"row limit reached in {cost.seconds:.3f} s CPU")


def test_the_return_page_refuses_the_bomb_naming_the_rule(client, finance, sent_batch):
    client.force_login(finance)
    bomb = twenty_million_empty_rows(*HEADER)

    response = upload(client, sent_batch, bomb, name="return.xlsx")

    assert response.status_code == 400
    assert "100 times its compressed size" in response.content.decode()
    sent_batch.refresh_from_db()
    assert sent_batch.state == Batch.State.SENT


def test_a_latin1_return_is_refused_naming_the_encoding_rule(sent_batch, finance):
    content = "seq,account_holder\r\n1,Jürgen Müller\r\n".encode("latin-1")

    result = bank_return_import(
        actor=finance, batch=sent_batch, file_name="return.csv", content=content, now=NOW
    )

    assert result.report.lines() == [
        "file: The CSV file is not UTF-8 text (nor Chinese text saved as GB18030); save it as "
        "UTF-8 CSV (in Excel: Save As, “CSV UTF-8”)."
    ]
