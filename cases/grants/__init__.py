"""Grant amount schedules and the grant's later life (DOMAIN.md §5, §9; DESIGN.md "Invariants").

A grant pays its confirmed amount schedule, and nothing else: new evidence or a new standard
never changes a payment by itself. The chain is

    schedule_propose / standard_change_propose   (the amount from cases.calculation.calculate)
      → schedule_confirm / schedule_confirmation_confirm   (a second person)
        → confirmed_amount(grant, month)   (what the payment run and reassessments read)

- `confirmed_amount` is the one answer to "what does this grant pay for this month": the latest
  confirmed entry with from_month <= month, nothing before the first month, after the last
  month or during a suspension. `with_confirmed_amount` is the same rule as a queryset
  annotation, for the payment run. Proposals, rejected and superseded entries never count.
- An entry from a month replaces the schedule from that month until the next confirmed entry.
  Confirming an entry from a month that already has a confirmed entry supersedes that one.
- A proposal that equals the confirmed amount in force is not recorded (schedule_propose returns
  None; a standard change counts it as "unchanged"), so a standard change proposes only real
  changes and the confirmer reads only those.
- Temporary assistance has no schedule recomputation: its amount is a decision within a band,
  approved once (DOMAIN.md §5).
- Suspension withholds the months from its first month until the month it is resumed from; a
  withheld month that turns out to be due is back-paid through a reassessment (payments), not
  here. Termination sets the last month paid.
- Gradual exit (渐退, DOMAIN.md §5: up to the rule's gradual_exit_months, 6 in Guangdong): the
  grant keeps paying for `months` months from `from_month` and then ends. By default it pays
  the amount in force throughout; `stepped=True` steps it down in equal parts, month i of n
  paying amount × (n − i) / n (600.00 over 6 months: 600, 500, 400, 300, 200, 100), proposed as
  schedule entries that a second person confirms like any other. The daily job terminates the
  grant after its last exit month (gradual_exits_close).
- Re-checks (DOMAIN.md §5; 《最低生活保障审核确认办法》, 民发〔2021〕57号, art. 30): yearly
  (recheck_months_stable), every six months (recheck_months_irregular) for a household with
  irregular income and working capacity. Relief reads that from the registry: a current member
  of working age (minor_age <= age < elderly_age of the scheme rule) whose employment status
  is flexible or irregular work, self-employment, or unemployed and able to work (收入来源不固定
  and 有劳动能力). recheck_reminders, run daily, writes the reminders.

Who: case workers and supervisors of the grant's town propose and record re-checks; a town
supervisor of the town or the city supervisor confirms, rejects, suspends, resumes, terminates
and decides a gradual exit; nobody confirms or rejects what they proposed. Standard changes are
proposed and confirmed by city supervisors (two different ones). Another town's grant does not
exist for the actor (404), the wrong role is a 403, the wrong state a 400.

Layout: create.py (the grant an approval creates), amounts.py (what a grant pays; the scoped
reads), proposals.py (single proposals), standard_changes.py, lifecycle.py (suspension,
termination, gradual exit), rechecks.py (and the daily job), checks.py (what they share; its
locked_grant and require_month serve payments' corrections too, and are handed on here).
"""

from .amounts import (
    amount_in_force,
    confirmation_figures,
    confirmed_amount,
    schedule_confirmations_in_scope,
    schedule_confirmations_listed,
    schedule_entries_in_scope,
    schedule_queue,
    skipped_in_scope,
    with_confirmed_amount,
)
from .checks import locked_grant, require_month
from .lifecycle import (
    gradual_exits_close,
    grant_cover_end,
    grant_gradual_exit,
    grant_resume,
    grant_suspend,
    grant_terminate,
    stepped_amounts,
)
from .proposals import schedule_confirm, schedule_propose, schedule_reject
from .rechecks import (
    IRREGULAR_EMPLOYMENT,
    grant_recheck_record,
    irregular_income,
    recheck_due_after,
    recheck_due_soon_until,
    recheck_reminder_days,
    recheck_reminders,
    recheck_schedule_missing,
    schedules_daily,
)
from .standard_changes import (
    schedule_confirmation_confirm,
    schedule_confirmation_reject,
    standard_change_propose,
)

__all__ = [
    "IRREGULAR_EMPLOYMENT",
    "amount_in_force",
    "confirmation_figures",
    "confirmed_amount",
    "grant_cover_end",
    "grant_gradual_exit",
    "grant_recheck_record",
    "grant_resume",
    "grant_suspend",
    "grant_terminate",
    "gradual_exits_close",
    "irregular_income",
    "locked_grant",
    "recheck_due_after",
    "recheck_due_soon_until",
    "recheck_reminder_days",
    "recheck_reminders",
    "recheck_schedule_missing",
    "require_month",
    "schedule_confirm",
    "schedule_confirmation_confirm",
    "schedule_confirmation_reject",
    "schedule_confirmations_in_scope",
    "schedule_confirmations_listed",
    "schedule_entries_in_scope",
    "schedule_propose",
    "schedule_queue",
    "skipped_in_scope",
    "schedule_reject",
    "schedules_daily",
    "standard_change_propose",
    "stepped_amounts",
    "with_confirmed_amount",
]
