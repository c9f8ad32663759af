"""A `Change`: one piece of registry data read as evidence for one household from a date on
(REGISTRIES.md, DOMAIN.md §5). The calculation's two forms read it alike: the reference
(audit/amounts.py) lays it over the loader's inputs, the SQL (audit/calculation_sql.py) over the
evidence tables.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from relief.money import ZERO

__all__ = ["ASSETS", "INCOME", "LEAVES", "Change"]

ASSETS, INCOME, LEAVES = "assets", "income", "leaves"


@dataclass(frozen=True)
class Change:
    """Registry data read as evidence for one household from `on` (see the module docstring)."""

    household_id: int
    person_id: int
    on: datetime.date
    what: str  # ASSETS, INCOME or LEAVES
    asset_kind: str = ""  # ASSETS: a cases Asset.Kind value
    value: Decimal = ZERO  # ASSETS: the row's value
    units: int = 1  # ASSETS: the row's units
    exempt: bool = False  # ASSETS: e.g. an exempt vehicle type
    income_type_id: int | None = None  # INCOME
    amount: Decimal = ZERO  # INCOME: a month
