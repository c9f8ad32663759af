"""Findings for the tests of their work (audit/findings.py), written directly: the monthly check
that raises them is tested on its own. A finding here carries the registry record behind it in
an imported extract, as the check leaves it."""

import datetime
import importlib
import itertools
from decimal import Decimal

from django.apps import apps
from django.utils import timezone

from audit.models import Extract, Finding, RegistryRecord, Source

_rows = itertools.count(1)


def sources() -> None:
    """The ten sources and the demo matching rule (migration 0002's data), put back after a
    transactional test's flush."""
    if not Source.objects.exists():
        importlib.import_module("audit.migrations.0002_sources_and_rule").load(apps, None)


def imported_extract(source_code: str, period: datetime.date) -> Extract:
    sources()
    source = Source.objects.get(code=source_code)
    extract = Extract.objects.filter(
        source=source, period=period, state=Extract.State.IMPORTED
    ).first()
    return extract or Extract.objects.create(
        source=source,
        period=period,
        file_name=f"{source_code}-{period:%Y%m}.csv",
        sha256=f"{next(_rows):064x}",
        state=Extract.State.IMPORTED,
        finished_at=timezone.now(),
    )


def registry_record(person, source_code: str, period: datetime.date, **fields) -> RegistryRecord:
    extract = imported_extract(source_code, period)
    return RegistryRecord.objects.create(
        extract=extract,
        source=extract.source,
        period=period,
        row_number=next(_rows),
        person=person,
        name=person.name,
        **fields,
    )


def finding(
    *,
    kind: str,
    grant=None,
    household=None,
    person=None,
    record: RegistryRecord | None = None,
    period: datetime.date = datetime.date(2024, 5, 1),
    effective_month: datetime.date | None = None,
    months: list | None = None,
    assignee=None,
    raised_on: datetime.date | None = None,
    due_on: datetime.date | None = None,
    **fields,
) -> Finding:
    household = household or (grant.household if grant is not None else None)
    months = months or []
    overpaid = -sum(
        (Decimal(m["difference"]) for m in months if Decimal(m["difference"]) < 0), Decimal("0")
    )
    underpaid = sum(
        (Decimal(m["difference"]) for m in months if Decimal(m["difference"]) > 0), Decimal("0")
    )
    subject = f"person:{person.pk}" if person is not None else f"household:{household.pk}"
    return Finding.objects.create(
        kind=kind,
        period=period,
        subject=f"{subject}:{next(_rows)}",
        town=household.town,
        household=household,
        person=person,
        grant=grant,
        record=record,
        extract=record.extract if record is not None else None,
        effective_month=effective_month,
        months=months,
        overpaid=overpaid,
        underpaid=underpaid,
        difference_total=underpaid - overpaid,
        assignee=assignee,
        raised_on=raised_on or timezone.localdate(),
        due_on=due_on,
        **fields,
    )


def month_rows(*rows) -> list[dict]:
    """[("2024-04", "0.00", "1600.00"), ...] as a finding's months."""
    return [
        {
            "month": month,
            "expected": expected,
            "paid": paid,
            "difference": f"{Decimal(expected) - Decimal(paid):.2f}",
        }
        for month, expected, paid in rows
    ]
