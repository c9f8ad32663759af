"""Grants and their confirmed amount schedules (DESIGN.md: a grant pays its confirmed schedule;
new evidence or a new standard never changes a payment by itself)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from relief.history import tracked_history

from .applications import Application
from .registry import Household
from .schemes import Scheme
from .towns import Town


class Grant(models.Model):
    """What an approved application grants: dibao or tekun paid monthly from the month after
    approval (DOMAIN.md §5); temporary assistance paid at once or in at most max_instalments
    monthly instalments from the month of approval."""

    class State(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        TERMINATED = "terminated", _("Terminated")

    application = models.OneToOneField(
        Application, on_delete=models.PROTECT, related_name="grant", verbose_name=_("application")
    )
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="grants", verbose_name=_("household")
    )
    scheme = models.ForeignKey(
        Scheme, on_delete=models.PROTECT, related_name="grants", verbose_name=_("scheme")
    )
    town = models.ForeignKey(
        Town, on_delete=models.PROTECT, related_name="grants", verbose_name=_("town")
    )
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.ACTIVE, db_index=True
    )
    starts_month = models.DateField(_("first month"))
    ends_month = models.DateField(_("last month"), null=True, blank=True)
    approved_amount = models.DecimalField(
        _("approved amount (yuan)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Temporary assistance: the whole approved amount."),
    )
    instalments = models.PositiveSmallIntegerField(
        _("monthly instalments"),
        null=True,
        blank=True,
        help_text=_("Temporary assistance: the number of monthly instalments."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Periodic re-checks (DOMAIN.md §5): yearly, six-monthly for irregular income.
    recheck_due_on = models.DateField(_("re-check due on"), null=True, blank=True)
    last_rechecked_on = models.DateField(_("last re-checked on"), null=True, blank=True)
    exit_from_month = models.DateField(
        _("gradual exit from"),
        null=True,
        blank=True,
        help_text=_("First month of the gradual exit (渐退); the grant ends with ends_month."),
    )
    end_reason = models.TextField(_("reason for ending"), blank=True, default="")

    history = tracked_history()

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["town", "state"], name="grant_town_state"),
            models.Index(
                fields=["recheck_due_on"],
                condition=Q(state="active"),
                name="grant_recheck_due",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_month__isnull=True) | Q(ends_month__gte=models.F("starts_month")),
                name="grant_ends_after_start",
            ),
        ]
        verbose_name = _("grant")
        verbose_name_plural = _("grants")

    def __str__(self):
        return f"{self.scheme} #{self.pk} from {self.starts_month:%Y-%m}"


class GrantSuspension(models.Model):
    """A period in which the grant pays nothing: from `from_month` until the month it is
    resumed from (`resumed_month`, excluded; empty while suspended)."""

    grant = models.ForeignKey(
        Grant, on_delete=models.PROTECT, related_name="suspensions", verbose_name=_("grant")
    )
    from_month = models.DateField(_("suspended from month"))
    resumed_month = models.DateField(_("resumed from month"), null=True, blank=True)
    reason = models.TextField(_("reason"))
    suspended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("suspended by"),
    )
    resumed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resumed by"),
    )
    resume_reason = models.TextField(_("reason for resuming"), blank=True, default="")

    history = tracked_history()

    class Meta:
        ordering = ["grant_id", "from_month", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["grant"],
                condition=Q(resumed_month__isnull=True),
                name="suspension_one_open_per_grant",
            ),
            models.CheckConstraint(
                condition=Q(resumed_month__isnull=True)
                | Q(resumed_month__gte=models.F("from_month")),
                name="suspension_resumed_after_start",
            ),
        ]
        verbose_name = _("suspension")
        verbose_name_plural = _("suspensions")

    def __str__(self):
        return f"{self.grant_id} {self.from_month:%Y-%m}–{self.resumed_month or ''}"


class ScheduleConfirmation(models.Model):
    """One confirmation for many schedule proposals: a standard change proposes, for every
    grant of a scheme paying in a month (city-wide or in one town), the amount the calculation
    gives from that month, and a second city supervisor confirms them all at once (DESIGN.md:
    one confirmation may cover a city-wide standard change)."""

    class State(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        CONFIRMED = "confirmed", _("Confirmed")
        REJECTED = "rejected", _("Rejected")

    scheme = models.ForeignKey(
        Scheme, on_delete=models.PROTECT, related_name="+", verbose_name=_("scheme")
    )
    town = models.ForeignKey(
        Town,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("town"),
        help_text=_("Empty: every town."),
    )
    from_month = models.DateField(_("from month"))
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PROPOSED, db_index=True
    )
    reason = models.TextField(_("reason"), blank=True, default="")
    grants_considered = models.PositiveIntegerField(_("grants considered"), default=0)
    proposed_count = models.PositiveIntegerField(_("new amounts proposed"), default=0)
    unchanged_count = models.PositiveIntegerField(_("amounts unchanged"), default=0)
    skipped_count = models.PositiveIntegerField(_("grants skipped"), default=0)
    skipped = models.JSONField(
        _("skipped grants"),
        default=list,
        blank=True,
        help_text=_("The grants left out, each with the reason."),
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("proposed by"),
    )
    proposed_at = models.DateTimeField(_("proposed at"), default=timezone.now)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("confirmed by"),
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    rejected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("rejected by"),
    )
    rejected_at = models.DateTimeField(_("rejected at"), null=True, blank=True)
    rejection_reason = models.TextField(_("reasons for the rejection"), blank=True, default="")

    history = tracked_history()

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="confirmed")
                | (Q(confirmed_by__isnull=False) & ~Q(confirmed_by=models.F("proposed_by"))),
                name="scheduleconfirmation_second_person",
            ),
        ]
        verbose_name = _("standard change")
        verbose_name_plural = _("standard changes")

    def __str__(self):
        return f"#{self.pk} {self.scheme} {self.from_month:%Y-%m}"


class ScheduleConfirmationTown(models.Model):
    """A standard change's counts in one town (grants considered, new amounts proposed,
    unchanged, skipped): a town role reading a city-wide standard change sees the sums over its
    own towns only (cases.grants.schedule_confirmations_listed)."""

    confirmation = models.ForeignKey(
        ScheduleConfirmation, on_delete=models.CASCADE, related_name="town_counts"
    )
    town = models.ForeignKey(Town, on_delete=models.PROTECT, related_name="+")
    considered = models.PositiveIntegerField(default=0)
    proposed = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["confirmation", "town__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["confirmation", "town"], name="one_count_per_confirmation_town"
            )
        ]
        verbose_name = _("standard change's town")
        verbose_name_plural = _("standard changes' towns")

    def __str__(self):
        return f"{self.confirmation} {self.town}"


class ScheduleEntry(models.Model):
    """From `from_month` on, the grant pays `amount` a month, computed by cases.calculation
    (whose explanation is stored with it) and confirmed by a second person."""

    class State(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        CONFIRMED = "confirmed", _("Confirmed")
        REJECTED = "rejected", _("Rejected")
        SUPERSEDED = "superseded", _("Superseded by a later confirmation")

    class Kind(models.TextChoices):
        APPROVAL = "approval", _("Approval")
        RECALCULATION = "recalculation", _("Recalculation")
        STANDARD_CHANGE = "standard_change", _("Standard change")
        GRADUAL_EXIT = "gradual_exit", _("Gradual exit")

    grant = models.ForeignKey(
        Grant, on_delete=models.PROTECT, related_name="schedule", verbose_name=_("grant")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.APPROVAL)
    confirmation = models.ForeignKey(
        ScheduleConfirmation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="entries",
        verbose_name=_("standard change"),
    )
    from_month = models.DateField(_("from month"))
    amount = models.DecimalField(_("monthly amount (yuan)"), max_digits=14, decimal_places=2)
    calculation = models.JSONField(_("calculation"), default=dict, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PROPOSED
    )
    reason = models.TextField(_("reason"), blank=True, default="")
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("proposed by"),
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("confirmed by"),
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    proposed_at = models.DateTimeField(_("proposed at"), null=True, blank=True)
    rejected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("rejected by"),
    )
    rejected_at = models.DateTimeField(_("rejected at"), null=True, blank=True)
    rejection_reason = models.TextField(_("reasons for the rejection"), blank=True, default="")

    history = tracked_history()

    class Meta:
        ordering = ["grant_id", "from_month", "id"]
        constraints = [
            # One waiting proposal per grant and month: a second would race the first.
            models.UniqueConstraint(
                fields=["grant", "from_month"],
                condition=Q(state="proposed"),
                name="schedule_one_proposal_per_month",
            ),
            models.UniqueConstraint(
                fields=["grant", "from_month"],
                condition=Q(state="confirmed"),
                name="schedule_one_confirmed_per_month",
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="schedule_amount_not_negative"),
            models.CheckConstraint(
                condition=~Q(state="confirmed")
                | (Q(confirmed_by__isnull=False) & ~Q(confirmed_by=models.F("proposed_by"))),
                name="schedule_confirmed_by_second_person",
            ),
        ]
        verbose_name = _("schedule entry")
        verbose_name_plural = _("schedule entries")

    def __str__(self):
        return f"{self.grant_id} {self.from_month:%Y-%m} {self.amount}"
