"""Dated evidence: income lines and assets. Each row says from when to when it holds and where
it came from; the benefit calculation reads the rows valid in the month it computes."""

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from relief.history import tracked_history
from relief.money import format_yuan

from .registry import Household, Person


class Source(models.TextChoices):
    DECLARED = "declared", _("Declared by the applicant")
    HOME_VISIT = "home_visit", _("Home visit")
    REGISTRY = "registry", _("Partner registry")


class IncomeType(models.Model):
    """The configurable table of income types and whether each is counted (DOMAIN.md §5:
    优抚 payments, awards, scholarships, one-off compensation, social assistance are excluded)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(pgettext_lazy("income type", "name"), max_length=60)
    counted = models.BooleanField(_("counted as income"), default=True)
    note = models.CharField(_("note"), max_length=200, blank=True, default="")

    history = tracked_history()

    class Meta:
        ordering = ["code"]
        verbose_name = _("income type")
        verbose_name_plural = _("income types")

    def __str__(self):
        return self.name


class DatedEvidence(models.Model):
    household = models.ForeignKey(Household, on_delete=models.PROTECT, verbose_name=_("household"))
    person = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("member"),
        help_text=_("Empty for evidence of the household as a whole."),
    )
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    source = models.CharField(
        _("source"), max_length=12, choices=Source.choices, default=Source.DECLARED
    )
    note = models.CharField(_("note"), max_length=200, blank=True, default="")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        abstract = True


class IncomeLine(DatedEvidence):
    income_type = models.ForeignKey(
        IncomeType, on_delete=models.PROTECT, verbose_name=_("income type")
    )
    monthly_amount = models.DecimalField(
        _("monthly amount (yuan)"),
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.00"))],
    )

    history = tracked_history()

    class Meta:
        ordering = ["valid_from", "id"]
        indexes = [models.Index(fields=["household", "valid_from"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(monthly_amount__gte=0), name="income_amount_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="income_valid_to_after_from",
            ),
        ]
        verbose_name = _("income line")
        verbose_name_plural = _("income lines")

    def __str__(self):
        # Shown on pages ("End evidence: 工资 12,345.67 元"): money the one way (relief.money).
        return f"{self.income_type} {format_yuan(self.monthly_amount)}"


class Asset(DatedEvidence):
    """One asset: a financial holding with a value, or countable items (property units, vehicles,
    business registrations). Asset tests (粤民规字〔2019〕9号) read these rows."""

    class Kind(models.TextChoices):
        DEPOSIT = "deposit", _("Bank deposits")
        SECURITIES = "securities", _("Securities")
        INSURANCE = "insurance", _("Savings-type insurance")
        RESIDENTIAL = "residential", _("Residential property")
        NON_RESIDENTIAL = "non_residential", _("Non-residential property")
        VEHICLE = "vehicle", _("Motor vehicle")
        BUSINESS = "business", _("Business registration")

    FINANCIAL_KINDS = (Kind.DEPOSIT, Kind.SECURITIES, Kind.INSURANCE)

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    value = models.DecimalField(
        _("value (yuan)"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0.00"))],
    )
    units = models.PositiveIntegerField(_("units"), default=1)
    description = models.CharField(_("description"), max_length=200, blank=True, default="")
    exempt = models.BooleanField(
        _("exempt from the asset test"),
        default=False,
        help_text=_(
            "E.g. a mobility vehicle for the disabled, a motorcycle, a cleared family shop."
        ),
    )

    history = tracked_history()

    class Meta:
        ordering = ["valid_from", "id"]
        indexes = [models.Index(fields=["household", "valid_from"])]
        constraints = [
            models.CheckConstraint(condition=Q(value__gte=0), name="asset_value_not_negative"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="asset_valid_to_after_from",
            ),
        ]
        verbose_name = _("asset")
        verbose_name_plural = _("assets")

    def __str__(self):
        return f"{self.get_kind_display()} {format_yuan(self.value)}"
