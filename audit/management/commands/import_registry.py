"""python manage.py import_registry --source S --period YYYY-MM FILE [--user NAME]

Imports one partner extract (REGISTRIES.md) through audit.imports. A file with any bad row is
rejected whole: every bad row is reported on stderr by spreadsheet row, column and rule, and the
exit status is 1. The same file again exits 0, "already imported", and changes nothing. The last
line on stdout is always the JSON summary.
"""

import json
import os

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from audit import imports
from audit.models import Source


class Command(BaseCommand):
    help = "Import a partner registry extract (CSV or XLSX) for a source and month."

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FILE", help="The .csv or .xlsx file.")
        parser.add_argument("--source", required=True, help="The source code, e.g. deposits.")
        parser.add_argument("--period", required=True, metavar="YYYY-MM", help="The month.")
        parser.add_argument("--user", metavar="NAME", help="Record the upload under this account.")

    def handle(self, *args, file, source, period, user=None, **options):
        source_obj = Source.objects.filter(code=source.strip()).first()
        if source_obj is None:
            codes = ", ".join(Source.objects.values_list("code", flat=True))
            raise CommandError(
                _("--source: no source has the code %(code)s; the sources are: %(codes)s")
                % {"code": source, "codes": codes}
            )
        try:
            month = imports.parse_period(period)
        except ValueError as exc:
            raise CommandError(f"--period: {exc}") from None
        actor = None
        if user:
            actor = get_user_model().objects.filter(username=user).first()
            if actor is None:
                raise CommandError(_("--user: no user is called %(name)s.") % {"name": user})
        if not os.path.isfile(file):
            raise CommandError(_("FILE: %(path)s is not a readable file.") % {"path": file})

        with open(file, "rb") as fh:
            try:
                result = imports.extract_import(
                    actor=actor,
                    source=source_obj,
                    period=month,
                    file=fh,
                    file_name=os.path.basename(file),
                )
            except PermissionDenied as exc:
                raise CommandError(f"--user: {exc}") from None
            except ValidationError as exc:  # a provider's account and another agency's source
                raise CommandError(
                    "; ".join(f"--{name}: {' '.join(m)}" for name, m in exc.message_dict.items())
                ) from None
        extract = result.extract
        if result.already:
            self.stdout.write(
                _("%(file)s was already imported (extract #%(id)d); nothing changed.")
                % {"file": file, "id": extract.pk}
            )
        elif result.rejected:
            self.stderr.write(
                _("%(file)s was rejected: %(count)d problems; nothing was stored.")
                % {"file": file, "count": result.problem_count}
            )
            for error in extract.errors:
                self.stderr.write(imports.problem_line(error))
        else:
            self.stdout.write(
                _(
                    "Imported %(rows)d rows: %(matched)d matched, %(dropped)d dropped as "
                    "unknown, %(set_aside)d set aside without authorisation, %(names)d with "
                    "a different name."
                )
                % {
                    "rows": extract.rows,
                    "matched": extract.matched,
                    "dropped": extract.dropped_unknown,
                    "set_aside": extract.set_aside_unauthorised,
                    "names": extract.names_differ,
                }
            )
        self.stdout.write(json.dumps(result.summary(), ensure_ascii=False))
        if result.rejected:
            raise CommandError(_("The file was rejected."), returncode=1)
