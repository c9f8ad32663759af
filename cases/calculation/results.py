"""What the benefit formula returns: a Calculation with its checks, add-on lines and the dated
rows it used (`as_dict()` is what applications and schedule entries store), and the Band of a
temporary-assistance proposal."""

import dataclasses
import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


class CheckCode:
    HAS_MEMBERS = "has_members"
    INCOME_BELOW_STANDARD = "income_below_standard"
    NO_INCOME = "no_income"
    FINANCIAL_ASSETS = "financial_assets"
    RESIDENTIAL = "residential_property"
    NON_RESIDENTIAL = "non_residential_property"
    VEHICLES = "vehicles"
    BUSINESSES = "businesses"


@dataclass(frozen=True)
class Check:
    code: str
    passed: bool
    figures: dict
    source: str


@dataclass(frozen=True)
class AddOnLine:
    person_id: int
    name: str
    category: str
    percent: Decimal
    amount: Decimal


@dataclass(frozen=True)
class RuleSource:
    """One dated row the calculation used, so the explanation can cite it."""

    kind: str  # "scheme_rule", "standard", "add_on", "income_type_rule"
    id: int
    effective_from: datetime.date
    effective_to: datetime.date | None
    source: str
    is_demo: bool


@dataclass(frozen=True)
class Calculation:
    scheme: str
    scheme_kind: str
    month: datetime.date
    as_of: datetime.date
    members: int
    covered: int
    covered_person_ids: list[int]
    # The dibao standard on as_of (town row if any, else city-wide), None for temporary schemes.
    standard: Decimal | None
    standard_town_specific: bool
    # Tekun only: ROUND_HALF_UP(dibao standard × tekun_multiplier).
    basic_standard: Decimal | None
    income: Decimal | None
    excluded_income: Decimal | None
    per_capita: Decimal | None
    base: Decimal | None
    add_ons: list[AddOnLine]
    floor_amount: Decimal | None
    floor_applied: bool
    total: Decimal | None
    eligible: bool
    checks: list[Check]
    demo: bool
    sources: list[RuleSource] = field(default_factory=list)

    def as_dict(self) -> dict:
        """JSON-safe: Decimals as strings ("900.01"), dates as ISO strings. Stored on
        applications and schedule entries; rendered by templates/cases/_calculation.html."""
        return _json_safe(dataclasses.asdict(self))


def _json_safe(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    return value


@dataclass(frozen=True)
class Band:
    """The range a case worker may propose for temporary assistance, and the town's limit."""

    minimum: Decimal
    maximum: Decimal
    town_threshold: Decimal
    standard: Decimal
    sources: list[RuleSource]

    @property
    def demo(self) -> bool:
        return any(source.is_demo for source in self.sources)


def source_of(kind: str, row) -> RuleSource:
    return RuleSource(
        kind=kind,
        id=row.pk,
        effective_from=row.effective_from,
        effective_to=row.effective_to,
        source=row.source,
        is_demo=row.is_demo,
    )
