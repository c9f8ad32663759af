"""Demo applications in every state of the workflow, made by calling the services as staff would,
so that their step logs, clocks, breaches, notifications, grants and history are real.

Each scenario registers its own small household (import_ref "case-demo-<key>", so the registry's
"demo-<n>" households are untouched) and takes it through the procedure on working days counted
back from `today`: a draft, a submitted file, an accepted application with running clocks, one
whose home visit is overdue (the sweep records its breach), one waiting for supplementary
documents, one in public notice, two approved with a grant and its confirmed schedule (one
with a new proposal waiting for confirmation), a rejection, temporary assistance under the
general procedure (approved, waiting for disbursement) and under the emergency procedure (paid
first, file to complete), in 茶山, 大朗, 东城 and 虎门.

Safe to run twice: a scenario whose household exists is skipped, and each scenario is one
transaction, so a run killed halfway leaves whole scenarios only. The cost is a fixed few
thousand queries whatever the number of registry households.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from relief.workdays import is_working_day

from .. import grants as schedules
from .. import selectors
from .. import services as registry
from ..idnumbers import check_character
from ..models import Application, Household, IncomeType, Person, Scheme, Town
from ..workflow import decisions, services, steps, sweep
from .households import AREA_CODE, CHANGE_REASON

REF_PREFIX = "case-demo-"


@dataclass(frozen=True)
class DemoPerson:
    name: str
    birth: datetime.date
    male: bool
    relation: str
    employment: str


@dataclass
class Scenario:
    key: str
    town: str  # slug
    scheme: str  # code
    people: list[DemoPerson]
    wage: Decimal | None  # the household's monthly wage income, from the first person
    run: Callable[["Context", Application], None]
    start: int = 0  # the application was made this many working days ago
    procedure: str = Application.Procedure.GENERAL
    proposed_amount: Decimal | None = None
    amount_basis: str = ""
    note: str = ""


@dataclass
class Context:
    today: datetime.date
    users: dict[str, object] = field(default_factory=dict)

    def user(self, username: str):
        if username not in self.users:
            self.users[username] = get_user_model().objects.get(username=username)
        return self.users[username]

    def back(self, working_days: int) -> datetime.date:
        """The working day `working_days` working days before today (0: today, or the last
        working day before it)."""
        day = self.today
        while not is_working_day(day):
            day -= datetime.timedelta(days=1)
        for _ in range(working_days):
            day -= datetime.timedelta(days=1)
            while not is_working_day(day):
                day -= datetime.timedelta(days=1)
        return day


def at(day: datetime.date) -> datetime.datetime:
    """10:00 on `day` in Asia/Shanghai: the server time a step on that day is stamped with."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(10, 0)))


# --- the steps ------------------------------------------------------------------------------------


def worker(ctx: Context, application: Application):
    return ctx.user(f"worker-{application.town.slug}")


def supervisor(ctx: Context, application: Application):
    return ctx.user(f"supervisor-{application.town.slug}")


def submit(ctx, application, day):
    services.application_submit(
        actor=worker(ctx, application), application=application, today=day, now=at(day)
    )


def accept(ctx, application, day):
    submit(ctx, application, day)
    services.application_accept(
        actor=worker(ctx, application),
        application=application,
        received_on=day,
        today=day,
        now=at(day),
    )


def visit(ctx, application, day, findings="租住单间，入户核实收入与申报一致。"):
    steps.application_home_visit_record(
        actor=worker(ctx, application),
        application=application,
        findings=findings,
        today=day,
        now=at(day),
    )


def opinion(ctx, application, day, recommend=True, note=""):
    steps.application_opinion_give(
        actor=worker(ctx, application),
        application=application,
        recommend=recommend,
        note=note,
        today=day,
        now=at(day),
    )


def notice(ctx, application, day):
    steps.application_notice_start(
        actor=worker(ctx, application), application=application, today=day, now=at(day)
    )


def approve_dibao(ctx: Context, application: Application, start: int):
    """The whole dibao procedure from `start` working days ago: acceptance, home visit,
    opinion, the seven-day notice (ended seven working days after it started, so always after
    its last calendar day), and the approval the next working day."""
    accept(ctx, application, ctx.back(start))
    visit(ctx, application, ctx.back(start - 2))
    opinion(ctx, application, ctx.back(start - 3))
    notice(ctx, application, ctx.back(start - 4))
    end = ctx.back(start - 11)
    steps.application_notice_end(
        actor=worker(ctx, application), application=application, today=end, now=at(end)
    )
    decided = ctx.back(start - 12)
    decisions.application_decide(
        actor=supervisor(ctx, application),
        application=application,
        approve=True,
        reasons="家庭人均收入和财产均低于规定标准，公示期内无异议，同意纳入低保。",
        today=decided,
        now=at(decided),
    )


# --- the scenarios --------------------------------------------------------------------------------


def run_draft(ctx, application):
    pass


def run_submitted(ctx, application):
    submit(ctx, application, ctx.back(0))


def run_accepted(ctx, application):
    accept(ctx, application, ctx.back(2))


def run_overdue(ctx, application):
    # The home visit is due seven working days after acceptance: ten days ago is three late.
    accept(ctx, application, ctx.back(10))


def run_supplement(ctx, application):
    accept(ctx, application, ctx.back(4))
    day = ctx.back(3)
    steps.application_supplement_request(
        actor=worker(ctx, application),
        application=application,
        items="请补充租房合同及近六个月工资流水。",
        today=day,
        now=at(day),
    )


def run_notice(ctx, application):
    accept(ctx, application, ctx.back(8))
    visit(ctx, application, ctx.back(7))
    opinion(ctx, application, ctx.back(6))
    notice(ctx, application, ctx.back(1))


def run_approved(ctx, application):
    approve_dibao(ctx, application, start=30)


def run_approved_with_proposal(ctx, application):
    """Approved; then the head's wage rose from the first month paid, and the case worker
    proposes the recomputed amount, which waits for the town supervisor's confirmation."""
    approve_dibao(ctx, application, start=28)
    grant = application.grant
    actor = worker(ctx, application)
    registry.income_line_create(
        actor=actor,
        household=application.household,
        person=selectors.current_heads().get(household=application.household).person,
        income_type=IncomeType.objects.get(code="wage"),
        monthly_amount=Decimal("300.00"),
        valid_from=grant.starts_month,
        note="复核时申报：户主加班，工资增加。",
        reason=CHANGE_REASON,
    )
    schedules.schedule_propose(
        grant=grant,
        from_month=grant.starts_month,
        actor=actor,
        reason="户主工资每月增加 300.00 元，重新核定保障金额。",
        today=ctx.back(0),
        now=at(ctx.back(0)),
    )


def run_rejected(ctx, application):
    accept(ctx, application, ctx.back(6))
    visit(ctx, application, ctx.back(5), findings="入户发现家庭有小汽车一辆，并租有商铺一间。")
    opinion(ctx, application, ctx.back(4), recommend=False, note="家庭人均收入高于保障标准。")
    day = ctx.back(3)
    decisions.application_decide(
        actor=supervisor(ctx, application),
        application=application,
        approve=False,
        reasons="经核对，家庭人均收入高于当地低保标准，不符合低保条件。",
        today=day,
        now=at(day),
    )


def run_temporary(ctx, application):
    accept(ctx, application, ctx.back(3))
    day = ctx.back(1)
    decisions.application_decide(
        actor=supervisor(ctx, application),
        application=application,
        approve=True,
        reasons="医疗费用票据经核实无误，同意给予临时救助。",
        today=day,
        now=at(day),
    )


def run_awaiting_approval(ctx, application):
    """Accepted eight working days ago: the town supervisor's approval is due in two (a
    due-soon mark in the approval queue)."""
    accept(ctx, application, ctx.back(8))


def run_approval_overdue(ctx, application):
    """Accepted twelve working days ago: the approval (10 working days) is two days late."""
    accept(ctx, application, ctx.back(12))


def run_emergency(ctx, application):
    day = ctx.back(1)
    accept(ctx, application, day)
    decisions.application_emergency_approve(
        actor=supervisor(ctx, application),
        application=application,
        reasons="住房失火，情况紧急，先行救助，事后补齐材料。",
        today=day,
        now=at(day),
    )


def _p(name, birth, male, relation, employment):
    return DemoPerson(name, datetime.date.fromisoformat(birth), male, relation, employment)


E = Person.Employment
SCENARIOS = [
    Scenario(
        "draft", "chashan", "dibao",
        [_p("陈志明", "1978-04-12", True, "head", E.FLEXIBLE),
         _p("陈佳怡", "2012-09-03", False, "child", E.STUDENT)],
        Decimal("900.00"), run_draft, start=0,
    ),
    Scenario(
        "submitted", "chashan", "dibao",
        [_p("黄秀英", "1969-11-20", False, "head", E.UNEMPLOYED),
         _p("黄伟强", "1995-02-14", True, "child", E.UNABLE)],
        Decimal("600.00"), run_submitted, start=0,
    ),
    Scenario(
        "accepted", "chashan", "dibao",
        [_p("李国华", "1972-06-08", True, "head", E.FLEXIBLE),
         _p("梁玉兰", "1974-01-30", False, "spouse", E.UNABLE),
         _p("李思颖", "2010-05-17", False, "child", E.STUDENT)],
        Decimal("1500.00"), run_accepted, start=2,
    ),
    Scenario(
        "overdue", "dalang", "dibao",
        [_p("叶建新", "1966-03-25", True, "head", E.UNEMPLOYED)],
        Decimal("400.00"), run_overdue, start=10,
    ),
    Scenario(
        "supplement", "chashan", "dibao",
        [_p("张丽娟", "1980-08-09", False, "head", E.FLEXIBLE),
         _p("张浩宇", "2015-12-01", True, "child", E.STUDENT)],
        Decimal("1000.00"), run_supplement, start=4,
    ),
    Scenario(
        "notice", "dongcheng", "dibao",
        [_p("罗德昌", "1958-07-19", True, "head", E.RETIRED),
         _p("何桂芳", "1960-10-02", False, "spouse", E.UNABLE)],
        Decimal("800.00"), run_notice, start=8,
    ),
    Scenario(
        "approved", "chashan", "dibao",
        [_p("林振东", "1975-09-14", True, "head", E.FLEXIBLE),
         _p("林雅婷", "2009-04-22", False, "child", E.STUDENT)],
        Decimal("700.00"), run_approved, start=30,
    ),
    Scenario(
        "approved-proposal", "dalang", "dibao",
        [_p("刘美玲", "1983-02-11", False, "head", E.FLEXIBLE),
         _p("刘子轩", "2016-07-30", True, "child", E.CHILD)],
        Decimal("900.00"), run_approved_with_proposal, start=28,
    ),
    Scenario(
        "rejected", "humen", "dibao",
        [_p("郑永嘉", "1979-12-05", True, "head", E.EMPLOYED),
         _p("吴淑珍", "1981-03-18", False, "spouse", E.EMPLOYED)],
        Decimal("3400.00"), run_rejected, start=6,
    ),
    Scenario(
        "temporary", "chashan", "temp_expenditure",
        [_p("周海林", "1964-05-27", True, "head", E.UNABLE)],
        Decimal("500.00"), run_temporary, start=3,
        proposed_amount=Decimal("3000.00"),
        amount_basis="户主脑卒中住院，医疗费用 18,600.00 元，医保报销后自付 3,000.00 元。",
    ),
    Scenario(
        "awaiting-approval", "chashan", "temp_expenditure",
        [_p("袁少华", "1961-09-03", True, "head", E.UNABLE),
         _p("袁嘉欣", "2011-02-19", False, "child", E.STUDENT)],
        Decimal("600.00"), run_awaiting_approval, start=8,
        proposed_amount=Decimal("2400.00"),
        amount_basis="肾透析治疗，上季度医保报销后自付 2,400.00 元。",
    ),
    Scenario(
        "approval-overdue", "chashan", "temp_emergency",
        [_p("冯志坚", "1968-12-15", True, "head", E.UNEMPLOYED)],
        Decimal("300.00"), run_approval_overdue, start=12,
        proposed_amount=Decimal("1500.00"),
        amount_basis="七月暴雨致首层住房进水，被褥、冰箱受损，需支付一周临时住宿费用。",
    ),
    Scenario(
        "emergency", "dongcheng", "temp_emergency",
        [_p("谢锦荣", "1970-01-09", True, "head", E.SELF_EMPLOYED),
         _p("钟慧敏", "1973-06-21", False, "spouse", E.FLEXIBLE)],
        Decimal("1200.00"), run_emergency, start=1,
        procedure=Application.Procedure.EMERGENCY,
        proposed_amount=Decimal("2000.00"),
        amount_basis="前一晚住房失火，需购置衣物、被褥，并支付一个月房租。",
    ),
]  # fmt: skip


# --- registering a scenario's household -----------------------------------------------------------


def _free_id_number(birth: datetime.date, male: bool, taken: set[str]) -> str:
    """A valid ID number for someone born on `birth` that nobody holds yet (probed one by one:
    a few dozen people, so no bitmap of every number)."""
    for seq in range(1, 1000):
        if seq % 2 != male:
            continue
        first17 = f"{AREA_CODE}{birth:%Y%m%d}{seq:03d}"
        number = first17 + check_character(first17)
        if number not in taken and not Person.objects.filter(id_number=number).exists():
            taken.add(number)
            return number
    raise ValueError(f"no free ID number on {birth}")


def _register(ctx: Context, scenario: Scenario, town: Town, taken: set[str]) -> Household:
    actor = ctx.user(f"worker-{town.slug}")
    joined = datetime.date(2020, 1, 1)
    members = [
        registry.MemberInput(
            name=person.name,
            id_number=_free_id_number(person.birth, person.male, taken),
            relation=person.relation,
            joined_on=max(joined, person.birth),
            extra={"employment_status": person.employment},
        )
        for person in scenario.people
    ]
    village = town.villages.order_by("code").first()
    household = registry.household_create(
        actor=actor,
        town=town,
        village=village,
        address=f"东莞市{town.name}{village.name if village else ''}示范路{len(taken)}号",
        members=members,
        hukou_place=f"广东省东莞市{town.name}",
        import_ref=f"{REF_PREFIX}{scenario.key}",
        today=ctx.today,
        reason=CHANGE_REASON,
    )
    people = [m.person for m in household.memberships.select_related("person").order_by("id")]
    signed = ctx.back(40)
    for person in people:
        registry.authorisation_create(
            actor=actor,
            household=household,
            person=person,
            signer_name=person.name,
            signed_on=signed,
            today=ctx.today,
        )
    if scenario.wage is not None:
        registry.income_line_create(
            actor=actor,
            household=household,
            person=people[0],
            income_type=IncomeType.objects.get(code="wage"),
            monthly_amount=scenario.wage,
            valid_from=datetime.date(2023, 1, 1),
            note="申请前六个月的月平均收入。",
            reason=CHANGE_REASON,
        )
    return household


def seed_workflow_demo(*, today: datetime.date | None = None) -> int:
    """Create the scenarios that are missing; returns how many it created. Needs the demo
    users (cases.demo.users) and the towns."""
    ctx = Context(today=today or timezone.localdate())
    refs = [f"{REF_PREFIX}{s.key}" for s in SCENARIOS]
    done = set(Household.objects.filter(import_ref__in=refs).values_list("import_ref", flat=True))
    towns = {town.slug: town for town in Town.objects.filter(slug__in={s.town for s in SCENARIOS})}
    taken: set[str] = set()
    created = 0
    for scenario in SCENARIOS:
        if f"{REF_PREFIX}{scenario.key}" in done:
            continue
        with transaction.atomic():
            household = _register(ctx, scenario, towns[scenario.town], taken)
            application = services.application_create(
                actor=ctx.user(f"worker-{scenario.town}"),
                household=household,
                scheme=Scheme.objects.get(code=scenario.scheme),
                procedure=scenario.procedure,
                proposed_amount=scenario.proposed_amount,
                amount_basis=scenario.amount_basis,
                note=scenario.note,
                now=at(ctx.back(scenario.start)),
            )
            scenario.run(ctx, application)
        created += 1
    if created:
        # What the daily jobs would have done by now: breaches and reminders of the clocks,
        # the approved grants' first re-check dates.
        sweep.clocks_sweep(today=ctx.today)
        schedules.recheck_schedule_missing()
    return created
