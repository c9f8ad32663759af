"""Application pages, work queues, the inbox, the dashboard and the public notice board: who sees
what, every step button reaching its service (success, or the service's own message on the
page, never a 500), printable notices without ID numbers or addresses, and lists that run a
fixed number of queries whatever their length."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.models import (
    Application,
    ApplicationEvent,
    Clock,
    Extension,
    Grant,
    Membership,
    Notification,
    Pause,
)
from cases.workflow import decisions, services, steps
from cases.workflow.sweep import clocks_sweep
from relief.dates import add_months, first_of_month
from relief.money import format_money
from relief.workdays import add_working_days, first_working_day_on_or_after
from tests.factories import (
    DIBAO_DAYS,
    HouseholdFactory,
    MembershipFactory,
    VillageFactory,
    complete_household,
    dibao_application,
    scheme,
    town,
)

State = Application.State
PAST = DIBAO_DAYS  # the shared 2024 timeline: every clock started on it is long overdue


# --- helpers --------------------------------------------------------------------------------


def detail(application):
    return reverse("cases:application-detail", args=[application.pk])


def step_url(application, action):
    return reverse("cases:application-step", args=[application.pk, action])


def post_step(client, application, action, **data):
    return client.post(step_url(application, action), {f"{action}-{k}": v for k, v in data.items()})


def summary(response) -> str:
    return " | ".join(response.context["summary"])


def named_household(town_slug="chashan", *, head="张小明", village=None, income=Decimal("1000.00")):
    """A complete household whose head has a known name, optionally in a village."""
    household = complete_household(town_slug, income=income)
    membership = household.memberships.get(relation=Membership.Relation.HEAD)
    membership.person.name = head
    membership.person.save()
    if village is not None:
        household.village = village
        household.save()
    return household


def temporary(
    worker,
    *,
    amount="3000.00",
    until="accepted",
    procedure="general",
    household=None,
    received_on=None,
    today=None,
):
    """A temporary-assistance application through the services, up to `until` (draft, submitted,
    accepted). By default it is accepted on the 2024 timeline (long overdue by now)."""
    application = services.application_create(
        actor=worker,
        household=household or complete_household(income=None),
        scheme=scheme("temp_emergency" if procedure == "emergency" else "temp_expenditure"),
        procedure=procedure,
        proposed_amount=Decimal(amount),
        amount_basis="Hospital bill of 20,000 yuan",
        instalments=1,
    )
    if until == "draft":
        return application
    submitted_on = today or PAST["submitted"]
    services.application_submit(actor=worker, application=application, today=submitted_on)
    if until == "accepted":
        services.application_accept(
            actor=worker,
            application=application,
            received_on=received_on or PAST["received"],
            today=today or PAST["accepted"],
        )
    application.refresh_from_db()
    return application


def received_for_due_in(working_days: int) -> datetime.date:
    """A received date whose temporary-assistance approval clock (10 working days) falls due
    `working_days` working days from today."""
    today = timezone.localdate()
    target = add_working_days(today, working_days)
    day = today
    while add_working_days(first_working_day_on_or_after(day), 10) > target:
        day -= datetime.timedelta(days=1)
    return day


# --- new application and the draft ----------------------------------------------------------


def test_new_application_form_shows_the_band_next_to_the_amount(client, worker_chashan):
    household = complete_household()
    client.force_login(worker_chashan)
    response = client.get(reverse("cases:application-create", args=[household.pk]))
    assert response.status_code == 200
    help_text = str(response.context["form"].fields["proposed_amount"].help_text)
    # Demo rule: 100.00 up to 6 × the dibao standard in force (1,350.00 since 2025-07).
    assert "100.00 to 8,100.00 yuan" in help_text
    assert "above 5,000.00 yuan the city supervisor decides" in help_text
    assert "demo value" in help_text
    content = response.content.decode()
    assert "8,100.00" in content
    assert 'name="scheme"' in content


def test_household_page_links_to_a_new_application(client, worker_chashan, auditor):
    household = complete_household()
    client.force_login(worker_chashan)
    content = client.get(reverse("cases:household-detail", args=[household.pk])).content.decode()
    assert reverse("cases:application-create", args=[household.pk]) in content
    client.force_login(auditor)
    content = client.get(reverse("cases:household-detail", args=[household.pk])).content.decode()
    assert reverse("cases:application-create", args=[household.pk]) not in content


def test_an_amount_outside_the_band_is_refused_on_the_new_draft_form(client, worker_chashan):
    household = complete_household(income=None)
    client.force_login(worker_chashan)
    response = client.post(
        reverse("cases:application-create", args=[household.pk]),
        {
            "scheme": scheme("temp_expenditure").pk,
            "procedure": "general",
            "proposed_amount": "99999.00",
            "amount_basis": "Hospital bill",
            "instalments": "1",
            "note": "",
        },
    )
    assert response.status_code == 400
    (message,) = response.context["form"].errors["proposed_amount"]
    assert message.startswith("The proposed amount must be between 100.00 and ")
    assert not Application.objects.exists()


def test_worker_creates_a_temporary_application_as_a_draft(client, worker_chashan):
    household = complete_household(income=None)
    head = household.memberships.get(relation="head").person
    client.force_login(worker_chashan)
    response = client.post(
        reverse("cases:application-create", args=[household.pk]),
        {
            "scheme": scheme("temp_expenditure").pk,
            "procedure": "general",
            "proposed_amount": "3000.00",
            "amount_basis": "Hospital bill",
            "instalments": "2",
            "covered_members": [head.pk],
            "note": "",
        },
    )
    application = Application.objects.get(household=household)
    assert response.status_code == 302
    assert response["Location"] == detail(application)
    assert application.state == State.DRAFT
    assert application.proposed_amount == Decimal("3000.00")
    assert application.instalments == 2
    assert list(application.covered_members.all()) == [head]
    assert application.created_by == worker_chashan


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (
            {"scheme": "dibao", "procedure": "emergency"},
            "procedure",
            "Only temporary assistance has the emergency procedure",
        ),
        (
            {"scheme": "dibao", "proposed_amount": "500.00"},
            "proposed_amount",
            "Only temporary assistance has a proposed amount",
        ),
    ],
)
def test_a_draft_the_service_refuses_shows_its_message_on_the_field(
    client, worker_chashan, fields, field, message
):
    household = complete_household()
    client.force_login(worker_chashan)
    data = {"procedure": "general", "instalments": "1", **fields}
    data["scheme"] = scheme(fields["scheme"]).pk
    response = client.post(reverse("cases:application-create", args=[household.pk]), data)
    assert response.status_code == 400
    assert message in response.context["form"].errors[field][0]
    assert not Application.objects.exists()


def test_a_second_open_application_for_the_scheme_is_refused(client, worker_chashan):
    first = temporary(worker_chashan, until="draft")
    client.force_login(worker_chashan)
    response = client.post(
        reverse("cases:application-create", args=[first.household.pk]),
        {"scheme": first.scheme.pk, "procedure": "general", "instalments": "1"},
    )
    assert response.status_code == 400
    assert (
        f"already has an open application for this scheme (#{first.pk})"
        in (response.context["form"].errors["scheme"][0])
    )


def test_new_application_for_another_towns_household_does_not_exist(client, worker_dalang):
    household = complete_household()
    client.force_login(worker_dalang)
    url = reverse("cases:application-create", args=[household.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"scheme": scheme("dibao").pk}).status_code == 404


@pytest.mark.parametrize("persona", ["auditor", "finance", "administrator"])
def test_roles_that_do_not_prepare_get_no_new_application_form(client, request, db, persona):
    household = complete_household()
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("cases:application-create", args=[household.pk])).status_code == 403


def test_draft_edit_saves_changes_with_the_reason(client, worker_chashan):
    application = temporary(worker_chashan, until="draft")
    client.force_login(worker_chashan)
    url = reverse("cases:application-edit", args=[application.pk])
    assert client.get(url).status_code == 200
    data = {
        "procedure": "general",
        "proposed_amount": "2500.00",
        "amount_basis": application.amount_basis,
        "instalments": "1",
        "reason": "Receipt corrected",
    }
    response = client.post(url, data)
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.proposed_amount == Decimal("2500.00")
    assert application.history.first().history_change_reason == "Receipt corrected"
    assert ApplicationEvent.objects.filter(application=application, kind="updated").exists()

    unchanged = client.post(url, data)
    assert unchanged.status_code == 400
    assert "Nothing was changed." in summary(unchanged)


def test_a_submitted_application_can_no_longer_be_edited(client, worker_chashan):
    application = temporary(worker_chashan, until="submitted")
    client.force_login(worker_chashan)
    response = client.post(
        reverse("cases:application-edit", args=[application.pk]),
        {"procedure": "general", "proposed_amount": "2500.00", "instalments": "1"},
    )
    assert response.status_code == 400
    assert "Cannot edit: the application is in state" in summary(response)


# --- the application's page -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("worker_chashan", 200),
        ("supervisor_chashan", 200),
        ("city_supervisor", 200),
        ("finance", 200),
        ("auditor", 200),
        ("worker_dalang", 404),
        ("administrator", 403),
    ],
)
def test_application_page_by_role_and_town(client, request, worker_chashan, persona, status):
    application = temporary(worker_chashan)
    client.force_login(request.getfixturevalue(persona))
    assert client.get(detail(application)).status_code == status


def test_application_page_shows_clocks_with_due_dates_and_overdue_marks(
    client, worker_chashan, supervisor_chashan
):
    worker_chashan.last_name, worker_chashan.first_name = "陈", "晓明"
    worker_chashan.save()
    application = temporary(worker_chashan)
    clocks_sweep(today=datetime.date(2024, 2, 26))  # a breach: due 2024-02-22
    client.force_login(supervisor_chashan)
    response = client.get(detail(application))
    content = response.content.decode()
    assert response.status_code == 200
    assert "2024-02-03" in content  # received
    assert "2024-02-04" in content  # accepted on the make-up Sunday
    assert "2024-02-22" in content  # the approval clock's due date
    assert 'data-testid="mark-overdue"' in content
    assert 'data-testid="breaches"' in content
    assert 'data-testid="event-accepted"' in content
    assert "陈晓明" in content  # who took the steps, by name


def test_application_page_marks_a_due_soon_clock_and_a_provisional_due_date(
    client, worker_chashan, supervisor_chashan
):
    received = received_for_due_in(1)
    application = temporary(worker_chashan, received_on=received, today=timezone.localdate())
    Clock.objects.filter(application=application).update(provisional=True)
    client.force_login(supervisor_chashan)
    content = client.get(detail(application)).content.decode()
    assert 'data-testid="mark-due-soon"' in content
    assert "working day left" in content
    assert 'data-testid="provisional"' in content


def test_the_preparer_sees_preparing_steps_and_the_supervisor_deciding_ones(
    client, worker_chashan, supervisor_chashan, auditor
):
    application = temporary(worker_chashan)
    client.force_login(worker_chashan)
    actions = client.get(detail(application)).context["actions"]
    assert "approve" not in actions
    assert {"request_supplement", "home_visit", "withdraw"} <= set(actions)

    client.force_login(supervisor_chashan)
    actions = client.get(detail(application)).context["actions"]
    assert {"approve", "reject"} <= set(actions)

    client.force_login(auditor)
    response = client.get(detail(application))
    assert response.context["actions"] == []
    assert 'data-testid="steps"' not in response.content.decode()


def test_a_draft_offers_edit_and_submit(client, worker_chashan):
    application = temporary(worker_chashan, until="draft")
    client.force_login(worker_chashan)
    response = client.get(detail(application))
    assert response.context["actions"][:2] == ["edit", "submit"]
    content = response.content.decode()
    assert 'data-testid="step-submit-submit"' in content
    assert reverse("cases:application-edit", args=[application.pk]) in content


def test_above_the_threshold_only_the_city_supervisor_is_offered_the_decision(
    client, worker_chashan, supervisor_chashan, city_supervisor
):
    application = temporary(worker_chashan, amount="6000.00")
    client.force_login(supervisor_chashan)
    assert "approve" not in client.get(detail(application)).context["actions"]
    client.force_login(city_supervisor)
    assert "approve" in client.get(detail(application)).context["actions"]


def test_another_towns_application_does_not_exist(client, worker_chashan, worker_dalang):
    application = temporary(worker_chashan)
    client.force_login(worker_dalang)
    for url in (
        detail(application),
        reverse("cases:application-acceptance-notice", args=[application.pk]),
        reverse("cases:application-edit", args=[application.pk]),
    ):
        assert client.get(url).status_code == 404
    assert post_step(client, application, "withdraw", reason="x").status_code == 404
    application.refresh_from_db()
    assert application.state == State.ACCEPTED


# --- steps: each posts to its service -------------------------------------------------------


def test_an_incomplete_file_lists_every_missing_item_on_the_page(client, worker_chashan):
    household = HouseholdFactory(town=town("chashan"))
    MembershipFactory(household=household, relation="child")
    application = services.application_create(
        actor=worker_chashan, household=household, scheme=scheme("dibao")
    )
    client.force_login(worker_chashan)
    response = post_step(client, application, "submit")
    assert response.status_code == 400
    text = summary(response)
    assert "Submit — Head of household: The household has no current head" in text
    assert "Authorisations:" in text and "has no valid authorisation" in text
    assert "Income: Record the household's income lines" in text
    # The notice was given (kept in the step log) and is shown in the timeline.
    assert ApplicationEvent.objects.filter(
        application=application, kind="completeness_notice"
    ).exists()
    application.refresh_from_db()
    assert application.state == State.DRAFT
    assert 'data-testid="event-completeness_notice"' in response.content.decode()


def test_a_missing_authorisation_links_to_the_form_that_records_one(client, worker_chashan):
    household = complete_household()
    household.authorisations.all().delete()
    application = services.application_create(
        actor=worker_chashan, household=household, scheme=scheme("dibao")
    )
    client.force_login(worker_chashan)
    link = reverse("cases:authorisation-add", args=[household.pk])
    assert (
        'data-testid="record-authorisation"' not in client.get(detail(application)).content.decode()
    )

    refused = post_step(client, application, "submit")
    assert refused.status_code == 400
    html = refused.content.decode()
    assert 'data-testid="record-authorisation"' in html
    assert f'href="{link}"' in html
    assert client.get(link).status_code == 200  # the form it leads to
    # Still there when the page is opened again, until the next step.
    assert 'data-testid="record-authorisation"' in client.get(detail(application)).content.decode()


def test_the_application_page_previews_the_calculation_while_it_is_prepared(
    client, worker_chashan, supervisor_chashan
):
    application = dibao_application(worker=worker_chashan, until="draft")
    client.force_login(worker_chashan)
    page = client.get(detail(application))
    preview = page.context["preview"]
    # Dibao: the first month it would pay (next month), by that month's rule.
    next_month = add_months(first_of_month(timezone.localdate()), 1)
    assert (preview["month"], preview["as_of"]) == (next_month.isoformat(),) * 2
    assert preview["eligible"] is True
    html = page.content.decode()
    assert 'data-testid="calculation-preview"' in html
    total = format_money(Decimal(preview["total"]))
    assert f'data-testid="calculation-total"><strong>{total}</strong>' in html
    application.refresh_from_db()
    assert not application.calculation  # nothing stored

    # Once a step stores the calculation, the page shows that one and no preview.
    decided = dibao_application(
        worker=worker_chashan, supervisor=supervisor_chashan, until="approved"
    )
    page = client.get(detail(decided))
    assert page.context["preview"] is None
    assert 'data-testid="calculation-preview"' not in page.content.decode()


def test_submit_and_accept_start_the_clock(client, worker_chashan):
    application = temporary(worker_chashan, until="draft")
    client.force_login(worker_chashan)
    response = post_step(client, application, "submit")
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.state == State.SUBMITTED
    page = client.get(detail(application))
    assert "Submitted: the file is complete" in page.content.decode()
    assert page.context["actions"][0] == "accept"

    today = timezone.localdate()
    assert post_step(client, application, "accept", received_on=today).status_code == 302
    application.refresh_from_db()
    assert application.state == State.ACCEPTED
    assert application.received_on == today
    assert application.clocks.get().kind == Clock.Kind.APPROVAL


@pytest.mark.parametrize(
    ("received_on", "message"),
    [
        ("", "Enter the day the complete file was received."),
        ("2999-01-01", "The date cannot be in the future."),
    ],
)
def test_acceptance_refused_by_the_service_shows_its_message(
    client, worker_chashan, received_on, message
):
    application = temporary(worker_chashan, until="submitted")
    client.force_login(worker_chashan)
    response = post_step(client, application, "accept", received_on=received_on)
    assert response.status_code == 400
    assert message in response.context["failed_form"].errors["received_on"][0]
    assert ' open data-testid="step-accept"' in response.content.decode()


def test_a_step_in_the_wrong_state_names_the_state(client, worker_chashan):
    application = temporary(worker_chashan, until="draft")
    client.force_login(worker_chashan)
    response = post_step(client, application, "accept", received_on="2024-02-03")
    assert response.status_code == 400
    assert "Cannot accept: the application is in state “Draft” (draft)." in summary(response)


def test_an_unknown_step_does_not_exist(client, worker_chashan):
    application = temporary(worker_chashan, until="draft")
    client.force_login(worker_chashan)
    assert client.post(step_url(application, "teleport")).status_code == 404
    assert client.get(step_url(application, "submit")).status_code == 405


def test_supplementary_documents_pause_and_resume(client, worker_chashan):
    application = temporary(worker_chashan)
    client.force_login(worker_chashan)
    empty = post_step(client, application, "request_supplement", items="  ")
    assert empty.status_code == 400
    assert "List the documents" in str(empty.context["failed_form"].errors["items"])

    assert (
        post_step(client, application, "request_supplement", items="Bank statement").status_code
        == 302
    )
    assert Pause.objects.get(application=application).ended_on is None
    actions = client.get(detail(application)).context["actions"]
    assert "supplement_received" in actions and "home_visit" not in actions

    assert post_step(client, application, "supplement_received", note="Arrived").status_code == 302
    assert Pause.objects.get(application=application).ended_on is not None


def test_the_dibao_steps_from_home_visit_to_the_end_of_the_notice(
    client, worker_chashan, supervisor_chashan
):
    application = dibao_application(worker=worker_chashan, until="accepted")
    client.force_login(worker_chashan)
    missing = post_step(client, application, "home_visit", findings="")
    assert "Write down the findings" in str(missing.context["failed_form"].errors)
    assert post_step(client, application, "home_visit", findings="Visited").status_code == 302
    no_choice = post_step(client, application, "opinion", recommend="")
    assert no_choice.status_code == 400
    assert post_step(client, application, "opinion", recommend="yes").status_code == 302
    application.refresh_from_db()
    assert application.town_opinion == "recommend"
    assert post_step(client, application, "start_notice").status_code == 302
    application.refresh_from_db()
    assert application.state == State.NOTICE
    # The notice runs from today: an objection is possible, ending it is not yet.
    actions = client.get(detail(application)).context["actions"]
    assert "objection" in actions and "end_notice" not in actions
    too_early = post_step(client, application, "end_notice")
    assert too_early.status_code == 400
    assert "The public notice runs until" in summary(too_early)
    assert post_step(client, application, "objection", objection="Owns a car").status_code == 302
    application.refresh_from_db()
    assert application.state == State.REINVESTIGATION


def test_ending_a_notice_that_has_run_starts_the_decision_clock(
    client, worker_chashan, supervisor_chashan
):
    application = dibao_application(worker=worker_chashan, until="notice")
    client.force_login(worker_chashan)
    assert "end_notice" in client.get(detail(application)).context["actions"]
    assert post_step(client, application, "end_notice").status_code == 302
    assert application.clocks.filter(kind=Clock.Kind.DECISION).exists()


def test_a_case_worker_posting_a_decision_gets_the_services_refusal(client, worker_chashan):
    application = temporary(worker_chashan)
    client.force_login(worker_chashan)
    response = post_step(client, application, "approve")
    assert response.status_code == 403
    assert "Only a town or city supervisor may decide" in summary(response)
    application.refresh_from_db()
    assert application.state == State.ACCEPTED


def test_the_supervisor_who_prepared_cannot_approve(client, supervisor_chashan):
    application = temporary(supervisor_chashan)
    client.force_login(supervisor_chashan)
    assert "approve" not in client.get(detail(application)).context["actions"]
    response = post_step(client, application, "approve", reasons="ok")
    assert response.status_code == 403
    assert "You prepared this application" in summary(response)


def test_an_auditor_posting_a_step_is_refused_by_the_service(client, worker_chashan, auditor):
    application = temporary(worker_chashan)
    client.force_login(auditor)
    response = post_step(client, application, "withdraw", reason="x")
    assert response.status_code == 403
    assert "Your role may not prepare applications" in summary(response)


def test_approval_shows_the_application_approved_with_its_grant(
    client, worker_chashan, supervisor_chashan
):
    application = temporary(worker_chashan)
    client.force_login(supervisor_chashan)
    response = post_step(client, application, "approve", reasons="Hospital bill verified")
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.state == State.APPROVED
    grant = Grant.objects.get(application=application)
    page = client.get(detail(application))
    content = page.content.decode()
    assert "Approved: the grant was created." in content
    assert f"Grant #{grant.pk}" in content
    assert 'data-testid="grant-schedule"' in content
    assert 'data-testid="calculation"' in content  # "Why this amount"
    assert page.context["actions"] == []


def test_the_approver_approves_the_proposed_amount_and_types_none(
    client, worker_chashan, supervisor_chashan
):
    application = temporary(worker_chashan)
    client.force_login(supervisor_chashan)
    page = client.get(reverse("cases:application-detail", args=[application.pk]))
    assert b'name="approved_amount"' not in page.content
    assert post_step(client, application, "approve", approved_amount="99999.00").status_code == 302
    application.refresh_from_db()
    assert application.approved_amount == application.proposed_amount


def test_rejection_needs_reasons(client, worker_chashan, supervisor_chashan):
    application = temporary(worker_chashan)
    client.force_login(supervisor_chashan)
    response = post_step(client, application, "reject", reasons="")
    assert response.status_code == 400
    assert "Give the written reasons" in summary(response)
    assert post_step(client, application, "reject", reasons="Has savings").status_code == 302
    application.refresh_from_db()
    assert application.state == State.REJECTED
    assert application.decision_reasons == "Has savings"


def test_emergency_approval_then_completing_the_file(client, worker_chashan, supervisor_chashan):
    application = temporary(worker_chashan, procedure="emergency")
    client.force_login(supervisor_chashan)
    actions = client.get(detail(application)).context["actions"]
    assert "emergency_approve" in actions and "approve" not in actions
    assert post_step(client, application, "emergency_approve").status_code == 302
    application.refresh_from_db()
    assert application.state == State.APPROVED
    client.force_login(worker_chashan)
    assert "complete_file" in client.get(detail(application)).context["actions"]
    assert post_step(client, application, "complete_file").status_code == 302
    application.refresh_from_db()
    assert application.file_completed_at is not None


def test_extension_by_a_supervisor_who_did_not_prepare(client, worker_chashan, supervisor_chashan):
    application = dibao_application(worker=worker_chashan, until="accepted")
    client.force_login(supervisor_chashan)
    assert "extend" in client.get(detail(application)).context["actions"]
    no_reason = post_step(client, application, "extend", reason="")
    assert no_reason.status_code == 400
    assert post_step(client, application, "extend", reason="Complex case").status_code == 302
    assert Extension.objects.get(application=application).approver == supervisor_chashan
    assert "Complex case" in client.get(detail(application)).content.decode()


def test_finance_records_the_disbursement(client, worker_chashan, supervisor_chashan, finance):
    application = temporary(worker_chashan)
    decisions.application_decide(actor=supervisor_chashan, application=application, approve=True)
    client.force_login(finance)
    assert client.get(detail(application)).context["actions"] == ["disburse"]
    assert post_step(client, application, "disburse", note="Paid").status_code == 302
    assert application.clocks.get(kind=Clock.Kind.DISBURSEMENT).stopped_on is not None


def test_withdrawal_stops_the_clocks(client, worker_chashan):
    application = temporary(worker_chashan)
    client.force_login(worker_chashan)
    assert post_step(client, application, "withdraw", reason="").status_code == 400
    assert post_step(client, application, "withdraw", reason="Moved away").status_code == 302
    application.refresh_from_db()
    assert application.state == State.WITHDRAWN
    assert not application.clocks.filter(stopped_on__isnull=True).exists()


# --- printable notices ----------------------------------------------------------------------


def assert_no_personal_identifiers(content: str, household) -> None:
    for number in household.memberships.values_list("person__id_number", flat=True):
        assert number not in content
        assert f"{number[:6]}********{number[-4:]}" not in content  # not even masked
    assert household.address not in content


def test_acceptance_notice_prints_dates_and_no_id_number_or_address(client, worker_chashan):
    application = temporary(worker_chashan, household=named_household(income=None))
    client.force_login(worker_chashan)
    response = client.get(reverse("cases:application-acceptance-notice", args=[application.pk]))
    content = response.content.decode()
    assert response.status_code == 200
    assert "Notice of acceptance" in content
    assert "张小明" in content
    assert "2024-02-04" in content and "2024-02-22" in content
    assert "site-nav" not in content  # printable: no navigation
    assert_no_personal_identifiers(content, application.household)


def test_acceptance_notice_exists_only_once_accepted(client, worker_chashan):
    application = temporary(worker_chashan, until="submitted")
    client.force_login(worker_chashan)
    url = reverse("cases:application-acceptance-notice", args=[application.pk])
    assert client.get(url).status_code == 404


def test_decision_notice_of_an_approval_explains_the_amount(
    client, worker_chashan, supervisor_chashan
):
    application = temporary(worker_chashan, household=named_household(income=None))
    decisions.application_decide(
        actor=supervisor_chashan, application=application, approve=True, reasons="Verified"
    )
    client.force_login(worker_chashan)
    response = client.get(reverse("cases:application-decision-notice", args=[application.pk]))
    content = response.content.decode()
    assert response.status_code == 200
    assert "Decision notice" in content
    assert "was approved on" in content
    assert "3,000.00" in content and "Verified" in content
    assert 'data-testid="calculation"' in content
    assert_no_personal_identifiers(content, application.household)


def test_decision_notice_of_a_rejection_gives_the_reasons(
    client, worker_chashan, supervisor_chashan
):
    application = temporary(worker_chashan)
    client.force_login(worker_chashan)
    url = reverse("cases:application-decision-notice", args=[application.pk])
    assert client.get(url).status_code == 404  # not decided yet
    decisions.application_decide(
        actor=supervisor_chashan, application=application, approve=False, reasons="Has savings"
    )
    content = client.get(url).content.decode()
    assert "was rejected on" in content and "Has savings" in content
    assert "administrative reconsideration" in content


def test_decision_notice_of_a_dibao_approval_gives_the_monthly_amount_and_why(
    client, worker_chashan, supervisor_chashan
):
    application = dibao_application(
        worker=worker_chashan, supervisor=supervisor_chashan, until="approved"
    )
    client.force_login(supervisor_chashan)
    response = client.get(reverse("cases:application-decision-notice", args=[application.pk]))
    content = response.content.decode()
    # Standard 1,300.00, income 1,000.00 for two members: (1300 − 500) × 2, from the next month.
    assert "Monthly amount from 2024-03 (yuan)" in content
    assert 'data-testid="decision-amount">1,600.00<' in content
    assert 'data-testid="calculation-total"' in content
    assert_no_personal_identifiers(content, application.household)


def test_pages_are_in_chinese_by_default(worker_chashan):
    application = temporary(worker_chashan)
    chinese = Client()
    chinese.force_login(worker_chashan)
    content = chinese.get(detail(application)).content.decode()
    assert '<html lang="zh-hans">' in content


def noticed_application(worker, *, head="张小明", village=None, town_slug="chashan"):
    """A dibao application whose public notice runs from today."""
    application = dibao_application(
        worker=worker,
        until="opinion",
        household=named_household(town_slug, head=head, village=village),
    )
    steps.application_notice_start(actor=worker, application=application)
    application.refresh_from_db()
    return application


def test_notice_sheet_of_a_village_lists_masked_names_only(client, worker_chashan, worker_dalang):
    village = VillageFactory(town=town("chashan"), name="南社村")
    application = noticed_application(worker_chashan, village=village)
    client.force_login(worker_chashan)
    url = reverse("cases:notice-sheet-village", args=["441900103", village.pk])
    response = client.get(url)
    content = response.content.decode()
    assert response.status_code == 200
    assert "张*明" in content and "张小明" not in content
    assert "南社村" in content
    assert_no_personal_identifiers(content, application.household)
    town_sheet = client.get(reverse("cases:notice-sheet-town", args=["441900103"]))
    assert "张*明" in town_sheet.content.decode()
    client.force_login(worker_dalang)
    assert client.get(url).status_code == 404


# --- work queues ----------------------------------------------------------------------------


def test_my_work_lists_held_steps_and_open_applications_by_due_date(
    client, worker_chashan, worker_dalang
):
    overdue = dibao_application(worker=worker_chashan, until="accepted")  # home visit: due 2024
    draft = temporary(worker_chashan, until="draft")
    soon = temporary(worker_chashan, received_on=received_for_due_in(1), today=timezone.localdate())
    other_town = dibao_application(
        worker=worker_dalang, until="accepted", household=complete_household("dalang")
    )
    client.force_login(worker_chashan)
    response = client.get(reverse("cases:my-work"))
    assert response.status_code == 200
    held = [
        (clock.application_id, clock.kind) for clock, _mark, _head in response.context["clock_rows"]
    ]
    assert held == [(overdue.pk, Clock.Kind.HOME_VISIT)]
    open_rows = response.context["open_rows"]
    assert [application.pk for application, _mark, _head in open_rows] == [
        overdue.pk,
        soon.pk,
        draft.pk,
    ]
    marks = [mark.status if mark else None for _application, mark, _head in open_rows]
    assert marks == ["overdue", "due_soon", None]
    content = response.content.decode()
    assert "row-overdue" in content and "row-due-soon" in content
    assert f'data-testid="open-application-{other_town.pk}"' not in content


def test_approval_queue_shows_deadline_marks_for_the_supervisor_only(
    client, worker_chashan, supervisor_chashan
):
    late = temporary(worker_chashan)
    soon = temporary(worker_chashan, received_on=received_for_due_in(2), today=timezone.localdate())
    prepared = temporary(supervisor_chashan)
    client.force_login(supervisor_chashan)
    response = client.get(reverse("cases:approval-queue"))
    rows = response.context["rows"]
    assert [application.pk for application, _mark, _head in rows] == [late.pk, soon.pk]
    assert [mark.status for _application, mark, _head in rows] == ["overdue", "due_soon"]
    content = response.content.decode()
    assert "2024-02-22" in content
    assert f'data-testid="approval-{prepared.pk}"' not in content

    client.force_login(worker_chashan)
    assert client.get(reverse("cases:approval-queue")).status_code == 403


def _count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    ("url_name", "persona", "rows"),
    [
        ("cases:my-work", "supervisor_chashan", "clock_rows"),
        ("cases:my-work", "worker_chashan", "open_rows"),
        ("cases:approval-queue", "supervisor_chashan", "rows"),
        ("cases:application-list", "worker_chashan", "rows"),
        ("cases:inbox", "supervisor_chashan", "page"),
    ],
)
def test_lists_run_a_fixed_number_of_queries(
    client,
    request,
    worker_chashan,
    supervisor_chashan,
    url_name,
    persona,
    rows,
    django_assert_max_num_queries,
):
    """2 applications, then 10: the page's query count does not grow (the approval clocks are
    held by the town supervisors, who also get the sweep's escalations)."""
    client.force_login(request.getfixturevalue(persona))
    url = reverse(url_name)

    def add(n):
        for _ in range(n):
            temporary(worker_chashan)
        clocks_sweep(today=datetime.date(2024, 2, 26))

    def shown(response) -> int:
        listed = response.context[rows]
        return len(listed.object_list if hasattr(listed, "object_list") else listed)

    add(2)
    client.get(url)  # warm the working-day calendar's cache
    with CaptureQueriesContext(connection) as queries:
        assert shown(client.get(url)) == 2
    add(8)
    with django_assert_max_num_queries(len(queries)):
        assert shown(client.get(url)) == 10


def test_dashboard_and_public_board_run_a_fixed_number_of_queries(
    client, worker_chashan, city_supervisor, django_assert_max_num_queries
):
    noticed_application(worker_chashan, head="李大华")
    temporary(worker_chashan)
    client.force_login(city_supervisor)
    dashboard = _count_queries(client, reverse("cases:dashboard"))
    anonymous = Client(headers={"accept-language": "en"})
    board = _count_queries(anonymous, reverse("public-notices"))
    for name in ("王一", "王二", "王三", "王四"):
        noticed_application(worker_chashan, head=name)
        temporary(worker_chashan)
    with django_assert_max_num_queries(dashboard):
        client.get(reverse("cases:dashboard"))
    with django_assert_max_num_queries(board):
        anonymous.get(reverse("public-notices"))


# --- the inbox and its unread count ---------------------------------------------------------


def test_inbox_lists_own_messages_and_the_nav_counts_unread(
    client, worker_chashan, supervisor_chashan
):
    dibao_application(worker=worker_chashan, until="accepted")
    clocks_sweep(today=datetime.date(2024, 2, 20))
    own = Notification.objects.get(user=worker_chashan)
    theirs = Notification.objects.get(user=supervisor_chashan)
    client.force_login(worker_chashan)
    response = client.get(reverse("cases:inbox"))
    content = response.content.decode()
    assert list(response.context["page"].object_list) == [own]
    assert own.message in content and theirs.message not in content
    assert '<span class="badge" data-testid="unread-count">1</span>' in content

    reply = client.post(reverse("cases:inbox-read", args=[own.pk]), {"next": "/cases/inbox/"})
    assert reply.status_code == 302
    own.refresh_from_db()
    assert own.read_at is not None
    assert 'data-testid="unread-count"' not in client.get(reverse("cases:inbox")).content.decode()
    # Another user's message does not exist for the worker.
    assert client.post(reverse("cases:inbox-read", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_read_and_the_redirect_stays_on_this_site(client, worker_chashan):
    for index in range(3):
        Notification.objects.create(
            user=worker_chashan, kind="due_soon", key=f"k{index}", message=f"m{index}"
        )
    client.force_login(worker_chashan)
    reply = client.post(reverse("cases:inbox-read-all"), {"next": "https://evil.example/"})
    assert reply["Location"] == reverse("cases:inbox")
    assert not Notification.objects.filter(user=worker_chashan, read_at__isnull=True).exists()
    unread_only = client.get(reverse("cases:inbox"), {"unread": "1"})
    assert list(unread_only.context["page"].object_list) == []


def test_the_unread_count_costs_no_query_for_anonymous_visitors(client, db):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("login")).status_code == 200
    assert not any("cases_notification" in query["sql"] for query in queries)


def test_the_navigation_shows_each_role_its_work_pages(
    client, worker_chashan, supervisor_chashan, auditor
):
    client.force_login(worker_chashan)
    with CaptureQueriesContext(connection) as queries:
        content = client.get(reverse("cases:household-list")).content.decode()
    # The unread count: one query per page.
    assert sum("cases_notification" in query["sql"] for query in queries) == 1
    assert 'data-testid="nav-my-work"' in content and 'data-testid="nav-inbox"' in content
    assert 'data-testid="nav-approvals"' not in content
    assert 'data-testid="nav-dashboard"' not in content
    client.force_login(supervisor_chashan)
    content = client.get(reverse("cases:inbox")).content.decode()
    assert 'data-testid="nav-approvals"' in content and 'data-testid="nav-dashboard"' in content
    client.force_login(auditor)
    content = client.get(reverse("cases:inbox")).content.decode()
    assert 'data-testid="nav-dashboard"' in content and 'data-testid="nav-my-work"' not in content


# --- the dashboard --------------------------------------------------------------------------


def test_dashboard_counts_open_overdue_and_breaches_by_town(
    client, worker_chashan, worker_dalang, city_supervisor, supervisor_chashan
):
    dibao_application(worker=worker_chashan, until="accepted")  # overdue since 2024
    temporary(worker_chashan, until="draft")
    dibao_application(
        worker=worker_dalang, until="submitted", household=complete_household("dalang")
    )
    clocks_sweep(today=datetime.date(2024, 2, 20))
    client.force_login(city_supervisor)
    response = client.get(reverse("cases:dashboard"))
    rows = {row["town"].slug: row for row in response.context["rows"]}
    assert (rows["chashan"]["open"], rows["chashan"]["overdue"], rows["chashan"]["breaches"]) == (
        2,
        1,
        1,
    )
    assert (rows["dalang"]["open"], rows["dalang"]["overdue"]) == (1, 0)
    assert rows["chashan"]["open_width"] == 100 and rows["dalang"]["open_width"] == 50
    assert response.context["totals"] == {"open": 3, "overdue": 1, "breaches": 1}
    content = response.content.decode()
    assert 'data-testid="bar-chashan"' in content and "bar-open bar-w-100" in content
    assert "bar-open bar-w-50" in content
    assert "style=" not in content  # widths are classes: the CSP allows no style attribute
    assert 'data-testid="bar-dongcheng"' not in content  # nothing open there: no bar

    client.force_login(supervisor_chashan)
    assert [row["town"].slug for row in client.get(reverse("cases:dashboard")).context["rows"]] == [
        "chashan"
    ]


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("city_supervisor", 200),
        ("auditor", 200),
        ("supervisor_chashan", 200),
        ("worker_chashan", 403),
        ("finance", 403),
        ("administrator", 403),
    ],
)
def test_dashboard_is_for_supervisors_and_auditors(client, request, persona, status):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("cases:dashboard")).status_code == status


# --- the public notice board ----------------------------------------------------------------


def test_public_board_needs_no_login_and_shows_only_the_notice(client, worker_chashan):
    village = VillageFactory(town=town("chashan"), name="南社村")
    application = noticed_application(worker_chashan, village=village)
    household = application.household
    person = household.memberships.get(relation="head").person
    person.serious_illness = True
    person.save()
    response = client.get(reverse("public-notices"))
    content = response.content.decode()
    assert response.status_code == 200
    assert "张*明" in content and "张小明" not in content
    assert "茶山" in content and "南社村" in content
    notice = application.notice
    assert f"{notice.amount:,.2f}" in content
    assert notice.starts_on.isoformat() in content and notice.ends_on.isoformat() in content
    assert_no_personal_identifiers(content, household)
    assert "Serious illness" not in content and "serious" not in content.lower()


def test_public_board_filters_by_town_and_hides_ended_or_withdrawn_notices(
    client, worker_chashan, worker_dalang
):
    noticed_application(worker_chashan, head="张小明")
    noticed_application(worker_dalang, head="王大朗", town_slug="dalang")
    past = dibao_application(
        worker=worker_chashan, until="notice", household=named_household(head="李过去")
    )
    withdrawn = noticed_application(worker_chashan, head="赵撤回")
    services.application_withdraw(actor=worker_chashan, application=withdrawn, reason="Moved")
    content = client.get(reverse("public-notices")).content.decode()
    assert "张*明" in content and "王*朗" in content
    assert "李*去" not in content  # its notice ran in 2024
    assert "赵*回" not in content
    assert past.notice.ends_on < timezone.localdate()
    only_chashan = client.get(reverse("public-notices"), {"town": "441900103"})
    assert "张*明" in only_chashan.content.decode()
    assert "王*朗" not in only_chashan.content.decode()


def test_a_refused_step_not_on_offer_shows_its_message_but_no_form(client, worker_chashan):
    """A case worker posting a decision (a stale or forged page) reads why in the summary; the
    page offers only the steps the worker may take, so no decision form appears."""
    application = temporary(worker_chashan, until="submitted")
    client.force_login(worker_chashan)
    response = post_step(client, application, "approve", reasons="x")
    assert response.status_code == 403
    assert summary(response)
    page = response.content.decode()
    assert 'data-testid="step-approve"' not in page
    assert 'data-testid="step-accept"' in page
