"""`manage.py seed_demo [--households N] [--seed S] [--no-applications]`: the demo users, N demo
households, and demo applications in every state of the workflow.

Safe to run twice: a re-run resets the demo users' passwords (DEMO_PASSWORD, default
"relief-demo") and adds only the households and applications that are missing. See cases/demo/.
"""

import os
import sys
import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from cases import demo


class Command(BaseCommand):
    help = "Create the demo users (DOMAIN.md §2) and N synthetic demo households."

    def add_arguments(self, parser):
        parser.add_argument("--households", type=int, default=200, help="default 200")
        parser.add_argument("--seed", type=int, default=1, help="default 1")
        parser.add_argument(
            "--chunk-size",
            type=int,
            default=None,
            help="households per transaction (default 50000 on PostgreSQL, 2000 elsewhere)",
        )
        parser.add_argument(
            "--no-applications",
            dest="applications",
            action="store_false",
            help="skip the demo applications (a fixed dozen, whatever N)",
        )

    def handle(self, *args, households, seed, chunk_size, applications, verbosity, **options):
        if households < 0:
            raise CommandError("--households must be 0 or more.")
        if chunk_size is not None and chunk_size < 1:
            raise CommandError("--chunk-size must be 1 or more.")
        password = os.environ.get("DEMO_PASSWORD") or "relief-demo"
        bar = tqdm(
            total=0, unit="households", file=sys.stderr, disable=verbosity == 0, smoothing=0.1
        )

        def on_total(total):
            bar.total = total
            bar.refresh()

        started = time.monotonic()
        try:
            result = demo.seed_demo(
                households=households,
                seed=seed,
                password=password,
                chunk_size=chunk_size,
                progress=bar.update,
                on_total=on_total,
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            bar.close()
        cases = demo.seed_workflow_demo() if applications else 0
        self.stdout.write(
            f"Demo users: {result.users_created} created, passwords reset. "
            f"Households: {result.households_created} created ({result.persons_created} people), "
            f"{result.households_skipped} already there. "
            f"Demo applications: {cases} created. {time.monotonic() - started:.1f} s."
        )
