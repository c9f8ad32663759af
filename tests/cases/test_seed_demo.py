"""manage.py seed_demo: the demo users of DOMAIN.md §2 and synthetic demo households."""

import datetime
import random
from decimal import Decimal
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Count, F, Q
from django.http import HttpRequest

from cases import demo
from cases.demo import households as demo_households
from cases.demo import workflow as demo_workflow
from cases.idnumbers import age_on, parse_id_number
from cases.models import (
    Asset,
    Household,
    IncomeLine,
    Membership,
    Person,
    Role,
    StaffProfile,
    Town,
    Village,
)

TODAY = datetime.date(2025, 3, 1)


def seed(households: int, seed: int = 1, applications: bool = False):
    """The registry part of seed_demo; the demo applications have their own tests below."""
    out = StringIO()
    call_command(
        "seed_demo",
        households=households,
        seed=seed,
        applications=applications,
        stdout=out,
        stderr=StringIO(),
    )
    return out.getvalue()


def registry_counts() -> dict[str, int]:
    models = (Household, Person, Membership, IncomeLine, Asset, Village)
    counts = {m.__name__: m.objects.count() for m in models}
    counts.update({f"history {m.__name__}": m.history.count() for m in models})
    counts["users"] = get_user_model().objects.count()
    return counts


def login(client, username: str, password: str) -> bool:
    # django-axes needs the request to authenticate against.
    return client.login(request=HttpRequest(), username=username, password=password)


@pytest.fixture
def seeded(db, monkeypatch):
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    seed(30)


@pytest.mark.django_db
def test_every_town_gets_a_case_worker_and_a_town_supervisor(seeded):
    towns = list(Town.objects.all())
    assert len(towns) == 36
    for town in towns:
        for prefix, role in (("worker", Role.CASE_WORKER), ("supervisor", Role.TOWN_SUPERVISOR)):
            profile = StaffProfile.objects.get(user__username=f"{prefix}-{town.slug}")
            assert profile.role == role
            assert list(profile.towns.all()) == [town]


@pytest.mark.django_db
def test_city_users_have_their_roles_and_no_towns(seeded):
    for username, role in (
        ("supervisor", Role.CITY_SUPERVISOR),
        ("finance", Role.FINANCE),
        ("auditor", Role.AUDITOR),
        ("admin", Role.ADMINISTRATOR),
    ):
        profile = StaffProfile.objects.get(user__username=username)
        assert profile.role == role
        assert not profile.towns.exists()


@pytest.mark.django_db
def test_exactly_the_78_demo_users_exist_and_only_admin_reaches_the_admin_site(seeded):
    User = get_user_model()
    # Two city supervisors, finance, auditor, admin and the registry provider.
    assert User.objects.count() == 36 * 2 + 6
    assert list(User.objects.filter(is_staff=True).values_list("username", flat=True)) == ["admin"]
    assert User.objects.get(username="admin").is_superuser


@pytest.mark.django_db
def test_demo_password_logs_in(seeded, client):
    assert login(client, "worker-chashan", "relief-demo")
    assert login(client, "supervisor", "relief-demo")
    assert not login(client, "worker-chashan", "wrong-password")


@pytest.mark.django_db
def test_password_comes_from_demo_password(db, monkeypatch, client):
    monkeypatch.setenv("DEMO_PASSWORD", "another-demo-pw")
    seed(0)

    assert login(client, "finance", "another-demo-pw")
    assert not login(client, "finance", "relief-demo")


@pytest.mark.django_db
def test_rerun_resets_a_changed_password_and_reactivates_the_user(seeded, client):
    user = get_user_model().objects.get(username="worker-dalang")
    user.set_password("changed-by-someone")
    user.is_active = False
    user.save()

    seed(30)

    assert login(client, "worker-dalang", "relief-demo")


@pytest.mark.django_db
def test_rerun_lifts_an_axes_lockout(seeded, client):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "worker-chashan", "wrong-password")
    assert not login(client, "worker-chashan", "relief-demo")  # locked

    seed(30)

    assert login(client, "worker-chashan", "relief-demo")


@pytest.mark.django_db
def test_rerun_repairs_a_demo_users_role_and_towns(seeded):
    profile = StaffProfile.objects.get(user__username="worker-chashan")
    profile.role = Role.AUDITOR
    profile.save()
    profile.towns.set(Town.objects.filter(slug="dalang"))

    seed(30)

    profile.refresh_from_db()
    assert profile.role == Role.CASE_WORKER
    assert list(profile.towns.values_list("slug", flat=True)) == ["chashan"]


@pytest.mark.django_db
def test_households_are_spread_over_many_towns(seeded):
    assert Household.objects.count() == 30
    assert Household.objects.values("town").distinct().count() == 30
    assert not Household.objects.filter(import_ref="").exists()


@pytest.mark.django_db
def test_households_are_spread_over_every_town_once_there_are_enough(db):
    seed(72)

    per_town = Household.objects.values("town").annotate(n=Count("id"))
    assert sorted(row["n"] for row in per_town) == [2] * 36


@pytest.mark.django_db
def test_every_household_has_exactly_one_current_head_and_one_to_five_members(seeded):
    households = Household.objects.annotate(
        heads=Count("memberships", filter=Q(memberships__relation="head")),
        members=Count("memberships"),
    )
    assert {h.heads for h in households} == {1}
    assert {h.members for h in households} <= {1, 2, 3, 4, 5}
    assert len({h.members for h in households}) > 1
    assert not Membership.objects.filter(left_on__isnull=False).exists()


@pytest.mark.django_db
def test_every_id_number_is_valid_and_matches_the_derived_fields(seeded):
    persons = list(Person.objects.all())
    assert len(persons) >= 30
    for person in persons:
        parsed = parse_id_number(person.id_number, today=TODAY)
        assert parsed.number == person.id_number
        assert person.id_number.startswith("441900")
        assert person.id_tail == person.id_number[-4:]
        assert person.birth_date == parsed.birth_date
        assert person.sex == parsed.sex
    assert len({p.id_number for p in persons}) == len(persons)


@pytest.mark.django_db
def test_birth_dates_fit_the_relation_to_the_head(seeded):
    reference = demo_households.REFERENCE_DATE
    for household in Household.objects.all():
        head = household.memberships.get(relation="head").person
        assert age_on(head.birth_date, reference) >= 20
        for membership in household.memberships.select_related("person"):
            person = membership.person
            assert membership.joined_on >= person.birth_date
            if membership.relation in ("child", "grandchild"):
                assert age_on(head.birth_date, person.birth_date) >= 19
            if membership.relation == "parent":
                assert age_on(person.birth_date, head.birth_date) >= 16
            if membership.relation == "spouse":
                assert age_on(person.birth_date, reference) >= 20


@pytest.mark.django_db
def test_villages_belong_to_the_household_town(seeded):
    assert not Household.objects.exclude(village__town=F("town")).exists()
    assert Village.objects.filter(town__slug="chashan", name="茶山第一社区").exists()
    assert Village.objects.values("town").distinct().count() == 36


@pytest.mark.django_db
def test_income_and_assets_are_decimal_and_belong_to_the_household(seeded):
    assert IncomeLine.objects.exists()
    assert Asset.objects.filter(kind=Asset.Kind.DEPOSIT).exists()
    for line in IncomeLine.objects.all():
        assert line.monthly_amount > 0
        assert line.monthly_amount.as_tuple().exponent == -2
        if line.person_id:
            assert line.person.memberships.filter(household_id=line.household_id).exists()
    for asset in Asset.objects.exclude(person=None):
        assert asset.person.memberships.filter(household_id=asset.household_id).exists()


@pytest.mark.django_db
def test_rerun_with_the_same_number_adds_nothing(seeded):
    before = registry_counts()

    output = seed(30)

    assert registry_counts() == before
    assert "30 already there" in output


@pytest.mark.django_db
def test_larger_number_adds_only_the_missing_households(seeded):
    first = dict(Person.objects.values_list("id_number", "name"))
    households_before = set(Household.objects.values_list("import_ref", flat=True))

    seed(45)

    assert Household.objects.count() == 45
    assert households_before < set(Household.objects.values_list("import_ref", flat=True))
    after = dict(Person.objects.values_list("id_number", "name"))
    assert {k: after[k] for k in first} == first
    assert Household.history.count() == 45


@pytest.mark.django_db
def test_same_seed_gives_the_same_people_in_an_empty_registry(seeded):
    first = sorted(Person.objects.values_list("id_number", "name"))
    for model in (Asset, IncomeLine, Membership, Person, Household):
        model.objects.all().delete()

    seed(30)

    assert sorted(Person.objects.values_list("id_number", "name")) == first


@pytest.mark.django_db
def test_another_seed_gives_other_people(seeded):
    first = set(Person.objects.values_list("id_number", flat=True))
    for model in (Asset, IncomeLine, Membership, Person, Household):
        model.objects.all().delete()

    seed(30, seed=2)

    assert not first & set(Person.objects.values_list("id_number", flat=True))


@pytest.mark.django_db
def test_history_has_a_creation_row_for_every_seeded_row(seeded):
    for model in (Household, Person, Membership, IncomeLine, Asset):
        rows = model.history.all()
        assert rows.count() == model.objects.count()
        assert set(rows.values_list("history_type", "history_change_reason")) == {("+", "演示数据")}
    household = Household.objects.first()
    assert household.history.get().import_ref == household.import_ref


@pytest.mark.django_db
def test_chunks_give_the_same_data_as_one_transaction(db):
    call_command(
        "seed_demo",
        households=12,
        chunk_size=5,
        applications=False,
        stdout=StringIO(),
        stderr=StringIO(),
    )
    chunked = sorted(Person.objects.values_list("id_number", "name"))
    for model in (Asset, IncomeLine, Membership, Person, Household):
        model.objects.all().delete()

    seed(12)

    assert sorted(Person.objects.values_list("id_number", "name")) == chunked


@pytest.mark.django_db
@pytest.mark.parametrize(
    "options, message",
    [({"households": -1}, "--households"), ({"households": 1, "chunk_size": 0}, "--chunk-size")],
)
def test_bad_arguments_are_refused_with_the_option_named(options, message):
    with pytest.raises(CommandError, match=message):
        call_command("seed_demo", **options, stdout=StringIO(), stderr=StringIO())
    assert not Household.objects.exists()


def test_id_allocator_moves_to_the_day_before_when_a_day_is_full():
    allocator = demo_households.IdAllocator()
    rng = random.Random(3)
    birth = datetime.date(1980, 5, 17)

    men = [allocator.allocate(birth, True, rng) for _ in range(501)]
    women = [allocator.allocate(birth, False, rng) for _ in range(3)]

    numbers = [number for number, _born in men + women]
    assert len(set(numbers)) == len(numbers)
    assert [born for _n, born in men].count(birth) == 500
    assert men[-1][1] == datetime.date(1980, 5, 16)
    for number, born in men + women:
        parsed = parse_id_number(number, today=TODAY)
        assert parsed.birth_date == born
    assert {parse_id_number(n, today=TODAY).sex for n, _b in men} == {"M"}
    assert {parse_id_number(n, today=TODAY).sex for n, _b in women} == {"F"}


def test_id_allocator_skips_numbers_already_in_the_registry():
    allocator = demo_households.IdAllocator()
    taken = demo_households.IdAllocator()
    rng_a, rng_b = random.Random(5), random.Random(5)
    first, _born = taken.allocate(datetime.date(1990, 1, 1), True, rng_a)

    allocator.mark(first)
    second, _born = allocator.allocate(datetime.date(1990, 1, 1), True, rng_b)

    assert second != first
    assert second[:14] == first[:14]


def test_generated_household_depends_only_on_seed_and_index(db):
    towns = list(Town.objects.order_by("code"))
    villages = {t.pk: [1, 2] for t in towns}

    def names(seed, index):
        household = demo_households.generate_household(
            seed=seed, index=index, towns=towns, villages=villages
        )
        return [(m.name, m.birth, m.relation) for m in household.members]

    assert names(1, 7) == names(1, 7)
    assert names(1, 7) != names(2, 7)
    assert names(1, 7) != names(1, 8)


@pytest.mark.django_db
def test_a_failure_halfway_keeps_the_finished_chunks_and_a_rerun_completes(monkeypatch):
    real = demo_households.generate_household

    def fails_at_seven(*, index, **kwargs):
        if index == 7:
            raise ValueError("boom")
        return real(index=index, **kwargs)

    monkeypatch.setattr(demo_households, "generate_household", fails_at_seven)
    with pytest.raises(RuntimeError, match="boom"):
        demo.seed_demo(households=12, password="pw-12345678", chunk_size=5)
    assert sorted(Household.objects.values_list("import_ref", flat=True)) == [
        demo_households.demo_ref(i) for i in range(5)
    ]

    monkeypatch.setattr(demo_households, "generate_household", real)
    demo.seed_demo(households=12, password="pw-12345678", chunk_size=5)

    assert Household.objects.count() == 12
    assert Household.history.count() == 12


# Demo applications (cases/demo/workflow.py)

DEMO_DAY = datetime.date(2024, 6, 12)  # a Wednesday; 30 working days back crosses Labour Day


def workflow_counts() -> dict[str, int]:
    from cases.models import (
        Application,
        ApplicationEvent,
        Breach,
        Clock,
        Grant,
        Notification,
        ScheduleEntry,
    )

    models = (Household, Application, ApplicationEvent, Clock, Breach, Grant, ScheduleEntry)
    counts = {m.__name__: m.objects.count() for m in models}
    counts["Notification"] = Notification.objects.count()
    counts["history Application"] = Application.history.count()
    return counts


@pytest.fixture
def demo_cases(db):
    seed(0)
    assert demo.seed_workflow_demo(today=DEMO_DAY) == len(demo_workflow.SCENARIOS)


def application(key: str):
    return Household.objects.get(import_ref=f"case-demo-{key}").applications.get()


@pytest.mark.django_db
def test_demo_applications_cover_every_state(demo_cases):
    from cases.models import Application

    states = {key: application(key).state for key in (s.key for s in demo_workflow.SCENARIOS)}

    assert states == {
        "draft": "draft",
        "submitted": "submitted",
        "accepted": "accepted",
        "overdue": "accepted",
        "supplement": "accepted",
        "notice": "notice",
        "approved": "approved",
        "approved-proposal": "approved",
        "rejected": "rejected",
        "temporary": "approved",
        "emergency": "approved",
        "awaiting-approval": "accepted",
        "approval-overdue": "accepted",
    }
    assert set(Application.objects.values_list("town__slug", flat=True)) == {
        "chashan",
        "dalang",
        "dongcheng",
        "humen",
    }


@pytest.mark.django_db
def test_the_chashan_supervisor_has_demo_applications_to_approve_with_deadline_marks(demo_cases):
    from cases.workflow import selectors as workflow

    supervisor = get_user_model().objects.get(username="supervisor-chashan")
    waiting = {a.pk: a for a in workflow.approval_queue(user=supervisor)}
    soon, late = application("awaiting-approval"), application("approval-overdue")
    assert {soon.pk, late.pk} <= set(waiting)
    approval = late.clocks.get(kind="approval")
    assert approval.stopped_on is None and approval.due_on < DEMO_DAY


@pytest.mark.django_db
def test_demo_applications_have_real_clocks_pauses_and_a_breach(demo_cases):
    from cases.models import Breach, Pause

    accepted = application("accepted").clocks.get(kind="home_visit")
    assert accepted.stopped_on is None and accepted.due_on > DEMO_DAY

    overdue = application("overdue")
    breach = Breach.objects.get(application=overdue)
    assert (breach.kind, breach.detected_on, breach.working_days_late) == (
        "home_visit",
        DEMO_DAY,
        3,
    )
    assert overdue.town.slug == "dalang"

    pause = Pause.objects.get(application=application("supplement"))
    assert (pause.kind, pause.ended_on) == ("supplement", None)
    assert application("notice").notice.ends_on >= DEMO_DAY


@pytest.mark.django_db
def test_demo_approvals_have_grants_with_confirmed_schedules_and_a_waiting_proposal(demo_cases):
    from cases.grants import confirmed_amount

    approved = application("approved")
    grant = approved.grant
    entry = grant.schedule.get()
    assert (entry.state, entry.confirmed_by.username) == ("confirmed", "supervisor-chashan")
    # (1,300.00 × 2 − 700.00 wage) + 10 % of the standard for the minor daughter.
    assert entry.amount == Decimal(approved.calculation["total"]) == Decimal("2030.00")
    assert confirmed_amount(grant=grant, month=grant.starts_month) == Decimal("2030.00")
    assert grant.recheck_due_on is not None
    assert [e.kind for e in approved.events.order_by("at", "id")] == [
        "created",
        "submitted",
        "accepted",
        "home_visit",
        "opinion",
        "notice_started",
        "notice_ended",
        "approved",
    ]

    proposal = application("approved-proposal").grant.schedule.get(state="proposed")
    assert (proposal.proposed_by.username, proposal.amount) == ("worker-dalang", Decimal("1530.00"))


@pytest.mark.django_db
def test_demo_rejection_and_temporary_assistance(demo_cases):
    rejected = application("rejected")
    assert (rejected.decided_by.username, rejected.town_opinion) == (
        "supervisor-humen",
        "not_recommend",
    )

    temporary = application("temporary")
    disbursement = temporary.clocks.get(kind="disbursement")
    assert disbursement.stopped_on is None
    assert temporary.grant.approved_amount == Decimal("3000.00")

    emergency = application("emergency")
    assert (emergency.procedure, emergency.file_completed_at) == ("emergency", None)
    assert emergency.grant.approved_amount == Decimal("2000.00")


@pytest.mark.django_db
def test_demo_applications_rerun_adds_nothing(demo_cases):
    before = workflow_counts()

    assert demo.seed_workflow_demo(today=DEMO_DAY) == 0
    output = seed(0, applications=True)

    assert workflow_counts() == before
    assert "Demo applications: 0 created" in output


@pytest.mark.django_db
def test_seed_demo_creates_the_demo_applications_by_default(db):
    output = seed(3, applications=True)

    assert f"Demo applications: {len(demo_workflow.SCENARIOS)} created" in output
    assert Household.objects.filter(import_ref__startswith="case-demo-").count() == len(
        demo_workflow.SCENARIOS
    )
    assert Household.objects.filter(import_ref__startswith="demo-").count() == 3


@pytest.mark.django_db
def test_two_city_supervisors_can_propose_and_confirm_a_standard_change(seeded):
    """A standard change is confirmed by a second city supervisor: the demo has two."""
    city = StaffProfile.objects.filter(role=Role.CITY_SUPERVISOR)
    assert sorted(city.values_list("user__username", flat=True)) == ["supervisor", "supervisor2"]


@pytest.mark.django_db
def test_every_demo_user_has_a_chinese_name(seeded):
    """Pages and printed documents name staff by their names, not their logins."""
    for user in get_user_model().objects.all():
        name = user.last_name + user.first_name
        assert name and all("\u4e00" <= char <= "\u9fff" for char in name), user.username


def test_the_readme_and_make_run_name_every_city_demo_user():
    """`make run` prints the demo logins and the README lists them: both name every city user
    seed_demo makes, the second city supervisor included."""
    from pathlib import Path

    from cases.demo.users import CITY_USERS

    root = Path(settings.BASE_DIR)
    readme = root.joinpath("README.md").read_text(encoding="utf-8")
    makefile = root.joinpath("Makefile").read_text(encoding="utf-8")
    for username, _role in CITY_USERS:
        assert f"| `{username}` |" in readme, username
        assert f'@echo "    {username} ' in makefile, username
