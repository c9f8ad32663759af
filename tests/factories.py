"""factory_boy factories. Valid ID numbers are generated with a correct GB 11643 check character."""

import datetime
import itertools
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from cases.idnumbers import check_character
from cases.models import (
    AddOn,
    Application,
    Asset,
    Authorisation,
    Household,
    IncomeLine,
    IncomeType,
    IncomeTypeRule,
    Membership,
    Person,
    Role,
    Scheme,
    SchemeRule,
    StaffProfile,
    Standard,
    Town,
    Village,
)


def make_id_number(
    seq: int, birth: datetime.date = datetime.date(1980, 1, 1), area: str = "441900"
) -> str:
    first17 = f"{area}{birth:%Y%m%d}{seq % 1000:03d}"
    return first17 + check_character(first17)


def town(slug: str) -> Town:
    return Town.objects.get(slug=slug)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or "relief-test-pw")
        if create:
            self.save()


def staff_user(username: str, role: str, *town_slugs: str):
    user = UserFactory(username=username)
    profile, _ = StaffProfile.objects.get_or_create(user=user, defaults={"role": role})
    if town_slugs:
        profile.towns.set(Town.objects.filter(slug__in=town_slugs))
    return user


class VillageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Village

    town = factory.LazyFunction(lambda: town("chashan"))
    name = factory.Sequence(lambda n: f"村{n}")


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Household

    town = factory.LazyFunction(lambda: town("chashan"))
    address = factory.Sequence(lambda n: f"茶山镇南社村{n}号")


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    name = factory.Sequence(lambda n: f"张{n}")
    id_number = factory.Sequence(
        lambda n: make_id_number(n, datetime.date(1970, 1, 1) + datetime.timedelta(days=n // 1000))
    )
    id_tail = factory.LazyAttribute(lambda o: o.id_number[-4:])
    birth_date = factory.LazyAttribute(
        lambda o: datetime.date(
            int(o.id_number[6:10]), int(o.id_number[10:12]), int(o.id_number[12:14])
        )
    )
    sex = factory.LazyAttribute(lambda o: "M" if int(o.id_number[16]) % 2 else "F")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    household = factory.SubFactory(HouseholdFactory)
    person = factory.SubFactory(PersonFactory)
    relation = Membership.Relation.HEAD
    joined_on = datetime.date(2020, 1, 1)


def household_with_members(town_slug: str = "chashan", size: int = 2, **kwargs) -> Household:
    household = HouseholdFactory(town=town(town_slug), **kwargs)
    for i in range(size):
        MembershipFactory(household=household, relation="head" if i == 0 else "child")
    return household


class IncomeLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IncomeLine

    household = factory.SubFactory(HouseholdFactory)
    income_type = factory.LazyFunction(lambda: IncomeType.objects.get(code="wage"))
    monthly_amount = Decimal("1000.00")
    valid_from = datetime.date(2024, 1, 1)


class AssetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Asset

    household = factory.SubFactory(HouseholdFactory)
    kind = Asset.Kind.DEPOSIT
    value = Decimal("5000.00")
    valid_from = datetime.date(2024, 1, 1)


def scheme(code: str) -> Scheme:
    """One of the four schemes the migration loads (dibao, tekun, temp_emergency,
    temp_expenditure)."""
    return Scheme.objects.get(code=code)


class SchemeRuleFactory(factory.django.DjangoModelFactory):
    """Defaults are the model's; the migration already holds a rule per scheme from 2023-01-01,
    so end that one (or pick another scheme) before adding a row."""

    class Meta:
        model = SchemeRule

    scheme = factory.LazyFunction(lambda: scheme("dibao"))
    effective_from = datetime.date(2023, 1, 1)


class StandardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Standard

    scheme = factory.LazyFunction(lambda: scheme("dibao"))
    town = None
    monthly_amount = Decimal("1300.00")
    effective_from = datetime.date(2023, 1, 1)


class AddOnFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AddOn

    scheme = factory.LazyFunction(lambda: scheme("dibao"))
    category = AddOn.Category.ELDERLY
    percent = Decimal("10.00")
    effective_from = datetime.date(2023, 1, 1)


class IncomeTypeRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IncomeTypeRule

    income_type = factory.LazyFunction(lambda: IncomeType.objects.get(code="wage"))
    counted = False
    effective_from = datetime.date(2024, 1, 1)


_born_seq = itertools.count()


def person_born(birth: datetime.date, **kwargs) -> Person:
    """A person with the given birth date (encoded in a valid ID number)."""
    # Its own address code: PersonFactory's numbers (441900, any sequence) never collide with
    # these, however many people the tests before it created.
    return PersonFactory(
        id_number=make_id_number(next(_born_seq) % 1000, birth, area="441999"), **kwargs
    )


ROLES = Role


# Applications (cases.workflow)


class AuthorisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Authorisation

    household = factory.SubFactory(HouseholdFactory)
    person = factory.SubFactory(PersonFactory)
    signer_name = factory.LazyAttribute(lambda o: o.person.name)
    signed_on = datetime.date(2023, 1, 1)
    scope = Authorisation.Scope.ALL


def complete_household(
    town_slug: str = "chashan", size: int = 2, income: Decimal | None = Decimal("1000.00")
) -> Household:
    """A household whose file is complete (cases.workflow.completeness): a head, a signed
    authorisation of every member, and a wage income line (none when income is None)."""
    household = household_with_members(town_slug, size=size)
    for membership in household.memberships.select_related("person"):
        AuthorisationFactory(household=household, person=membership.person)
    if income is not None:
        IncomeLineFactory(
            household=household, monthly_amount=income, valid_from=datetime.date(2023, 1, 1)
        )
    return household


class ApplicationFactory(factory.django.DjangoModelFactory):
    """A draft application of a complete household (dibao unless told)."""

    class Meta:
        model = Application

    household = factory.LazyFunction(complete_household)
    scheme = factory.LazyFunction(lambda: scheme("dibao"))
    town = factory.LazyAttribute(lambda o: o.household.town)
    created_by = factory.LazyFunction(lambda: UserFactory())


# The dibao timeline the workflow tests share, around Spring Festival 2024 (2024-02-10..17 off;
# Sunday 2024-02-04 and Sunday 2024-02-18 are make-up working days).
DIBAO_DAYS = {
    "received": datetime.date(2024, 2, 3),  # a Saturday: accepted on Sunday 2024-02-04
    "submitted": datetime.date(2024, 2, 5),
    "accepted": datetime.date(2024, 2, 5),
    "visited": datetime.date(2024, 2, 6),
    "opinion": datetime.date(2024, 2, 7),
    "notice": datetime.date(2024, 2, 8),  # runs to 2024-02-14
    "notice_ended": datetime.date(2024, 2, 19),
    "approved": datetime.date(2024, 2, 20),
}
DIBAO_STATES = list(DIBAO_DAYS)[1:]


def dibao_application(
    *, worker, supervisor=None, until: str = "draft", household=None, scheme_code: str = "dibao"
) -> Application:
    """An application of a complete household taken through the services, on DIBAO_DAYS, up to
    the state `until` (draft, submitted, accepted, visited, opinion, notice, notice_ended,
    approved)."""
    from cases.workflow import decisions, services
    from cases.workflow import steps as step_services

    application = services.application_create(
        actor=worker, household=household or complete_household(), scheme=scheme(scheme_code)
    )
    transitions = {
        "submitted": lambda day: services.application_submit(
            actor=worker, application=application, today=day
        ),
        "accepted": lambda day: services.application_accept(
            actor=worker, application=application, received_on=DIBAO_DAYS["received"], today=day
        ),
        "visited": lambda day: step_services.application_home_visit_record(
            actor=worker, application=application, findings="Visited.", today=day
        ),
        "opinion": lambda day: step_services.application_opinion_give(
            actor=worker, application=application, recommend=True, today=day
        ),
        "notice": lambda day: step_services.application_notice_start(
            actor=worker, application=application, today=day
        ),
        "notice_ended": lambda day: step_services.application_notice_end(
            actor=worker, application=application, today=day
        ),
        "approved": lambda day: decisions.application_decide(
            actor=supervisor, application=application, approve=True, today=day
        ),
    }
    for state in DIBAO_STATES[: DIBAO_STATES.index(until) + 1] if until != "draft" else []:
        transitions[state](DIBAO_DAYS[state])
        application.refresh_from_db()
    return application


# Grants (cases.grants)


def approved_grant(
    *,
    town_slug: str = "chashan",
    scheme_code: str = "dibao",
    starts_month: datetime.date = datetime.date(2024, 3, 1),
    amount: Decimal = Decimal("1600.00"),
    household: Household | None = None,
    income: Decimal | None = Decimal("1000.00"),
):
    """A grant of an approved application with its confirmed first schedule entry, written
    directly rather than through the procedure, for tests of a grant's later life. With the
    defaults (two members, 1,000.00 income, standard 1,300.00) the calculation also gives
    1,600.00 a month."""
    from django.utils import timezone

    from cases.models import Grant, ScheduleEntry
    from relief.dates import add_months

    household = household or complete_household(town_slug, income=income)
    preparer, approver = UserFactory(), UserFactory()
    decided_on = add_months(starts_month, -1).replace(day=20)
    application = ApplicationFactory(
        household=household,
        scheme=scheme(scheme_code),
        state=Application.State.APPROVED,
        decision=Application.Decision.APPROVED,
        decided_by=approver,
        decided_at=timezone.make_aware(datetime.datetime.combine(decided_on, datetime.time(10))),
        created_by=preparer,
    )
    grant = Grant.objects.create(
        application=application,
        household=household,
        scheme=application.scheme,
        town=household.town,
        starts_month=starts_month,
    )
    ScheduleEntry.objects.create(
        grant=grant,
        from_month=starts_month,
        amount=amount,
        state=ScheduleEntry.State.CONFIRMED,
        proposed_by=preparer,
        confirmed_by=approver,
        confirmed_at=application.decided_at,
    )
    return grant


# Payments

_account_seq = itertools.count(1)


def payee_account(
    grant,
    *,
    state: str = "confirmed",
    payee: Person | None = None,
    bank_name: str = "中国工商银行东莞分行",
    account_holder: str | None = None,
    account_number: str | None = None,
):
    """A payee account of the grant written directly (confirmed unless told), held by the head
    of the grant's household unless another payee is given."""
    from django.utils import timezone

    from payments.models import PayeeAccount

    if payee is None:
        head = grant.household.memberships.filter(left_on__isnull=True).order_by("id").first()
        payee = head.person
    confirmed = state in ("confirmed", "superseded")
    return PayeeAccount.objects.create(
        grant=grant,
        payee=payee,
        bank_name=bank_name,
        account_holder=account_holder or payee.name,
        account_number=account_number or f"6222{next(_account_seq):015d}",
        state=state,
        proposed_by=UserFactory(),
        proposed_at=timezone.now(),
        confirmed_by=UserFactory() if confirmed else None,
        confirmed_at=timezone.now() if confirmed else None,
    )


def paying_grant(**kwargs):
    """approved_grant(...) with a confirmed payee account: the payment run pays it."""
    grant = approved_grant(**kwargs)
    payee_account(grant)
    return grant


def paying_temporary_grant(
    *,
    worker,
    supervisor,
    amount: Decimal = Decimal("3000.00"),
    instalments: int = 1,
    town_slug: str = "chashan",
):
    """Temporary assistance approved through the workflow on DIBAO_DAYS["visited"]
    (2024-02-06; its disbursement clock is due 2024-02-19), paid from February 2024 in
    `instalments` monthly instalments, with a confirmed payee account."""
    from cases.models import Grant
    from cases.workflow import decisions, services

    application = services.application_create(
        actor=worker,
        household=complete_household(town_slug, income=None),
        scheme=scheme("temp_expenditure"),
        proposed_amount=amount,
        amount_basis="Hospital bill of 20,000 yuan",
        instalments=instalments,
    )
    services.application_submit(
        actor=worker, application=application, today=DIBAO_DAYS["submitted"]
    )
    services.application_accept(
        actor=worker,
        application=application,
        received_on=DIBAO_DAYS["received"],
        today=DIBAO_DAYS["accepted"],
    )
    decisions.application_decide(
        actor=supervisor, application=application, approve=True, today=DIBAO_DAYS["visited"]
    )
    grant = Grant.objects.get(application=application)
    payee_account(grant)
    return grant
