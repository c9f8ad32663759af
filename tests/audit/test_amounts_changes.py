"""`audit.amounts.apply_changes`: how registry changes are laid over the calculation's inputs
(REGISTRIES.md): a later change for a person and kind replaces earlier ones, changes of one day
add up, a person who leaves is no member. On every database (the definition the SQL follows)."""

import datetime
from decimal import Decimal

import pytest

from audit.amounts import ASSETS, INCOME, LEAVES, Change, apply_changes
from cases.calculation.loading import load_inputs
from cases.models import Asset, IncomeType
from tests.factories import AssetFactory, approved_grant

pytestmark = pytest.mark.django_db

JAN, FEB, MAR = (datetime.date(2025, m, 1) for m in (1, 2, 3))


def change(grant, person, on, what, **fields):
    return Change(grant.household_id, person.pk, on, what, **fields)


def people(grant):
    return [m.person for m in grant.household.memberships.order_by("id")]


def test_apply_changes_keeps_only_the_latest_date_per_person_and_kind():
    grant = approved_grant(starts_month=JAN)
    head = people(grant)[0]
    wage = IncomeType.objects.get(code="wage").pk
    inputs = load_inputs(household=grant.household, scheme="dibao", month=MAR)
    changes = [
        change(grant, head, JAN, INCOME, income_type_id=wage, amount=Decimal("100.00")),
        change(grant, head, FEB, INCOME, income_type_id=wage, amount=Decimal("200.00")),
        change(grant, head, FEB, INCOME, income_type_id=wage, amount=Decimal("50.00")),
        change(grant, head, datetime.date(2025, 4, 1), INCOME, income_type_id=wage),
    ]
    lines = apply_changes(inputs, changes).income_lines
    mine = sorted(line.monthly_amount for line in lines if line.person_id == head.pk)
    assert mine == [Decimal("50.00"), Decimal("200.00")]


def test_a_later_asset_change_replaces_the_recorded_rows_and_earlier_changes():
    grant = approved_grant(starts_month=JAN)
    head = people(grant)[0]
    AssetFactory(household=grant.household, person=head, value=Decimal("9.00"))
    AssetFactory(household=grant.household, person=None, value=Decimal("7.00"))
    deposit = {"asset_kind": Asset.Kind.DEPOSIT}
    changes = [
        change(grant, head, JAN, ASSETS, value=Decimal("100.00"), **deposit),
        change(grant, head, FEB, ASSETS, value=Decimal("20.00"), **deposit),
        change(grant, head, FEB, ASSETS, value=Decimal("30.00"), **deposit),
    ]
    for month, values in (
        (JAN, [Decimal("7.00"), Decimal("100.00")]),
        (MAR, [Decimal("7.00"), Decimal("20.00"), Decimal("30.00")]),
    ):
        inputs = apply_changes(
            load_inputs(household=grant.household, scheme="dibao", month=month), changes
        )
        assert sorted(a.value for a in inputs.assets) == values


def test_a_person_who_leaves_is_no_member_nor_covered():
    grant = approved_grant(starts_month=JAN)
    head, other = people(grant)
    inputs = load_inputs(
        household=grant.household, scheme="dibao", month=FEB, covered_person_ids=[head.pk, other.pk]
    )
    after = apply_changes(inputs, [change(grant, other, datetime.date(2025, 1, 15), LEAVES)])
    assert [m.person_id for m in after.members] == [head.pk]
    assert after.covered_person_ids == [head.pk]
    assert apply_changes(inputs, [change(grant, other, MAR, LEAVES)]) is inputs
