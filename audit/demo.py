"""The registry demo: a month of partner extracts for the payments demo's
recipients and the monthly check run on them, so that /audit/findings/ has work at once for the
case workers of 茶山, 大朗, 东城 and 虎门.

`seed_registry_demo(today=...)` needs the demo users (`manage.py seed_demo`, which also makes the
registry provider `registry-provider`) and the payments demo (`manage.py seed_payments_demo`).
For the last closed month (the month before today's, which the payments demo has paid) it:

1. makes sure every co-resident member of a household with a live grant holds an authorisation
   valid on the month's first day (cases.services.authorisation_create; the payments demo signs
   them already), except the heads of NO_AUTHORISATION, who withdrew theirs the month before
   (cases.services.authorisation_revoke): their rows are set aside and raise no_authorisation;
2. writes one CSV file per source in the REGISTRIES.md format under `directory` and imports it as
   the registry provider through audit.imports.extract_import, as a partner's upload would be
   (social insurance answers the match request with hashed keys, the others with ID numbers):
   a handful of rows for each finding kind (SCENARIOS), ordinary rows that raise nothing (small
   balances, an exempt motorcycle, a closed business, a move within the city, a pension equal
   to the recorded one), rows for ID numbers Relief does not know (dropped at import), and a
   low-income monitoring list with a household below the standard that has no grant
   (not_enrolled), one above it and one already served; and one head covered by a second
   household's grant too (enrolled_twice: a record carried over from an earlier system);
3. runs the monthly check for that month (audit.check.run_check), which assigns each finding
   to the case worker of its town.

Safe to run twice: the files come out byte for byte the same, so their import is "already
imported" (nothing changes), and the check is not run again once a finished run covers the
month with nothing newly imported.
"""

import csv
import datetime
import io
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from cases import selectors as case_selectors
from cases import services as case_services
from cases.idnumbers import check_character
from cases.models import Authorisation, Grant, IncomeLine, Membership, Person, Town

from . import check, imports
from .keys import hash_id
from .models import CheckRun, Finding, Source

TOWNS = ("chashan", "dalang", "dongcheng", "humen")  # the payments demo's towns
HOUSEHOLD_REF = "pay-demo-{town}-{n:02d}"  # the payments demo's households
PROVIDER = "registry-provider"
CITY = "441900"  # Dongguan's 6-digit division code
UNKNOWN_AREA = "441900"
# Sources that answer Relief's match request with hashed keys (身份证号哈希, REGISTRIES.md).
HASHED = ("social_insurance",)

# (town, household n, source, row values after the key and 姓名): the head of each household is
# the person of the row. Dates are written relative to the period's first day (see _rows).
SCENARIOS = (
    # assets_over_limit: deposits + securities + insurance above 24 × standard × members.
    ("dalang", 3, "deposits", ("中国工商银行东莞分行", "186500.00", "END")),
    ("dalang", 4, "deposits", ("东莞农村商业银行", "52300.00", "END")),
    ("dalang", 4, "securities", ("广发证券东莞营业部", "61820.40", "END")),
    ("chashan", 3, "deposits", ("中国建设银行东莞分行", "48000.00", "END")),
    ("chashan", 3, "insurance", ("中国人寿东莞分公司", "39650.00", "END")),
    # property: a second residential unit; a non-residential unit.
    ("dongcheng", 3, "property", ("粤(2016)东莞不动产权第0031845号", "住宅", "2016-05-12")),
    ("dongcheng", 3, "property", ("粤(2021)东莞不动产权第0207716号", "住宅", "2021-09-03")),
    ("humen", 3, "property", ("粤(2019)东莞不动产权第0118302号", "非住宅", "2019-11-20")),
    # vehicle: a car (a motorcycle is exempt: see ORDINARY).
    ("chashan", 4, "vehicles", ("粤S·8K27Q", "汽车", "2022-04-16")),
    ("humen", 4, "vehicles", ("粤S·D5L903", "汽车", "2020-07-01")),
    # business: a role in a business that is 存续.
    ("dongcheng", 5, "business", ("92441900MA4W8B2X1K", "个体工商户", "经营者", "2020-03-18", "存续")),
    ("dalang", 5, "business", ("91441900MA51C7RT0F", "企业", "股东", "2018-10-09", "存续")),
    # death and moved_out, within the period.
    ("humen", 5, "deaths", ("DAY:9",)),
    ("chashan", 6, "deaths", ("DAY:17",)),
    ("dalang", 6, "hukou_moves", ("DAY:12", "440300")),
    ("dongcheng", 6, "hukou_moves", ("DAY:4", "445200")),
    # income_changed: a social-insurance pension that is not in the evidence.
    ("dalang", 7, "social_insurance", ("城镇职工基本养老保险", "1260.00", "START")),
    ("humen", 7, "social_insurance", ("城乡居民基本养老保险", "680.00", "START")),
    # no_authorisation: rows for heads who withdrew their authorisation (NO_AUTHORISATION).
    ("chashan", 8, "deposits", ("中国农业银行东莞分行", "3200.00", "END")),
    ("dongcheng", 8, "property", ("粤(2012)东莞不动产权第0009217号", "住宅", "2012-02-28")),
    ("humen", 8, "vehicles", ("粤S·3F662", "摩托车", "2017-06-30")),
)  # fmt: skip
NO_AUTHORISATION = (("chashan", 8), ("dongcheng", 8), ("humen", 8))
# enrolled_twice: the first household's grant also covers the second household's head, a
# record carried over from an earlier system (its application names its members and that head).
ENROLLED_TWICE = (("chashan", 10), ("dongcheng", 10))
# Rows that raise nothing.
ORDINARY = (
    ("chashan", 9, "deposits", ("中国邮政储蓄银行东莞分行", "2860.35", "END")),
    ("dalang", 9, "deposits", ("中国工商银行东莞分行", "5120.00", "END")),
    ("dongcheng", 9, "deposits", ("东莞银行", "812.60", "END")),
    ("humen", 9, "deposits", ("东莞农村商业银行", "4300.00", "END")),
    ("dalang", 9, "property", ("粤(2008)东莞不动产权第0004410号", "住宅", "2008-08-08")),
    ("dongcheng", 4, "vehicles", ("粤S·7M215", "摩托车", "2015-03-02")),
    ("chashan", 5, "business", ("92441900MA4T0L6H2D", "个体工商户", "经营者", "2014-01-06", "注销")),
    ("humen", 6, "hukou_moves", ("DAY:20", CITY)),
)  # fmt: skip
# Rows for ID numbers Relief does not know: dropped at import, counted.
UNKNOWN_ROWS = {
    "deposits": ("中国银行东莞分行", "99000.00", "END"),
    "securities": ("东莞证券", "15000.00", "END"),
    "insurance": ("平安人寿东莞分公司", "20000.00", "END"),
    "property": ("粤(2020)东莞不动产权第0150001号", "住宅", "2020-01-15"),
    "vehicles": ("粤S·9Q001", "汽车", "2021-05-05"),
    "business": ("92441900MA5X1Y2Z3A", "个体工商户", "经营者", "2019-09-09", "存续"),
    "deaths": ("DAY:3",),
    "hukou_moves": ("DAY:6", "440100"),
    "social_insurance": ("失业保险金", "1500.00", "START"),
}
# The low-income monitoring list: (家庭编号, town, 家庭人口, 月人均收入, members): members are
# "unknown" (people Relief does not know yet) or a demo household (town, n) whose head is listed.
LOW_INCOME = (
    ("DG-JC-2024-00117", "dalang", 3, "520.00", ("unknown", "unknown", "unknown")),
    ("DG-JC-2024-00342", "chashan", 2, "610.00", ("unknown", "unknown")),
    ("DG-JC-2024-00588", "dongcheng", 4, "2650.00", ("unknown",)),  # above the standard
    ("DG-JC-2023-00921", "humen", 1, "430.00", (("humen", 10),)),  # served already
)


@dataclass
class RegistryDemoResult:
    period: str = ""
    authorisations: int = 0
    revoked: int = 0
    extracts: dict[str, dict] = field(default_factory=dict)  # source code -> import summary
    imported: int = 0  # files imported by this call
    checked: bool = False
    new_findings: int = 0
    findings: dict[str, int] = field(default_factory=dict)  # the period's findings by kind
    findings_by_town: dict[str, int] = field(default_factory=dict)


class DemoNotReady(ValueError):
    """The demo users or the payments demo are not there."""


def demo_period(today: datetime.date) -> datetime.date:
    """The last closed month: the month before today's."""
    first = today.replace(day=1)
    return (first - datetime.timedelta(days=1)).replace(day=1)


def seed_registry_demo(
    *, directory: Path, today: datetime.date | None = None
) -> RegistryDemoResult:
    """Create what is missing (see the module docstring); returns what it did."""
    today = today or timezone.localdate()
    period = demo_period(today)
    provider = get_user_model().objects.filter(username=PROVIDER).first()
    if provider is None:
        raise DemoNotReady(f"The demo user {PROVIDER} is missing: run `manage.py seed_demo` first.")
    # The demo provider delivers every source (a real one is bound to its agency's sources).
    provider.registry_sources.add(*Source.objects.all())
    towns = {town.slug: town for town in Town.objects.filter(slug__in=TOWNS)}
    heads = _heads(towns)
    if len(heads) < len(TOWNS) * 10:
        raise DemoNotReady(
            "The payments demo's households are missing: run `manage.py seed_payments_demo` first."
        )
    result = RegistryDemoResult(period=f"{period:%Y-%m}")
    result.revoked = _revoke(heads, period, today)
    result.authorisations = _authorisations_ensure(period, today, heads)
    folder = Path(directory) / f"{period:%Y-%m}"
    folder.mkdir(parents=True, exist_ok=True)
    files = _files(heads, towns, period)
    for source in Source.objects.order_by("position", "code"):
        path = folder / f"{source.code}.csv"
        path.write_bytes(files[source.code])
        with path.open("rb") as fh:
            outcome = imports.extract_import(
                actor=provider, source=source, period=period, file=fh, file_name=path.name
            )
        if outcome.rejected:  # the demo's own rows: a bug here, not a partner's mistake
            raise ValueError(f"{path}: {outcome.extract.errors}")
        result.imported += outcome.imported
        result.extracts[source.code] = outcome.summary()
    _cover_twice(heads, period)
    done = CheckRun.objects.filter(period=period, town=None, state=CheckRun.State.DONE).exists()
    if result.imported or not done:
        run = check.run_check(period, today=today)
        result.checked = True
        result.new_findings = run.new_findings
    findings = Finding.objects.filter(period=period)
    result.findings = dict(Counter(findings.values_list("kind", flat=True)))
    result.findings_by_town = dict(Counter(findings.values_list("town__name", flat=True)))
    return result


# --- the people -----------------------------------------------------------------------------------


def _heads(towns: dict[str, Town]) -> dict[tuple[str, int], Membership]:
    """(town slug, n) -> the current head's membership of the payments demo's household n."""
    refs = {HOUSEHOLD_REF.format(town=slug, n=n): (slug, n) for slug in towns for n in range(1, 11)}
    memberships = (
        case_selectors.current_heads()
        .filter(household__import_ref__in=refs, household__town__in=towns.values())
        .select_related("person", "household")
    )
    return {refs[m.household.import_ref]: m for m in memberships}


def _cover_twice(heads, period: datetime.date) -> None:
    """ENROLLED_TWICE: the first household's live grant covers its co-resident members and the
    second household's head (set as a whole, so running twice changes nothing)."""
    (first_key, second_key) = ENROLLED_TWICE
    household = heads[first_key].household
    grant = (
        Grant.objects.filter(household=household, state=Grant.State.ACTIVE)
        .select_related("application")
        .order_by("pk")
        .first()
    )
    if grant is None or grant.application is None:
        return
    members = Membership.objects.filter(household=household, joined_on__lte=period).filter(
        Q(left_on__isnull=True) | Q(left_on__gt=period)
    )
    people = [*members.values_list("person_id", flat=True), heads[second_key].person_id]
    grant.application.covered_members.set(people)


def _worker(town: Town):
    return get_user_model().objects.get(username=f"worker-{town.slug}")


def _valid(period: datetime.date):
    """Authorisations of scope `all` valid on the period's first day (REGISTRIES.md)."""
    return (
        Authorisation.objects.filter(scope=Authorisation.Scope.ALL, signed_on__lte=period)
        .exclude(valid_until__lt=period)
        .exclude(revoked_on__lte=period)
    )


def _revoke(heads, period: datetime.date, today: datetime.date) -> int:
    """The heads of NO_AUTHORISATION withdrew their authorisations before the period."""
    revoked = 0
    for key in NO_AUTHORISATION:
        head = heads[key]
        worker = _worker(head.household.town)
        for authorisation in _valid(period).filter(person=head.person).order_by("pk"):
            with transaction.atomic():
                case_services.authorisation_revoke(
                    actor=worker,
                    authorisation=authorisation,
                    revoked_on=max(authorisation.signed_on, period - datetime.timedelta(days=10)),
                    today=today,
                )
            revoked += 1
    return revoked


def _authorisations_ensure(period: datetime.date, today: datetime.date, heads) -> int:
    """A valid authorisation for every co-resident member of a live grant's household in the
    demo towns who has none (except NO_AUTHORISATION's heads), signed by the member."""
    left_out = {heads[key].person_id for key in NO_AUTHORISATION}
    live = Grant.objects.filter(
        state=Grant.State.ACTIVE, town__slug__in=TOWNS, starts_month__lte=period
    ).exclude(ends_month__lt=period)
    members = (
        Membership.objects.filter(household__grants__in=live, joined_on__lte=period)
        .exclude(left_on__lte=period)
        .exclude(person_id__in=left_out)
        .exclude(person_id__in=_valid(period).values("person_id"))
        .select_related("person", "household__town")
        .distinct()
        .order_by("household_id", "person_id")
    )
    made = 0
    for membership in members:
        with transaction.atomic():
            case_services.authorisation_create(
                actor=_worker(membership.household.town),
                household=membership.household,
                person=membership.person,
                signer_name=membership.person.name,
                signed_on=period - datetime.timedelta(days=20),
                today=today,
            )
        made += 1
    return made


def _unknown_ids(count: int) -> list[str]:
    """`count` valid ID numbers that no person in Relief holds, the same on every run."""
    found = []
    birth = datetime.date(1958, 3, 1)
    while len(found) < count:
        for seq in range(501, 999, 7):
            first17 = f"{UNKNOWN_AREA}{birth:%Y%m%d}{seq:03d}"
            number = first17 + check_character(first17)
            if not Person.objects.filter(id_number=number).exists():
                found.append(number)
            if len(found) == count:
                break
        birth += datetime.timedelta(days=97)
    return found


# --- the files ------------------------------------------------------------------------------------


def _value(value: str, period: datetime.date) -> str:
    """A row value with its period-relative placeholders filled: END (the period's last day),
    START (the period's month), DAY:n (the period's day n)."""
    if value == "END":
        following = (period + datetime.timedelta(days=32)).replace(day=1)
        return (following - datetime.timedelta(days=1)).isoformat()
    if value == "START":
        return f"{period:%Y-%m}"
    if value.startswith("DAY:"):
        return period.replace(day=int(value[4:])).isoformat()
    return value


def _pension_rows(heads) -> list[tuple[tuple[str, int], tuple]]:
    """A pension equal to the recorded one, for the demo heads (not in a scenario) whose
    evidence has one: ordinary social-insurance rows."""
    used = {(town, n) for town, n, *_rest in SCENARIOS + ORDINARY}
    rows = []
    for key, head in sorted(heads.items()):
        if key in used:
            continue
        line = (
            IncomeLine.objects.filter(
                household=head.household,
                person=head.person,
                income_type__code="pension",
                valid_to__isnull=True,
            )
            .order_by("pk")
            .first()
        )
        if line is not None:
            rows.append((key, ("城镇职工基本养老保险", f"{line.monthly_amount:.2f}", "START")))
    return rows[:4]


def _files(heads, towns, period: datetime.date) -> dict[str, bytes]:
    """source code -> the CSV file's bytes (REGISTRIES.md: 身份证号 and 姓名, or 身份证号哈希 for
    HASHED, then the source's columns)."""
    rows: dict[str, list[list[str]]] = {
        code: [] for code in Source.objects.values_list("code", flat=True)
    }
    for town, n, code, values in SCENARIOS + ORDINARY:
        person = heads[(town, n)].person
        rows[code].append([person.id_number, person.name, *values])
    for (town, n), values in _pension_rows(heads):
        person = heads[(town, n)].person
        rows["social_insurance"].append([person.id_number, person.name, *values])
    unknown = iter(_unknown_ids(2 * len(UNKNOWN_ROWS) + 8))
    for code, values in UNKNOWN_ROWS.items():
        for name in ("张伟明", "李秀英"):
            rows[code].append([next(unknown), name, *values])
    for reference, town, size, income, members in LOW_INCOME:
        for member in members:
            if member == "unknown":
                number, name = next(unknown), "低收入监测对象"
            else:
                person = heads[member].person
                number, name = person.id_number, person.name
            rows["low_income"].append(
                [number, name, reference, str(size), income, towns[town].code]
            )
    files = {}
    for source in Source.objects.all():
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        columns = [c["header"] for c in source.columns]
        if source.code in HASHED:
            # The answer to the match request: keyed by hash, without names.
            writer.writerow([imports.HASH_COLUMN, *columns])
            for number, _name, *values in rows[source.code]:
                writer.writerow([hash_id(number), *(_value(str(v), period) for v in values)])
        else:
            writer.writerow([imports.ID_COLUMN, imports.NAME_COLUMN, *columns])
            for row in rows[source.code]:
                writer.writerow([_value(str(v), period) for v in row])
        files[source.code] = out.getvalue().encode("utf-8")
    return files
