"""Batch, run and reconciliation pages (payments/views/batches.py, runs.py): who sees which batch,
the list's filters and totals, a batch's page (totals, who did what when, masked lines, bank
files, returns), every button reaching its service (success, or the service's own message on
the page with 400 or 403, never a 500), the bank file for finance only, a rejected return with
its whole report on the page, the reconciliation screen, payment runs with their progress, and
lists that run a fixed number of queries whatever their length."""

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from cases.models import Role
from payments import runs
from payments.models import BankFile, BankReturn, Batch, PaymentLine, PaymentRun
from relief.models import AuditEvent
from tests.factories import approved_grant, payee_account, staff_user, town
from tests.payments.bank_helpers import (
    answered,
    batch_of,
    batch_with_rows,
    line,
    read_csv,
    return_csv,
)

pytestmark = pytest.mark.django_db

MARCH = datetime.date(2024, 3, 1)
CSV_HEADER = ["序号", "户名", "账号", "金额", "身份证号", "摘要"]


# --- helpers --------------------------------------------------------------------------------


def draft_batch(town_slug="chashan", number="6222000011114321") -> Batch:
    """A draft batch written by the payment run: one 1,600.00 line of a grant of the town."""
    grant = approved_grant(town_slug=town_slug)
    payee_account(grant, account_number=number)
    runs.payment_run(period=MARCH, town=town(town_slug))
    return Batch.objects.get(town__slug=town_slug, state="draft")


def detail(batch) -> str:
    return reverse("payments:batch-detail", args=[batch.pk])


def act(client, batch, action, **data):
    return client.post(
        reverse("payments:batch-action", args=[batch.pk, action]),
        {f"{action}-{key}": value for key, value in data.items()},
    )


def download(client, batch, fmt="csv"):
    response = client.post(reverse("payments:batch-bank-file", args=[batch.pk, fmt]))
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return response, content


def upload(client, batch, content: bytes, name="return.csv"):
    return client.post(
        reverse("payments:batch-return-upload", args=[batch.pk]),
        {"return-file": SimpleUploadedFile(name, content, content_type="text/csv")},
    )


def summary(response) -> str:
    return " | ".join(response.context["summary"])


def sent_with_rows(client, finance, amounts=("1600.00", "1450.00", "980.50")):
    """An approved batch whose bank file finance downloaded through the page, then marked sent
    through the page; returns (batch, grants, the downloaded CSV's rows)."""
    batch, grants = batch_with_rows(amounts)
    client.force_login(finance)
    response, content = download(client, batch)
    assert response.status_code == 200
    assert act(client, batch, "send", checked="on").status_code == 302
    batch.refresh_from_db()
    assert batch.state == Batch.State.SENT
    return batch, grants, read_csv(content)


@pytest.fixture
def second_supervisor(db):
    user = staff_user("supervisor-chashan-2", Role.TOWN_SUPERVISOR, "chashan")
    user.last_name, user.first_name = "黄", "审核"
    user.save()
    return user


# --- who sees what --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "persona", ["worker_chashan", "supervisor_chashan", "city_supervisor", "finance", "auditor"]
)
def test_payment_pages_render_for_every_role_that_reads_cases(client, request, persona):
    batch = draft_batch()
    client.force_login(request.getfixturevalue(persona))

    listed = client.get(reverse("payments:batch-list"))
    page = client.get(detail(batch))

    assert listed.status_code == 200
    assert f'data-testid="batch-{batch.pk}"' in listed.content.decode()
    assert 'data-testid="nav-payments"' in listed.content.decode()
    assert page.status_code == 200
    assert page.context["batch"] == batch
    for name in ("run-list", "recovery-list", "backpay-list", "city-totals"):
        assert client.get(reverse(f"payments:{name}")).status_code == 200, name
    assert client.get(reverse("payments:batch-reconciliation", args=[batch.pk])).status_code == 200


def test_the_payments_index_leads_to_the_batches(client, auditor):
    client.force_login(auditor)
    response = client.get("/payments/")
    assert response.status_code == 302
    assert response["Location"] == reverse("payments:batch-list")


def test_an_administrator_gets_no_payment_pages(client, administrator):
    batch = draft_batch()
    client.force_login(administrator)

    assert client.get(reverse("payments:batch-list")).status_code == 403
    assert client.get(detail(batch)).status_code == 403
    assert client.get(reverse("payments:run-list")).status_code == 403
    assert 'data-testid="nav-payments"' not in client.get("/admin/").content.decode()


def test_another_towns_batch_does_not_exist_for_a_town_role(client, worker_dalang, finance):
    batch = draft_batch("chashan")
    client.force_login(worker_dalang)

    listed = client.get(reverse("payments:batch-list"))

    assert f'data-testid="batch-{batch.pk}"' not in listed.content.decode()
    assert client.get(detail(batch)).status_code == 404
    assert client.get(reverse("payments:batch-reconciliation", args=[batch.pk])).status_code == 404
    assert act(client, batch, "submit").status_code == 404
    assert download(client, batch)[0].status_code == 404
    assert upload(client, batch, b"x").status_code == 404
    batch.refresh_from_db()
    assert batch.state == Batch.State.DRAFT


def test_the_list_filters_and_totals_the_batches(client, auditor):
    chashan, dalang = draft_batch("chashan"), draft_batch("dalang", number="6222000099998888")
    april = batch_of("chashan", state=Batch.State.SENT, period=datetime.date(2024, 4, 1))
    client.force_login(auditor)
    url = reverse("payments:batch-list")

    def listed(**params):
        response = client.get(url, params)
        assert response.status_code == 200
        return {batch.pk for batch in response.context["page"].object_list}, response

    everything, response = listed()
    assert everything == {chashan.pk, dalang.pk, april.pk}
    assert response.context["totals"] == {
        "batches": 3,
        "lines": 2,
        "amount": Decimal("3200.00"),
    }
    assert "3 batches, 2 lines, 3,200.00 yuan" in response.content.decode()
    assert listed(period="2024-03")[0] == {chashan.pk, dalang.pk}
    assert listed(town=town("dalang").code)[0] == {dalang.pk}
    assert listed(state="sent")[0] == {april.pk}
    assert listed(kind="urgent")[0] == set()
    # A filter that does not parse is ignored, as on the other lists.
    assert listed(period="March")[0] == everything


def test_the_batch_list_runs_a_fixed_number_of_queries(
    client, worker_chashan, django_assert_max_num_queries
):
    client.force_login(worker_chashan)
    url = reverse("payments:batch-list")

    def add(n, start):
        for i in range(n):
            batch_of(
                "chashan", state=Batch.State.SENT, period=datetime.date(2000 + start + i, 1, 1)
            )

    add(2, 0)
    with CaptureQueriesContext(connection) as queries:
        assert len(client.get(url).context["page"].object_list) == 2
    add(8, 2)
    with django_assert_max_num_queries(len(queries)):
        assert len(client.get(url).context["page"].object_list) == 10


# --- a batch's page -------------------------------------------------------------------------


def test_the_batch_page_shows_totals_and_lines_with_masked_account_numbers(client, auditor):
    batch = draft_batch(number="6222000011114321")
    client.force_login(auditor)

    response = client.get(detail(batch))

    page = response.content.decode()
    assert response.context["totals"]["rows"] == 1
    assert response.context["totals"]["by_kind"] == [
        ("Monthly payment", {"lines": 1, "amount": Decimal("1600.00")})
    ]
    assert "****4321" in page
    assert "6222000011114321" not in page
    line = PaymentLine.objects.get()
    assert f'data-testid="line-{line.pk}"' in page
    assert reverse("cases:grant-detail", args=[line.grant_id]) in page
    assert reverse("payments:batch-roster", args=[batch.pk]) in page
    # An auditor reads only: no button.
    assert response.context["action_forms"] == []
    assert not response.context["can_export"]


def test_the_batch_page_runs_a_fixed_number_of_queries(
    client, auditor, django_assert_max_num_queries
):
    small, _grants = batch_with_rows(("100.00", "200.00"))
    large, _grants = batch_with_rows(tuple(f"{i}00.00" for i in range(1, 11)))
    client.force_login(auditor)
    with CaptureQueriesContext(connection) as queries:
        assert len(client.get(detail(small)).context["page"].object_list) == 2
    with django_assert_max_num_queries(len(queries)):
        assert len(client.get(detail(large)).context["page"].object_list) == 10


def test_a_reissued_line_links_both_ways(client, auditor):
    batch, grants = batch_with_rows(("1600.00",))
    failed = batch.lines.get()
    PaymentLine.objects.filter(pk=failed.pk).update(status="failed", failure_reason="账户已销户")
    grant, account = grants[0]
    later = batch_of("chashan", state=Batch.State.DRAFT, period=datetime.date(2027, 1, 1))
    reissue = PaymentLine.objects.create(
        batch=later,
        grant=grant,
        period=failed.period,
        kind="regular",
        amount=Decimal("1600.00"),
        seq=1,
        replaces=failed,
        payee=account.payee,
        account=account,
        bank_name=account.bank_name,
        account_holder=account.account_holder,
        account_number=account.account_number,
    )
    client.force_login(auditor)

    old_page = client.get(detail(batch)).content.decode()
    new_page = client.get(detail(later)).content.decode()

    assert "账户已销户" in old_page
    assert f"reissued as #{reissue.pk}" in old_page
    assert reverse("payments:batch-detail", args=[later.pk]) in old_page
    assert f"reissue of #{failed.pk}" in new_page
    assert reverse("payments:batch-detail", args=[batch.pk]) in new_page


# --- the way to the bank --------------------------------------------------------------------


def test_a_supervisor_submits_and_another_supervisor_approves(
    client, supervisor_chashan, second_supervisor
):
    batch = draft_batch()
    client.force_login(supervisor_chashan)
    assert [item["name"] for item in client.get(detail(batch)).context["action_forms"]] == [
        "submit"
    ]

    response = act(client, batch, "submit")

    assert response.status_code == 302
    assert response["Location"] == detail(batch)
    batch.refresh_from_db()
    assert (batch.state, batch.submitted_by) == (Batch.State.SUBMITTED, supervisor_chashan)
    page = client.get(detail(batch))
    assert "Batch submitted" in page.content.decode()
    assert page.context["own_submission"]
    assert [item["name"] for item in page.context["action_forms"]] == ["reject"]

    client.force_login(second_supervisor)
    assert [item["name"] for item in client.get(detail(batch)).context["action_forms"]] == [
        "approve",
        "reject",
    ]
    unchecked = act(client, batch, "approve")
    assert unchecked.status_code == 400
    assert "Tick the box to confirm that you checked the lines and totals." in summary(unchecked)
    batch.refresh_from_db()
    assert batch.state == Batch.State.SUBMITTED
    assert act(client, batch, "approve", checked="on").status_code == 302
    batch.refresh_from_db()
    assert (batch.state, batch.approved_by) == (Batch.State.APPROVED, second_supervisor)
    trail = client.get(detail(batch)).content.decode()
    # Staff are named, never by their login (relief.people.staff_name).
    assert "黄审核" in trail and "supervisor-chashan" not in trail


def test_approving_ones_own_submission_shows_the_services_refusal(client, supervisor_chashan):
    batch = draft_batch()
    client.force_login(supervisor_chashan)
    act(client, batch, "submit")

    response = act(client, batch, "approve", checked="on")

    assert response.status_code == 403
    assert "You submitted this batch, so another supervisor must approve it." in summary(response)
    assert "another supervisor must approve it" in response.content.decode()
    batch.refresh_from_db()
    assert (batch.state, batch.approved_by) == (Batch.State.SUBMITTED, None)


def test_a_case_worker_is_offered_no_button_and_is_refused_one(client, worker_chashan):
    batch = draft_batch()
    client.force_login(worker_chashan)
    assert client.get(detail(batch)).context["action_forms"] == []

    response = act(client, batch, "submit")

    assert response.status_code == 403
    assert "Only a town supervisor of the batch's town or the city supervisor" in summary(response)
    batch.refresh_from_db()
    assert batch.state == Batch.State.DRAFT


def test_an_action_in_the_wrong_state_shows_the_state(client, supervisor_chashan, finance):
    batch = draft_batch()
    client.force_login(supervisor_chashan)

    response = act(client, batch, "approve", checked="on")

    assert response.status_code == 400
    assert "Cannot approve: the batch is draft (draft)." in summary(response)
    client.force_login(finance)
    assert act(client, batch, "send", checked="on").status_code == 400


def test_a_rejection_needs_reasons_and_goes_back_to_draft(
    client, supervisor_chashan, second_supervisor
):
    batch = draft_batch()
    client.force_login(supervisor_chashan)
    act(client, batch, "submit")
    client.force_login(second_supervisor)

    refused = act(client, batch, "reject", reason="")
    assert refused.status_code == 400
    assert "Give the reasons for the rejection." in refused.content.decode()
    assert (
        act(client, batch, "reject", reason="Two lines are for a closed case.").status_code == 302
    )

    batch.refresh_from_db()
    assert (batch.state, batch.submitted_by) == (Batch.State.DRAFT, None)


def test_an_unknown_action_is_404(client, supervisor_chashan):
    batch = draft_batch()
    client.force_login(supervisor_chashan)
    assert act(client, batch, "pay-twice").status_code == 404


def test_finance_marks_an_approved_batch_sent_and_a_supervisor_may_not(
    client, finance, supervisor_chashan
):
    batch, _grants = batch_with_rows()
    client.force_login(supervisor_chashan)
    refused = act(client, batch, "send", checked="on")
    assert refused.status_code == 403
    assert "Only a finance officer marks a batch sent to the bank." in summary(refused)

    client.force_login(finance)
    download(client, batch)
    assert [item["name"] for item in client.get(detail(batch)).context["action_forms"]] == ["send"]
    assert act(client, batch, "send", checked="on").status_code == 302
    batch.refresh_from_db()
    assert (batch.state, batch.sent_by) == (Batch.State.SENT, finance)


def test_sent_is_offered_only_once_the_bank_file_is_exported_and_needs_the_check_box(
    client, finance
):
    batch, _grants = batch_with_rows()
    client.force_login(finance)
    page = client.get(detail(batch))
    assert page.context["action_forms"] == []
    assert 'data-testid="export-first"' in page.content.decode()

    refused = act(client, batch, "send", checked="on")
    assert refused.status_code == 400
    assert f"no bank file of batch #{batch.pk} has been exported" in summary(refused)
    batch.refresh_from_db()
    assert batch.state == Batch.State.APPROVED

    download(client, batch)
    page = client.get(detail(batch))
    assert [item["name"] for item in page.context["action_forms"]] == ["send"]
    assert 'data-testid="export-first"' not in page.content.decode()
    assert 'name="send-checked"' in page.content.decode()
    unchecked = act(client, batch, "send")
    assert unchecked.status_code == 400
    assert "Tick the box to confirm that you checked the lines and totals." in summary(unchecked)
    assert act(client, batch, "send", checked="on").status_code == 302
    batch.refresh_from_db()
    assert batch.state == Batch.State.SENT


# --- bank files -----------------------------------------------------------------------------


def test_finance_downloads_the_bank_file_and_the_page_lists_it(client, finance):
    batch, _grants = batch_with_rows(("1600.00", "1450.00", "980.50"))
    client.force_login(finance)
    assert client.get(detail(batch)).context["can_export"]

    response, content = download(client, batch)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="relief-batch-')
    rows = read_csv(content)
    assert rows[0] == CSV_HEADER
    assert rows[1][2] == "6222000000000001"  # the full account number, in the bank file only
    assert rows[-1][:3] == ["合计", "3", "4030.50"]
    record = BankFile.objects.get()
    assert (record.exported_by, record.rows, record.total_amount) == (
        finance,
        3,
        Decimal("4030.50"),
    )
    assert AuditEvent.objects.filter(action="export", object_id=str(record.pk)).exists()
    page = client.get(detail(batch)).content.decode()
    assert record.sha256 in page
    assert f'data-testid="bank-file-{record.pk}"' in page


def test_finance_downloads_the_xlsx_bank_file(client, finance):
    batch, _grants = batch_with_rows()
    client.force_login(finance)

    response, content = download(client, batch, "xlsx")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert content.startswith(b"PK")
    assert BankFile.objects.get().format == "xlsx"


@pytest.mark.parametrize("persona", ["supervisor_chashan", "city_supervisor", "auditor"])
def test_only_finance_exports_bank_files(client, request, persona):
    batch, _grants = batch_with_rows()
    client.force_login(request.getfixturevalue(persona))
    assert not client.get(detail(batch)).context["can_export"]

    response, content = download(client, batch)

    assert response.status_code == 403
    assert "Only the finance officer exports bank files." in summary(response)
    assert "6222000000000001" not in content.decode()
    assert not BankFile.objects.exists()


def test_exporting_a_batch_not_approved_shows_why(client, finance):
    batch = draft_batch()
    client.force_login(finance)

    response, _content = download(client, batch)

    assert response.status_code == 400
    assert "a bank file is exported only for an approved batch" in summary(response)
    assert download(client, batch, "pdf")[0].status_code == 404


# --- bank returns and reconciliation --------------------------------------------------------


def test_a_rejected_return_lists_every_problem_and_changes_nothing(client, finance):
    batch, _grants, rows = sent_with_rows(client, finance)
    answer = answered(rows)
    answer[1][3] = "1400.00"  # the bank says row 2 paid another amount
    answer.append(["9", "王五", "6222999999999999", "10.00", "", "", "成功", ""])  # unknown
    content = return_csv(answer, totals=["4", "9999.99"])

    response = upload(client, batch, content)

    assert response.status_code == 400
    page = response.content.decode()
    report = response.context["report"]
    assert len(report) >= 3
    assert 'data-testid="return-problems"' in page
    for problem in report:
        assert escape(problem.rule) in page
    assert "rejected" in summary(response)
    batch.refresh_from_db()
    assert batch.state == Batch.State.SENT
    assert not BankReturn.objects.exists()
    assert set(batch.lines.values_list("status", flat=True)) == {"pending"}


def test_a_return_is_imported_then_reconciled_and_a_repeat_changes_nothing(client, finance):
    batch, grants, rows = sent_with_rows(client, finance)
    content = return_csv(answered(rows, {2: ("失败", "账户已冻结")}))

    response = upload(client, batch, content)

    reconciliation = reverse("payments:batch-reconciliation", args=[batch.pk])
    assert response.status_code == 302
    assert response["Location"] == reconciliation
    batch.refresh_from_db()
    assert batch.state == Batch.State.RECONCILED
    page = client.get(reconciliation)
    html = page.content.decode()
    assert "2 payments paid (2,580.50 yuan), 1 failed (1,450.00 yuan)" in html
    assert page.context["paid"] == {"lines": 2, "amount": Decimal("2580.50")}
    assert page.context["failed"] == {"lines": 1, "amount": Decimal("1450.00")}
    failed = batch.lines.get(status="failed")
    assert "账户已冻结" in html
    grant = grants[1][0]
    assert reverse("cases:grant-detail", args=[grant.pk]) + "#payee-accounts" in html
    assert "not yet" in page.content.decode()
    assert failed in page.context["page"].object_list

    repeat = upload(client, batch, content)
    assert repeat.status_code == 302
    assert "already imported: nothing changed" in client.get(reconciliation).content.decode()
    assert BankReturn.objects.count() == 1


def test_only_finance_imports_a_return(client, finance, supervisor_chashan):
    batch, _grants, rows = sent_with_rows(client, finance)
    client.force_login(supervisor_chashan)
    assert not client.get(detail(batch)).context["can_import_return"]

    response = upload(client, batch, return_csv(answered(rows)))

    assert response.status_code == 403
    assert "Only the finance officer imports bank returns." in summary(response)
    batch.refresh_from_db()
    assert batch.state == Batch.State.SENT


def test_a_return_for_a_batch_not_sent_shows_why(client, finance):
    batch, _grants = batch_with_rows()
    client.force_login(finance)

    response = upload(client, batch, b"anything")

    assert response.status_code == 400
    assert "a bank return is imported only for a batch sent to the bank" in summary(response)


def test_a_return_upload_without_a_file_names_the_field(client, finance):
    batch, _grants = batch_with_rows()
    client.force_login(finance)
    response = client.post(reverse("payments:batch-return-upload", args=[batch.pk]), {})
    assert response.status_code == 400
    assert "The bank's return file: This field is required." in summary(response)


def test_reconciliation_shows_a_failed_line_reissued_by_the_next_run(client, finance, auditor):
    batch, grants, rows = sent_with_rows(client, finance, ("1600.00",))
    upload(client, batch, return_csv(answered(rows, {1: ("失败", "户名不符")})))
    failed = batch.lines.get()
    grant = grants[0][0]

    runs.payment_run(period=datetime.date(2027, 1, 1), town=grant.town)

    reissue = PaymentLine.objects.get(replaces=failed)
    client.force_login(auditor)
    page = client.get(reverse("payments:batch-reconciliation", args=[batch.pk]))
    html = page.content.decode()
    assert f"yes, line #{reissue.pk}" in html
    assert reverse("payments:batch-detail", args=[reissue.batch_id]) in html
    assert "same account" in html


def test_the_reconciliation_runs_a_fixed_number_of_queries(
    client, finance, django_assert_max_num_queries
):
    def reconciled(amounts):
        batch, _grants, rows = sent_with_rows(client, finance, amounts)
        failed = {seq: ("失败", "账户已销户") for seq in range(1, len(amounts) + 1)}
        upload(client, batch, return_csv(answered(rows, failed)))
        return reverse("payments:batch-reconciliation", args=[batch.pk])

    small = reconciled(("100.00", "200.00"))
    large = reconciled(tuple(f"{i}00.00" for i in range(1, 11)))
    with CaptureQueriesContext(connection) as queries:
        assert len(client.get(small).context["page"].object_list) == 2
    with django_assert_max_num_queries(len(queries)):
        assert len(client.get(large).context["page"].object_list) == 10


# --- payment runs ---------------------------------------------------------------------------


def start(client, **data):
    return client.post(
        reverse("payments:run-list"), {f"run-{key}": value for key, value in data.items()}
    )


def test_a_town_supervisor_starts_a_run_and_its_page_shows_the_result(
    client, supervisor_chashan, django_capture_on_commit_callbacks
):
    grant = approved_grant()
    payee_account(grant)
    client.force_login(supervisor_chashan)
    assert client.get(reverse("payments:run-list")).context["form"] is not None

    with django_capture_on_commit_callbacks(execute=True):
        response = start(client, period="2024-03", town=town("chashan").code, kind="monthly")

    run = PaymentRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("payments:run-detail", args=[run.pk])
    assert (run.state, run.started_by, run.towns_done, run.new_lines) == (
        PaymentRun.State.COMPLETE,
        supervisor_chashan,
        1,
        1,
    )
    page = client.get(response["Location"])
    batch = Batch.objects.get()
    assert not page.context["running"]
    assert page.context["batches"] == [batch]
    assert page.context["totals"] == {"lines": 1, "amount": Decimal("1600.00")}
    assert "1 new lines written" in page.content.decode()
    assert f'data-testid="run-batch-{batch.pk}"' in page.content.decode()


def test_the_run_form_refuses_what_the_service_refuses(client, supervisor_chashan, worker_chashan):
    client.force_login(worker_chashan)
    assert client.get(reverse("payments:run-list")).context["form"] is None
    refused = start(client, period="2024-03", kind="monthly")
    assert refused.status_code == 403
    assert "Only the city supervisor or a town supervisor starts a payment run." in summary(refused)

    client.force_login(supervisor_chashan)
    no_town = start(client, period="2024-03", town="", kind="monthly")
    assert no_town.status_code == 403
    assert "name the town" in summary(no_town)
    no_period = start(client, period="", town=town("chashan").code, kind="monthly")
    assert no_period.status_code == 400
    assert "Month paid: This field is required." in summary(no_period)
    assert not PaymentRun.objects.exists()


def test_a_running_run_polls_its_progress(client, city_supervisor):
    run = runs.payment_run_start(period=MARCH, actor=city_supervisor)
    PaymentRun.objects.filter(pk=run.pk).update(towns_done=3)
    client.force_login(city_supervisor)

    page = client.get(reverse("payments:run-detail", args=[run.pk]))
    progress = client.get(reverse("payments:run-progress", args=[run.pk]))

    html = page.content.decode()
    assert page.context["running"]
    assert reverse("payments:run-progress", args=[run.pk]) in html
    # The polling script is a static file (the CSP allows no inline script).
    assert '<script src="/static/js/towns-progress.js"></script>' in html
    assert "window.setTimeout(poll, 2000)" in Path(finders.find("js/towns-progress.js")).read_text()
    assert '<meta http-equiv="refresh" content="2">' in html  # without JavaScript
    body = progress.json()
    assert (body["state"], body["finished"], body["towns_done"]) == ("running", False, 3)
    assert body["towns_total"] == run.towns_total > 3
    listed = client.get(reverse("payments:batch-list"))
    assert [row[0] for row in listed.context["running"]] == [run]


def test_another_towns_run_is_404(client, supervisor_chashan):
    run = runs.payment_run_start(period=MARCH, town=town("dalang"))
    client.force_login(supervisor_chashan)
    assert client.get(reverse("payments:run-detail", args=[run.pk])).status_code == 404
    assert client.get(reverse("payments:run-progress", args=[run.pk])).status_code == 404


def city_wide_run_in_two_towns():
    """A city-wide March run: 茶山 one paying grant (1,600.00) and one without an account;
    大朗 two paying grants (1,600.00 and 1,450.00) and one whose account waits for confirmation."""
    paying = approved_grant()
    payee_account(paying, account_number="6222000011110001")
    skipped_chashan = approved_grant()
    for number, amount in (("6222000011110002", "1600.00"), ("6222000011110003", "1450.00")):
        grant = approved_grant(town_slug="dalang", amount=Decimal(amount))
        payee_account(grant, account_number=number)
    skipped_dalang = approved_grant(town_slug="dalang")
    payee_account(skipped_dalang, account_number="6222000011110004", state="proposed")
    run = runs.payment_run(period=MARCH).run
    return run, skipped_chashan, skipped_dalang


@pytest.mark.parametrize("persona", ["worker_chashan", "supervisor_chashan"])
def test_a_town_role_sees_only_its_own_towns_figures_of_a_city_wide_run(
    client, request, persona, city_supervisor
):
    run, _chashan, _dalang = city_wide_run_in_two_towns()
    user = request.getfixturevalue(persona)
    client.force_login(user)

    page = client.get(reverse("payments:run-detail", args=[run.pk]))
    figures = page.context["figures"]
    assert (figures.towns_done, figures.towns_total, figures.new_lines, figures.no_account) == (
        1,
        1,
        1,
        1,
    )
    html = page.content.decode()
    assert (
        "2024-03: 1 new lines written; the period now holds 1 live lines in 1 batches, "
        "1,600.00 yuan in all. 1 grants due a payment have no confirmed payee account"
    ) in html
    assert "4,650.00" not in html and "3 new lines" not in html
    listed = client.get(reverse("payments:run-list")).context["rows"]
    assert [(row[0], row[2].new_lines, row[2].towns_total) for row in listed] == [(run, 1, 1)]
    progress = client.get(reverse("payments:run-progress", args=[run.pk])).json()
    assert (progress["towns_done"], progress["towns_total"], progress["new_lines"]) == (1, 1, 1)

    from rest_framework.test import APIClient

    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(user)
    body = api.get("/api/v1/payment-runs/").json()["results"][0]
    assert (body["new_lines"], body["towns_total"], body["towns_done"]) == (1, 1, 1)
    assert "1,600.00 yuan in all" in body["message"]
    assert api.get(f"/api/v1/payment-runs/{run.pk}/").json() == body

    # City roles see the whole city.
    api.force_authenticate(city_supervisor)
    whole = api.get(f"/api/v1/payment-runs/{run.pk}/").json()
    assert (whole["new_lines"], whole["towns_total"]) == (3, run.towns_total)
    assert "4,650.00 yuan in all" in whole["message"]


def test_the_run_page_lists_the_skipped_grants_of_the_readers_towns_with_links(
    client, supervisor_chashan, city_supervisor
):
    run, skipped_chashan, skipped_dalang = city_wide_run_in_two_towns()
    client.force_login(supervisor_chashan)
    page = client.get(reverse("payments:run-detail", args=[run.pk]))
    html = page.content.decode()
    assert page.context["skipped_count"] == 1
    assert f'data-testid="run-skipped-{skipped_chashan.pk}"' in html
    grant_link = reverse("cases:grant-detail", args=[skipped_chashan.pk])
    assert f'href="{grant_link}"' in html
    assert "Due a payment, no confirmed payee account" in html
    assert f'data-testid="run-skipped-{skipped_dalang.pk}"' not in html

    client.force_login(city_supervisor)
    page = client.get(reverse("payments:run-detail", args=[run.pk]))
    assert [item["grant"] for item in page.context["skipped"]] == [
        skipped_chashan.pk,
        skipped_dalang.pk,
    ]


# --- money shown one way, and counts that agree --------------------------------------------


def test_the_import_message_counts_payments_as_the_reconciliation_page_does(client, finance):
    """A bank row pays one payee the sum of their lines: here row 1 holds December's payment
    and November's, reissued. The bank answers per row (2 rows paid) but 3 payments were paid,
    and the message says so, as the reconciliation page counts them."""
    batch, grants = batch_with_rows(("1600.00", "1450.00"), state=Batch.State.APPROVED)
    grant, account = grants[0]
    line(batch, grant, account, seq=1, amount="1600.00", period=datetime.date(2026, 11, 1))
    client.force_login(finance)
    _response, content = download(client, batch)
    assert act(client, batch, "send", checked="on").status_code == 302

    response = upload(client, batch, return_csv(answered(read_csv(content))), name="r.csv")

    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.context["paid"] == {"lines": 3, "amount": Decimal("4650.00")}
    assert "3 payments paid (4,650.00 yuan), 0 failed (0.00 yuan)" in html


def test_money_has_thousands_separators_on_the_batch_pages(client, finance):
    batch, _grants = batch_with_rows(("203260.00", "1450.50"))
    client.force_login(finance)

    pages = [
        client.get(reverse("payments:batch-list")),
        client.get(detail(batch)),
        client.get(reverse("payments:batch-roster", args=[batch.pk])),
        client.get(reverse("payments:batch-reconciliation", args=[batch.pk])),
    ]

    for page in pages:
        html = page.content.decode()
        assert page.status_code == 200
        assert "203,260.00" in html or "204,710.50" in html
        assert "203260.00" not in html and "204710.50" not in html
    assert "204,710.50" in pages[0].content.decode()  # the list's total
