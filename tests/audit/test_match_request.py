"""The match request lists exactly the current members of households with an active grant or
an application in progress, one key per line (ID number or hash), and is recorded."""

import datetime
import io
import json

import pytest
from django.core.management import CommandError, call_command

from audit.keys import hash_id
from audit.match_requests import match_request_write, people_asked_about
from audit.models import MatchRequest
from cases.models import Application, Grant, Membership
from relief.models import AuditEvent
from tests.factories import ApplicationFactory, approved_grant, household_with_members

pytestmark = pytest.mark.django_db
PERIOD = datetime.date(2026, 11, 1)


@pytest.fixture
def households():
    paid = approved_grant().household
    left = paid.memberships.exclude(relation="head").first()
    left.left_on = datetime.date(2026, 1, 31)
    left.leave_reason = Membership.LeaveReason.values[0]
    left.save()
    applying = ApplicationFactory().household  # a draft: in progress
    ended = approved_grant().household
    Grant.objects.filter(household=ended).update(state=Grant.State.TERMINATED)
    refused = ApplicationFactory(state=Application.State.REJECTED).household
    nothing = household_with_members()
    return {
        "paid": paid,
        "applying": applying,
        "ended": ended,
        "refused": refused,
        "nothing": nothing,
        "left": left.person,
    }


def expected_people(households):
    people = set()
    for key in ("paid", "applying"):
        people |= {m.person for m in households[key].memberships.filter(left_on__isnull=True)}
    return people


def test_exactly_the_right_people_are_asked_about(households):
    people = set(people_asked_about())

    assert people == expected_people(households)
    assert households["left"] not in people


@pytest.mark.parametrize("hashed", [False, True])
def test_the_request_file_holds_one_key_per_line(households, administrator, hashed):
    out = io.BytesIO()

    request = match_request_write(actor=administrator, period=PERIOD, hashed=hashed, out=out)

    lines = out.getvalue().decode().splitlines()
    people = expected_people(households)
    if hashed:
        assert lines[0] == "身份证号哈希"
        assert sorted(lines[1:]) == sorted(hash_id(p.id_number) for p in people)
    else:
        assert lines[0] == "身份证号"
        assert lines[1:] == sorted(p.id_number for p in people)
    assert (request.people, request.hashed, request.created_by) == (
        len(people),
        hashed,
        administrator,
    )
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert event.data["what"] == "match_request" and event.data["rows"] == len(people)


def test_only_administrators_write_it(worker_chashan, auditor):
    from django.core.exceptions import PermissionDenied

    for user in (worker_chashan, auditor):
        with pytest.raises(PermissionDenied):
            match_request_write(actor=user, period=PERIOD, hashed=True, out=io.BytesIO())


def test_the_command(households, tmp_path):
    path = tmp_path / "request.csv"
    out = io.StringIO()

    call_command("export_match_request", "--period", "2026-11", "--hashed", str(path), stdout=out)

    summary = json.loads(out.getvalue().strip().splitlines()[-1])
    assert summary["people"] == len(expected_people(households)) and summary["hashed"] is True
    assert path.read_text().splitlines()[0] == "身份证号哈希"
    assert MatchRequest.objects.get().sha256 == summary["sha256"]
    with pytest.raises(CommandError, match="--period"):
        call_command("export_match_request", "--period", "11-2026", str(path))
