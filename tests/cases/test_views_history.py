"""The household timeline: who changed what, when, old → new, with ID numbers masked."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases import services
from cases.models import IncomeType
from cases.views import history
from relief.people import staff_name
from tests.cases.test_views import build_registry
from tests.factories import household_with_members, make_id_number, town


@pytest.fixture
def registry(db, django_user_model):
    return build_registry(django_user_model)


def timeline(client, household, **params):
    response = client.get(reverse("cases:household-history", args=[household.pk]), params)
    assert response.status_code == 200
    return response


def test_timeline_shows_actor_reason_and_old_to_new_for_an_edit(client, worker_chashan, registry):
    client.force_login(worker_chashan)
    client.post(
        reverse("cases:household-edit", args=[registry.chashan.pk]),
        {"address": "茶山镇南社村8号", "status": "active", "reason": "搬家"},
    )
    response = timeline(client, registry.chashan)
    newest = response.context["page"].object_list[0]
    assert newest.user == staff_name(worker_chashan)  # a name or title, never the login
    assert newest.reason == "搬家"
    assert newest.history_type == "~"
    assert [(c.label, c.old, c.new) for c in newest.changes] == [
        ("Address", "茶山镇南社村1号", "茶山镇南社村8号")
    ]
    content = response.content.decode()
    assert newest.user in content
    assert "茶山镇南社村1号" in content and "茶山镇南社村8号" in content


def test_timeline_covers_members_income_and_masks_id_numbers(client, worker_chashan):
    household = services.household_create(
        actor=worker_chashan,
        town=town("chashan"),
        address="茶山镇超朗村2号",
        members=[services.MemberInput("周一", make_id_number(31), "head")],
    )
    person = household.memberships.get().person
    services.person_update(actor=worker_chashan, person=person, reason="体检", serious_illness=True)
    services.income_line_create(
        actor=worker_chashan,
        household=household,
        income_type=IncomeType.objects.get(code="pension"),
        monthly_amount=Decimal("1200.00"),
        valid_from=datetime.date(2024, 1, 1),
    )
    client.force_login(worker_chashan)
    response = timeline(client, household)
    entries = response.context["page"].object_list
    kinds = [entry.kind for entry in entries]
    assert kinds == ["Income line", "Member", "Membership", "Member", "Household"]
    illness = entries[1]
    assert [(c.label, c.old, c.new) for c in illness.changes] == [("Serious illness", "no", "yes")]
    content = response.content.decode()
    assert person.id_number not in content
    assert person.masked_id in content
    assert "1200.00" in content


def test_timeline_hides_a_members_changes_from_before_they_joined(
    client, city_supervisor, worker_dalang, worker_chashan, registry
):
    """A person who moved from 大朗: what 大朗 changed about them before they joined is not
    part of the 茶山 household's timeline."""
    person = registry.dalang_head
    services.person_update(
        actor=worker_dalang, person=person, reason="大朗家访记录", employment_status="unable"
    )
    membership = registry.dalang.memberships.get(person=person)
    services.member_leave(
        actor=city_supervisor,
        membership=membership,
        left_on=datetime.date(2024, 3, 31),
        leave_reason="moved_out",
    )
    services.member_add(
        actor=worker_chashan,
        household=registry.chashan,
        member=services.MemberInput(
            person.name, person.id_number, "other", joined_on=datetime.date(2024, 4, 1)
        ),
        reason="迁入",
    )
    client.force_login(worker_chashan)
    content = timeline(client, registry.chashan).content.decode()
    assert "迁入" in content
    assert "大朗家访记录" not in content
    assert "worker-dalang" not in content


def test_timeline_paginates_and_runs_a_bounded_number_of_queries(client, worker_chashan, settings):
    household = household_with_members("chashan", size=3)
    person = household.memberships.first().person
    for number in range(60):
        services.household_update(
            actor=worker_chashan,
            household=household,
            reason=f"r{number}",
            address=f"地址{number}",
        )
    client.force_login(worker_chashan)
    with CaptureQueriesContext(connection) as queries:
        first = timeline(client, household)
    assert len(first.context["page"].object_list) == history.PAGE_SIZE
    assert first.context["page"].paginator.count == 60 + 1 + 3 + 3
    assert len(queries) < 25
    last = timeline(client, household, page=2)
    assert last.context["page"].object_list[-1].kind == "Household"
    assert person.id_number not in last.content.decode()


@pytest.mark.parametrize("persona", ["finance", "auditor"])
def test_read_only_roles_see_the_timeline(client, request, registry, persona):
    client.force_login(request.getfixturevalue(persona))
    response = timeline(client, registry.chashan)
    assert response.context["page"].paginator.count > 0
