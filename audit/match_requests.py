"""The match request (REGISTRIES.md "The match request"): for a period, every member of a
household with an active grant or an application in progress, one line each, the key and
nothing else: the ID number (身份证号) or its hash under the matching key (身份证号哈希), so that a
partner answering a hashed request never learns Relief's list in clear.

Each request written is recorded (MatchRequest: who, when, how many, hashed or not, the file's
SHA-256) with an audit event, as every export is."""

import datetime
import hashlib

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from cases.models import Application, Grant, Membership, Person, Role
from cases.models.applications import OPEN_STATES
from cases.permissions import require_role
from relief.models import AuditEvent
from relief.services import record

from .imports import HASH_COLUMN, ID_COLUMN
from .keys import person_keys_refresh
from .models import MatchRequest, PersonKey

MATCH_REQUEST_ROLES = {Role.ADMINISTRATOR}
BATCH = 5000


def people_asked_about():
    """The people of the request: current members of a household with an active grant or an
    open application."""
    live = Exists(
        Grant.objects.filter(household_id=OuterRef("household_id"), state=Grant.State.ACTIVE)
    )
    open_application = Exists(
        Application.objects.filter(household_id=OuterRef("household_id"), state__in=OPEN_STATES)
    )
    members = Membership.objects.filter(left_on__isnull=True).filter(live | open_application)
    return Person.objects.filter(pk__in=members.values("person_id"))


def _keys(hashed: bool):
    people = people_asked_about()
    if not hashed:
        return people.order_by("id_number").values_list("id_number", flat=True)
    return (
        PersonKey.objects.filter(person__in=people)
        .order_by("key_hash")
        .values_list("key_hash", flat=True)
    )


@transaction.atomic
def match_request_write(*, actor, period: datetime.date, hashed: bool, out, request=None):
    """Write the request for `period` to `out` (a binary file) as UTF-8 CSV; returns the
    MatchRequest recorded. `actor` None: the command run without --user."""
    if actor is not None:
        require_role(actor, MATCH_REQUEST_ROLES, _("Only administrators may write match requests."))
    if hashed:
        person_keys_refresh()
    digest = hashlib.sha256()

    def write(text: str) -> None:
        data = text.encode()
        digest.update(data)
        out.write(data)

    write((HASH_COLUMN if hashed else ID_COLUMN) + "\r\n")
    count = 0
    lines = []
    for key in _keys(hashed).iterator(chunk_size=BATCH):
        lines.append(key)
        count += 1
        if len(lines) == BATCH:
            write("\r\n".join(lines) + "\r\n")
            lines = []
    if lines:
        write("\r\n".join(lines) + "\r\n")
    match_request = MatchRequest.objects.create(
        period=period,
        hashed=hashed,
        people=count,
        sha256=digest.hexdigest(),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    record(
        actor=actor,
        action=AuditEvent.Action.EXPORT,
        target=match_request,
        request=request,
        what="match_request",
        period=period.strftime("%Y-%m"),
        hashed=hashed,
        rows=count,
    )
    return match_request
