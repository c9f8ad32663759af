"""Benefit schemes and their dated rules (DOMAIN.md §5, §6).

Every parameter the benefit calculation and the working-day clocks use is a dated row: it holds
from `effective_from` until `effective_to` (both inclusive; an empty `effective_to` is open), it
says where it comes from (`source`), and demo values are labelled as such (`is_demo`). Rows of
the same key never overlap, so for any date at most one row answers.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from relief.history import tracked_history
from relief.money import format_money

from .evidence import IncomeType
from .towns import Town


class Scheme(models.Model):
    """A benefit scheme: dibao, extreme-poverty support (特困) or a kind of temporary assistance.
    The name is an English gettext source string, shown translated."""

    class Kind(models.TextChoices):
        DIBAO = "dibao", _("Minimum living allowance (dibao)")
        TEKUN = "tekun", _("Extreme poverty support (tekun)")
        TEMPORARY = "temporary", _("Temporary assistance")

    class TemporaryType(models.TextChoices):
        NONE = "", _("Not temporary assistance")
        EMERGENCY = "emergency", _("Emergency (急难型)")
        EXPENDITURE = "expenditure", _("Essential expenditure (支出型)")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    temporary_type = models.CharField(
        _("temporary assistance type"),
        max_length=12,
        choices=TemporaryType.choices,
        blank=True,
        default="",
        help_text=_("Only for temporary assistance: emergency (急难型) or expenditure (支出型)."),
    )

    history = tracked_history()

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="temporary", temporary_type__in=["emergency", "expenditure"])
                | (~Q(kind="temporary") & Q(temporary_type="")),
                name="scheme_temporary_type_matches_kind",
            )
        ]
        verbose_name = _("scheme")
        verbose_name_plural = _("schemes")

    def __str__(self):
        return gettext(self.name)

    @property
    def is_temporary(self) -> bool:
        return self.kind == self.Kind.TEMPORARY

    def clean(self):
        super().clean()
        if self.kind == self.Kind.TEMPORARY and not self.temporary_type:
            raise ValidationError(
                {
                    "temporary_type": _(
                        "Temporary assistance needs a type: emergency or expenditure."
                    )
                }
            )
        if self.kind != self.Kind.TEMPORARY and self.temporary_type:
            raise ValidationError(
                {"temporary_type": _("Only temporary assistance has a temporary type.")}
            )


class DatedRule(models.Model):
    """A row that holds from effective_from to effective_to (inclusive; empty = open).

    `key_fields` names the fields that identify what the row is about; rows of the same key must
    not overlap in time (checked in clean(), which the admin and the services call)."""

    key_fields: tuple[str, ...] = ()

    effective_from = models.DateField(_("effective from"))
    effective_to = models.DateField(
        _("effective to"),
        null=True,
        blank=True,
        help_text=_("Last day the row holds (inclusive). Empty: until further notice."),
    )
    is_demo = models.BooleanField(
        _("demo value"),
        default=False,
        help_text=_("A demonstration value, not an official figure; labelled so wherever shown."),
    )
    source = models.CharField(
        _("source"),
        max_length=200,
        blank=True,
        default="",
        help_text=_("Where the rule comes from, e.g. 粤民规字〔2019〕9号, or “Demo value”."),
    )

    # The source of the rules the migrations load as demo data (0004_schemes): an English
    # gettext source string shown translated, like the scheme names; a source an administrator
    # types (粤民规字〔2019〕9号) has no translation and shows as typed.
    DEMO_SOURCE = gettext_noop("Demo value")

    class Meta:
        abstract = True

    @property
    def source_shown(self) -> str:
        return gettext(self.source) if self.source else ""

    def covers(self, on) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)

    def _key(self) -> dict:
        fields = (self._meta.get_field(name) for name in self.key_fields)
        return {field.attname: getattr(self, field.attname) for field in fields}

    def overlapping(self):
        """Rows of the same key whose period overlaps this row's period."""
        # filter(town_id=None) matches the city-wide rows (IS NULL).
        rows = type(self)._default_manager.filter(**self._key())
        if self.pk is not None:
            rows = rows.exclude(pk=self.pk)
        # Two periods overlap when each starts on or before the other ends.
        rows = rows.filter(Q(effective_to__isnull=True) | Q(effective_to__gte=self.effective_from))
        if self.effective_to is not None:
            rows = rows.filter(effective_from__lte=self.effective_to)
        return rows

    def clean(self):
        super().clean()
        if self.effective_from is None:
            return
        if self.effective_to is not None and self.effective_to < self.effective_from:
            raise ValidationError(
                {"effective_to": _("The end date cannot be before the start date.")}
            )
        required = [f.attname for f in map(self._meta.get_field, self.key_fields) if not f.null]
        if any(getattr(self, attname) in (None, "") for attname in required):
            return  # Field validation reports the missing key.
        other = self.overlapping().order_by("effective_from").first()
        if other is not None:
            raise ValidationError(
                {
                    "effective_from": _(
                        "This period overlaps another row for the same %(key)s, effective "
                        "from %(start)s to %(end)s."
                    )
                    % {
                        "key": self.key_label(),
                        "start": other.effective_from,
                        "end": other.effective_to or _("open"),
                    }
                }
            )

    def key_label(self) -> str:
        return ", ".join(str(getattr(self, name) or "—") for name in self.key_fields)


def _dated_constraints(prefix: str):
    return [
        models.CheckConstraint(
            condition=Q(effective_to__isnull=True)
            | Q(effective_to__gte=models.F("effective_from")),
            name=f"{prefix}_effective_to_after_from",
        )
    ]


def _days(verbose_name, default, help_text):
    return models.PositiveSmallIntegerField(verbose_name, default=default, help_text=help_text)


class SchemeRule(DatedRule):
    """The dated parameters of one scheme: asset tests, categories, time limits, temporary
    assistance bands, re-check intervals."""

    key_fields = ("scheme",)

    scheme = models.ForeignKey(
        Scheme, on_delete=models.PROTECT, related_name="rules", verbose_name=_("scheme")
    )

    # Asset tests (粤民规字〔2019〕9号).
    financial_asset_months = models.DecimalField(
        _("financial assets limit (months of the standard per person)"),
        max_digits=6,
        decimal_places=2,
        default=Decimal("24"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_(
            "Deposits, securities and savings-type insurance may total at most this many months "
            "of the standard per co-resident member (Guangdong: 24)."
        ),
    )
    max_residential_units = models.PositiveSmallIntegerField(
        _("maximum residential properties"),
        default=1,
        help_text=_("Guangdong: at most one residential property."),
    )
    max_non_residential_units = models.PositiveSmallIntegerField(
        _("maximum non-residential properties"),
        default=0,
        help_text=_("Guangdong: no non-residential property."),
    )
    max_vehicles = models.PositiveSmallIntegerField(
        _("maximum motor vehicles"),
        default=0,
        help_text=_("Exempt vehicles (mobility vehicles, motorcycles, e-bikes) are not counted."),
    )
    max_businesses = models.PositiveSmallIntegerField(
        _("maximum business registrations"),
        default=0,
        help_text=_("Exempt registrations (cleared family shops) are not counted."),
    )

    # Amounts.
    floor_percent = models.DecimalField(
        _("floor (percent of the standard)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_(
            "Minimum amount per covered member as a percent of the standard, for eligible "
            "households with a tiny gap. Empty: no floor (the default)."
        ),
    )
    tekun_multiplier = models.DecimalField(
        _("extreme poverty multiplier"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("1.30"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Extreme poverty basic standard = this × the dibao standard (at least 1.3)."),
    )

    # Categories for add-ons (分类施保).
    elderly_age = models.PositiveSmallIntegerField(
        _("elderly from age"), default=60, help_text=_("A member of this age or older is elderly.")
    )
    minor_age = models.PositiveSmallIntegerField(
        _("minor below age"), default=18, help_text=_("A member younger than this is a minor.")
    )
    severe_disability_max_grade = models.PositiveSmallIntegerField(
        _("severe disability up to grade"),
        default=2,
        help_text=_("Disability grades 1 up to this grade count as severe."),
    )

    # Working-day limits (DOMAIN.md §6).
    check_days = _days(_("data check (working days)"), 2, _("Data check before acceptance."))
    home_visit_days = _days(
        _("home visit (working days)"), 7, _("Home visit and assessment after acceptance.")
    )
    opinion_days = _days(
        _("initial opinion (working days)"), 3, _("Initial opinion after the home visit.")
    )
    decision_days = _days(
        _("decision (working days)"), 3, _("Decision after the public notice ends.")
    )
    overall_days = _days(
        _("overall limit (working days)"), 30, _("Whole procedure from acceptance.")
    )
    extended_overall_days = _days(
        _("overall limit with extension (working days)"),
        45,
        _("Whole procedure from acceptance with an approved extension."),
    )
    approval_days = _days(
        _("approval (working days)"),
        10,
        _("Temporary assistance: from acceptance to approval."),
    )
    disbursement_days = _days(
        _("disbursement (working days)"),
        5,
        _("Temporary assistance: from approval to disbursement."),
    )

    # Public notice (公示).
    notice_calendar_days = models.PositiveSmallIntegerField(
        _("public notice (calendar days)"),
        default=7,
        help_text=_("Length of the public notice in calendar days."),
    )
    notice_counts_in_clock = models.BooleanField(
        _("public notice counts toward the clocks"),
        default=False,
        help_text=_("When off, the working days of the public notice do not count."),
    )

    # Pauses.
    pause_on_supplement = models.BooleanField(
        _("pause while waiting for documents"),
        default=True,
        help_text=_("Waiting for the applicant's supplementary documents pauses the clocks."),
    )
    pause_on_objection = models.BooleanField(
        _("pause while handling an objection"),
        default=True,
        help_text=_("Handling an objection during the public notice pauses the clocks."),
    )
    objection_pause_max_days = models.PositiveSmallIntegerField(
        _("objection pause limit (working days)"),
        default=20,
        help_text=_("At most this many working days of objection handling are not counted."),
    )

    # Temporary assistance.
    town_threshold = models.DecimalField(
        _("town approval threshold (yuan)"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("5000.00"),
        validators=[MinValueValidator(Decimal("0.00"))],
        help_text=_("Amounts above this are approved by the city bureau."),
    )
    band_min = models.DecimalField(
        _("band minimum (yuan)"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("100.00"),
        validators=[MinValueValidator(Decimal("0.00"))],
        help_text=_("Smallest amount a case worker may propose."),
    )
    band_max_multiple = models.DecimalField(
        _("band maximum (multiple of the dibao standard)"),
        max_digits=6,
        decimal_places=2,
        default=Decimal("6"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("The largest amount is this many times the month's dibao standard."),
    )
    max_instalments = models.PositiveSmallIntegerField(
        _("maximum monthly instalments"),
        default=6,
        help_text=_("Temporary assistance paid monthly for at most this many months."),
    )

    # Exit and re-checks.
    gradual_exit_months = models.PositiveSmallIntegerField(
        _("gradual exit (months)"),
        default=6,
        help_text=_("Continued payment after employment lifts income above the standard."),
    )
    recheck_months_stable = models.PositiveSmallIntegerField(
        _("re-check interval, stable households (months)"), default=12, help_text=_("Yearly.")
    )
    recheck_months_irregular = models.PositiveSmallIntegerField(
        _("re-check interval, irregular income (months)"),
        default=6,
        help_text=_("Households with irregular income and working-age members."),
    )

    history = tracked_history()

    class Meta:
        ordering = ["scheme__code", "effective_from"]
        constraints = _dated_constraints("schemerule")
        verbose_name = _("scheme rule")
        verbose_name_plural = _("scheme rules")

    def __str__(self):
        return f"{self.scheme} {self.effective_from}"


class Standard(DatedRule):
    """The monthly standard (保障标准) per person; a town row overrides the city-wide row."""

    key_fields = ("scheme", "town")

    scheme = models.ForeignKey(
        Scheme, on_delete=models.PROTECT, related_name="standards", verbose_name=_("scheme")
    )
    town = models.ForeignKey(
        Town,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="standards",
        verbose_name=_("town"),
        help_text=_("Empty: city-wide. A town's row overrides the city-wide one for that town."),
    )
    monthly_amount = models.DecimalField(
        _("monthly amount (yuan per person)"),
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.00"))],
    )

    history = tracked_history()

    class Meta:
        ordering = ["scheme__code", "town__code", "effective_from"]
        constraints = [
            *_dated_constraints("standard"),
            models.CheckConstraint(
                condition=Q(monthly_amount__gte=0), name="standard_amount_not_negative"
            ),
        ]
        verbose_name = _("standard")
        verbose_name_plural = _("standards")

    def __str__(self):
        return f"{self.scheme} {self.area()} {format_money(self.monthly_amount)}"

    def key_label(self) -> str:
        return f"{self.scheme}, {self.area()}"

    def area(self) -> str:
        # Outside the f-strings above: xgettext does not read inside them.
        return str(self.town) if self.town else gettext("city-wide")


class AddOn(DatedRule):
    """A category add-on (分类施保): a percent of the standard per covered member in the category."""

    key_fields = ("scheme", "category")

    class Category(models.TextChoices):
        ELDERLY = "elderly", _("Elderly")
        MINOR = "minor", _("Minor")
        SEVERE_DISABILITY = "severe_disability", _("Severe disability")
        SERIOUS_ILLNESS = "serious_illness", _("Serious illness")

    scheme = models.ForeignKey(
        Scheme, on_delete=models.PROTECT, related_name="add_ons", verbose_name=_("scheme")
    )
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    percent = models.DecimalField(
        _("percent of the standard"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Each add-on is rounded to the fen on its own."),
    )

    history = tracked_history()

    class Meta:
        ordering = ["scheme__code", "category", "effective_from"]
        constraints = _dated_constraints("addon")
        verbose_name = _("add-on")
        verbose_name_plural = _("add-ons")

    def __str__(self):
        return f"{self.scheme} {self.get_category_display()} {self.percent}%"

    def key_label(self) -> str:
        return f"{self.scheme}, {self.get_category_display()}"


class IncomeTypeRule(DatedRule):
    """A dated override of IncomeType.counted: from a date, a type is counted or excluded."""

    key_fields = ("income_type",)

    income_type = models.ForeignKey(
        IncomeType,
        on_delete=models.PROTECT,
        related_name="rules",
        verbose_name=_("income type"),
    )
    counted = models.BooleanField(_("counted as income"))

    history = tracked_history()

    class Meta:
        ordering = ["income_type__code", "effective_from"]
        constraints = _dated_constraints("incometyperule")
        verbose_name = _("income type rule")
        verbose_name_plural = _("income type rules")

    def __str__(self):
        return f"{self.income_type} {self.effective_from}"
