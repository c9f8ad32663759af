"""Demo payments: dibao grants with confirmed payee accounts and the last three
months paid, so that next month's payment run has work at once.

`seed_payments_demo(today=...)` needs the demo users and towns (`manage.py seed_demo`) and makes
everything through the services staff would use, so that histories, audit events, bank files
and returns are real:

- in 茶山, 大朗, 东城 and 虎门, GRANTS_PER_TOWN households of its own (import_ref
  "pay-demo-<town>-<n>", registered by the town's case worker with signed authorisations and a low
  wage or pension), each with a dibao application that went through the procedure (its step log
  written as the case worker's, ending with the public notice) and was approved by the town
  supervisor through `application_decide` (the calculation gives the amount; the grant starts
  the month after), and a payee account proposed by the case worker and confirmed by the town
  supervisor (fake account numbers with a valid Luhn check digit);
- for each of the three months up to the current one: the monthly run of each town (started by
  the scheduler around the 20th of the month before), submitted by the city supervisor, approved
  by the town supervisor, exported as CSV and marked sent by finance, and the bank's return
  imported: every row paid except one (a closed account), whose case worker then proposes the
  corrected account and the town supervisor confirms it, so the next run reissues the line;
- then two households' income changed from the first month paid (CORRECTIONS): the case worker
  records it and proposes the recomputed amount, the town supervisor confirms it, and the daily
  reassessment proposes a recovery (茶山) and a back-pay (大朗) for the months already paid,
  which wait in the town supervisors' queues.

Safe to run twice and to kill: a household and its grant and account are one transaction and
skipped once there; a month whose town already has a batch (or a finished run) is not run
again (a second run would reissue a later month's failed line into it); a batch part-way
through is taken on from its state, and a failed line whose account was not replaced yet gets
its new account. Run again in a later month, it pays the months that are missing up to that month.

Cases never imports payments (DESIGN.md: dependencies run one way), so this is its own command,
`manage.py seed_payments_demo`, which `make run` calls after `seed_demo`.
"""

import csv
import datetime
import io
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from cases import grants as schedules
from cases import services as registry
from cases.demo.households import CHANGE_REASON, FEMALE_CHARS, MALE_CHARS, SURNAMES, town_label
from cases.idnumbers import check_character
from cases.models import (
    Application,
    ApplicationEvent,
    Grant,
    Household,
    IncomeLine,
    IncomeType,
    Person,
    ScheduleEntry,
    Scheme,
    Town,
)
from cases.workflow import decisions
from relief.dates import add_months, first_of_month
from relief.history import with_actor
from relief.money import ZERO
from relief.workdays import is_working_day

from . import accounts, bankfiles, batches, corrections, runs
from .models import Batch, PayeeAccount, PaymentLine, PaymentRun
from .returns import bank_return_import

TOWNS = ("chashan", "dalang", "dongcheng", "humen")
GRANTS_PER_TOWN = 10
MONTHS = 3  # months paid, up to and including the current one
REF_PREFIX = "pay-demo-"
AREA_CODE = "441900"
SCHEME = "dibao"
FAILURE_REASON = "账户已销户"  # the bank's words: "the account is closed"
# (bank, the first six digits of its debit cards as commonly seen); the numbers are fake.
BANKS = (
    ("中国工商银行东莞分行", "622202"),
    ("中国农业银行东莞分行", "622848"),
    ("中国建设银行东莞分行", "621700"),
    ("中国邮政储蓄银行东莞分行", "621799"),
    ("东莞农村商业银行", "623038"),
)


@dataclass
class DemoResult:
    households: int = 0
    grants: int = 0
    accounts_replaced: int = 0
    runs: int = 0
    batches_reconciled: int = 0
    failed_lines: int = 0
    corrections: int = 0
    periods: list[str] = field(default_factory=list)


class DemoNotReady(ValueError):
    """The demo users (manage.py seed_demo) or the towns are not there."""


def luhn_digit(digits: str) -> str:
    """The check digit that makes `digits` + it pass the Luhn check (ISO/IEC 7812), as bank card
    numbers do."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 0:  # doubled: every second digit from the right of the full number
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return str((10 - total % 10) % 10)


def luhn_valid(number: str) -> bool:
    return number.isdigit() and len(number) > 1 and luhn_digit(number[:-1]) == number[-1]


def demo_account(town: Town, n: int, version: int = 0) -> tuple[str, str]:
    """(bank, 19-digit account number) of demo household n of the town; `version` > 0 for the
    account that replaces a closed one."""
    bank, prefix = BANKS[(n + version) % len(BANKS)]
    body = f"{prefix}{town.code[-3:]}{version:02d}{n:07d}"
    return bank, body + luhn_digit(body)


class _Context:
    def __init__(self, today: datetime.date):
        self.today = today
        users = get_user_model().objects.select_related("staff")
        wanted = ["supervisor", "finance"] + [
            f"{role}-{slug}" for slug in TOWNS for role in ("worker", "supervisor")
        ]
        self.users = {user.username: user for user in users.filter(username__in=wanted)}
        missing = sorted(set(wanted) - set(self.users))
        if missing:
            raise DemoNotReady(
                "The demo users are missing (" + ", ".join(missing) + "): run "
                "`manage.py seed_demo` first."
            )
        self.towns = {town.slug: town for town in Town.objects.filter(slug__in=TOWNS)}
        if len(self.towns) != len(TOWNS):
            raise DemoNotReady("The demo towns are missing: run the migrations first.")

    def worker(self, town: Town):
        return self.users[f"worker-{town.slug}"]

    def supervisor(self, town: Town):
        return self.users[f"supervisor-{town.slug}"]

    @property
    def city(self):
        return self.users["supervisor"]

    @property
    def finance(self):
        return self.users["finance"]

    def at(self, day: datetime.date, hour: int = 10) -> datetime.datetime:
        """`hour` o'clock on `day` in Asia/Shanghai, never later than now."""
        moment = timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))
        return min(moment, timezone.now()) if day >= self.today else moment

    def day(self, day: datetime.date) -> datetime.date:
        return min(day, self.today)


def working_day(day: datetime.date, after: int = 0) -> datetime.date:
    """The first working day on or after `day`, then `after` working days later."""
    while not is_working_day(day):
        day += datetime.timedelta(days=1)
    for _ in range(after):
        day += datetime.timedelta(days=1)
        while not is_working_day(day):
            day += datetime.timedelta(days=1)
    return day


def demo_periods(today: datetime.date) -> list[datetime.date]:
    """The months paid: the last MONTHS months up to today's."""
    current = first_of_month(today)
    return [add_months(current, offset) for offset in range(1 - MONTHS, 1)]


def seed_payments_demo(*, today: datetime.date | None = None) -> DemoResult:
    """Create what is missing (see the module docstring); returns what it created."""
    ctx = _Context(today or timezone.localdate())
    result = DemoResult()
    periods = demo_periods(ctx.today)
    # Approved in the month before the first month paid (dibao is paid from the month after
    # approval, DOMAIN.md §5).
    decided_on = working_day(add_months(periods[0], -1).replace(day=8))
    for slug in TOWNS:
        town = ctx.towns[slug]
        for n in range(1, GRANTS_PER_TOWN + 1):
            if _grant_ensure(ctx, town, n, decided_on):
                result.households += 1
                result.grants += 1
    for period in periods:
        made = _pay_month(ctx, period, result)
        if made:
            result.periods.append(f"{period:%Y-%m}")
    result.corrections = _corrections_ensure(ctx, periods[0])
    return result


# --- households, grants and accounts -------------------------------------------------------------


def _free_id_number(birth: datetime.date, male: bool) -> str:
    """A valid ID number for someone born on `birth` that nobody holds yet."""
    for seq in range(1, 1000):
        if seq % 2 != male:  # the 17th digit is odd for men
            continue
        first17 = f"{AREA_CODE}{birth:%Y%m%d}{seq:03d}"
        number = first17 + check_character(first17)
        if not Person.objects.filter(id_number=number).exists():
            return number
    raise ValueError(f"no free ID number on {birth}")


def _name(rng: random.Random, surname: str, male: bool) -> str:
    chars = MALE_CHARS if male else FEMALE_CHARS
    return surname + "".join(rng.choice(chars[:40]) for _ in range(rng.choice((1, 2, 2))))


def _members(rng: random.Random) -> list[tuple[str, datetime.date, bool, str, str]]:
    """(name, birth, male, relation, employment) of a small household that dibao covers: an
    older head out of work or unable to work, alone or with a spouse or a school-age child."""
    E = Person.Employment
    surname = rng.choice(SURNAMES[:30])
    male = rng.random() < 0.55
    head_age = rng.randint(48, 78)
    birth = datetime.date(2024 - head_age, rng.randint(1, 12), rng.randint(1, 28))
    employment = E.RETIRED if head_age >= 60 else rng.choice((E.UNEMPLOYED, E.UNABLE, E.FLEXIBLE))
    members = [(_name(rng, surname, male), birth, male, "head", employment)]
    shape = rng.random()
    if shape < 0.35:
        spouse_birth = birth.replace(year=birth.year + rng.randint(-4, 4))
        members.append(
            (
                _name(rng, rng.choice(SURNAMES[:30]), not male),
                spouse_birth,
                not male,
                "spouse",
                E.UNABLE,
            )
        )
    elif shape < 0.6 and head_age < 60:
        child_male = rng.random() < 0.5
        child_birth = datetime.date(rng.randint(2009, 2016), rng.randint(1, 12), rng.randint(1, 28))
        members.append(
            (_name(rng, surname, child_male), child_birth, child_male, "child", E.STUDENT)
        )
    return members


def _grant_ensure(ctx: _Context, town: Town, n: int, decided_on: datetime.date) -> bool:
    """Household n of the town with its approved dibao grant and confirmed payee account, in one
    transaction; False when it is there already."""
    ref = f"{REF_PREFIX}{town.slug}-{n:02d}"
    if Household.objects.filter(town=town, import_ref=ref).exists():
        return False
    rng = random.Random(ref)
    worker, supervisor = ctx.worker(town), ctx.supervisor(town)
    accepted = working_day(first_of_month(decided_on) - datetime.timedelta(days=45))
    with transaction.atomic():
        people = _members(rng)
        village = town.villages.order_by("code").first()
        household = registry.household_create(
            actor=worker,
            town=town,
            village=village,
            address=f"东莞市{town_label(town)}{village.name if village else ''}民生路{n}号",
            members=[
                registry.MemberInput(
                    name=name,
                    id_number=_free_id_number(birth, male),
                    relation=relation,
                    joined_on=max(datetime.date(2015, 1, 1), birth),
                    extra={"employment_status": employment},
                )
                for name, birth, male, relation, employment in people
            ],
            hukou_place=f"广东省东莞市{town_label(town)}",
            import_ref=ref,
            today=accepted,
            reason=CHANGE_REASON,
        )
        members = [m.person for m in household.memberships.select_related("person").order_by("id")]
        head = members[0]
        for person in members:
            registry.authorisation_create(
                actor=worker,
                household=household,
                person=person,
                signer_name=person.name,
                signed_on=accepted - datetime.timedelta(days=3),
                today=accepted,
            )
        pension = head.employment_status == Person.Employment.RETIRED
        registry.income_line_create(
            actor=worker,
            household=household,
            person=head,
            income_type=IncomeType.objects.get(code="pension" if pension else "wage"),
            monthly_amount=Decimal(rng.randrange(200, 700, 10)).quantize(Decimal("0.01")),
            valid_from=datetime.date(2024, 1, 1),
            note="申请前六个月的月平均收入。",
            reason=CHANGE_REASON,
        )
        application = _application_through_notice(ctx, household, worker, accepted)
        decisions.application_decide(
            actor=supervisor,
            application=application,
            approve=True,
            reasons="家庭人均收入和财产均低于规定标准，公示期内无异议，同意纳入低保。",
            today=decided_on,
            now=ctx.at(decided_on),
        )
        grant = Grant.objects.get(application=application)
        bank, number = demo_account(town, n)
        proposed_on = working_day(decided_on, after=1)
        account = accounts.payee_account_propose(
            actor=worker,
            grant=grant,
            payee=head,
            bank_name=bank,
            account_holder=head.name,
            account_number=number,
            reason="户主开立的低保金代发账户。",
            now=ctx.at(proposed_on),
        )
        accounts.payee_account_confirm(
            actor=supervisor, account=account, now=ctx.at(proposed_on, hour=15)
        )
    return True


def _application_through_notice(ctx, household, worker, accepted) -> Application:
    """The dibao application as the procedure leaves it after the public notice (DOMAIN.md §6),
    with its step log: the approval is then given through the decision service."""
    steps = [
        (ApplicationEvent.Kind.CREATED, 0, ""),
        (ApplicationEvent.Kind.SUBMITTED, 0, ""),
        (ApplicationEvent.Kind.ACCEPTED, 0, ""),
        (ApplicationEvent.Kind.HOME_VISIT, 3, "租住单间，入户核实收入与申报一致。"),
        (ApplicationEvent.Kind.OPINION, 5, "家庭人均收入低于保障标准，建议纳入低保。"),
        (ApplicationEvent.Kind.NOTICE_STARTED, 6, ""),
        (ApplicationEvent.Kind.NOTICE_ENDED, 13, "公示期满，无异议。"),
    ]
    application = Application(
        household=household,
        scheme=Scheme.objects.get(code=SCHEME),
        town=household.town,
        state=Application.State.NOTICE_ENDED,
        received_on=accepted,
        accepted_on=accepted,
        town_opinion=Application.Opinion.RECOMMEND,
        created_by=worker,
    )
    with_actor(application, worker, CHANGE_REASON).save()
    for kind, days, note in steps:
        ApplicationEvent.objects.create(
            application=application,
            kind=kind,
            actor=worker,
            at=ctx.at(working_day(accepted, after=days)),
            note=note,
        )
    return application


# --- the months paid ------------------------------------------------------------------------------


def _pay_month(ctx: _Context, period: datetime.date, result: DemoResult) -> bool:
    """Run, approve, send and reconcile each demo town's batch of `period`, then replace the
    accounts of its failed lines; False when there was nothing left to do."""
    run_day = working_day(add_months(period, -1).replace(day=20))
    failing_town = TOWNS[(period.year * 12 + period.month) % len(TOWNS)]
    did = False
    for slug in TOWNS:
        town = ctx.towns[slug]
        monthly = Batch.objects.filter(town=town, period=period, kind=Batch.Kind.MONTHLY)
        finished = PaymentRun.objects.filter(
            kind=PaymentRun.Kind.MONTHLY,
            period=period,
            town=town,
            state=PaymentRun.State.COMPLETE,
        )
        if not monthly.exists() and not finished.exists():
            runs.payment_run(
                period=period, town=town, today=ctx.day(run_day), now=ctx.at(run_day, hour=2)
            )
            result.runs += 1
            did = True
        for batch in monthly.exclude(state=Batch.State.RECONCILED).order_by("id"):
            result.failed_lines += _batch_through(ctx, batch, run_day, fail=slug == failing_town)
            result.batches_reconciled += 1
            did = True
    failed = PaymentLine.objects.filter(
        batch__period=period,
        batch__kind=Batch.Kind.MONTHLY,
        batch__town__slug__in=TOWNS,
        status=PaymentLine.Status.FAILED,
    ).select_related("grant__town", "grant__household")
    for line in failed.order_by("id"):
        replaced = _replace_account(ctx, line, run_day)
        result.accounts_replaced += replaced
        did = did or bool(replaced)
    return did


def _batch_through(ctx: _Context, batch: Batch, run_day: datetime.date, *, fail: bool) -> int:
    """Take the batch from the state it is in to reconciled; returns its failed lines."""
    town = batch.town
    content = None
    if batch.state == Batch.State.DRAFT:
        day = working_day(run_day, after=1)
        batch = batches.batch_submit(actor=ctx.city, batch=batch, now=ctx.at(day))
    if batch.state == Batch.State.SUBMITTED:
        day = working_day(run_day, after=2)
        batch = batches.batch_approve(actor=ctx.supervisor(town), batch=batch, now=ctx.at(day))
    if batch.state == Batch.State.APPROVED:
        day = working_day(run_day, after=3)
        content = _export(ctx, batch, day)
        batch = batches.batch_send(
            actor=ctx.finance, batch=batch, today=ctx.day(day), now=ctx.at(day, hour=11)
        )
    if batch.state == Batch.State.SENT:
        day = working_day(run_day, after=5)
        content = content or _export(ctx, batch, day)
        imported = bank_return_import(
            actor=ctx.finance,
            batch=batch,
            file_name=f"银行回单-{batch.pk}.csv",
            content=_return_file(content, fail_first=fail),
            today=ctx.day(day),
            now=ctx.at(day),
        )
        if not imported.ok:
            raise ValueError(f"demo return of batch #{batch.pk} rejected: {imported.report}")
    return batch.lines.filter(status=PaymentLine.Status.FAILED).count()


def _export(ctx: _Context, batch: Batch, day: datetime.date) -> bytes:
    _name, chunks, _file = bankfiles.bank_file_export(
        actor=ctx.finance, batch=batch, fmt="csv", now=ctx.at(day)
    )
    return b"".join(chunks)


def _return_file(exported: bytes, *, fail_first: bool) -> bytes:
    """The bank's answer to an exported CSV: its rows with 状态 and 失败原因 added, every row
    paid (成功) except, with `fail_first`, row 1 (失败, a closed account); the totals line as
    exported (docs/bank-files.md)."""
    rows = list(csv.reader(io.StringIO(exported.decode("utf-8-sig"), newline="")))
    header, data, totals = rows[0], rows[1:-1], rows[-1]
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([*header, "状态", "失败原因"])
    for index, row in enumerate(data):
        failed = fail_first and index == 0
        writer.writerow([*row, "失败" if failed else "成功", FAILURE_REASON if failed else ""])
    writer.writerow([*totals, "", ""])
    return out.getvalue().encode("utf-8-sig")


def _replace_account(ctx: _Context, line: PaymentLine, run_day: datetime.date) -> int:
    """After a failed payment the case worker records the household's new account and the
    town supervisor confirms it, before the next month's run reissues the line. Returns 1 when
    it replaced the account."""
    grant = line.grant
    account = PayeeAccount.objects.filter(grant=grant, state=PayeeAccount.State.CONFIRMED).first()
    if account is None or account.pk != line.account_id:
        return 0  # replaced already
    n = int(grant.household.import_ref.rsplit("-", 1)[1])
    bank, number = demo_account(grant.town, n, version=grant.accounts.count())
    day = working_day(run_day, after=6)
    town = grant.town
    proposal = accounts.payee_account_propose(
        actor=ctx.worker(town),
        grant=grant,
        payee=account.payee,
        bank_name=bank,
        account_holder=account.account_holder,
        account_number=number,
        reason=f"银行退回发放款项（{FAILURE_REASON}），户主已开立新账户。",
        now=ctx.at(day),
    )
    accounts.payee_account_confirm(
        actor=ctx.supervisor(town), account=proposal, now=ctx.at(day, hour=15)
    )
    return 1


# --- a recovery and a back-pay waiting for a supervisor ------------------------------------------

# (town, household n, change of income from the first month paid, the case worker's words). The
# first earns more than the household declared: overpaid → a recovery; the second lost
# income: underpaid → a back-pay.
CORRECTIONS = (
    ("chashan", 1, Decimal("400.00"), "复核发现户主自 {month} 起打零工，每月收入约 400.00 元，未及时申报。"),
    ("dalang", 2, Decimal("-200.00"), "户主自 {month} 起退休金减少，每月少 200.00 元，按新收入重新核定。"),
)  # fmt: skip


def _corrections_ensure(ctx: _Context, first_paid: datetime.date) -> int:
    """For each of CORRECTIONS (once): the case worker records the change of income from the
    first month paid and proposes the amount the calculation gives; the town supervisor confirms
    it; then the daily reassessment (payments.corrections) compares what was due with what was
    paid and proposes a recovery or a back-pay, which waits in the supervisors' queue (DOMAIN.md
    §9: confirmed by a second person before money moves). Returns how many it made."""
    made = 0
    when = ctx.at(ctx.today, hour=16)
    for slug, n, change, words in CORRECTIONS:
        town = ctx.towns[slug]
        grant = (
            Grant.objects.filter(household__import_ref=f"{REF_PREFIX}{slug}-{n:02d}")
            .select_related("household")
            .first()
        )
        if grant is None or grant.schedule.filter(kind=ScheduleEntry.Kind.RECALCULATION).exists():
            continue
        worker, reason = ctx.worker(town), words.format(month=f"{first_paid:%Y-%m}")
        with transaction.atomic():
            line = IncomeLine.objects.filter(household=grant.household, valid_to__isnull=True)
            line = line.select_related("person", "income_type").order_by("id").first()
            if change > 0:
                income_type, amount = IncomeType.objects.get(code="wage"), change
            else:
                registry.evidence_end(
                    actor=worker,
                    evidence=line,
                    valid_to=first_paid - datetime.timedelta(days=1),
                    reason=reason,
                )
                income_type, amount = line.income_type, max(line.monthly_amount + change, ZERO)
            registry.income_line_create(
                actor=worker,
                household=grant.household,
                person=line.person,
                income_type=income_type,
                monthly_amount=amount,
                valid_from=first_paid,
                note=reason,
                reason=reason,
            )
            entry = schedules.schedule_propose(
                grant=grant, from_month=first_paid, actor=worker, reason=reason, now=when
            )
            if entry is not None:
                schedules.schedule_confirm(entry=entry, actor=ctx.supervisor(town), now=when)
                made += 1
    corrections.reassessments_pending(today=ctx.today)
    return made
