"""THE benefit calculation (DOMAIN.md §5). Approval, schedule proposals, the monthly payment run
and the monthly data check all call `calculate`; nothing else computes an amount.

Everything is read as valid on one date (`as_of`, by default the first day of the month computed):
memberships, income lines, assets, the scheme's rule, the standard, the add-ons and the
income-type rules. A dated row is valid on D when it starts on or before D and has not ended
before D; a membership when joined_on <= D < left_on.

A calculation costs a constant number of queries, whatever the household's size.
"""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from relief.money import ZERO, money_sum, to_fen

from ..models import (
    AddOn,
    Asset,
    Household,
    IncomeLine,
    IncomeType,
    IncomeTypeRule,
    Membership,
    Scheme,
    SchemeRule,
    Standard,
    Town,
)
from .display import CHECK_LABELS, FIGURE_LABELS, SOURCE_LABELS, calculation_rows
from .formula import (
    DIBAO_CODE,
    HUNDRED,
    AddOnLine,
    Band,
    Calculation,
    Check,
    CheckCode,
    RuleSource,
)

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
    "RuleSource",
    "calculate",
    "calculation_rows",
    "check_proposed_amount",
    "counted_income_types",
    "income_type_counted",
    "scheme_rule",
    "standard_for",
    "temporary_band",
]

# --- dated rows ---------------------------------------------------------------------------------


def _valid_on(on: datetime.date) -> Q:
    return Q(effective_from__lte=on) & (Q(effective_to__isnull=True) | Q(effective_to__gte=on))


def _evidence_valid_on(on: datetime.date) -> Q:
    return Q(valid_from__lte=on) & (Q(valid_to__isnull=True) | Q(valid_to__gte=on))


def _source(kind: str, row) -> RuleSource:
    return RuleSource(
        kind=kind,
        id=row.pk,
        effective_from=row.effective_from,
        effective_to=row.effective_to,
        source=row.source,
        is_demo=row.is_demo,
    )


def _scheme(scheme: Scheme | str) -> Scheme:
    if isinstance(scheme, Scheme):
        return scheme
    try:
        return Scheme.objects.get(code=scheme)
    except Scheme.DoesNotExist:
        raise ValidationError({"scheme": _("There is no scheme “%s”.") % scheme}) from None


def scheme_rule(*, scheme: Scheme | str, on: datetime.date) -> SchemeRule:
    """The scheme's rule row valid on `on`."""
    scheme = _scheme(scheme)
    rule = SchemeRule.objects.filter(_valid_on(on), scheme=scheme).first()
    if rule is None:
        raise ValidationError(
            {"scheme": _("No rule of %(scheme)s is in force on %(date)s.") % _named(scheme, on)}
        )
    return rule


def standard_for(*, scheme: Scheme | str, town: Town | int | None, on: datetime.date) -> Standard:
    """The monthly standard valid on `on` for the town: the town's own row if there is one,
    else the city-wide row. Schemes other than dibao are measured against the dibao standard."""
    scheme = _scheme(scheme)
    town_id = town.pk if isinstance(town, Town) else town
    rows = Standard.objects.filter(_valid_on(on), Q(town__isnull=True) | Q(town_id=town_id))
    if scheme.kind == Scheme.Kind.DIBAO:
        rows = rows.filter(scheme=scheme)
    else:
        rows = rows.filter(scheme__code=DIBAO_CODE)
    # Non-overlapping rows: at most one town row and one city-wide row; the town row wins.
    found = sorted(rows, key=lambda row: row.town_id is None)
    if not found:
        raise ValidationError(
            {"scheme": _("No standard of %(scheme)s is in force on %(date)s.") % _named(scheme, on)}
        )
    return found[0]


def _named(scheme: Scheme, on: datetime.date) -> dict:
    return {"scheme": scheme, "date": on.isoformat()}


def counted_income_types(
    *, on: datetime.date, income_type_ids: list[int] | set[int] | None = None
) -> dict[int, bool]:
    """Whether each income type is counted on `on`: the IncomeTypeRule row valid on that date,
    else IncomeType.counted (DOMAIN.md §5: the excluded list is configurable and dated).
    The one answer to "is this income type counted"; the calculation uses nothing else."""
    return {
        type_id: counted
        for type_id, (counted, _rule) in _income_type_rules(on, income_type_ids).items()
    }


def income_type_counted(*, income_type: IncomeType, on: datetime.date) -> bool:
    return counted_income_types(on=on, income_type_ids=[income_type.pk])[income_type.pk]


def _income_type_rules(
    on: datetime.date, income_type_ids
) -> dict[int, tuple[bool, IncomeTypeRule | None]]:
    types = IncomeType.objects.all()
    rules = IncomeTypeRule.objects.filter(_valid_on(on))
    if income_type_ids is not None:
        types = types.filter(pk__in=income_type_ids)
        rules = rules.filter(income_type_id__in=income_type_ids)
    answer = {pk: (counted, None) for pk, counted in types.values_list("pk", "counted")}
    for rule in rules:
        answer[rule.income_type_id] = (rule.counted, rule)
    return answer


# --- the calculation ----------------------------------------------------------------------------


def _age(birth: datetime.date, on: datetime.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _categories(person, rule: SchemeRule, on: datetime.date) -> list[str]:
    """The add-on categories (分类施保) a person falls in on `on`."""
    age = _age(person.birth_date, on)
    categories = []
    if age >= rule.elderly_age:
        categories.append(AddOn.Category.ELDERLY)
    if age < rule.minor_age:
        categories.append(AddOn.Category.MINOR)
    if 0 < person.disability_grade <= rule.severe_disability_max_grade:
        categories.append(AddOn.Category.SEVERE_DISABILITY)
    if person.serious_illness:
        categories.append(AddOn.Category.SERIOUS_ILLNESS)
    return categories


def _asset_checks(
    assets: list[Asset], rule: SchemeRule, standard: Decimal, members: int
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


def calculate(
    *,
    household: Household,
    scheme: Scheme | str,
    month: datetime.date,
    as_of: datetime.date | None = None,
    covered_person_ids: list[int] | None = None,
) -> Calculation:
    """The amount due to `household` under `scheme` for `month`, with every figure and check.

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
    worker proposes one within `temporary_band`).
    """
    if month.day != 1:
        raise ValidationError({"month": _("A month is given as its first day.")})
    on = as_of or month
    scheme = _scheme(scheme)
    rule = scheme_rule(scheme=scheme, on=on)
    sources = [_source("scheme_rule", rule)]

    memberships = list(
        Membership.objects.filter(household=household, joined_on__lte=on)
        .filter(Q(left_on__isnull=True) | Q(left_on__gt=on))
        .select_related("person")
        .order_by("joined_on", "id")
    )
    people = [membership.person for membership in memberships]
    member_ids = [person.pk for person in people]
    if covered_person_ids is None:
        covered_people = people
    else:
        outside = set(covered_person_ids) - set(member_ids)
        if outside or not covered_person_ids:
            raise ValidationError(
                {
                    "covered_person_ids": _(
                        "Covered members must be co-resident members of the household on %(date)s."
                    )
                    % {"date": on.isoformat()}
                }
            )
        covered_people = [person for person in people if person.pk in set(covered_person_ids)]
    members, covered = len(people), len(covered_people)
    has_members = Check(CheckCode.HAS_MEMBERS, members > 0, {"members": members}, rule.source)
    common = {
        "scheme": scheme.code,
        "scheme_kind": scheme.kind,
        "month": month,
        "as_of": on,
        "members": members,
        "covered": covered,
        "covered_person_ids": [person.pk for person in covered_people],
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

    standard_row = standard_for(scheme=scheme, town=household.town_id, on=on)
    sources.append(_source("standard", standard_row))
    standard = standard_row.monthly_amount

    lines = [
        line
        for line in IncomeLine.objects.filter(_evidence_valid_on(on), household=household)
        if line.person_id is None or line.person_id in member_ids
    ]
    type_rules = _income_type_rules(on, {line.income_type_id for line in lines})
    for _counted, type_rule in type_rules.values():
        if type_rule is not None:
            sources.append(_source("income_type_rule", type_rule))
    income = money_sum(line.monthly_amount for line in lines if type_rules[line.income_type_id][0])
    excluded = money_sum(
        line.monthly_amount for line in lines if not type_rules[line.income_type_id][0]
    )
    per_capita = income / members if members else None

    assets = [
        asset
        for asset in Asset.objects.filter(_evidence_valid_on(on), household=household)
        if asset.person_id is None or asset.person_id in member_ids
    ]
    checks = [has_members]
    add_ons: list[AddOnLine] = []
    basic_standard = floor_amount = None
    floor_applied = False

    if scheme.kind == Scheme.Kind.TEKUN:
        basic_standard = to_fen(standard * rule.tekun_multiplier)
        checks.append(
            Check(
                CheckCode.NO_INCOME,
                income == ZERO,
                {"income": income},
                rule.source,
            )
        )
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
        add_on_rows = {
            row.category: row for row in AddOn.objects.filter(_valid_on(on), scheme=scheme)
        }
        used = set()
        for person in covered_people:
            for category in _categories(person, rule, on):
                row = add_on_rows.get(category)
                if row is None:
                    continue
                used.add(row.pk)
                add_ons.append(
                    AddOnLine(
                        person.pk,
                        person.name,
                        category,
                        row.percent,
                        to_fen(standard * row.percent / HUNDRED),
                    )
                )
        sources.extend(_source("add_on", row) for row in add_on_rows.values() if row.pk in used)

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


# --- temporary assistance -----------------------------------------------------------------------


def temporary_band(*, scheme: Scheme | str, town: Town | int | None, on: datetime.date) -> Band:
    """The band for a proposed temporary-assistance amount (DOMAIN.md §5: no formula, a cap as a
    multiple of the dibao standard): from band_min to band_max_multiple × the dibao standard of
    the town on `on`; above town_threshold the city bureau approves."""
    scheme = _scheme(scheme)
    rule = scheme_rule(scheme=scheme, on=on)
    standard_row = standard_for(scheme=scheme, town=town, on=on)
    return Band(
        minimum=rule.band_min,
        maximum=to_fen(rule.band_max_multiple * standard_row.monthly_amount),
        town_threshold=rule.town_threshold,
        standard=standard_row.monthly_amount,
        sources=[_source("scheme_rule", rule), _source("standard", standard_row)],
    )


def check_proposed_amount(
    *, scheme: Scheme | str, town: Town | int | None, on: datetime.date, amount: Decimal
) -> bool:
    """Validate a proposed temporary-assistance amount against the band. Returns True when the
    amount needs the city supervisor (above the town's approval threshold)."""
    scheme = _scheme(scheme)
    band = temporary_band(scheme=scheme, town=town, on=on)
    message = _(
        "The proposed amount must be between %(minimum)s and %(maximum)s yuan (band of "
        "%(scheme)s on %(date)s)."
    ) % {"minimum": band.minimum, "maximum": band.maximum, **_named(scheme, on)}
    if not isinstance(amount, Decimal) or to_fen(amount) != amount:
        raise ValidationError({"proposed_amount": message})
    if not band.minimum <= amount <= band.maximum:
        raise ValidationError({"proposed_amount": message})
    return amount > band.town_threshold
