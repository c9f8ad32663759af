"""Caseload import: households with their members, income and assets from an XLSX or CSV file
in the documented template (docs/import-template.md; issue 2 §5).

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
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import (
    DEFAULT_DB_ALIAS,
    DatabaseError,
    IntegrityError,
    connection,
    connections,
    transaction,
)
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_create_with_history

from relief import tabular
from relief.models import AuditEvent
from relief.services import record
from relief.tabular import Column, ImportReport, Row, TabularError

from . import permissions, services
from .idnumbers import parse_id_number
from .models import (
    Asset,
    Household,
    HouseholdImport,
    IncomeLine,
    IncomeType,
    Membership,
    Person,
    Town,
    Village,
)
from .models.evidence import Source

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
ALLOWED_EXTENSIONS = (".xlsx", ".csv")
HOUSEHOLD_LEVEL = ("address", "village", "hukou_place")
QUERY_CHUNK = 500  # values per IN (...) list, well under SQLite's variable limit
NOTES_SHEET = "说明 (Notes)"  # "/" is not allowed in a sheet name
MEMBERS_SHEET = "households"
COMMAND_USERNAME = "manage.py import_households"
UNFINISHED = (HouseholdImport.Status.PENDING, HouseholdImport.Status.RUNNING)
FINISHED = (HouseholdImport.Status.DONE, HouseholdImport.Status.REJECTED)

RELATIONS = {
    **{code: code for code in Membership.Relation.values},
    "户主": "head",
    "配偶": "spouse",
    "子女": "child",
    "父母": "parent",
    "孙子女": "grandchild",
    "祖父母": "grandparent",
    "兄弟姐妹": "sibling",
    "其他": "other",
}
DISABILITY_CATEGORIES = {
    **{code: code for code in Person.DisabilityCategory.values if code},
    "视力": "visual",
    "听力": "hearing",
    "言语": "speech",
    "肢体": "physical",
    "智力": "intellectual",
    "精神": "mental",
    "多重": "multiple",
}
# Asset columns: (column, kind). financial_assets is a value in yuan, the others count units.
ASSET_COLUMNS = (
    ("financial_assets", Asset.Kind.DEPOSIT),
    ("residential_units", Asset.Kind.RESIDENTIAL),
    ("non_residential_units", Asset.Kind.NON_RESIDENTIAL),
    ("vehicles", Asset.Kind.VEHICLE),
    ("business_registrations", Asset.Kind.BUSINESS),
)


def _id_number(today: datetime.date | None):
    def parse(value) -> str:
        number = tabular.text(upper=True)(value)
        try:
            return parse_id_number(number, today=today).number
        except ValidationError as exc:
            raise ValueError(exc.messages[0]) from None

    return parse


def household_columns(*, today: datetime.date | None = None) -> list[Column]:
    """The template's columns, in order. `today` bounds the dates (none may be in the future)."""
    today = today or timezone.localdate()
    yes_no = gettext_lazy("是 / 否 / yes / no / 1 / 0")
    return [
        Column(
            "household_ref",
            tabular.text(max_length=64),
            required=True,
            meaning=gettext_lazy(
                "Your reference for the household; all rows with the same reference are the "
                "members of one household. A reference is imported into a town only once."
            ),
            allowed=gettext_lazy("Any text up to 64 characters."),
        ),
        Column(
            "address",
            tabular.text(max_length=200),
            required=True,
            meaning=gettext_lazy("The household's address. Same on every row of the household."),
            allowed=gettext_lazy("Text up to 200 characters."),
        ),
        Column(
            "village",
            tabular.text(max_length=60),
            default="",
            meaning=gettext_lazy(
                "Village or community of the town, by its name as registered in Relief. "
                "Same on every row of the household."
            ),
            allowed=gettext_lazy("Empty, or the name of a village or community of the town."),
        ),
        Column(
            "hukou_place",
            tabular.text(max_length=200),
            default="",
            meaning=gettext_lazy(
                "Household-registration place (户籍地). Same on every row of the household."
            ),
            allowed=gettext_lazy("Text up to 200 characters, or empty."),
        ),
        Column(
            "name",
            tabular.text(max_length=50),
            required=True,
            meaning=gettext_lazy("The member's name as on the ID card."),
            allowed=gettext_lazy("Text up to 50 characters."),
        ),
        Column(
            "id_number",
            _id_number(today),
            required=True,
            meaning=gettext_lazy(
                "Resident ID number (GB 11643). Format the column as text in Excel so that "
                "no digit is lost."
            ),
            allowed=gettext_lazy(
                "18 characters with a correct check character (lowercase x accepted), "
                "or a legacy 15-digit number."
            ),
        ),
        Column(
            "relation",
            tabular.choice(RELATIONS),
            required=True,
            meaning=gettext_lazy(
                "Relation to the head of household. Exactly one row of each household is the head."
            ),
            allowed=", ".join(RELATIONS),
        ),
        Column(
            "joined_on",
            tabular.date(not_after=today),
            default=today,
            meaning=gettext_lazy("Date the member joined the household. Empty: the import day."),
            allowed=gettext_lazy("YYYY-MM-DD or a date cell, not in the future."),
        ),
        Column(
            "disability_grade",
            tabular.integer(min_value=0, max_value=4),
            default=0,
            meaning=gettext_lazy("Disability grade (一级 to 四级); 0 for none. Empty: 0."),
            allowed="0, 1, 2, 3, 4",
        ),
        Column(
            "disability_category",
            tabular.choice(DISABILITY_CATEGORIES),
            default="",
            meaning=gettext_lazy("Disability category. Empty: none."),
            allowed=", ".join(DISABILITY_CATEGORIES),
        ),
        Column(
            "serious_illness",
            tabular.boolean(),
            default=False,
            meaning=gettext_lazy("Whether the member has a serious illness. Empty: no."),
            allowed=yes_no,
        ),
        Column(
            "employment_status",
            tabular.choice({code: code for code in Person.Employment.values}),
            default=Person.Employment.UNEMPLOYED,
            meaning=gettext_lazy("Employment status. Empty: unemployed."),
            allowed=", ".join(Person.Employment.values),
        ),
        Column(
            "income_type",
            tabular.text(max_length=60),
            default="",
            meaning=gettext_lazy(
                "Type of the member's income, a code of the income-type table. Required when "
                "income_monthly is above zero."
            ),
            allowed=gettext_lazy("A code of the income-type table, e.g. wage, pension."),
        ),
        Column(
            "income_monthly",
            tabular.money(),
            default=Decimal("0.00"),
            meaning=gettext_lazy(
                "The member's monthly income of that type, in yuan. Empty or 0: no income line."
            ),
            allowed=gettext_lazy(
                "A number ≥ 0 with at most 2 decimals, without thousands separators."
            ),
        ),
        Column(
            "financial_assets",
            tabular.money(),
            default=Decimal("0.00"),
            meaning=gettext_lazy(
                "The member's financial assets (deposits, securities, savings insurance) in "
                "yuan. Empty or 0: no asset row."
            ),
            allowed=gettext_lazy(
                "A number ≥ 0 with at most 2 decimals, without thousands separators."
            ),
        ),
        Column(
            "residential_units",
            tabular.integer(min_value=0),
            default=0,
            meaning=gettext_lazy("Number of residential properties the member owns."),
            allowed=gettext_lazy("A whole number ≥ 0."),
        ),
        Column(
            "non_residential_units",
            tabular.integer(min_value=0),
            default=0,
            meaning=gettext_lazy("Number of non-residential properties (shops, offices)."),
            allowed=gettext_lazy("A whole number ≥ 0."),
        ),
        Column(
            "vehicles",
            tabular.integer(min_value=0),
            default=0,
            meaning=gettext_lazy("Number of motor vehicles the member owns."),
            allowed=gettext_lazy("A whole number ≥ 0."),
        ),
        Column(
            "business_registrations",
            tabular.integer(min_value=0),
            default=0,
            meaning=gettext_lazy("Number of business registrations in the member's name."),
            allowed=gettext_lazy("A whole number ≥ 0."),
        ),
        Column(
            "evidence_date",
            tabular.date(not_after=today),
            default=today,
            meaning=gettext_lazy(
                "Date from which the income and asset figures hold. Empty: the import day."
            ),
            allowed=gettext_lazy("YYYY-MM-DD or a date cell, not in the future."),
        ),
    ]


EXAMPLE_ROWS = [
    {
        "household_ref": "H0001",
        "address": "茶山镇南社村1号",
        "village": "",
        "hukou_place": "广东省东莞市茶山镇",
        "name": "张伟",
        "id_number": "441900198001010015",
        "relation": "head",
        "joined_on": "2020-01-01",
        "disability_grade": 0,
        "disability_category": "",
        "serious_illness": "否",
        "employment_status": "flexible",
        "income_type": "wage",
        "income_monthly": "1200.00",
        "financial_assets": "3000.00",
        "residential_units": 1,
        "non_residential_units": 0,
        "vehicles": 0,
        "business_registrations": 0,
        "evidence_date": "2024-01-01",
    },
    {
        "household_ref": "H0001",
        "address": "茶山镇南社村1号",
        "village": "",
        "hukou_place": "广东省东莞市茶山镇",
        "name": "李娜",
        "id_number": "441900198203150024",
        "relation": "配偶",
        "joined_on": "2020-01-01",
        "disability_grade": 2,
        "disability_category": "physical",
        "serious_illness": "是",
        "employment_status": "unable",
        "income_type": "",
        "income_monthly": "0",
        "financial_assets": "0",
        "residential_units": 0,
        "non_residential_units": 0,
        "vehicles": 0,
        "business_registrations": 0,
        "evidence_date": "2024-01-01",
    },
]


def template_xlsx() -> bytes:
    return tabular.template_xlsx(
        household_columns(),
        EXAMPLE_ROWS,
        sheet_title=MEMBERS_SHEET,
        notes_title=NOTES_SHEET,
        notes_header=(_("Column"), _("Meaning"), _("Required"), _("Allowed values")),
        text_columns=("household_ref", "id_number", "joined_on", "evidence_date"),
        yes=_("yes"),
        no=_("no"),
    )


def template_csv() -> bytes:
    return tabular.template_csv(household_columns(), EXAMPLE_ROWS)


# Validation ------------------------------------------------------------------------------------


@dataclass
class HouseholdPlan:
    ref: str
    rows: list[Row]
    village: Village | None = None


@dataclass
class ImportPlan:
    households: list[HouseholdPlan] = field(default_factory=list)
    existing_persons: dict[str, Person] = field(default_factory=dict)
    income_types: dict[str, IncomeType] = field(default_factory=dict)


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _in_chunks(queryset: QuerySet, lookup: str, values) -> list:
    values = sorted(values)
    result = []
    for chunk in _chunks(values, QUERY_CHUNK):
        result.extend(queryset.filter(**{f"{lookup}__in": chunk}))
    return result


def household_import_validate(
    *, town: Town, table: tabular.Table, today: datetime.date | None = None
) -> tuple[ImportReport, ImportPlan]:
    """Check every row of the file against the template and the registry; return every error
    found and, when there is none, the plan of what to write. Reads only."""
    today = today or timezone.localdate()
    rows, report = tabular.parse_table(table, household_columns(today=today))
    plan = ImportPlan()

    groups: dict[str, list[Row]] = {}
    for row in rows:
        if row.valid("household_ref") and row["household_ref"]:
            groups.setdefault(row["household_ref"], []).append(row)

    first_row_of: dict[str, int] = {}
    for row in rows:
        number = row["id_number"]
        if not row.valid("id_number") or not number:
            continue
        if number in first_row_of:
            report.add(
                row.number,
                "id_number",
                _("the same ID number is already on row %(row)d") % {"row": first_row_of[number]},
            )
        else:
            first_row_of[number] = row.number

    for ref, group in groups.items():
        _check_household_rows(report, ref, group)

    # The registry, one query per check for the whole file.
    existing_refs = {
        h.import_ref
        for h in _in_chunks(
            Household.objects.filter(town=town).only("import_ref"), "import_ref", groups
        )
    }
    villages = {v.name: v for v in Village.objects.filter(town=town)}
    income_types: dict[str, IncomeType] = {}
    for income_type in IncomeType.objects.all():
        income_types[income_type.name.lower()] = income_type
        income_types[income_type.code.lower()] = income_type
    persons = {p.id_number: p for p in _in_chunks(Person.objects.all(), "id_number", first_row_of)}
    # The one membership rule of the registry, asked for every known person of the file at once.
    # A row whose joined_on is itself bad is still told when the person is a current member.
    joins = {
        persons[row["id_number"]].pk: row["joined_on"]
        if row.valid("joined_on")
        else datetime.date.max
        for row in rows
        if row.valid("id_number") and row["id_number"] in persons
    }
    join_refusals: dict[int, dict[str, str]] = {}
    for chunk in _chunks(list(joins), QUERY_CHUNK):
        join_refusals.update(services.join_refusals({pk: joins[pk] for pk in chunk}))

    for ref, group in groups.items():
        if ref in existing_refs:
            report.add(
                group[0].number,
                "household_ref",
                _("a household with this reference was already imported into %(town)s")
                % {"town": town.name},
            )
        first = group[0]
        village = None
        if first.valid("village") and first["village"]:
            village = villages.get(first["village"])
            if village is None:
                for row in group:
                    report.add(
                        row.number,
                        "village",
                        _("%(town)s has no village or community of this name")
                        % {"town": town.name},
                    )
        plan.households.append(HouseholdPlan(ref=ref, rows=group, village=village))

    for row in rows:
        _check_row_against_registry(report, row, persons, join_refusals, income_types)

    plan.existing_persons = persons
    plan.income_types = income_types
    return report, plan


def _check_household_rows(report: ImportReport, ref: str, group: list[Row]) -> None:
    heads = [row for row in group if row.valid("relation") and row["relation"] == "head"]
    if not heads:
        report.add(
            group[0].number,
            "relation",
            _("household %(ref)s has no head; exactly one member must have the relation head")
            % {"ref": ref},
        )
    elif len(heads) > 1:
        head_rows = ", ".join(str(row.number) for row in heads)
        for row in heads:
            report.add(
                row.number,
                "relation",
                _(
                    "household %(ref)s has %(count)d heads (rows %(rows)s); exactly one member "
                    "must have the relation head"
                )
                % {"ref": ref, "count": len(heads), "rows": head_rows},
            )
    first = group[0]
    for column in HOUSEHOLD_LEVEL:
        for row in group[1:]:
            if row.valid(column) and first.valid(column) and row[column] != first[column]:
                report.add(
                    row.number,
                    column,
                    _(
                        "differs from row %(row)d of household %(ref)s; this column must be the "
                        "same on every row of a household"
                    )
                    % {"row": first.number, "ref": ref},
                )


def _check_row_against_registry(report, row: Row, persons, join_refusals, income_types) -> None:
    person = persons.get(row["id_number"]) if row.valid("id_number") else None
    if person is not None:
        if row.valid("name") and row["name"] and person.name != row["name"]:
            report.add(
                row.number,
                "name",
                _("this ID number is registered under another name; check both"),
            )
        for column, message in join_refusals.get(person.pk, {}).items():
            report.add(row.number, column, message)
    if row.valid("id_number", "joined_on") and row["id_number"]:
        birth = parse_id_number(row["id_number"]).birth_date
        if row["joined_on"] < birth:
            report.add(
                row.number,
                "joined_on",
                _("is before the member's birth date in the ID number (%(date)s)")
                % {"date": birth.isoformat()},
            )
    if row.valid("income_type") and row["income_type"]:
        if row["income_type"].lower() not in income_types:
            codes = sorted({t.code for t in income_types.values()})
            report.add(
                row.number,
                "income_type",
                _("unknown income type; use a code of the income-type table: %(codes)s")
                % {"codes": ", ".join(codes)},
            )
    elif row.valid("income_type", "income_monthly") and row["income_monthly"] > 0:
        report.add(
            row.number,
            "income_type",
            _("an income type is required when income_monthly is above zero"),
        )


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
    for chunk in _chunks(plan.households, size):
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
    def __init__(self, report: ImportReport):
        self.report = report


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


def household_import_submit(*, actor, town: Town, upload) -> tuple[HouseholdImport, bool]:
    """Store the file and run the import in the background once the upload is committed."""
    from .tasks import import_households

    household_import, created = household_import_create(actor=actor, town=town, upload=upload)
    if created:
        pk = household_import.pk
        # robust: with Celery eager (quick start) the task runs right here, and a failure is
        # shown on the status page rather than as an error page for the upload.
        transaction.on_commit(lambda: import_households.delay(pk), robust=True)
    return household_import, created


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

    report, plan = household_import_validate(town=town, table=table, today=today)
    if not report.ok:
        raise _Rejected(report)

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
