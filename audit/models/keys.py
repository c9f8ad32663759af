"""Every person's hashed ID number (audit/keys.py), so that rows keyed by hash are matched by a
join, not by hashing a million ID numbers per file."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.models import Person


class PersonKey(models.Model):
    person = models.OneToOneField(
        Person,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="+",
        verbose_name=_("person"),
    )
    key_hash = models.CharField(_("hashed ID number"), max_length=64, unique=True)

    class Meta:
        verbose_name = _("person key")
        verbose_name_plural = _("person keys")

    def __str__(self):
        return self.key_hash
