"""Writes to the registry. Every function checks the actor's role and town scope, validates,
writes with the actor and a change reason in history, and records audit events where the
action is one (DOMAIN.md §2)."""

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from relief.errors import Errors, NestedValidationError
from relief.history import with_actor
from relief.models import AuditEvent
from relief.services import record

from . import permissions, selectors
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
from .registration import (
    ALREADY_A_MEMBER,
    MemberCheck,
    add_join_refusals,
    check_member,
    check_village,
    foreign_ids_record,
    household_errors,
    new_person,
)

# Re-exported: the registry's callers (pages, API, workflow, import) know them as services'.
from .registration import PERSON_FIELDS as PERSON_FIELDS
from .registration import MemberInput as MemberInput
from .registration import check_town_open_to as check_town_open_to
from .registration import join_refusals as join_refusals
from .uploads import check_upload


def _check_editable(*, actor, household: Household) -> None:
    permissions.require(permissions.can_edit_registry(actor))
    # Scoped lookup: another town's household is "not found", never "forbidden".
    selectors.household_get(user=actor, pk=household.pk)


def _person_for(*, actor, check: MemberCheck) -> Person:
    """The checked member's person: the one registered with the ID number, or a new one."""
    if check.person is not None:
        return check.person
    person = new_person(check.member, check.id_number, check.name)
    try:
        with transaction.atomic():
            with_actor(person, actor, _("Registered")).save()
    except IntegrityError:
        # Registered meanwhile by someone else: the next attempt checks the name against it.
        raise ValidationError(
            {"id_number": _("This ID number was registered meanwhile; submit again.")}
        ) from None
    return person


def _membership_create(*, actor, household, person, relation, joined_on, reason) -> Membership:
    membership = Membership(
        household=household, person=person, relation=relation, joined_on=joined_on
    )
    try:
        with transaction.atomic():
            with_actor(membership, actor, reason).save()
    except IntegrityError:
        # A concurrent registration won the race; the constraint is the last word.
        raise ValidationError({"id_number": str(ALREADY_A_MEMBER)}) from None
    return membership


def household_create(
    *,
    actor,
    town: Town | None,
    address: str,
    members: list[MemberInput],
    village: Village | None = None,
    hukou_place: str = "",
    import_ref: str = "",
    today: datetime.date | None = None,
    reason: str | None = None,
) -> Household:
    """Register a household with its members (cases.registration: exactly one head, each
    member joining on their joined_on, today when not given, never in the future). Every
    problem is refused at once: a NestedValidationError with the household's fields and one
    dict per member. An ID number of another town entered under another name is recorded as an
    audit event even though the registration is refused."""
    permissions.require(permissions.can_edit_registry(actor))
    foreign: list[Person] = []
    try:
        return _household_write(
            actor=actor,
            town=town,
            address=address,
            members=members,
            village=village,
            hukou_place=hukou_place,
            import_ref=import_ref,
            today=today or timezone.localdate(),
            reason=reason or _("Household registered"),
            foreign=foreign,
        )
    finally:
        foreign_ids_record(actor=actor, persons=foreign, town=town, where="household")


def household_check(
    *,
    actor,
    town: Town | None,
    address: str,
    members: list[MemberInput],
    village: Village | None = None,
    hukou_place: str = "",
    today: datetime.date | None = None,
) -> dict:
    """What household_create would refuse, writing nothing (an empty dict: nothing): a page or
    the API whose own input checks failed asks this too, so that every problem is shown in one
    pass. An attempt with another town's ID number is recorded as household_create records it."""
    permissions.require(permissions.can_edit_registry(actor))
    foreign: list[Person] = []
    try:
        detail, _checks = household_errors(
            actor=actor,
            town=town,
            address=address,
            members=members,
            village=village,
            hukou_place=hukou_place,
            today=today or timezone.localdate(),
            foreign=foreign,
        )
    finally:
        foreign_ids_record(actor=actor, persons=foreign, town=town, where="household")
    return detail


@transaction.atomic
def _household_write(
    *, actor, town, address, members, village, hukou_place, import_ref, today, reason, foreign
) -> Household:
    detail, checks = household_errors(
        actor=actor,
        town=town,
        address=address,
        members=members,
        village=village,
        hukou_place=hukou_place,
        today=today,
        foreign=foreign,
    )
    if detail:
        raise NestedValidationError(detail)
    household = Household(
        town=town,
        village=village,
        address=address.strip(),
        hukou_place=hukou_place.strip(),
        import_ref=import_ref,
    )
    with_actor(household, actor, reason).save()
    errors: list[dict] = []
    for check in checks:
        try:
            _membership_create(
                actor=actor,
                household=household,
                person=_person_for(actor=actor, check=check),
                relation=check.member.relation,
                joined_on=check.joined_on,
                reason=reason,
            )
            errors.append({})
        except ValidationError as exc:
            errors.append(exc.message_dict)
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
    errors = Errors()
    with errors.check():
        check_village(town=household.town, village=household.village)
    with errors.check():
        household.full_clean(exclude=["town", "village"])
    with errors.check():
        _require_reason(reason)
    errors.raise_if_any()
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
    errors = Errors()
    with errors.check():
        person.full_clean(validate_unique=False)
    with errors.check():
        _require_reason(reason)
    errors.raise_if_any()
    with_actor(person, actor, reason).save()
    return person


def member_add(
    *,
    actor,
    household: Household,
    member: MemberInput,
    reason: str,
    today: datetime.date | None = None,
) -> Membership:
    """A person joins a household: a newborn, a spouse, or someone who left another household.
    Every problem is refused at once (cases.registration, the reason, one head); an ID number
    of another town entered under another name is recorded as an audit event."""
    _check_editable(actor=actor, household=household)
    foreign: list[Person] = []
    try:
        return _member_write(
            actor=actor,
            household=household,
            member=member,
            reason=reason,
            today=today or timezone.localdate(),
            foreign=foreign,
        )
    finally:
        foreign_ids_record(actor=actor, persons=foreign, town=household.town, where="member")


@transaction.atomic
def _member_write(*, actor, household, member, reason, today, foreign) -> Membership:
    check = check_member(actor=actor, member=member, today=today, foreign=foreign)
    add_join_refusals([check])
    errors = check.errors
    if (
        member.relation == Membership.Relation.HEAD
        and selectors.current_heads().filter(household=household).exists()
    ):
        errors.add("relation", _("The household already has a head."))
    with errors.check():
        _require_reason(reason)
    errors.raise_if_any()
    return _membership_create(
        actor=actor,
        household=household,
        person=_person_for(actor=actor, check=check),
        relation=member.relation,
        joined_on=check.joined_on,
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
    errors = Errors()
    if left_on is None:
        errors.add("left_on", _("Enter the day the member left."))
    elif left_on < membership.joined_on:
        errors.add("left_on", _("The leaving date is before the joining date."))
    elif left_on > today:
        errors.add("left_on", _("The date cannot be in the future."))
    if leave_reason not in Membership.LeaveReason.values:
        errors.add("leave_reason", _("Choose a reason for leaving."))
    errors.raise_if_any()
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


def _evidence_errors(evidence: IncomeLine | Asset, household: Household) -> Errors:
    """Every problem of a new income line or asset at once: the member, the dates, the row's
    own fields."""
    errors = Errors()
    with errors.check():
        _check_member(household=household, person=evidence.person)
    with errors.check():
        _check_dates(evidence.valid_from, evidence.valid_to)
    with errors.check():
        evidence.full_clean(exclude=["household"])
    return errors


@transaction.atomic
def income_line_create(*, actor, household: Household, reason: str = "", **fields) -> IncomeLine:
    _check_editable(actor=actor, household=household)
    line = IncomeLine(household=household, **fields)
    _evidence_errors(line, household).raise_if_any()
    with_actor(line, actor, reason or _("Income recorded")).save()
    return line


@transaction.atomic
def asset_create(*, actor, household: Household, reason: str = "", **fields) -> Asset:
    _check_editable(actor=actor, household=household)
    asset = Asset(household=household, **fields)
    _evidence_errors(asset, household).raise_if_any()
    with_actor(asset, actor, reason or _("Asset recorded")).save()
    return asset


@transaction.atomic
def evidence_end(*, actor, evidence: IncomeLine | Asset, valid_to: datetime.date, reason: str):
    """Evidence is never deleted: it stops holding from a date, and history keeps it."""
    _check_editable(actor=actor, household=evidence.household)
    evidence = type(evidence).objects.select_for_update().get(pk=evidence.pk)
    errors = Errors()
    if valid_to is None:
        errors.add("valid_to", _("Enter the last day it holds."))
    with errors.check():
        _check_dates(evidence.valid_from, valid_to)
    with errors.check():
        _require_reason(reason)
    errors.raise_if_any()
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
    errors = Errors()
    with errors.check():
        _check_member(household=household, person=person)
    content_type = size = sha256 = None
    with errors.check():
        content_type, size, sha256 = check_upload(upload)
    errors.raise_if_any()
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
    today = today or timezone.localdate()
    errors = Errors()
    if person is None:
        errors.add("person", _("Choose the member who authorises the queries."))
    with errors.check():
        _check_member(household=household, person=person)
    if signed_on is None:
        errors.add("signed_on", _("Enter the day the authorisation was signed."))
    elif signed_on > today:
        errors.add("signed_on", _("The date cannot be in the future."))
    with errors.check():
        _check_dates(signed_on, valid_until, "valid_until")
    with errors.check():
        Authorisation(
            signer_name=signer_name, signed_on=signed_on or today, scope=scope
        ).full_clean(exclude=["household", "person", "scan"])
    if scan is not None:
        with errors.check():
            check_upload(scan)
            scan.seek(0)
    errors.raise_if_any()
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
def authorisation_revoke(
    *,
    actor,
    authorisation: Authorisation,
    revoked_on: datetime.date,
    today: datetime.date | None = None,
) -> Authorisation:
    """Record that a member withdrew their authorisation (撤回授权) from a day: from then on no
    registry record of theirs is used (REGISTRIES.md: set aside, a no_authorisation finding)."""
    authorisation = Authorisation.objects.select_for_update().get(pk=authorisation.pk)
    _check_editable(actor=actor, household=authorisation.household)
    today = today or timezone.localdate()
    errors = Errors()
    if authorisation.revoked_on is not None:
        errors.add("revoked_on", _("The authorisation was revoked already."))
    elif revoked_on is None:
        errors.add("revoked_on", _("Enter the day the authorisation was revoked."))
    elif revoked_on > today:
        errors.add("revoked_on", _("The date cannot be in the future."))
    elif revoked_on < authorisation.signed_on:
        errors.add("revoked_on", _("The authorisation cannot be revoked before it was signed."))
    errors.raise_if_any()
    authorisation.revoked_on = revoked_on
    with_actor(authorisation, actor, _("Authorisation revoked")).save()
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
