"""Checking a bank's return file against its batch (read only): every row matched by 序号 and
账号, its amount checked, the totals line checked against the file and the batch; every problem
reported by row, column and rule (relief/tabular's RowError), at most MAX_LISTED_PROBLEMS of
them listed."""

from array import array
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Max, Sum
from django.utils.translation import gettext as _

from relief import tabular
from relief.money import format_money, to_fen
from relief.tabular import ImportReport, RowError, TabularError

from ..bankfiles import FIELDS, TOTALS_LABEL, batch_row_lines, default_layout, layout_columns
from ..models import BankFile, Batch, PaymentLine, masked_account

# A report lists this many problems and counts the rest (a file for the wrong batch would
# otherwise list a million missing rows).
MAX_LISTED_PROBLEMS = 1000
# Rows a return may have beyond the batch's own: the header, the totals line, blank rows. Every
# row read counts (relief/tabular's reader), so a file claiming millions of empty rows is
# refused after this many, whatever it unpacks to.
EXTRA_ROWS = 1000
STATUS_HEADERS = ("状态", "status")
REASON_HEADERS = ("失败原因", "failure reason", "failure_reason", "reason")
TOTALS_LABELS = {TOTALS_LABEL, "total", "totals"}
PAID, FAILED = PaymentLine.Status.PAID, PaymentLine.Status.FAILED
STATUS_WORDS = {"成功": PAID, "paid": PAID, "失败": FAILED, "failed": FAILED}


@dataclass
class CappedReport(ImportReport):
    """An ImportReport that lists the first `limit` problems and counts the others."""

    limit: int = MAX_LISTED_PROBLEMS
    unlisted: int = 0

    def add(self, row: int, column: str, rule: str) -> None:
        if len(self.errors) >= self.limit:
            self.unlisted += 1
            return
        super().add(row, column, rule)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.unlisted

    def close(self) -> None:
        if self.unlisted:
            self.errors.append(
                RowError(
                    0,
                    "",
                    _("%(count)d more problems are not listed; fix the ones above first")
                    % {"count": self.unlisted},
                )
            )
            self.unlisted = 0


class BatchRows:
    """The batch's bank-file rows as compact arrays: 序号 → (account number, amount in fen).
    A million rows take about 100 MB: the account numbers as strings, the rest as machine
    integers; when the 序号 run 1..n (as the payment run numbers them) no dict is needed."""

    def __init__(self, batch: Batch):
        self.seqs = array("q")
        self.fens = array("q")
        self.accounts: list[str] = []
        lines = (
            batch_row_lines(batch)
            .values("seq")
            .annotate(total=Sum("amount"), number=Max("account_number"))
            .order_by("seq")
            .values_list("seq", "number", "total")
        )
        dense = True
        for seq, number, total in lines.iterator(chunk_size=10_000):
            dense = dense and seq == len(self.seqs) + 1
            self.seqs.append(seq)
            self.accounts.append(number)
            self.fens.append(fen(total))
        self.index = None if dense else {seq: i for i, seq in enumerate(self.seqs)}
        self.count = len(self.seqs)
        self.total_fen = sum(self.fens)

    def position(self, seq: int) -> int | None:
        if self.index is not None:
            return self.index.get(seq)
        return seq - 1 if 1 <= seq <= self.count else None


def fen(amount) -> int:
    return int(to_fen(amount) * 100)


def yuan(fen_amount: int) -> Decimal:
    return to_fen(Decimal(fen_amount) / 100)


@dataclass
class Checked:
    report: CappedReport
    rows: int = 0
    paid_rows: int = 0
    paid_fen: int = 0
    failed: dict[int, str] = field(default_factory=dict)  # 序号 → the bank's reason
    failed_fen: int = 0


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _cell(cells: list, index: int | None):
    if index is None or index >= len(cells):
        return None
    value = cells[index]
    return value.strip() if isinstance(value, str) else value


def _header_fields(batch: Batch) -> tuple[dict[str, str], dict[str, str]]:
    """Header (lower case) → field, and field → the header named in reports. The columns are
    those of the layout the batch's last bank file used (else the default layout), each field's
    English name, and 状态 / 失败原因."""
    last_file = BankFile.objects.filter(batch=batch).select_related("layout").first()
    layout = last_file.layout if last_file is not None else default_layout()
    by_header: dict[str, str] = {}
    label: dict[str, str] = {}
    for header, field_name in layout_columns(layout):
        by_header[header.lower()] = field_name
        label.setdefault(field_name, header)
    for field_name in FIELDS:
        by_header.setdefault(field_name, field_name)
        label.setdefault(field_name, field_name)
    for header in STATUS_HEADERS:
        by_header[header] = "status"
    for header in REASON_HEADERS:
        by_header[header] = "reason"
    label["status"], label["reason"] = STATUS_HEADERS[0], REASON_HEADERS[0]
    return by_header, label


def bank_return_check(*, batch: Batch, content: bytes) -> Checked:
    """Check a return file against the batch's rows; read only. Every problem goes into the
    report (row 0: the file as a whole; row 1: the header)."""
    checker = _Checker(batch, CappedReport(limit=MAX_LISTED_PROBLEMS))
    try:
        checker.run(tabular.iter_rows(content, max_rows=return_row_limit(batch)))
    except TabularError as exc:
        checker.report.add(0, "", str(exc))
    checker.report.close()
    return checker.checked


def return_row_limit(batch: Batch) -> int:
    """The most rows a return of this batch may have after its first: one per bank-file row
    (序号) plus EXTRA_ROWS. It also bounds what an XLSX return may unpack to."""
    rows = batch_row_lines(batch).aggregate(rows=Count("seq", distinct=True))["rows"]
    return rows + EXTRA_ROWS


REQUIRED = ("seq", "account_number", "amount", "status")


class _Checker:
    """One pass over the file: the header, each data row, the totals line; then the batch's
    rows the file did not mention."""

    parse_seq = staticmethod(tabular.integer(min_value=1))
    parse_count = staticmethod(tabular.integer(min_value=0))
    parse_account = staticmethod(tabular.text(max_length=30))
    parse_amount = staticmethod(tabular.money())
    parse_status = staticmethod(tabular.choice(STATUS_WORDS))
    parse_reason = staticmethod(tabular.text(max_length=200))

    def __init__(self, batch: Batch, report: CappedReport):
        self.batch = batch
        self.report = report
        self.checked = Checked(report=report)
        self.by_header, self.label = _header_fields(batch)
        self.positions: dict[str, int] = {}
        self.file_fen = 0
        self.amounts_readable = True
        self.totals: tuple[int, int | None, int | None] | None = None  # (row, count, fen)

    def run(self, rows) -> None:
        rows = iter(rows)
        if not self.header(rows):
            return
        self.expected = BatchRows(self.batch)
        # The file row of each batch row; 0 = not seen yet.
        self.row_of = array("q", bytes(8 * self.expected.count))
        for number, cells in rows:
            first = _cell(cells, 0)
            if _blank(first) and tabular.is_blank_row(cells):
                continue
            if isinstance(first, str) and first.lower() in TOTALS_LABELS:
                self.totals_line(number, cells)
            elif self.totals is not None:
                self.report.add(
                    number, "", _("a row after the totals line (合计); the totals line is last")
                )
            else:
                self.data_row(number, cells)
        self.finish()

    def header(self, rows) -> bool:
        """Column positions from the first non-blank row; False when the rows cannot be read."""
        for number, cells in rows:
            if tabular.is_blank_row(cells):
                continue
            for index, raw in enumerate(cells):
                name = "" if raw is None else str(raw).replace("\ufeff", "").strip().lower()
                field_name = self.by_header.get(name)
                if field_name is None:
                    continue  # a column the bank added (its own reference) is not ours to check
                if field_name in self.positions:
                    self.report.add(
                        number, str(raw).strip(), _("the column appears twice in the header row")
                    )
                else:
                    self.positions[field_name] = index
            for required in REQUIRED:
                if required not in self.positions:
                    self.report.add(
                        number,
                        self.label[required],
                        _("this required column is missing from the header row"),
                    )
            return self.report.ok
        self.report.add(0, "", _("The file is empty."))
        return False

    def value(self, cells, number: int, field_name: str, parse, *, at=None, required=True):
        """The parsed cell of `field_name` (or at position `at`), or None with the problem
        reported."""
        # Called for every cell of a million-row file: _cell and _blank inlined.
        position = self.positions.get(field_name) if at is None else at
        raw = cells[position] if position is not None and position < len(cells) else None
        if isinstance(raw, str):
            raw = raw.strip()
        if raw is None or raw == "":
            if required:
                self.report.add(
                    number, self.label.get(field_name, field_name), _("a value is required")
                )
            return None
        try:
            return parse(raw)
        except ValueError as exc:
            self.report.add(number, self.label.get(field_name, field_name), str(exc))
            return None

    def totals_line(self, number: int, cells) -> None:
        if self.totals is not None:
            self.report.add(number, TOTALS_LABEL, _("a second totals line; the file has one"))
            return
        # 合计, count, total: fixed positions whatever the layout (docs/bank-files.md).
        count = self.value(cells, number, TOTALS_LABEL, self.parse_count, at=1)
        total = self.value(cells, number, TOTALS_LABEL, self.parse_amount, at=2)
        self.totals = (number, count, fen(total) if total is not None else None)

    def data_row(self, number: int, cells) -> None:
        checked, expected, label = self.checked, self.expected, self.label
        checked.rows += 1
        seq = self.value(cells, number, "seq", self.parse_seq)
        account = self.value(cells, number, "account_number", self.parse_account)
        amount = self.value(cells, number, "amount", self.parse_amount)
        status = self.value(cells, number, "status", self.parse_status)
        reason = self.value(cells, number, "reason", self.parse_reason, required=False) or ""
        amount_fen = fen(amount) if amount is not None else None
        if amount_fen is None:
            self.amounts_readable = False
        else:
            self.file_fen += amount_fen
        if seq is None:
            return
        position = expected.position(seq)
        if position is None:
            self.report.add(
                number,
                label["seq"],
                _("序号 %(seq)d is not a row of batch #%(batch)d (unknown line)")
                % {"seq": seq, "batch": self.batch.pk},
            )
            return
        if self.row_of[position]:
            self.report.add(
                number,
                label["seq"],
                _("序号 %(seq)d is already on row %(row)d (duplicate row)")
                % {"seq": seq, "row": self.row_of[position]},
            )
            return
        self.row_of[position] = number
        matches = True
        if account is not None and account != expected.accounts[position]:
            matches = False
            self.report.add(
                number,
                label["account_number"],
                _("the account number does not match the batch's row 序号 %(seq)d (%(masked)s)")
                % {"seq": seq, "masked": masked_account(expected.accounts[position])},
            )
        if amount_fen is not None and amount_fen != expected.fens[position]:
            matches = False
            self.report.add(
                number,
                label["amount"],
                _(
                    "the amount %(amount)s does not match the batch's row 序号 %(seq)d (%(expected)s)"
                )
                % {
                    "amount": format_money(yuan(amount_fen)),
                    "seq": seq,
                    "expected": format_money(yuan(expected.fens[position])),
                },
            )
        if status is None or not matches:
            return
        if status == FAILED:
            checked.failed[seq] = reason
            checked.failed_fen += expected.fens[position]
        else:
            checked.paid_rows += 1
            checked.paid_fen += expected.fens[position]

    def finish(self) -> None:
        checked, expected, report = self.checked, self.expected, self.report
        if checked.rows == 0:
            report.add(0, "", _("The file has a header row but no data rows."))
        if self.totals is None:
            report.add(
                0, TOTALS_LABEL, _("the totals line (合计, row count, total amount) is missing")
            )
        else:
            self.check_totals(*self.totals)
        for position, seen in enumerate(self.row_of):
            if not seen:
                report.add(
                    0,
                    self.label["seq"],
                    _("the batch's row 序号 %(seq)d is missing from the file")
                    % {"seq": expected.seqs[position]},
                )

    def check_totals(self, row: int, count: int | None, total_fen: int | None) -> None:
        """The totals line must match the file's own rows and the batch."""
        rows, expected, batch = self.checked.rows, self.expected, self.batch
        add = self.report.add
        if count is not None and count != rows:
            add(
                row,
                TOTALS_LABEL,
                _("the totals line counts %(count)d rows but the file has %(rows)d")
                % {"count": count, "rows": rows},
            )
        if count is not None and count != expected.count:
            add(
                row,
                TOTALS_LABEL,
                _("the totals line counts %(count)d rows but batch #%(batch)d has %(rows)d")
                % {"count": count, "batch": batch.pk, "rows": expected.count},
            )
        if total_fen is not None and self.amounts_readable and total_fen != self.file_fen:
            add(
                row,
                TOTALS_LABEL,
                _("the totals line says %(total)s yuan but the file's rows add up to %(sum)s")
                % {
                    "total": format_money(yuan(total_fen)),
                    "sum": format_money(yuan(self.file_fen)),
                },
            )
        if total_fen is not None and total_fen != expected.total_fen:
            add(
                row,
                TOTALS_LABEL,
                _("the totals line says %(total)s yuan but batch #%(batch)d pays %(sum)s")
                % {
                    "total": format_money(yuan(total_fen)),
                    "batch": batch.pk,
                    "sum": format_money(yuan(expected.total_fen)),
                },
            )
