"""The findings' working-day clock, like the application clocks
(cases.workflow.sweep) and told through the same inbox (cases.inbox.notify_many): a due date
the matching rule's finding_limit_days working days after the finding's raising (the real
calendar, relief.workdays), a reminder within its reminder_days working days of that date, a
breach the day after it."""

import datetime

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from cases import grants as schedules
from cases.inbox import Message, notify_many
from cases.models import Notification, Role
from relief.workdays import add_working_days

from .models import Finding
from .rules import matching_rule


def due_on(raised_on: datetime.date) -> datetime.date:
    """A finding is decided within the finding_limit_days working days of the matching rule in
    force on its raising (relief.workdays, the real calendar; the rule's default, 15, when no
    rule is recorded)."""
    return add_working_days(raised_on, matching_rule(raised_on).finding_limit_days)


def _messages(finding: Finding, holders, kind: str, text: str) -> list[Message]:
    """One notification per holder about the finding, unique per finding, kind and due date."""
    key = f"finding:{finding.pk}:{'due' if kind == Notification.Kind.DUE_SOON else 'overdue'}"
    url = reverse("audit:finding-detail", args=[finding.pk])
    return [
        Message(user_id, kind, f"{key}:{finding.due_on}", text, None, url) for user_id in holders
    ]


@transaction.atomic
def findings_daily(*, today: datetime.date) -> dict:
    """The findings' daily job: gives undecided findings without a due date theirs (the rule's
    working days from their raising), reminds the assignee (or, unassigned, the town's case
    workers) of a finding due within the rule's reminder_days working days, and records a
    breach the day after the due date, telling the assignee and the town's supervisors. Safe to
    run twice on one day: reminded_on and breached_on are set once, and a notification is
    unique per user and key."""
    live = Finding.objects.filter(state__in=Finding.UNDECIDED)
    dated = 0
    undated = live.filter(due_on__isnull=True)
    for raised_on in undated.order_by().values_list("raised_on", flat=True).distinct():
        dated += undated.filter(raised_on=raised_on).update(due_on=due_on(raised_on))
    soon_until = add_working_days(today, matching_rule(today).reminder_days)
    due_soon = list(
        live.filter(reminded_on__isnull=True, due_on__gte=today, due_on__lte=soon_until)
    )
    overdue = list(live.filter(breached_on__isnull=True, due_on__lt=today))
    town_ids = {f.town_id for f in due_soon + overdue}
    staff = schedules.checks.staff_of_towns((Role.CASE_WORKER, Role.TOWN_SUPERVISOR), town_ids)
    messages = []
    for finding in due_soon:
        holders = (
            [finding.assignee_id]
            if finding.assignee_id
            else staff.get((Role.CASE_WORKER, finding.town_id), [])
        )
        text = _("Finding #%(id)s (%(kind)s) is due on %(due)s.") % {
            "id": finding.pk,
            "kind": finding.get_kind_display(),
            "due": finding.due_on.isoformat(),
        }
        messages += _messages(finding, holders, Notification.Kind.DUE_SOON, text)
    for finding in overdue:
        holders = [finding.assignee_id] if finding.assignee_id else []
        holders += staff.get((Role.TOWN_SUPERVISOR, finding.town_id), [])
        text = _("Finding #%(id)s (%(kind)s) was due on %(due)s and is not decided.") % {
            "id": finding.pk,
            "kind": finding.get_kind_display(),
            "due": finding.due_on.isoformat(),
        }
        messages += _messages(finding, holders, Notification.Kind.OVERDUE, text)
    notify_many(messages)
    Finding.objects.filter(pk__in=[f.pk for f in due_soon]).update(reminded_on=today)
    Finding.objects.filter(pk__in=[f.pk for f in overdue]).update(breached_on=today)
    return {"dated": dated, "reminded": len(due_soon), "breached": len(overdue)}
