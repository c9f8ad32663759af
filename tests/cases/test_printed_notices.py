"""Printed documents for citizens (the decision and acceptance notices) and the payment roster
carry no internal marks: no login names, no demo badges; the signatory is the person's name,
or their role's title when no name is set. Staff are named by their names on the pages too."""

import pytest
from django.test import Client
from django.urls import reverse

from cases.models import Role
from tests.factories import dibao_application, staff_user

pytestmark = pytest.mark.django_db


def chinese_client(user) -> Client:
    client = Client(headers={"accept-language": "zh-CN"})
    client.force_login(user)
    return client


def decision_notice(application, user) -> str:
    url = reverse("cases:application-decision-notice", args=[application.pk])
    response = chinese_client(user).get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_the_decision_notice_is_signed_with_the_deciders_name(worker_chashan):
    decider = staff_user("supervisor-chashan", Role.TOWN_SUPERVISOR, "chashan")
    decider.last_name, decider.first_name = "张", "新炳"
    decider.save()
    application = dibao_application(worker=worker_chashan, supervisor=decider, until="approved")

    html = decision_notice(application, worker_chashan)

    assert "张新炳" in html
    assert "supervisor-chashan" not in html


def test_without_a_name_the_notice_gives_the_role_not_the_login(worker_chashan):
    decider = staff_user("supervisor-chashan", Role.TOWN_SUPERVISOR, "chashan")
    application = dibao_application(worker=worker_chashan, supervisor=decider, until="approved")

    html = decision_notice(application, worker_chashan)

    assert "镇街审批人员" in html
    assert "supervisor-chashan" not in html


def test_the_decision_notice_has_no_demo_marks(worker_chashan, supervisor_chashan):
    """The demo rules are marked as demo on staff pages; a citizen's notice shows the amount and
    why, without the demo badges or the rules' demo source."""
    application = dibao_application(
        worker=worker_chashan, supervisor=supervisor_chashan, until="approved"
    )
    assert application.calculation["demo"]

    html = decision_notice(application, worker_chashan)
    staff_page = chinese_client(worker_chashan).get(
        reverse("cases:application-detail", args=[application.pk])
    )

    assert 'data-testid="calculation-total"' in html
    assert 'data-testid="demo-badge"' not in html
    assert "演示数值" not in html and "Demo value" not in html
    assert 'data-testid="demo-badge"' in staff_page.content.decode()


def test_pages_name_staff_by_their_names(worker_chashan):
    decider = staff_user("supervisor-chashan", Role.TOWN_SUPERVISOR, "chashan")
    decider.last_name, decider.first_name = "张", "新炳"
    decider.save()
    application = dibao_application(worker=worker_chashan, supervisor=decider, until="approved")

    response = chinese_client(worker_chashan).get(
        reverse("cases:application-detail", args=[application.pk])
    )

    html = response.content.decode()
    assert "张新炳" in html
    assert "supervisor-chashan" not in html
