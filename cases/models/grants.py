"""Grants and their confirmed amount schedules (DESIGN.md: a grant pays its confirmed schedule;
new evidence or a new standard never changes a payment by itself)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
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

    history = tracked_history()

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["town", "state"], name="grant_town_state")]
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


class ScheduleEntry(models.Model):
    """From `from_month` on, the grant pays `amount` a month, computed by cases.calculation
    (whose explanation is stored with it) and confirmed by a second person."""

    class State(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        CONFIRMED = "confirmed", _("Confirmed")
        REJECTED = "rejected", _("Rejected")

    grant = models.ForeignKey(
        Grant, on_delete=models.PROTECT, related_name="schedule", verbose_name=_("grant")
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

    history = tracked_history()

    class Meta:
        ordering = ["grant_id", "from_month", "id"]
        constraints = [
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
