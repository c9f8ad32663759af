"""python manage.py export_match_request --period YYYY-MM [--hashed] FILE [--user NAME]

Writes the match request of REGISTRIES.md: every member of a household with an active grant
or an application in progress, one line each, as ID numbers or (--hashed) as their HMAC-SHA256
under MATCHING_KEY. The last stdout line is JSON: {"period", "hashed", "people", "sha256"}.
"""

import json

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from audit import imports
from audit.match_requests import match_request_write


class Command(BaseCommand):
    help = "Write the people Relief asks partner agencies about, for one month."

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FILE", help="Where to write the CSV file.")
        parser.add_argument("--period", required=True, metavar="YYYY-MM", help="The month.")
        parser.add_argument(
            "--hashed", action="store_true", help="Hashed ID numbers (身份证号哈希)."
        )
        parser.add_argument("--user", metavar="NAME", help="Record it under this account.")

    def handle(self, *args, file, period, hashed=False, user=None, **options):
        try:
            month = imports.parse_period(period)
        except ValueError as exc:
            raise CommandError(f"--period: {exc}") from None
        actor = None
        if user:
            actor = get_user_model().objects.filter(username=user).first()
            if actor is None:
                raise CommandError(_("--user: no user is called %(name)s.") % {"name": user})
        try:
            with open(file, "wb") as out:
                request = match_request_write(actor=actor, period=month, hashed=hashed, out=out)
        except PermissionDenied as exc:
            raise CommandError(f"--user: {exc}") from None
        except OSError as exc:
            raise CommandError(f"FILE: {exc}") from None
        self.stdout.write(
            _("Wrote %(people)d people to %(file)s.") % {"people": request.people, "file": file}
        )
        self.stdout.write(
            json.dumps(
                {
                    "period": period,
                    "hashed": hashed,
                    "people": request.people,
                    "sha256": request.sha256,
                }
            )
        )
