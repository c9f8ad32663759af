"""The calculation as set-based SQL (audit/calculation_sql.py) agrees to the fen with THE
calculation (`audit.amounts.expected_reference`: the loader, the changes, the formula) on every
grant and month: focused cases with hand-computed figures for each rule, and thousands of
random households covering every rule kind, add-on, asset kind, income type, covered-members
subsets and changes of each kind. PostgreSQL only (the SQL is PostgreSQL's).

The migration's demo data: dibao standard 1300.00 city-wide until 2025-06-30, 1350.00 from
2025-07-01; add-ons elderly 10 %, minor 10 %, severe disability 20 %, serious illness 20 %;
tekun 1.3 × the dibao standard; elderly from 60, minors below 18, severe disability grades 1-2.
"""

import datetime
import random
from decimal import Decimal

import pytest
from django.db import connection, transaction

from audit.amounts import ASSETS, INCOME, LEAVES, Change, apply_changes, expected_reference
from cases.calculation.loading import load_inputs
from cases.models import (
    AddOn,
    Application,
    Asset,
    Grant,
    Household,
    IncomeLine,
    IncomeType,
    Membership,
    Person,
    SchemeRule,
    Town,
)
from tests.conftest import skip_or_fail
from tests.factories import (
    AddOnFactory,
    AssetFactory,
    IncomeLineFactory,
    IncomeTypeRuleFactory,
    MembershipFactory,
    SchemeRuleFactory,
    StandardFactory,
    UserFactory,
    approved_grant,
    household_with_members,
    make_id_number,
    person_born,
    scheme,
    town,
)

pytestmark = pytest.mark.django_db

JAN, FEB, MAR = (datetime.date(2025, m, 1) for m in (1, 2, 3))
JUN, JUL = datetime.date(2025, 6, 1), datetime.date(2025, 7, 1)
MONTHS = [datetime.date(2025, m, 1) for m in range(1, 13)]


@pytest.fixture(autouse=True)
def _postgresql():
    if connection.vendor != "postgresql":
        skip_or_fail("the set-based calculation is PostgreSQL SQL")


def both(grants, months, changes=()) -> dict:
    """The SQL's figures, checked equal to the reference's; returned for the hand figures."""
    from audit.calculation_sql import expected_for_grants

    reference = expected_reference(grants, months, changes)
    sql = expected_for_grants(grants, months, changes)
    assert sql == reference
    return sql


def one(grant, month=JAN, changes=()) -> Decimal:
    return both([grant], [month], changes)[(grant.pk, month)]


def grant_of(*, size=2, income="1000.00", scheme_code="dibao", town_slug="chashan", **kwargs):
    household = household_with_members(town_slug, size=size)
    if income is not None:
        add_income(household, income)
    return approved_grant(
        household=household, scheme_code=scheme_code, starts_month=JAN, income=None, **kwargs
    )


def add_income(household, amount, code="wage", person=None, **kwargs):
    return IncomeLineFactory(
        household=household,
        person=person,
        income_type=IncomeType.objects.get(code=code),
        monthly_amount=Decimal(amount),
        valid_from=kwargs.pop("valid_from", datetime.date(2023, 1, 1)),
        **kwargs,
    )


def add_asset(household, kind, value="0.00", **kwargs):
    kwargs.setdefault("valid_from", datetime.date(2023, 1, 1))
    return AssetFactory(household=household, kind=kind, value=Decimal(value), **kwargs)


def add_member(household, birth=datetime.date(1970, 1, 1), **kwargs):
    person = person_born(birth, **kwargs)
    MembershipFactory(household=household, person=person, relation="child")
    return person


def people(grant) -> list[Person]:
    return [m.person for m in grant.household.memberships.order_by("id")]


# --- focused rules, each with a figure computed by hand ------------------------------------------


def test_core_dibao_shortfall_per_member():
    # (1300 − 1000 / 2) × 2 = 1600.00
    assert one(grant_of()) == Decimal("1600.00")


def test_rounding_half_up_on_the_unrounded_per_capita():
    # DOMAIN.md's example: (1300 − 2999.99 / 3) × 3 = 900.01; 3000.00 gives 900.00.
    assert one(grant_of(size=3, income="2999.99")) == Decimal("900.01")
    assert one(grant_of(size=3, income="3000.00")) == Decimal("900.00")
    # (1300 × 3 − 1000.01) × 2 / 3 = 1933.326… → 1933.33 (two of three covered)
    grant = grant_of(size=3, income="1000.01")
    grant.application.covered_members.set(people(grant)[:2])
    assert one(grant) == Decimal("1933.33")


def test_income_at_or_above_the_standard_is_not_eligible():
    assert one(grant_of(income="2599.99")) == Decimal("0.01")
    assert one(grant_of(income="2600.00")) == Decimal("0.00")


def test_excluded_income_types_and_their_dated_rules():
    grant = grant_of(income="1000.00")
    add_income(grant.household, "500.00", code="award")  # excluded by default
    add_income(grant.household, "200.00", code="pension")
    IncomeTypeRuleFactory(
        income_type=IncomeType.objects.get(code="pension"), effective_from=FEB
    )  # not counted from February
    figures = both([grant], [JAN, FEB])
    assert figures[(grant.pk, JAN)] == Decimal("1400.00")  # 2600 − 1200
    assert figures[(grant.pk, FEB)] == Decimal("1600.00")


def test_income_of_a_person_who_is_not_a_member_is_left_out():
    grant = grant_of(income="1000.00")
    outsider = person_born(datetime.date(1980, 1, 1))
    add_income(grant.household, "500.00", person=outsider)
    assert one(grant) == Decimal("1600.00")


def test_financial_assets_at_and_over_the_limit():
    # 24 × 1300 × 2 = 62,400.00 across deposits, securities and insurance
    grant = grant_of()
    add_asset(grant.household, Asset.Kind.DEPOSIT, "40000.00")
    add_asset(grant.household, Asset.Kind.SECURITIES, "20000.00")
    add_asset(grant.household, Asset.Kind.INSURANCE, "2400.00")
    assert one(grant) == Decimal("1600.00")
    add_asset(grant.household, Asset.Kind.DEPOSIT, "0.01", valid_from=FEB)
    assert both([grant], [FEB])[(grant.pk, FEB)] == Decimal("0.00")


@pytest.mark.parametrize(
    ("kind", "units", "expected"),
    [
        (Asset.Kind.RESIDENTIAL, 1, "1600.00"),
        (Asset.Kind.RESIDENTIAL, 2, "0.00"),
        (Asset.Kind.NON_RESIDENTIAL, 1, "0.00"),
        (Asset.Kind.VEHICLE, 1, "0.00"),
        (Asset.Kind.BUSINESS, 1, "0.00"),
    ],
)
def test_unit_limits(kind, units, expected):
    grant = grant_of()
    add_asset(grant.household, kind, units=units)
    assert one(grant) == Decimal(expected)


def test_exempt_assets_are_ignored():
    grant = grant_of()
    add_asset(grant.household, Asset.Kind.VEHICLE, exempt=True)
    add_asset(grant.household, Asset.Kind.DEPOSIT, "99999.00", exempt=True)
    assert one(grant) == Decimal("1600.00")


def test_add_ons_per_covered_member_and_category():
    grant = grant_of(income="0.00")
    add_member(grant.household, datetime.date(1950, 6, 1))  # elderly: 130.00
    add_member(grant.household, datetime.date(2015, 6, 1), serious_illness=True)  # 130 + 260
    add_member(grant.household, datetime.date(1980, 6, 1), disability_grade=1)  # 260.00
    add_member(grant.household, datetime.date(1980, 6, 1), disability_grade=3)  # none
    # base 1300 × 6 = 7800.00, add-ons 130 + 130 + 260 + 260 = 780.00
    assert one(grant) == Decimal("8580.00")


def test_add_on_rounded_to_the_fen_on_its_own():
    AddOn.objects.filter(category=AddOn.Category.ELDERLY).update(
        effective_to=datetime.date(2024, 12, 31)
    )
    AddOnFactory(category=AddOn.Category.ELDERLY, percent=Decimal("3.33"), effective_from=JAN)
    grant = grant_of(size=0, income="0.00")
    for _ in range(3):
        add_member(grant.household, datetime.date(1950, 6, 1))
    # 1300 × 3 + 3 × round(43.29) = 3900 + 129.87
    assert one(grant) == Decimal("4029.87")


def test_age_is_counted_on_the_months_first_day():
    grant = grant_of(size=1, income="0.00")
    add_member(grant.household, datetime.date(1965, 2, 2))  # 60 on 2025-02-02
    figures = both([grant], [FEB, MAR])
    assert figures[(grant.pk, FEB)] == Decimal("2600.00")
    assert figures[(grant.pk, MAR)] == Decimal("2730.00")


def test_covered_members_only_get_the_amount_and_add_ons():
    grant = grant_of(size=0, income="600.00")
    head = add_member(grant.household)
    elder = add_member(grant.household, datetime.date(1950, 1, 1))
    grant.application.covered_members.set([head])
    # (1300 × 2 − 600) × 1 / 2 = 1000.00; the elder is not covered: no add-on
    assert one(grant) == Decimal("1000.00")
    grant.application.covered_members.set([elder])
    assert one(grant) == Decimal("1130.00")


def test_covered_member_who_is_no_member_is_refused():
    grant = grant_of()
    grant.application.covered_members.set([person_born(datetime.date(1980, 1, 1))])
    assert one(grant) == Decimal("0.00")


def test_tekun_basic_standard_and_no_income():
    grant = grant_of(scheme_code="tekun", income=None)
    assert one(grant) == Decimal("3380.00")  # 1300 × 1.3 × 2
    add_income(grant.household, "0.01", valid_from=FEB)
    assert both([grant], [FEB])[(grant.pk, FEB)] == Decimal("0.00")


def test_floor_percent_of_the_standard():
    SchemeRule.objects.filter(scheme=scheme("dibao")).update(
        effective_to=datetime.date(2024, 12, 31)
    )
    SchemeRuleFactory(effective_from=JAN, floor_percent=Decimal("20.00"))
    # base (2600 − 2500) = 100.00 < floor 1300 × 20 % × 2 = 520.00
    assert one(grant_of(income="2500.00")) == Decimal("520.00")
    assert one(grant_of(income="1000.00")) == Decimal("1600.00")
    assert one(grant_of(income="2600.00")) == Decimal("0.00")  # not eligible: no floor


def test_standards_by_date_and_town():
    grant = grant_of(town_slug="dalang")
    other = grant_of()
    StandardFactory(town=town("dalang"), monthly_amount=Decimal("1400.00"), effective_from=FEB)
    figures = both([grant, other], [JAN, FEB, JUN, JUL])
    assert figures[(grant.pk, JAN)] == Decimal("1600.00")
    assert figures[(grant.pk, FEB)] == Decimal("1800.00")  # 大朗's own standard
    assert figures[(other.pk, JUN)] == Decimal("1600.00")
    assert figures[(other.pk, JUL)] == Decimal("1700.00")  # 1350 from July


def test_no_rule_no_standard_no_members_give_zero():
    grant = grant_of()
    SchemeRule.objects.filter(scheme=scheme("dibao")).update(
        effective_to=datetime.date(2024, 12, 31)
    )
    assert one(grant) == Decimal("0.00")
    empty = grant_of(size=0, income=None)
    assert one(empty) == Decimal("0.00")


def test_memberships_by_date():
    grant = grant_of(size=1, income="1000.00")
    person = person_born(datetime.date(1980, 1, 1))
    MembershipFactory(
        household=grant.household,
        person=person,
        relation="child",
        joined_on=FEB,
        left_on=MAR,
        leave_reason=Membership.LeaveReason.MOVED_OUT,
    )
    figures = both([grant], [JAN, FEB, MAR])
    assert figures[(grant.pk, JAN)] == Decimal("300.00")
    assert figures[(grant.pk, FEB)] == Decimal("1600.00")
    assert figures[(grant.pk, MAR)] == Decimal("300.00")


def test_expected_into_table_for_a_towns_grants_and_the_dispatch():
    from audit.amounts import expected
    from audit.calculation_sql import copy_changes, create_changes_table, expected_into_table

    chashan, dalang = grant_of(), grant_of(town_slug="dalang", income="600.00")
    head = people(dalang)[0]
    changes = [change(dalang, head, FEB, LEAVES)]
    with transaction.atomic(), connection.cursor() as cursor:
        create_changes_table(cursor)
        copy_changes(cursor, changes)
        expected_into_table(
            cursor,
            table="town_expected",
            grants_sql="SELECT id FROM cases_grant WHERE town_id = %(town)s",
            params={"town": town("dalang").pk, "months": [JAN, FEB]},
        )
        cursor.execute("SELECT grant_id, month, expected FROM town_expected ORDER BY month")
        rows = cursor.fetchall()
    # 2600 − 600 = 2000.00; from February one member: 1300 − 600 = 700.00
    assert rows == [(dalang.pk, JAN, Decimal("2000.00")), (dalang.pk, FEB, Decimal("700.00"))]
    assert expected([chashan.pk, dalang.pk], [FEB], changes) == {
        (chashan.pk, FEB): Decimal("1600.00"),
        (dalang.pk, FEB): Decimal("700.00"),
    }


def test_an_unknown_change_is_refused():
    from audit.calculation_sql import copy_changes, create_changes_table

    with transaction.atomic(), connection.cursor() as cursor:
        create_changes_table(cursor)
        with pytest.raises(ValueError, match="unknown change 'moves'"):
            copy_changes(cursor, [Change(1, 1, JAN, "moves")])


def test_temporary_grants_are_left_out():
    grant = grant_of(scheme_code="temp_emergency")
    assert both([grant], [JAN]) == {}


# --- changes -------------------------------------------------------------------------------------


def change(grant, person, on, what, **fields):
    return Change(grant.household_id, person.pk, on, what, **fields)


def test_asset_change_from_its_date_replaces_the_persons_rows_of_that_kind():
    grant = grant_of()
    head = people(grant)[0]
    add_asset(grant.household, Asset.Kind.DEPOSIT, "70000.00", person=head)
    mid_feb = datetime.date(2025, 2, 15)
    changes = [change(grant, head, mid_feb, ASSETS, asset_kind=Asset.Kind.DEPOSIT, value=ZERO2)]
    figures = both([grant], [JAN, FEB, MAR], changes)
    assert [figures[(grant.pk, m)] for m in (JAN, FEB, MAR)] == [
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("1600.00"),
    ]


ZERO2 = Decimal("0.00")


def test_later_change_replaces_earlier_and_same_day_changes_add_up():
    grant = grant_of()
    head = people(grant)[0]
    deposit = {"asset_kind": Asset.Kind.DEPOSIT}
    changes = [
        change(grant, head, FEB, ASSETS, value=Decimal("40000.00"), **deposit),
        change(grant, head, FEB, ASSETS, value=Decimal("30000.00"), **deposit),  # 70,000: over
        change(grant, head, MAR, ASSETS, value=Decimal("10000.00"), **deposit),  # replaces both
    ]
    figures = both([grant], [JAN, FEB, MAR], changes)
    assert [figures[(grant.pk, m)] for m in (JAN, FEB, MAR)] == [
        Decimal("1600.00"),
        Decimal("0.00"),
        Decimal("1600.00"),
    ]


def test_income_change_replaces_that_type_only():
    grant = grant_of(income=None)
    head = people(grant)[0]
    add_income(grant.household, "800.00", person=head)
    add_income(grant.household, "300.00", code="pension", person=head)
    wage = IncomeType.objects.get(code="wage").pk
    changes = [change(grant, head, FEB, INCOME, income_type_id=wage, amount=Decimal("1500.00"))]
    figures = both([grant], [JAN, FEB], changes)
    assert figures[(grant.pk, JAN)] == Decimal("1500.00")  # 2600 − 1100
    assert figures[(grant.pk, FEB)] == Decimal("800.00")  # 2600 − 1800


def test_a_member_who_leaves_counts_no_more_nor_their_rows():
    grant = grant_of(size=0, income=None)
    head = add_member(grant.household)
    elder = add_member(grant.household, datetime.date(1950, 1, 1))
    add_income(grant.household, "900.00", person=elder)
    grant.application.covered_members.set([head, elder])
    changes = [change(grant, elder, datetime.date(2025, 1, 20), LEAVES)]
    figures = both([grant], [JAN, FEB], changes)
    assert figures[(grant.pk, JAN)] == Decimal("1830.00")  # 2600 − 900 + 130
    assert figures[(grant.pk, FEB)] == Decimal("1300.00")
    grant.application.covered_members.set([elder])
    assert both([grant], [FEB], changes)[(grant.pk, FEB)] == Decimal("0.00")  # no one covered


def test_a_covered_member_whose_membership_ended_is_covered_no_more():
    # A confirmed death or move ends the membership: the application still names the person,
    # the others named stay covered (a smaller amount, not 0); no one named left gives 0.
    grant = grant_of(size=0, income=None)
    head = add_member(grant.household)
    elder = add_member(grant.household, datetime.date(1950, 1, 1))
    add_income(grant.household, "900.00", person=elder)
    grant.application.covered_members.set([head, elder])
    grant.household.memberships.filter(person=elder).update(
        left_on=datetime.date(2025, 1, 20), leave_reason=Membership.LeaveReason.DEATH
    )
    figures = both([grant], [JAN, FEB])
    assert figures[(grant.pk, JAN)] == Decimal("1830.00")  # 2600 − 900 + 130
    assert figures[(grant.pk, FEB)] == Decimal("1300.00")
    grant.application.covered_members.set([elder])
    assert both([grant], [FEB])[(grant.pk, FEB)] == Decimal("0.00")  # no one covered


def test_exempt_vehicle_change_beside_a_counted_one():
    grant = grant_of()
    head = people(grant)[0]
    vehicle = {"asset_kind": Asset.Kind.VEHICLE}
    changes = [
        change(grant, head, FEB, ASSETS, units=0, **vehicle),
        change(grant, head, FEB, ASSETS, units=1, exempt=True, **vehicle),
        change(grant, head, MAR, ASSETS, units=1, **vehicle),
    ]
    figures = both([grant], [FEB, MAR], changes)
    assert figures[(grant.pk, FEB)] == Decimal("1600.00")
    assert figures[(grant.pk, MAR)] == Decimal("0.00")


# --- thousands of random households --------------------------------------------------------------

KINDS = [choice for choice, _label in Asset.Kind.choices]
FINANCIAL = list(Asset.FINANCIAL_KINDS)


def _dated_rules_changing_mid_range():
    """Rules that change within 2025: a new dibao rule from April (floor 20 %, 20 months of
    assets, elderly from 65, one vehicle), 大朗's own standard for February to August, pensions
    not counted from May, the elderly add-on 15 % from June, tekun 1.4 from September."""
    dibao, tekun = scheme("dibao"), scheme("tekun")
    SchemeRule.objects.filter(scheme=dibao).update(effective_to=datetime.date(2025, 3, 31))
    SchemeRuleFactory(
        scheme=dibao,
        effective_from=datetime.date(2025, 4, 1),
        floor_percent=Decimal("20.00"),
        financial_asset_months=Decimal("20"),
        elderly_age=65,
        max_vehicles=1,
    )
    SchemeRule.objects.filter(scheme=tekun).update(effective_to=datetime.date(2025, 8, 31))
    SchemeRuleFactory(
        scheme=tekun, effective_from=datetime.date(2025, 9, 1), tekun_multiplier=Decimal("1.40")
    )
    StandardFactory(
        town=town("dalang"),
        monthly_amount=Decimal("1411.11"),
        effective_from=FEB,
        effective_to=datetime.date(2025, 8, 31),
    )
    IncomeTypeRuleFactory(
        income_type=IncomeType.objects.get(code="pension"), effective_from=datetime.date(2025, 5, 1)
    )
    AddOn.objects.filter(category=AddOn.Category.ELDERLY).update(
        effective_to=datetime.date(2025, 5, 31)
    )
    AddOnFactory(category=AddOn.Category.ELDERLY, percent=Decimal("15.00"), effective_from=JUN)


def _day(rng) -> datetime.date:
    """A date in or around 2025: a month's first day or a day within it."""
    month = rng.randint(1, 12)
    return datetime.date(2025, month, 1 if rng.random() < 0.5 else rng.randint(2, 28))


def _money(rng, high) -> Decimal:
    return Decimal(rng.randint(0, int(high * 100))) / 100


def random_households(count: int, seed: int = 20251205):
    """`count` random households with grants and their changes, written with bulk inserts."""
    rng = random.Random(seed)
    towns = list(Town.objects.filter(slug__in=["chashan", "dalang", "humen"]))
    schemes = [scheme("dibao")] * 6 + [scheme("tekun")]
    types = list(IncomeType.objects.all())
    user = UserFactory()
    households = Household.objects.bulk_create(
        Household(town=rng.choice(towns), address=f"随机{n}号") for n in range(count)
    )
    persons, memberships, lines, assets = [], [], [], []
    used = set()
    members_of = {}
    for household in households:
        size = rng.choice([0, 1, 1, 2, 2, 3, 3, 4, 5]) if rng.random() < 0.98 else 0
        mine = []
        for _ in range(size):
            while True:
                birth = datetime.date(
                    rng.randint(1935, 2024), rng.randint(1, 12), rng.randint(1, 28)
                )
                if rng.random() < 0.05:
                    birth = datetime.date(rng.choice([1960, 1965, 2007]), rng.randint(1, 12), 1)
                key = (birth, rng.randint(0, 999))
                if key not in used:
                    used.add(key)
                    break
            number = make_id_number(key[1], birth, area="441998")
            person = Person(
                name="随机",
                id_number=number,
                id_tail=number[-4:],
                birth_date=birth,
                sex="M",
                disability_grade=rng.choice([0] * 6 + [1, 2, 3, 4]),
                serious_illness=rng.random() < 0.1,
            )
            persons.append(person)
            mine.append(person)
        members_of[household] = mine
    Person.objects.bulk_create(persons)
    for household, mine in members_of.items():
        for person in mine:
            joined = datetime.date(2020, 1, 1) if rng.random() < 0.85 else _day(rng)
            left = _day(rng) if rng.random() < 0.1 else None
            if left is not None and left <= joined:
                left = None
            memberships.append(
                Membership(
                    household=household,
                    person=person,
                    relation="child",
                    joined_on=joined,
                    left_on=left,
                    leave_reason="moved_out" if left else "",
                )
            )
        for _ in range(rng.choice([0, 1, 1, 2, 3])):
            valid_from = datetime.date(2024, 1, 1) if rng.random() < 0.7 else _day(rng)
            valid_to = _day(rng) if rng.random() < 0.15 else None
            if valid_to is not None and valid_to < valid_from:
                valid_to = None
            lines.append(
                IncomeLine(
                    household=household,
                    person=rng.choice([*mine, None]) if mine else None,
                    income_type=rng.choice(types),
                    monthly_amount=_money(rng, rng.choice([300, 1500, 3000])),
                    valid_from=valid_from,
                    valid_to=valid_to,
                )
            )
        for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
            kind = rng.choice(KINDS + FINANCIAL)
            financial = kind in FINANCIAL
            valid_from = datetime.date(2024, 1, 1) if rng.random() < 0.7 else _day(rng)
            assets.append(
                Asset(
                    household=household,
                    person=rng.choice([*mine, None]) if mine else None,
                    kind=kind,
                    value=_money(rng, rng.choice([10000, 40000, 80000])) if financial else 0,
                    units=rng.choice([1, 1, 1, 2]),
                    exempt=rng.random() < 0.1,
                    valid_from=valid_from,
                )
            )
    Membership.objects.bulk_create(memberships)
    IncomeLine.objects.bulk_create(lines)
    Asset.objects.bulk_create(assets)

    applications = Application.objects.bulk_create(
        Application(
            household=household,
            scheme=rng.choice(schemes),
            town=household.town,
            state=Application.State.APPROVED,
            decision=Application.Decision.APPROVED,
            created_by=user,
        )
        for household in households
    )
    covered = []
    for application in applications:
        mine = members_of[application.household]
        if mine and rng.random() < 0.3:
            chosen = rng.sample(mine, rng.randint(1, len(mine)))
            if rng.random() < 0.05:
                chosen.append(rng.choice(persons))  # someone else's member: refused
            covered += [
                Application.covered_members.through(application=application, person=person)
                for person in chosen
            ]
    Application.covered_members.through.objects.bulk_create(covered, ignore_conflicts=True)
    grants = Grant.objects.bulk_create(
        Grant(
            application=application,
            household=application.household,
            scheme=application.scheme,
            town=application.town,
            starts_month=JAN,
        )
        for application in applications
    )

    changes = []
    for household, mine in members_of.items():
        if not mine or rng.random() < 0.5:
            continue
        for _ in range(rng.randint(1, 4)):
            person, on, what = (
                rng.choice(mine),
                _day(rng),
                rng.choice([ASSETS, ASSETS, INCOME, LEAVES]),
            )
            if what == LEAVES:
                changes.append(Change(household.pk, person.pk, on, LEAVES))
            elif what == INCOME:
                for _ in range(rng.choice([1, 1, 2])):  # two of one day add up
                    changes.append(
                        Change(
                            household.pk,
                            person.pk,
                            on,
                            INCOME,
                            income_type_id=rng.choice(types).pk,
                            amount=_money(rng, 2000),
                        )
                    )
            else:
                kind = rng.choice(KINDS + FINANCIAL)
                for _ in range(rng.choice([1, 1, 2])):
                    changes.append(
                        Change(
                            household.pk,
                            person.pk,
                            on,
                            ASSETS,
                            asset_kind=kind,
                            value=_money(rng, 50000) if kind in FINANCIAL else Decimal("0.00"),
                            units=rng.choice([0, 1, 1, 2]),
                            exempt=rng.random() < 0.15,
                        )
                    )
    return Grant.objects.filter(pk__in=[g.pk for g in grants]).select_related(
        "household", "scheme"
    ), changes


def test_agreement_on_thousands_of_random_households():
    from audit.calculation_sql import expected_for_grants

    _dated_rules_changing_mid_range()
    grants, changes = random_households(2000)
    grants = list(grants)
    reference = expected_reference(grants, MONTHS, changes)
    sql = expected_for_grants(grants, MONTHS, changes)

    assert set(sql) == set(reference)
    differing = [key for key in reference if sql[key] != reference[key]]
    report = []
    by_pk = {grant.pk: grant for grant in grants}
    for grant_id, month in differing[:5]:
        grant = by_pk[grant_id]
        inputs = load_inputs(household=grant.household, scheme=grant.scheme, month=month)
        mine = [c for c in changes if c.household_id == grant.household_id]
        report.append(
            f"grant {grant_id} {month}: sql {sql[(grant_id, month)]} reference "
            f"{reference[(grant_id, month)]}\n  inputs {apply_changes(inputs, mine)}\n"
            f"  covered {list(grant.application.covered_members.values_list('pk', flat=True))}"
            f"\n  changes {mine}"
        )
    assert not differing, f"{len(differing)} differ:\n" + "\n".join(report)

    # The households cover every rule: eligible and not, each scheme, add-ons, changes.
    amounts = list(reference.values())
    assert sum(1 for a in amounts if a > 0) > 5000
    assert sum(1 for a in amounts if a == 0) > 1000
    assert {c.what for c in changes} == {ASSETS, INCOME, LEAVES}
    assert len(reference) == 2000 * 12
