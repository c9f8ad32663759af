"""manage.py seed_payments_demo (payments/demo.py): demo dibao grants with confirmed payee accounts
and the last three months paid through the services, so that next month's run has work; a
recovery and a back-pay waiting for a supervisor."""

import datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Count
from django.test import Client

from cases.models import Application, ApplicationEvent, Grant, Household, ScheduleEntry, Town
from payments import demo
from payments.models import (
    BackPay,
    BankFile,
    BankReturn,
    Batch,
    PayeeAccount,
    PaymentLine,
    PaymentRun,
    Recovery,
)
from payments.runs import payment_run
from relief.models import AuditEvent

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 18)
SEPTEMBER, OCTOBER, NOVEMBER, DECEMBER = (datetime.date(2026, m, 1) for m in (9, 10, 11, 12))
FAILED = PaymentLine.Status.FAILED


@pytest.fixture
def demo_users():
    """What `make run` has before the payments demo: the demo users and villages."""
    call_command(
        "seed_demo", households=0, applications=False, stdout=StringIO(), stderr=StringIO()
    )


def user(username):
    return get_user_model().objects.get(username=username)


def demo_grants():
    return Grant.objects.filter(household__import_ref__startswith=demo.REF_PREFIX)


def counts() -> dict[str, int]:
    models = (
        Household,
        Application,
        ApplicationEvent,
        Grant,
        ScheduleEntry,
        PayeeAccount,
        PaymentRun,
        Batch,
        PaymentLine,
        BankFile,
        BankReturn,
        AuditEvent,
    )
    result = {model.__name__: model.objects.count() for model in models}
    for model in (Household, Application, Grant, PayeeAccount, Batch):
        result[f"history {model.__name__}"] = model.history.count()
    return result


def failed_lines():
    return PaymentLine.objects.filter(status=FAILED).select_related("batch__town").order_by("id")


def test_luhn_check_digit_of_a_known_number_and_the_demo_accounts():
    assert demo.luhn_digit("7992739871") == "3"
    assert demo.luhn_valid("79927398713")
    assert not demo.luhn_valid("79927398714")
    bank, number = demo.demo_account(Town.objects.get(slug="chashan"), 7)
    assert bank and len(number) == 19 and demo.luhn_valid(number)
    replaced = demo.demo_account(Town.objects.get(slug="chashan"), 7, version=1)[1]
    assert replaced != number and demo.luhn_valid(replaced)


def test_grants_are_approved_by_the_town_supervisor_with_a_confirmed_account(demo_users):
    result = demo.seed_payments_demo(today=TODAY)

    assert result.grants == result.households == 40
    grants = demo_grants().select_related("application", "town", "scheme")
    per_town = dict(grants.values_list("town__slug").annotate(n=Count("id")))
    assert per_town == {slug: demo.GRANTS_PER_TOWN for slug in demo.TOWNS}
    for grant in grants:
        application = grant.application
        town = grant.town.slug
        assert grant.scheme.code == "dibao" and grant.state == Grant.State.ACTIVE
        # Approved in August, so paid from September (DOMAIN.md §5).
        assert grant.starts_month == SEPTEMBER
        assert application.state == Application.State.APPROVED
        assert application.decided_by.username == f"supervisor-{town}"
        assert application.decided_at.date() < SEPTEMBER
        steps = list(application.events.values_list("kind", "actor__username"))
        assert steps[0] == ("created", f"worker-{town}")
        assert ("notice_ended", f"worker-{town}") in steps
        assert steps[-1] == ("approved", f"supervisor-{town}")
        # The first entry, from the approval (two grants have a later one: see below).
        entry = grant.schedule.get(kind=ScheduleEntry.Kind.APPROVAL)
        later = grant.schedule.exclude(pk=entry.pk).exists()
        assert entry.state == ("superseded" if later else ScheduleEntry.State.CONFIRMED)
        assert entry.amount > 0
        assert entry.amount == Decimal(application.calculation["total"])
        account = grant.accounts.get(state=PayeeAccount.State.CONFIRMED)
        assert demo.luhn_valid(account.account_number) and len(account.account_number) == 19
        assert account.proposed_by.username == f"worker-{town}"
        assert account.confirmed_by.username == f"supervisor-{town}"
        assert account.history.count() >= 2  # proposed, then confirmed


def test_the_last_three_months_are_paid_through_maker_checker_and_the_bank(demo_users):
    demo.seed_payments_demo(today=TODAY)

    batches = Batch.objects.filter(kind=Batch.Kind.MONTHLY).select_related("town")
    assert sorted({b.period for b in batches}) == [SEPTEMBER, OCTOBER, NOVEMBER]
    assert batches.count() == 3 * len(demo.TOWNS)
    for batch in batches:
        assert batch.state == Batch.State.RECONCILED
        assert batch.submitted_by.username == "supervisor"  # the city supervisor is the maker
        assert batch.approved_by.username == f"supervisor-{batch.town.slug}"
        assert batch.sent_by.username == "finance"
        assert batch.bank_files.filter(format="csv").count() == 1
        assert batch.returns.count() == 1
        assert batch.business_date < batch.period
        assert batch.reconciled_at.date() < batch.period
    regular = PaymentLine.objects.filter(kind=PaymentLine.Kind.REGULAR, replaces__isnull=True)
    assert regular.count() == 40 * 3
    assert not PaymentLine.objects.filter(status=PaymentLine.Status.PENDING).exists()


def test_one_line_fails_each_month_and_the_next_month_reissues_it(demo_users):
    result = demo.seed_payments_demo(today=TODAY)

    failed = list(failed_lines())
    assert result.failed_lines == 3 and result.accounts_replaced == 3
    assert [(line.period, line.batch.town.slug) for line in failed] == [
        (SEPTEMBER, "dalang"),
        (OCTOBER, "dongcheng"),
        (NOVEMBER, "humen"),
    ]
    assert {line.failure_reason for line in failed} == {demo.FAILURE_REASON}
    for line, next_period in zip(failed[:2], (OCTOBER, NOVEMBER), strict=True):
        reissue = line.reissued_as
        assert reissue.batch.period == next_period and reissue.period == line.period
        assert reissue.status == PaymentLine.Status.PAID and reissue.amount == line.amount
        # Paid into the new account the case worker recorded and the supervisor confirmed.
        assert reissue.account_number != line.account_number
        assert line.account.state == PayeeAccount.State.SUPERSEDED
    assert not PaymentLine.objects.filter(replaces=failed[2]).exists()
    assert PayeeAccount.objects.filter(state=PayeeAccount.State.SUPERSEDED).count() == 3
    assert not PayeeAccount.objects.filter(state=PayeeAccount.State.PROPOSED).exists()


def test_next_months_run_has_work_at_once_including_the_reissue(demo_users):
    demo.seed_payments_demo(today=TODAY)
    november_failure = failed_lines().get(period=NOVEMBER)

    results = [
        payment_run(period=DECEMBER, town=Town.objects.get(slug=slug), today=TODAY)
        for slug in demo.TOWNS
    ]

    assert sum(r.new_lines for r in results) == 41
    december = PaymentLine.objects.filter(batch__period=DECEMBER)
    assert december.filter(period=DECEMBER, kind=PaymentLine.Kind.REGULAR).count() == 40
    reissue = december.get(replaces=november_failure)
    assert reissue.period == NOVEMBER and reissue.batch.town.slug == "humen"


def test_a_recovery_and_a_back_pay_wait_for_a_supervisor(demo_users):
    """Two households' income changed from the first month paid: the case worker proposed the
    new amount, the town supervisor confirmed it, and the reassessment of the paid months
    proposed a recovery and a back-pay, which wait in the town supervisors' queues."""
    result = demo.seed_payments_demo(today=TODAY)

    assert result.corrections == 2
    recovery, backpay = Recovery.objects.get(), BackPay.objects.get()
    for order, slug in ((recovery, "chashan"), (backpay, "dalang")):
        assert order.state == "proposed" and order.amount > 0
        assert order.created_by is None and order.reassessment is not None  # the daily job's
        entry = order.reassessment.schedule_entry
        assert entry.from_month == SEPTEMBER and entry.state == ScheduleEntry.State.CONFIRMED
        assert entry.proposed_by.username == f"worker-{slug}"
        assert entry.confirmed_by.username == f"supervisor-{slug}"
        assert order.grant.town.slug == slug
    assert set(recovery.months) == {"2026-09", "2026-10", "2026-11"}
    assert set(backpay.months) == {"2026-09", "2026-10", "2026-11"}

    client = Client(headers={"accept-language": "en"})
    client.force_login(user("supervisor-chashan"))
    assert (
        f'data-testid="order-{recovery.pk}"' in client.get("/payments/recoveries/").content.decode()
    )
    client.force_login(user("supervisor-dalang"))
    assert f'data-testid="order-{backpay.pk}"' in client.get("/payments/backpays/").content.decode()


def test_running_it_twice_adds_nothing(demo_users):
    demo.seed_payments_demo(today=TODAY)
    before = counts()

    again = demo.seed_payments_demo(today=TODAY)

    assert again == demo.DemoResult()
    assert counts() == before


def test_a_later_month_adds_only_that_months_payments(demo_users):
    demo.seed_payments_demo(today=TODAY)
    before = counts()
    grants = set(demo_grants().values_list("id", flat=True))

    result = demo.seed_payments_demo(today=datetime.date(2026, 12, 15))

    assert result.grants == 0 and result.periods == ["2026-12"]
    assert set(demo_grants().values_list("id", flat=True)) == grants
    december = Batch.objects.filter(period=DECEMBER)
    assert december.count() == 4
    assert set(december.values_list("state", flat=True)) == {Batch.State.RECONCILED}
    assert PaymentLine.objects.filter(batch__period=DECEMBER).count() == 41
    assert Batch.objects.count() == before["Batch"] + 4
    # November's failure was reissued in December; December's own failure waits for January.
    assert failed_lines().get(period=NOVEMBER).reissued_as.batch.period == DECEMBER
    assert failed_lines().filter(period=DECEMBER).count() == 1


def test_a_run_stopped_half_way_is_completed_by_the_next(demo_users, monkeypatch):
    imports = []
    real_import = demo.bank_return_import

    def import_then_stop(**kwargs):
        imports.append(kwargs["batch"].pk)
        if len(imports) == 6:  # October's second town: exported and sent, never imported
            raise KeyboardInterrupt
        return real_import(**kwargs)

    monkeypatch.setattr(demo, "bank_return_import", import_then_stop)
    with pytest.raises(KeyboardInterrupt):
        demo.seed_payments_demo(today=TODAY)
    stopped = Batch.objects.get(pk=imports[-1])
    assert stopped.state == Batch.State.SENT
    monkeypatch.setattr(demo, "bank_return_import", real_import)

    demo.seed_payments_demo(today=TODAY)

    assert set(Batch.objects.values_list("state", flat=True)) == {Batch.State.RECONCILED}
    assert Batch.objects.count() == 12
    assert PaymentLine.objects.count() == 40 * 3 + 2  # two reissues
    assert failed_lines().count() == 3
    # The stopped batch's file was downloaded again for its return.
    assert BankFile.objects.filter(batch=stopped).count() == 2


def test_a_failed_line_left_with_its_old_account_gets_the_new_one_on_the_next_run(
    demo_users, monkeypatch
):
    real_propose = demo.accounts.payee_account_propose

    def propose(**kwargs):
        if kwargs["grant"].payment_lines.filter(status=FAILED).exists():
            raise KeyboardInterrupt  # stopped right after September's return
        return real_propose(**kwargs)

    monkeypatch.setattr(demo.accounts, "payee_account_propose", propose)
    with pytest.raises(KeyboardInterrupt):
        demo.seed_payments_demo(today=TODAY)
    september = failed_lines().get()
    assert september.account.state == PayeeAccount.State.CONFIRMED
    monkeypatch.setattr(demo.accounts, "payee_account_propose", real_propose)

    result = demo.seed_payments_demo(today=TODAY)

    september.account.refresh_from_db()
    assert september.account.state == PayeeAccount.State.SUPERSEDED
    assert result.accounts_replaced == 3
    assert september.reissued_as.account_number != september.account_number


def test_command_prints_what_it_made(demo_users):
    out = StringIO()

    call_command("seed_payments_demo", stdout=out)

    assert "40 grants with payee accounts created" in out.getvalue()
    assert "12 batches reconciled" in out.getvalue()


def test_command_without_the_demo_users_says_to_run_seed_demo_first():
    with pytest.raises(CommandError, match="seed_demo"):
        call_command("seed_payments_demo", stdout=StringIO())
    assert not demo_grants().exists()
