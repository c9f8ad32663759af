"""What registry records say as evidence (REGISTRIES.md, DOMAIN.md §5): one place that turns a
person's records of a source into `audit.amounts.Change`s. The check reads them to compute a
finding's months; a confirmed finding writes them into cases' dated evidence (source
`registry`). Both therefore take the registry's word the same way:

- deposits, securities, insurance: the person's financial assets of that kind are the sum of the
  period's rows (one per institution), from the rows' latest date; a person absent from the
  extract holds nothing there;
- property: residential and non-residential units, one per row, from the latest registration;
- vehicles: one vehicle per row; a type the matching rule exempts is an exempt vehicle;
- business: one registration per role whose 状态 is 存续 (a 注销 business counts for nothing);
- deaths, hukou_moves: the person leaves the household on that date;
- social_insurance: a monthly income from its start month (养老 benefits as pension, others as
  other transfer income);
- low_income: no evidence (the monitoring list only finds households not yet enrolled).
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal

from cases.models import Asset, IncomeType

from .amounts import ASSETS, INCOME, LEAVES, Change
from .models import RegistryRecord

ZERO = Decimal("0.00")
FINANCIAL = {
    "deposits": Asset.Kind.DEPOSIT,
    "securities": Asset.Kind.SECURITIES,
    "insurance": Asset.Kind.INSURANCE,
}
PROPERTY_USES = {"住宅": Asset.Kind.RESIDENTIAL, "非住宅": Asset.Kind.NON_RESIDENTIAL}
LEAVING_SOURCES = ("deaths", "hukou_moves")
# Social insurance benefits whose 险种 names a pension are pensions; the others (unemployment,
# work injury, ...) other transfer income (DOMAIN.md §5's counted income types).
PENSION_MARK = "养老"


def effective_date(record: RegistryRecord) -> datetime.date:
    """The day the record's data holds from: its date (its start month), else its period."""
    return record.on_date or record.from_month or record.period


def income_type_for(category: str, types: dict[str, int]) -> int:
    return types["pension"] if PENSION_MARK in category else types["transfer"]


def changes_for(
    records: Sequence[RegistryRecord],
    *,
    household_of: dict[int, int],
    exempt_vehicle_types: Iterable[str] = (),
) -> list[Change]:
    """The changes the (authorised) records of one source and period say, for the people of
    `household_of` ({person id: household id}). Records of other people are left out."""
    exempt = set(exempt_vehicle_types)
    by_person: dict[tuple[int, str], list[RegistryRecord]] = defaultdict(list)
    for record in records:
        if record.person_id in household_of and record.authorised:
            by_person[(record.person_id, record.source.code)].append(record)
    types = None
    changes = []
    for (person_id, code), rows in sorted(by_person.items()):
        household_id = household_of[person_id]
        on = max(effective_date(row) for row in rows)

        def change(what, household_id=household_id, person_id=person_id, **fields):
            return Change(household_id=household_id, person_id=person_id, what=what, **fields)

        if code in FINANCIAL:
            total = sum((row.amount or ZERO for row in rows), ZERO)
            changes.append(change(ASSETS, on=on, asset_kind=FINANCIAL[code], value=total))
        elif code == "property":
            for use, kind in PROPERTY_USES.items():
                units = sum(1 for row in rows if row.category == use)
                changes.append(change(ASSETS, on=on, asset_kind=kind, units=units))
        elif code == "vehicles":
            counted = sum(1 for row in rows if row.category not in exempt)
            changes.append(change(ASSETS, on=on, asset_kind=Asset.Kind.VEHICLE, units=counted))
            for row in rows:
                if row.category in exempt:
                    changes.append(
                        change(ASSETS, on=on, asset_kind=Asset.Kind.VEHICLE, units=1, exempt=True)
                    )
        elif code == "business":
            live = sum(1 for row in rows if row.status == "存续")
            changes.append(change(ASSETS, on=on, asset_kind=Asset.Kind.BUSINESS, units=live))
        elif code in LEAVING_SOURCES:
            changes.append(change(LEAVES, on=min(effective_date(row) for row in rows)))
        elif code == "social_insurance":
            if types is None:
                types = dict(IncomeType.objects.values_list("code", "pk"))
            by_type: dict[int, Decimal] = defaultdict(lambda: ZERO)
            for row in rows:
                by_type[income_type_for(row.category, types)] += row.amount or ZERO
            for income_type_id, amount in by_type.items():
                changes.append(change(INCOME, on=on, income_type_id=income_type_id, amount=amount))
    return changes
