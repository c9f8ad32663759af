"""The append-only audit-event table: business events (login, ID revealed, export, import,
approval) with their actor. It survives user deletion (the username is copied).

The administrators' working-day table (CalendarDay), which `relief.workdays` reads.

The API tokens (ApiToken) that relief.api_auth issues and checks."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .history import tracked_history


class AuditEvent(models.Model):
    class Action(models.TextChoices):
        LOGIN = "login", _("Logged in")
        LOGOUT = "logout", _("Logged out")
        LOGIN_FAILED = "login_failed", _("Login failed")
        ID_REVEALED = "id_revealed", _("ID number revealed")
        EXPORT = "export", _("Exported")
        IMPORT = "import", _("Imported")
        APPROVE = "approve", _("Approved")
        SUBMIT = "submit", _("Submitted for approval")
        REJECT = "reject", _("Rejected")
        SEND = "send", _("Sent to the bank")
        REFUND = "refund", _("Refund recorded")
        FINE = "fine", _("Fine decision recorded")
        FOREIGN_ID = "foreign_id", _("ID number of another town entered")

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_username = models.CharField(max_length=150, blank=True, default="")
    action = models.CharField(max_length=32, choices=Action.choices, db_index=True)
    object_type = models.CharField(max_length=64, blank=True, default="")
    object_id = models.CharField(max_length=64, blank=True, default="")
    town_code = models.CharField(max_length=9, blank=True, default="", db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=255, blank=True, default="")
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self):
        at = timezone.localtime(self.at)
        return f"{at:%Y-%m-%d %H:%M} {self.actor_username} {self.get_action_display()}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("audit events are append-only")


class CalendarDay(models.Model):
    """One day of the State Council holiday schedule (国务院办公厅关于部分节假日安排的通知)
    entered by an administrator. It overrides the chinesecalendar package for its date, and a
    year with any entered day is no longer provisional (DOMAIN.md §6, relief/workdays.py)."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Holiday (day off)")
        WORKDAY = "workday", _("Make-up working day")

    day = models.DateField(_("day"), unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(
        _("name"), max_length=50, help_text=_("The holiday it belongs to, e.g. 春节.")
    )
    note = models.TextField(_("note"), blank=True, default="")

    history = tracked_history()

    class Meta:
        ordering = ["day"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["holiday", "workday"]), name="calendarday_kind_valid"
            )
        ]
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")

    def __str__(self):
        return f"{self.day} {self.get_kind_display()} {self.name}"

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        # Remembered so that moving a row to another year names both years in calendar_changed.
        instance._loaded_day = instance.__dict__.get("day")
        return instance


class ApiToken(models.Model):
    """An API token, sent as `Authorization: Token <key>` (relief/api_auth.py). Only the key's
    SHA-256 is stored: a copy of the database lets nobody in. A token ends after
    settings.API_TOKEN_IDLE_TIMEOUT without use or settings.API_TOKEN_MAX_AGE after it was
    issued, whichever comes first; logging out of a session and changing the password delete
    all of the user's tokens (relief/tokens.py)."""

    digest = models.CharField(max_length=64, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("user"),
    )
    created = models.DateTimeField(_("issued"), default=timezone.now)
    # Written at most once a minute (relief.tokens.LAST_USED_RESOLUTION), not on every request.
    last_used = models.DateTimeField(_("last used"), default=timezone.now)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        return f"{self.user} {self.created:%Y-%m-%d %H:%M}"
