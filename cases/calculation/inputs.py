"""What the loader hands the formula for one household: plain rows valid on as_of, and the
dated rule rows already chosen. The errors for inputs that are missing live here too, so the
formula and the loader's own look-ups (`scheme_rule`, `standard_for`) word them alike."""

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from ..models import AddOn, IncomeTypeRule, Scheme, SchemeRule, Standard

# The standard every scheme is measured against: tekun's basic standard and the temporary
# assistance band are multiples of the dibao standard (DOMAIN.md §5).
DIBAO_CODE = "dibao"


@dataclass(frozen=True, slots=True)
class Member:
    """A co-resident member on as_of, with what the add-on categories read."""

    person_id: int
    name: str
    birth_date: datetime.date
    disability_grade: int
    serious_illness: bool


@dataclass(frozen=True, slots=True)
class IncomeRow:
    """An income line valid on as_of."""

    person_id: int | None
    income_type_id: int
    monthly_amount: Decimal


@dataclass(frozen=True, slots=True)
class AssetRow:
    """An asset valid on as_of."""

    person_id: int | None
    kind: str
    value: Decimal
    units: int
    exempt: bool


@dataclass(frozen=True)
class Inputs:
    """Everything the formula reads for one household, valid on `as_of`."""

    month: datetime.date
    as_of: datetime.date
    scheme_code: str
    scheme: Scheme | None  # None: there is no scheme of that code
    rule: SchemeRule | None  # None: no rule of the scheme is in force on as_of
    # The dibao standard row for the household's town (the town's row, else the city-wide one);
    # None when there is none (and always for temporary schemes, which need none).
    standard: Standard | None
    members: Sequence[Member]  # in the order they joined
    income_lines: Sequence[IncomeRow]
    # Whether each income type is counted on as_of, with the IncomeTypeRule row that says so
    # (None: the type's default), in income-type code order.
    income_types: Mapping[int, tuple[bool, IncomeTypeRule | None]]
    assets: Sequence[AssetRow]
    add_ons: Mapping[str, AddOn]  # the add-on row in force by category
    covered_person_ids: list[int] | None = None  # None: every member is covered


def require_month(month: datetime.date) -> None:
    if month.day != 1:
        raise ValidationError({"month": _("A month is given as its first day.")})


def no_scheme_error(code: str) -> ValidationError:
    return ValidationError({"scheme": _("There is no scheme “%s”.") % code})


def no_rule_error(scheme: Scheme, on: datetime.date) -> ValidationError:
    return ValidationError(
        {"scheme": _("No rule of %(scheme)s is in force on %(date)s.") % named(scheme, on)}
    )


def no_standard_error(scheme: Scheme, on: datetime.date) -> ValidationError:
    return ValidationError(
        {"scheme": _("No standard of %(scheme)s is in force on %(date)s.") % named(scheme, on)}
    )


def named(scheme: Scheme, on: datetime.date) -> dict:
    return {"scheme": scheme, "date": on.isoformat()}
