"""Writes to the registry. Every function checks the actor's role and town scope, validates,
writes with the actor and a change reason in history, and records audit events where the
action is one (DOMAIN.md §2)."""

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from relief.errors import NestedValidationError
from relief.history import with_actor
from relief.models import AuditEvent
from relief.names import clean_name
from relief.services import record

from . import permissions, selectors
from .idnumbers import parse_id_number
from .models import (
    Asset,
    Authorisation,
    Document,
    Household,
    IncomeLine,
    Membership,
    Person,
    Town,
    Village,
)
from .uploads import check_upload

PERSON_FIELDS = ("disability_grade", "disability_category", "serious_illness", "employment_status")


@dataclass
class MemberInput:
    name: str
    id_number: str
    relation: str
    joined_on: datetime.date | None = None
    extra: dict = field(default_factory=dict)


def check_town_open_to(*, actor, town: Town, field_name: str = "town") -> None:
    """The actor may register cases in this town, and the town is still in use."""
    if not selectors.towns_in_scope(actor).filter(pk=town.pk).exists():
        raise ValidationError({field_name: _("You may not register cases in this town.")})
    if town.valid_to is not None and town.valid_to < timezone.localdate():
        raise ValidationError({field_name: _("This town is no longer in use.")})


def _check_village(*, town: Town, village: Village | None) -> None:
    if village is not None and village.town_id != town.pk:
        raise ValidationError(
            {"village": _("The village or community does not belong to the town.")}
        )


def _check_editable(*, actor, household: Household) -> None:
    permissions.require(permissions.can_edit_registry(actor))
    # Scoped lookup: another town's household is "not found", never "forbidden".
    selectors.household_get(user=actor, pk=household.pk)


def person_resolve(*, actor, member: MemberInput, today: datetime.date | None = None) -> Person:
    """The person with this ID number, created if new. An existing person's name must match."""
    try:
        parsed = parse_id_number(member.id_number, today=today)
    except ValidationError as exc:
        raise ValidationError({"id_number": exc.messages}) from None
    try:
        name = clean_name(member.name or "")
    except ValidationError as exc:
        raise ValidationError({"name": exc.messages}) from None
    if not name:
        raise ValidationError({"name": _("The name is required.")})
    person = Person.objects.filter(id_number=parsed.number).first()
    if person is not None:
        if person.name != name:
            raise ValidationError(
                {"name": _("This ID number is registered under another name; check both.")}
            )
        return person
    person = Person(
        name=name,
        id_number=parsed.number,
        id_tail=parsed.number[-4:],
        birth_date=parsed.birth_date,
        sex=parsed.sex,
        **{k: v for k, v in member.extra.items() if k in PERSON_FIELDS},
    )
    person.full_clean(validate_unique=False)
    with_actor(person, actor, _("Registered")).save()
    return person


ALREADY_A_MEMBER = gettext_lazy(
    "This person is already a member of another household. That household must record their "
    "leaving first."
)
LEFT_LATER = gettext_lazy(
    "This person was a member of another household until %(date)s; they can join from that day."
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


def _check_can_join(*, person: Person, joined_on: datetime.date) -> None:
    refusal = join_refusals({person.pk: joined_on}).get(person.pk)
    if refusal:
        raise ValidationError(refusal)


def _membership_create(*, actor, household, person, relation, joined_on, reason) -> Membership:
    if (
        relation == Membership.Relation.HEAD
        and selectors.current_heads().filter(household=household).exists()
    ):
        raise ValidationError({"relation": _("The household already has a head.")})
    _check_can_join(person=person, joined_on=joined_on)
    membership = Membership(
        household=household, person=person, relation=relation, joined_on=joined_on
    )
    membership.full_clean(exclude=["household", "person"], validate_constraints=False)
    try:
        with transaction.atomic():
            with_actor(membership, actor, reason).save()
    except IntegrityError:
        # A concurrent registration won the race; the constraint is the last word.
        raise ValidationError({"id_number": str(ALREADY_A_MEMBER)}) from None
    return membership


@transaction.atomic
def household_create(
    *,
    actor,
    town: Town,
    address: str,
    members: list[MemberInput],
    village: Village | None = None,
    hukou_place: str = "",
    import_ref: str = "",
    today: datetime.date | None = None,
    reason: str | None = None,
) -> Household:
    """Register a household with its members. Exactly one member is the head. Each member
    joins on their joined_on, today when not given, never in the future."""
    permissions.require(permissions.can_edit_registry(actor))
    check_town_open_to(actor=actor, town=town)
    _check_village(town=town, village=village)
    today = today or timezone.localdate()
    if not (address or "").strip():
        raise ValidationError({"address": _("The address is required.")})
    if not members:
        raise ValidationError({"members": _("A household has at least one member.")})
    heads = sum(1 for m in members if m.relation == Membership.Relation.HEAD)
    if heads != 1:
        raise ValidationError(
            {"members": _("Exactly one member must be the head of household (relation 'head').")}
        )
    numbers = [m.id_number.strip().upper() for m in members]
    if len(set(numbers)) != len(numbers):
        raise ValidationError({"members": _("The same ID number appears twice in the household.")})

    reason = reason or _("Household registered")
    household = Household(
        town=town,
        village=village,
        address=address.strip(),
        hukou_place=hukou_place.strip(),
        import_ref=import_ref,
    )
    household.full_clean(exclude=["town", "village"])
    with_actor(household, actor, reason).save()

    errors: list[dict] = []
    for member in members:
        try:
            if member.joined_on is not None and member.joined_on > today:
                raise ValidationError({"joined_on": _("The date cannot be in the future.")})
            person = person_resolve(actor=actor, member=member, today=today)
            _membership_create(
                actor=actor,
                household=household,
                person=person,
                relation=member.relation,
                joined_on=member.joined_on or today,
                reason=reason,
            )
            errors.append({})
        except ValidationError as exc:
            errors.append(
                exc.message_dict
                if hasattr(exc, "error_dict")
                else {"non_field_errors": exc.messages}
            )
    if any(errors):
        raise NestedValidationError({"members": errors})
    return household


@transaction.atomic
def household_update(*, actor, household: Household, reason: str, **changes) -> Household:
    _check_editable(actor=actor, household=household)
    household = Household.objects.select_for_update().get(pk=household.pk)
    allowed = {"address", "village", "hukou_place", "status"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError({sorted(unknown)[0]: _("This field cannot be changed here.")})
    for name, value in changes.items():
        setattr(household, name, value)
    _check_village(town=household.town, village=household.village)
    household.full_clean(exclude=["town", "village"])
    _require_reason(reason)
    with_actor(household, actor, reason).save()
    return household


def _require_reason(reason: str) -> None:
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why you make this change.")})


@transaction.atomic
def person_update(*, actor, person: Person, reason: str, **changes) -> Person:
    permissions.require(permissions.can_edit_registry(actor))
    person = selectors.get_in_scope(
        selectors.persons_in_scope(actor).select_for_update(), pk=person.pk
    )
    allowed = {"name", *PERSON_FIELDS}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError({sorted(unknown)[0]: _("This field cannot be changed here.")})
    for name, value in changes.items():
        setattr(person, name, value.strip() if isinstance(value, str) else value)
    person.full_clean(validate_unique=False)
    _require_reason(reason)
    with_actor(person, actor, reason).save()
    return person


@transaction.atomic
def member_add(
    *,
    actor,
    household: Household,
    member: MemberInput,
    reason: str,
    today: datetime.date | None = None,
) -> Membership:
    """A person joins a household: a newborn, a spouse, or someone who left another household."""
    _check_editable(actor=actor, household=household)
    today = today or timezone.localdate()
    joined_on = member.joined_on or today
    if joined_on > today:
        raise ValidationError({"joined_on": _("The date cannot be in the future.")})
    person = person_resolve(actor=actor, member=member, today=today)
    _require_reason(reason)
    return _membership_create(
        actor=actor,
        household=household,
        person=person,
        relation=member.relation,
        joined_on=joined_on,
        reason=reason,
    )


@transaction.atomic
def member_leave(
    *,
    actor,
    membership: Membership,
    left_on: datetime.date,
    leave_reason: str,
    note: str = "",
    today: datetime.date | None = None,
) -> Membership:
    """End a membership (death, moving out, marriage). From that date the person may join
    another household. History keeps both memberships."""
    _check_editable(actor=actor, household=membership.household)
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    today = today or timezone.localdate()
    if membership.left_on is not None:
        raise ValidationError({"left_on": _("This member has already left the household.")})
    if left_on < membership.joined_on:
        raise ValidationError({"left_on": _("The leaving date is before the joining date.")})
    if left_on > today:
        raise ValidationError({"left_on": _("The date cannot be in the future.")})
    if leave_reason not in Membership.LeaveReason.values:
        raise ValidationError({"leave_reason": _("Choose a reason for leaving.")})
    membership.left_on = left_on
    membership.leave_reason = leave_reason
    membership.leave_note = note
    with_actor(
        membership,
        actor,
        _("Left the household: %(reason)s") % {"reason": membership.get_leave_reason_display()},
    ).save()
    return membership


def _check_member(*, household: Household, person: Person | None) -> None:
    if person is not None and not household.memberships.filter(person=person).exists():
        raise ValidationError({"person": _("The person is not a member of this household.")})


def _check_dates(valid_from, valid_to, field_name: str = "valid_to") -> None:
    if valid_to is not None and valid_from is not None and valid_to < valid_from:
        raise ValidationError({field_name: _("The end date is before the start date.")})


@transaction.atomic
def income_line_create(*, actor, household: Household, reason: str = "", **fields) -> IncomeLine:
    _check_editable(actor=actor, household=household)
    _check_member(household=household, person=fields.get("person"))
    _check_dates(fields.get("valid_from"), fields.get("valid_to"))
    line = IncomeLine(household=household, **fields)
    line.full_clean(exclude=["household"])
    with_actor(line, actor, reason or _("Income recorded")).save()
    return line


@transaction.atomic
def asset_create(*, actor, household: Household, reason: str = "", **fields) -> Asset:
    _check_editable(actor=actor, household=household)
    _check_member(household=household, person=fields.get("person"))
    _check_dates(fields.get("valid_from"), fields.get("valid_to"))
    asset = Asset(household=household, **fields)
    asset.full_clean(exclude=["household"])
    with_actor(asset, actor, reason or _("Asset recorded")).save()
    return asset


@transaction.atomic
def evidence_end(*, actor, evidence: IncomeLine | Asset, valid_to: datetime.date, reason: str):
    """Evidence is never deleted: it stops holding from a date, and history keeps it."""
    _check_editable(actor=actor, household=evidence.household)
    evidence = type(evidence).objects.select_for_update().get(pk=evidence.pk)
    _check_dates(evidence.valid_from, valid_to)
    _require_reason(reason)
    evidence.valid_to = valid_to
    with_actor(evidence, actor, reason).save()
    return evidence


@transaction.atomic
def document_upload(
    *,
    actor,
    household: Household,
    upload,
    title: str,
    kind: str = Document.Kind.OTHER,
    person: Person | None = None,
) -> Document:
    _check_editable(actor=actor, household=household)
    _check_member(household=household, person=person)
    content_type, size, sha256 = check_upload(upload)
    document = Document(
        household=household,
        person=person,
        kind=kind,
        title=(title or upload.name)[:120],
        content_type=content_type,
        size=size,
        sha256=sha256,
        uploaded_by=actor,
    )
    document.file.save(upload.name, upload, save=False)
    with_actor(document, actor, _("Document uploaded")).save()
    return document


@transaction.atomic
def authorisation_create(
    *,
    actor,
    household: Household,
    person: Person,
    signer_name: str,
    signed_on: datetime.date,
    scope: str = Authorisation.Scope.ALL,
    valid_until: datetime.date | None = None,
    scan=None,
    today: datetime.date | None = None,
) -> Authorisation:
    _check_editable(actor=actor, household=household)
    if person is None:
        raise ValidationError({"person": _("Choose the member who authorises the queries.")})
    _check_member(household=household, person=person)
    today = today or timezone.localdate()
    if signed_on > today:
        raise ValidationError({"signed_on": _("The date cannot be in the future.")})
    _check_dates(signed_on, valid_until, "valid_until")
    document = None
    if scan is not None:
        document = document_upload(
            actor=actor,
            household=household,
            upload=scan,
            person=person,
            title=_("Authorisation of %(name)s") % {"name": person.name},
            kind=Document.Kind.AUTHORISATION,
        )
    authorisation = Authorisation(
        household=household,
        person=person,
        signer_name=signer_name,
        signed_on=signed_on,
        valid_until=valid_until,
        scope=scope,
        scan=document,
    )
    authorisation.full_clean(exclude=["household", "person", "scan"])
    with_actor(authorisation, actor, _("Authorisation recorded")).save()
    return authorisation


@transaction.atomic
def id_number_reveal(*, actor, person: Person, request=None) -> str:
    """Show a full ID number: allowed to the roles that need it, and always an audit event."""
    permissions.require(permissions.can_reveal_id(actor))
    person = selectors.get_in_scope(selectors.persons_in_scope(actor), pk=person.pk)
    membership = person.memberships.order_by("left_on").select_related("household__town").first()
    record(
        actor=actor,
        action=AuditEvent.Action.ID_REVEALED,
        target=person,
        request=request,
        town_code=membership.household.town.code if membership else "",
    )
    return person.id_number


def export_recorded(*, actor, what: str, rows: int, request=None, **filters) -> None:
    record(
        actor=actor,
        action=AuditEvent.Action.EXPORT,
        request=request,
        what=what,
        rows=rows,
        filters=filters,
    )
