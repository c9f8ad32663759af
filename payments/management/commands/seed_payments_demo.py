"""`manage.py seed_payments_demo`: demo dibao grants with payee accounts, the last three months
paid, and a recovery and a back-pay waiting for a supervisor (payments/demo.py). Run it after
`manage.py seed_demo`, which creates the demo users; safe to run twice."""

import time

from django.core.management.base import BaseCommand, CommandError

from payments import demo


class Command(BaseCommand):
    help = (
        "Create demo dibao grants with confirmed payee accounts and the last three months paid, "
        "so that next month's payment run has work (after seed_demo; safe to run twice)."
    )

    def handle(self, *args, **options):
        started = time.monotonic()
        try:
            result = demo.seed_payments_demo()
        except demo.DemoNotReady as exc:
            raise CommandError(str(exc)) from exc
        months = ", ".join(result.periods) or "none"
        self.stdout.write(
            f"Payments demo: {result.grants} grants with payee accounts created; "
            f"months paid now: {months} ({result.runs} town runs, {result.batches_reconciled} "
            f"batches reconciled, {result.failed_lines} failed lines, "
            f"{result.accounts_replaced} accounts replaced); "
            f"{result.corrections} confirmed amount changes reaching back into paid months, "
            "their recovery and back-pay waiting for a supervisor. "
            f"{time.monotonic() - started:.1f} s."
        )
