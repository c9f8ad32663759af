"""Is the file complete? DOMAIN.md §6: before acceptance, missing items are requested in ONE
notice and no clock runs. `missing_items` lists every missing item at once, by field.

The list (a complete file has all of these):
- household: the household is active;
- head: it has a current head of household;
- authorisations: every co-resident member has a valid authorisation (授权书: signed, not
  revoked, not expired) covering all verification queries, in one "all" authorisation or in
  separate ones that together cover every scope (DOMAIN.md §8: no query without one);
- covered_members: the covered members, if chosen, are current co-resident members;
- income (dibao and tekun): at least one income line valid on the day, or the household's
  declaration that it has no income;
- scheme: a rule of the scheme is in force on the day;
- temporary assistance: proposed_amount within the band (cases.calculation.check_proposed_amount),
  amount_basis stated, instalments from 1 to the rule's max_instalments.
The emergency procedure (先行救助) pays first: at submission it needs only the head and the
amount items; the whole list is checked when the file is completed afterwards.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _

from .. import selectors
from ..calculation import check_proposed_amount, scheme_rule
from ..models import Application, Authorisation, Household, IncomeLine

ALL_SCOPES = frozenset(Authorisation.Scope.values) - {Authorisation.Scope.ALL}


def _add(missing: dict, field: str, message: str) -> None:
    missing.setdefault(field, []).append(message)


def _messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [m for messages in exc.message_dict.values() for m in messages]
    return list(exc.messages)


def amount_items(application: Application, *, today: datetime.date, missing: dict) -> bool | None:
    """Temporary assistance: the proposed amount, its basis and the instalments. Returns whether
    the amount needs the city supervisor (None when it could not be checked)."""
    needs_city = None
    if application.proposed_amount is None:
        _add(missing, "proposed_amount", _("Propose an amount within the scheme's band."))
    else:
        try:
            needs_city = check_proposed_amount(
                scheme=application.scheme,
                town=application.town_id,
                on=today,
                amount=application.proposed_amount,
            )
        except ValidationError as exc:
            for message in _messages(exc):
                _add(missing, "proposed_amount", message)
    if not application.amount_basis.strip():
        _add(
            missing,
            "amount_basis",
            _("State the basis of the amount: the hardship or the essential spending."),
        )
    try:
        rule = scheme_rule(scheme=application.scheme, on=today)
    except ValidationError:
        return needs_city  # reported under "scheme" by the caller
    if not 1 <= application.instalments <= rule.max_instalments:
        _add(
            missing,
            "instalments",
            _("Instalments must be from 1 to %(max)s monthly payments.")
            % {"max": rule.max_instalments},
        )
    return needs_city


def missing_items(
    application: Application, *, today: datetime.date, emergency_submission: bool = False
) -> tuple[dict[str, list[str]], bool | None]:
    """Every missing item of the file on `today`, by field (empty: complete), and whether a
    temporary-assistance amount needs the city supervisor."""
    missing: dict[str, list[str]] = {}
    household = application.household
    members = list(selectors.current_members(household))
    if household.status != Household.Status.ACTIVE:
        _add(missing, "household", _("The household is closed."))
    if selectors.head_among(members) is None:
        _add(missing, "head", _("The household has no current head of household."))

    needs_city = None
    if application.scheme.is_temporary:
        needs_city = amount_items(application, today=today, missing=missing)
    if emergency_submission:
        return missing, needs_city

    try:
        scheme_rule(scheme=application.scheme, on=today)
    except ValidationError as exc:
        for message in _messages(exc):
            _add(missing, "scheme", message)

    scopes: dict[int, set[str]] = {}
    valid = Authorisation.objects.filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=today),
        Q(revoked_on__isnull=True) | Q(revoked_on__gt=today),
        household=household,
        signed_on__lte=today,
    )
    for person_id, scope in valid.values_list("person_id", "scope"):
        scopes.setdefault(person_id, set()).add(scope)
    for membership in members:
        held = scopes.get(membership.person_id, set())
        if Authorisation.Scope.ALL not in held and not ALL_SCOPES <= held:
            _add(
                missing,
                "authorisations",
                _("%(name)s has no valid authorisation (授权书) covering all verification queries.")
                % {"name": membership.person.name},
            )

    member_ids = {m.person_id for m in members}
    if application.pk is not None:
        for person in application.covered_members.all():
            if person.pk not in member_ids:
                _add(
                    missing,
                    "covered_members",
                    _("%(name)s is not a current member of the household.") % {"name": person.name},
                )

    if not application.scheme.is_temporary and not application.no_income_declared:
        has_income = IncomeLine.objects.filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=today),
            household=household,
            valid_from__lte=today,
        ).exists()
        if not has_income:
            _add(
                missing,
                "income",
                _("Record the household's income lines, or its declaration that it has no income."),
            )
    return missing, needs_city
