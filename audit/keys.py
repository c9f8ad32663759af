"""The matching key (REGISTRIES.md): an ID number travels to and from partners as the lowercase
hex HMAC-SHA256 of the 18-character upper-case number under the city's MATCHING_KEY, so that a
partner answering a match request never learns Relief's list in clear.

Matching hashed rows at scale needs every person's hash at hand: PersonKey keeps one per person,
refreshed set-based by `person_keys_refresh` (in SQL with pgcrypto's hmac() on PostgreSQL)."""

import hashlib
import hmac

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction

from cases.models import Person

from .models import PersonKey

HASH_LENGTH = 64


def matching_key() -> bytes:
    key = settings.MATCHING_KEY
    if not key:
        raise ImproperlyConfigured("MATCHING_KEY is not set: hashed ID numbers cannot be made.")
    return key.encode()


def hash_id(id_number: str) -> str:
    """64 lowercase hex characters: HMAC-SHA256 of the upper-case ID number."""
    return hmac.new(matching_key(), id_number.upper().encode(), hashlib.sha256).hexdigest()


@transaction.atomic
def person_keys_refresh() -> int:
    """Give every person their current hash (new people, corrected ID numbers, a new key) in
    one statement; returns the number of keys written."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                INSERT INTO {PersonKey._meta.db_table} (person_id, key_hash)
                SELECT p.id, encode(hmac(upper(p.id_number), %s, 'sha256'), 'hex')
                  FROM {Person._meta.db_table} p
                ON CONFLICT (person_id) DO UPDATE SET key_hash = EXCLUDED.key_hash
                 WHERE {PersonKey._meta.db_table}.key_hash <> EXCLUDED.key_hash
                """,
                [settings.MATCHING_KEY],
            )
            return cursor.rowcount
    current = dict(PersonKey.objects.values_list("person_id", "key_hash"))
    keys = [
        PersonKey(person_id=pk, key_hash=hash_id(number))
        for pk, number in Person.objects.values_list("pk", "id_number").iterator()
    ]
    changed = [key for key in keys if current.get(key.person_id) != key.key_hash]
    PersonKey.objects.filter(person_id__in=[key.person_id for key in changed]).delete()
    PersonKey.objects.bulk_create(changed, batch_size=1000)
    return len(changed)


@register(Tags.security, deploy=True)
def matching_key_set(app_configs, **kwargs):
    """Production must hash with the city's own key, from the environment."""
    if settings.MATCHING_KEY_FROM_ENV:
        return []
    return [
        Error(
            "MATCHING_KEY is not set in the environment: partner extracts keyed by hashed ID "
            "numbers cannot be matched, and match requests cannot be hashed.",
            hint="Set MATCHING_KEY to a long random secret shared with the partner agencies.",
            id="audit.E001",
        )
    ]
