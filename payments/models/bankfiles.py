"""Bank-file layouts, the bank files exported for a batch and the returns imported for it."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from relief.history import tracked_history
from relief.money import MONEY

from .runs import Batch


class BankFileLayout(models.Model):
    """The columns of a bank's batch-transfer file (序号, 户名, 账号, 金额, 身份证号, 摘要 by default).
    `columns` is a list of {"header": "...", "field": "..."} with fields from
    payments.bankfiles.FIELDS; the file ends with a totals line."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    columns = models.JSONField(_("columns"))
    is_default = models.BooleanField(_("default layout"), default=False)

    history = tracked_history()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_layout"
            )
        ]
        verbose_name = _("bank file layout")
        verbose_name_plural = _("bank file layouts")

    # The layout the migrations load: its name is an English gettext source string shown
    # translated, like the scheme names; a layout an administrator names shows as named.
    DEFAULT_NAME = gettext_noop("Standard batch transfer (序号 户名 账号 金额 身份证号 摘要)")

    def __str__(self):
        return gettext(self.name)


class BankFile(models.Model):
    """A bank file exported for a batch: who, when, and the file's SHA-256 and size, so the
    file the bank received can be matched to the batch later."""

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "XLSX"

    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="bank_files")
    format = models.CharField(max_length=4, choices=Format.choices)
    layout = models.ForeignKey(BankFileLayout, on_delete=models.PROTECT, related_name="+")
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    rows = models.PositiveIntegerField()
    total_amount = models.DecimalField(**MONEY)
    exported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    exported_at = models.DateTimeField()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("bank file")
        verbose_name_plural = _("bank files")

    def __str__(self):
        return f"{self.batch_id} {self.format} {self.sha256[:12]}"


class BankReturn(models.Model):
    """The bank's answer to a batch, imported whole or not at all. The same file again (same
    SHA-256) changes nothing."""

    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="returns")
    sha256 = models.CharField(max_length=64)
    file_name = models.CharField(max_length=200, blank=True, default="")
    rows = models.PositiveIntegerField()
    paid_rows = models.PositiveIntegerField()
    failed_rows = models.PositiveIntegerField()
    paid_amount = models.DecimalField(**MONEY)
    failed_amount = models.DecimalField(**MONEY)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    imported_at = models.DateTimeField()

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "sha256"], name="one_import_per_return_file")
        ]
        verbose_name = _("bank return")
        verbose_name_plural = _("bank returns")

    def __str__(self):
        return f"{self.batch_id} {self.sha256[:12]}"
