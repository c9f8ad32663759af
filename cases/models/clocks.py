"""The working-day clocks of an application (DOMAIN.md §6): each step's clock, the pauses that
take days off them, the extension of the overall limit, and the breach record of a clock that
passed its due date. The arithmetic is in cases.workflow.clocks."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from relief.history import tracked_history

from .applications import Application
from .staff import Role
from .towns import Town


class Clock(models.Model):
    """A working-day clock of one step (DOMAIN.md §6). `due_on` is stored and recomputed by
    cases.workflow.clocks whenever a pause closes, an extension is approved or the calendar
    changes: due = add_working_days(started_on, limit_days + paused working days). While a pause
    is open `paused_since` is set and the sweep skips the clock; the stored due_on leaves out an
    open pause without a cap, and counts one with a cap (an objection) as ending at its cap.
    Once that cap has passed the sweep clears `paused_since`: the clock counts again."""

    class Kind(models.TextChoices):
        HOME_VISIT = "home_visit", _("Home visit")
        OPINION = "opinion", _("Town opinion")
        DECISION = "decision", _("Decision")
        OVERALL = "overall", _("Whole procedure")
        APPROVAL = "approval", _("Approval")
        DISBURSEMENT = "disbursement", _("Disbursement")

    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="clocks", verbose_name=_("application")
    )
    kind = models.CharField(_("kind"), max_length=14, choices=Kind.choices)
    started_on = models.DateField(_("started on"))
    limit_days = models.PositiveSmallIntegerField(_("limit (working days)"))
    due_on = models.DateField(_("due on"), db_index=True)
    stopped_on = models.DateField(_("stopped on"), null=True, blank=True)
    paused_since = models.DateField(_("paused since"), null=True, blank=True)
    holder_role = models.CharField(_("held by role"), max_length=20, choices=Role.choices)
    holder_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("held by"),
    )
    provisional = models.BooleanField(
        _("provisional"),
        default=False,
        help_text=_("The due date uses a year with no official holiday schedule yet."),
    )

    history = tracked_history()

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(
                fields=["due_on"], condition=Q(stopped_on__isnull=True), name="clock_running_due"
            )
        ]
        constraints = [
            models.UniqueConstraint(fields=["application", "kind"], name="clock_one_per_kind"),
            models.CheckConstraint(
                condition=Q(stopped_on__isnull=True) | Q(stopped_on__gte=models.F("started_on")),
                name="clock_stopped_after_start",
            ),
        ]
        verbose_name = _("clock")
        verbose_name_plural = _("clocks")

    def __str__(self):
        return f"{self.application_id} {self.kind} due {self.due_on}"

    @property
    def is_running(self) -> bool:
        return self.stopped_on is None


class Pause(models.Model):
    """A period whose working days do not count toward the application's clocks: waiting for the
    applicant's supplementary documents, handling an objection (DOMAIN.md §6), or the public
    notice when the scheme does not count it. `excluded` says whether the scheme rule in force
    made it count off the clocks (a pause kept only as a record has excluded False)."""

    class Kind(models.TextChoices):
        SUPPLEMENT = "supplement", _("Waiting for supplementary documents")
        OBJECTION = "objection", _("Handling an objection")
        NOTICE = "notice", _("Public notice")

    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="pauses", verbose_name=_("application")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    started_on = models.DateField(_("started on"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    excluded = models.BooleanField(_("not counted in the clocks"), default=True)
    max_days = models.PositiveSmallIntegerField(
        _("at most (working days)"),
        null=True,
        blank=True,
        help_text=_("At most this many working days are not counted (objections: 20)."),
    )
    reason = models.TextField(_("reason"), blank=True, default="")
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("opened by"),
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("closed by"),
    )

    history = tracked_history()

    class Meta:
        ordering = ["started_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application"],
                condition=Q(ended_on__isnull=True),
                name="pause_one_open_per_application",
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="pause_ended_after_start",
            ),
        ]
        verbose_name = _("pause")
        verbose_name_plural = _("pauses")

    def __str__(self):
        return f"{self.application_id} {self.kind} {self.started_on}–{self.ended_on or ''}"


class Extension(models.Model):
    """An approved extension of the overall limit (30 → 45 working days, DOMAIN.md §6)."""

    application = models.OneToOneField(
        Application,
        on_delete=models.PROTECT,
        related_name="extension",
        verbose_name=_("application"),
    )
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("approved by"),
    )
    reason = models.TextField(_("reason"))
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("extension")
        verbose_name_plural = _("extensions")

    def __str__(self):
        return f"{self.application_id} {self.at:%Y-%m-%d}"


class Breach(models.Model):
    """A clock that passed its due date: recorded by the daily sweep the first day after the due
    date, or when the clock stops late. One per clock, so the sweep is safe to run twice. A fact:
    due_on is the due date that was missed and never changes, even when an extension or a
    calendar change later moves the clock's due date; while the clock runs the sweep raises
    working_days_late (it never shrinks), and it is final once the clock stops, at
    working_days_between(due_on, stopped_on)."""

    clock = models.OneToOneField(
        Clock, on_delete=models.PROTECT, related_name="breach", verbose_name=_("clock")
    )
    application = models.ForeignKey(
        Application,
        on_delete=models.PROTECT,
        related_name="breaches",
        verbose_name=_("application"),
    )
    town = models.ForeignKey(
        Town, on_delete=models.PROTECT, related_name="+", verbose_name=_("town")
    )
    kind = models.CharField(_("step"), max_length=14, choices=Clock.Kind.choices)
    due_on = models.DateField(_("due on"))
    detected_on = models.DateField(_("detected on"))
    working_days_late = models.PositiveIntegerField(_("working days late"), default=0)
    final = models.BooleanField(_("final"), default=False)
    holder_role = models.CharField(_("held by role"), max_length=20, choices=Role.choices)
    holder_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("held by"),
    )

    class Meta:
        ordering = ["-detected_on", "-id"]
        indexes = [models.Index(fields=["town", "detected_on"])]
        verbose_name = _("breach")
        verbose_name_plural = _("breaches")

    def __str__(self):
        return f"{self.application_id} {self.kind} +{self.working_days_late}"
