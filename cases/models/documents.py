from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from relief.history import tracked_history
from relief.names import NameField

from .registry import Household, Person


def document_path(instance, filename):
    return f"documents/{instance.household_id}/{instance.sha256[:16]}-{filename[-80:]}"


class Document(models.Model):
    """An uploaded file (PDF, JPEG or PNG, checked by content) on a household or a member."""

    class Kind(models.TextChoices):
        ID_CARD = "id_card", _("ID card")
        HUKOU = "hukou", _("Household register (户口簿)")
        INCOME = "income", _("Income proof")
        ASSET = "asset", _("Asset proof")
        MEDICAL = "medical", _("Medical record")
        AUTHORISATION = "authorisation", _("Authorisation (授权书)")
        OTHER = "other", _("Other")

    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="documents", verbose_name=_("household")
    )
    person = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="documents",
        verbose_name=_("member"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.OTHER)
    title = models.CharField(_("title"), max_length=120)
    file = models.FileField(_("file"), upload_to=document_path)
    content_type = models.CharField(_("content type"), max_length=40, editable=False)
    size = models.PositiveIntegerField(_("size in bytes"), editable=False)
    sha256 = models.CharField(max_length=64, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    history = tracked_history()

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")

    def __str__(self):
        return self.title

    # The extension of each content type an upload may have (cases.uploads checks the content).
    EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}

    @property
    def download_name(self) -> str:
        """The file name a download is given: never the uploader's own file name, which may
        name the person or say what the document is about (a page or API client downloading
        it learns nothing from the name beyond the document's number)."""
        return f"document-{self.pk}.{self.EXTENSIONS.get(self.content_type, 'bin')}"


class Authorisation(models.Model):
    """A member's signed authorisation (授权书) for the economic verification queries of
    DOMAIN.md §8. No registry query may run for a member without a valid one."""

    class Scope(models.TextChoices):
        ALL = "all", _("All verification queries")
        BANK = "bank", _("Bank deposits and securities")
        INSURANCE = "insurance", _("Insurance")
        PROPERTY = "property", _("Property registration")
        VEHICLE = "vehicle", _("Vehicles")
        BUSINESS = "business", _("Business registration")
        SOCIAL_INSURANCE = "social_insurance", _("Social insurance, pensions and housing fund")
        TAX = "tax", _("Tax")
        CIVIL = "civil", _("Household registration and deaths")

    household = models.ForeignKey(
        Household,
        on_delete=models.PROTECT,
        related_name="authorisations",
        verbose_name=_("household"),
    )
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="authorisations", verbose_name=_("member")
    )
    signer_name = NameField(_("signed by"), max_length=50)
    signed_on = models.DateField(_("signed on"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    scope = models.CharField(_("scope"), max_length=20, choices=Scope.choices, default=Scope.ALL)
    scan = models.ForeignKey(
        Document,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("scan"),
    )
    revoked_on = models.DateField(_("revoked on"), null=True, blank=True)

    history = tracked_history()

    class Meta:
        ordering = ["-signed_on", "-id"]
        verbose_name = _("authorisation")
        verbose_name_plural = _("authorisations")

    def __str__(self):
        return f"{self.person} {self.signed_on}"
