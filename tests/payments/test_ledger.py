"""The entitlement ledger (payments.ledger): due per the confirmed schedule, paid through paid
lines only, corrections already ordered, the difference; a household's ledger and the city's
totals by town and month, scoped.

The helpers here (paid_line, confirm_entry, order) build batches, lines, schedule entries and
orders directly, so the ledger's tests do not depend on the payment run or the bank returns;
test_corrections.py and test_api_corrections.py import them."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from cases.models import GrantSuspension, ScheduleEntry
from payments import ledger
from payments.models import BackPay, Batch, PayeeAccount, PaymentLine, Recovery
from relief.money import ZERO
from tests.factories import UserFactory, approved_grant, town

pytestmark = pytest.mark.django_db

M = datetime.date
MARCH, APRIL, MAY, JUNE = M(2024, 3, 1), M(2024, 4, 1), M(2024, 5, 1), M(2024, 6, 1)


def account_of(grant) -> PayeeAccount:
    account = PayeeAccount.objects.filter(grant=grant, state="confirmed").first()
    if account is None:
        payee = grant.household.memberships.select_related("person").first().person
        account = PayeeAccount.objects.create(
            grant=grant,
            payee=payee,
            bank_name="东莞农村商业银行",
            account_holder=payee.name,
            account_number="6228480000000001",
            state=PayeeAccount.State.CONFIRMED,
            proposed_by=UserFactory(),
            proposed_at=timezone.now(),
        )
    return account


def paid_line(
    grant,
    period: datetime.date,
    amount: str = "1600.00",
    *,
    status: str = PaymentLine.Status.PAID,
    kind: str = PaymentLine.Kind.REGULAR,
) -> PaymentLine:
    """A line of a reconciled batch of the grant's town (paid unless told otherwise)."""
    account = account_of(grant)
    batch = Batch.objects.create(
        kind=Batch.Kind.MONTHLY,
        town=grant.town,
        period=period,
        business_date=period,
        state=Batch.State.RECONCILED if status != PaymentLine.Status.PENDING else "sent",
    )
    return PaymentLine.objects.create(
        batch=batch,
        grant=grant,
        period=period,
        kind=kind,
        amount=Decimal(amount),
        status=status,
        seq=1,
        payee=account.payee,
        account=account,
        bank_name=account.bank_name,
        account_holder=account.account_holder,
        account_number=account.account_number,
    )


def confirm_entry(grant, from_month: datetime.date, amount: str, *, confirmed_by=None):
    """A confirmed schedule entry of the grant from `from_month`, written directly (the one
    from the same month it replaces is superseded, as schedule_confirm does)."""
    grant.schedule.filter(from_month=from_month, state=ScheduleEntry.State.CONFIRMED).update(
        state=ScheduleEntry.State.SUPERSEDED
    )
    return ScheduleEntry.objects.create(
        grant=grant,
        from_month=from_month,
        amount=Decimal(amount),
        kind=ScheduleEntry.Kind.RECALCULATION,
        state=ScheduleEntry.State.CONFIRMED,
        reason="Income reported late.",
        proposed_by=UserFactory(),
        confirmed_by=confirmed_by or UserFactory(),
        confirmed_at=timezone.now(),
    )


def order(model, grant, months: dict, *, state="confirmed", created_by=None, **fields):
    """A correction order written directly."""
    amount = sum((Decimal(value) for value in months.values()), Decimal("0.00"))
    if model is Recovery:
        fields.setdefault("balance", amount)
    return model.objects.create(
        grant=grant,
        months=months,
        amount=amount,
        reason="Audit finding.",
        state=state,
        created_at=timezone.now(),
        created_by=created_by,
        **fields,
    )


def as_tuples(rows):
    return [(row.month, row.due, row.paid, row.corrected, row.difference) for row in rows]


@pytest.fixture
def grant(db):
    """Dibao from March 2024 at 1,600.00 a month (tests.factories.approved_grant)."""
    return approved_grant(starts_month=MARCH)


# A grant's ledger


def test_ledger_row_is_due_minus_paid_to_the_fen(grant):
    confirm_entry(grant, APRIL, "1450.55")
    paid_line(grant, MARCH)
    paid_line(grant, APRIL, "1600.00")

    rows = ledger.grant_ledger(grant=grant, from_month=MARCH, to_month=MAY)

    assert as_tuples(rows) == [
        (MARCH, Decimal("1600.00"), Decimal("1600.00"), Decimal("0.00"), Decimal("0.00")),
        (APRIL, Decimal("1450.55"), Decimal("1600.00"), Decimal("0.00"), Decimal("-149.45")),
        (MAY, Decimal("1450.55"), Decimal("0.00"), Decimal("0.00"), Decimal("1450.55")),
    ]
    assert {row.grant_id for row in rows} == {grant.pk}


def test_only_paid_lines_count_as_paid(grant):
    paid_line(grant, MARCH, status=PaymentLine.Status.PENDING)
    paid_line(grant, APRIL, status=PaymentLine.Status.FAILED)
    paid_line(grant, MAY, status=PaymentLine.Status.REVERSED)

    rows = ledger.grant_ledger(grant=grant, from_month=MARCH, to_month=MAY)

    assert [row.paid for row in rows] == [Decimal("0.00")] * 3
    # At the bank, or failed and waiting for its reissue: on its way, not owed again.
    assert [row.on_the_way for row in rows] == [Decimal("1600.00"), Decimal("1600.00"), ZERO]
    assert [row.difference for row in rows] == [ZERO, ZERO, Decimal("1600.00")]


def test_a_reissued_line_that_was_paid_counts_once(grant):
    failed = paid_line(grant, MARCH, status=PaymentLine.Status.FAILED)
    reissue = paid_line(grant, MARCH)
    reissue.replaces = failed
    reissue.save()

    (row,) = ledger.grant_ledger(grant=grant, from_month=MARCH, to_month=MARCH)

    assert (row.paid, row.difference) == (Decimal("1600.00"), Decimal("0.00"))


def test_backpay_and_deduction_lines_are_not_entitlement_payments(grant):
    paid_line(grant, MARCH)
    paid_line(grant, MARCH, "300.00", kind=PaymentLine.Kind.BACKPAY)
    paid_line(grant, MARCH, "-100.00", kind=PaymentLine.Kind.DEDUCTION)

    (row,) = ledger.grant_ledger(grant=grant, from_month=MARCH, to_month=MARCH)

    assert row.paid == Decimal("1600.00")


def test_instalment_lines_count_as_paid(grant):
    paid_line(grant, MARCH, "500.00", kind=PaymentLine.Kind.INSTALMENT)

    (row,) = ledger.grant_ledger(grant=grant, from_month=MARCH, to_month=MARCH)

    assert row.paid == Decimal("500.00")


def test_orders_count_as_corrections_by_month_unless_rejected(grant):
    for month in (MARCH, APRIL, MAY):
        paid_line(grant, month)
    confirm_entry(grant, MARCH, "1450.00")
    order(Recovery, grant, {"2024-03": "150.00", "2024-04": "150.00"}, state="proposed")
    order(BackPay, grant, {"2024-04": "20.00"}, state="settled")
    order(Recovery, grant, {"2024-05": "150.00"}, state="rejected")
    order(Recovery, grant, {"2024-06": "99.00"}, state="confirmed")  # outside the range

    rows = ledger.grant_ledger(grant=grant, from_month=MARCH, to_month=MAY)

    assert [(row.corrected, row.difference) for row in rows] == [
        (Decimal("-150.00"), Decimal("0.00")),
        (Decimal("-130.00"), Decimal("-20.00")),
        (Decimal("0.00"), Decimal("-150.00")),
    ]


def test_suspended_months_are_not_due(grant, supervisor_chashan):
    GrantSuspension.objects.create(
        grant=grant,
        from_month=APRIL,
        resumed_month=MAY,
        reason="Away.",
        suspended_by=supervisor_chashan,
    )

    rows = ledger.grant_ledger(grant=grant, from_month=MARCH, to_month=MAY)

    assert [row.due for row in rows] == [Decimal("1600.00"), Decimal("0.00"), Decimal("1600.00")]


def test_months_outside_the_grant_show_only_when_something_happened(grant):
    grant.ends_month = APRIL
    grant.save()
    paid_line(grant, JUNE)  # paid after the grant ended: the ledger must show it

    rows = ledger.grant_ledger(grant=grant, from_month=M(2024, 1, 1), to_month=JUNE)

    assert as_tuples(rows) == [
        (MARCH, Decimal("1600.00"), Decimal("0.00"), Decimal("0.00"), Decimal("1600.00")),
        (APRIL, Decimal("1600.00"), Decimal("0.00"), Decimal("0.00"), Decimal("1600.00")),
        (JUNE, Decimal("0.00"), Decimal("1600.00"), Decimal("0.00"), Decimal("-1600.00")),
    ]


@pytest.mark.parametrize(
    ("from_month", "to_month", "field"),
    [
        (MAY, MARCH, "to_month"),
        (M(2024, 3, 2), MAY, "from_month"),
        (MARCH, M(2034, 3, 1), "to_month"),  # 121 months
        ("2024-03", MAY, "from_month"),
    ],
)
def test_a_bad_range_is_refused_naming_the_field(grant, from_month, to_month, field):
    with pytest.raises(ValidationError) as exc:
        ledger.grant_ledger(grant=grant, from_month=from_month, to_month=to_month)

    assert field in exc.value.message_dict


def test_a_long_range_is_read_in_few_queries(grant, django_assert_max_num_queries):
    paid_line(grant, MARCH)

    with django_assert_max_num_queries(7):
        rows = ledger.grant_ledger(grant=grant, from_month=M(2016, 1, 1), to_month=M(2025, 12, 1))

    assert len(rows) == 22  # March 2024 to December 2025
    assert rows[0].paid == Decimal("1600.00")


# A household's ledger


def test_household_ledger_lists_every_grant_of_the_household(grant):
    temporary = approved_grant(
        scheme_code="temp_emergency",
        starts_month=APRIL,
        amount=Decimal("800.00"),
        household=grant.household,
    )
    temporary.ends_month = APRIL
    temporary.save()
    paid_line(temporary, APRIL, "800.00", kind=PaymentLine.Kind.INSTALMENT)
    other = approved_grant(starts_month=MARCH)  # another household
    paid_line(other, MARCH)

    rows = ledger.household_ledger(household=grant.household, from_month=MARCH, to_month=MAY)

    assert [(row.grant_id, row.month, row.due, row.paid) for row in rows] == [
        (grant.pk, MARCH, Decimal("1600.00"), Decimal("0.00")),
        (grant.pk, APRIL, Decimal("1600.00"), Decimal("0.00")),
        (grant.pk, MAY, Decimal("1600.00"), Decimal("0.00")),
        (temporary.pk, APRIL, Decimal("800.00"), Decimal("800.00")),
    ]


# City totals


@pytest.fixture
def two_towns(grant):
    dalang = approved_grant(town_slug="dalang", starts_month=APRIL, amount=Decimal("900.00"))
    paid_line(grant, MARCH)
    paid_line(grant, APRIL, "1500.00")
    paid_line(dalang, APRIL, "900.00")
    order(BackPay, dalang, {"2024-04": "10.00"}, state="proposed")
    return grant, dalang


def totals_of(user):
    return [
        (row.town_code, row.month, row.due, row.paid, row.corrected, row.difference)
        for row in ledger.city_totals(user=user, from_month=MARCH, to_month=APRIL)
    ]


def test_city_totals_by_town_and_month(two_towns, city_supervisor):
    chashan, dalang = town("chashan").code, town("dalang").code

    assert totals_of(city_supervisor) == [
        (chashan, MARCH, Decimal("1600.00"), Decimal("1600.00"), Decimal("0.00"), Decimal("0.00")),
        (
            chashan,
            APRIL,
            Decimal("1600.00"),
            Decimal("1500.00"),
            Decimal("0.00"),
            Decimal("100.00"),
        ),
        (dalang, APRIL, Decimal("900.00"), Decimal("900.00"), Decimal("10.00"), Decimal("-10.00")),
    ]


def test_city_totals_sum_the_grants_of_a_town(grant, city_supervisor):
    approved_grant(starts_month=MARCH, amount=Decimal("700.25"))
    ended = approved_grant(starts_month=M(2023, 1, 1), amount=Decimal("999.00"))
    ended.ends_month = M(2024, 2, 1)
    ended.save()

    rows = ledger.city_totals(user=city_supervisor, from_month=MARCH, to_month=MARCH)

    assert [(row.due, row.paid) for row in rows] == [(Decimal("2300.25"), Decimal("0.00"))]


def test_city_totals_are_scoped_to_the_users_towns(two_towns, worker_chashan, worker_dalang):
    assert {row[0] for row in totals_of(worker_chashan)} == {town("chashan").code}
    assert {row[0] for row in totals_of(worker_dalang)} == {town("dalang").code}


def test_an_administrator_sees_no_totals(two_towns, administrator):
    assert totals_of(administrator) == []


# Scoped reads


def test_orders_are_scoped_by_the_grants_town(grant, worker_chashan, worker_dalang, auditor):
    recovery = order(Recovery, grant, {"2024-03": "1.00"})
    backpay = order(BackPay, grant, {"2024-03": "1.00"})

    assert list(ledger.recoveries_in_scope(worker_chashan)) == [recovery]
    assert list(ledger.backpays_in_scope(auditor)) == [backpay]
    assert not ledger.recoveries_in_scope(worker_dalang).exists()
    assert not ledger.backpays_in_scope(worker_dalang).exists()


def test_orders_awaiting_a_supervisor_exclude_their_own(
    grant, supervisor_chashan, city_supervisor, worker_chashan
):
    own = order(
        Recovery, grant, {"2024-03": "1.00"}, state="proposed", created_by=supervisor_chashan
    )
    system = order(Recovery, grant, {"2024-04": "1.00"}, state="proposed")
    order(Recovery, grant, {"2024-05": "1.00"}, state="confirmed")
    orders = ledger.recoveries_in_scope(city_supervisor)

    assert set(ledger.orders_awaiting(user=supervisor_chashan, orders=orders)) == {system}
    assert set(ledger.orders_awaiting(user=city_supervisor, orders=orders)) == {own, system}
    assert not ledger.orders_awaiting(user=worker_chashan, orders=orders).exists()
