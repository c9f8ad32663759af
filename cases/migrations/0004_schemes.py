"""Schemes and their dated rules (DOMAIN.md §5, §6), with demo data.

Every loaded rule row is a demo value (is_demo, source "Demo value"): Dongguan's dibao standard
is not confirmed (DOMAIN.md §5), nor are the add-on percents; the SchemeRule defaults follow the
confirmed Guangdong asset limits and the Dongguan time limits, the temporary-assistance bands and
clocks are demo values. Scheme names are English gettext source strings, shown translated.
"""

import datetime
from decimal import Decimal

import django.core.validators
import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models
from django.utils.translation import gettext_noop

DEMO_SOURCE = "Demo value"
RULES_FROM = datetime.date(2023, 1, 1)

SCHEMES = [
    ("dibao", gettext_noop("Minimum living allowance (dibao)"), "dibao", ""),
    ("tekun", gettext_noop("Extreme poverty support (tekun)"), "tekun", ""),
    ("temp_emergency", gettext_noop("Temporary assistance: emergency"), "temporary", "emergency"),
    (
        "temp_expenditure",
        gettext_noop("Temporary assistance: essential expenditure"),
        "temporary",
        "expenditure",
    ),
]

# Dibao standard, city-wide (demo: "not the official Dongguan figure").
STANDARDS = [
    (Decimal("1300.00"), datetime.date(2023, 1, 1), datetime.date(2025, 6, 30)),
    (Decimal("1350.00"), datetime.date(2025, 7, 1), None),
]

ADD_ONS = [
    ("elderly", Decimal("10.00")),
    ("minor", Decimal("10.00")),
    ("severe_disability", Decimal("20.00")),
    ("serious_illness", Decimal("20.00")),
]


def load(apps, schema_editor):
    """Idempotent (tests/conftest.py calls it again after a transactional test's flush)."""
    Scheme = apps.get_model("cases", "Scheme")
    SchemeRule = apps.get_model("cases", "SchemeRule")
    Standard = apps.get_model("cases", "Standard")
    AddOn = apps.get_model("cases", "AddOn")
    demo = {"is_demo": True, "source": DEMO_SOURCE}
    for code, name, kind, temporary_type in SCHEMES:
        scheme, _ = Scheme.objects.update_or_create(
            code=code, defaults={"name": name, "kind": kind, "temporary_type": temporary_type}
        )
        SchemeRule.objects.get_or_create(scheme=scheme, effective_from=RULES_FROM, defaults=demo)
    dibao = Scheme.objects.get(code="dibao")
    for amount, start, end in STANDARDS:
        Standard.objects.get_or_create(
            scheme=dibao,
            town=None,
            effective_from=start,
            defaults={"effective_to": end, "monthly_amount": amount, **demo},
        )
    for category, percent in ADD_ONS:
        AddOn.objects.get_or_create(
            scheme=dibao,
            category=category,
            effective_from=RULES_FROM,
            defaults={"percent": percent, **demo},
        )


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0003_search_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="HistoricalIncomeTypeRule",
            fields=[
                (
                    "id",
                    models.BigIntegerField(
                        auto_created=True, blank=True, db_index=True, verbose_name="ID"
                    ),
                ),
                ("ip", models.GenericIPAddressField(blank=True, null=True)),
                ("user_agent", models.CharField(blank=True, default="", max_length=255)),
                ("effective_from", models.DateField(verbose_name="effective from")),
                (
                    "effective_to",
                    models.DateField(
                        blank=True,
                        help_text="Last day the row holds (inclusive). Empty: until further notice.",
                        null=True,
                        verbose_name="effective to",
                    ),
                ),
                (
                    "is_demo",
                    models.BooleanField(
                        default=False,
                        help_text="A demonstration value, not an official figure; labelled so wherever shown.",
                        verbose_name="demo value",
                    ),
                ),
                (
                    "source",
                    models.CharField(
                        blank=True,
                        default="",
                        help_text="Where the rule comes from, e.g. 粤民规字〔2019〕9号, or “Demo value”.",
                        max_length=200,
                        verbose_name="source",
                    ),
                ),
                ("counted", models.BooleanField(verbose_name="counted as income")),
                ("history_change_reason", models.TextField(null=True)),
                ("history_id", models.AutoField(primary_key=True, serialize=False)),
                ("history_date", models.DateTimeField(db_index=True)),
                (
                    "history_type",
                    models.CharField(
                        choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")], max_length=1
                    ),
                ),
                (
                    "history_user",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "income_type",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="cases.incometype",
                        verbose_name="income type",
                    ),
                ),
            ],
            options={
                "verbose_name": "historical income type rule",
                "verbose_name_plural": "historical income type rules",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name="HistoricalScheme",
            fields=[
                (
                    "id",
                    models.BigIntegerField(
                        auto_created=True, blank=True, db_index=True, verbose_name="ID"
                    ),
                ),
                ("ip", models.GenericIPAddressField(blank=True, null=True)),
                ("user_agent", models.CharField(blank=True, default="", max_length=255)),
                ("code", models.SlugField(max_length=40, verbose_name="code")),
                ("name", models.CharField(max_length=100, verbose_name="name")),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("dibao", "Minimum living allowance (dibao)"),
                            ("tekun", "Extreme poverty support (tekun)"),
                            ("temporary", "Temporary assistance"),
                        ],
                        max_length=12,
                        verbose_name="kind",
                    ),
                ),
                (
                    "temporary_type",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("", "Not temporary assistance"),
                            ("emergency", "Emergency (急难型)"),
                            ("expenditure", "Essential expenditure (支出型)"),
                        ],
                        default="",
                        help_text="Only for temporary assistance: emergency (急难型) or expenditure (支出型).",
                        max_length=12,
                        verbose_name="temporary assistance type",
                    ),
                ),
                ("history_change_reason", models.TextField(null=True)),
                ("history_id", models.AutoField(primary_key=True, serialize=False)),
                ("history_date", models.DateTimeField(db_index=True)),
                (
                    "history_type",
                    models.CharField(
                        choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")], max_length=1
                    ),
                ),
                (
                    "history_user",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "historical scheme",
                "verbose_name_plural": "historical schemes",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name="Scheme",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("code", models.SlugField(max_length=40, unique=True, verbose_name="code")),
                ("name", models.CharField(max_length=100, verbose_name="name")),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("dibao", "Minimum living allowance (dibao)"),
                            ("tekun", "Extreme poverty support (tekun)"),
                            ("temporary", "Temporary assistance"),
                        ],
                        max_length=12,
                        verbose_name="kind",
                    ),
                ),
                (
                    "temporary_type",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("", "Not temporary assistance"),
                            ("emergency", "Emergency (急难型)"),
                            ("expenditure", "Essential expenditure (支出型)"),
                        ],
                        default="",
                        help_text="Only for temporary assistance: emergency (急难型) or expenditure (支出型).",
                        max_length=12,
                        verbose_name="temporary assistance type",
                    ),
                ),
            ],
            options={
                "verbose_name": "scheme",
                "verbose_name_plural": "schemes",
                "ordering": ["code"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(
                                ("kind", "temporary"),
                                ("temporary_type__in", ["emergency", "expenditure"]),
                            ),
                            models.Q(
                                models.Q(("kind", "temporary"), _negated=True),
                                ("temporary_type", ""),
                            ),
                            _connector="OR",
                        ),
                        name="scheme_temporary_type_matches_kind",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="HistoricalStandard",
            fields=[
                (
                    "id",
                    models.BigIntegerField(
                        auto_created=True, blank=True, db_index=True, verbose_name="ID"
                    ),
                ),
                ("ip", models.GenericIPAddressField(blank=True, null=True)),
                ("user_agent", models.CharField(blank=True, default="", max_length=255)),
                ("effective_from", models.DateField(verbose_name="effective from")),
                (
                    "effective_to",
                    models.DateField(
                        blank=True,
                        help_text="Last day the row holds (inclusive). Empty: until further notice.",
                        null=True,
                        verbose_name="effective to",
                    ),
                ),
                (
                    "is_demo",
                    models.BooleanField(
                        default=False,
                        help_text="A demonstration value, not an official figure; labelled so wherever shown.",
                        verbose_name="demo value",
                    ),
                ),
                (
                    "source",
                    models.CharField(
                        blank=True,
                        default="",
                        help_text="Where the rule comes from, e.g. 粤民规字〔2019〕9号, or “Demo value”.",
                        max_length=200,
                        verbose_name="source",
                    ),
                ),
                (
                    "monthly_amount",
                    models.DecimalField(
                        decimal_places=2,
                        max_digits=14,
                        validators=[django.core.validators.MinValueValidator(Decimal("0.00"))],
                        verbose_name="monthly amount (yuan per person)",
                    ),
                ),
                ("history_change_reason", models.TextField(null=True)),
                ("history_id", models.AutoField(primary_key=True, serialize=False)),
                ("history_date", models.DateTimeField(db_index=True)),
                (
                    "history_type",
                    models.CharField(
                        choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")], max_length=1
                    ),
                ),
                (
                    "history_user",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "town",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        help_text="Empty: city-wide. A town's row overrides the city-wide one for that town.",
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="cases.town",
                        verbose_name="town",
                    ),
                ),
                (
                    "scheme",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="cases.scheme",
                        verbose_name="scheme",
                    ),
                ),
            ],
            options={
                "verbose_name": "historical standard",
                "verbose_name_plural": "historical standards",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name="HistoricalSchemeRule",
            fields=[
                (
                    "id",
                    models.BigIntegerField(
                        auto_created=True, blank=True, db_index=True, verbose_name="ID"
                    ),
                ),
                ("ip", models.GenericIPAddressField(blank=True, null=True)),
                ("user_agent", models.CharField(blank=True, default="", max_length=255)),
                ("effective_from", models.DateField(verbose_name="effective from")),
                (
                    "effective_to",
                    models.DateField(
                        blank=True,
                        help_text="Last day the row holds (inclusive). Empty: until further notice.",
                        null=True,
                        verbose_name="effective to",
                    ),
                ),
                (
                    "is_demo",
                    models.BooleanField(
                        default=False,
                        help_text="A demonstration value, not an official figure; labelled so wherever shown.",
                        verbose_name="demo value",
                    ),
                ),
                (
                    "source",
                    models.CharField(
                        blank=True,
                        default="",
                        help_text="Where the rule comes from, e.g. 粤民规字〔2019〕9号, or “Demo value”.",
                        max_length=200,
                        verbose_name="source",
                    ),
                ),
                (
                    "financial_asset_months",
                    models.DecimalField(
                        decimal_places=2,
                        default=Decimal("24"),
                        help_text="Deposits, securities and savings-type insurance may total at most this many months of the standard per co-resident member (Guangdong: 24).",
                        max_digits=6,
                        validators=[django.core.validators.MinValueValidator(Decimal("0"))],
                        verbose_name="financial assets limit (months of the standard per person)",
                    ),
                ),
                (
                    "max_residential_units",
                    models.PositiveSmallIntegerField(
                        default=1,
                        help_text="Guangdong: at most one residential property.",
                        verbose_name="maximum residential properties",
                    ),
                ),
                (
                    "max_non_residential_units",
                    models.PositiveSmallIntegerField(
                        default=0,
                        help_text="Guangdong: no non-residential property.",
                        verbose_name="maximum non-residential properties",
                    ),
                ),
                (
                    "max_vehicles",
                    models.PositiveSmallIntegerField(
                        default=0,
                        help_text="Exempt vehicles (mobility vehicles, motorcycles, e-bikes) are not counted.",
                        verbose_name="maximum motor vehicles",
                    ),
                ),
                (
                    "max_businesses",
                    models.PositiveSmallIntegerField(
                        default=0,
                        help_text="Exempt registrations (cleared family shops) are not counted.",
                        verbose_name="maximum business registrations",
                    ),
                ),
                (
                    "floor_percent",
                    models.DecimalField(
                        blank=True,
                        decimal_places=2,
                        help_text="Minimum amount per covered member as a percent of the standard, for eligible households with a tiny gap. Empty: no floor (the default).",
                        max_digits=5,
                        null=True,
                        validators=[django.core.validators.MinValueValidator(Decimal("0"))],
                        verbose_name="floor (percent of the standard)",
                    ),
                ),
                (
                    "tekun_multiplier",
                    models.DecimalField(
                        decimal_places=2,
                        default=Decimal("1.30"),
                        help_text="Extreme poverty basic standard = this × the dibao standard (at least 1.3).",
                        max_digits=5,
                        validators=[django.core.validators.MinValueValidator(Decimal("0"))],
                        verbose_name="extreme poverty multiplier",
                    ),
                ),
                (
                    "elderly_age",
                    models.PositiveSmallIntegerField(
                        default=60,
                        help_text="A member of this age or older is elderly.",
                        verbose_name="elderly from age",
                    ),
                ),
                (
                    "minor_age",
                    models.PositiveSmallIntegerField(
                        default=18,
                        help_text="A member younger than this is a minor.",
                        verbose_name="minor below age",
                    ),
                ),
                (
                    "severe_disability_max_grade",
                    models.PositiveSmallIntegerField(
                        default=2,
                        help_text="Disability grades 1 up to this grade count as severe.",
                        verbose_name="severe disability up to grade",
                    ),
                ),
                (
                    "check_days",
                    models.PositiveSmallIntegerField(
                        default=2,
                        help_text="Data check before acceptance.",
                        verbose_name="data check (working days)",
                    ),
                ),
                (
                    "home_visit_days",
                    models.PositiveSmallIntegerField(
                        default=7,
                        help_text="Home visit and assessment after acceptance.",
                        verbose_name="home visit (working days)",
                    ),
                ),
                (
                    "opinion_days",
                    models.PositiveSmallIntegerField(
                        default=3,
                        help_text="Initial opinion after the home visit.",
                        verbose_name="initial opinion (working days)",
                    ),
                ),
                (
                    "decision_days",
                    models.PositiveSmallIntegerField(
                        default=3,
                        help_text="Decision after the public notice ends.",
                        verbose_name="decision (working days)",
                    ),
                ),
                (
                    "overall_days",
                    models.PositiveSmallIntegerField(
                        default=30,
                        help_text="Whole procedure from acceptance.",
                        verbose_name="overall limit (working days)",
                    ),
                ),
                (
                    "extended_overall_days",
                    models.PositiveSmallIntegerField(
                        default=45,
                        help_text="Whole procedure from acceptance with an approved extension.",
                        verbose_name="overall limit with extension (working days)",
                    ),
                ),
                (
                    "approval_days",
                    models.PositiveSmallIntegerField(
                        default=10,
                        help_text="Temporary assistance: from acceptance to approval.",
                        verbose_name="approval (working days)",
                    ),
                ),
                (
                    "disbursement_days",
                    models.PositiveSmallIntegerField(
                        default=5,
                        help_text="Temporary assistance: from approval to disbursement.",
                        verbose_name="disbursement (working days)",
                    ),
                ),
                (
                    "notice_calendar_days",
                    models.PositiveSmallIntegerField(
                        default=7,
                        help_text="Length of the public notice in calendar days.",
                        verbose_name="public notice (calendar days)",
                    ),
                ),
                (
                    "notice_counts_in_clock",
                    models.BooleanField(
                        default=False,
                        help_text="When off, the working days of the public notice do not count.",
                        verbose_name="public notice counts toward the clocks",
                    ),
                ),
                (
                    "pause_on_supplement",
                    models.BooleanField(
                        default=True,
                        help_text="Waiting for the applicant's supplementary documents pauses the clocks.",
                        verbose_name="pause while waiting for documents",
                    ),
                ),
                (
                    "pause_on_objection",
                    models.BooleanField(
                        default=True,
                        help_text="Handling an objection during the public notice pauses the clocks.",
                        verbose_name="pause while handling an objection",
                    ),
                ),
                (
                    "objection_pause_max_days",
                    models.PositiveSmallIntegerField(
                        default=20,
                        help_text="At most this many working days of objection handling are not counted.",
                        verbose_name="objection pause limit (working days)",
                    ),
                ),
                (
                    "town_threshold",
                    models.DecimalField(
                        decimal_places=2,
                        default=Decimal("5000.00"),
                        help_text="Amounts above this are approved by the city bureau.",
                        max_digits=14,
                        validators=[django.core.validators.MinValueValidator(Decimal("0.00"))],
                        verbose_name="town approval threshold (yuan)",
                    ),
                ),
                (
                    "band_min",
                    models.DecimalField(
                        decimal_places=2,
                        default=Decimal("100.00"),
                        help_text="Smallest amount a case worker may propose.",
                        max_digits=14,
                        validators=[django.core.validators.MinValueValidator(Decimal("0.00"))],
                        verbose_name="band minimum (yuan)",
                    ),
                ),
                (
                    "band_max_multiple",
                    models.DecimalField(
                        decimal_places=2,
                        default=Decimal("6"),
                        help_text="The largest amount is this many times the month's dibao standard.",
                        max_digits=6,
                        validators=[django.core.validators.MinValueValidator(Decimal("0"))],
                        verbose_name="band maximum (multiple of the dibao standard)",
                    ),
                ),
                (
                    "max_instalments",
                    models.PositiveSmallIntegerField(
                        default=6,
                        help_text="Temporary assistance paid monthly for at most this many months.",
                        verbose_name="maximum monthly instalments",
                    ),
                ),
                (
                    "gradual_exit_months",
                    models.PositiveSmallIntegerField(
                        default=6,
                        help_text="Continued payment after employment lifts income above the standard.",
                        verbose_name="gradual exit (months)",
                    ),
                ),
                (
                    "recheck_months_stable",
                    models.PositiveSmallIntegerField(
                        default=12,
                        help_text="Yearly.",
                        verbose_name="re-check interval, stable households (months)",
                    ),
                ),
                (
                    "recheck_months_irregular",
                    models.PositiveSmallIntegerField(
                        default=6,
                        help_text="Households with irregular income and working-age members.",
                        verbose_name="re-check interval, irregular income (months)",
                    ),
                ),
                ("history_change_reason", models.TextField(null=True)),
                ("history_id", models.AutoField(primary_key=True, serialize=False)),
                ("history_date", models.DateTimeField(db_index=True)),
                (
                    "history_type",
                    models.CharField(
                        choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")], max_length=1
                    ),
                ),
                (
                    "history_user",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "scheme",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="cases.scheme",
                        verbose_name="scheme",
                    ),
                ),
            ],
            options={
                "verbose_name": "historical scheme rule",
                "verbose_name_plural": "historical scheme rules",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name="HistoricalAddOn",
            fields=[
                (
                    "id",
                    models.BigIntegerField(
                        auto_created=True, blank=True, db_index=True, verbose_name="ID"
                    ),
                ),
                ("ip", models.GenericIPAddressField(blank=True, null=True)),
                ("user_agent", models.CharField(blank=True, default="", max_length=255)),
                ("effective_from", models.DateField(verbose_name="effective from")),
                (
                    "effective_to",
                    models.DateField(
                        blank=True,
                        help_text="Last day the row holds (inclusive). Empty: until further notice.",
                        null=True,
                        verbose_name="effective to",
                    ),
                ),
                (
                    "is_demo",
                    models.BooleanField(
                        default=False,
                        help_text="A demonstration value, not an official figure; labelled so wherever shown.",
                        verbose_name="demo value",
                    ),
                ),
                (
                    "source",
                    models.CharField(
                        blank=True,
                        default="",
                        help_text="Where the rule comes from, e.g. 粤民规字〔2019〕9号, or “Demo value”.",
                        max_length=200,
                        verbose_name="source",
                    ),
                ),
                (
                    "category",
                    models.CharField(
                        choices=[
                            ("elderly", "Elderly"),
                            ("minor", "Minor"),
                            ("severe_disability", "Severe disability"),
                            ("serious_illness", "Serious illness"),
                        ],
                        max_length=20,
                        verbose_name="category",
                    ),
                ),
                (
                    "percent",
                    models.DecimalField(
                        decimal_places=2,
                        help_text="Each add-on is rounded to the fen on its own.",
                        max_digits=5,
                        validators=[django.core.validators.MinValueValidator(Decimal("0"))],
                        verbose_name="percent of the standard",
                    ),
                ),
                ("history_change_reason", models.TextField(null=True)),
                ("history_id", models.AutoField(primary_key=True, serialize=False)),
                ("history_date", models.DateTimeField(db_index=True)),
                (
                    "history_type",
                    models.CharField(
                        choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")], max_length=1
                    ),
                ),
                (
                    "history_user",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "scheme",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="cases.scheme",
                        verbose_name="scheme",
                    ),
                ),
            ],
            options={
                "verbose_name": "historical add-on",
                "verbose_name_plural": "historical add-ons",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name="IncomeTypeRule",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("effective_from", models.DateField(verbose_name="effective from")),
                (
                    "effective_to",
                    models.DateField(
                        blank=True,
                        help_text="Last day the row holds (inclusive). Empty: until further notice.",
                        null=True,
                        verbose_name="effective to",
                    ),
                ),
                (
                    "is_demo",
                    models.BooleanField(
                        default=False,
                        help_text="A demonstration value, not an official figure; labelled so wherever shown.",
                        verbose_name="demo value",
                    ),
                ),
                (
                    "source",
                    models.CharField(
                        blank=True,
                        default="",
                        help_text="Where the rule comes from, e.g. 粤民规字〔2019〕9号, or “Demo value”.",
                        max_length=200,
                        verbose_name="source",
                    ),
                ),
                ("counted", models.BooleanField(verbose_name="counted as income")),
                (
                    "income_type",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="rules",
                        to="cases.incometype",
                        verbose_name="income type",
                    ),
                ),
            ],
            options={
                "verbose_name": "income type rule",
                "verbose_name_plural": "income type rules",
                "ordering": ["income_type__code", "effective_from"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            ("effective_to__isnull", True),
                            ("effective_to__gte", models.F("effective_from")),
                            _connector="OR",
                        ),
                        name="incometyperule_effective_to_after_from",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="AddOn",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("effective_from", models.DateField(verbose_name="effective from")),
                (
                    "effective_to",
                    models.DateField(
                        blank=True,
                        help_text="Last day the row holds (inclusive). Empty: until further notice.",
                        null=True,
                        verbose_name="effective to",
                    ),
                ),
                (
                    "is_demo",
                    models.BooleanField(
                        default=False,
                        help_text="A demonstration value, not an official figure; labelled so wherever shown.",
                        verbose_name="demo value",
                    ),
                ),
                (
                    "source",
                    models.CharField(
                        blank=True,
                        default="",
                        help_text="Where the rule comes from, e.g. 粤民规字〔2019〕9号, or “Demo value”.",
                        max_length=200,
                        verbose_name="source",
                    ),
                ),
                (
                    "category",
                    models.CharField(
                        choices=[
                            ("elderly", "Elderly"),
                            ("minor", "Minor"),
                            ("severe_disability", "Severe disability"),
                            ("serious_illness", "Serious illness"),
                        ],
                        max_length=20,
                        verbose_name="category",
                    ),
                ),
                (
                    "percent",
                    models.DecimalField(
                        decimal_places=2,
                        help_text="Each add-on is rounded to the fen on its own.",
                        max_digits=5,
                        validators=[django.core.validators.MinValueValidator(Decimal("0"))],
                        verbose_name="percent of the standard",
                    ),
                ),
                (
                    "scheme",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="add_ons",
                        to="cases.scheme",
                        verbose_name="scheme",
                    ),
                ),
            ],
            options={
                "verbose_name": "add-on",
                "verbose_name_plural": "add-ons",
                "ordering": ["scheme__code", "category", "effective_from"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            ("effective_to__isnull", True),
                            ("effective_to__gte", models.F("effective_from")),
                            _connector="OR",
                        ),
                        name="addon_effective_to_after_from",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="SchemeRule",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("effective_from", models.DateField(verbose_name="effective from")),
                (
                    "effective_to",
                    models.DateField(
                        blank=True,
                        help_text="Last day the row holds (inclusive). Empty: until further notice.",
                        null=True,
                        verbose_name="effective to",
                    ),
                ),
                (
                    "is_demo",
                    models.BooleanField(
                        default=False,
                        help_text="A demonstration value, not an official figure; labelled so wherever shown.",
                        verbose_name="demo value",
                    ),
                ),
                (
                    "source",
                    models.CharField(
                        blank=True,
                        default="",
                        help_text="Where the rule comes from, e.g. 粤民规字〔2019〕9号, or “Demo value”.",
                        max_length=200,
                        verbose_name="source",
                    ),
                ),
                (
                    "financial_asset_months",
                    models.DecimalField(
                        decimal_places=2,
                        default=Decimal("24"),
                        help_text="Deposits, securities and savings-type insurance may total at most this many months of the standard per co-resident member (Guangdong: 24).",
                        max_digits=6,
                        validators=[django.core.validators.MinValueValidator(Decimal("0"))],
                        verbose_name="financial assets limit (months of the standard per person)",
                    ),
                ),
                (
                    "max_residential_units",
                    models.PositiveSmallIntegerField(
                        default=1,
                        help_text="Guangdong: at most one residential property.",
                        verbose_name="maximum residential properties",
                    ),
                ),
                (
                    "max_non_residential_units",
                    models.PositiveSmallIntegerField(
                        default=0,
                        help_text="Guangdong: no non-residential property.",
                        verbose_name="maximum non-residential properties",
                    ),
                ),
                (
                    "max_vehicles",
                    models.PositiveSmallIntegerField(
                        default=0,
                        help_text="Exempt vehicles (mobility vehicles, motorcycles, e-bikes) are not counted.",
                        verbose_name="maximum motor vehicles",
                    ),
                ),
                (
                    "max_businesses",
                    models.PositiveSmallIntegerField(
                        default=0,
                        help_text="Exempt registrations (cleared family shops) are not counted.",
                        verbose_name="maximum business registrations",
                    ),
                ),
                (
                    "floor_percent",
                    models.DecimalField(
                        blank=True,
                        decimal_places=2,
                        help_text="Minimum amount per covered member as a percent of the standard, for eligible households with a tiny gap. Empty: no floor (the default).",
                        max_digits=5,
                        null=True,
                        validators=[django.core.validators.MinValueValidator(Decimal("0"))],
                        verbose_name="floor (percent of the standard)",
                    ),
                ),
                (
                    "tekun_multiplier",
                    models.DecimalField(
                        decimal_places=2,
                        default=Decimal("1.30"),
                        help_text="Extreme poverty basic standard = this × the dibao standard (at least 1.3).",
                        max_digits=5,
                        validators=[django.core.validators.MinValueValidator(Decimal("0"))],
                        verbose_name="extreme poverty multiplier",
                    ),
                ),
                (
                    "elderly_age",
                    models.PositiveSmallIntegerField(
                        default=60,
                        help_text="A member of this age or older is elderly.",
                        verbose_name="elderly from age",
                    ),
                ),
                (
                    "minor_age",
                    models.PositiveSmallIntegerField(
                        default=18,
                        help_text="A member younger than this is a minor.",
                        verbose_name="minor below age",
                    ),
                ),
                (
                    "severe_disability_max_grade",
                    models.PositiveSmallIntegerField(
                        default=2,
                        help_text="Disability grades 1 up to this grade count as severe.",
                        verbose_name="severe disability up to grade",
                    ),
                ),
                (
                    "check_days",
                    models.PositiveSmallIntegerField(
                        default=2,
                        help_text="Data check before acceptance.",
                        verbose_name="data check (working days)",
                    ),
                ),
                (
                    "home_visit_days",
                    models.PositiveSmallIntegerField(
                        default=7,
                        help_text="Home visit and assessment after acceptance.",
                        verbose_name="home visit (working days)",
                    ),
                ),
                (
                    "opinion_days",
                    models.PositiveSmallIntegerField(
                        default=3,
                        help_text="Initial opinion after the home visit.",
                        verbose_name="initial opinion (working days)",
                    ),
                ),
                (
                    "decision_days",
                    models.PositiveSmallIntegerField(
                        default=3,
                        help_text="Decision after the public notice ends.",
                        verbose_name="decision (working days)",
                    ),
                ),
                (
                    "overall_days",
                    models.PositiveSmallIntegerField(
                        default=30,
                        help_text="Whole procedure from acceptance.",
                        verbose_name="overall limit (working days)",
                    ),
                ),
                (
                    "extended_overall_days",
                    models.PositiveSmallIntegerField(
                        default=45,
                        help_text="Whole procedure from acceptance with an approved extension.",
                        verbose_name="overall limit with extension (working days)",
                    ),
                ),
                (
                    "approval_days",
                    models.PositiveSmallIntegerField(
                        default=10,
                        help_text="Temporary assistance: from acceptance to approval.",
                        verbose_name="approval (working days)",
                    ),
                ),
                (
                    "disbursement_days",
                    models.PositiveSmallIntegerField(
                        default=5,
                        help_text="Temporary assistance: from approval to disbursement.",
                        verbose_name="disbursement (working days)",
                    ),
                ),
                (
                    "notice_calendar_days",
                    models.PositiveSmallIntegerField(
                        default=7,
                        help_text="Length of the public notice in calendar days.",
                        verbose_name="public notice (calendar days)",
                    ),
                ),
                (
                    "notice_counts_in_clock",
                    models.BooleanField(
                        default=False,
                        help_text="When off, the working days of the public notice do not count.",
                        verbose_name="public notice counts toward the clocks",
                    ),
                ),
                (
                    "pause_on_supplement",
                    models.BooleanField(
                        default=True,
                        help_text="Waiting for the applicant's supplementary documents pauses the clocks.",
                        verbose_name="pause while waiting for documents",
                    ),
                ),
                (
                    "pause_on_objection",
                    models.BooleanField(
                        default=True,
                        help_text="Handling an objection during the public notice pauses the clocks.",
                        verbose_name="pause while handling an objection",
                    ),
                ),
                (
                    "objection_pause_max_days",
                    models.PositiveSmallIntegerField(
                        default=20,
                        help_text="At most this many working days of objection handling are not counted.",
                        verbose_name="objection pause limit (working days)",
                    ),
                ),
                (
                    "town_threshold",
                    models.DecimalField(
                        decimal_places=2,
                        default=Decimal("5000.00"),
                        help_text="Amounts above this are approved by the city bureau.",
                        max_digits=14,
                        validators=[django.core.validators.MinValueValidator(Decimal("0.00"))],
                        verbose_name="town approval threshold (yuan)",
                    ),
                ),
                (
                    "band_min",
                    models.DecimalField(
                        decimal_places=2,
                        default=Decimal("100.00"),
                        help_text="Smallest amount a case worker may propose.",
                        max_digits=14,
                        validators=[django.core.validators.MinValueValidator(Decimal("0.00"))],
                        verbose_name="band minimum (yuan)",
                    ),
                ),
                (
                    "band_max_multiple",
                    models.DecimalField(
                        decimal_places=2,
                        default=Decimal("6"),
                        help_text="The largest amount is this many times the month's dibao standard.",
                        max_digits=6,
                        validators=[django.core.validators.MinValueValidator(Decimal("0"))],
                        verbose_name="band maximum (multiple of the dibao standard)",
                    ),
                ),
                (
                    "max_instalments",
                    models.PositiveSmallIntegerField(
                        default=6,
                        help_text="Temporary assistance paid monthly for at most this many months.",
                        verbose_name="maximum monthly instalments",
                    ),
                ),
                (
                    "gradual_exit_months",
                    models.PositiveSmallIntegerField(
                        default=6,
                        help_text="Continued payment after employment lifts income above the standard.",
                        verbose_name="gradual exit (months)",
                    ),
                ),
                (
                    "recheck_months_stable",
                    models.PositiveSmallIntegerField(
                        default=12,
                        help_text="Yearly.",
                        verbose_name="re-check interval, stable households (months)",
                    ),
                ),
                (
                    "recheck_months_irregular",
                    models.PositiveSmallIntegerField(
                        default=6,
                        help_text="Households with irregular income and working-age members.",
                        verbose_name="re-check interval, irregular income (months)",
                    ),
                ),
                (
                    "scheme",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="rules",
                        to="cases.scheme",
                        verbose_name="scheme",
                    ),
                ),
            ],
            options={
                "verbose_name": "scheme rule",
                "verbose_name_plural": "scheme rules",
                "ordering": ["scheme__code", "effective_from"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            ("effective_to__isnull", True),
                            ("effective_to__gte", models.F("effective_from")),
                            _connector="OR",
                        ),
                        name="schemerule_effective_to_after_from",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="Standard",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("effective_from", models.DateField(verbose_name="effective from")),
                (
                    "effective_to",
                    models.DateField(
                        blank=True,
                        help_text="Last day the row holds (inclusive). Empty: until further notice.",
                        null=True,
                        verbose_name="effective to",
                    ),
                ),
                (
                    "is_demo",
                    models.BooleanField(
                        default=False,
                        help_text="A demonstration value, not an official figure; labelled so wherever shown.",
                        verbose_name="demo value",
                    ),
                ),
                (
                    "source",
                    models.CharField(
                        blank=True,
                        default="",
                        help_text="Where the rule comes from, e.g. 粤民规字〔2019〕9号, or “Demo value”.",
                        max_length=200,
                        verbose_name="source",
                    ),
                ),
                (
                    "monthly_amount",
                    models.DecimalField(
                        decimal_places=2,
                        max_digits=14,
                        validators=[django.core.validators.MinValueValidator(Decimal("0.00"))],
                        verbose_name="monthly amount (yuan per person)",
                    ),
                ),
                (
                    "scheme",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="standards",
                        to="cases.scheme",
                        verbose_name="scheme",
                    ),
                ),
                (
                    "town",
                    models.ForeignKey(
                        blank=True,
                        help_text="Empty: city-wide. A town's row overrides the city-wide one for that town.",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="standards",
                        to="cases.town",
                        verbose_name="town",
                    ),
                ),
            ],
            options={
                "verbose_name": "standard",
                "verbose_name_plural": "standards",
                "ordering": ["scheme__code", "town__code", "effective_from"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            ("effective_to__isnull", True),
                            ("effective_to__gte", models.F("effective_from")),
                            _connector="OR",
                        ),
                        name="standard_effective_to_after_from",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("monthly_amount__gte", 0)),
                        name="standard_amount_not_negative",
                    ),
                ],
            },
        ),
        migrations.RunPython(load, migrations.RunPython.noop),
    ]
