"""Batches and lines written directly with the models, for the bank-file and bank-return tests
(independent of the payment run: a run bug must not hide a bank-file bug, nor the reverse)."""

import csv
import datetime
import io
from decimal import Decimal

from payments.models import Batch, PayeeAccount, PaymentLine, Recovery
from tests.factories import UserFactory, approved_grant, town

PERIOD = datetime.date(2026, 12, 1)
NOW = datetime.datetime(2026, 11, 25, 2, 0, tzinfo=datetime.UTC)  # 10:00 in Shanghai


def confirmed_account(grant, *, number: str, holder: str | None = None, bank="中国农业银行"):
    head = grant.household.memberships.select_related("person").get(relation="head").person
    return PayeeAccount.objects.create(
        grant=grant,
        payee=head,
        bank_name=bank,
        account_holder=holder or head.name,
        account_number=number,
        state=PayeeAccount.State.CONFIRMED,
        proposed_by=UserFactory(),
        proposed_at=NOW,
        confirmed_by=UserFactory(),
        confirmed_at=NOW,
    )


def batch_of(town_slug="chashan", *, state=Batch.State.APPROVED, period=PERIOD, kind="monthly"):
    maker, checker = UserFactory(), UserFactory()
    reached = list(Batch.State.values).index(state)
    return Batch.objects.create(
        kind=kind,
        town=town(town_slug),
        period=period,
        business_date=datetime.date(2026, 11, 20),
        state=state,
        submitted_by=maker if reached >= 1 else None,
        approved_by=checker if reached >= 2 else None,
    )


def line(batch, grant, account, *, seq, amount, kind="regular", period=None, **extra):
    return PaymentLine.objects.create(
        batch=batch,
        grant=grant,
        period=period or batch.period,
        kind=kind,
        amount=Decimal(amount),
        seq=seq,
        payee=account.payee,
        account=account,
        bank_name=account.bank_name,
        account_holder=account.account_holder,
        account_number=account.account_number,
        **extra,
    )


def paying_grants(count: int, town_slug="chashan"):
    """`count` grants with confirmed accounts 6222000000000001, ...02, ..."""
    grants = []
    for i in range(1, count + 1):
        grant = approved_grant(town_slug=town_slug, starts_month=datetime.date(2026, 1, 1))
        grants.append((grant, confirmed_account(grant, number=f"62220000000000{i:02d}")))
    return grants


def batch_with_rows(
    amounts=("1600.00", "1450.00", "980.50"), *, state=Batch.State.APPROVED, town_slug="chashan"
):
    """A batch with one regular line per amount, rows 1..n; returns (batch, [(grant, account)])."""
    batch = batch_of(town_slug, state=state)
    grants = paying_grants(len(amounts), town_slug)
    for seq, ((grant, account), amount) in enumerate(zip(grants, amounts, strict=True), 1):
        line(batch, grant, account, seq=seq, amount=amount)
    batch.line_count = len(amounts)
    batch.total_amount = sum(Decimal(a) for a in amounts)
    batch.save()
    return batch, grants


def deduction_recovery(grant, *, amount="500.00", balance=None):
    return Recovery.objects.create(
        grant=grant,
        months={"2026-06": amount},
        amount=Decimal(amount),
        balance=Decimal(balance or amount),
        reason="Income reported late.",
        state=Recovery.State.CONFIRMED,
        method=Recovery.Method.DEDUCTION,
        created_at=NOW,
    )


def read_csv(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def return_csv(rows: list[list], *, header=None, totals=None) -> bytes:
    """A bank return in the default layout plus 状态 and 失败原因. `rows` are
    [序号, 户名, 账号, 金额, 身份证号, 摘要, 状态, 失败原因]; `totals` defaults to the rows' own."""
    header = header or ["序号", "户名", "账号", "金额", "身份证号", "摘要", "状态", "失败原因"]
    if totals is None:
        totals = [len(rows), f"{sum(Decimal(str(r[3])) for r in rows):.2f}"]
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    writer.writerow(["合计", *totals] + [""] * (len(header) - 3))
    return out.getvalue().encode("utf-8-sig")


def answered(export_rows: list[list[str]], statuses: dict[int, tuple[str, str]] | None = None):
    """The data rows of an exported CSV (header and totals dropped) with 状态 and 失败原因
    added: 成功 unless `statuses` says otherwise for a 序号."""
    statuses = statuses or {}
    rows = []
    for row in export_rows[1:-1]:
        status, reason = statuses.get(int(row[0]), ("成功", ""))
        rows.append([*row, status, reason])
    return rows


def exported(batch, finance, fmt="csv") -> bytes:
    """Export the batch's bank file as finance (what must happen before it is marked sent);
    returns the file's content."""
    from payments.bankfiles import bank_file_export

    _name, chunks, _file = bank_file_export(actor=finance, batch=batch, fmt=fmt)
    return b"".join(chunks)
