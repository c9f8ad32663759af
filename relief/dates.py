"""Months and "today" for services: a month is the date of its first day; services that depend
on today take `today`/`now` arguments so that tests pin time (STYLE.md, "Time")."""

import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _


def when(today: datetime.date | None, now: datetime.datetime | None):
    """(today, now) from the arguments a service was given: tests pin time, callers do not."""
    now = now or timezone.now()
    return today or timezone.localdate(now), now


def first_of_month(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def add_months(month: datetime.date, n: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 + n
    return datetime.date(index // 12, index % 12 + 1, 1)


def month_key(month: datetime.date) -> str:
    """A month as "YYYY-MM", the key of stored per-month amounts and of month parameters."""
    return month.strftime("%Y-%m")


def parse_month_key(key: str, field: str = "months") -> datetime.date:
    """ "YYYY-MM" as the first day of that month; anything else is an error on `field`."""
    try:
        if len(key) != 7 or key[4] != "-":
            raise ValueError(key)
        return datetime.date(int(key[:4]), int(key[5:]), 1)
    except (TypeError, ValueError):
        raise ValidationError(
            {field: _("“%(value)s” is not a month: write YYYY-MM.") % {"value": key}}
        ) from None


def past_date(day, field: str, today: datetime.date) -> datetime.date:
    """A date that has happened (a refund received, a decision taken), as an error on `field`
    when it is not a date or lies in the future."""
    if not isinstance(day, datetime.date) or isinstance(day, datetime.datetime):
        raise ValidationError({field: _("Give a date.")})
    if day > today:
        raise ValidationError({field: _("The date is in the future.")})
    return day
