"""The benefit formula (DOMAIN.md §5), pure: it reads only the inputs it is given and never the
database, so one household and a town's chunk go through the same arithmetic.

`calculate(inputs)` takes what `loading` fetched for one household (`inputs.Inputs`: the scheme
and its rule row, the standard row, the co-resident members on as_of, the valid income lines
with whether each income type is counted, the valid assets, the add-on rows, the covered
members) and returns the explained `Calculation`, or raises the ValidationError the case
deserves. Rule rows are model instances the loader fetched; only their own columns are read,
never a related object.
"""

import datetime
from collections.abc import Sequence
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from relief.money import ZERO, money_sum, to_fen

from ..models import AddOn, Asset, Scheme, SchemeRule, Standard
from .inputs import (
    AssetRow,
    Inputs,
    Member,
    no_rule_error,
    no_scheme_error,
    no_standard_error,
    require_month,
)
from .results import AddOnLine, Band, Calculation, Check, CheckCode, source_of

HUNDRED = Decimal("100")


def _age(birth: datetime.date, on: datetime.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _categories(member: Member, rule: SchemeRule, on: datetime.date) -> list[str]:
    """The add-on categories (分类施保) a member falls in on `on`."""
    age = _age(member.birth_date, on)
    categories = []
    if age >= rule.elderly_age:
        categories.append(AddOn.Category.ELDERLY)
    if age < rule.minor_age:
        categories.append(AddOn.Category.MINOR)
    if 0 < member.disability_grade <= rule.severe_disability_max_grade:
        categories.append(AddOn.Category.SEVERE_DISABILITY)
    if member.serious_illness:
        categories.append(AddOn.Category.SERIOUS_ILLNESS)
    return categories


def _asset_checks(
    assets: Sequence[AssetRow], rule: SchemeRule, standard: Decimal, members: int
) -> list[Check]:
    """Asset tests (粤民规字〔2019〕9号): financial assets at most financial_asset_months × standard
    per co-resident member, tested on the household; property, vehicle and business counts at
    most the rule's maximum. Exempt rows (a mobility vehicle, a cleared family shop) are ignored."""
    counted = [asset for asset in assets if not asset.exempt]
    financial = money_sum(a.value for a in counted if a.kind in Asset.FINANCIAL_KINDS)
    limit = to_fen(rule.financial_asset_months * standard * members)
    source = rule.source or "粤民规字〔2019〕9号"
    checks = [
        Check(
            CheckCode.FINANCIAL_ASSETS,
            financial <= limit,
            {
                "financial_assets": financial,
                "limit": limit,
                "months": rule.financial_asset_months,
                "standard": standard,
                "members": members,
            },
            source,
        )
    ]
    for code, kind, maximum in (
        (CheckCode.RESIDENTIAL, Asset.Kind.RESIDENTIAL, rule.max_residential_units),
        (CheckCode.NON_RESIDENTIAL, Asset.Kind.NON_RESIDENTIAL, rule.max_non_residential_units),
        (CheckCode.VEHICLES, Asset.Kind.VEHICLE, rule.max_vehicles),
        (CheckCode.BUSINESSES, Asset.Kind.BUSINESS, rule.max_businesses),
    ):
        units = sum(asset.units for asset in counted if asset.kind == kind)
        checks.append(Check(code, units <= maximum, {"units": units, "maximum": maximum}, source))
    return checks


def _covered(inputs: Inputs) -> list[Member]:
    members = inputs.members
    if inputs.covered_person_ids is None:
        return list(members)
    wanted = set(inputs.covered_person_ids)
    if wanted - {member.person_id for member in members} or not inputs.covered_person_ids:
        raise ValidationError(
            {
                "covered_person_ids": _(
                    "Covered members must be co-resident members of the household on %(date)s."
                )
                % {"date": inputs.as_of.isoformat()}
            }
        )
    return [member for member in members if member.person_id in wanted]


def calculate(inputs: Inputs) -> Calculation:
    """The amount due to one household under a scheme for a month, with every figure and check.

    Dibao (DOMAIN.md §5, national rule):
    - co-resident members: the memberships current on as_of;
    - counted income: the sum of the valid income lines whose type is counted on as_of. A line's
      monthly amount is the declared average of the 6 months before application (Guangdong);
      lines of a person who is not a co-resident member on as_of are left out;
    - per_capita = income ÷ members, unrounded;
    - base = ROUND_HALF_UP((standard − per_capita) × covered, fen), 0 if negative;
    - each add-on = ROUND_HALF_UP(standard × percent ÷ 100), per covered member and category;
    - floor (only when the rule sets floor_percent): base at least
      ROUND_HALF_UP(standard × floor_percent ÷ 100 × covered);
    - total = base + add-ons when every check passes, else 0.
    Tekun: basic standard = ROUND_HALF_UP(dibao standard × tekun_multiplier); no counted income;
    asset tests as dibao; total = basic standard × covered.
    Temporary assistance has no formula: only the "has members" check, and no amount (the case
    worker proposes one within the band).
    """
    require_month(inputs.month)
    on, scheme, rule = inputs.as_of, inputs.scheme, inputs.rule
    if scheme is None:
        raise no_scheme_error(inputs.scheme_code)
    if rule is None:
        raise no_rule_error(scheme, on)
    sources = [source_of("scheme_rule", rule)]

    people = inputs.members
    member_ids = {member.person_id for member in people}
    covered_people = _covered(inputs)
    members, covered = len(people), len(covered_people)
    has_members = Check(CheckCode.HAS_MEMBERS, members > 0, {"members": members}, rule.source)
    common = {
        "scheme": scheme.code,
        "scheme_kind": scheme.kind,
        "month": inputs.month,
        "as_of": on,
        "members": members,
        "covered": covered,
        "covered_person_ids": [member.person_id for member in covered_people],
    }

    if scheme.is_temporary:
        return Calculation(
            **common,
            standard=None,
            standard_town_specific=False,
            basic_standard=None,
            income=None,
            excluded_income=None,
            per_capita=None,
            base=None,
            add_ons=[],
            floor_amount=None,
            floor_applied=False,
            total=None,
            eligible=has_members.passed,
            checks=[has_members],
            demo=rule.is_demo,
            sources=sources,
        )

    standard_row = inputs.standard
    if standard_row is None:
        raise no_standard_error(scheme, on)
    sources.append(source_of("standard", standard_row))
    standard = standard_row.monthly_amount

    lines = [
        line
        for line in inputs.income_lines
        if line.person_id is None or line.person_id in member_ids
    ]
    used_types = {line.income_type_id for line in lines}
    type_rules = {
        type_id: answer for type_id, answer in inputs.income_types.items() if type_id in used_types
    }
    for _counted, type_rule in type_rules.values():
        if type_rule is not None:
            sources.append(source_of("income_type_rule", type_rule))
    income = money_sum(line.monthly_amount for line in lines if type_rules[line.income_type_id][0])
    excluded = money_sum(
        line.monthly_amount for line in lines if not type_rules[line.income_type_id][0]
    )
    per_capita = income / members if members else None

    assets = [
        asset for asset in inputs.assets if asset.person_id is None or asset.person_id in member_ids
    ]
    checks = [has_members]
    add_ons: list[AddOnLine] = []
    basic_standard = floor_amount = None
    floor_applied = False

    if scheme.kind == Scheme.Kind.TEKUN:
        basic_standard = to_fen(standard * rule.tekun_multiplier)
        checks.append(Check(CheckCode.NO_INCOME, income == ZERO, {"income": income}, rule.source))
        checks.extend(_asset_checks(assets, rule, standard, members))
        base = basic_standard * covered
    else:
        # per_capita < standard, compared exactly as income < standard × members.
        checks.append(
            Check(
                CheckCode.INCOME_BELOW_STANDARD,
                members > 0 and income < standard * members,
                {"per_capita": per_capita, "standard": standard},
                standard_row.source,
            )
        )
        checks.extend(_asset_checks(assets, rule, standard, members))
        # (standard − income ÷ members) × covered, as one exact division of fen amounts, so
        # rounding half up to the fen never sees a truncated quotient.
        base = ZERO
        if members:
            base = max(to_fen((standard * members - income) * covered / members), ZERO)
        used = set()
        for member in covered_people:
            for category in _categories(member, rule, on):
                row = inputs.add_ons.get(category)
                if row is None:
                    continue
                used.add(row.pk)
                add_ons.append(
                    AddOnLine(
                        member.person_id,
                        member.name,
                        category,
                        row.percent,
                        to_fen(standard * row.percent / HUNDRED),
                    )
                )
        sources.extend(
            source_of("add_on", row) for row in inputs.add_ons.values() if row.pk in used
        )

    eligible = all(check.passed for check in checks)
    if rule.floor_percent is not None and scheme.kind == Scheme.Kind.DIBAO:
        floor_amount = to_fen(standard * rule.floor_percent / HUNDRED * covered)
        if eligible and floor_amount > base:
            base, floor_applied = floor_amount, True
    total = (base + money_sum(line.amount for line in add_ons)) if eligible else ZERO
    return Calculation(
        **common,
        standard=standard,
        standard_town_specific=standard_row.town_id is not None,
        basic_standard=basic_standard,
        income=income,
        excluded_income=excluded,
        per_capita=per_capita,
        base=base,
        add_ons=add_ons,
        floor_amount=floor_amount,
        floor_applied=floor_applied,
        total=to_fen(total),
        eligible=eligible,
        checks=checks,
        demo=any(source.is_demo for source in sources),
        sources=sources,
    )


def band(rule: SchemeRule, standard_row: Standard) -> Band:
    """The band for a proposed temporary-assistance amount (DOMAIN.md §5: no formula, a cap as a
    multiple of the dibao standard): from band_min to band_max_multiple × the dibao standard;
    above town_threshold the city bureau approves."""
    return Band(
        minimum=rule.band_min,
        maximum=to_fen(rule.band_max_multiple * standard_row.monthly_amount),
        town_threshold=rule.town_threshold,
        standard=standard_row.monthly_amount,
        sources=[source_of("scheme_rule", rule), source_of("standard", standard_row)],
    )
