"""The monthly check's reconciliation: a town's candidates (audit/rules.py) against the stored
findings of the period (see audit/check.py's docstring, step 4): new findings created and
assigned to the town's least-loaded case worker, open and closed ones updated or opened again,
dismissed ones left alone while their data is unchanged, and open findings no rule raises any
more closed.
"""

import datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Count, Q

from cases.models import Role, Town
from relief.history import create_many_with_history

from .finding_clock import due_on
from .models import Finding
from .rules import Candidate, Context


def _values(candidate: Candidate) -> dict:
    record = candidate.record
    return {
        "town_id": candidate.town_id,
        "household_id": candidate.household_id,
        "person_id": candidate.person_id,
        "grant_id": candidate.grant_id,
        "extract_id": record.extract_id if record else None,
        "record_id": record.pk if record else None,
        "figures": candidate.figures,
        "fingerprint": candidate.fingerprint,
        "effective_month": candidate.effective_month,
        "months": candidate.months,
        "overpaid": candidate.overpaid,
        "underpaid": candidate.underpaid,
        "difference_total": candidate.difference_total,
    }


def _changed(finding: Finding, values: dict) -> bool:
    for name, value in values.items():
        current = getattr(finding, name)
        if isinstance(current, Decimal):
            current, value = f"{current:.2f}", f"{Decimal(value):.2f}"
        if current != value:
            return True
    return False


class Assigner:
    """The town's case workers, least loaded first (open and proposed findings), round-robin
    among equals as new findings are given out."""

    def __init__(self, town: Town):
        workers = (
            get_user_model()
            .objects.filter(is_active=True, staff__role=Role.CASE_WORKER, staff__towns=town)
            .annotate(
                load=Count(
                    "assigned_findings", filter=Q(assigned_findings__state__in=Finding.UNDECIDED)
                )
            )
            .order_by("id")
        )
        self.load = {worker: worker.load for worker in workers}

    def next(self):
        if not self.load:
            return None
        worker = min(self.load, key=lambda w: (self.load[w], w.pk))
        self.load[worker] += 1
        return worker


def _reopen(finding: Finding) -> None:
    """A closed or dismissed finding raised again with new data starts over."""
    finding.state = Finding.State.OPEN
    finding.proposal = Finding.Proposal.NONE
    finding.proposed_by = None
    finding.proposed_at = None
    finding.decided_by = None
    finding.decided_at = None


def reconcile(
    ctx: Context,
    candidates: list[Candidate],
    *,
    today: datetime.date,
    actor=None,
) -> int:
    """Create, update, reopen or close the period's findings of the town; returns the number of
    findings created or opened again."""
    period = ctx.period
    by_key = {(c.kind, c.subject): c for c in candidates}
    existing = {
        (f.kind, f.subject): f
        for f in Finding.objects.select_for_update().filter(
            Q(period=period, town=ctx.town)
            | Q(period=period, subject__in=[c.subject for c in candidates])
        )
    }
    dismissed = set(
        Finding.objects.filter(
            state=Finding.State.DISMISSED,
            subject__in=[c.subject for c in candidates],
        ).values_list("kind", "subject", "fingerprint")
    )
    assigner = Assigner(ctx.town)
    due = due_on(today)
    raised = 0
    new: list[Finding] = []  # written together, with their history, after the loop
    for key, candidate in by_key.items():
        values = _values(candidate)
        finding = existing.get(key)
        if finding is None:
            if (candidate.kind, candidate.subject, candidate.fingerprint) in dismissed:
                continue
            new.append(
                Finding(
                    period=period,
                    kind=candidate.kind,
                    subject=candidate.subject,
                    assignee=assigner.next(),
                    raised_on=today,
                    due_on=due,
                    **values,
                )
            )
            continue
        if finding.state in (Finding.State.PROPOSED, Finding.State.CONFIRMED):
            continue
        if (
            finding.state == Finding.State.DISMISSED
            and finding.fingerprint == candidate.fingerprint
        ):
            continue
        if finding.state == Finding.State.OPEN and not _changed(finding, values):
            continue
        if finding.state != Finding.State.OPEN:
            _reopen(finding)
            finding.raised_on, finding.due_on = today, due
            finding.reminded_on = finding.breached_on = None
            if finding.assignee_id is None:
                finding.assignee = assigner.next()
            raised += 1
        for name, value in values.items():
            setattr(finding, name, value)
        finding._history_user = actor
        finding.save()
    create_many_with_history(Finding, new, user=actor)
    raised += len(new)
    for key, finding in existing.items():
        if key in by_key or finding.state != Finding.State.OPEN or finding.town_id != ctx.town.pk:
            continue
        finding.state = Finding.State.CLOSED
        finding._history_user = actor
        finding.save(update_fields=["state", "updated_at"])
    return raised
