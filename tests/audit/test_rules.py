"""The check's rules (audit/rules.py), one finding kind at a time: raised, not raised at the
limit, exempt types; with each money finding's months and totals to the fen."""

import datetime
from decimal import Decimal

import pytest

from audit import check
from audit.models import Finding, MatchingRule
from cases.models import Application, IncomeType
from tests.audit.conftest import FROM, PERIOD, members, paid_grant
from tests.audit.factories import record
from tests.factories import (
    ApplicationFactory,
    IncomeLineFactory,
    MembershipFactory,
    household_with_members,
    town,
)
from tests.payments.test_ledger import paid_line

pytestmark = pytest.mark.django_db

M = datetime.date
TODAY = M(2024, 7, 1)
Kind = Finding.Kind


def run(town_slug=None):
    return check.run_check(
        PERIOD, town=town(town_slug) if town_slug else None, from_month=FROM, today=TODAY
    )


def findings(kind=None):
    found = Finding.objects.order_by("id")
    return list(found.filter(kind=kind) if kind else found)


def months(finding):
    return [(m["month"], m["expected"], m["paid"], m["difference"]) for m in finding.months]


# assets_over_limit: 24 × 1,300.00 × 2 members = 62,400.00


def test_assets_exactly_at_the_limit_are_not_over(grant):
    first, second = members(grant)
    record("deposits", first, amount=Decimal("40000.00"), institution="工行", on_date=PERIOD)
    record("securities", second, amount=Decimal("22400.00"), institution="证券", on_date=PERIOD)
    run()
    assert findings(Kind.ASSETS_OVER_LIMIT) == []


def test_assets_a_fen_over_the_limit_raise_a_finding_with_its_months(grant):
    first, second = members(grant)
    record("deposits", first, amount=Decimal("40000.00"), institution="工行", on_date=PERIOD)
    record("insurance", second, amount=Decimal("22400.01"), institution="平安", on_date=PERIOD)
    run()
    (finding,) = findings(Kind.ASSETS_OVER_LIMIT)
    assert finding.subject == f"household:{grant.household_id}"
    assert (finding.town, finding.household, finding.grant) == (grant.town, grant.household, grant)
    assert finding.figures["assets"] == "62400.01"
    assert finding.figures["limit"] == "62400.00"
    assert finding.effective_month == PERIOD
    assert months(finding) == [
        ("2024-06", "0.00", "1600.00", "-1600.00"),
        ("2024-07", "0.00", "1600.00", "-1600.00"),
    ]
    assert finding.overpaid == Decimal("3200.00")
    assert finding.underpaid == Decimal("0.00")
    assert finding.difference_total == Decimal("-3200.00")
    assert finding.state == Finding.State.OPEN


def test_set_aside_records_raise_no_authorisation_and_nothing_else(grant):
    first, _second = members(grant)
    record("deposits", first, amount=Decimal("900000.00"), on_date=PERIOD, authorised=False)
    record("vehicles", first, category="汽车", reference="粤S1", authorised=False)
    run()
    (finding,) = findings()
    assert finding.kind == Kind.NO_AUTHORISATION
    assert finding.subject == f"household:{grant.household_id}"
    assert finding.figures["records"] == 2
    assert finding.months == [] and finding.difference_total == 0


# property, vehicle, business


def test_one_residential_unit_is_allowed(grant):
    record("property", members(grant)[0], category="住宅", reference="U1", on_date=M(2015, 1, 1))
    run()
    assert findings() == []


def test_two_residential_units_raise_property_from_the_first_month_reconciled(grant):
    first, second = members(grant)
    record("property", first, category="住宅", reference="U1", on_date=M(2015, 1, 1))
    record("property", second, category="住宅", reference="U2", on_date=M(2016, 1, 1))
    run()
    (finding,) = findings(Kind.PROPERTY)
    assert finding.figures["residential"] == 2
    # Registered long ago: the months start with the first month reconciled.
    assert [m[0] for m in months(finding)] == [
        "2024-03",
        "2024-04",
        "2024-05",
        "2024-06",
        "2024-07",
    ]
    assert finding.overpaid == Decimal("8000.00")


def test_any_non_residential_unit_raises_property(grant):
    record("property", members(grant)[0], category="非住宅", reference="S1", on_date=M(2024, 5, 2))
    run()
    (finding,) = findings(Kind.PROPERTY)
    assert finding.figures["non_residential"] == 1
    assert months(finding)[0] == ("2024-05", "1600.00", "1600.00", "0.00")
    assert finding.overpaid == Decimal("3200.00")


@pytest.mark.parametrize("vehicle_type", ["摩托车", "残疾人专用车"])
def test_exempt_vehicle_types_raise_nothing(grant, vehicle_type):
    record("vehicles", members(grant)[0], category=vehicle_type, reference="粤S1")
    run()
    assert findings() == []


def test_a_car_raises_vehicle(grant):
    record("vehicles", members(grant)[0], category="汽车", reference="粤S1", on_date=PERIOD)
    run()
    (finding,) = findings(Kind.VEHICLE)
    assert finding.figures["vehicles"] == 1
    assert finding.overpaid == Decimal("3200.00")


def test_exempt_types_come_from_the_matching_rule(grant):
    MatchingRule.objects.update(exempt_vehicle_types=["汽车"])
    record("vehicles", members(grant)[0], category="汽车", reference="粤S1")
    run()
    assert findings() == []


def test_a_cancelled_business_raises_nothing(grant):
    record("business", members(grant)[0], reference="91441900X", status="注销", role="经营者")
    run()
    assert findings() == []


def test_a_live_business_raises_business(grant):
    record("business", members(grant)[0], reference="91441900X", status="存续", role="股东")
    run()
    (finding,) = findings(Kind.BUSINESS)
    assert finding.figures["businesses"] == 1


# death, moved out


def test_a_death_raises_death_with_the_smaller_amount_after_it(grant):
    _first, second = members(grant)
    record("deaths", second, on_date=M(2024, 4, 10))
    run()
    (finding,) = findings(Kind.DEATH)
    assert finding.subject == f"person:{second.pk}"
    assert finding.person == second
    assert finding.figures == {"date": "2024-04-10"}
    # From May one member is left: (1,300 − 1,000) × 1 = 300.00.
    assert months(finding) == [
        ("2024-04", "1600.00", "1600.00", "0.00"),
        ("2024-05", "300.00", "1600.00", "-1300.00"),
        ("2024-06", "300.00", "1600.00", "-1300.00"),
        ("2024-07", "300.00", "1600.00", "-1300.00"),
    ]
    assert finding.overpaid == Decimal("3900.00")


def test_a_death_of_someone_who_already_left_raises_nothing(grant):
    _first, second = members(grant)
    grant.household.memberships.filter(person=second).update(
        left_on=M(2024, 4, 10), leave_reason="death"
    )
    record("deaths", second, on_date=M(2024, 4, 10))
    run()
    assert findings(Kind.DEATH) == []


def test_a_move_out_of_the_city_raises_moved_out(grant):
    _first, second = members(grant)
    record("hukou_moves", second, on_date=M(2024, 5, 20), region="440300")
    run()
    (finding,) = findings(Kind.MOVED_OUT)
    assert finding.figures == {"date": "2024-05-20", "region": "440300"}
    assert finding.overpaid == Decimal("2600.00")


def test_a_move_within_the_city_raises_nothing(grant):
    record("hukou_moves", members(grant)[1], on_date=M(2024, 5, 20), region="441900")
    run()
    assert findings() == []


# income_changed (tolerance 100.00)


def pension_line(grant, person, amount):
    IncomeLineFactory(
        household=grant.household,
        person=person,
        income_type=IncomeType.objects.get(code="pension"),
        monthly_amount=Decimal(amount),
        valid_from=M(2024, 1, 1),
    )


def test_a_registry_income_not_in_the_evidence_raises_income_changed(grant):
    first, _second = members(grant)
    record(
        "social_insurance",
        first,
        category="城乡居民养老保险",
        amount=Decimal("500.00"),
        from_month=M(2024, 5, 1),
    )
    run()
    (finding,) = findings(Kind.INCOME_CHANGED)
    assert finding.subject == f"person:{first.pk}:income:pension"
    assert finding.figures["registry"] == "500.00"
    assert finding.figures["recorded"] is None
    # (1,300 − 1,500 / 2) × 2 = 1,100.00 from May.
    assert months(finding)[0] == ("2024-05", "1100.00", "1600.00", "-500.00")
    assert finding.overpaid == Decimal("1500.00")


@pytest.mark.parametrize(
    ("recorded", "raised"),
    [("400.00", False), ("399.99", True), ("600.00", False), ("600.01", True)],
)
def test_income_differing_by_the_tolerance_is_not_a_finding(grant, recorded, raised):
    first, _second = members(grant)
    pension_line(grant, first, recorded)
    record("social_insurance", first, category="城镇职工养老保险", amount=Decimal("500.00"))
    run()
    assert len(findings(Kind.INCOME_CHANGED)) == int(raised)


# enrolled_twice


def test_a_person_covered_by_two_live_grants_is_enrolled_twice(grant):
    first, _second = members(grant)
    other = paid_grant("dalang")
    # A household of another town whose application also covers the person (a legacy record).
    dalang_members = members(other)
    other.application.covered_members.set([*dalang_members, first])
    run()
    (finding,) = findings(Kind.ENROLLED_TWICE)
    assert finding.subject == f"person:{first.pk}"
    # Raised in the town of the later grant, whose months leave the person out.
    assert (finding.town, finding.grant) == (other.town, other)
    assert finding.figures == {"grants": [grant.pk, other.pk]}
    # Without the person covered twice the later grant gives its 1,600.00.
    assert finding.months and all(m["expected"] == "1600.00" for m in finding.months)


def test_a_co_resident_member_of_two_paid_households_is_enrolled_twice(grant):
    # No covered lists: each grant covers its household's co-resident members, and in the
    # period the person is a member of both (registered in 大朗 before leaving 茶山 is recorded:
    # their 茶山 membership ends only after the period).
    first, _second = members(grant)
    grant.household.memberships.filter(person=first).update(
        left_on=datetime.date(2099, 1, 1), leave_reason="moved_out"
    )
    other = paid_grant("dalang")
    MembershipFactory(household=other.household, person=first, relation="other")
    run()
    (finding,) = findings(Kind.ENROLLED_TWICE)
    assert (finding.subject, finding.town, finding.grant) == (
        f"person:{first.pk}",
        other.town,
        other,
    )
    # Raised once, in the later grant's town: the check of 茶山 alone raises nothing.
    Finding.objects.all().delete()
    run("chashan")
    assert findings(Kind.ENROLLED_TWICE) == []


def test_a_named_covered_member_who_moved_to_another_paid_household_is_not_enrolled_twice(grant):
    # The 茶山 application names both members; the second moved to a 大朗 household whose grant
    # covers its members. Having left, they are covered by the 大朗 grant only.
    first, second = members(grant)
    grant.application.covered_members.set([first, second])
    moved = datetime.date(2024, 1, 31)
    grant.household.memberships.filter(person=second).update(
        left_on=moved, leave_reason="moved_out"
    )
    other = paid_grant("dalang")
    MembershipFactory(household=other.household, person=second, relation="other", joined_on=moved)
    run()
    assert findings(Kind.ENROLLED_TWICE) == []


def test_the_members_of_a_household_with_two_live_grants_are_enrolled_twice(grant):
    # One membership each, named by no list: the rule must still read them (it skips people
    # with one membership only when their household has one live grant).
    second = paid_grant(scheme_code="tekun", household=grant.household)
    run()
    found = findings(Kind.ENROLLED_TWICE)
    assert sorted(f.subject for f in found) == sorted(f"person:{p.pk}" for p in members(grant))
    assert {(f.grant_id, tuple(f.figures["grants"])) for f in found} == {
        (second.pk, (grant.pk, second.pk))
    }


def test_one_grant_each_is_not_enrolled_twice(grant):
    paid_grant("dalang")
    run()
    assert findings(Kind.ENROLLED_TWICE) == []


# not_enrolled (low-income monitoring list)


def low_income(person, reference, income, town_slug="chashan", size=3):
    return record(
        "low_income",
        person,
        reference=reference,
        amount=Decimal(income),
        size=size,
        region=town(town_slug).code,
    )


def test_a_monitored_household_below_the_standard_is_not_enrolled(db):
    low_income(None, "LI-001", "800.00")
    low_income(None, "LI-001", "800.00")
    run()
    (finding,) = findings(Kind.NOT_ENROLLED)
    assert finding.subject == "low_income:LI-001"
    assert finding.town == town("chashan")
    assert finding.figures["per_capita_income"] == "800.00"
    assert finding.months == [] and finding.difference_total == 0


def test_a_monitored_household_at_the_standard_or_elsewhere_is_not_raised(db):
    low_income(None, "LI-002", "1300.00")
    low_income(None, "LI-003", "800.00", town_slug="dalang")
    run("chashan")
    assert findings() == []


def test_a_monitored_household_with_a_grant_is_not_raised(grant):
    low_income(members(grant)[0], "LI-004", "800.00")
    run()
    assert findings(Kind.NOT_ENROLLED) == []


def test_a_monitored_household_with_an_open_application_is_not_raised(db):
    household = household_with_members("chashan", size=2)
    ApplicationFactory(household=household, state=Application.State.SUBMITTED)
    person = household.memberships.first().person
    low_income(person, "LI-005", "800.00")
    run()
    assert findings(Kind.NOT_ENROLLED) == []


# amount_differs


def test_a_payment_differing_from_the_calculation_is_amount_differs(db):
    grant = paid_grant()
    grant.household.incomeline_set.update(monthly_amount=Decimal("1100.00"))  # now 1,500.00
    run()
    (finding,) = findings(Kind.AMOUNT_DIFFERS)
    assert finding.subject == f"grant:{grant.pk}"
    assert finding.extract is None and finding.record is None
    assert months(finding)[0] == ("2024-03", "1500.00", "1600.00", "-100.00")
    assert finding.overpaid == Decimal("500.00")


def test_payments_agreeing_with_the_calculation_raise_nothing(grant):
    run()
    assert findings() == []


def test_an_underpaid_month_is_amount_differs_underpaid(db):
    grant = paid_grant()
    line = (
        grant.paymentline_set.get(period=M(2024, 5, 1))
        if hasattr(grant, "paymentline_set")
        else None
    )
    if line is None:
        from payments.models import PaymentLine

        line = PaymentLine.objects.get(grant=grant, period=M(2024, 5, 1))
    line.amount = Decimal("1500.00")
    line.save()
    run()
    (finding,) = findings(Kind.AMOUNT_DIFFERS)
    assert months(finding) == [
        ("2024-05", "1600.00", "1500.00", "100.00"),
        ("2024-06", "1600.00", "1600.00", "0.00"),
        ("2024-07", "1600.00", "1600.00", "0.00"),
    ]
    assert (finding.underpaid, finding.overpaid) == (Decimal("100.00"), Decimal("0.00"))


def test_a_household_with_a_registry_finding_is_not_also_amount_differs(db):
    grant = paid_grant()
    paid_line(grant, M(2024, 8, 1), "1000.00")
    record("vehicles", members(grant)[0], category="汽车", reference="粤S1", on_date=PERIOD)
    run()
    assert [f.kind for f in findings()] == [Kind.VEHICLE]
