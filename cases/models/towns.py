from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from relief.history import tracked_history
from relief.names import NameField

division_code = RegexValidator(r"^\d{9}$", _("A division code has 9 digits."))


class Town(models.Model):
    """A 镇街 or function area: the unit a case worker's access is bound to (DOMAIN.md §3)."""

    class Type(models.TextChoices):
        SUBDISTRICT = "subdistrict", _("Sub-district (街道)")
        TOWN = "town", _("Town (镇)")
        PARK = "park", _("Function area (园区)")

    code = models.CharField(
        _("division code"), max_length=9, unique=True, validators=[division_code]
    )
    name = NameField(_("name"), max_length=50)
    type = models.CharField(_("type"), max_length=12, choices=Type.choices)
    slug = models.SlugField(_("slug"), max_length=40, unique=True)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    history = tracked_history()

    class Meta:
        ordering = ["code"]
        verbose_name = _("town")
        verbose_name_plural = _("towns")

    def __str__(self):
        return self.name


class Village(models.Model):
    """A village (村) or community (社区) under a town; public notices are posted per village."""

    class Kind(models.TextChoices):
        VILLAGE = "village", _("Village (村)")
        COMMUNITY = "community", _("Community (社区)")

    town = models.ForeignKey(
        Town, on_delete=models.PROTECT, related_name="villages", verbose_name=_("town")
    )
    name = NameField(_("name"), max_length=60)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.COMMUNITY)
    code = models.CharField(_("code"), max_length=12, blank=True, default="")
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    history = tracked_history()

    class Meta:
        ordering = ["town__code", "name"]
        constraints = [
            models.UniqueConstraint(fields=["town", "name"], name="village_unique_name_per_town")
        ]
        verbose_name = _("village or community")
        verbose_name_plural = _("villages and communities")

    def __str__(self):
        return f"{self.town.name} {self.name}"
