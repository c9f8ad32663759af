"""Applications and their workflow (DOMAIN.md §2, §5–§7): the application, its append-only step
log, the public notice, and the in-app inbox the daily sweep writes to. Clocks, pauses,
extensions and breaches are in cases/models/clocks.py.

The rules live in cases.workflow (services, clocks, sweep); these models hold the state and the
constraints that make "only once" rules hold whatever the code does: one open application per
household and scheme, one reminder per user and key (and in clocks.py: one clock of each kind
per application, one breach per clock).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from relief.history import tracked_history

from .registry import Household, Person
from .schemes import Scheme
from .towns import Town, Village

# Every state before a decision or a withdrawal.
OPEN_STATES = (
    "draft",
    "submitted",
    "accepted",
    "visited",
    "opinion",
    "notice",
    "reinvestigation",
    "notice_ended",
)


class Application(models.Model):
    """One application of a household for one scheme, from draft to decision.

    Dibao and tekun (DOMAIN.md §6): draft → submitted (the file is complete) → accepted (受理:
    clocks start) → visited (home visit) → opinion (town opinion) → notice (public notice;
    an objection sends it to reinvestigation and back) → notice_ended → approved | rejected.
    Temporary assistance, general procedure: draft → submitted → accepted → (visited) →
    approved | rejected; approval starts the disbursement clock. Emergency procedure (先行救助):
    the same states, but submit checks only what paying needs, approval may follow acceptance
    at once, and the file is completed afterwards (file_completed_at). Any open state may end in
    withdrawn."""

    class Procedure(models.TextChoices):
        GENERAL = "general", _("General")
        EMERGENCY = "emergency", _("Emergency (paid first, file completed afterwards)")

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted (file complete, awaiting acceptance)")
        ACCEPTED = "accepted", _("Accepted")
        VISITED = "visited", _("Home visit recorded")
        OPINION = "opinion", _("Town opinion given")
        NOTICE = "notice", _("Public notice running")
        REINVESTIGATION = "reinvestigation", _("Objection under re-investigation")
        NOTICE_ENDED = "notice_ended", _("Public notice ended, awaiting decision")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    OPEN_STATES = OPEN_STATES

    class Opinion(models.TextChoices):
        NONE = "", _("No opinion yet")
        RECOMMEND = "recommend", _("Recommended")
        NOT_RECOMMEND = "not_recommend", _("Not recommended")

    class Decision(models.TextChoices):
        NONE = "", _("Not decided")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    household = models.ForeignKey(
        Household,
        on_delete=models.PROTECT,
        related_name="applications",
        verbose_name=_("household"),
    )
    scheme = models.ForeignKey(
        Scheme, on_delete=models.PROTECT, related_name="applications", verbose_name=_("scheme")
    )
    # The household's town when the application was made: scoping and the town dashboard.
    town = models.ForeignKey(
        Town, on_delete=models.PROTECT, related_name="applications", verbose_name=_("town")
    )
    procedure = models.CharField(
        _("procedure"), max_length=10, choices=Procedure.choices, default=Procedure.GENERAL
    )
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.DRAFT, db_index=True
    )
    received_on = models.DateField(
        _("complete file received on"),
        null=True,
        blank=True,
        help_text=_("Entered by staff when the complete file was received; audited in history."),
    )
    accepted_on = models.DateField(
        _("accepted on"),
        null=True,
        blank=True,
        help_text=_("The first working day on or after the day the complete file was received."),
    )
    covered_members = models.ManyToManyField(
        Person,
        blank=True,
        related_name="+",
        verbose_name=_("covered members"),
        help_text=_("Empty: every co-resident member is covered."),
    )
    no_income_declared = models.BooleanField(
        _("household declares no income"),
        default=False,
        help_text=_("Instead of income lines: the household declares it has no income."),
    )
    note = models.TextField(_("note"), blank=True, default="")

    # Temporary assistance (DOMAIN.md §5): proposed within the band, with its basis.
    proposed_amount = models.DecimalField(
        _("proposed amount (yuan)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    amount_basis = models.TextField(
        _("basis of the amount"),
        blank=True,
        default="",
        help_text=_("The hardship or the essential spending the amount answers."),
    )
    instalments = models.PositiveSmallIntegerField(
        _("monthly instalments"),
        default=1,
        help_text=_("Paid at once (1) or in monthly instalments, at most the scheme's maximum."),
    )
    approved_amount = models.DecimalField(
        _("approved amount (yuan)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    needs_city = models.BooleanField(
        _("needs the city supervisor"),
        default=False,
        help_text=_("The amount is above the town's approval threshold."),
    )

    town_opinion = models.CharField(
        _("town opinion"), max_length=14, choices=Opinion.choices, blank=True, default=""
    )
    calculation = models.JSONField(
        _("calculation"),
        default=dict,
        blank=True,
        help_text=_("The calculation the opinion or the decision was based on, as stored."),
    )
    decision = models.CharField(
        _("decision"), max_length=10, choices=Decision.choices, blank=True, default=""
    )
    decision_reasons = models.TextField(_("reasons for the decision"), blank=True, default="")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    file_completed_at = models.DateTimeField(
        _("file completed at"),
        null=True,
        blank=True,
        help_text=_("Emergency procedure: when the file was completed after the payment."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = tracked_history(m2m_fields=[covered_members])

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["town", "state"], name="application_town_state")]
        constraints = [
            # One open application per household and scheme: a second one would run a second
            # set of clocks and could be approved twice.
            models.UniqueConstraint(
                fields=["household", "scheme"],
                condition=Q(state__in=OPEN_STATES),
                name="application_one_open_per_household_scheme",
            ),
            models.CheckConstraint(
                condition=Q(instalments__gte=1), name="application_instalments_positive"
            ),
        ]
        verbose_name = _("application")
        verbose_name_plural = _("applications")

    def __str__(self):
        return f"#{self.pk} {self.scheme} ({self.get_state_display()})"

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN_STATES


class ApplicationEvent(models.Model):
    """The append-only step log of an application, stamped with server time. Who "prepared" an
    application (DOMAIN.md §2: created it or carried out any step) is read from here."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        UPDATED = "updated", _("Draft updated")
        COMPLETENESS_NOTICE = "completeness_notice", _("Missing items notified")
        SUBMITTED = "submitted", _("Submitted")
        ACCEPTED = "accepted", _("Accepted")
        SUPPLEMENT_REQUESTED = "supplement_requested", _("Supplementary documents requested")
        SUPPLEMENT_RECEIVED = "supplement_received", _("Supplementary documents received")
        HOME_VISIT = "home_visit", _("Home visit recorded")
        OPINION = "opinion", _("Town opinion given")
        NOTICE_STARTED = "notice_started", _("Public notice started")
        OBJECTION = "objection", _("Objection received")
        NOTICE_ENDED = "notice_ended", _("Public notice ended")
        EXTENDED = "extended", _("Extension approved")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        FILE_COMPLETED = "file_completed", _("File completed")
        DISBURSED = "disbursed", _("Disbursed")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    # Steps that do not make their actor a preparer: decisions and the disbursement.
    NOT_PREPARING = (Kind.EXTENDED, Kind.APPROVED, Kind.REJECTED, Kind.DISBURSED)

    application = models.ForeignKey(
        Application,
        on_delete=models.PROTECT,
        related_name="events",
        verbose_name=_("application"),
    )
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    note = models.TextField(_("note"), blank=True, default="")
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["application", "kind"])]
        verbose_name = _("application event")
        verbose_name_plural = _("application events")

    def __str__(self):
        return f"{self.application_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("application events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("application events are append-only")


class Notification(models.Model):
    """One message in a user's in-app inbox. `key` names what it is about (e.g.
    "due_soon:clock:12:2024-02-20"), unique per user, so the daily job never sends the same
    reminder twice."""

    class Kind(models.TextChoices):
        DUE_SOON = "due_soon", _("Due soon")
        OVERDUE = "overdue", _("Overdue")
        ESCALATION = "escalation", _("Escalation")
        DECISION = "decision", _("Decision")
        PAYMENT = "payment", _("Payment")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("user"),
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    key = models.CharField(_("key"), max_length=100)
    message = models.CharField(_("message"), max_length=500)
    url = models.CharField(_("link"), max_length=200, blank=True, default="")
    application = models.ForeignKey(
        Application,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("application"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["user"], condition=Q(read_at__isnull=True), name="notification_unread"
            )
        ]
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="notification_once_per_key")
        ]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self):
        return f"{self.user_id} {self.kind} {self.key}"


class PublicNotice(models.Model):
    """The public notice (公示) of a recommended application (DOMAIN.md §7): posted at the
    household's village or community and the town service hall for notice_calendar_days
    calendar days. It carries the masked head name, the household size and the amount; never an
    ID number, an address or health data."""

    application = models.OneToOneField(
        Application,
        on_delete=models.PROTECT,
        related_name="notice",
        verbose_name=_("application"),
    )
    town = models.ForeignKey(
        Town, on_delete=models.PROTECT, related_name="+", verbose_name=_("town")
    )
    village = models.ForeignKey(
        Village,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("village or community"),
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    head_name = models.CharField(_("head of household (masked)"), max_length=50)
    household_size = models.PositiveSmallIntegerField(_("household size"))
    amount = models.DecimalField(
        _("monthly amount (yuan)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    objections = models.PositiveSmallIntegerField(_("objections received"), default=0)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    history = tracked_history()

    class Meta:
        ordering = ["-starts_on", "-id"]
        indexes = [models.Index(fields=["town", "starts_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="notice_ends_after_start"
            )
        ]
        verbose_name = _("public notice")
        verbose_name_plural = _("public notices")

    def __str__(self):
        return f"{self.head_name} {self.starts_on}–{self.ends_on}"


def mask_name(name: str) -> str:
    """A name as a public notice shows it (DOMAIN.md §7): first and last character, the middle
    masked (张*明, 欧阳**华); a two-character name keeps its first (张*)."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]
