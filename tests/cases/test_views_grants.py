"""Grant pages (cases/views/grants.py): who sees which grant, the amount schedule with each
entry's "why this amount" and proposals marked as not paying, every action reaching its service
(success, or the service's own message on the page, never a 500), standard changes confirmed as
a whole, the supervisors' queue of schedule proposals, and a list that runs a fixed number of
queries whatever its length."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases import grants as schedules
from cases.grants import confirmed_amount
from cases.models import (
    Grant,
    GrantSuspension,
    IncomeLine,
    IncomeType,
    Role,
    ScheduleConfirmation,
    ScheduleEntry,
    Standard,
)
from tests.factories import (
    approved_grant,
    complete_household,
    dibao_application,
    scheme,
    staff_user,
    town,
)

pytestmark = pytest.mark.django_db

M = datetime.date
State = ScheduleEntry.State


# --- helpers --------------------------------------------------------------------------------


def detail(grant) -> str:
    return reverse("cases:grant-detail", args=[grant.pk])


def post_action(client, grant, action, **data):
    return client.post(
        reverse("cases:grant-action", args=[grant.pk, action]),
        {f"{action}-{key}": value for key, value in data.items()},
    )


def post_entry(client, entry, action, **data):
    return client.post(
        reverse("cases:schedule-entry-action", args=[entry.grant_id, entry.pk, action]),
        {f"{action}-{entry.pk}-{key}": value for key, value in data.items()},
    )


def summary(response) -> str:
    return " | ".join(response.context["summary"])


def raise_income(grant) -> None:
    """New evidence: 400.00 more wage a month from June 2024 (1,600.00 → 1,200.00)."""
    IncomeLine.objects.create(
        household=grant.household,
        income_type=IncomeType.objects.get(code="wage"),
        monthly_amount=Decimal("400.00"),
        valid_from=M(2024, 6, 1),
    )


def proposal(grant, actor) -> ScheduleEntry:
    raise_income(grant)
    return schedules.schedule_propose(
        grant=grant, from_month=M(2024, 6, 1), actor=actor, reason="Wage rose."
    )


def chashan_standard() -> Standard:
    """茶山's own standard of 1,400.00 from July 2024 (1,600.00 → 1,800.00 for two members)."""
    return Standard.objects.create(
        scheme=scheme("dibao"),
        town=town("chashan"),
        monthly_amount=Decimal("1400.00"),
        effective_from=M(2024, 7, 1),
        is_demo=True,
    )


@pytest.fixture
def grant(db):
    return approved_grant()


@pytest.fixture
def second_city_supervisor(db):
    return staff_user("supervisor-2", Role.CITY_SUPERVISOR)


# --- who sees what --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "persona", ["worker_chashan", "supervisor_chashan", "city_supervisor", "finance", "auditor"]
)
def test_grant_pages_render_for_every_role_that_reads_cases(client, request, grant, persona):
    client.force_login(request.getfixturevalue(persona))

    listed = client.get(reverse("cases:grant-list"))
    page = client.get(detail(grant))

    assert listed.status_code == 200
    assert f'data-testid="grant-{grant.pk}"' in listed.content.decode()
    assert page.status_code == 200
    assert page.context["grant"] == grant
    assert 'data-testid="nav-grants"' in page.content.decode()


def test_administrator_gets_no_grant_pages(client, administrator, grant):
    client.force_login(administrator)
    assert client.get(reverse("cases:grant-list")).status_code == 403
    assert client.get(detail(grant)).status_code == 403


def test_another_towns_grant_does_not_exist_for_a_case_worker(client, worker_dalang, grant):
    client.force_login(worker_dalang)

    listed = client.get(reverse("cases:grant-list"))

    assert f'data-testid="grant-{grant.pk}"' not in listed.content.decode()
    assert client.get(detail(grant)).status_code == 404
    assert post_action(client, grant, "recheck", on="2024-06-01").status_code == 404
    entry = grant.schedule.get()
    assert post_entry(client, entry, "confirm").status_code == 404


def test_list_shows_this_months_confirmed_amount_and_filters(client, city_supervisor, grant):
    dalang = approved_grant(town_slug="dalang", amount=Decimal("700.00"))
    ended = approved_grant(amount=Decimal("300.00"))
    Grant.objects.filter(pk=ended.pk).update(state=Grant.State.TERMINATED, ends_month=M(2024, 5, 1))
    client.force_login(city_supervisor)

    everything = client.get(reverse("cases:grant-list"))
    amounts = {row[0].pk: row[0].confirmed_amount for row in everything.context["rows"]}
    assert amounts == {
        grant.pk: Decimal("1600.00"),
        dalang.pk: Decimal("700.00"),
        ended.pk: Decimal("0.00"),  # ended before this month: pays nothing
    }

    def listed(**params):
        response = client.get(reverse("cases:grant-list"), params)
        return {row[0].pk for row in response.context["rows"]}

    assert listed(town="441900113") == {dalang.pk}
    assert listed(state="terminated") == {ended.pk}
    assert listed(scheme="dibao", state="active") == {grant.pk, dalang.pk}
    assert listed(scheme="temp_emergency") == set()
    assert listed(household=str(grant.household_id)) == {grant.pk}


def test_household_and_application_pages_link_to_the_grant(client, worker_chashan, grant):
    client.force_login(worker_chashan)

    household = client.get(reverse("cases:household-detail", args=[grant.household_id]))
    application = client.get(reverse("cases:application-detail", args=[grant.application_id]))

    assert f"{reverse('cases:grant-list')}?household={grant.household_id}" in (
        household.content.decode()
    )
    assert detail(grant) in application.content.decode()


def test_recheck_due_dates_are_marked_overdue_and_due_soon(client, worker_chashan):
    today = timezone.localdate()
    overdue, soon, later = approved_grant(), approved_grant(), approved_grant()
    for grant, due in (
        (overdue, today - datetime.timedelta(days=1)),
        (soon, today + datetime.timedelta(days=10)),
        (later, today + datetime.timedelta(days=200)),
    ):
        Grant.objects.filter(pk=grant.pk).update(recheck_due_on=due)
    client.force_login(worker_chashan)

    marks = {row[0].pk: row[2] for row in client.get(reverse("cases:grant-list")).context["rows"]}
    page = client.get(detail(overdue)).content.decode()

    assert marks == {overdue.pk: "overdue", soon.pk: "due_soon", later.pk: ""}
    assert 'data-testid="recheck-overdue"' in page


# --- the schedule and its explanation -------------------------------------------------------


def test_grant_page_shows_the_schedule_with_why_this_amount(
    client, worker_chashan, supervisor_chashan
):
    application = dibao_application(
        worker=worker_chashan, supervisor=supervisor_chashan, until="approved"
    )
    grant = application.grant
    client.force_login(worker_chashan)

    response = client.get(detail(grant))
    content = response.content.decode()

    assert response.context["amount_now"] == Decimal("1600.00")
    assert f'data-testid="grant-household">#{grant.household_id}<' in content
    assert "2024-03 – …" in content
    entry = grant.schedule.get()
    assert f'data-testid="why-{entry.pk}"' in content
    assert 'data-testid="calculation"' in content  # the stored calculation, in its <details>
    assert 'data-testid="in-force"' in content
    assert 'data-testid="not-paying"' not in content


def test_proposal_through_the_page_is_shown_as_not_paying(client, worker_chashan, grant):
    raise_income(grant)
    client.force_login(worker_chashan)

    response = post_action(client, grant, "propose", from_month="2024-06", reason="Wage rose.")

    assert response.status_code == 302
    entry = grant.schedule.get(state=State.PROPOSED)
    assert (entry.amount, entry.from_month, entry.proposed_by) == (
        Decimal("1200.00"),
        M(2024, 6, 1),
        worker_chashan,
    )
    page = client.get(detail(grant))
    content = page.content.decode()
    assert "it pays nothing until a second person confirms it" in content
    assert 'data-testid="not-paying"' in content
    assert f'data-testid="why-{entry.pk}"' in content
    assert page.context["amount_now"] == Decimal("1600.00")


def test_a_proposal_that_falls_to_zero_says_which_check_failed_and_as_of_when(
    client, worker_chashan, grant
):
    IncomeLine.objects.create(
        household=grant.household,
        income_type=IncomeType.objects.get(code="wage"),
        monthly_amount=Decimal("5000.00"),
        valid_from=M(2024, 6, 1),
    )
    client.force_login(worker_chashan)

    response = post_action(client, grant, "propose", from_month="2024-06", reason="New job.")

    assert response.status_code == 302
    assert grant.schedule.get(state=State.PROPOSED).amount == Decimal("0.00")
    assert (
        "Proposed 0.00 yuan a month from 2024-06: it pays nothing until a second person confirms "
        "it. The calculation for 2024-06, with the household, evidence and rules as of "
        "2024-06-01, finds the household not eligible. Failed: Income per person below the "
        "standard (income per person 3,000.0000, standard 1,300.00)."
    ) in client.get(detail(grant)).content.decode()


def test_proposal_equal_to_the_amount_in_force_records_nothing(client, worker_chashan, grant):
    client.force_login(worker_chashan)

    response = post_action(client, grant, "propose", from_month="2024-06", reason="Re-check.")

    assert response.status_code == 302
    assert grant.schedule.count() == 1
    assert "nothing to propose" in client.get(detail(grant)).content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"from_month": "2024-01", "reason": "Early."}, "is outside"),
        ({"from_month": "2024-06", "reason": ""}, "Say why the amount is recomputed."),
        ({"from_month": "", "reason": "No month."}, "Give a month"),
    ],
)
def test_proposal_the_service_refuses_shows_its_message(
    client, worker_chashan, grant, data, message
):
    raise_income(grant)
    client.force_login(worker_chashan)

    response = post_action(client, grant, "propose", **data)

    assert response.status_code == 400
    assert message in summary(response)
    assert message in response.content.decode()
    assert grant.schedule.count() == 1


def test_supervisor_confirms_a_proposal_and_it_pays_from_its_month(
    client, worker_chashan, supervisor_chashan, grant
):
    entry = proposal(grant, worker_chashan)
    client.force_login(supervisor_chashan)
    assert f'data-testid="entry-{entry.pk}-confirm"' in client.get(detail(grant)).content.decode()

    response = post_entry(client, entry, "confirm")

    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.state, entry.confirmed_by) == (State.CONFIRMED, supervisor_chashan)
    assert confirmed_amount(grant=grant, month=M(2024, 6, 1)) == Decimal("1200.00")


def test_confirming_ones_own_proposal_shows_the_services_refusal(client, supervisor_chashan, grant):
    entry = proposal(grant, supervisor_chashan)
    client.force_login(supervisor_chashan)
    page = client.get(detail(grant)).content.decode()
    assert 'data-testid="own-proposal"' in page
    assert f'data-testid="entry-{entry.pk}-confirm"' not in page

    response = post_entry(client, entry, "confirm")

    assert response.status_code == 403
    assert "You proposed this, so someone else must confirm it." in summary(response)
    entry.refresh_from_db()
    assert entry.state == State.PROPOSED


def test_case_worker_cannot_confirm_a_proposal(client, worker_chashan, supervisor_chashan, grant):
    entry = proposal(grant, supervisor_chashan)
    client.force_login(worker_chashan)
    assert (
        f'data-testid="entry-{entry.pk}-confirm"' not in client.get(detail(grant)).content.decode()
    )

    response = post_entry(client, entry, "confirm")

    assert response.status_code == 403
    assert "Only a town supervisor of the town or the city supervisor" in summary(response)


def test_rejecting_a_proposal_needs_reasons(client, worker_chashan, supervisor_chashan, grant):
    entry = proposal(grant, worker_chashan)
    client.force_login(supervisor_chashan)

    refused = post_entry(client, entry, "reject", reason="")
    done = post_entry(client, entry, "reject", reason="Temporary job.")

    assert refused.status_code == 400
    assert "Give the reasons for the rejection." in summary(refused)
    assert done.status_code == 302
    entry.refresh_from_db()
    assert (entry.state, entry.rejection_reason) == (State.REJECTED, "Temporary job.")
    assert "Temporary job." in client.get(detail(grant)).content.decode()


# --- suspension, termination, gradual exit, re-check ----------------------------------------


def test_supervisor_suspends_and_resumes_payment(client, supervisor_chashan, grant):
    client.force_login(supervisor_chashan)

    refused = post_action(client, grant, "suspend", from_month="2024-07", reason="")
    suspended = post_action(client, grant, "suspend", from_month="2024-07", reason="Moved away.")

    assert refused.status_code == 400
    assert "Say why the payment is suspended." in summary(refused)
    assert suspended.status_code == 302
    grant.refresh_from_db()
    assert grant.state == Grant.State.SUSPENDED
    page = client.get(detail(grant))
    assert "resume" in [item["name"] for item in page.context["action_forms"]]
    assert 'data-testid="suspensions"' in page.content.decode()

    resumed = post_action(client, grant, "resume", from_month="2024-09", reason="Came back.")

    assert resumed.status_code == 302
    grant.refresh_from_db()
    assert grant.state == Grant.State.ACTIVE
    suspension = GrantSuspension.objects.get(grant=grant)
    assert (suspension.from_month, suspension.resumed_month) == (M(2024, 7, 1), M(2024, 9, 1))
    assert confirmed_amount(grant=grant, month=M(2024, 8, 1)) == Decimal("0.00")


def test_case_worker_cannot_suspend(client, worker_chashan, grant):
    client.force_login(worker_chashan)
    actions = [item["name"] for item in client.get(detail(grant)).context["action_forms"]]
    assert actions == ["propose", "recheck"]

    response = post_action(client, grant, "suspend", from_month="2024-07", reason="Moved.")

    assert response.status_code == 403
    assert "Only a town supervisor of the town or the city supervisor" in summary(response)
    grant.refresh_from_db()
    assert grant.state == Grant.State.ACTIVE


def test_auditor_is_offered_no_action_and_is_refused_one(client, auditor, grant):
    client.force_login(auditor)
    assert client.get(detail(grant)).context["action_forms"] == []

    response = post_action(client, grant, "recheck", on="2024-06-01")

    assert response.status_code == 403


def test_supervisor_terminates_a_grant(client, supervisor_chashan, grant):
    client.force_login(supervisor_chashan)

    refused = post_action(client, grant, "terminate", ends_month="2023-12", reason="Died.")
    done = post_action(client, grant, "terminate", ends_month="2024-08", reason="Died.")

    assert refused.status_code == 400
    assert "is outside" in summary(refused)
    assert done.status_code == 302
    grant.refresh_from_db()
    assert (grant.state, grant.ends_month, grant.end_reason) == (
        Grant.State.TERMINATED,
        M(2024, 8, 1),
        "Died.",
    )
    assert client.get(detail(grant)).context["action_forms"] == []


def test_stepped_gradual_exit_is_proposed_and_explained(client, supervisor_chashan, grant):
    client.force_login(supervisor_chashan)

    too_long = post_action(
        client, grant, "gradual_exit", from_month="2024-07", months="12", reason="Job."
    )
    done = post_action(
        client,
        grant,
        "gradual_exit",
        from_month="2024-07",
        months="3",
        stepped="on",
        reason="Found work.",
    )

    assert too_long.status_code == 400
    assert "A gradual exit lasts from 1 to 6 months." in summary(too_long)
    assert done.status_code == 302
    grant.refresh_from_db()
    assert (grant.exit_from_month, grant.ends_month) == (M(2024, 7, 1), M(2024, 9, 1))
    steps = list(grant.schedule.filter(kind=ScheduleEntry.Kind.GRADUAL_EXIT).order_by("from_month"))
    assert [(e.amount, e.state) for e in steps] == [
        (Decimal("1066.67"), State.PROPOSED),
        (Decimal("533.33"), State.PROPOSED),
    ]
    content = client.get(detail(grant)).content.decode()
    assert 'data-testid="gradual-exit"' in content
    assert "Gradual exit, month 2 of 3" in content


def test_case_worker_records_a_recheck(client, worker_chashan, grant):
    client.force_login(worker_chashan)
    today = timezone.localdate()

    refused = post_action(
        client, grant, "recheck", on=(today + datetime.timedelta(days=1)).isoformat()
    )
    done = post_action(client, grant, "recheck", on=today.isoformat(), note="Visited.")

    assert refused.status_code == 400
    assert "The date cannot be in the future." in summary(refused)
    assert done.status_code == 302
    grant.refresh_from_db()
    assert grant.last_rechecked_on == today
    assert grant.recheck_due_on > today


def test_temporary_grant_offers_no_recomputation_and_the_service_says_why(client, worker_chashan):
    grant = approved_grant(scheme_code="temp_expenditure", amount=Decimal("3000.00"))
    client.force_login(worker_chashan)
    assert client.get(detail(grant)).context["action_forms"] == []

    response = post_action(client, grant, "propose", from_month="2024-03", reason="Again.")

    assert response.status_code == 400
    assert "Temporary assistance has no schedule recomputation" in summary(response)


def test_unknown_action_is_404(client, supervisor_chashan, grant):
    client.force_login(supervisor_chashan)
    assert post_action(client, grant, "delete").status_code == 404
    assert post_entry(client, grant.schedule.get(), "delete").status_code == 404


# --- the supervisors' queue -----------------------------------------------------------------


def test_approval_page_lists_schedule_proposals_to_confirm(
    client, worker_chashan, supervisor_chashan, grant
):
    entry = proposal(grant, worker_chashan)
    own = proposal(approved_grant(), supervisor_chashan)
    client.force_login(supervisor_chashan)

    content = client.get(reverse("cases:approval-queue")).content.decode()

    assert f'data-testid="schedule-entry-{entry.pk}"' in content
    assert f"{detail(grant)}#entry-{entry.pk}" in content
    assert f'data-testid="schedule-entry-{own.pk}"' not in content


# --- standard changes -----------------------------------------------------------------------


def propose_standard_change(client, **data):
    fields = {"scheme": scheme("dibao").pk, "from_month": "2024-07", "town": "", "reason": ""}
    fields.update(data)
    return client.post(
        reverse("cases:standard-change-list"),
        {f"propose-{key}": value for key, value in fields.items()},
    )


def test_standard_change_is_confirmed_as_a_whole_by_a_second_city_supervisor(
    client, city_supervisor, second_city_supervisor
):
    grants = [approved_grant() for _ in range(3)]
    chashan_standard()
    client.force_login(city_supervisor)

    response = propose_standard_change(client, reason="茶山 standard 1,400.00")

    confirmation = ScheduleConfirmation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:standard-change-detail", args=[confirmation.pk])
    assert confirmation.proposed_count == 3
    own = client.get(response["Location"])
    assert 'data-testid="own-proposal"' in own.content.decode()
    assert own.context["forms"] == []
    refused = client.post(
        reverse("cases:standard-change-action", args=[confirmation.pk, "confirm"])
    )
    assert refused.status_code == 403
    assert "You proposed this, so someone else must confirm it." in summary(refused)

    client.force_login(second_city_supervisor)
    queue = client.get(reverse("cases:approval-queue")).content.decode()
    assert reverse("cases:standard-change-detail", args=[confirmation.pk]) in queue
    page = client.get(reverse("cases:standard-change-detail", args=[confirmation.pk]))
    rows = page.context["rows"]
    assert [(entry.amount_before, entry.amount) for entry, _head in rows] == [
        (Decimal("1600.00"), Decimal("1800.00"))
    ] * 3
    assert 'data-testid="confirmation-confirm"' in page.content.decode()

    confirmed = client.post(
        reverse("cases:standard-change-action", args=[confirmation.pk, "confirm"])
    )

    assert confirmed.status_code == 302
    confirmation.refresh_from_db()
    assert confirmation.state == ScheduleConfirmation.State.CONFIRMED
    assert set(confirmation.entries.values_list("state", flat=True)) == {State.CONFIRMED}
    for grant in grants:
        assert confirmed_amount(grant=grant, month=M(2024, 7, 1)) == Decimal("1800.00")
    after = client.get(reverse("cases:standard-change-detail", args=[confirmation.pk]))
    assert [(e.amount_before, e.amount) for e, _head in after.context["rows"]] == [
        (Decimal("1600.00"), Decimal("1800.00"))
    ] * 3


def test_standard_change_rejection_needs_reasons(
    client, city_supervisor, second_city_supervisor, grant
):
    chashan_standard()
    confirmation = schedules.standard_change_propose(
        scheme=scheme("dibao"), from_month=M(2024, 7, 1), actor=city_supervisor
    )
    client.force_login(second_city_supervisor)
    url = reverse("cases:standard-change-action", args=[confirmation.pk, "reject"])

    refused = client.post(url, {"reject-reason": ""})
    done = client.post(url, {"reject-reason": "Wrong month."})

    assert refused.status_code == 400
    assert "Give the reasons for the rejection." in summary(refused)
    assert done.status_code == 302
    confirmation.refresh_from_db()
    assert confirmation.state == ScheduleConfirmation.State.REJECTED
    assert confirmed_amount(grant=grant, month=M(2024, 7, 1)) == Decimal("1600.00")


def test_town_supervisor_cannot_propose_a_standard_change(client, supervisor_chashan, grant):
    client.force_login(supervisor_chashan)
    assert client.get(reverse("cases:standard-change-list")).context["can_propose"] is False

    response = propose_standard_change(client)

    assert response.status_code == 403
    assert "Only a city supervisor proposes and confirms a standard change." in summary(response)
    assert not ScheduleConfirmation.objects.exists()


def test_standard_change_form_names_a_missing_month(client, city_supervisor, grant):
    client.force_login(city_supervisor)

    response = propose_standard_change(client, from_month="")

    assert response.status_code == 400
    assert "Give a month" in summary(response)


# --- a fixed number of queries --------------------------------------------------------------


@pytest.mark.parametrize(
    ("url_name", "persona", "rows"),
    [
        ("cases:grant-list", "worker_chashan", "rows"),
        ("cases:approval-queue", "supervisor_chashan", "schedule_rows"),
    ],
)
def test_lists_run_a_fixed_number_of_queries(
    client, request, worker_chashan, url_name, persona, rows, django_assert_max_num_queries
):
    """2 grants (each with a proposal waiting), then 10: the page's query count does not grow."""
    client.force_login(request.getfixturevalue(persona))
    url = reverse(url_name)

    def add(n):
        for _ in range(n):
            proposal(approved_grant(household=complete_household()), worker_chashan)

    add(2)
    client.get(url)  # warm the working-day calendar's cache
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert len(response.context[rows]) == 2
    add(8)
    with django_assert_max_num_queries(len(queries)):
        response = client.get(url)
    assert len(response.context[rows]) == 10


def test_standard_change_page_runs_a_fixed_number_of_queries(
    client, city_supervisor, second_city_supervisor, django_assert_max_num_queries
):
    """A standard change of 2 grants, then one of 10: its page's query count does not grow."""
    chashan_standard()
    client.force_login(second_city_supervisor)

    def change(n, from_month):
        for _ in range(n):
            approved_grant(household=complete_household())
        confirmation = schedules.standard_change_propose(
            scheme=scheme("dibao"), from_month=from_month, actor=city_supervisor
        )
        return reverse("cases:standard-change-detail", args=[confirmation.pk])

    small = change(2, M(2024, 7, 1))
    with CaptureQueriesContext(connection) as queries:
        assert len(client.get(small).context["rows"]) == 2
    large = change(8, M(2024, 8, 1))
    with django_assert_max_num_queries(len(queries)):
        assert len(client.get(large).context["rows"]) == 10


def test_a_town_role_sees_only_its_own_towns_counts_of_a_city_wide_standard_change(
    client, city_supervisor, worker_chashan, worker_dalang
):
    from rest_framework.test import APIClient

    from tests.cases.test_schedules import change_standard, chashan_standard

    approved_grant(), approved_grant()
    approved_grant(town_slug="dalang")
    chashan_standard()
    confirmation = change_standard(city_supervisor)
    assert confirmation.town is None

    expected = {
        worker_chashan: (2, 2, 0, 0),
        worker_dalang: (1, 0, 1, 0),
        city_supervisor: (3, 2, 1, 0),
    }
    fields = ("grants_considered", "proposed_count", "unchanged_count", "skipped_count")
    for user, counts in expected.items():
        client.force_login(user)
        page = client.get(reverse("cases:standard-change-detail", args=[confirmation.pk]))
        figures = page.context["figures"]
        assert tuple(getattr(figures, name) for name in fields) == counts, user
        listed = client.get(reverse("cases:standard-change-list")).context["rows"]
        assert [tuple(getattr(f, name) for name in fields) for _c, f in listed] == [counts]
        api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
        api.force_authenticate(user)
        body = api.get(f"/api/v1/schedule-confirmations/{confirmation.pk}/").json()
        assert tuple(body[name] for name in fields) == counts, user
        assert api.get("/api/v1/schedule-confirmations/").json()["results"] == [body]
