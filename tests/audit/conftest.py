"""Shared scenario of the check's tests: a paying dibao grant in 茶山 (two members, 1,000.00
wage income, standard 1,300.00: 1,600.00 a month from March 2024), paid March to July 2024,
checked for June 2024 from March."""

import datetime

import pytest

from cases.models import Role
from tests.factories import approved_grant, staff_user
from tests.payments.test_ledger import paid_line

M = datetime.date
PERIOD = M(2024, 6, 1)
FROM = M(2024, 3, 1)
PAID_MONTHS = [M(2024, month, 1) for month in range(3, 8)]


def paid_grant(town_slug: str = "chashan", **kwargs):
    grant = approved_grant(town_slug=town_slug, **kwargs)
    for month in PAID_MONTHS:
        paid_line(grant, month)
    return grant


def members(grant):
    return [m.person for m in grant.household.memberships.select_related("person").order_by("id")]


@pytest.fixture
def grant(db):
    return paid_grant()


@pytest.fixture
def chashan_workers(db):
    return [
        staff_user("worker-a-chashan", Role.CASE_WORKER, "chashan"),
        staff_user("worker-b-chashan", Role.CASE_WORKER, "chashan"),
    ]
