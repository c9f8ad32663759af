"""Schemes and their dated rules: the migration's demo data, non-overlapping periods, the dated
income-type override, and the administrator's admin pages."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from cases.calculation import counted_income_types, income_type_counted, standard_for
from cases.models import AddOn, IncomeType, IncomeTypeRule, Scheme, SchemeRule, Standard
from tests.factories import (
    AddOnFactory,
    IncomeTypeRuleFactory,
    SchemeRuleFactory,
    StandardFactory,
    scheme,
    town,
)

pytestmark = pytest.mark.django_db


# --- demo data -------------------------------------------------------------------------------------


def test_migration_loads_the_four_schemes():
    assert list(Scheme.objects.values_list("code", "kind", "temporary_type")) == [
        ("dibao", "dibao", ""),
        ("tekun", "tekun", ""),
        ("temp_emergency", "temporary", "emergency"),
        ("temp_expenditure", "temporary", "expenditure"),
    ]
    assert str(scheme("dibao")) == "Minimum living allowance (dibao)"


def test_migration_loads_one_demo_rule_per_scheme_from_2023():
    rules = SchemeRule.objects.all()
    assert sorted(rules.values_list("scheme__code", flat=True)) == [
        "dibao",
        "tekun",
        "temp_emergency",
        "temp_expenditure",
    ]
    for rule in rules:
        assert (rule.effective_from, rule.effective_to) == (datetime.date(2023, 1, 1), None)
        assert rule.is_demo and rule.source == "Demo value"
    rule = rules.get(scheme__code="dibao")
    assert rule.financial_asset_months == Decimal("24")
    assert rule.floor_percent is None
    assert rule.tekun_multiplier == Decimal("1.30")
    assert (rule.approval_days, rule.disbursement_days) == (10, 5)
    assert rule.notice_counts_in_clock is False
    assert rule.town_threshold == Decimal("5000.00")


def test_migration_loads_the_demo_dibao_standards_and_add_ons():
    assert list(
        Standard.objects.values_list("monthly_amount", "effective_from", "effective_to", "town")
    ) == [
        (Decimal("1300.00"), datetime.date(2023, 1, 1), datetime.date(2025, 6, 30), None),
        (Decimal("1350.00"), datetime.date(2025, 7, 1), None, None),
    ]
    assert dict(AddOn.objects.values_list("category", "percent")) == {
        "elderly": Decimal("10.00"),
        "minor": Decimal("10.00"),
        "severe_disability": Decimal("20.00"),
        "serious_illness": Decimal("20.00"),
    }
    assert not Standard.objects.filter(is_demo=False).exists()
    assert not AddOn.objects.filter(is_demo=False).exists()


def test_migration_load_is_idempotent():
    import importlib

    from django.apps import apps

    importlib.import_module("cases.migrations.0004_schemes").load(apps, None)
    assert Scheme.objects.count() == 4
    assert SchemeRule.objects.count() == 4
    assert Standard.objects.count() == 2
    assert AddOn.objects.count() == 4


# --- non-overlapping periods -----------------------------------------------------------------------


def test_overlapping_standard_for_the_same_scheme_and_town_is_rejected():
    row = Standard(
        scheme=scheme("dibao"),
        town=None,
        monthly_amount=Decimal("1400.00"),
        effective_from=datetime.date(2025, 1, 1),
    )
    with pytest.raises(ValidationError) as error:
        row.full_clean()
    assert "effective_from" in error.value.message_dict
    assert "2023-01-01" in error.value.message_dict["effective_from"][0]


def test_a_standard_starting_the_day_after_the_last_one_ends_is_accepted():
    Standard.objects.filter(effective_to__isnull=True).update(
        effective_to=datetime.date(2025, 12, 31)
    )
    Standard(
        scheme=scheme("dibao"),
        monthly_amount=Decimal("1400.00"),
        effective_from=datetime.date(2026, 1, 1),
    ).full_clean()


def test_a_closed_period_inside_an_open_one_is_rejected():
    row = Standard(
        scheme=scheme("dibao"),
        monthly_amount=Decimal("1400.00"),
        effective_from=datetime.date(2030, 1, 1),
        effective_to=datetime.date(2030, 12, 31),
    )
    with pytest.raises(ValidationError) as error:
        row.full_clean()
    assert "effective_from" in error.value.message_dict


def test_a_closed_period_before_every_row_is_accepted():
    Standard(
        scheme=scheme("dibao"),
        monthly_amount=Decimal("1200.00"),
        effective_from=datetime.date(2022, 1, 1),
        effective_to=datetime.date(2022, 12, 31),
    ).full_clean()


def test_an_open_period_starting_before_an_existing_row_is_rejected():
    row = Standard(
        scheme=scheme("dibao"),
        monthly_amount=Decimal("1200.00"),
        effective_from=datetime.date(2022, 1, 1),
    )
    with pytest.raises(ValidationError):
        row.full_clean()


def test_a_town_standard_does_not_overlap_the_city_wide_one_but_two_town_rows_do():
    StandardFactory(town=town("chashan")).full_clean()
    StandardFactory(town=town("dalang")).full_clean()
    with pytest.raises(ValidationError) as error:
        Standard(
            scheme=scheme("dibao"),
            town=town("chashan"),
            monthly_amount=Decimal("1500.00"),
            effective_from=datetime.date(2024, 1, 1),
        ).full_clean()
    assert "effective_from" in error.value.message_dict


def test_saving_a_row_again_does_not_overlap_itself():
    row = Standard.objects.get(effective_to__isnull=True)
    row.monthly_amount = Decimal("1360.00")
    row.full_clean()


def test_end_before_start_is_rejected():
    row = Standard(
        scheme=scheme("dibao"),
        monthly_amount=Decimal("1.00"),
        effective_from=datetime.date(2020, 2, 1),
        effective_to=datetime.date(2020, 1, 31),
    )
    with pytest.raises(ValidationError) as error:
        row.full_clean()
    assert "effective_to" in error.value.message_dict


def test_overlapping_scheme_rule_is_rejected_and_another_scheme_is_not_affected():
    with pytest.raises(ValidationError) as error:
        SchemeRule(scheme=scheme("dibao"), effective_from=datetime.date(2024, 1, 1)).full_clean()
    assert "effective_from" in error.value.message_dict
    SchemeRule.objects.filter(scheme__code="tekun").update(effective_to=datetime.date(2023, 12, 31))
    SchemeRule(scheme=scheme("tekun"), effective_from=datetime.date(2024, 1, 1)).full_clean()


def test_overlapping_add_on_of_the_same_category_is_rejected_other_categories_are_not():
    row = AddOn(
        scheme=scheme("dibao"),
        category=AddOn.Category.ELDERLY,
        percent=Decimal("15.00"),
        effective_from=datetime.date(2024, 1, 1),
    )
    with pytest.raises(ValidationError) as error:
        row.full_clean()
    assert "effective_from" in error.value.message_dict
    AddOn(
        scheme=scheme("tekun"),
        category=AddOn.Category.ELDERLY,
        percent=Decimal("15.00"),
        effective_from=datetime.date(2024, 1, 1),
    ).full_clean()


def test_overlapping_income_type_rule_is_rejected():
    IncomeTypeRuleFactory(effective_from=datetime.date(2024, 1, 1))
    wage = IncomeType.objects.get(code="wage")
    with pytest.raises(ValidationError) as error:
        IncomeTypeRule(
            income_type=wage, counted=True, effective_from=datetime.date(2025, 1, 1)
        ).full_clean()
    assert "effective_from" in error.value.message_dict
    IncomeTypeRule(
        income_type=IncomeType.objects.get(code="award"),
        counted=True,
        effective_from=datetime.date(2025, 1, 1),
    ).full_clean()


def test_temporary_scheme_needs_a_temporary_type_and_others_have_none():
    with pytest.raises(ValidationError) as error:
        Scheme(code="temp_x", name="X", kind=Scheme.Kind.TEMPORARY).full_clean()
    assert "temporary_type" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        Scheme(
            code="dibao_x",
            name="X",
            kind=Scheme.Kind.DIBAO,
            temporary_type=Scheme.TemporaryType.EMERGENCY,
        ).full_clean()
    assert "temporary_type" in error.value.message_dict


def test_rows_keep_history():
    rule = SchemeRule.objects.get(scheme__code="dibao")
    rule.max_vehicles = 1
    rule._change_reason = "Test"
    rule.save()
    change = rule.history.get()
    assert (change.max_vehicles, change.history_change_reason) == (1, "Test")


# --- income-type rules -----------------------------------------------------------------------------


def test_income_type_counted_defaults_to_the_income_type_table():
    on = datetime.date(2024, 3, 1)
    assert income_type_counted(income_type=IncomeType.objects.get(code="wage"), on=on)
    assert not income_type_counted(income_type=IncomeType.objects.get(code="scholarship"), on=on)


def test_income_type_rule_overrides_only_within_its_period():
    wage = IncomeType.objects.get(code="wage")
    IncomeTypeRuleFactory(
        income_type=wage,
        counted=False,
        effective_from=datetime.date(2024, 6, 1),
        effective_to=datetime.date(2024, 12, 31),
    )
    assert income_type_counted(income_type=wage, on=datetime.date(2024, 5, 31))
    assert not income_type_counted(income_type=wage, on=datetime.date(2024, 6, 1))
    assert not income_type_counted(income_type=wage, on=datetime.date(2024, 12, 31))
    assert income_type_counted(income_type=wage, on=datetime.date(2025, 1, 1))


def test_counted_income_types_answers_for_every_type():
    answer = counted_income_types(on=datetime.date(2024, 3, 1))
    assert len(answer) == IncomeType.objects.count()
    assert answer[IncomeType.objects.get(code="youfu").pk] is False


# --- scheme rows used by the calculation -----------------------------------------------------------


def test_a_new_rule_row_takes_over_from_its_date():
    SchemeRule.objects.filter(scheme__code="dibao").update(effective_to=datetime.date(2024, 12, 31))
    SchemeRuleFactory(effective_from=datetime.date(2025, 1, 1), max_vehicles=1)
    from cases.calculation import scheme_rule

    assert scheme_rule(scheme="dibao", on=datetime.date(2024, 12, 31)).max_vehicles == 0
    assert scheme_rule(scheme="dibao", on=datetime.date(2025, 1, 1)).max_vehicles == 1


def test_tekun_and_temporary_schemes_use_the_dibao_standard():
    on = datetime.date(2024, 3, 1)
    for code in ("tekun", "temp_emergency"):
        assert standard_for(scheme=code, town=town("chashan"), on=on).scheme.code == "dibao"


def test_add_on_factory_rows_can_follow_an_ended_row():
    AddOn.objects.filter(category=AddOn.Category.MINOR).update(
        effective_to=datetime.date(2024, 12, 31)
    )
    AddOnFactory(
        category=AddOn.Category.MINOR, effective_from=datetime.date(2025, 1, 1)
    ).full_clean()


# --- admin -----------------------------------------------------------------------------------------

ADMIN_MODELS = ["scheme", "schemerule", "standard", "addon", "incometyperule"]


@pytest.mark.parametrize("model", ADMIN_MODELS)
def test_administrator_can_list_and_add_every_rule_table(client, administrator, model):
    client.force_login(administrator)
    assert client.get(reverse(f"admin:cases_{model}_changelist")).status_code == 200
    assert client.get(reverse(f"admin:cases_{model}_add")).status_code == 200


def test_admin_lists_show_the_demo_flag(client, administrator):
    client.force_login(administrator)
    response = client.get(reverse("admin:cases_standard_changelist"))
    assert "column-is_demo" in response.content.decode()


def test_admin_rejects_an_overlapping_standard(client, administrator):
    client.force_login(administrator)
    response = client.post(
        reverse("admin:cases_standard_add"),
        {
            "scheme": scheme("dibao").pk,
            "town": "",
            "monthly_amount": "1400.00",
            "effective_from": "2024-01-01",
            "effective_to": "",
            "source": "Test",
        },
    )
    assert response.status_code == 200
    assert "overlaps another row" in response.content.decode()
    assert Standard.objects.count() == 2


def test_admin_adds_a_standard_that_follows_the_last_one(client, administrator):
    Standard.objects.filter(effective_to__isnull=True).update(
        effective_to=datetime.date(2025, 12, 31)
    )
    client.force_login(administrator)
    response = client.post(
        reverse("admin:cases_standard_add"),
        {
            "scheme": scheme("dibao").pk,
            "town": "",
            "monthly_amount": "1400.00",
            "effective_from": "2026-01-01",
            "effective_to": "",
            "source": "Test",
        },
    )
    assert response.status_code == 302
    assert Standard.objects.get(effective_from=datetime.date(2026, 1, 1)).history.first()


def test_case_worker_cannot_reach_the_rule_admin(client, worker_chashan):
    client.force_login(worker_chashan)
    response = client.get(reverse("admin:cases_standard_changelist"))
    assert response.status_code == 302  # to the admin login


# --- transactional tests get the demo data back ----------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_transactional_test_sees_the_schemes():
    assert Scheme.objects.count() == 4


@pytest.mark.django_db(transaction=True)
def test_transactional_test_after_a_flush_sees_the_schemes_again():
    # The previous transactional test's flush removed them; conftest's _reference_data restores.
    assert Scheme.objects.count() == 4
    assert Standard.objects.count() == 2
    assert AddOn.objects.count() == 4
    assert SchemeRule.objects.count() == 4
