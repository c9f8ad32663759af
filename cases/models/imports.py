from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .towns import Town


class HouseholdImport(models.Model):
    """One caseload file imported for a town. The file's SHA-256 makes a repeat a no-op."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Imported")
        REJECTED = "rejected", _("Rejected")

    town = models.ForeignKey(
        Town, on_delete=models.PROTECT, related_name="+", verbose_name=_("town")
    )
    file_name = models.CharField(_("file name"), max_length=200)
    file = models.FileField(_("file"), upload_to="imports/", blank=True)
    sha256 = models.CharField(max_length=64)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    households_created = models.PositiveIntegerField(default=0)
    persons_created = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["town", "sha256"],
                condition=models.Q(status="done"),
                name="household_import_once_per_file",
            )
        ]
        verbose_name = _("household import")
        verbose_name_plural = _("household imports")

    def __str__(self):
        return f"{self.town} {self.file_name}"

    @property
    def percent(self) -> int:
        return int(100 * self.processed_rows / self.total_rows) if self.total_rows else 0
