"""Bank returns: the bank's answer to a sent batch, imported whole or not at all (the file's
shape is in docs/bank-files.md).

The file is the exported bank file plus 状态 (成功/失败) and 失败原因 columns, with its totals
line. Rows are matched by 序号 AND 账号 against the batch's rows and their amounts checked; the
totals line must match the file's own rows and the batch. Any problem rejects the whole file,
with a report of every problem by row, column and rule (relief/tabular's RowError). A
reconciled batch answers the same file again with "already imported" and refuses another file.

On success, in one transaction: the lines of paid rows become paid, those of failed rows failed
with the bank's reason (the town's case workers are told to fix the account; the next run
reissues the line), paid deduction lines become repayments of their recovery, paid back-pay lines
settle their back-pay orders, and the batch becomes reconciled.

For volume (1,000,000 rows) the file is parsed as a stream, checked against the batch's rows held
as compact arrays, and applied with a handful of set-based UPDATEs.
"""

import datetime
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, models, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_update_with_history

from cases.inbox import Message, notify_many
from cases.models import Notification, Role, StaffProfile
from cases.permissions import role_of
from relief.history import with_actor
from relief.money import ZERO, format_money
from relief.services import record
from relief.tabular import ImportReport

from ..models import BackPay, BankReturn, Batch, PaymentLine, Recovery, RecoveryRepayment
from ..selectors import batch_status_totals
from .checking import FAILED, MAX_LISTED_PROBLEMS, PAID, Checked, bank_return_check, yuan

__all__ = [
    "MAX_LISTED_PROBLEMS",
    "MAX_RETURN_BYTES",
    "Checked",
    "Outcome",
    "ReturnResult",
    "bank_return_check",
    "bank_return_import",
]

COMMAND_USERNAME = "manage.py import_bank_return"
MAX_RETURN_BYTES = 512 * 1024 * 1024
# How far back a paid back-pay line's chain of reissues is followed to the order it settles.
REISSUE_DEPTH = 4
VALUES_CHUNK = 1000
# The inbox has no payments kind yet: a failed payment is the bank's decision on the line.
NOTIFICATION_KIND = Notification.Kind.PAYMENT


class Outcome(models.TextChoices):
    IMPORTED = "imported", gettext_lazy("Imported")
    REPEAT = "repeat", gettext_lazy("Already imported: nothing changed")
    REJECTED = "rejected", gettext_lazy("Rejected: nothing changed")


@dataclass
class ReturnResult:
    """What an import did: "imported", "repeat" (the same file again: nothing changed) or
    "rejected" (nothing changed; `report` says why)."""

    IMPORTED = Outcome.IMPORTED
    REPEAT = Outcome.REPEAT
    REJECTED = Outcome.REJECTED

    batch: Batch
    outcome: str
    sha256: str
    report: ImportReport = field(default_factory=ImportReport)
    bank_return: BankReturn | None = None
    rows: int = 0
    paid_rows: int = 0
    failed_rows: int = 0
    paid_amount: Decimal = ZERO
    failed_amount: Decimal = ZERO
    repayments: int = 0
    settled_backpays: int = 0
    # Deducted money no confirmed recovery of the grant was still waiting for (see docs).
    unallocated_deductions: Decimal = ZERO
    # The batch's payment lines by status after the import (payments.selectors.
    # batch_status_totals): what the reconciliation page counts. A bank row may hold several
    # lines of one payee, so these can exceed the rows.
    lines: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.outcome != self.REJECTED

    @property
    def paid_lines(self) -> int:
        return self.lines.get(PAID, {}).get("lines", 0)

    @property
    def failed_lines(self) -> int:
        return self.lines.get(FAILED, {}).get("lines", 0)

    def summary(self) -> str:
        """What an imported return did, counted as the reconciliation page counts it."""
        paid = self.lines.get(PAID, {"lines": 0, "amount": ZERO})
        failed = self.lines.get(FAILED, {"lines": 0, "amount": ZERO})
        return _(
            "Return imported: %(paid)d payments paid (%(paid_amount)s yuan), %(failed)d failed "
            "(%(failed_amount)s yuan). The batch is reconciled."
        ) % {
            "paid": paid["lines"],
            "paid_amount": format_money(paid["amount"]),
            "failed": failed["lines"],
            "failed_amount": format_money(failed["amount"]),
        }


def _require_finance(actor) -> None:
    # No actor: the server's operator running manage.py import_bank_return without --user.
    if actor is not None and role_of(actor) != Role.FINANCE:
        raise PermissionDenied(_("Only the finance officer imports bank returns."))


def _answered(batch: Batch, sha256: str) -> ReturnResult | None:
    """The answer for a batch that is already reconciled: the same file is a repeat, another
    file is refused. None when the batch waits for its return."""
    if batch.state == Batch.State.RECONCILED:
        if BankReturn.objects.filter(batch=batch, sha256=sha256).exists():
            return ReturnResult(batch=batch, outcome=ReturnResult.REPEAT, sha256=sha256)
        report = ImportReport()
        report.add(
            0,
            "",
            _(
                "batch #%(batch)d is already reconciled with another return file; "
                "a batch takes one return"
            )
            % {"batch": batch.pk},
        )
        return ReturnResult(
            batch=batch, outcome=ReturnResult.REJECTED, sha256=sha256, report=report
        )
    if batch.state != Batch.State.SENT:
        raise ValidationError(
            {
                "batch": _(
                    "Batch #%(batch)d is %(state)s: a bank return is imported only for a batch "
                    "sent to the bank."
                )
                % {"batch": batch.pk, "state": batch.get_state_display()}
            }
        )
    return None


def bank_return_import(
    *,
    actor,
    batch: Batch,
    file_name: str,
    content: bytes,
    request=None,
    today: datetime.date | None = None,
    now: datetime.datetime | None = None,
) -> ReturnResult:
    """Import the bank's return file for a sent batch, whole or not at all (see the module
    docstring). Finance only; `actor` None is the server's operator (the command without
    --user). Checking reads the file outside the transaction; applying locks the batch and
    checks its state again, so two imports of one file cannot both apply."""
    _require_finance(actor)
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    if len(content) > MAX_RETURN_BYTES:
        raise ValidationError(
            {"file": _("The file is larger than %(max)d MB.") % {"max": MAX_RETURN_BYTES >> 20}}
        )
    sha256 = hashlib.sha256(content).hexdigest()
    batch = Batch.objects.select_related("town").get(pk=batch.pk)
    answer = _answered(batch, sha256)
    if answer is not None:
        return answer

    checked = bank_return_check(batch=batch, content=content)
    if not checked.report.ok:
        return ReturnResult(
            batch=batch, outcome=ReturnResult.REJECTED, sha256=sha256, report=checked.report
        )

    with transaction.atomic():
        batch = (
            Batch.objects.select_for_update(of=("self",)).select_related("town").get(pk=batch.pk)
        )
        answer = _answered(batch, sha256)
        if answer is not None:
            return answer
        result = ReturnResult(
            batch=batch,
            outcome=ReturnResult.IMPORTED,
            sha256=sha256,
            rows=checked.rows,
            paid_rows=checked.paid_rows,
            failed_rows=len(checked.failed),
            paid_amount=yuan(checked.paid_fen),
            failed_amount=yuan(checked.failed_fen),
        )
        _mark_lines(batch, checked.failed)
        _repay_recoveries(batch, result, actor=actor, today=today, now=now)
        _settle_backpays(batch, result, actor=actor)
        if checked.failed:
            _notify_failed(batch, len(checked.failed), now=now)
        batch.state = Batch.State.RECONCILED
        batch.reconciled_at = now
        with_actor(batch, actor, _("Bank return %(file)s imported") % {"file": file_name})
        batch.save()
        result.lines = batch_status_totals(batch)
        result.bank_return = BankReturn.objects.create(
            batch=batch,
            sha256=sha256,
            file_name=file_name[:200],
            rows=result.rows,
            paid_rows=result.paid_rows,
            failed_rows=result.failed_rows,
            paid_amount=result.paid_amount,
            failed_amount=result.failed_amount,
            imported_by=actor,
            imported_at=now,
        )
        record(
            actor=actor,
            action="import",
            target=result.bank_return,
            town_code=batch.town.code,
            request=request,
            username=COMMAND_USERNAME,
            batch=batch.pk,
            file_name=file_name[:200],
            sha256=sha256,
            paid_rows=result.paid_rows,
            failed_rows=result.failed_rows,
            paid_amount=f"{result.paid_amount:.2f}",
            failed_amount=f"{result.failed_amount:.2f}",
            unallocated_deductions=f"{result.unallocated_deductions:.2f}",
        )
    return result


def _mark_lines(batch: Batch, failed: dict[int, str]) -> None:
    """Lines of failed rows → failed with the bank's reason; then every other line of the batch
    (all in paid rows: the file had every row) → paid. PaymentLine has no history (its changes
    are these status updates, recorded by the BankReturn and the audit event)."""
    table = PaymentLine._meta.db_table
    items = sorted(failed.items())
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for start in range(0, len(items), VALUES_CHUNK):
                chunk = items[start : start + VALUES_CHUNK]
                values = ", ".join(["(%s::integer, %s::varchar)"] * len(chunk))
                params = [value for item in chunk for value in item]
                cursor.execute(
                    f"UPDATE {table} AS line SET status = %s, failure_reason = v.reason "
                    f"FROM (VALUES {values}) AS v(seq, reason) "
                    "WHERE line.batch_id = %s AND line.seq = v.seq AND line.status = %s",
                    [FAILED, *params, batch.pk, PaymentLine.Status.PENDING],
                )
        else:
            cursor.executemany(
                f"UPDATE {table} SET status = %s, failure_reason = %s "
                "WHERE batch_id = %s AND seq = %s AND status = %s",
                [
                    (FAILED, reason, batch.pk, seq, PaymentLine.Status.PENDING)
                    for seq, reason in items
                ],
            )
    PaymentLine.objects.filter(batch_id=batch.pk, status=PaymentLine.Status.PENDING).update(
        status=PAID
    )


def _repay_recoveries(batch: Batch, result: ReturnResult, *, actor, today, now) -> None:
    """A paid deduction line is money recovered: a repayment of the grant's confirmed deduction
    recovery, oldest first, lowering its balance (settled at 0). A line's amount beyond the first
    recovery's balance goes to the grant's next one (a repayment without a line: the line points
    to one repayment only)."""
    paid = PaymentLine.objects.filter(
        batch_id=batch.pk, kind=PaymentLine.Kind.DEDUCTION, status=PAID
    )
    deductions = list(paid.order_by("grant_id", "id").values_list("id", "grant_id", "amount"))
    if not deductions:
        return
    recoveries = defaultdict(list)
    for recovery in (
        Recovery.objects.select_for_update()
        .filter(
            grant_id__in=paid.values("grant_id"),
            state=Recovery.State.CONFIRMED,
            method=Recovery.Method.DEDUCTION,
            balance__gt=0,
        )
        .order_by("grant_id", "id")
    ):
        recoveries[recovery.grant_id].append(recovery)
    repayments, changed = [], {}
    note = _("Deducted in batch #%(batch)d") % {"batch": batch.pk}
    for line_id, grant_id, amount in deductions:
        left = -amount
        line = line_id
        for recovery in recoveries.get(grant_id, []):
            if left <= 0:
                break
            if recovery.balance <= 0:
                continue
            part = min(left, recovery.balance)
            recovery.balance -= part
            left -= part
            if recovery.balance == 0:
                recovery.state = Recovery.State.SETTLED
            changed[recovery.pk] = recovery
            repayments.append(
                RecoveryRepayment(
                    recovery=recovery,
                    amount=part,
                    received_on=today,
                    line_id=line,
                    note=note,
                    recorded_by=actor,
                    recorded_at=now,
                )
            )
            line = None
        result.unallocated_deductions += max(left, ZERO)
    RecoveryRepayment.objects.bulk_create(repayments)
    bulk_update_with_history(
        list(changed.values()),
        Recovery,
        ["balance", "state"],
        default_user=actor,
        default_change_reason=note,
    )
    result.repayments = len(repayments)


def _settle_backpays(batch: Batch, result: ReturnResult, *, actor) -> None:
    """A paid back-pay line settles the back-pay orders it pays: those linked to it, or to the
    failed line it reissues (followed back REISSUE_DEPTH reissues)."""
    paid = PaymentLine.objects.filter(
        batch_id=batch.pk, kind=PaymentLine.Kind.BACKPAY, status=PAID
    ).values("id")
    lookup = "line"
    condition = Q(line__in=paid)
    for _step in range(REISSUE_DEPTH):
        lookup += "__reissued_as"
        condition |= Q(**{f"{lookup}__in": paid})
    ids = BackPay.objects.filter(condition, state=BackPay.State.CONFIRMED).values("id")
    orders = list(BackPay.objects.select_for_update().filter(id__in=ids))
    for order in orders:
        order.state = BackPay.State.SETTLED
    bulk_update_with_history(
        orders,
        BackPay,
        ["state"],
        default_user=actor,
        default_change_reason=_("Paid in batch #%(batch)d") % {"batch": batch.pk},
    )
    result.settled_backpays = len(orders)


def _notify_failed(batch: Batch, count: int, *, now) -> None:
    """The town's case workers fix the accounts of failed payments; the next run reissues them."""
    workers = StaffProfile.objects.filter(
        user__is_active=True, role=Role.CASE_WORKER, towns=batch.town
    ).values_list("user_id", flat=True)
    message = _(
        "The bank could not pay %(count)d rows of batch #%(batch)d (%(town)s, %(period)s). "
        "Check the payee accounts; the next payment run pays them again."
    ) % {
        "count": count,
        "batch": batch.pk,
        "town": batch.town.name,
        "period": f"{batch.period:%Y-%m}",
    }
    url = reverse("payments:batch-reconciliation", args=[batch.pk])
    notify_many(
        [
            Message(
                user_id, NOTIFICATION_KIND, f"payment_failed:batch:{batch.pk}", message, url=url
            )
            for user_id in workers
        ],
        now=now,
    )
