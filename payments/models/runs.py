"""Money leaving Relief (DOMAIN.md §9, DESIGN.md "A month's close"): payee accounts, payment
runs, batches and their lines, bank files and returns, and the corrections that follow a
reassessment (recoveries, back-pay, fine decisions).

Paid lines are never edited or deleted: corrections are new rows that point to what they
correct. At most one live line (not failed, not reversed) exists per grant, period and kind,
whatever the code does (a partial unique constraint)."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from cases.models import Grant, Person, Town
from relief.history import tracked_history
from relief.money import MONEY

from .accounts import PayeeAccount, masked_account


class PaymentRule(models.Model):
    """Dated payment settings (DOMAIN.md §9: deduction from future payments only where the
    city's rules allow it, capped, off by default)."""

    effective_from = models.DateField(_("effective from"))
    effective_to = models.DateField(_("effective to"), null=True, blank=True)
    deductions_allowed = models.BooleanField(
        _("recovery by deduction allowed"),
        default=False,
        help_text=_("Whether recoveries may be deducted from future payments."),
    )
    deduction_cap_percent = models.DecimalField(
        _("deduction cap (percent of the month's payment)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("30.00"),
        validators=[MinValueValidator(Decimal("0.00"))],
    )
    source = models.CharField(_("source"), max_length=200, blank=True, default="")
    is_demo = models.BooleanField(_("demo value"), default=False)

    history = tracked_history()

    class Meta:
        ordering = ["-effective_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(deduction_cap_percent__gte=0) & Q(deduction_cap_percent__lte=100),
                name="deduction_cap_is_a_percent",
            )
        ]
        verbose_name = _("payment rule")
        verbose_name_plural = _("payment rules")

    # The source of the rule the migrations load: an English gettext source string shown
    # translated, like the scheme names; a source an administrator types shows as typed.
    DEFAULT_SOURCE = gettext_noop(
        "DOMAIN.md §9: deduction only where the city's rules allow it, off by default"
    )

    def __str__(self):
        return f"{self.effective_from}: {self.deduction_cap_percent}%"

    @property
    def source_shown(self) -> str:
        return gettext(self.source) if self.source else ""


class PaymentRun(models.Model):
    """One execution of a run for a period (a monthly run, a daily disbursement run or an urgent
    one). Running again writes only what is missing; each town's batch and lines commit together,
    so a run killed half-way leaves whole towns done and nothing partial."""

    class Kind(models.TextChoices):
        MONTHLY = "monthly", _("Monthly payment run")
        DISBURSEMENT = "disbursement", _("Daily disbursement run")
        URGENT = "urgent", _("Urgent disbursement")

    class State(models.TextChoices):
        RUNNING = "running", _("Running")
        COMPLETE = "complete", _("Complete")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    period = models.DateField(_("period"), help_text=_("The first day of the month paid."))
    town = models.ForeignKey(
        Town, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty for a run the scheduler started."),
    )
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices)
    towns_total = models.PositiveIntegerField(default=0)
    towns_done = models.PositiveIntegerField(default=0)
    new_lines = models.PositiveIntegerField(default=0)
    no_account = models.PositiveIntegerField(
        default=0, help_text=_("Grants due a payment that got no line for want of an account.")
    )
    message = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-id"]
        verbose_name = _("payment run")
        verbose_name_plural = _("payment runs")

    def __str__(self):
        return f"{self.get_kind_display()} {self.period:%Y-%m}"


class PaymentRunTown(models.Model):
    """What a run did in one town, written when the town's part is done: its new lines, the
    period's batches, live lines and total in the town then, and the grants it skipped (due a
    payment, with no confirmed payee account; confirmed back-pay waiting for one). A town role
    reading a city-wide run sees the sums over its own towns only, and the skipped grants of
    its towns (payments.selectors.runs_listed)."""

    class Skip(models.TextChoices):
        NO_ACCOUNT = "no_account", _("Due a payment, no confirmed payee account")
        BACKPAY_NO_ACCOUNT = (
            "backpay_no_account",
            _("Confirmed back-pay waiting for a confirmed payee account"),
        )

    run = models.ForeignKey(PaymentRun, on_delete=models.CASCADE, related_name="town_results")
    town = models.ForeignKey(Town, on_delete=models.PROTECT, related_name="+")
    new_lines = models.PositiveIntegerField(default=0)
    no_account = models.PositiveIntegerField(default=0)
    batches = models.PositiveIntegerField(default=0)
    lines = models.PositiveIntegerField(default=0)
    total_amount = models.DecimalField(default=Decimal("0.00"), **MONEY)
    skipped = models.JSONField(
        default=list,
        blank=True,
        help_text=_('The grants skipped, [{"grant": id, "reason": code}], at most 1,000.'),
    )
    skipped_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["run", "town__code"]
        constraints = [
            models.UniqueConstraint(fields=["run", "town"], name="one_result_per_run_town")
        ]
        verbose_name = _("payment run's town")
        verbose_name_plural = _("payment runs' towns")

    def __str__(self):
        return f"{self.run} {self.town}"


class Batch(models.Model):
    """A town's payments of one period (or, for temporary assistance, one day), through
    maker-checker: draft → submitted (the submitter is the maker) → approved (by a supervisor
    who is not the maker) → sent (by finance) → reconciled (the bank's return imported)."""

    class Kind(models.TextChoices):
        MONTHLY = "monthly", _("Monthly payments")
        DISBURSEMENT = "disbursement", _("Temporary assistance (daily)")
        URGENT = "urgent", _("Temporary assistance (urgent)")

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", _("Approved")
        SENT = "sent", _("Sent to the bank")
        RECONCILED = "reconciled", _("Reconciled")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    town = models.ForeignKey(
        Town, on_delete=models.PROTECT, related_name="batches", verbose_name=_("town")
    )
    period = models.DateField(_("period"), help_text=_("The first day of the month paid."))
    business_date = models.DateField(
        _("date"), help_text=_("The day of a disbursement batch; the run's date for others.")
    )
    state = models.CharField(
        _("state"), max_length=12, choices=State.choices, default=State.DRAFT, db_index=True
    )
    run = models.ForeignKey(
        PaymentRun, null=True, blank=True, on_delete=models.PROTECT, related_name="batches"
    )
    line_count = models.PositiveIntegerField(_("lines"), default=0)
    total_amount = models.DecimalField(_("total (yuan)"), default=Decimal("0.00"), **MONEY)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    reconciled_at = models.DateTimeField(_("reconciled at"), null=True, blank=True)

    history = tracked_history()

    class Meta:
        ordering = ["-period", "town__code", "-id"]
        constraints = [
            # One open draft per town, kind, period and day: a second run adds to it.
            models.UniqueConstraint(
                fields=["town", "kind", "period", "business_date"],
                condition=Q(state="draft"),
                name="one_draft_batch",
            ),
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("submitted_by")),
                name="batch_checker_is_not_maker",
            ),
        ]
        indexes = [models.Index(fields=["town", "period"], name="batch_town_period")]
        verbose_name = _("payment batch")
        verbose_name_plural = _("payment batches")

    def __str__(self):
        return f"{self.town} {self.period:%Y-%m} {self.get_kind_display()} #{self.pk}"


class PaymentLine(models.Model):
    """One amount for one grant, period and kind. A deduction is negative. The account it pays
    into is copied in when the line is written, so a later account change never alters what a
    bank file said. `seq` is its row (序号) in the batch's bank file: all lines of one grant in a
    batch share a row, which pays their sum."""

    class Kind(models.TextChoices):
        REGULAR = "regular", _("Monthly payment")
        INSTALMENT = "instalment", _("Temporary assistance")
        BACKPAY = "backpay", _("Back-pay")
        DEDUCTION = "deduction", _("Recovery deduction")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        PAID = "paid", _("Paid")
        FAILED = "failed", _("Failed")
        REVERSED = "reversed", _("Reversed")

    LIVE = ~Q(status__in=["failed", "reversed"])

    # No index of their own: line_batch_seq and line_grant_period lead with them (one index
    # fewer to write per line; a run writes a million).
    batch = models.ForeignKey(
        Batch,
        on_delete=models.PROTECT,
        related_name="lines",
        verbose_name=_("batch"),
        db_index=False,
    )
    grant = models.ForeignKey(
        Grant,
        on_delete=models.PROTECT,
        related_name="payment_lines",
        verbose_name=_("grant"),
        db_index=False,
    )
    period = models.DateField(_("period"))
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    amount = models.DecimalField(_("amount (yuan)"), **MONEY)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    seq = models.PositiveIntegerField(_("row (序号)"), default=0)
    replaces = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reissued_as",
        verbose_name=_("reissue of"),
    )
    # Not indexed: nothing looks lines up by payee or account (their only readers would be
    # the PROTECT checks on deleting a person or an account, which are kept with history), and
    # every index is written again for each line a run inserts and a return marks.
    payee = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+", db_index=False)
    account = models.ForeignKey(
        PayeeAccount, on_delete=models.PROTECT, related_name="lines", db_index=False
    )
    bank_name = models.CharField(_("bank"), max_length=100)
    account_holder = models.CharField(_("account holder"), max_length=50)
    account_number = models.CharField(_("account number"), max_length=30)
    failure_reason = models.CharField(_("bank's reason"), max_length=200, blank=True, default="")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["batch", "seq", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["grant", "period", "kind"],
                condition=~Q(status__in=["failed", "reversed"]),
                name="one_live_line_per_grant_period_kind",
            ),
            models.CheckConstraint(
                condition=(Q(kind="deduction") & Q(amount__lt=0))
                | (~Q(kind="deduction") & Q(amount__gt=0)),
                name="line_amount_sign_by_kind",
            ),
        ]
        indexes = [
            models.Index(fields=["batch", "seq"], name="line_batch_seq"),
            models.Index(fields=["grant", "period"], name="line_grant_period"),
            # The few lines that are not live, for the run (payments.runs: left out of the
            # regular lines, reissued) without reading every line of every period.
            models.Index(
                fields=["period", "kind", "grant"],
                condition=Q(status__in=["failed", "reversed"]),
                name="line_not_live",
            ),
        ]
        verbose_name = _("payment line")
        verbose_name_plural = _("payment lines")

    def __str__(self):
        return f"{self.get_kind_display()} {self.period:%Y-%m} {self.amount}"

    @property
    def masked_number(self) -> str:
        return masked_account(self.account_number)
