"""python manage.py payment_run --period YYYY-MM [--town CODE] [--user NAME] [--kind KIND]

Writes the period's missing payment lines into each town's draft batch (payments.runs). The
batches stay draft until someone submits them. Progress goes to stderr; the LAST line of stdout
is JSON: {"period": "YYYY-MM", "batches": int, "lines": int, "new_lines": int,
"total_amount": "1234.56", "generated": bool}, counting the period's batches of the run's kind
and their live lines within --town when given. Running it again writes nothing and says so.
"""

import datetime
import json
import re

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.http import Http404
from django.utils.translation import gettext as _

from cases.models import Town
from payments import runs
from payments.models import PaymentRun


class Command(BaseCommand):
    help = "Write a period's payment lines into each town's draft batch (safe to run twice)."

    def add_arguments(self, parser):
        parser.add_argument("--period", required=True, metavar="YYYY-MM", help="The month paid.")
        parser.add_argument(
            "--town", metavar="CODE", help="Only this town (its 9-digit division code)."
        )
        parser.add_argument(
            "--user",
            metavar="NAME",
            help="Record the run under this account (the city supervisor, or a town supervisor "
            "with --town). Without it the run is recorded as the scheduler's.",
        )
        parser.add_argument(
            "--kind",
            default=PaymentRun.Kind.MONTHLY,
            choices=PaymentRun.Kind.values,
            help="monthly (default), disbursement (the day's temporary assistance) or urgent.",
        )

    def handle(self, *args, period, town=None, user=None, kind=PaymentRun.Kind.MONTHLY, **opts):
        month = self._period(period)
        town_obj = None
        if town is not None:
            town_obj = Town.objects.filter(code=town.strip()).first()
            if town_obj is None:
                raise CommandError(
                    _("--town: no town has the division code %(code)s.") % {"code": town}
                )
        actor = None
        if user is not None:
            actor = get_user_model().objects.filter(username=user, is_active=True).first()
            if actor is None:
                raise CommandError(_("--user: no active user is called %(name)s.") % {"name": user})
        try:
            result = runs.payment_run(
                period=month, town=town_obj, actor=actor, kind=kind, progress=self._progress
            )
        except PermissionDenied as exc:
            raise CommandError(f"--user: {exc}") from None
        except Http404:
            raise CommandError(
                _("--town: %(user)s may not run payments for %(town)s.")
                % {"user": user, "town": town}
            ) from None
        except ValidationError as exc:
            raise CommandError(
                "; ".join(f"--{key}: {' '.join(msgs)}" for key, msgs in exc.message_dict.items())
            ) from None
        self.stderr.write(result.message)
        self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False))

    def _period(self, value: str) -> datetime.date:
        match = re.fullmatch(r"(\d{4})-(\d{2})", value.strip())
        try:
            if match is None:
                raise ValueError(value)
            return datetime.date(int(match.group(1)), int(match.group(2)), 1)
        except ValueError:
            raise CommandError(
                _("--period: give the month as YYYY-MM (e.g. 2024-03), not “%(value)s”.")
                % {"value": value}
            ) from None

    def _progress(self, done: int, total: int, town_result: runs.TownResult) -> None:
        message = _("[%(done)d/%(total)d] %(town)s: %(new)d new lines") % {
            "done": done,
            "total": total,
            "town": town_result.town.name,
            "new": town_result.new_lines,
        }
        if town_result.no_account:
            message += _(", %(count)d due without a confirmed account") % {
                "count": town_result.no_account
            }
        self.stderr.write(message)
