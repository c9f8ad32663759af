"""Entitlement ledger pages (payments/views/ledger.py): a household's ledger per grant and month,
linked from the household's page; the city totals by town and month, scoped to the user's towns,
with a CSV download recorded as an audit event; a range the ledger refuses named on the page."""

from decimal import Decimal

import pytest
from django.urls import reverse

from relief.models import AuditEvent
from tests.factories import approved_grant, town
from tests.payments.test_ledger import APRIL, MARCH, MAY, confirm_entry, paid_line

pytestmark = pytest.mark.django_db


@pytest.fixture
def grant(db):
    """Dibao from March 2024 at 1,600.00, paid for March to May; from March it is 1,450.00."""
    grant = approved_grant(starts_month=MARCH)
    for month in (MARCH, APRIL, MAY):
        paid_line(grant, month)
    confirm_entry(grant, MARCH, "1450.00")
    return grant


def ledger_url(grant) -> str:
    return reverse("payments:household-ledger", args=[grant.household_id])


def summary(response) -> str:
    return " | ".join(response.context["summary"])


def test_the_household_page_links_to_its_ledger(client, worker_chashan, grant):
    client.force_login(worker_chashan)
    page = client.get(reverse("cases:household-detail", args=[grant.household_id]))
    assert ledger_url(grant) in page.content.decode()


def test_the_household_ledger_shows_due_paid_and_difference_per_month(client, auditor, grant):
    client.force_login(auditor)

    response = client.get(ledger_url(grant), {"start": "2024-03", "end": "2024-06"})

    assert response.status_code == 200
    [section] = response.context["sections"]
    assert section["grant"] == grant
    assert [(row.month, row.due, row.paid, row.difference) for row in section["rows"]] == [
        (MARCH, Decimal("1450.00"), Decimal("1600.00"), Decimal("-150.00")),
        (APRIL, Decimal("1450.00"), Decimal("1600.00"), Decimal("-150.00")),
        (MAY, Decimal("1450.00"), Decimal("1600.00"), Decimal("-150.00")),
        (MAY.replace(month=6), Decimal("1450.00"), Decimal("0.00"), Decimal("1450.00")),
    ]
    assert section["totals"]["difference"] == Decimal("1000.00")
    page = response.content.decode()
    assert f'data-testid="ledger-{grant.pk}-2024-03"' in page
    assert "due 5,800.00, paid 4,800.00, corrected 0.00, difference 1,000.00 yuan" in page


def test_the_household_ledger_defaults_to_the_first_grants_month_until_now(client, auditor, grant):
    client.force_login(auditor)
    response = client.get(ledger_url(grant))
    assert response.context["start"] == MARCH
    assert response.context["sections"][0]["rows"][0].month == MARCH


def test_a_range_the_ledger_refuses_is_named(client, auditor, grant):
    client.force_login(auditor)

    backwards = client.get(ledger_url(grant), {"start": "2024-05", "end": "2024-03"})
    too_long = client.get(ledger_url(grant), {"start": "2000-01", "end": "2024-03"})

    assert backwards.status_code == 400
    assert "To month: The last month comes before the first month." in summary(backwards)
    assert too_long.status_code == 400
    assert "Ask for at most 120 months at a time." in summary(too_long)


def test_another_towns_household_ledger_is_404(client, worker_dalang, administrator, grant):
    client.force_login(worker_dalang)
    assert client.get(ledger_url(grant)).status_code == 404
    client.force_login(administrator)
    assert client.get(ledger_url(grant)).status_code == 403


def test_city_totals_are_scoped_to_the_users_towns(client, city_supervisor, worker_dalang, grant):
    other = approved_grant(town_slug="dalang", starts_month=MARCH, amount=Decimal("900.00"))
    paid_line(other, MARCH, "900.00")
    params = {"start": "2024-03", "end": "2024-03"}

    client.force_login(city_supervisor)
    city = client.get(reverse("payments:city-totals"), params)
    client.force_login(worker_dalang)
    dalang = client.get(reverse("payments:city-totals"), params)

    assert [(row.town_code, row.due, row.paid) for row in city.context["rows"]] == [
        (town("chashan").code, Decimal("1450.00"), Decimal("1600.00")),
        (town("dalang").code, Decimal("900.00"), Decimal("900.00")),
    ]
    assert city.context["totals"]["difference"] == Decimal("-150.00")
    assert [row.town_code for row in dalang.context["rows"]] == [town("dalang").code]
    assert "茶山" not in dalang.content.decode().split('data-testid="city-totals"')[1]


def test_the_city_totals_csv_is_an_audited_export(client, auditor, grant):
    client.force_login(auditor)
    page = client.get(reverse("payments:city-totals"), {"start": "2024-03", "end": "2024-04"})
    assert reverse("payments:city-totals-csv") + "?start=2024-03&amp;end=2024-04" in (
        page.content.decode()
    )

    response = client.get(
        reverse("payments:city-totals-csv"), {"start": "2024-03", "end": "2024-04"}
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Town code,Town,Month,Due (yuan)")
    assert lines[1:] == [
        f'{town("chashan").code},{grant.town.name},2024-03,"1,450.00","1,600.00",0.00,-150.00',
        f'{town("chashan").code},{grant.town.name},2024-04,"1,450.00","1,600.00",0.00,-150.00',
    ]
    event = AuditEvent.objects.get(action="export")
    assert event.actor == auditor
    assert event.data == {
        "what": "ledger_city_totals",
        "from_month": "2024-03",
        "to_month": "2024-04",
        "rows": 2,
    }


def test_a_refused_csv_range_exports_nothing(client, auditor, grant):
    client.force_login(auditor)
    response = client.get(
        reverse("payments:city-totals-csv"), {"start": "2024-05", "end": "2024-03"}
    )
    assert response.status_code == 400
    assert not AuditEvent.objects.filter(action="export").exists()
