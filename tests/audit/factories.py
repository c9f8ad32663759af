"""Factories for registry extracts, their records and findings (issue 11), written directly in
the database: the check's tests do not go through the import (audit/imports.py)."""

import datetime
import hashlib
import itertools

import factory

from audit.models import Extract, Finding, RegistryRecord, Source
from tests.factories import town

_seq = itertools.count(1)


def source(code: str) -> Source:
    return Source.objects.get(code=code)


class ExtractFactory(factory.django.DjangoModelFactory):
    """An imported extract of a source and period."""

    class Meta:
        model = Extract

    source = factory.LazyFunction(lambda: source("deposits"))
    period = datetime.date(2024, 6, 1)
    file_name = factory.Sequence(lambda n: f"extract{n}.csv")
    sha256 = factory.Sequence(lambda n: hashlib.sha256(f"extract{n}".encode()).hexdigest())
    state = Extract.State.IMPORTED


def live_extract(code: str, period: datetime.date) -> Extract:
    """The imported extract of the source and period, created when there is none."""
    found = Extract.objects.filter(
        source__code=code, period=period, state=Extract.State.IMPORTED
    ).first()
    return found or ExtractFactory(source=source(code), period=period)


class RegistryRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RegistryRecord

    extract = factory.SubFactory(ExtractFactory)
    source = factory.LazyAttribute(lambda o: o.extract.source)
    period = factory.LazyAttribute(lambda o: o.extract.period)
    row_number = factory.LazyFunction(lambda: next(_seq) + 1)


def record(code: str, person, period: datetime.date = datetime.date(2024, 6, 1), **fields):
    """A record of the source's live extract of the period for the person."""
    return RegistryRecordFactory(extract=live_extract(code, period), person=person, **fields)


def replace_extract(code: str, period: datetime.date) -> Extract:
    """Mark the live extract of the source and period replaced by a new, empty one."""
    old = live_extract(code, period)
    old.state = Extract.State.REPLACED
    old.save()
    new = ExtractFactory(source=source(code), period=period)
    old.replaced_by = new
    old.save()
    return new


class FindingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Finding

    period = datetime.date(2024, 6, 1)
    kind = Finding.Kind.PROPERTY
    subject = factory.Sequence(lambda n: f"household:{1000000 + n}")
    town = factory.LazyFunction(lambda: town("chashan"))
