"""python manage.py import_bank_return --batch ID FILE [--user NAME]

Imports the bank's return file (CSV or XLSX: the batch's bank file plus 状态 and 失败原因 and the
totals line; docs/bank-files.md) for a sent batch, whole or not at all. Exit 0 when imported or
when the same file was already imported (stdout says which); exit 1 with every problem on
stderr when the file is rejected.
"""

import os

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from payments.models import Batch
from payments.returns import MAX_RETURN_BYTES, ReturnResult, bank_return_import

EXTENSIONS = (".csv", ".xlsx")


class Command(BaseCommand):
    help = "Import a bank's return file (CSV or XLSX) for a sent payment batch."

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FILE", help="The bank's return file, .csv or .xlsx.")
        parser.add_argument("--batch", required=True, metavar="ID", help="The batch's id.")
        parser.add_argument(
            "--user",
            metavar="NAME",
            help="Record the import under this finance officer's account. Without it the "
            "import is recorded as made on the command line, with no user.",
        )

    def handle(self, *args, file, batch, user=None, **options):
        batch_obj = Batch.objects.filter(pk=int(batch)).first() if batch.isdigit() else None
        if batch_obj is None:
            raise CommandError(_("--batch: no payment batch has the id %(id)s.") % {"id": batch})
        actor = None
        if user:
            actor = get_user_model().objects.filter(username=user).first()
            if actor is None:
                raise CommandError(_("--user: no user is called %(name)s.") % {"name": user})
        if not file.lower().endswith(EXTENSIONS):
            raise CommandError(_("FILE: %(path)s is neither .csv nor .xlsx.") % {"path": file})
        if not os.path.isfile(file):
            raise CommandError(_("FILE: %(path)s is not a readable file.") % {"path": file})
        if os.path.getsize(file) > MAX_RETURN_BYTES:
            raise CommandError(
                _("FILE: %(path)s is larger than %(max)d MB.")
                % {"path": file, "max": MAX_RETURN_BYTES >> 20}
            )
        with open(file, "rb") as fh:
            content = fh.read()
        try:
            result = bank_return_import(
                actor=actor, batch=batch_obj, file_name=os.path.basename(file), content=content
            )
        except PermissionDenied as exc:
            raise CommandError(f"--user: {exc}") from None
        except ValidationError as exc:
            raise CommandError(
                "; ".join(f"{key}: {' '.join(msgs)}" for key, msgs in exc.message_dict.items())
            ) from None

        if result.outcome == ReturnResult.REPEAT:
            self.stdout.write(
                _("%(file)s was already imported for batch #%(batch)d; nothing changed.")
                % {"file": file, "batch": batch_obj.pk}
            )
            return
        if result.outcome == ReturnResult.REJECTED:
            for line in result.report.lines():
                self.stderr.write(line)
            raise CommandError(
                _("%(file)s was rejected: %(errors)d problems; nothing was changed.")
                % {"file": file, "errors": len(result.report)},
                returncode=1,
            )
        self.stdout.write(
            _("Imported %(file)s for batch #%(batch)d (%(rows)d rows).")
            % {"file": file, "batch": batch_obj.pk, "rows": result.rows}
            + " "
            + result.summary()
        )
