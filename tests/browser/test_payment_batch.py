"""A payment batch in a real browser: the city supervisor has
submitted 茶山's monthly batch (so the city supervisor is its maker); the 茶山 town supervisor
finds it under Payments, opens it and approves it, ticking that it checked the totals; the
finance officer then opens it, is not offered "sent" before the bank file exists, downloads the
bank file, whose header row and totals line are checked, and then marks the batch sent. The
pages are in Chinese (the browser asks for zh-CN), so the test finds things by data-testid."""

import csv
import datetime
import io
from decimal import Decimal

import pytest

from cases.models import Role
from payments import batches, runs
from payments.models import BankFile, Batch
from relief.models import AuditEvent
from tests.factories import approved_grant, payee_account, staff_user, town

# Transactional: the live server's thread must see committed rows (see test_household_browser).
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "relief-test-pw"
PERIOD = datetime.date(2024, 3, 1)


def log_in(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_test_id("login-submit").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)  # the role's start page


def log_out(page) -> None:
    page.get_by_test_id("logout").click()
    page.wait_for_load_state()


def submitted_batch(maker) -> Batch:
    """茶山's March 2024 batch of two grants (1,600.00 and 1,450.00), written by the payment run
    and submitted by `maker`."""
    for amount, number in ((Decimal("1600.00"), "6222000011110001"), (Decimal("1450.00"), None)):
        grant = approved_grant(amount=amount)
        payee_account(grant, account_number=number or "6222000011110002")
    runs.payment_run(period=PERIOD, town=town("chashan"))
    batch = Batch.objects.get(town__slug="chashan")
    return batches.batch_submit(actor=maker, batch=batch)


def test_town_supervisor_approves_and_finance_downloads_the_bank_file(new_context, tmp_path):
    city = staff_user("supervisor", Role.CITY_SUPERVISOR)
    staff_user("supervisor-chashan", Role.TOWN_SUPERVISOR, "chashan")
    finance = staff_user("finance", Role.FINANCE)
    batch = submitted_batch(city)

    # The 茶山 supervisor finds the submitted batch under Payments and approves it.
    page = new_context().new_page()
    log_in(page, "supervisor-chashan")
    page.get_by_test_id("nav-payments").click()
    page.wait_for_url("**/payments/batches/")
    row = page.get_by_test_id(f"batch-{batch.pk}")
    assert "3,050.00" in row.inner_text()
    assert "市民政局审批人员" in row.inner_text()  # the maker, unnamed: their role's title
    row.locator(f"a[href='/payments/batches/{batch.pk}/']").click()
    page.wait_for_url(f"**/payments/batches/{batch.pk}/")
    assert "status-batch-submitted" in page.get_by_test_id("batch-state").get_attribute("class")
    assert page.get_by_test_id("export-csv").count() == 0  # a supervisor exports nothing
    page.screenshot(path=tmp_path / "submitted.png", full_page=True)
    page.get_by_test_id("action-approve").locator("summary").click()
    page.check("#id_approve-checked")
    page.get_by_test_id("action-approve-submit").click()
    page.wait_for_load_state()
    assert "status-batch-approved" in page.get_by_test_id("batch-state").get_attribute("class")
    assert "镇街审批人员" in page.get_by_test_id("batch-checker").inner_text()
    batch.refresh_from_db()
    assert batch.state == Batch.State.APPROVED
    assert (batch.submitted_by.username, batch.approved_by.username) == (
        "supervisor",
        "supervisor-chashan",
    )
    log_out(page)

    # The finance officer opens the approved batch and downloads its bank file.
    log_in(page, "finance")
    page.goto(f"/payments/batches/{batch.pk}/")
    assert page.get_by_test_id("action-approve").count() == 0  # finance never approves
    assert page.get_by_test_id("action-send").count() == 0  # no bank file yet
    assert page.get_by_test_id("export-first").is_visible()
    with page.expect_download() as download_info:
        page.get_by_test_id("export-csv").click()
    download = download_info.value
    assert download.suggested_filename == (
        f"relief-batch-{batch.pk}-{town('chashan').code}-2024-03-monthly.csv"
    )
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    content = path.read_bytes()
    assert content.startswith(b"\xef\xbb\xbf")  # Excel on Chinese Windows reads it as UTF-8
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    assert rows[0] == ["序号", "户名", "账号", "金额", "身份证号", "摘要"]
    assert [row[0] for row in rows[1:-1]] == ["1", "2"]
    assert {row[2] for row in rows[1:-1]} == {"6222000011110001", "6222000011110002"}
    assert rows[-1][:3] == ["合计", "2", "3050.00"]

    # The export is recorded: the file's hash on the batch page, and an audit event.
    record = BankFile.objects.get(batch=batch)
    assert (record.exported_by, record.rows, record.total_amount) == (
        finance,
        2,
        Decimal("3050.00"),
    )
    assert AuditEvent.objects.filter(action="export", actor=finance).exists()
    page.reload()
    assert record.sha256 in page.get_by_test_id("bank-files").inner_text()
    page.screenshot(path=tmp_path / "exported.png", full_page=True)

    # Now the batch can be marked sent, once finance ticks that it checked the totals.
    page.get_by_test_id("action-send").locator("summary").click()
    page.check("#id_send-checked")
    page.get_by_test_id("action-send-submit").click()
    page.wait_for_load_state()
    assert "status-batch-sent" in page.get_by_test_id("batch-state").get_attribute("class")
    batch.refresh_from_db()
    assert (batch.state, batch.sent_by) == (Batch.State.SENT, finance)
