"""`manage.py seed_registry_demo`: a month of partner extracts for the demo recipients and the
monthly check run on them, so that the findings page has work at once (audit/demo.py). Run it
after `seed_demo` and `seed_payments_demo`; safe to run twice (adds nothing the second time)."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from audit import demo


class Command(BaseCommand):
    help = (
        "Write and import a month of demo registry extracts and run the monthly check on them "
        "(after seed_demo and seed_payments_demo; safe to run twice)."
    )

    def handle(self, *args, **options):
        started = time.monotonic()
        try:
            result = demo.seed_registry_demo(directory=settings.VAR_DIR / "registry-demo")
        except demo.DemoNotReady as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Registry demo for {result.period}: {result.authorisations} authorisations "
            f"recorded, {result.revoked} revoked; {result.imported} extracts imported "
            f"(files under {settings.VAR_DIR / 'registry-demo'})."
        )
        for code, summary in result.extracts.items():
            self.stdout.write(
                f"  {code}: {summary['rows']} rows, {summary['matched']} matched, "
                f"{summary['dropped_unknown']} dropped as unknown, "
                f"{summary['set_aside_unauthorised']} set aside without authorisation"
                + ("" if summary["imported"] else " (already imported)")
            )
        checked = (
            f"monthly check run: {result.new_findings} new findings"
            if result.checked
            else "monthly check already run"
        )
        kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(result.findings.items()))
        towns = ", ".join(f"{town} {n}" for town, n in sorted(result.findings_by_town.items()))
        self.stdout.write(
            f"{checked}; findings of {result.period}: {sum(result.findings.values())} "
            f"({kinds}); by town: {towns}. {time.monotonic() - started:.1f} s."
        )
