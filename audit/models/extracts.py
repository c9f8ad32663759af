"""Partner registry extracts (REGISTRIES.md): the ten sources, the files partners deliver, the
records those files hold for people Relief knows, and the match requests Relief sends out.

A record keeps a source's columns in a few generic fields, so that one table and one set of
indexes serve every source; `Source.columns` says which column of the file fills which field.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.models import Authorisation, Person
from relief.history import tracked_history


class Source(models.Model):
    """One partner source (REGISTRIES.md, "Sources and their columns"). Rows are data: loaded by
    migration 0002, editable by administrators (name, scope), never by code paths."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=60)
    # The authorisation scope a person needs for this source's rows to be used; "" for the
    # low-income monitoring list, which needs none (its people are not served yet).
    scope = models.CharField(
        _("authorisation scope"),
        max_length=20,
        choices=Authorisation.Scope.choices,
        blank=True,
        default="",
    )
    # [{"header": "余额", "field": "amount", "type": "amount"}, ...]: the columns besides the key
    # and 姓名, in the file's terms; "type" is one of text, amount, date, month, code, int,
    # division; a "code" column lists its allowed values in "choices".
    columns = models.JSONField(_("columns"), default=list)
    # Whether a person's rows of one month replace that source's earlier value per institution
    # (deposits, securities, insurance): a person absent from a month's extract holds nothing.
    balances = models.BooleanField(_("balances per institution"), default=False)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    # The registry provider accounts that deliver this source (an administrator assigns them).
    # A provider may upload only its sources: otherwise any partner could replace another
    # agency's extract with a one-row file and close its findings.
    providers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="registry_sources",
        verbose_name=_("providers"),
        help_text=_("The registry provider accounts that may upload this source's extracts."),
    )

    history = tracked_history()

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("registry source")
        verbose_name_plural = _("registry sources")

    def __str__(self):
        return self.name

    @property
    def needs_authorisation(self) -> bool:
        return bool(self.scope)


class Extract(models.Model):
    """One file delivered for a source and period, with its import report."""

    class State(models.TextChoices):
        IMPORTING = "importing", _("Importing")
        IMPORTED = "imported", _("Imported")
        REPLACED = "replaced", _("Replaced by a later file")
        REJECTED = "rejected", _("Rejected")

    source = models.ForeignKey(
        Source, on_delete=models.PROTECT, related_name="extracts", verbose_name=_("source")
    )
    period = models.DateField(_("period"), help_text=_("The month the extract describes."))
    file_name = models.CharField(_("file name"), max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    size = models.PositiveBigIntegerField(_("size in bytes"), default=0)
    keyed_by_hash = models.BooleanField(_("keyed by hashed ID numbers"), default=False)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.IMPORTING
    )
    rows = models.PositiveIntegerField(_("rows read"), default=0)
    matched = models.PositiveIntegerField(_("rows matched"), default=0)
    dropped_unknown = models.PositiveIntegerField(_("rows dropped (unknown person)"), default=0)
    set_aside_unauthorised = models.PositiveIntegerField(
        _("rows set aside (no authorisation)"), default=0
    )
    names_differ = models.PositiveIntegerField(_("rows whose name differs"), default=0)
    # [{"row": 7, "column": "余额", "message": "..."}]: why a rejected file was rejected.
    errors = models.JSONField(_("errors"), default=list, blank=True)
    replaced_by = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("replaced by"),
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    history = tracked_history()

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        constraints = [
            # One live (imported) file per source and period: a new file replaces the old.
            models.UniqueConstraint(
                fields=["source", "period"],
                condition=Q(state="imported"),
                name="one_imported_extract_per_source_period",
            ),
            models.CheckConstraint(
                condition=Q(period__day=1), name="extract_period_is_first_of_month"
            ),
        ]
        verbose_name = _("registry extract")
        verbose_name_plural = _("registry extracts")

    def __str__(self):
        return f"{self.source} {self.period:%Y-%m}"


class RecordQuerySet(models.QuerySet):
    def current(self):
        """The records of imported (live) extracts: a replaced extract keeps its records, as
        the evidence of the findings raised from them, but no reader may use them again."""
        return self.filter(extract__state=Extract.State.IMPORTED)


class RegistryRecord(models.Model):
    """One row of an extract for a person Relief knows (or, for the low-income monitoring list,
    anyone: `person` is then empty when Relief does not know them, and `key_hash` identifies
    them). Never edited: a new extract brings new records, and the replaced extract keeps its
    own (read live records through `RegistryRecord.objects.current()`)."""

    extract = models.ForeignKey(
        Extract, on_delete=models.CASCADE, related_name="records", verbose_name=_("extract")
    )
    # No index of their own for `source` and `person`: (period, source, person) and (person,
    # period) serve every read, and each index less is one less write per imported row.
    source = models.ForeignKey(
        Source,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("source"),
        db_index=False,
    )
    period = models.DateField(_("period"))
    row_number = models.PositiveIntegerField(_("row in the file"))
    person = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="registry_records",
        verbose_name=_("person"),
        db_index=False,
    )
    # HMAC-SHA256 of the upper-case ID number under MATCHING_KEY (audit/keys.py).
    key_hash = models.CharField(_("hashed ID number"), max_length=64, blank=True, default="")
    name = models.CharField(_("name in the file"), max_length=50, blank=True, default="")
    name_differs = models.BooleanField(_("name differs from Relief's"), default=False)
    # False: the person had no valid authorisation of the source's scope on the period's first
    # day; the row is set aside (counted, listed by household, never used).
    authorised = models.BooleanField(_("authorised"), default=True)
    # The generic columns (see Source.columns).
    institution = models.CharField(_("institution"), max_length=100, blank=True, default="")
    reference = models.CharField(_("reference"), max_length=60, blank=True, default="")
    category = models.CharField(_("category"), max_length=20, blank=True, default="")
    role = models.CharField(_("role"), max_length=20, blank=True, default="")
    status = models.CharField(_("status"), max_length=20, blank=True, default="")
    amount = models.DecimalField(
        _("amount (yuan)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    on_date = models.DateField(_("date"), null=True, blank=True)
    from_month = models.DateField(_("from month"), null=True, blank=True)
    region = models.CharField(_("division code"), max_length=9, blank=True, default="")
    size = models.PositiveSmallIntegerField(_("household size"), null=True, blank=True)

    objects = RecordQuerySet.as_manager()

    class Meta:
        ordering = ["extract_id", "row_number"]
        indexes = [
            models.Index(fields=["period", "source", "person"], name="record_period_source_person"),
            models.Index(fields=["person", "period"], name="record_person_period"),
        ]
        verbose_name = _("registry record")
        verbose_name_plural = _("registry records")

    def __str__(self):
        return f"{self.extract} #{self.row_number}"


class MatchRequest(models.Model):
    """A match request written for a period (REGISTRIES.md "The match request"): who asked, when,
    how many people, in clear or hashed, and the file's SHA-256."""

    period = models.DateField(_("period"))
    hashed = models.BooleanField(_("hashed"), default=True)
    people = models.PositiveIntegerField(_("people"), default=0)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("match request")
        verbose_name_plural = _("match requests")

    def __str__(self):
        return f"{self.period:%Y-%m} #{self.pk}"


__all__ = ["Extract", "MatchRequest", "RegistryRecord", "Source"]
