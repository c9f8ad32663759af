"""The one benefit calculation (cases/calculation.py, DOMAIN.md §5), to the fen.

The migration's demo data: dibao standard 1300.00 city-wide until 2025-06-30, 1350.00 from
2025-07-01; add-ons elderly 10 %, minor 10 %, severe disability 20 %, serious illness 20 %.
Factory members are born in 1970: no add-on category applies to them.
"""

import datetime
import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string

from cases.calculation import (
    CheckCode,
    calculate,
    calculation_rows,
    check_proposed_amount,
    scheme_rule,
    standard_for,
    temporary_band,
)
from cases.models import AddOn, Asset, IncomeType, Membership, Person, SchemeRule, Standard
from tests.factories import (
    AddOnFactory,
    AssetFactory,
    HouseholdFactory,
    IncomeLineFactory,
    IncomeTypeRuleFactory,
    MembershipFactory,
    StandardFactory,
    household_with_members,
    person_born,
    scheme,
    town,
)

pytestmark = pytest.mark.django_db

MARCH_2024 = datetime.date(2024, 3, 1)


def household(size=3, town_slug="chashan", income=None, **kwargs):
    h = household_with_members(town_slug, size=size)
    if income is not None:
        IncomeLineFactory(household=h, monthly_amount=Decimal(income), **kwargs)
    return h


def check(calculation, code):
    return next(c for c in calculation.checks if c.code == code)


def add_member(h, person, relation=Membership.Relation.CHILD, joined_on=datetime.date(2020, 1, 1)):
    MembershipFactory(household=h, person=person, relation=relation, joined_on=joined_on)
    return person


# --- the DOMAIN.md example ------------------------------------------------------------------------


def test_domain_example_income_3000_three_members_gives_900():
    result = calculate(household=household(income="3000.00"), scheme="dibao", month=MARCH_2024)
    assert result.standard == Decimal("1300.00")
    assert result.income == Decimal("3000.00")
    assert result.members == result.covered == 3
    assert result.per_capita == Decimal("1000")
    assert result.base == Decimal("900.00")
    assert result.total == Decimal("900.00")
    assert result.eligible


def test_domain_example_income_2999_99_gives_900_01_from_the_unrounded_per_capita():
    result = calculate(household=household(income="2999.99"), scheme="dibao", month=MARCH_2024)
    # Rounding per_capita to the fen first (999.00 or 1000.00) would give 903.00 or 900.00.
    assert result.per_capita.quantize(Decimal("0.000001")) == Decimal("999.996667")
    assert result.base == Decimal("900.01")
    assert result.total == Decimal("900.01")


def test_counted_income_sums_every_valid_line():
    h = household(income="1000.00")
    IncomeLineFactory(household=h, monthly_amount=Decimal("1999.99"))
    assert calculate(household=h, scheme="dibao", month=MARCH_2024).total == Decimal("900.01")


def test_income_lines_not_valid_on_as_of_are_not_counted():
    h = household(income="3000.00")
    IncomeLineFactory(
        household=h, valid_from=datetime.date(2023, 1, 1), valid_to=datetime.date(2024, 2, 29)
    )
    IncomeLineFactory(household=h, valid_from=datetime.date(2024, 3, 2))
    assert calculate(household=h, scheme="dibao", month=MARCH_2024).income == Decimal("3000.00")


def test_an_income_line_ending_on_as_of_still_counts():
    h = household()
    IncomeLineFactory(household=h, monthly_amount=Decimal("300.00"), valid_to=MARCH_2024)
    assert calculate(household=h, scheme="dibao", month=MARCH_2024).income == Decimal("300.00")


def test_no_income_gives_the_full_standard_per_covered_member():
    result = calculate(household=household(), scheme="dibao", month=MARCH_2024)
    assert result.total == Decimal("3900.00")


# --- eligibility on income ------------------------------------------------------------------------


def test_per_capita_equal_to_the_standard_is_ineligible_and_nothing_is_due():
    result = calculate(household=household(income="3900.00"), scheme="dibao", month=MARCH_2024)
    assert not check(result, CheckCode.INCOME_BELOW_STANDARD).passed
    assert not result.eligible
    assert result.base == Decimal("0.00")
    assert result.total == Decimal("0.00")


def test_per_capita_one_fen_below_the_standard_is_eligible():
    result = calculate(household=household(income="3899.99"), scheme="dibao", month=MARCH_2024)
    assert result.eligible
    assert result.total == Decimal("0.01")


def test_per_capita_above_the_standard_gives_zero_not_a_negative_amount():
    result = calculate(household=household(income="5000.00"), scheme="dibao", month=MARCH_2024)
    assert result.base == Decimal("0.00")
    assert result.total == Decimal("0.00")


# --- members ---------------------------------------------------------------------------------------


def test_a_member_who_left_before_as_of_is_not_counted_nor_their_income():
    h = household(size=3, income="2000.00")
    leaver = h.memberships.order_by("id").last()
    leaver.left_on = datetime.date(2024, 2, 15)
    leaver.leave_reason = Membership.LeaveReason.MOVED_OUT
    leaver.save()
    IncomeLineFactory(household=h, person=leaver.person, monthly_amount=Decimal("900.00"))
    result = calculate(household=h, scheme="dibao", month=MARCH_2024)
    assert result.members == 2
    assert result.income == Decimal("2000.00")
    assert result.total == Decimal("600.00")  # (1300 − 1000) × 2


def test_a_member_leaving_on_as_of_is_no_longer_counted():
    h = household(size=2)
    leaver = h.memberships.order_by("id").last()
    leaver.left_on = MARCH_2024
    leaver.leave_reason = Membership.LeaveReason.DEATH
    leaver.save()
    assert calculate(household=h, scheme="dibao", month=MARCH_2024).members == 1
    as_of_day_before = calculate(
        household=h, scheme="dibao", month=MARCH_2024, as_of=datetime.date(2024, 2, 29)
    )
    assert as_of_day_before.members == 2


def test_a_member_joining_after_as_of_is_not_counted_yet():
    h = household(size=2)
    add_member(h, person_born(datetime.date(1985, 5, 5)), joined_on=datetime.date(2024, 3, 2))
    assert calculate(household=h, scheme="dibao", month=MARCH_2024).members == 2


def test_a_household_without_members_fails_the_has_members_check():
    result = calculate(household=HouseholdFactory(), scheme="dibao", month=MARCH_2024)
    assert not check(result, CheckCode.HAS_MEMBERS).passed
    assert result.members == 0
    assert result.per_capita is None
    assert not result.eligible
    assert result.total == Decimal("0.00")


def test_covered_subset_multiplies_the_gap_by_the_covered_members_only():
    h = household(income="3000.00")
    ids = list(h.memberships.values_list("person_id", flat=True))
    result = calculate(household=h, scheme="dibao", month=MARCH_2024, covered_person_ids=ids[:2])
    assert result.members == 3
    assert result.covered == 2
    assert result.per_capita == Decimal("1000")
    assert result.total == Decimal("600.00")


def test_covered_subset_rounds_the_exact_shortfall_half_up():
    # (1300 − 3000.01 ÷ 3) × 1 = 299.996666… → 300.00
    h = household(income="3000.01")
    first = h.memberships.order_by("id").first().person_id
    result = calculate(household=h, scheme="dibao", month=MARCH_2024, covered_person_ids=[first])
    assert result.base == Decimal("300.00")


def test_covered_person_outside_the_household_is_rejected():
    h = household()
    stranger = household_with_members(size=1).memberships.get().person_id
    with pytest.raises(ValidationError) as error:
        calculate(household=h, scheme="dibao", month=MARCH_2024, covered_person_ids=[stranger])
    assert "covered_person_ids" in error.value.message_dict


def test_covered_person_who_left_is_rejected():
    h = household(size=2)
    leaver = h.memberships.order_by("id").last()
    leaver.left_on = datetime.date(2024, 1, 1)
    leaver.leave_reason = Membership.LeaveReason.MOVED_OUT
    leaver.save()
    with pytest.raises(ValidationError) as error:
        calculate(
            household=h, scheme="dibao", month=MARCH_2024, covered_person_ids=[leaver.person_id]
        )
    assert "covered_person_ids" in error.value.message_dict


def test_an_empty_covered_list_is_rejected():
    with pytest.raises(ValidationError) as error:
        calculate(household=household(), scheme="dibao", month=MARCH_2024, covered_person_ids=[])
    assert "covered_person_ids" in error.value.message_dict


def test_month_must_be_a_first_of_month():
    with pytest.raises(ValidationError) as error:
        calculate(household=household(), scheme="dibao", month=datetime.date(2024, 3, 15))
    assert "month" in error.value.message_dict


# --- add-ons ---------------------------------------------------------------------------------------


def test_elderly_member_gets_the_elderly_add_on():
    h = household(size=1, income="1000.00")
    elder = add_member(h, person_born(datetime.date(1964, 3, 1)), Membership.Relation.PARENT)
    result = calculate(household=h, scheme="dibao", month=MARCH_2024)  # 60 on 2024-03-01
    assert [(a.person_id, a.category, a.amount) for a in result.add_ons] == [
        (elder.pk, AddOn.Category.ELDERLY, Decimal("130.00"))
    ]
    assert result.base == Decimal("1600.00")  # (1300 − 500) × 2
    assert result.total == Decimal("1730.00")


def test_a_member_one_day_short_of_the_elderly_age_gets_no_add_on():
    h = household(size=1)
    add_member(h, person_born(datetime.date(1964, 3, 2)), Membership.Relation.PARENT)
    assert calculate(household=h, scheme="dibao", month=MARCH_2024).add_ons == []


def test_minor_gets_the_minor_add_on_until_the_eighteenth_birthday():
    h = household(size=1)
    child = add_member(h, person_born(datetime.date(2006, 3, 2)))
    adult = add_member(h, person_born(datetime.date(2006, 3, 1)), Membership.Relation.SIBLING)
    result = calculate(household=h, scheme="dibao", month=MARCH_2024)
    assert [(a.person_id, a.category) for a in result.add_ons] == [(child.pk, AddOn.Category.MINOR)]
    assert adult.pk not in [a.person_id for a in result.add_ons]


@pytest.mark.parametrize(
    ("grade", "has_add_on"),
    [
        (Person.Disability.GRADE_1, True),
        (Person.Disability.GRADE_2, True),
        (Person.Disability.GRADE_3, False),
        (Person.Disability.NONE, False),
    ],
)
def test_severe_disability_add_on_for_grades_1_and_2_only(grade, has_add_on):
    h = household(size=1)
    add_member(h, person_born(datetime.date(1980, 6, 1), disability_grade=grade))
    result = calculate(household=h, scheme="dibao", month=MARCH_2024)
    expected = [(AddOn.Category.SEVERE_DISABILITY, Decimal("260.00"))] if has_add_on else []
    assert [(a.category, a.amount) for a in result.add_ons] == expected


def test_serious_illness_add_on():
    h = household(size=1)
    add_member(h, person_born(datetime.date(1980, 6, 1), serious_illness=True))
    result = calculate(household=h, scheme="dibao", month=MARCH_2024)
    assert [(a.category, a.percent, a.amount) for a in result.add_ons] == [
        (AddOn.Category.SERIOUS_ILLNESS, Decimal("20.00"), Decimal("260.00"))
    ]
    assert result.total == Decimal("2600.00") + Decimal("260.00")


def test_a_member_in_several_categories_gets_each_add_on():
    h = household(size=1)
    elder = add_member(
        h,
        person_born(datetime.date(1950, 1, 1), disability_grade=1, serious_illness=True),
        Membership.Relation.PARENT,
    )
    result = calculate(household=h, scheme="dibao", month=MARCH_2024)
    assert [(a.person_id, a.category, a.amount) for a in result.add_ons] == [
        (elder.pk, AddOn.Category.ELDERLY, Decimal("130.00")),
        (elder.pk, AddOn.Category.SEVERE_DISABILITY, Decimal("260.00")),
        (elder.pk, AddOn.Category.SERIOUS_ILLNESS, Decimal("260.00")),
    ]
    assert result.total == Decimal("2600.00") + Decimal("650.00")


def test_each_add_on_is_rounded_half_up_on_its_own():
    # A town standard of 1001.00 and a 0.50 % add-on give 5.005 per member: 5.01 each, so two
    # members get 10.02 (rounding the sum 10.01 once would lose a fen).
    StandardFactory(town=town("chashan"), monthly_amount=Decimal("1001.00"))
    AddOn.objects.filter(category=AddOn.Category.MINOR).update(percent=Decimal("0.50"))
    h = household(size=1)
    add_member(h, person_born(datetime.date(2015, 1, 1)))
    add_member(h, person_born(datetime.date(2016, 1, 1)))
    result = calculate(household=h, scheme="dibao", month=MARCH_2024)
    assert [a.amount for a in result.add_ons] == [Decimal("5.01"), Decimal("5.01")]
    assert result.total == Decimal("3003.00") + Decimal("10.02")


def test_add_ons_only_for_covered_members():
    h = household(size=1)
    head = h.memberships.get().person_id
    add_member(h, person_born(datetime.date(1950, 1, 1)), Membership.Relation.PARENT)
    result = calculate(household=h, scheme="dibao", month=MARCH_2024, covered_person_ids=[head])
    assert result.add_ons == []


def test_no_add_ons_when_the_household_is_ineligible():
    h = household(size=1, income="5000.00")
    add_member(h, person_born(datetime.date(1950, 1, 1)), Membership.Relation.PARENT)
    result = calculate(household=h, scheme="dibao", month=MARCH_2024)
    assert len(result.add_ons) == 1  # shown in the explanation
    assert result.total == Decimal("0.00")


def test_an_add_on_row_not_yet_in_force_is_not_applied():
    AddOn.objects.filter(category=AddOn.Category.ELDERLY).update(
        effective_to=datetime.date(2024, 3, 31)
    )
    AddOnFactory(
        category=AddOn.Category.ELDERLY,
        percent=Decimal("15.00"),
        effective_from=datetime.date(2024, 4, 1),
    )
    h = household(size=1)
    add_member(h, person_born(datetime.date(1950, 1, 1)), Membership.Relation.PARENT)
    march = calculate(household=h, scheme="dibao", month=MARCH_2024)
    april = calculate(household=h, scheme="dibao", month=datetime.date(2024, 4, 1))
    assert [a.amount for a in march.add_ons] == [Decimal("130.00")]
    assert [a.amount for a in april.add_ons] == [Decimal("195.00")]


# --- income types ----------------------------------------------------------------------------------


def test_excluded_income_type_is_not_counted():
    h = household(income="3000.00")
    IncomeLineFactory(
        household=h,
        income_type=IncomeType.objects.get(code="scholarship"),
        monthly_amount=Decimal("500.00"),
    )
    result = calculate(household=h, scheme="dibao", month=MARCH_2024)
    assert result.income == Decimal("3000.00")
    assert result.excluded_income == Decimal("500.00")
    assert result.total == Decimal("900.00")


def test_income_type_rule_excludes_a_type_from_its_date():
    h = household(income="3000.00")
    IncomeTypeRuleFactory(
        income_type=IncomeType.objects.get(code="wage"),
        counted=False,
        effective_from=datetime.date(2024, 6, 1),
        source="Test notice",
    )
    may = calculate(household=h, scheme="dibao", month=datetime.date(2024, 5, 1))
    june = calculate(household=h, scheme="dibao", month=datetime.date(2024, 6, 1))
    assert may.income == Decimal("3000.00")
    assert june.income == Decimal("0.00")
    assert june.total == Decimal("3900.00")
    assert "income_type_rule" in [s.kind for s in june.sources]
    assert "income_type_rule" not in [s.kind for s in may.sources]


def test_income_type_rule_can_count_a_type_that_is_excluded_by_default():
    h = household()
    IncomeLineFactory(
        household=h,
        income_type=IncomeType.objects.get(code="award"),
        monthly_amount=Decimal("300.00"),
    )
    IncomeTypeRuleFactory(
        income_type=IncomeType.objects.get(code="award"),
        counted=True,
        effective_from=datetime.date(2024, 1, 1),
        effective_to=datetime.date(2024, 3, 31),
    )
    assert calculate(household=h, scheme="dibao", month=MARCH_2024).income == Decimal("300.00")
    april = calculate(household=h, scheme="dibao", month=datetime.date(2024, 4, 1))
    assert april.income == Decimal("0.00")


# --- standards -------------------------------------------------------------------------------------


def test_standard_change_mid_year_june_and_july_2025_differ():
    h = household(income="3000.00")
    june = calculate(household=h, scheme="dibao", month=datetime.date(2025, 6, 1))
    july = calculate(household=h, scheme="dibao", month=datetime.date(2025, 7, 1))
    assert (june.standard, june.total) == (Decimal("1300.00"), Decimal("900.00"))
    assert (july.standard, july.total) == (Decimal("1350.00"), Decimal("1050.00"))


def test_as_of_chooses_the_rules_and_evidence_date_within_the_month():
    h = household(income="3000.00")
    late = calculate(
        household=h,
        scheme="dibao",
        month=datetime.date(2025, 6, 1),
        as_of=datetime.date(2025, 7, 1),
    )
    assert late.month == datetime.date(2025, 6, 1)
    assert late.as_of == datetime.date(2025, 7, 1)
    assert late.standard == Decimal("1350.00")


def test_town_standard_overrides_the_city_wide_one():
    StandardFactory(town=town("chashan"), monthly_amount=Decimal("1400.00"), source="Town notice")
    chashan = calculate(household=household(income="3000.00"), scheme="dibao", month=MARCH_2024)
    dalang = calculate(
        household=household(town_slug="dalang", income="3000.00"), scheme="dibao", month=MARCH_2024
    )
    assert (chashan.standard, chashan.total) == (Decimal("1400.00"), Decimal("1200.00"))
    assert chashan.standard_town_specific
    assert (dalang.standard, dalang.total) == (Decimal("1300.00"), Decimal("900.00"))
    assert not dalang.standard_town_specific


def test_standard_for_falls_back_to_city_wide_outside_the_town_rows_period():
    StandardFactory(
        town=town("chashan"),
        monthly_amount=Decimal("1400.00"),
        effective_from=datetime.date(2024, 1, 1),
        effective_to=datetime.date(2024, 12, 31),
    )
    assert standard_for(
        scheme=scheme("dibao"), town=town("chashan"), on=datetime.date(2024, 12, 31)
    ).monthly_amount == Decimal("1400.00")
    assert standard_for(
        scheme=scheme("dibao"), town=town("chashan"), on=datetime.date(2025, 1, 1)
    ).monthly_amount == Decimal("1300.00")


def test_no_standard_for_the_date_is_a_validation_error():
    Standard.objects.all().delete()
    with pytest.raises(ValidationError) as error:
        calculate(household=household(), scheme="dibao", month=MARCH_2024)
    assert "scheme" in error.value.message_dict
    assert "2024-03-01" in error.value.message_dict["scheme"][0]


def test_no_rule_for_the_date_is_a_validation_error_naming_scheme_and_date():
    with pytest.raises(ValidationError) as error:
        calculate(household=household(), scheme="dibao", month=datetime.date(2022, 12, 1))
    message = error.value.message_dict["scheme"][0]
    assert "2022-12-01" in message
    assert "dibao" in message
    with pytest.raises(ValidationError):
        scheme_rule(scheme="tekun", on=datetime.date(2022, 12, 31))


def test_unknown_scheme_code_is_a_validation_error():
    with pytest.raises(ValidationError) as error:
        calculate(household=household(), scheme="nope", month=MARCH_2024)
    assert "scheme" in error.value.message_dict


# --- asset tests (粤民规字〔2019〕9号) ---------------------------------------------------------------


def test_financial_assets_exactly_at_the_limit_pass():
    h = household()
    AssetFactory(household=h, kind=Asset.Kind.DEPOSIT, value=Decimal("50000.00"))
    AssetFactory(household=h, kind=Asset.Kind.SECURITIES, value=Decimal("40000.00"))
    AssetFactory(household=h, kind=Asset.Kind.INSURANCE, value=Decimal("3600.00"))
    result = calculate(household=h, scheme="dibao", month=MARCH_2024)
    financial = check(result, CheckCode.FINANCIAL_ASSETS)
    assert financial.figures["limit"] == Decimal("93600.00")  # 24 × 1300 × 3
    assert financial.figures["financial_assets"] == Decimal("93600.00")
    assert financial.passed
    assert result.total == Decimal("3900.00")


def test_financial_assets_one_fen_over_the_limit_fail():
    h = household()
    AssetFactory(household=h, kind=Asset.Kind.DEPOSIT, value=Decimal("93600.01"))
    result = calculate(household=h, scheme="dibao", month=MARCH_2024)
    assert not check(result, CheckCode.FINANCIAL_ASSETS).passed
    assert not result.eligible
    assert result.total == Decimal("0.00")


def test_exempt_and_expired_financial_assets_are_ignored():
    h = household()
    AssetFactory(household=h, value=Decimal("93600.00"))
    AssetFactory(household=h, value=Decimal("50000.00"), exempt=True)
    AssetFactory(household=h, value=Decimal("50000.00"), valid_to=datetime.date(2024, 2, 29))
    assert check(
        calculate(household=h, scheme="dibao", month=MARCH_2024), CheckCode.FINANCIAL_ASSETS
    ).passed


@pytest.mark.parametrize(
    ("kind", "allowed", "code"),
    [
        (Asset.Kind.RESIDENTIAL, 1, CheckCode.RESIDENTIAL),
        (Asset.Kind.NON_RESIDENTIAL, 0, CheckCode.NON_RESIDENTIAL),
        (Asset.Kind.VEHICLE, 0, CheckCode.VEHICLES),
        (Asset.Kind.BUSINESS, 0, CheckCode.BUSINESSES),
    ],
)
def test_countable_assets_up_to_the_maximum_pass_and_one_more_fails(kind, allowed, code):
    h = household()
    if allowed:
        AssetFactory(household=h, kind=kind, value=Decimal("0.00"), units=allowed)
    AssetFactory(household=h, kind=kind, value=Decimal("0.00"), exempt=True)
    assert check(calculate(household=h, scheme="dibao", month=MARCH_2024), code).passed
    AssetFactory(household=h, kind=kind, value=Decimal("0.00"))
    result = calculate(household=h, scheme="dibao", month=MARCH_2024)
    assert not check(result, code).passed
    assert check(result, code).figures == {"units": allowed + 1, "maximum": allowed}
    assert result.total == Decimal("0.00")


def test_asset_limits_follow_the_scheme_rule():
    SchemeRule.objects.filter(scheme__code="dibao").update(max_vehicles=1)
    h = household()
    AssetFactory(household=h, kind=Asset.Kind.VEHICLE, value=Decimal("0.00"))
    assert calculate(household=h, scheme="dibao", month=MARCH_2024).eligible


# --- floor ------------------------------------------------------------------------------------------


def test_floor_is_off_by_default():
    result = calculate(household=household(income="3870.00"), scheme="dibao", month=MARCH_2024)
    assert result.base == Decimal("30.00")
    assert result.floor_amount is None
    assert not result.floor_applied


def test_floor_raises_a_tiny_gap_to_the_floor_percent_of_the_standard():
    SchemeRule.objects.filter(scheme__code="dibao").update(floor_percent=Decimal("20.00"))
    result = calculate(household=household(income="3870.00"), scheme="dibao", month=MARCH_2024)
    assert result.floor_amount == Decimal("780.00")  # 1300 × 20 % × 3
    assert result.floor_applied
    assert result.base == result.total == Decimal("780.00")


def test_floor_does_not_lower_a_larger_base():
    SchemeRule.objects.filter(scheme__code="dibao").update(floor_percent=Decimal("20.00"))
    result = calculate(household=household(income="3000.00"), scheme="dibao", month=MARCH_2024)
    assert not result.floor_applied
    assert result.total == Decimal("900.00")


def test_floor_does_not_apply_to_an_ineligible_household():
    SchemeRule.objects.filter(scheme__code="dibao").update(floor_percent=Decimal("20.00"))
    result = calculate(household=household(income="3900.00"), scheme="dibao", month=MARCH_2024)
    assert not result.floor_applied
    assert result.total == Decimal("0.00")


# --- tekun -----------------------------------------------------------------------------------------


def test_tekun_pays_1_3_times_the_dibao_standard_per_covered_member():
    result = calculate(household=household(size=2), scheme="tekun", month=MARCH_2024)
    assert result.standard == Decimal("1300.00")
    assert result.basic_standard == Decimal("1690.00")
    assert result.total == Decimal("3380.00")
    assert result.add_ons == []


def test_tekun_basic_standard_is_rounded_half_up():
    StandardFactory(town=town("chashan"), monthly_amount=Decimal("1000.05"))
    SchemeRule.objects.filter(scheme__code="tekun").update(tekun_multiplier=Decimal("1.30"))
    result = calculate(household=household(size=1), scheme="tekun", month=MARCH_2024)
    assert result.basic_standard == Decimal("1300.07")  # 1300.065 → 1300.07


def test_tekun_with_counted_income_is_ineligible():
    result = calculate(
        household=household(size=1, income="10.00"), scheme="tekun", month=MARCH_2024
    )
    assert not check(result, CheckCode.NO_INCOME).passed
    assert result.total == Decimal("0.00")


def test_tekun_excluded_income_does_not_count():
    h = household(size=1)
    IncomeLineFactory(household=h, income_type=IncomeType.objects.get(code="youfu"))
    assert calculate(household=h, scheme="tekun", month=MARCH_2024).total == Decimal("1690.00")


def test_tekun_applies_the_asset_tests():
    h = household(size=1)
    AssetFactory(household=h, kind=Asset.Kind.DEPOSIT, value=Decimal("31200.01"))
    result = calculate(household=h, scheme="tekun", month=MARCH_2024)
    assert not check(result, CheckCode.FINANCIAL_ASSETS).passed
    assert result.total == Decimal("0.00")


# --- temporary assistance --------------------------------------------------------------------------


def test_temporary_scheme_calculation_has_only_the_members_check_and_no_amount():
    result = calculate(household=household(), scheme="temp_emergency", month=MARCH_2024)
    assert [c.code for c in result.checks] == [CheckCode.HAS_MEMBERS]
    assert result.total is None
    assert result.eligible


def test_temporary_band_is_band_min_to_six_times_the_dibao_standard():
    band = temporary_band(scheme=scheme("temp_emergency"), town=town("chashan"), on=MARCH_2024)
    assert band.minimum == Decimal("100.00")
    assert band.maximum == Decimal("7800.00")
    assert band.town_threshold == Decimal("5000.00")
    assert band.standard == Decimal("1300.00")
    assert band.demo
    july = temporary_band(
        scheme=scheme("temp_expenditure"), town=town("chashan"), on=datetime.date(2025, 7, 1)
    )
    assert july.maximum == Decimal("8100.00")


@pytest.mark.parametrize(
    ("amount", "needs_city"),
    [
        (Decimal("100.00"), False),
        (Decimal("5000.00"), False),
        (Decimal("5000.01"), True),
        (Decimal("7800.00"), True),
    ],
)
def test_proposed_amount_inside_the_band(amount, needs_city):
    assert (
        check_proposed_amount(
            scheme=scheme("temp_emergency"), town=town("chashan"), on=MARCH_2024, amount=amount
        )
        is needs_city
    )


@pytest.mark.parametrize("amount", [Decimal("99.99"), Decimal("7800.01"), Decimal("500.005")])
def test_proposed_amount_outside_the_band_is_rejected_naming_proposed_amount(amount):
    with pytest.raises(ValidationError) as error:
        check_proposed_amount(
            scheme=scheme("temp_emergency"), town=town("chashan"), on=MARCH_2024, amount=amount
        )
    message = error.value.message_dict["proposed_amount"][0]
    assert "100.00" in message
    assert "7,800.00" in message
    assert "2024-03-01" in message


def test_band_follows_the_town_standard():
    StandardFactory(town=town("dalang"), monthly_amount=Decimal("1500.00"))
    band = temporary_band(scheme="temp_emergency", town=town("dalang"), on=MARCH_2024)
    assert band.maximum == Decimal("9000.00")


# --- output -----------------------------------------------------------------------------------------


def test_as_dict_is_json_safe_with_decimal_strings():
    h = household(size=1, income="2999.99")
    add_member(h, person_born(datetime.date(1950, 1, 1)), Membership.Relation.PARENT)
    add_member(h, person_born(datetime.date(1980, 1, 1)))
    data = calculate(household=h, scheme="dibao", month=MARCH_2024).as_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["total"] == "1030.01"  # 900.01 + 130.00
    assert data["base"] == "900.01"
    assert data["month"] == "2024-03-01"
    assert data["add_ons"][0]["amount"] == "130.00"
    assert data["checks"][0] == {
        "code": "has_members",
        "passed": True,
        "figures": {"members": 3},
        "source": "Demo value",
    }
    assert data["demo"] is True


def test_demo_flag_is_false_when_no_demo_rule_is_used():
    SchemeRule.objects.update(is_demo=False, source="粤民规字〔2019〕9号")
    Standard.objects.update(is_demo=False, source="Official notice")
    assert not calculate(household=household(), scheme="dibao", month=MARCH_2024).demo
    h = household(size=1)
    add_member(h, person_born(datetime.date(1950, 1, 1)), Membership.Relation.PARENT)
    assert calculate(household=h, scheme="dibao", month=MARCH_2024).demo  # demo add-on used


def test_partial_explains_the_stored_calculation():
    h = household(size=2, income="2999.99")
    add_member(h, person_born(datetime.date(1950, 1, 1)), Membership.Relation.PARENT)
    data = calculate(household=h, scheme="dibao", month=MARCH_2024).as_dict()
    html = render_to_string("cases/_calculation.html", {"calculation": data})
    assert "Why this amount" in html
    assert 'data-testid="demo-badge"' in html
    assert "999.9967" in html  # per-capita shown to 4 places
    assert "900.01" in html
    assert "Add-on:" in html and "Elderly" in html
    assert "1,030.01" in html
    assert "failed" not in html


def test_partial_shows_failed_checks_and_no_badge_without_demo_rules():
    SchemeRule.objects.update(is_demo=False, source="粤民规字〔2019〕9号")
    Standard.objects.update(is_demo=False)
    data = calculate(household=household(income="3900.00"), scheme="dibao", month=MARCH_2024)
    html = render_to_string("cases/_calculation.html", {"calculation": data.as_dict()})
    assert 'data-testid="check-failed"' in html
    assert 'data-testid="demo-badge"' not in html
    assert "not eligible" in html


def test_partial_for_temporary_assistance_shows_no_formula():
    data = calculate(household=household(), scheme="temp_expenditure", month=MARCH_2024).as_dict()
    html = render_to_string("cases/_calculation.html", {"calculation": data})
    assert "No formula" in html
    assert 'data-testid="calculation-amounts"' not in html


def test_calculation_rows_label_every_check():
    data = calculate(household=household(), scheme="dibao", month=MARCH_2024).as_dict()
    rows = calculation_rows(data)
    assert [c["label"] for c in rows["checks"]][:2] == [
        "The household has co-resident members",
        "Income per person below the standard",
    ]


# --- queries ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [2, 8])
def test_queries_do_not_grow_with_the_household(size, django_assert_num_queries):
    h = household_with_members(size=size)
    for membership in h.memberships.all():
        IncomeLineFactory(household=h, person=membership.person, monthly_amount=Decimal("10.00"))
        AssetFactory(household=h, person=membership.person, value=Decimal("10.00"))
    add_member(h, person_born(datetime.date(1950, 1, 1), serious_illness=True))
    IncomeTypeRuleFactory(effective_from=datetime.date(2025, 1, 1))
    dibao = scheme("dibao")
    # Rule, memberships with people, standard, income lines, income types and their rules,
    # assets, add-ons: the same 8 for 2 or 8 members.
    with django_assert_num_queries(8):
        result = calculate(household=h, scheme=dibao, month=MARCH_2024)
    assert result.members == size + 1
    assert len(result.add_ons) == 2
