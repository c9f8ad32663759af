"""The rules of registering people (DOMAIN.md §4), checked without writing: a household with its
members, and a person joining a household. Every rule is checked and every problem returned at
once, by field and by member, so that a form or an API client sees them all in one pass;
cases.services writes what passes.

An ID number already registered under another name is reported helpfully (check both names)
when the person is one the user may see. When the person belongs to another town, the user
learns only that the number cannot be used here, and the attempt is an audit event
(`foreign_ids_record`): a case worker must not find out through the registration form who is
registered, or receives assistance, in another town.
"""

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from relief.errors import Errors
from relief.models import AuditEvent
from relief.names import clean_name
from relief.services import record

from . import selectors
from .idnumbers import IdNumber, parse_id_number
from .models import Household, Membership, Person, Town, Village

PERSON_FIELDS = ("disability_grade", "disability_category", "serious_illness", "employment_status")

OTHER_NAME = gettext_lazy("This ID number is registered under another name; check both.")
NOT_USABLE_HERE = gettext_lazy(
    "This ID number cannot be used here. Ask the city civil affairs bureau (市民政局)."
)
ALREADY_A_MEMBER = gettext_lazy(
    "This person is already a member of another household. That household must record their "
    "leaving first."
)
LEFT_LATER = gettext_lazy(
    "This person was a member of another household until %(date)s; they can join from that day."
)
ONE_HEAD = gettext_lazy("Exactly one member must be the head of household (relation 'head').")


@dataclass
class MemberInput:
    name: str
    id_number: str
    relation: str
    joined_on: datetime.date | None = None
    extra: dict = field(default_factory=dict)


@dataclass
class MemberCheck:
    """One member as checked: the errors by field (empty: fine), and what the writer needs."""

    member: MemberInput
    joined_on: datetime.date
    errors: Errors = field(default_factory=Errors)
    id_number: IdNumber | None = None
    name: str = ""
    person: Person | None = None  # the person already registered with this ID number
    foreign: bool = False  # that person is another town's, under another name


def check_town_open_to(*, actor, town: Town, field_name: str = "town") -> None:
    """The actor may register cases in this town, and the town is still in use."""
    if not selectors.towns_in_scope(actor).filter(pk=town.pk).exists():
        raise ValidationError({field_name: _("You may not register cases in this town.")})
    if town.valid_to is not None and town.valid_to < timezone.localdate():
        raise ValidationError({field_name: _("This town is no longer in use.")})


def check_village(*, town: Town, village: Village | None) -> None:
    if village is not None and village.town_id != town.pk:
        raise ValidationError(
            {"village": _("The village or community does not belong to the town.")}
        )


def check_member(*, actor, member: MemberInput, today: datetime.date, foreign: list) -> MemberCheck:
    """Every rule of one member that needs no other member: the joining date (not in the
    future, not before birth), the ID number (GB 11643), the name (relief.names), the relation,
    the person's details, and, for a person already registered, the same name. A person of
    another town whose registered name differs is added to `foreign`."""
    check = MemberCheck(member=member, joined_on=member.joined_on or today)
    errors = check.errors
    if check.joined_on > today:
        errors.add("joined_on", _("The date cannot be in the future."))
    if not (member.id_number or "").strip():
        errors.add("id_number", _("The ID number is required."))
    else:
        try:
            check.id_number = parse_id_number(member.id_number, today=today)
        except ValidationError as exc:
            errors.add("id_number", *exc.messages)
    try:
        check.name = clean_name(member.name or "")
    except ValidationError as exc:
        errors.add("name", *exc.messages)
    else:
        if not check.name:
            errors.add("name", _("The name is required."))
    if member.relation not in Membership.Relation.values:
        errors.add("relation", _("Choose the member's relation to the head of household."))
    parsed = check.id_number
    if parsed is None:
        return check
    if check.joined_on < parsed.birth_date:
        errors.add(
            "joined_on",
            _("The date is before the member's birth date in the ID number (%(date)s).")
            % {"date": parsed.birth_date.isoformat()},
        )
    check.person = Person.objects.filter(id_number=parsed.number).first()
    if check.person is None:
        with errors.check():
            new_person(member, parsed, check.name or "?").full_clean(
                validate_unique=False, exclude=["name"]
            )
    elif check.name and check.person.name != check.name:
        known = len(foreign)
        errors.merge(other_name_error(actor=actor, person=check.person, foreign=foreign))
        check.foreign = len(foreign) > known
    return check


def new_person(member: MemberInput, parsed: IdNumber, name: str) -> Person:
    return Person(
        name=name,
        id_number=parsed.number,
        id_tail=parsed.number[-4:],
        birth_date=parsed.birth_date,
        sex=parsed.sex,
        **{k: v for k, v in member.extra.items() if k in PERSON_FIELDS},
    )


def hidden_persons(actor, ids) -> set[int]:
    """Of these people, the ones of another town: each has been a member of a household, and
    of none the actor may see. (A person in no household at all belongs to no town.) `actor`
    None, the command line, sees everyone."""
    ids = set(ids)
    if actor is None or not ids:
        return set()
    seen = set(selectors.persons_in_scope(actor).filter(pk__in=ids).values_list("pk", flat=True))
    members = set(
        Membership.objects.filter(person_id__in=ids - seen).values_list("person_id", flat=True)
    )
    return members


def other_name_error(*, actor, person: Person, foreign: list) -> ValidationError:
    """An ID number registered under another name. A person the actor may see (or of no
    household): check both names. A person of another town: the number cannot be used here,
    nothing more, and the attempt goes into `foreign` to be recorded (foreign_ids_record)."""
    if person.pk not in hidden_persons(actor, [person.pk]):
        return ValidationError({"name": str(OTHER_NAME)})
    foreign.append(person)
    return ValidationError({"id_number": str(NOT_USABLE_HERE)})


def foreign_ids_record(*, actor, persons: list, town: Town | None, where: str) -> None:
    """One audit event per person of another town whose ID number was entered under another
    name. Called after the refused registration's transaction, so the refusal does not undo it."""
    for person in {person.pk: person for person in persons}.values():
        record(
            actor=actor,
            action=AuditEvent.Action.FOREIGN_ID,
            target=person,
            town_code=town.code if town is not None else "",
            where=where,
        )


def join_refusals(joins: dict[int, datetime.date]) -> dict[int, dict[str, str]]:
    """The one rule "a person is in at most one household at a time", for many people at once:
    for each person id -> the day they would join, the field errors refusing it (none: may
    join). Two queries whatever the number of people; the caseload import calls it for a whole
    file. The messages name no other household: a case worker must not learn another town's
    details from them."""
    ids = list(joins)
    current = set(
        Membership.objects.filter(person_id__in=ids, left_on__isnull=True).values_list(
            "person_id", flat=True
        )
    )
    last_left = dict(
        Membership.objects.filter(person_id__in=ids, left_on__isnull=False)
        .values("person_id")
        .annotate(last=Max("left_on"))
        .values_list("person_id", "last")
    )
    refusals = {}
    for person_id, joined_on in joins.items():
        if person_id in current:
            refusals[person_id] = {"id_number": str(ALREADY_A_MEMBER)}
        elif person_id in last_left and last_left[person_id] > joined_on:
            refusals[person_id] = {
                "joined_on": str(LEFT_LATER) % {"date": last_left[person_id].isoformat()}
            }
    return refusals


def add_join_refusals(checks: list[MemberCheck]) -> None:
    """The join rule for the members already registered, in two queries for all of them. A
    person of another town entered under another name is told nothing more about them."""
    joins = {c.person.pk: c.joined_on for c in checks if c.person is not None and not c.foreign}
    refusals = join_refusals(joins)
    for check in checks:
        if check.person is not None and not check.foreign:
            for name, message in refusals.get(check.person.pk, {}).items():
                check.errors.add(name, message)


def household_errors(
    *,
    actor,
    town: Town | None,
    address: str,
    members: list[MemberInput],
    village: Village | None = None,
    hukou_place: str = "",
    today: datetime.date,
    foreign: list,
) -> tuple[dict, list[MemberCheck]]:
    """Every rule a new household and its members break, without writing anything: the
    NestedValidationError detail ({} when there is none), field by field and member by member
    ("members": one dict per member), and each member's check for the writer. The rules of the
    list are reported on the rows they concern: two heads on each head's relation, no head on
    the first member's, a repeated ID number on the repeat."""
    errors = Errors()
    if town is None:
        errors.add("town", _("Choose the town."))
    else:
        with errors.check():
            check_town_open_to(actor=actor, town=town)
        with errors.check():
            check_village(town=town, village=village)
    address = (address or "").strip()
    if not address:
        errors.add("address", _("The address is required."))
    with errors.check():
        Household(address=address or "?", hukou_place=(hukou_place or "").strip()).full_clean(
            exclude=["town", "village", "import_ref"]
        )
    if not members:
        errors.add("members", _("A household has at least one member."))
    checks = [check_member(actor=actor, member=m, today=today, foreign=foreign) for m in members]
    add_join_refusals(checks)
    heads = [c for c in checks if c.member.relation == Membership.Relation.HEAD]
    if checks and not heads:
        checks[0].errors.add("relation", ONE_HEAD)
    if len(heads) > 1:
        for check in heads:
            check.errors.add("relation", ONE_HEAD)
    first_of: dict[str, int] = {}
    for number, check in enumerate(checks, start=1):
        if check.id_number is None:
            continue
        if check.id_number.number in first_of:
            check.errors.add(
                "id_number",
                _("The same ID number is already member %(number)d of this household.")
                % {"number": first_of[check.id_number.number]},
            )
        else:
            first_of[check.id_number.number] = number
    detail: dict = dict(errors.fields)
    if any(check.errors for check in checks):
        detail["members"] = [check.errors.fields for check in checks]
    return detail, checks
