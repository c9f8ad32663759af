"""The matching key: `check --deploy` fails without MATCHING_KEY from the environment, and every
person's hash is kept in PersonKey by one set-based refresh."""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from audit.keys import hash_id, matching_key_set, person_keys_refresh
from audit.models import PersonKey
from tests.factories import PersonFactory


def test_the_deploy_check_fails_without_a_matching_key(settings):
    settings.MATCHING_KEY_FROM_ENV = False

    assert [e.id for e in matching_key_set(None)] == ["audit.E001"]
    with pytest.raises(SystemCheckError, match="audit.E001"):
        call_command("check", "--deploy", "--tag", "security")


def test_the_deploy_check_passes_with_one(settings):
    settings.MATCHING_KEY_FROM_ENV = True

    assert matching_key_set(None) == []


@pytest.mark.django_db
def test_person_keys_follow_people_and_the_key(settings):
    people = [PersonFactory() for _ in range(3)]

    assert person_keys_refresh() == 3
    assert person_keys_refresh() == 0
    assert {k.person_id: k.key_hash for k in PersonKey.objects.all()} == {
        p.pk: hash_id(p.id_number) for p in people
    }

    settings.MATCHING_KEY = "another-key-0123456789abcdef0123"
    assert person_keys_refresh() == 3
    assert PersonKey.objects.get(person=people[0]).key_hash == hash_id(people[0].id_number)
