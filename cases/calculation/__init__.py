"""THE benefit calculation (DOMAIN.md §5). Approval, schedule proposals, standard changes, the
monthly payment run and the monthly data check all use it; nothing else computes an amount.

A pure formula fed by a loader (DESIGN.md), so one case and a town's chunk follow one rule:

- `loading.py`: reads everything valid on the calculation's date (memberships, income lines,
  assets, the scheme's rule, the standard, the add-ons, the income-type rules) for one household
  or a chunk of them, in a fixed number of queries whatever the chunk's size;
- `inputs.py`: what the loader hands the formula for one household, and the errors for missing
  inputs;
- `formula.py`: the arithmetic and the checks, with no database access at all;
- `results.py`: the explained `Calculation` it returns, and the temporary-assistance `Band`;
- `display.py`: labels and display rows for a stored calculation, and the message of a step
  refused because the household is not eligible.

`calculate(...)` is one household (load, then formula: 8 queries, 9 with a scheme code);
`calculate_many(items)` a chunk (the same 8 queries for the whole chunk), each item's
ValidationError returned beside the others' results rather than raised.
"""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from relief.money import format_money, to_fen

from ..models import Household, Scheme, Town
from . import formula
from .display import CHECK_LABELS, FIGURE_LABELS, SOURCE_LABELS, calculation_rows, refusal_message
from .inputs import DIBAO_CODE, named, require_month
from .loading import (
    Item,
    counted_income_types,
    income_type_counted,
    load_chunk,
    load_inputs,
    resolve_scheme,
    scheme_rule,
    standard_for,
)
from .results import AddOnLine, Band, Calculation, Check, CheckCode, RuleSource

__all__ = [
    "CHECK_LABELS",
    "DIBAO_CODE",
    "FIGURE_LABELS",
    "SOURCE_LABELS",
    "AddOnLine",
    "Band",
    "Calculation",
    "Check",
    "CheckCode",
    "Item",
    "Outcome",
    "RuleSource",
    "calculate",
    "calculate_many",
    "calculation_rows",
    "check_proposed_amount",
    "counted_income_types",
    "refusal_message",
    "income_type_counted",
    "scheme_rule",
    "standard_for",
    "temporary_band",
]


def calculate(
    *,
    household: Household,
    scheme: Scheme | str,
    month: datetime.date,
    as_of: datetime.date | None = None,
    covered_person_ids: list[int] | None = None,
) -> Calculation:
    """The amount due to `household` under `scheme` for `month`, with every figure and check
    (the rules: `formula.calculate`). Everything is read as valid on `as_of`, by default the
    first day of the month."""
    require_month(month)
    return formula.calculate(
        load_inputs(
            household=household,
            scheme=scheme,
            month=month,
            as_of=as_of,
            covered_person_ids=covered_person_ids,
        )
    )


@dataclass(frozen=True)
class Outcome:
    """One item's calculation, or the ValidationError `calculate` would have raised for it."""

    item: Item
    calculation: Calculation | None = None
    error: ValidationError | None = None


def calculate_many(items: Sequence[Item]) -> list[Outcome]:
    """`calculate` for each item (e.g. a chunk of a town's grants), in the items' order: the same
    results, read in a fixed number of queries for the whole chunk (`loading.load_chunk`). The
    caller chooses the chunk's size; every item is held in memory with its rows."""
    outcomes = []
    for item, inputs in zip(items, load_chunk(items), strict=True):
        try:
            outcomes.append(Outcome(item, calculation=formula.calculate(inputs)))
        except ValidationError as error:
            outcomes.append(Outcome(item, error=error))
    return outcomes


# --- temporary assistance -----------------------------------------------------------------------


def temporary_band(*, scheme: Scheme | str, town: Town | int | None, on: datetime.date) -> Band:
    """The band for a proposed temporary-assistance amount on `on` in the town
    (`formula.band`)."""
    scheme = resolve_scheme(scheme)
    return formula.band(
        scheme_rule(scheme=scheme, on=on), standard_for(scheme=scheme, town=town, on=on)
    )


def check_proposed_amount(
    *, scheme: Scheme | str, town: Town | int | None, on: datetime.date, amount: Decimal
) -> bool:
    """Validate a proposed temporary-assistance amount against the band. Returns True when the
    amount needs the city supervisor (above the town's approval threshold)."""
    scheme = resolve_scheme(scheme)
    band = temporary_band(scheme=scheme, town=town, on=on)
    message = _(
        "The proposed amount must be between %(minimum)s and %(maximum)s yuan (band of "
        "%(scheme)s on %(date)s)."
    ) % {
        "minimum": format_money(band.minimum),
        "maximum": format_money(band.maximum),
        **named(scheme, on),
    }
    if not isinstance(amount, Decimal) or to_fen(amount) != amount:
        raise ValidationError({"proposed_amount": message})
    if not band.minimum <= amount <= band.maximum:
        raise ValidationError({"proposed_amount": message})
    return amount > band.town_threshold
