"""Corrections after a reassessment (due minus paid per month): recoveries with their
repayments, back-pay and fine decisions. They point to what they correct; paid lines are never
edited."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from cases.models import Grant
from relief.history import tracked_history
from relief.money import MONEY

from .runs import PaymentLine


class Reassessment(models.Model):
    """Due minus paid, month by month, for a grant whose confirmed schedule reaches back into
    months already paid (a late-reported change, a corrected standard). It creates a recovery
    for the months overpaid and a back-pay for the months underpaid; neither moves money until a
    second person confirms it."""

    grant = models.ForeignKey(Grant, on_delete=models.PROTECT, related_name="reassessments")
    schedule_entry = models.OneToOneField(
        "cases.ScheduleEntry",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reassessment",
        help_text=_("The confirmed schedule entry that reached back; one reassessment each."),
    )
    from_month = models.DateField(_("from month"))
    to_month = models.DateField(_("to month"))
    overpaid = models.DecimalField(_("overpaid (yuan)"), default=Decimal("0.00"), **MONEY)
    underpaid = models.DecimalField(_("underpaid (yuan)"), default=Decimal("0.00"), **MONEY)
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-id"]
        verbose_name = _("reassessment")
        verbose_name_plural = _("reassessments")

    def __str__(self):
        return f"{self.grant_id} {self.from_month:%Y-%m}..{self.to_month:%Y-%m}"


class ReassessmentMonth(models.Model):
    reassessment = models.ForeignKey(Reassessment, on_delete=models.PROTECT, related_name="months")
    month = models.DateField(_("month"))
    due = models.DecimalField(_("due (yuan)"), **MONEY)
    paid = models.DecimalField(_("paid (yuan)"), **MONEY)
    corrected = models.DecimalField(
        _("already corrected (yuan)"),
        help_text=_("Back-pay minus recoveries already ordered for this month."),
        **MONEY,
    )
    difference = models.DecimalField(
        _("difference (yuan)"), help_text=_("Due − paid − already corrected."), **MONEY
    )

    class Meta:
        ordering = ["month"]
        constraints = [
            models.UniqueConstraint(fields=["reassessment", "month"], name="one_row_per_month")
        ]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.difference}"


class Correction(models.Model):
    """What a correction order shares: the grant, the months and amount, who proposed and who
    confirmed it (a second person) before any money moves."""

    class State(models.TextChoices):
        PROPOSED = "proposed", _("Waiting for confirmation")
        CONFIRMED = "confirmed", _("Confirmed")
        REJECTED = "rejected", _("Rejected")
        SETTLED = "settled", _("Settled")

    grant = models.ForeignKey(Grant, on_delete=models.PROTECT, related_name="+")
    reassessment = models.ForeignKey(
        Reassessment, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    months = models.JSONField(_("months"), help_text=_('{"YYYY-MM": "amount", ...}'))
    amount = models.DecimalField(
        _("amount (yuan)"), validators=[MinValueValidator(Decimal("0.01"))], **MONEY
    )
    reason = models.TextField(_("reason"))
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PROPOSED
    )
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    decision_note = models.TextField(_("note"), blank=True, default="")

    class Meta:
        abstract = True
        ordering = ["-id"]


class Recovery(Correction):
    """An overpayment to recover (追回): by refund, or by deduction from future payments where
    the payment rules allow it (capped). `balance` is what is still owed."""

    class Method(models.TextChoices):
        REFUND = "refund", _("Refund by the household")
        DEDUCTION = "deduction", _("Deduction from future payments")

    fraud = models.BooleanField(
        _("fraud involved"),
        default=False,
        help_text=_("A fine follows a separate penalty procedure: record it as a fine decision."),
    )
    method = models.CharField(
        _("repayment"), max_length=10, choices=Method.choices, default=Method.REFUND
    )
    balance = models.DecimalField(_("balance (yuan)"), **MONEY)

    history = tracked_history()

    class Meta(Correction.Meta):
        constraints = [
            models.CheckConstraint(
                condition=Q(balance__gte=0) & Q(balance__lte=F("amount")),
                name="recovery_balance_within_amount",
            )
        ]
        verbose_name = _("recovery")
        verbose_name_plural = _("recoveries")

    def __str__(self):
        return f"{self.grant_id} {self.amount} ({self.balance})"


class RecoveryRepayment(models.Model):
    """Money the household paid back, by refund (recorded by finance) or by a deduction line
    that the bank paid."""

    recovery = models.ForeignKey(Recovery, on_delete=models.PROTECT, related_name="repayments")
    amount = models.DecimalField(
        _("amount (yuan)"), validators=[MinValueValidator(Decimal("0.01"))], **MONEY
    )
    received_on = models.DateField(_("received on"))
    line = models.OneToOneField(
        PaymentLine, null=True, blank=True, on_delete=models.PROTECT, related_name="repayment"
    )
    note = models.CharField(_("note"), max_length=200, blank=True, default="")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["received_on", "id"]

    def __str__(self):
        return f"{self.received_on} {self.amount}"


class BackPay(Correction):
    """An underpayment to pay (补发): confirmed, it goes into the next payment run as a back-pay
    line (several confirmed back-pays of one grant share that month's line)."""

    line = models.ForeignKey(
        PaymentLine, null=True, blank=True, on_delete=models.PROTECT, related_name="backpays"
    )

    history = tracked_history()

    class Meta(Correction.Meta):
        verbose_name = _("back-pay")
        verbose_name_plural = _("back-pay")

    def __str__(self):
        return f"{self.grant_id} {self.amount}"


class FineDecision(models.Model):
    """A fine decided in the separate penalty procedure for fraud (1–3 × the amount): recorded,
    never computed or deducted by Relief."""

    recovery = models.ForeignKey(Recovery, on_delete=models.PROTECT, related_name="fines")
    amount = models.DecimalField(
        _("fine (yuan)"), validators=[MinValueValidator(Decimal("0.01"))], **MONEY
    )
    decided_on = models.DateField(_("decided on"))
    reference = models.CharField(_("decision reference"), max_length=100)
    note = models.TextField(_("note"), blank=True, default="")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()

    history = tracked_history()

    class Meta:
        ordering = ["-decided_on", "-id"]
        verbose_name = _("fine decision")
        verbose_name_plural = _("fine decisions")

    def __str__(self):
        return f"{self.reference} {self.amount}"
