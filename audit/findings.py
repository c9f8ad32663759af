"""Findings worked by people (DOMAIN.md §2, §9): assignment, the case worker's
proposal, the second person's decision, and what a confirmed finding leads to.

    open --propose(confirm | dismiss with a reason)--> proposed
    proposed --approve (a supervisor, not the proposer)--> confirmed | dismissed
    proposed --reject (a supervisor, not the proposer, with reasons)--> open

Who: a town supervisor of the finding's town (or the city supervisor) reassigns it to a case
worker of that town; the assignee (any case worker of the town while it is unassigned, who then
holds it) or a town supervisor of the town proposes; a town supervisor of the town or the city
supervisor who did not propose decides. Another town's finding does not exist for the actor
(404), the wrong role is a 403, the wrong state or a missing reason a 400.

A finding never changes money by itself. Approving a confirmation acts only through cases' and
payments' services, in the proposer's and the decider's names (the maker and the checker):

1. evidence: the period's records of the finding's sources, read by
   audit.registry_evidence.changes_for (the same reading the check used for the months), become
   dated evidence with source `registry` (the recorded rows of that person and kind end the day
   before); a death or a move ends the membership (cases.services.member_leave);
2. the schedule: from the first month whose calculation on that evidence differs from the
   amount in force, the proposer's schedule proposal (cases.grants.schedule_propose) confirmed by
   the decider; where the household is no longer eligible, the decider terminates the grant
   with the month before instead (cases.grants.grant_terminate); ineligible from the grant's
   very first month, its schedule becomes 0 from that month and it ends with it. Only a
   calculation that says "not eligible" ends a grant: one that cannot be made (a covered person
   who is not a member, no standard in force) refuses the confirmation, naming the problem;
   `enrolled_twice` first ends the person's cover on the later grant
   (cases.grants.grant_cover_end), then the months are recalculated without them;
3. the paid months: payments.corrections.reassess, in the proposer's name, turns them into a
   proposed recovery or back-pay that a supervisor other than the proposer confirms, as for any
   reassessment. A month still at the bank leaves it to the daily reassessment job.

`not_enrolled` (outreach) and `no_authorisation` have no money effect: confirming them records
that the case worker handled them (an application started, the authorisation collected).
The outcome (the ids of what was created) is kept on the finding.
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases import grants as schedules
from cases import selectors as case_selectors
from cases import services as case_services
from cases.calculation.loading import load_inputs
from cases.models import (
    Asset,
    Grant,
    IncomeLine,
    Membership,
    Role,
    Scheme,
    StaffProfile,
)
from cases.models.evidence import Source as EvidenceSource
from cases.permissions import DECIDER_ROLES, require_role, require_second_person, role_of
from payments import corrections
from payments.models import BackPay, Recovery
from relief.dates import add_months, first_of_month, month_key, when
from relief.errors import require_text, state_error
from relief.history import with_actor
from relief.models import AuditEvent
from relief.services import record

from . import selectors
from .amounts import ASSETS, INCOME, LEAVES
from .models import Extract, Finding, RegistryRecord
from .registry_evidence import changes_for
from .rules import matching_rule

PROPOSER_MESSAGE = gettext_lazy(
    "Only the finding's case worker or a town supervisor of its town proposes its outcome."
)
DECIDER_MESSAGE = gettext_lazy(
    "Only a town supervisor of the finding's town or the city supervisor decides a finding."
)
ASSIGNER_MESSAGE = gettext_lazy(
    "Only a town supervisor of the finding's town or the city supervisor assigns findings."
)
FINDING_STATE = gettext_lazy("Cannot %(action)s: the finding is %(state)s (%(code)s).")
OWN_PROPOSAL = gettext_lazy("You proposed this, so someone else must %(what)s it.")

# The registry sources whose records a confirmed finding of each kind writes as evidence.
SOURCES_OF_KIND = {
    Finding.Kind.ASSETS_OVER_LIMIT: ("deposits", "securities", "insurance"),
    Finding.Kind.PROPERTY: ("property",),
    Finding.Kind.VEHICLE: ("vehicles",),
    Finding.Kind.BUSINESS: ("business",),
    Finding.Kind.DEATH: ("deaths",),
    Finding.Kind.MOVED_OUT: ("hukou_moves",),
    Finding.Kind.INCOME_CHANGED: ("social_insurance",),
}
LEAVE_REASONS = {
    "deaths": Membership.LeaveReason.DEATH,
    "hukou_moves": Membership.LeaveReason.MOVED_OUT,
}


def _locked(*, actor, finding: Finding) -> Finding:
    """The finding, locked, in the actor's scope (else 404)."""
    return case_selectors.get_in_scope(
        selectors.findings_in_scope(actor)
        .select_for_update(of=("self",))
        .select_related("town", "household", "grant"),
        pk=finding.pk,
    )


def _require_state(finding: Finding, states, action: str) -> None:
    if finding.state not in states:
        raise state_error(finding, action, FINDING_STATE)


def _audit(actor, finding: Finding, what: str, **data) -> None:
    record(
        actor=actor,
        action=AuditEvent.Action.APPROVE,
        target=finding,
        town_code=finding.town.code,
        what=what,
        **data,
    )


def _is_town_case_worker(user, town_id: int) -> bool:
    return StaffProfile.objects.filter(
        user=user, user__is_active=True, role=Role.CASE_WORKER, towns=town_id
    ).exists()


@transaction.atomic
def finding_reassign(*, actor, finding: Finding, assignee, reason: str = "") -> Finding:
    """Give the finding to a case worker of its town (a town supervisor or the city
    supervisor). An undecided finding only."""
    finding = _locked(actor=actor, finding=finding)
    require_role(actor, DECIDER_ROLES, ASSIGNER_MESSAGE)
    _require_state(finding, Finding.UNDECIDED, _("reassign"))
    if assignee is None or not _is_town_case_worker(assignee, finding.town_id):
        raise ValidationError(
            {"assignee": _("Choose an active case worker of the finding's town.")}
        )
    finding.assignee = assignee
    text = reason.strip() or _("Assigned to %(name)s") % {
        "name": assignee.get_full_name() or assignee.get_username()
    }
    with_actor(finding, actor, text).save()
    return finding


def _require_proposer(actor, finding: Finding) -> None:
    role = role_of(actor)
    if role == Role.TOWN_SUPERVISOR:
        return  # in scope already: a supervisor of the town
    if role == Role.CASE_WORKER and finding.assignee_id in (None, actor.pk):
        return
    raise PermissionDenied(PROPOSER_MESSAGE)


@transaction.atomic
def finding_propose(
    *, actor, finding: Finding, proposal: str, reason: str = "", now=None
) -> Finding:
    """The case worker's proposal: confirm the finding, or dismiss it with a reason (e.g. a
    cleared family shop). Nothing else changes until a second person decides."""
    _today, now = when(None, now)
    finding = _locked(actor=actor, finding=finding)
    _require_proposer(actor, finding)
    _require_state(finding, (Finding.State.OPEN,), _("propose an outcome"))
    if proposal not in (Finding.Proposal.CONFIRM, Finding.Proposal.DISMISS):
        raise ValidationError({"proposal": _("Propose to confirm or to dismiss the finding.")})
    reason = (reason or "").strip()
    if proposal == Finding.Proposal.DISMISS:
        reason = require_text(reason, "reason", _("Say why the finding is dismissed."))
    finding.proposal = proposal
    finding.reason = reason
    finding.state = Finding.State.PROPOSED
    finding.proposed_by = actor
    finding.proposed_at = now
    finding.decided_by = None
    finding.decided_at = None
    if finding.assignee_id is None and role_of(actor) == Role.CASE_WORKER:
        finding.assignee = actor
    text = (
        _("Proposed to confirm the finding")
        if proposal == Finding.Proposal.CONFIRM
        else _("Proposed to dismiss the finding: %(reason)s") % {"reason": reason}
    )
    with_actor(finding, actor, text).save()
    return finding


def _locked_for_decision(*, actor, finding: Finding, what: str) -> Finding:
    finding = _locked(actor=actor, finding=finding)
    require_role(actor, DECIDER_ROLES, DECIDER_MESSAGE)
    _require_state(finding, (Finding.State.PROPOSED,), what)
    require_second_person(actor, finding.proposed_by_id, OWN_PROPOSAL % {"what": what})
    return finding


@transaction.atomic
def finding_reject(*, actor, finding: Finding, reason: str, now=None) -> Finding:
    """Send the proposal back to the case worker with reasons: the finding is open again."""
    _today, now = when(None, now)
    finding = _locked_for_decision(actor=actor, finding=finding, what=_("reject"))
    reason = require_text(reason, "reason", _("Give the reasons for the rejection."))
    finding.state = Finding.State.OPEN
    finding.rejection_reason = reason
    finding.proposal = Finding.Proposal.NONE
    with_actor(finding, actor, _("Proposal rejected: %(reason)s") % {"reason": reason}).save()
    return finding


@transaction.atomic
def finding_approve(
    *, actor, finding: Finding, today: datetime.date | None = None, now=None
) -> Finding:
    """The second person agrees with the proposal. A dismissal closes the finding (it is not
    raised again while the registry data is unchanged); a confirmation writes the evidence and
    leads, through cases' and payments' services, to the schedule change or the exit and the
    reassessment of the months paid (the module docstring)."""
    today, now = when(today, now)
    finding = _locked_for_decision(actor=actor, finding=finding, what=_("approve"))
    confirm = finding.proposal == Finding.Proposal.CONFIRM
    if confirm:
        finding.outcome = _carry_out(finding, decider=actor, today=today, now=now)
    finding.state = Finding.State.CONFIRMED if confirm else Finding.State.DISMISSED
    finding.decided_by = actor
    finding.decided_at = now
    finding.rejection_reason = ""
    text = _("Finding confirmed") if confirm else _("Finding dismissed")
    with_actor(finding, actor, text).save()
    _audit(actor, finding, "finding", state=finding.state, outcome=finding.outcome)
    return finding


# What a confirmed finding leads to


def _records(finding: Finding, household_of: dict[int, int]) -> list[RegistryRecord]:
    sources = SOURCES_OF_KIND.get(finding.kind, ())
    if not sources:
        return []
    return list(
        RegistryRecord.objects.filter(
            period=finding.period,
            source__code__in=sources,
            extract__state=Extract.State.IMPORTED,
            person_id__in=list(household_of),
        ).select_related("source")
    )


def _end_recorded(rows, *, actor, on: datetime.date, reason: str) -> None:
    """The recorded rows still holding on `on` stop the day before (evidence is never deleted)."""
    for row in rows.filter(valid_from__lt=on).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=on)
    ):
        case_services.evidence_end(
            actor=actor, evidence=row, valid_to=on - datetime.timedelta(days=1), reason=reason
        )


def _write_evidence(finding: Finding, *, actor, reason: str) -> dict:
    """The records as dated evidence (source `registry`), through cases' services."""
    household = finding.household
    members = Membership.objects.filter(household=household, left_on__isnull=True)
    if finding.person_id and finding.kind in (Finding.Kind.DEATH, Finding.Kind.MOVED_OUT):
        members = members.filter(person_id=finding.person_id)
    household_of = {m.person_id: household.pk for m in members}
    rule = matching_rule(finding.period)
    records = _records(finding, household_of)
    changes = changes_for(
        records,
        household_of=household_of,
        exempt_vehicle_types=rule.exempt_vehicle_types,
    )
    leaving = {
        row.person_id: LEAVE_REASONS[row.source.code]
        for row in records
        if row.source.code in LEAVE_REASONS
    }
    made: dict[str, list[int]] = {"assets": [], "income_lines": [], "memberships": []}
    ended_kinds: set[tuple[int, str]] = set()
    for change in changes:
        if change.what == ASSETS:
            key = (change.person_id, change.asset_kind)
            if key not in ended_kinds:
                ended_kinds.add(key)
                _end_recorded(
                    Asset.objects.filter(
                        household=household, person_id=change.person_id, kind=change.asset_kind
                    ),
                    actor=actor,
                    on=change.on,
                    reason=reason,
                )
            financial = change.asset_kind in Asset.FINANCIAL_KINDS
            if (financial and not change.value) or (not financial and not change.units):
                continue  # holds nothing of that kind: ending the recorded rows says it
            asset = case_services.asset_create(
                actor=actor,
                household=household,
                reason=reason,
                person_id=change.person_id,
                kind=change.asset_kind,
                value=change.value,
                units=change.units,
                exempt=change.exempt,
                valid_from=change.on,
                source=EvidenceSource.REGISTRY,
                note=reason[:200],
            )
            made["assets"].append(asset.pk)
        elif change.what == INCOME:
            _end_recorded(
                IncomeLine.objects.filter(
                    household=household,
                    person_id=change.person_id,
                    income_type_id=change.income_type_id,
                ),
                actor=actor,
                on=change.on,
                reason=reason,
            )
            line = case_services.income_line_create(
                actor=actor,
                household=household,
                reason=reason,
                person_id=change.person_id,
                income_type_id=change.income_type_id,
                monthly_amount=change.amount,
                valid_from=change.on,
                source=EvidenceSource.REGISTRY,
                note=reason[:200],
            )
            made["income_lines"].append(line.pk)
        elif change.what == LEAVES:
            membership = members.get(person_id=change.person_id)
            case_services.member_leave(
                actor=actor,
                membership=membership,
                left_on=change.on,
                leave_reason=leaving[change.person_id],
                note=reason[:200],
            )
            made["memberships"].append(membership.pk)
    return {key: ids for key, ids in made.items() if ids}


def _live_grant(finding: Finding) -> Grant | None:
    if finding.grant_id is not None:
        return finding.grant
    return (
        Grant.objects.filter(
            household=finding.household_id, state__in=(Grant.State.ACTIVE, Grant.State.SUSPENDED)
        )
        .exclude(scheme__kind=Scheme.Kind.TEMPORARY)
        .order_by("-starts_month")
        .first()
    )


def _first_changed_month(grant: Grant, first: datetime.date, last: datetime.date):
    """The first month from `first` to `last` whose calculation differs from the amount in
    force, with its calculation; (None, None) when none differs. Only a calculation that says
    "not eligible" ends the grant: one that cannot be made (a covered person who is not a
    member, no standard in force, ...) refuses the confirmation, naming the month and why.
    A month in which no member the grant names as covered is left (the only covered member
    died or moved out) ends the grant like "not eligible": it is returned with no calculation."""
    month = first
    while month <= last:
        try:
            calculation = schedules.checks.calculate_for(grant, month)
        except ValidationError as error:
            if month > grant.starts_month and _no_one_covered(grant, month):
                return month, None
            raise ValidationError(
                {
                    "finding": _(
                        "Grant #%(grant)s cannot be calculated for %(month)s, so the finding "
                        "cannot be carried out: %(problem)s"
                    )
                    % {
                        "grant": grant.pk,
                        "month": month_key(month),
                        "problem": " ".join(error.messages),
                    }
                }
            ) from error
        if calculation.total != schedules.amount_in_force(grant=grant, month=month):
            return month, calculation
        month = add_months(month, 1)
    return None, None


def _no_one_covered(grant: Grant, month: datetime.date) -> bool:
    """Whether the grant names its covered members and every one of them has left its
    household by the month's first day: the loader's list of those still covered is then
    empty (cases.calculation.loading._still_covered, the one place of that rule). A named
    person who never was a member stays on the list, and the calculation's refusal stands."""
    named = schedules.checks.covered_ids(grant)
    if not named:
        return False
    inputs = load_inputs(
        household=grant.household, scheme=grant.scheme, month=month, covered_person_ids=named
    )
    return inputs.covered_person_ids == []


def _reassess(grant: Grant, *, from_month, entry, proposer, today, now) -> dict:
    try:
        reassessment = corrections.reassess(
            grant=grant,
            from_month=from_month,
            actor=proposer,
            schedule_entry=entry,
            today=today,
            now=now,
        )
    except ValidationError:
        # A month still at the bank: the daily job reassesses the confirmed entry later.
        return {"reassessment_waits": True}
    if reassessment is None:
        return {}
    result = {"reassessment": reassessment.pk}
    recovery = Recovery.objects.filter(reassessment=reassessment).first()
    back_pay = BackPay.objects.filter(reassessment=reassessment).first()
    if recovery is not None:
        result["recovery"] = recovery.pk
    if back_pay is not None:
        result["back_pay"] = back_pay.pk
    return result


def _carry_out(finding: Finding, *, decider, today, now) -> dict:
    if not finding.affects_money or finding.household_id is None:
        return {"handled": True}
    proposer = finding.proposed_by
    reason = _("Registry finding #%(id)s (%(kind)s, %(period)s) confirmed") % {
        "id": finding.pk,
        "kind": finding.get_kind_display(),
        "period": month_key(finding.period),
    }
    outcome = _write_evidence(finding, actor=decider, reason=reason)
    grant = _live_grant(finding)
    if grant is None or grant.scheme.is_temporary:
        return outcome
    first = max(finding.effective_month or finding.period, grant.starts_month)
    last = add_months(first_of_month(today), 1)
    if grant.ends_month is not None:
        last = min(last, grant.ends_month)
    if finding.kind == Finding.Kind.ENROLLED_TWICE:
        # The person is covered twice: their cover on this (later) grant ends; the months
        # are then recalculated without them like any other change.
        schedules.grant_cover_end(grant=grant, person=finding.person, actor=decider, reason=reason)
        outcome["cover_ended"] = finding.person_id
    month, calculation = _first_changed_month(grant, first, last)
    if month is None:
        outcome.update(
            _reassess(grant, from_month=first, entry=None, proposer=proposer, today=today, now=now)
        )
        return outcome
    if (calculation is None or not calculation.eligible) and month > grant.starts_month:
        ends = add_months(month, -1)
        schedules.grant_terminate(
            grant=grant, actor=decider, reason=reason, ends_month=ends, today=today, now=now
        )
        outcome["terminated_after"] = month_key(ends)
        outcome.update(
            _reassess(grant, from_month=month, entry=None, proposer=proposer, today=today, now=now)
        )
        return outcome
    # A changed amount, or a grant ineligible from its very first month: nothing of it was
    # due, so its schedule becomes 0 from that month (the calculation's total) and the grant
    # ends with it, every paid month reassessed into a recovery.
    entry = schedules.schedule_propose(
        grant=grant, from_month=month, actor=proposer, reason=reason, today=today, now=now
    )
    entry = schedules.schedule_confirm(entry=entry, actor=decider, now=now)
    outcome["schedule_entry"] = entry.pk
    if not calculation.eligible:
        schedules.grant_terminate(
            grant=grant, actor=decider, reason=reason, ends_month=month, today=today, now=now
        )
        outcome["terminated_after"] = month_key(month)
    outcome.update(
        _reassess(grant, from_month=month, entry=entry, proposer=proposer, today=today, now=now)
    )
    return outcome


def outcome_links(finding: Finding) -> dict:
    """The outcome's objects for the detail page: {"schedule_entry": entry, "recovery": ...}."""
    from cases.models import ScheduleEntry
    from payments.models import Reassessment

    outcome = finding.outcome or {}
    found = {}
    for key, model in (
        ("schedule_entry", ScheduleEntry),
        ("reassessment", Reassessment),
        ("recovery", Recovery),
        ("back_pay", BackPay),
    ):
        if outcome.get(key):
            found[key] = model.objects.filter(pk=outcome[key]).first()
    return found


__all__ = [
    "finding_approve",
    "finding_propose",
    "finding_reassign",
    "finding_reject",
]
