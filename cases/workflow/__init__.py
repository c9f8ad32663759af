"""Applications and their workflow (DOMAIN.md §2, §5–§7).

- services.py: create, edit the draft, submit (the completeness check), accept, withdraw,
  complete an emergency file;
- steps.py: supplementary documents, home visit, town opinion, public notice, objections;
- decisions.py: extensions, approval and rejection, emergency approval, disbursement;
- completeness.py: the one list of what a complete file holds;
- clocks.py: the working-day clocks, their pauses and the calendar_changed receiver;
- sweep.py: the daily job (reminders, escalation, breaches);
- checks.py: the scope, role and state checks every step makes, who prepared an application,
  the step log;
- selectors.py: a user's work, the approval queue, the inbox, breaches, the town dashboard.

The grant an approval creates, and its schedules, are cases.grants; notifications cases.inbox.
"""
