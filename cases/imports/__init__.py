"""Caseload import (docs/import-template.md): columns.py (what each column holds, the template),
checking.py (every row checked before anything is written), running.py (the upload, the
all-or-nothing write, progress and the report). The names the pages, the command and the task
use are handed on here."""

from .checking import household_import_validate
from .columns import (
    ALLOWED_EXTENSIONS,
    MAX_UPLOAD_BYTES,
    NOTES_SHEET,
    RELATIONS,
    household_columns,
    template_csv,
    template_xlsx,
)
from .running import (
    COMMAND_USERNAME,
    FINISHED,
    household_import_create,
    household_import_fail,
    household_import_report,
    household_import_run,
)

__all__ = [
    "ALLOWED_EXTENSIONS",
    "COMMAND_USERNAME",
    "FINISHED",
    "MAX_UPLOAD_BYTES",
    "NOTES_SHEET",
    "RELATIONS",
    "household_columns",
    "household_import_create",
    "household_import_fail",
    "household_import_report",
    "household_import_run",
    "household_import_validate",
    "template_csv",
    "template_xlsx",
]
