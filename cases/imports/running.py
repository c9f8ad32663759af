"""Caseload import: households with their members, income and assets from an XLSX or CSV file
in the documented template (docs/import-template.md).

One row per member; `household_ref` groups the rows of one household. A file is all or
nothing: every row is checked first (cell formats, ID numbers, one head per household, the
household columns the same on each of its rows, the people against the registry: one query per
check for the whole file), and only a file without a single error is written, in one
transaction. The same file (same SHA-256) is imported into a town at most once.

The writes are set-based (simple-history's bulk_create_with_history, with the actor and the
change reason "Imported from <file>") rather than one registry service call per row: the rules
those services enforce one household at a time (exactly one head, a person in at most one
household at a time, the same name for an ID number, the village in the town) are checked here
for the whole file at once, and the database constraints back them.
"""

import datetime
import os
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import (
    DEFAULT_DB_ALIAS,
    DatabaseError,
    IntegrityError,
    connection,
    connections,
    transaction,
)
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from relief import tabular
from relief.models import AuditEvent
from relief.services import record
from relief.tabular import ImportReport, TabularError

from .. import permissions, services
from ..idnumbers import parse_id_number
from ..models import (
    Asset,
    Household,
    HouseholdImport,
    IncomeLine,
    Membership,
    Person,
    Town,
)
from ..models.evidence import Source
from ..registration import foreign_ids_record
from .checking import ImportPlan, chunks, household_import_validate
from .columns import ALLOWED_EXTENSIONS, ASSET_COLUMNS, MAX_UPLOAD_BYTES

COMMAND_USERNAME = "manage.py import_households"
UNFINISHED = (HouseholdImport.Status.PENDING, HouseholdImport.Status.RUNNING)
FINISHED = (HouseholdImport.Status.DONE, HouseholdImport.Status.REJECTED)


# Validation ------------------------------------------------------------------------------------


# Writing ---------------------------------------------------------------------------------------


def _write(
    *,
    plan: ImportPlan,
    town: Town,
    actor,
    reason: str,
    note: str,
    progress: Callable[[int], None],
) -> int:
    """Create the households, new people, memberships, income lines and assets of the plan,
    with history rows carrying the actor and reason. Returns the number of people created."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    history = {"default_user": user, "default_change_reason": reason}
    persons = dict(plan.existing_persons)
    persons_created = 0
    done_rows = 0
    size = max(1, min(200, len(plan.households) // 20))
    for chunk in chunks(plan.households, size):
        households = bulk_create_with_history(
            [
                Household(
                    town=town,
                    village=h.village,
                    address=h.rows[0]["address"],
                    hukou_place=h.rows[0]["hukou_place"],
                    import_ref=h.ref,
                )
                for h in chunk
            ],
            Household,
            **history,
        )
        new_people = []
        for h in chunk:
            for row in h.rows:
                if row["id_number"] not in persons:
                    parsed = parse_id_number(row["id_number"])
                    person = Person(
                        name=row["name"],
                        id_number=parsed.number,
                        id_tail=parsed.number[-4:],
                        birth_date=parsed.birth_date,
                        sex=parsed.sex,
                        disability_grade=row["disability_grade"],
                        disability_category=row["disability_category"],
                        serious_illness=row["serious_illness"],
                        employment_status=row["employment_status"],
                    )
                    persons[parsed.number] = person
                    new_people.append(person)
        bulk_create_with_history(new_people, Person, **history)
        persons_created += len(new_people)

        memberships, income_lines, assets = [], [], []
        for h, household in zip(chunk, households, strict=True):
            for row in h.rows:
                person = persons[row["id_number"]]
                memberships.append(
                    Membership(
                        household=household,
                        person=person,
                        relation=row["relation"],
                        joined_on=row["joined_on"],
                    )
                )
                evidence = {
                    "household": household,
                    "person": person,
                    "valid_from": row["evidence_date"],
                    "source": Source.DECLARED,
                    "note": note,
                }
                if row["income_monthly"] > 0:
                    income_lines.append(
                        IncomeLine(
                            income_type=plan.income_types[row["income_type"].lower()],
                            monthly_amount=row["income_monthly"],
                            **evidence,
                        )
                    )
                for column, kind in ASSET_COLUMNS:
                    amount = row[column]
                    if not amount:
                        continue
                    if kind in Asset.FINANCIAL_KINDS:
                        assets.append(Asset(kind=kind, value=amount, units=1, **evidence))
                    else:
                        assets.append(Asset(kind=kind, units=amount, **evidence))
        bulk_create_with_history(memberships, Membership, **history)
        bulk_create_with_history(income_lines, IncomeLine, **history)
        bulk_create_with_history(assets, Asset, **history)
        done_rows += sum(len(h.rows) for h in chunk)
        progress(done_rows)
    return persons_created


class _Progress:
    """Reports rows written. On PostgreSQL it also writes processed_rows through a second
    connection, so the status page sees progress while the import's own transaction is still
    open (the import row is not locked by that transaction until its very end). SQLite allows
    one writer at a time, so there the count jumps to the end when the import commits."""

    def __init__(self, household_import: HouseholdImport, callback=None):
        self.pk = household_import.pk
        self.total = household_import.total_rows
        self.callback = callback
        self.side = None
        if connection.vendor == "postgresql":
            self.side = connections.create_connection(DEFAULT_DB_ALIAS)

    def __call__(self, processed: int) -> None:
        if self.callback is not None:
            self.callback(processed, self.total)
        if self.side is None:
            return
        table = self.side.ops.quote_name(HouseholdImport._meta.db_table)
        try:
            with self.side.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {table} SET processed_rows = %s WHERE id = %s",  # noqa: S608
                    [processed, self.pk],
                )
        except DatabaseError:
            self.close()  # progress is a courtesy; the import goes on without it

    def close(self) -> None:
        if self.side is not None:
            self.side.close()
            self.side = None


# Services --------------------------------------------------------------------------------------


class _Rejected(Exception):
    def __init__(self, report: ImportReport, foreign=()):
        self.report = report
        self.foreign = list(
            foreign
        )  # recorded after the rollback (registration.foreign_ids_record)


def household_import_create(
    *, actor, town: Town, upload, file_name: str = ""
) -> tuple[HouseholdImport, bool]:
    """Store an uploaded caseload file as a pending import. If this town already imported the
    same file, return that import and False instead. `actor` None: the command line."""
    if actor is not None:
        permissions.require(permissions.can_edit_registry(actor))
        services.check_town_open_to(actor=actor, town=town)
    elif town.valid_to is not None and town.valid_to < timezone.localdate():
        raise ValidationError({"town": _("This town is no longer in use.")})
    name = os.path.basename(file_name or getattr(upload, "name", "") or "")
    extension = os.path.splitext(name)[1].lower()
    if extension not in ALLOWED_EXTENSIONS:
        raise ValidationError({"file": _("Upload the caseload as an .xlsx or .csv file.")})
    if upload.size > MAX_UPLOAD_BYTES:
        raise ValidationError(
            {
                "file": _("The file is larger than %(mb)d MB; split it into smaller files.")
                % {"mb": MAX_UPLOAD_BYTES // (1024 * 1024)}
            }
        )
    sha256 = tabular.file_sha256(upload)
    done = HouseholdImport.objects.filter(
        town=town, sha256=sha256, status=HouseholdImport.Status.DONE
    ).first()
    if done is not None:
        return done, False
    household_import = HouseholdImport(town=town, file_name=name[-200:], sha256=sha256, actor=actor)
    # Stored under a name made from the hash: file names often carry people's names.
    household_import.file.save(f"{sha256[:16]}{extension}", upload, save=False)
    household_import.save()
    return household_import, True


def household_import_run(
    *,
    household_import_id: int,
    today: datetime.date | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> HouseholdImport | None:
    """Check the whole file, then write it all in one transaction or write nothing and keep the
    report. Safe to run twice: a finished import (imported or rejected) is left as it is."""
    household_import = (
        HouseholdImport.objects.select_related("town", "actor")
        .filter(pk=household_import_id)
        .first()
    )
    if household_import is None or household_import.status in FINISHED:
        return household_import
    today = today or timezone.localdate()
    try:
        table = _read(household_import)
    except TabularError as exc:
        return _reject(household_import, ImportReport([tabular.RowError(0, "", str(exc))]))

    started = HouseholdImport.objects.filter(pk=household_import.pk, status__in=UNFINISHED).update(
        status=HouseholdImport.Status.RUNNING, total_rows=len(table.rows), processed_rows=0
    )
    household_import.refresh_from_db()
    if not started:  # another run finished it meanwhile
        return household_import

    reporter = _Progress(household_import, progress)
    try:
        with transaction.atomic():
            return _run_locked(household_import, table, today, reporter)
    except _Rejected as rejected:
        foreign_ids_record(
            actor=household_import.actor,
            persons=rejected.foreign,
            town=household_import.town,
            where="import",
        )
        return _reject(household_import, rejected.report)
    except IntegrityError:
        # Someone registered one of these people or households while the file was written.
        report = ImportReport()
        report.add(
            0,
            "",
            _(
                "the registry changed while the file was being imported; nothing was written. "
                "Import the file again to see what conflicts."
            ),
        )
        return _reject(household_import, report)
    finally:
        reporter.close()


def _read(household_import: HouseholdImport) -> tabular.Table:
    if not household_import.file:
        raise TabularError(_("The uploaded file is missing."))
    try:
        with household_import.file.open("rb") as fh:
            return tabular.read_table(fh, name=household_import.file_name)
    except OSError:
        raise TabularError(_("The uploaded file is missing.")) from None


def _run_locked(household_import, table, today, reporter) -> HouseholdImport:
    if connection.vendor == "sqlite":
        # Take SQLite's write lock before the first read: a transaction that reads and only then
        # writes fails at once ("database is locked") if another connection wrote meanwhile,
        # for example a status page saving its session. (Not on PostgreSQL, where the progress
        # reporter writes this row through a second connection and must not wait for this one.)
        HouseholdImport.objects.filter(pk=household_import.pk).update(
            status=HouseholdImport.Status.RUNNING
        )
    # One import per town at a time: the second waits, then finds the first's households.
    town = Town.objects.select_for_update().get(pk=household_import.town_id)
    status = HouseholdImport.objects.values_list("status", flat=True).get(pk=household_import.pk)
    if status in FINISHED:
        household_import.refresh_from_db()
        return household_import
    actor = household_import.actor
    if actor is not None:
        # Rights are checked again when the task runs: a role may have changed since the upload.
        refusal = None
        if not permissions.can_edit_registry(actor):
            refusal = _("Your role may not import cases.")
        else:
            try:
                services.check_town_open_to(actor=actor, town=town)
            except ValidationError as exc:
                refusal = " ".join(exc.message_dict["town"])
        if refusal:
            raise _Rejected(ImportReport([tabular.RowError(0, "", refusal)]))
    earlier = (
        HouseholdImport.objects.filter(
            town=town, sha256=household_import.sha256, status=HouseholdImport.Status.DONE
        )
        .exclude(pk=household_import.pk)
        .first()
    )
    if earlier is not None:
        raise _Rejected(
            ImportReport(
                [
                    tabular.RowError(
                        0,
                        "",
                        _("this file was already imported into %(town)s on %(date)s")
                        % {"town": town.name, "date": timezone.localdate(earlier.created_at)},
                    )
                ]
            )
        )

    report, plan = household_import_validate(town=town, table=table, today=today, actor=actor)
    if not report.ok:
        raise _Rejected(report, plan.foreign)

    reason = _("Imported from %(file)s") % {"file": household_import.file_name}
    persons_created = _write(
        plan=plan,
        town=town,
        actor=actor,
        reason=reason,
        note=reason[:200],
        progress=reporter,
    )
    household_import.status = HouseholdImport.Status.DONE
    household_import.processed_rows = household_import.total_rows
    household_import.households_created = len(plan.households)
    household_import.persons_created = persons_created
    household_import.errors = []
    household_import.finished_at = timezone.now()
    household_import.save(
        update_fields=[
            "status",
            "processed_rows",
            "households_created",
            "persons_created",
            "errors",
            "finished_at",
        ]
    )
    record(
        actor=actor,
        action=AuditEvent.Action.IMPORT,
        target=household_import,
        town_code=town.code,
        username="" if actor is not None else COMMAND_USERNAME,
        what="households",
        file_name=household_import.file_name,
        sha256=household_import.sha256,
        rows=household_import.total_rows,
        households=len(plan.households),
        persons=persons_created,
    )
    return household_import


def _reject(household_import: HouseholdImport, report: ImportReport) -> HouseholdImport:
    # Conditional, so that a run which lost a race never turns a finished import around.
    HouseholdImport.objects.filter(pk=household_import.pk, status__in=UNFINISHED).update(
        status=HouseholdImport.Status.REJECTED,
        errors=report.as_json(),
        processed_rows=household_import.total_rows,
        finished_at=timezone.now(),
    )
    household_import.refresh_from_db()
    return household_import


def household_import_fail(*, household_import_id: int, message: str) -> None:
    """End an import that could not run (its transaction rolled back: nothing was written)."""
    household_import = HouseholdImport.objects.filter(pk=household_import_id).first()
    if household_import is not None:
        _reject(household_import, ImportReport([tabular.RowError(0, "", message)]))


def household_import_report(household_import: HouseholdImport) -> ImportReport:
    return ImportReport.from_json(household_import.errors or [])
