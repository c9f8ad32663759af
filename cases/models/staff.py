from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from relief.history import tracked_history
from relief.people import staff_name

from .towns import Town


class Role(models.TextChoices):
    """The roles of DOMAIN.md §2. Permissions live in cases.permissions, scope in cases.selectors."""

    CASE_WORKER = "case_worker", _("Case worker")
    TOWN_SUPERVISOR = "town_supervisor", _("Town supervisor")
    CITY_SUPERVISOR = "city_supervisor", _("City supervisor")
    FINANCE = "finance", _("Finance officer")
    AUDITOR = "auditor", _("Auditor")
    ADMINISTRATOR = "administrator", _("Administrator")
    # A partner agency's account (REGISTRIES.md): uploads its monthly extracts through the API
    # or the upload page and sees its own uploads' reports, nothing else.
    REGISTRY_PROVIDER = "registry_provider", _("Registry provider")


class StaffProfile(models.Model):
    """A user's role and, for town roles, the towns they serve."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="staff",
        verbose_name=_("user"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    towns = models.ManyToManyField(Town, blank=True, related_name="staff", verbose_name=_("towns"))

    history = tracked_history(m2m_fields=[towns])

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")

    def __str__(self):
        return f"{staff_name(self.user)} ({self.get_role_display()})"
