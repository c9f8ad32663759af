"""Bank files: a batch's payments in the column layout a bank takes for a batch transfer (the
exact shape is in docs/bank-files.md).

One row per `seq` (序号): all lines of one grant in a batch share a row, which pays their sum net
of any deduction. The file ends with a totals line (合计, the number of rows, the total). Account
and ID numbers are in full, so only finance may export (DOMAIN.md §2), and every export is an
audit event with the file's SHA-256, size and exporter recorded in a BankFile row.

For volume the rows are aggregated in SQL (GROUP BY seq) and streamed through a server-side
cursor into a temporary file, hashed while written; memory stays flat whatever the batch size.
"""

import csv
import datetime
import hashlib
import io
import tempfile
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Min, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.idnumbers import mask_id_number
from cases.models import Role, Scheme
from cases.permissions import role_of
from relief.money import ZERO, format_money, to_fen
from relief.services import record
from relief.tabular import FORMULA_START, safe_cell, safe_row

from .models import BankFile, BankFileLayout, Batch, PaymentLine, masked_account

# The fields a layout's column may show (BankFileLayout.columns: [{"header", "field"}]).
FIELDS = {
    "seq": gettext_lazy("Row number (序号): the same in the bank's return file"),
    "account_holder": gettext_lazy("Account holder (户名)"),
    "account_number": gettext_lazy("Account number (账号), in full"),
    "amount": gettext_lazy("Amount in yuan (金额): the row's lines summed, net of deductions"),
    "id_number": gettext_lazy("The payee's ID number (身份证号), in full"),
    "memo": gettext_lazy("Memo (摘要): the month and the scheme, e.g. 2026-12 低保"),
    "bank_name": gettext_lazy("The account's bank (开户行)"),
    "town": gettext_lazy("The batch's town (镇街)"),
    "period": gettext_lazy("The month paid (YYYY-MM)"),
}
# Without these a bank's return cannot be matched to the batch (payments.returns matches
# 序号 + 账号 and checks 金额), so every layout must have them.
REQUIRED_FIELDS = ("seq", "account_number", "amount")
TOTALS_LABEL = "合计"
# The memo goes to Chinese banks and recipients' statements whatever the exporter's language.
SCHEME_MEMO = {
    Scheme.Kind.DIBAO: "低保",
    Scheme.Kind.TEKUN: "特困",
    Scheme.Kind.TEMPORARY: "临时救助",
}
EXPORTABLE_STATES = (Batch.State.APPROVED, Batch.State.SENT, Batch.State.RECONCILED)
CONTENT_TYPES = {
    BankFile.Format.CSV: "text/csv; charset=utf-8",
    BankFile.Format.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
CHUNK_ROWS = 10_000  # rows per server-side cursor fetch and per CSV write
READ_CHUNK = 1 << 16


@dataclass(slots=True)
class BankRow:
    """One row of a batch's bank file: the grant's lines in the batch, summed."""

    seq: int
    amount: Decimal
    account_holder: str
    account_number: str
    bank_name: str
    id_number: str
    scheme_kind: str
    first_period: datetime.date
    last_period: datetime.date
    # Consistency of the lines behind the row: one grant, one account.
    accounts_agree: bool = True
    grants_agree: bool = True

    @property
    def period_text(self) -> str:
        # Formatted by hand: strftime was a quarter of a million-row export's time.
        first, last = self.first_period, self.last_period
        text = f"{first.year:04d}-{first.month:02d}"
        if (first.year, first.month) != (last.year, last.month):
            text += f"~{last.year:04d}-{last.month:02d}"
        return text

    @property
    def memo(self) -> str:
        return f"{self.period_text} {SCHEME_MEMO.get(self.scheme_kind, '')}".strip()


def batch_row_lines(batch: Batch) -> QuerySet[PaymentLine]:
    """The lines a batch's bank file shows: every line but reversed ones, so that a re-download
    after the return (lines then paid or failed) gives the file the bank received."""
    return PaymentLine.objects.filter(batch_id=batch.pk).exclude(status=PaymentLine.Status.REVERSED)


def batch_rows(batch: Batch) -> Iterator[BankRow]:
    """The batch's bank-file rows in 序号 order, aggregated in SQL (GROUP BY seq) and fetched
    through a server-side cursor in chunks."""
    rows = (
        batch_row_lines(batch)
        .values("seq")
        .annotate(
            total=Sum("amount"),
            holder=Max("account_holder"),
            number_max=Max("account_number"),
            number_min=Min("account_number"),
            bank=Max("bank_name"),
            id_number=Max("payee__id_number"),
            scheme_kind=Max("grant__scheme__kind"),
            grant_max=Max("grant_id"),
            grant_min=Min("grant_id"),
            first_period=Min("period"),
            last_period=Max("period"),
        )
        .order_by("seq")
        .values_list(
            "seq",
            "total",
            "holder",
            "number_max",
            "number_min",
            "bank",
            "id_number",
            "scheme_kind",
            "grant_max",
            "grant_min",
            "first_period",
            "last_period",
        )
    )
    with closing(rows.iterator(chunk_size=CHUNK_ROWS)) as cursor:
        for seq, total, holder, number, number_min, bank, id_number, kind, *rest in cursor:
            g_max, g_min, first, last = rest
            yield BankRow(
                seq=seq,
                amount=to_fen(total),
                account_holder=holder,
                account_number=number,
                bank_name=bank,
                id_number=id_number,
                scheme_kind=kind,
                first_period=first,
                last_period=last,
                accounts_agree=number == number_min,
                grants_agree=g_max == g_min,
            )


@dataclass(frozen=True)
class RosterRow:
    """One row of the printable payment roster (发放花名册): the bank-file row with the account
    and ID numbers masked, and, once the bank answered, its status and reason."""

    seq: int
    amount: Decimal
    account_holder: str
    masked_account: str
    masked_id: str
    bank_name: str
    memo: str
    status: str
    failure_reason: str

    @property
    def status_label(self) -> str:
        return PaymentLine.Status(self.status).label


def roster_rows(batch: Batch) -> list[RosterRow]:
    """The roster's rows in 序号 order: one query (GROUP BY seq); the full numbers are masked
    before they leave this function (DOMAIN.md §2: full numbers only in bank files)."""
    rows = (
        batch_row_lines(batch)
        .values("seq")
        .annotate(
            total=Sum("amount"),
            holder=Max("account_holder"),
            number=Max("account_number"),
            bank=Max("bank_name"),
            id_number=Max("payee__id_number"),
            scheme_kind=Max("grant__scheme__kind"),
            first_period=Min("period"),
            last_period=Max("period"),
            row_status=Max("status"),
            reason=Max("failure_reason"),
        )
        .order_by("seq")
    )
    result = []
    for row in rows:
        bank_row = BankRow(
            seq=row["seq"],
            amount=to_fen(row["total"]),
            account_holder=row["holder"],
            account_number=row["number"],
            bank_name=row["bank"],
            id_number=row["id_number"],
            scheme_kind=row["scheme_kind"],
            first_period=row["first_period"],
            last_period=row["last_period"],
        )
        result.append(
            RosterRow(
                seq=bank_row.seq,
                amount=bank_row.amount,
                account_holder=bank_row.account_holder,
                masked_account=masked_account(bank_row.account_number),
                masked_id=mask_id_number(bank_row.id_number),
                bank_name=bank_row.bank_name,
                memo=bank_row.memo,
                status=row["row_status"],
                failure_reason=row["reason"],
            )
        )
    return result


def default_layout() -> BankFileLayout:
    layout = BankFileLayout.objects.filter(is_default=True).first()
    if layout is None:
        raise ValidationError({"layout": _("No default bank-file layout is configured.")})
    return layout


def layout_columns(layout: BankFileLayout) -> list[tuple[str, str]]:
    """The layout's (header, field) pairs, checked: known fields, unique headers, and the
    fields a bank's return is matched by."""
    columns = layout.columns if isinstance(layout.columns, list) else None
    problems = []
    pairs: list[tuple[str, str]] = []
    for column in columns or [None]:
        if not isinstance(column, dict) or not str(column.get("header", "")).strip():
            problems.append(_("every column needs a header and a field"))
            continue
        header, field = str(column["header"]).strip(), str(column.get("field", ""))
        if header.startswith(FORMULA_START):
            problems.append(
                _(
                    "column %(header)s: a header may not start with = + - or @ (a spreadsheet "
                    "would run it as a formula)"
                )
                % {"header": header}
            )
        if field not in FIELDS:
            problems.append(
                _("column %(header)s: unknown field %(field)s; the fields are: %(fields)s")
                % {"header": header, "field": field, "fields": ", ".join(FIELDS)}
            )
        pairs.append((header, field))
    headers = [header.lower() for header, _field in pairs]
    if len(set(headers)) != len(headers):
        problems.append(_("two columns have the same header"))
    fields = {field for _header, field in pairs}
    for field in REQUIRED_FIELDS:
        if field not in fields:
            problems.append(
                _("the layout needs a column for %(field)s to match the bank's return")
                % {"field": field}
            )
    if problems:
        raise ValidationError(
            {
                "layout": _("Layout “%(name)s”: %(problems)s.")
                % {"name": str(layout), "problems": "; ".join(problems)}
            }
        )
    return pairs


# Each field's cell (row, town name, xlsx): only the layout's fields are computed. Text that
# people typed (names, bank, town) goes through safe_cell, so no spreadsheet program runs it as a
# formula (docs/bank-files.md); 序号 and the amount are numbers and are written as they are.
_CELLS: dict[str, Callable[[BankRow, str, bool], object]] = {
    "seq": lambda row, town, xlsx: row.seq,
    "account_holder": lambda row, town, xlsx: safe_cell(row.account_holder),
    "account_number": lambda row, town, xlsx: safe_cell(row.account_number),
    # A number in a workbook (a bank's template sums it); text with two decimals in CSV.
    "amount": lambda row, town, xlsx: row.amount if xlsx else f"{row.amount:.2f}",
    "id_number": lambda row, town, xlsx: safe_cell(row.id_number),
    "memo": lambda row, town, xlsx: safe_cell(row.memo),
    "bank_name": lambda row, town, xlsx: safe_cell(row.bank_name),
    "town": lambda row, town, xlsx: safe_cell(town),
    "period": lambda row, town, xlsx: row.period_text,
}


def _row_values(row: BankRow, fields: list[str], town_name: str, *, xlsx: bool) -> list:
    return [_CELLS[field](row, town_name, xlsx) for field in fields]


def _check_row(batch: Batch, row: BankRow) -> None:
    """A row the bank would pay wrongly stops the export (the run numbers and fills the rows;
    these checks make a bug there visible instead of sending it to the bank)."""
    problem = None
    if row.seq < 1:
        problem = _("some lines have no row number (序号) yet")
    elif not row.grants_agree:
        problem = _("row %(seq)d holds lines of more than one grant") % {"seq": row.seq}
    elif not row.accounts_agree:
        problem = _("row %(seq)d holds lines paying into different accounts") % {"seq": row.seq}
    elif row.amount <= 0:
        problem = _("row %(seq)d pays %(amount)s yuan; a bank row must pay more than 0") % {
            "seq": row.seq,
            "amount": format_money(row.amount),
        }
    if problem:
        raise ValidationError(
            {
                "batch": _("Batch #%(id)d cannot be exported: %(problem)s.")
                % {"id": batch.pk, "problem": problem}
            }
        )


class _HashingWriter:
    """Writes bytes to a file while hashing and counting them."""

    def __init__(self, handle):
        self.handle = handle
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        self.digest.update(data)
        self.size += len(data)
        self.handle.write(data)


def _write_csv(handle, headers, fields, rows, batch, town_name) -> tuple[int, Decimal, str, int]:
    """UTF-8 with BOM (Excel on Chinese Windows opens it right), CRLF line ends."""
    out = _HashingWriter(handle)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    out.write("\ufeff".encode())
    writer.writerow(safe_row(headers))
    count, total = 0, ZERO
    for row in rows:
        _check_row(batch, row)
        writer.writerow(_row_values(row, fields, town_name, xlsx=False))
        count += 1
        total += row.amount
        if count % CHUNK_ROWS == 0:
            out.write(buffer.getvalue().encode("utf-8"))
            buffer.seek(0)
            buffer.truncate()
    writer.writerow(_totals_line(len(headers), count, f"{total:.2f}"))
    out.write(buffer.getvalue().encode("utf-8"))
    return count, total, out.digest.hexdigest(), out.size


def _write_xlsx(handle, headers, fields, rows, batch, town_name) -> tuple[int, Decimal, str, int]:
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    # write_only: rows go to disk as they come, so a million rows do not sit in memory.
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(f"{batch.period:%Y-%m}")
    for index, field in enumerate(fields, start=1):
        width = 24 if field in ("account_number", "id_number", "bank_name", "memo") else 12
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.append(safe_row(headers))
    count, total = 0, ZERO
    for row in rows:
        _check_row(batch, row)
        # Account and ID numbers are written as text cells, so no digit is lost.
        sheet.append(_row_values(row, fields, town_name, xlsx=True))
        count += 1
        total += row.amount
    sheet.append(_totals_line(len(headers), count, total))
    workbook.save(handle)
    handle.flush()
    handle.seek(0)
    digest, size = hashlib.sha256(), 0
    for chunk in iter(lambda: handle.read(READ_CHUNK), b""):
        digest.update(chunk)
        size += len(chunk)
    return count, total, digest.hexdigest(), size


def _totals_line(width: int, count: int, total) -> list:
    """合计, the number of rows, the total amount, then empty cells to the header's width."""
    return [TOTALS_LABEL, count, total] + [""] * max(0, width - 3)


def _stream(handle) -> Iterator[bytes]:
    try:
        handle.seek(0)
        yield from iter(lambda: handle.read(READ_CHUNK), b"")
    finally:
        handle.close()


def bank_file_name(batch: Batch, fmt: str) -> str:
    return f"relief-batch-{batch.pk}-{batch.town.code}-{batch.period:%Y-%m}-{batch.kind}.{fmt}"


def bank_file_export(
    *,
    actor,
    batch: Batch,
    fmt: str,
    layout: BankFileLayout | None = None,
    request=None,
    now: datetime.datetime | None = None,
) -> tuple[str, Iterator[bytes], BankFile]:
    """Write the batch's bank file; return (file name, the file's bytes in chunks, the BankFile
    record). Finance only (DOMAIN.md §2: full account and ID numbers leave Relief only in bank
    files). The batch must be approved or sent; a reconciled batch's file may be downloaded
    again. The BankFile row and the "export" audit event are written in the transaction that
    reads the rows, with the batch locked so its state cannot change meanwhile."""
    if role_of(actor) != Role.FINANCE:
        raise PermissionDenied(_("Only the finance officer exports bank files."))
    if fmt not in BankFile.Format.values:
        raise ValidationError(
            {
                "format": _("The format must be one of: %(formats)s.")
                % {"formats": ", ".join(BankFile.Format.values)}
            }
        )
    now = now or timezone.now()
    layout = layout or default_layout()
    columns = layout_columns(layout)
    headers = [header for header, _field in columns]
    fields = [field for _header, field in columns]
    writer = _write_csv if fmt == BankFile.Format.CSV else _write_xlsx
    handle = tempfile.TemporaryFile()
    try:
        with transaction.atomic():
            batch = (
                Batch.objects.select_for_update(of=("self",))
                .select_related("town")
                .get(pk=batch.pk)
            )
            if batch.state not in EXPORTABLE_STATES:
                raise ValidationError(
                    {
                        "state": _(
                            "Batch #%(id)d is %(state)s: a bank file is exported only for an "
                            "approved batch (or downloaded again once sent)."
                        )
                        % {"id": batch.pk, "state": batch.get_state_display()}
                    }
                )
            # Closed inside the transaction even when a row stops the export: the server-side
            # cursor must not outlive the savepoint it was declared in.
            with closing(batch_rows(batch)) as rows:
                count, total, sha256, size = writer(
                    handle, headers, fields, rows, batch, batch.town.name
                )
            if count == 0:
                raise ValidationError(
                    {"batch": _("Batch #%(id)d has no lines to pay.") % {"id": batch.pk}}
                )
            bank_file = BankFile.objects.create(
                batch=batch,
                format=fmt,
                layout=layout,
                sha256=sha256,
                size=size,
                rows=count,
                total_amount=to_fen(total),
                exported_by=actor,
                exported_at=now,
            )
            record(
                actor=actor,
                action="export",
                target=bank_file,
                town_code=batch.town.code,
                request=request,
                batch=batch.pk,
                format=fmt,
                rows=count,
                total_amount=f"{total:.2f}",
                sha256=sha256,
            )
    except BaseException:
        handle.close()
        raise
    return bank_file_name(batch, fmt), _stream(handle), bank_file
