"""The monthly check (DOMAIN.md §8, §9): its dated rule, its runs and the findings it raises.

A finding never changes money by itself: a case worker proposes to confirm or dismiss it, a
second person decides, and only a confirmed finding leads, through cases' and payments'
services, to new evidence, a schedule proposal or an exit, and then the reassessment's recovery
or back-pay (audit/findings.py).
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Grant, Household, Person, Town
from cases.models.schemes import DatedRule
from relief.history import tracked_history

from .extracts import Extract, RegistryRecord


def _exempt_vehicle_types_default():
    return ["摩托车", "残疾人专用车"]


class MatchingRule(DatedRule):
    """The check's configurable parameters, dated like every rule (the asset limit itself is the
    scheme rule's `financial_asset_months`, DOMAIN.md §5)."""

    income_tolerance = models.DecimalField(
        _("income tolerance (yuan a month)"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("100.00"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_(
            "A registry income differing from the recorded one by more than this is a finding."
        ),
    )
    exempt_vehicle_types = models.JSONField(
        _("exempt vehicle types"),
        default=_exempt_vehicle_types_default,
        blank=True,
        help_text=_("Vehicle types (车辆类型) that do not count against eligibility."),
    )
    finding_limit_days = models.PositiveSmallIntegerField(
        _("finding limit (working days)"),
        default=15,
        help_text=_("Working days from a finding's raising to its decision."),
    )
    reminder_days = models.PositiveSmallIntegerField(
        _("reminder (working days before the limit)"), default=3
    )
    first_check_months = models.PositiveSmallIntegerField(
        _("months reconciled by a first check"), default=12
    )

    history = tracked_history()

    class Meta:
        ordering = ["-effective_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gte=F("effective_from")),
                name="matchingrule_effective_to_after_from",
            )
        ]
        verbose_name = _("matching rule")
        verbose_name_plural = _("matching rules")

    def __str__(self):
        return _("Matching rule from %(date)s") % {"date": self.effective_from.isoformat()}


class CheckRun(models.Model):
    """One monthly check of a period: for every town (the beat, the command without --town) or
    one town, carried out by one Celery task per town (CheckRunTown)."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    period = models.DateField(_("period"))
    from_month = models.DateField(_("first month reconciled"))
    town = models.ForeignKey(
        Town,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("town"),
        help_text=_("Empty: every town."),
    )
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.QUEUED)
    households_checked = models.PositiveIntegerField(_("households checked"), default=0)
    new_findings = models.PositiveIntegerField(_("new findings"), default=0)
    # The command's JSON line (the period's open findings in scope, by kind, totals) once done.
    result = models.JSONField(_("result"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True, default="")
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started by"),
        help_text=_("Empty: the monthly schedule."),
    )
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(period__day=1), name="checkrun_period_first_day"),
            models.CheckConstraint(
                condition=Q(from_month__day=1) & Q(from_month__lte=F("period")),
                name="checkrun_from_month_first_day_not_after_period",
            ),
        ]
        verbose_name = _("check run")
        verbose_name_plural = _("check runs")

    def __str__(self):
        return f"{self.period:%Y-%m} #{self.pk}"


class CheckRunTown(models.Model):
    """One town's part of a check run: its progress, the unit one Celery task carries out."""

    run = models.ForeignKey(CheckRun, on_delete=models.CASCADE, related_name="towns")
    town = models.ForeignKey(Town, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(
        max_length=8, choices=CheckRun.State.choices, default=CheckRun.State.QUEUED
    )
    households_checked = models.PositiveIntegerField(default=0)
    new_findings = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True, default="")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["run", "town__code"]
        constraints = [
            models.UniqueConstraint(fields=["run", "town"], name="one_part_per_run_town")
        ]
        verbose_name = _("check run's town")
        verbose_name_plural = _("check runs' towns")

    def __str__(self):
        return f"{self.run} {self.town_id}"


class Finding(models.Model):
    """A mismatch the check raised, worked by people (DOMAIN.md §9)."""

    class Kind(models.TextChoices):
        ASSETS_OVER_LIMIT = "assets_over_limit", _("Financial assets over the limit")
        PROPERTY = "property", _("Property")
        VEHICLE = "vehicle", _("Vehicle")
        BUSINESS = "business", _("Business")
        DEATH = "death", _("Death")
        MOVED_OUT = "moved_out", _("Registration moved out")
        INCOME_CHANGED = "income_changed", _("Income changed")
        ENROLLED_TWICE = "enrolled_twice", _("Enrolled twice")
        NO_AUTHORISATION = "no_authorisation", _("No authorisation")
        NOT_ENROLLED = "not_enrolled", _("Eligible but not enrolled")
        AMOUNT_DIFFERS = "amount_differs", _("Amount paid differs")

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        PROPOSED = "proposed", _("Proposed")
        CONFIRMED = "confirmed", _("Confirmed")
        DISMISSED = "dismissed", _("Dismissed")
        # The extract that raised it was replaced and the new one no longer shows the mismatch.
        CLOSED = "closed", _("Closed (no longer shown)")

    # Waiting for people: a case worker's proposal or a supervisor's decision (the clock runs).
    UNDECIDED = (State.OPEN, State.PROPOSED)

    class Proposal(models.TextChoices):
        NONE = "", _("None")
        CONFIRM = "confirm", _("Confirm")
        DISMISS = "dismiss", _("Dismiss")

    period = models.DateField(_("period"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # What the finding is about, unique per period and kind: e.g. "person:12",
    # "person:12:deposits" or "household:7" (audit/rules.py builds it).
    subject = models.CharField(_("subject"), max_length=80)
    town = models.ForeignKey(
        Town, on_delete=models.PROTECT, related_name="+", verbose_name=_("town")
    )
    household = models.ForeignKey(
        Household,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="findings",
        verbose_name=_("household"),
    )
    person = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="findings",
        verbose_name=_("person"),
    )
    grant = models.ForeignKey(
        Grant,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="findings",
        verbose_name=_("grant"),
    )
    extract = models.ForeignKey(
        Extract,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="findings",
        verbose_name=_("extract"),
    )
    record = models.ForeignKey(
        RegistryRecord,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="findings",
        verbose_name=_("record"),
    )
    # What the rule saw, to show with the finding: {"assets": "123000.00", "limit": ...}.
    figures = models.JSONField(_("figures"), default=dict, blank=True)
    # A digest of the registry data behind the finding: a dismissed finding is not raised
    # again while this is unchanged.
    fingerprint = models.CharField(_("fingerprint"), max_length=64, blank=True, default="")
    effective_month = models.DateField(_("effective month"), null=True, blank=True)
    # [{"month": "YYYY-MM", "expected": "0.00", "paid": "0.00", "difference": "0.00"}]
    months = models.JSONField(_("months"), default=list, blank=True)
    overpaid = models.DecimalField(
        _("over-paid (yuan)"), max_digits=14, decimal_places=2, default=Decimal("0.00")
    )
    underpaid = models.DecimalField(
        _("under-paid (yuan)"), max_digits=14, decimal_places=2, default=Decimal("0.00")
    )
    difference_total = models.DecimalField(
        _("difference (yuan)"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0.00"),
        help_text=_("Expected minus paid over the months: negative is over-paid."),
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_findings",
        verbose_name=_("assignee"),
    )
    proposal = models.CharField(
        _("proposal"), max_length=8, choices=Proposal.choices, blank=True, default=""
    )
    reason = models.TextField(_("reason"), blank=True, default="")
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("proposed by"),
    )
    proposed_at = models.DateTimeField(_("proposed at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    rejection_reason = models.TextField(_("reasons for the rejection"), blank=True, default="")
    # What a confirmed finding led to, through cases' and payments' services (audit/findings.py):
    # {"assets": [ids], "income_lines": [ids], "memberships": [ids], "schedule_entry": id,
    #  "terminated_after": "YYYY-MM", "reassessment": id, "recovery": id, "back_pay": id}.
    outcome = models.JSONField(_("outcome"), default=dict, blank=True)
    # The working-day clock (like the application clocks): due on, reminded, breached.
    raised_on = models.DateField(_("raised on"), default=timezone.localdate)
    due_on = models.DateField(_("due on"), null=True, blank=True, db_index=True)
    reminded_on = models.DateField(_("reminded on"), null=True, blank=True)
    breached_on = models.DateField(_("breached on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = tracked_history()

    class Meta:
        ordering = ["-period", "town__code", "kind", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["period", "kind", "subject"], name="one_finding_per_period_kind_subject"
            ),
            models.CheckConstraint(condition=Q(period__day=1), name="finding_period_first_day"),
            # Maker-checker: the person who decides is never the one who proposed.
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True)
                | Q(proposed_by__isnull=True)
                | ~Q(decided_by=F("proposed_by")),
                name="finding_decider_not_proposer",
            ),
            models.CheckConstraint(
                condition=~Q(state="proposed") | ~Q(proposal=""),
                name="finding_proposed_has_proposal",
            ),
        ]
        indexes = [
            models.Index(fields=["town", "period", "state"], name="finding_town_period_state"),
            models.Index(fields=["assignee", "state"], name="finding_assignee_state"),
        ]
        verbose_name = _("finding")
        verbose_name_plural = _("findings")

    def __str__(self):
        return f"{self.get_kind_display()} {self.period:%Y-%m} #{self.pk}"

    @property
    def affects_money(self) -> bool:
        return self.kind not in (self.Kind.NO_AUTHORISATION, self.Kind.NOT_ENROLLED)
