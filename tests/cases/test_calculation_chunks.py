"""The calculation as a pure formula fed by a loader (cases/calculation/): the formula reads no
database, the loader reads a chunk in a fixed number of queries, and a chunk gives exactly what
one household at a time gives.

The migration's demo data: dibao standard 1300.00 city-wide until 2025-06-30; add-ons elderly
10 %, minor 10 %, severe disability 20 %, serious illness 20 %; tekun 1.3 × the dibao standard.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases import grants
from cases.calculation import Item, calculate, calculate_many, formula
from cases.calculation.loading import load_chunk
from cases.grants.checks import calculate_for
from cases.models import Asset, IncomeType, Membership, ScheduleConfirmation, SchemeRule
from tests.factories import (
    AssetFactory,
    HouseholdFactory,
    IncomeLineFactory,
    IncomeTypeRuleFactory,
    MembershipFactory,
    SchemeRuleFactory,
    StandardFactory,
    approved_grant,
    household_with_members,
    person_born,
    scheme,
    town,
)

pytestmark = pytest.mark.django_db

MARCH_2024 = datetime.date(2024, 3, 1)
JULY_2024 = datetime.date(2024, 7, 1)


def income(h, amount, code="wage", person=None, **kwargs):
    IncomeLineFactory(
        household=h,
        person=person,
        income_type=IncomeType.objects.get(code=code),
        monthly_amount=Decimal(amount),
        **kwargs,
    )


def member(h, birth=datetime.date(1970, 1, 1), joined_on=datetime.date(2020, 1, 1), **kwargs):
    left_on = kwargs.pop("left_on", None)
    person = person_born(birth, **kwargs)
    MembershipFactory(
        household=h,
        person=person,
        relation=Membership.Relation.CHILD,
        joined_on=joined_on,
        left_on=left_on,
        leave_reason=Membership.LeaveReason.MOVED_OUT if left_on else "",
    )
    return person


def varied_items() -> tuple[list[Item], dict[str, int]]:
    """Households that exercise every rule, as calculation items, and where the named ones
    sit in the list."""
    dibao, tekun = scheme("dibao"), scheme("tekun")
    # From July 2024 the dibao rule has a floor of 20 % of the standard; before, none.
    SchemeRule.objects.filter(scheme=dibao).update(effective_to=datetime.date(2024, 6, 30))
    SchemeRuleFactory(effective_from=JULY_2024, floor_percent=Decimal("20.00"))
    # 大朗's own standard; wage stops counting from 2025-01-01 (after every month below).
    StandardFactory(town=town("dalang"), monthly_amount=Decimal("1400.00"))
    IncomeTypeRuleFactory(effective_from=datetime.date(2025, 1, 1))
    # Pensions are not counted from 2024-06-01 (so counted in March, not in July).
    IncomeTypeRuleFactory(
        income_type=IncomeType.objects.get(code="pension"), effective_from=datetime.date(2024, 6, 1)
    )
    items, named = [], {}

    def add(name, h, month=MARCH_2024, scheme_=dibao, **kwargs):
        named[name] = len(items)
        items.append(Item(household=h, scheme=scheme_, month=month, **kwargs))

    domain = household_with_members(size=3)
    income(domain, "3000.00")
    add("domain", domain)

    moves = household_with_members(size=2)
    gone = member(moves, left_on=datetime.date(2024, 2, 1))
    income(moves, "900.00", person=gone)  # left: neither counted nor a member
    member(moves, left_on=MARCH_2024)  # leaves on as_of: not counted
    member(moves, joined_on=datetime.date(2024, 5, 1))  # counted in July only
    income(moves, "500.00", valid_to=datetime.date(2024, 4, 30))  # ended before July
    add("moves", moves)
    add("moves_july", moves, month=JULY_2024)
    add("moves_as_of", moves, month=MARCH_2024, as_of=datetime.date(2024, 3, 20))

    excluded = household_with_members(size=2)
    income(excluded, "800.00", code="youfu")  # excluded by default
    income(excluded, "1200.00", code="pension")
    income(excluded, "300.00")
    add("excluded", excluded)
    add("excluded_july", excluded, month=JULY_2024)

    categories = household_with_members(size=1)
    member(categories, birth=datetime.date(1950, 5, 5))  # elderly
    member(categories, birth=datetime.date(2015, 1, 1), disability_grade=1)  # minor, severe
    member(categories, serious_illness=True)
    income(categories, "1000.00")
    add("categories", categories)
    covered = [m.person_id for m in categories.memberships.order_by("id")][1:3]
    add("categories_covered", categories, covered_person_ids=covered)

    rich = household_with_members(size=2)
    AssetFactory(household=rich, value=Decimal("62400.01"))  # 24 × 1300 × 2 + 0.01
    add("rich", rich)
    at_limit = household_with_members(size=2)
    AssetFactory(household=at_limit, value=Decimal("62400.00"))
    AssetFactory(household=at_limit, kind=Asset.Kind.VEHICLE, exempt=True)
    AssetFactory(household=at_limit, kind=Asset.Kind.RESIDENTIAL)
    add("at_limit", at_limit)
    car = household_with_members(size=2)
    AssetFactory(household=car, kind=Asset.Kind.VEHICLE, value=Decimal("30000.00"))
    add("car", car)

    tiny_gap = household_with_members(size=2)
    income(tiny_gap, "2590.00")  # a gap of 10.00: the floor (20 %: 520.00) applies in July
    add("tiny_gap", tiny_gap)
    add("tiny_gap_july", tiny_gap, month=JULY_2024)
    ineligible_july = household_with_members(size=2)
    income(ineligible_july, "2600.00")
    add("ineligible_july", ineligible_july, month=JULY_2024)

    add("tekun", household_with_members(size=1), scheme_=tekun)
    tekun_income = household_with_members(size=2)
    income(tekun_income, "100.00")
    add("tekun_income", tekun_income, scheme_=tekun, month=JULY_2024)

    dalang = household_with_members("dalang", size=2)
    income(dalang, "700.00")
    add("dalang", dalang)
    add("by_code", household_with_members(size=2), scheme_="dibao")
    add("temporary", household_with_members(size=2), scheme_=scheme("temp_emergency"))
    add("empty", HouseholdFactory())

    outsider = household_with_members(size=1)
    add("not_a_member", domain, covered_person_ids=[outsider.memberships.get().person_id])
    add("no_one_covered", domain, covered_person_ids=[])
    add("no_rule", domain, month=datetime.date(2022, 12, 1))
    add("no_scheme", domain, scheme_="nope")
    add("not_a_first", domain, month=datetime.date(2024, 3, 2))
    return items, named


def one_by_one(item: Item):
    try:
        return calculate(
            household=item.household,
            scheme=item.scheme,
            month=item.month,
            as_of=item.as_of,
            covered_person_ids=item.covered_person_ids,
        ).as_dict()
    except ValidationError as error:
        return error.message_dict


def test_a_chunk_gives_exactly_what_one_household_at_a_time_gives():
    items, named = varied_items()

    outcomes = calculate_many(items)

    assert [outcome.item for outcome in outcomes] == items
    for outcome in outcomes:
        chunked = outcome.error.message_dict if outcome.error else outcome.calculation.as_dict()
        assert chunked == one_by_one(outcome.item)
    totals = {
        name: outcomes[n].calculation.total if outcomes[n].calculation else "error"
        for name, n in named.items()
    }
    assert totals == {
        "domain": Decimal("900.00"),
        "moves": Decimal("2100.00"),  # 2 members, 500.00 counted, the leaver's 900.00 not
        "moves_july": Decimal("3900.00"),  # 3 members; the 500.00 line ended in April
        "moves_as_of": Decimal("2100.00"),
        "excluded": Decimal("1100.00"),  # 1200 + 300 counted, youfu not
        "excluded_july": Decimal("2300.00"),  # pensions no longer counted
        # 4 members (5200.00) − 1000.00; elderly 130, minor 130, severe 260, serious illness 260
        "categories": Decimal("4980.00"),
        # the elderly and the minor member: 4200.00 × 2 ÷ 4, elderly, minor and severe add-ons
        "categories_covered": Decimal("2620.00"),
        "rich": Decimal("0.00"),
        "at_limit": Decimal("2600.00"),
        "car": Decimal("0.00"),
        "tiny_gap": Decimal("10.00"),
        "tiny_gap_july": Decimal("520.00"),
        "ineligible_july": Decimal("0.00"),
        "tekun": Decimal("1690.00"),
        "tekun_income": Decimal("0.00"),
        "dalang": Decimal("2100.00"),  # 大朗's 1,400.00: 2800.00 − 700.00
        "by_code": Decimal("2600.00"),
        "temporary": None,
        "empty": Decimal("0.00"),
        "not_a_member": "error",
        "no_one_covered": "error",
        "no_rule": "error",
        "no_scheme": "error",
        "not_a_first": "error",
    }
    assert outcomes[named["dalang"]].calculation.standard_town_specific is True
    assert outcomes[named["tiny_gap_july"]].calculation.floor_applied is True
    assert set(outcomes[named["no_rule"]].error.message_dict) == {"scheme"}
    assert set(outcomes[named["not_a_member"]].error.message_dict) == {"covered_person_ids"}
    assert set(outcomes[named["not_a_first"]].error.message_dict) == {"month"}


def test_the_formula_reads_no_database(django_assert_num_queries):
    items, _named = varied_items()
    inputs = load_chunk(items)

    results = []
    with django_assert_num_queries(0):
        for one in inputs:
            try:
                results.append(formula.calculate(one).as_dict())
            except ValidationError as error:
                results.append(error.message_dict)

    assert results == [one_by_one(item) for item in items]


def households(count: int) -> list:
    made = []
    for n in range(count):
        h = household_with_members("dalang" if n % 3 else "chashan", size=1 + n % 4)
        member(h, birth=datetime.date(1950, 1, 1), serious_illness=bool(n % 2))
        member(h, left_on=datetime.date(2024, 1, 1))
        income(h, "300.00")
        income(h, "200.00", code="youfu")
        AssetFactory(household=h)
        AssetFactory(household=h, kind=Asset.Kind.RESIDENTIAL)
        made.append(h)
    return made


def queries_to_load(items) -> int:
    with CaptureQueriesContext(connection) as queries:
        load_chunk(items)
    return len(queries)


def test_a_chunk_is_loaded_in_the_same_queries_for_3_and_for_30_households():
    IncomeTypeRuleFactory(effective_from=datetime.date(2024, 1, 1))
    StandardFactory(town=town("dalang"), monthly_amount=Decimal("1400.00"))
    made = households(30)
    dibao, tekun = scheme("dibao"), scheme("tekun")

    def items(hs):
        return [
            Item(h, dibao if n % 2 else tekun, MARCH_2024 if n % 5 else JULY_2024)
            for n, h in enumerate(hs)
        ]

    # Memberships with people, income lines, assets, scheme rules, standards, add-ons, income
    # types and their dated rules: one query each, whatever the number of households.
    assert queries_to_load(items(made[:3])) == 8
    assert queries_to_load(items(made)) == 8
    assert queries_to_load([Item(h, "dibao", MARCH_2024) for h in made]) == 9  # + the scheme


def test_an_empty_chunk_reads_nothing(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert calculate_many([]) == []


# --- standard changes -----------------------------------------------------------------------------


def standard_change_queries(actor, town_slug: str) -> tuple[int, ScheduleConfirmation]:
    with CaptureQueriesContext(connection) as queries:
        confirmation = grants.standard_change_propose(
            scheme=scheme("dibao"),
            from_month=JULY_2024,
            actor=actor,
            town=town(town_slug),
            today=datetime.date(2024, 6, 12),
        )
    return len(queries), confirmation


def grants_with_one_failing(town_slug: str, count: int) -> list:
    """`count` grants of the town; the first covers a member who left before July 2024, so its
    calculation fails and the standard change skips it."""
    made = [approved_grant(town_slug=town_slug) for _ in range(count)]
    head = made[0].household.memberships.order_by("id").first()
    made[0].application.covered_members.set([head.person])
    Membership.objects.filter(pk=head.pk).update(
        left_on=datetime.date(2024, 6, 1), leave_reason=Membership.LeaveReason.MOVED_OUT
    )
    return made


def test_a_standard_change_reads_the_same_queries_for_3_and_for_30_grants(city_supervisor):
    for slug in ("chashan", "dalang"):
        StandardFactory(
            town=town(slug), monthly_amount=Decimal("1400.00"), effective_from=JULY_2024
        )
    few, many = grants_with_one_failing("chashan", 3), grants_with_one_failing("dalang", 30)

    few_queries, few_change = standard_change_queries(city_supervisor, "chashan")
    many_queries, many_change = standard_change_queries(city_supervisor, "dalang")

    assert (few_change.proposed_count, few_change.skipped_count) == (2, 1)
    assert (many_change.proposed_count, many_change.skipped_count) == (29, 1)
    assert {e.amount for e in many_change.entries.all()} == {Decimal("1800.00")}
    # The reason is the message a calculation of the grant alone raises.
    with pytest.raises(ValidationError) as alone:
        calculate_for(many[0], JULY_2024)
    assert many_change.skipped == [{"grant": many[0].pk, "reason": "; ".join(alone.value.messages)}]
    assert few_change.skipped[0]["grant"] == few[0].pk
    assert many_queries == few_queries
