"""python manage.py import_households --town CODE FILE [--user USERNAME]

Imports a caseload file (docs/import-template.md) into one town, all or nothing. A file with
any bad row is rejected whole: every bad row is reported on stderr by spreadsheet row number,
column and rule, and the exit status is 1. The same file imported again exits 0 and changes
nothing.
"""

import os

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from cases import imports
from cases.models import HouseholdImport, Town


class Command(BaseCommand):
    help = "Import households with members, income and assets from an XLSX or CSV file."

    def add_arguments(self, parser):
        parser.add_argument(
            "file", metavar="FILE", help="The .xlsx or .csv file (docs/import-template.md)."
        )
        parser.add_argument(
            "--town",
            required=True,
            metavar="CODE",
            help="The town's 9-digit division code, e.g. 441900103.",
        )
        parser.add_argument(
            "--user",
            metavar="USERNAME",
            help="Record the import under this staff account, which must be allowed to edit "
            "the town's registry. Without it the history records no user.",
        )

    def handle(self, *args, file, town, user=None, **options):
        town_obj = Town.objects.filter(code=town.strip()).first()
        if town_obj is None:
            raise CommandError(
                _("--town: no town has the division code %(code)s.") % {"code": town}
            )
        actor = None
        if user:
            actor = get_user_model().objects.filter(username=user).first()
            if actor is None:
                raise CommandError(_("--user: no user is called %(name)s.") % {"name": user})
        if not os.path.isfile(file):
            raise CommandError(_("FILE: %(path)s is not a readable file.") % {"path": file})

        with open(file, "rb") as fh:
            try:
                household_import, created = imports.household_import_create(
                    actor=actor,
                    town=town_obj,
                    upload=File(fh, name=os.path.basename(file)),
                )
            except PermissionDenied as exc:
                raise CommandError(f"--user: {exc}") from None
            except ValidationError as exc:
                raise CommandError(
                    "; ".join(f"{key}: {' '.join(msgs)}" for key, msgs in exc.message_dict.items())
                ) from None
        if not created:
            self.stdout.write(
                _("%(file)s was already imported into %(town)s (import #%(id)d); nothing changed.")
                % {"file": file, "town": town_obj.name, "id": household_import.pk}
            )
            return

        self.stderr.write(
            _("Checking %(file)s for %(town)s…") % {"file": file, "town": town_obj.name}
        )
        household_import = imports.household_import_run(
            household_import_id=household_import.pk, progress=self._progress
        )
        if household_import.status != HouseholdImport.Status.DONE:
            report = imports.household_import_report(household_import)
            for line in report.lines():
                self.stderr.write(line)
            raise CommandError(
                _("%(file)s was rejected: %(errors)d errors in %(rows)d rows; nothing was written.")
                % {"file": file, "errors": len(report), "rows": len(report.bad_rows())},
                returncode=1,
            )
        self.stdout.write(
            _(
                "Imported %(file)s into %(town)s (import #%(id)d). Households: %(households)d; "
                "new people: %(persons)d; rows: %(rows)d."
            )
            % {
                "file": file,
                "town": town_obj.name,
                "households": household_import.households_created,
                "persons": household_import.persons_created,
                "rows": household_import.total_rows,
                "id": household_import.pk,
            }
        )

    def _progress(self, processed: int, total: int) -> None:
        self.stderr.write(
            _("%(processed)d of %(total)d rows written") % {"processed": processed, "total": total}
        )
