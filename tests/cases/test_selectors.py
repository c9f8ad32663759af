import datetime

import pytest

from cases import selectors
from cases.models import Person, Village
from tests.factories import (
    AssetFactory,
    IncomeLineFactory,
    MembershipFactory,
    PersonFactory,
    household_with_members,
)

pytestmark = pytest.mark.django_db

SCOPED_READERS = [
    ("households", selectors.households_in_scope, lambda h: h),
    ("memberships", selectors.memberships_in_scope, lambda h: h.memberships.first()),
    ("persons", selectors.persons_in_scope, lambda h: h.memberships.first().person),
    ("income lines", selectors.income_lines_in_scope, lambda h: IncomeLineFactory(household=h)),
    ("assets", selectors.assets_in_scope, lambda h: AssetFactory(household=h)),
    (
        "villages",
        selectors.villages_in_scope,
        lambda h: Village.objects.create(town=h.town, name=f"v{h.pk}"),
    ),
]

# persona -> (sees 茶山, sees 大朗)
VISIBILITY = {
    "worker_chashan": (True, False),
    "supervisor_chashan": (True, False),
    "worker_dalang": (False, True),
    "city_supervisor": (True, True),
    "finance": (True, True),
    "auditor": (True, True),
    "administrator": (False, False),
}


@pytest.mark.parametrize("persona", VISIBILITY)
@pytest.mark.parametrize("name, reader, make", SCOPED_READERS, ids=[r[0] for r in SCOPED_READERS])
def test_scoping_matrix(persona, name, reader, make, request, chashan_household, dalang_household):
    user = request.getfixturevalue(persona)
    own, other = make(chashan_household), make(dalang_household)
    visible = set(reader(user).values_list("pk", flat=True))
    sees_chashan, sees_dalang = VISIBILITY[persona]
    assert (own.pk in visible) is sees_chashan
    assert (other.pk in visible) is sees_dalang


def test_user_without_a_role_sees_nothing(chashan_household, django_user_model):
    user = django_user_model.objects.create_user("nobody", password="x")
    assert not selectors.households_in_scope(user).exists()
    assert not selectors.towns_in_scope(user).exists()


def test_supervisor_of_two_towns_sees_both(chashan_household, dalang_household):
    from cases.models import Role
    from tests.factories import staff_user

    user = staff_user("supervisor-two", Role.TOWN_SUPERVISOR, "chashan", "dalang")
    assert selectors.households_in_scope(user).count() == 2


def test_person_who_moved_is_visible_to_both_towns(
    worker_chashan, worker_dalang, chashan_household, dalang_household
):
    membership = chashan_household.memberships.get(relation="child")
    membership.left_on, membership.leave_reason = datetime.date(2026, 1, 1), "moved_out"
    membership.save()
    MembershipFactory(
        household=dalang_household,
        person=membership.person,
        relation="other",
        joined_on=datetime.date(2026, 1, 1),
    )
    assert selectors.persons_in_scope(worker_chashan).filter(pk=membership.person.pk).exists()
    assert selectors.persons_in_scope(worker_dalang).filter(pk=membership.person.pk).exists()


def test_household_get_of_another_town_is_not_found(worker_dalang, chashan_household):
    from django.http import Http404

    with pytest.raises(Http404):
        selectors.household_get(user=worker_dalang, pk=chashan_household.pk)
    with pytest.raises(Http404):
        selectors.household_get(user=worker_dalang, pk="not-a-number")


class TestSearch:
    @pytest.fixture
    def household(self, chashan_household):
        head = chashan_household.memberships.get(relation="head").person
        head.name = "欧阳明"
        head.save()
        return chashan_household

    def found(self, user, term):
        return list(selectors.household_list(user=user, search=term))

    def test_by_name_prefix(self, worker_chashan, household):
        assert self.found(worker_chashan, "欧阳") == [household]
        assert self.found(worker_chashan, "欧阳明") == [household]
        assert self.found(worker_chashan, "阳明") == []

    def test_by_full_id_number_and_lowercase_x(self, worker_chashan, household):
        person = household.memberships.get(relation="head").person
        assert self.found(worker_chashan, person.id_number) == [household]
        assert self.found(worker_chashan, person.id_number.lower()) == [household]

    def test_by_last_digits(self, worker_chashan, household):
        number = household.memberships.get(relation="head").person.id_number
        assert self.found(worker_chashan, number[-4:]) == [household]
        assert self.found(worker_chashan, number[-6:]) == [household]
        assert household not in self.found(
            worker_chashan, "0" + number[-3:] if number[-4] != "0" else "1" + number[-3:]
        )

    def test_by_fifteen_digit_legacy_number(self, worker_chashan, chashan_household):
        person = PersonFactory(name="老号码", id_number="11010519491231002X", id_tail="002X")
        MembershipFactory(household=chashan_household, person=person, relation="parent")
        assert self.found(worker_chashan, "110105491231002") == [chashan_household]

    def test_search_pages_newest_first_with_the_count_of_its_ids(
        self, worker_chashan, django_assert_num_queries
    ):
        households = [household_with_members("chashan", size=1) for _ in range(5)]
        for household in households:
            person = household.memberships.get().person
            person.name = "司马" + person.name
            person.save()
        found = selectors.household_list(user=worker_chashan, search="司马")
        newest_first = sorted(households, key=lambda h: -h.pk)
        assert found.count() == len(found) == 5
        with django_assert_num_queries(2):  # the page of households, their current members
            assert found[1:3] == newest_first[1:3]
        assert found[0] == newest_first[0]
        assert found[-1] == newest_first[-1]
        assert list(found.iterator(chunk_size=2)) == newest_first

    def test_search_shows_at_most_the_limit_newest_first(self, worker_chashan, monkeypatch):
        older, newer = (household_with_members("chashan", size=1) for _ in range(2))
        Person.objects.filter(memberships__household__in=[older, newer]).update(name="同名")
        monkeypatch.setattr(selectors, "SEARCH_LIMIT", 1)
        assert list(selectors.household_list(user=worker_chashan, search="同名")) == [newer]

    def test_never_finds_another_towns_household(self, worker_dalang, household):
        person = household.memberships.get(relation="head").person
        for term in (person.name, person.id_number, person.id_number[-4:]):
            assert self.found(worker_dalang, term) == []

    def test_filters_by_town_and_village(
        self, city_supervisor, chashan_household, dalang_household
    ):
        village = Village.objects.create(town=chashan_household.town, name="南社村")
        chashan_household.village = village
        chashan_household.save()
        assert list(selectors.household_list(user=city_supervisor, town="441900113")) == [
            dalang_household
        ]
        assert list(selectors.household_list(user=city_supervisor, village=str(village.pk))) == [
            chashan_household
        ]
        assert list(selectors.household_list(user=city_supervisor, village="南社村")) == [
            chashan_household
        ]
