"""python manage.py run_monthly_check --period YYYY-MM [--town CODE] [--from YYYY-MM]

The monthly check of a period (audit/check.py), town after town in this process. Progress goes
to stderr; the LAST line of stdout is JSON: {"period", "households_checked", "new_findings",
"findings" (the period's undecided findings in scope), "by_kind", "overpaid_total",
"underpaid_total"}. Running it again changes nothing.
"""

import datetime
import json
import re

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from audit import check
from audit.models import CheckRun
from cases.models import Town


def parse_month(option: str, value: str) -> datetime.date:
    match = re.fullmatch(r"(\d{4})-(\d{2})", (value or "").strip())
    try:
        if match is None:
            raise ValueError(value)
        return datetime.date(int(match.group(1)), int(match.group(2)), 1)
    except ValueError:
        raise CommandError(
            _("%(option)s: give the month as YYYY-MM (e.g. 2024-03), not “%(value)s”.")
            % {"option": option, "value": value}
        ) from None


class Command(BaseCommand):
    help = "Match a period's registry extracts against the recipients and raise findings."

    def add_arguments(self, parser):
        parser.add_argument("--period", required=True, metavar="YYYY-MM", help="The month.")
        parser.add_argument(
            "--town", metavar="CODE", help="Only this town (its 9-digit division code)."
        )
        parser.add_argument(
            "--from",
            dest="from_month",
            metavar="YYYY-MM",
            help="The first month to reconcile (default: the month after the last checked "
            "period, or the matching rule's first-check months back).",
        )

    def handle(self, *args, period, town=None, from_month=None, **options):
        month = parse_month("--period", period)
        first = parse_month("--from", from_month) if from_month else None
        if first is not None and first > month:
            raise CommandError(_("--from: the first month comes after the period."))
        town_obj = None
        if town is not None:
            town_obj = Town.objects.filter(code=town.strip()).first()
            if town_obj is None:
                raise CommandError(
                    _("--town: no town has the division code %(code)s.") % {"code": town}
                )
        try:
            run = check.run_check(month, town=town_obj, from_month=first)
        except ValidationError as error:
            raise CommandError(
                "; ".join(
                    f"--{name}: {message}"
                    for name, messages in error.message_dict.items()
                    for message in messages
                )
            ) from None
        for part in run.towns.select_related("town"):
            self.stderr.write(
                _("%(town)s: %(households)d households checked, %(new)d new findings")
                % {
                    "town": part.town.name,
                    "households": part.households_checked,
                    "new": part.new_findings,
                }
            )
        if run.state != CheckRun.State.DONE:
            raise CommandError(run.error)
        self.stdout.write(json.dumps(run.result, ensure_ascii=False))
