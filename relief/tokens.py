"""API tokens: issued for a username and password, ended by time, by their holder, by logging
out and by a password change.

A token ends after settings.API_TOKEN_IDLE_TIMEOUT without use (30 minutes by default, like a
session) and settings.API_TOKEN_MAX_AGE after it was issued (12 hours), whichever comes first.
Its use is written down at most once a minute (LAST_USED_RESOLUTION), so a client's burst of
requests costs one write, not one per request; the idle limit is therefore counted from a use
at most a minute older than the last one.
"""

import datetime
import hashlib
import secrets

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from .models import ApiToken

LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _expired_q(now: datetime.datetime) -> Q:
    return Q(last_used__lte=now - settings.API_TOKEN_IDLE_TIMEOUT) | Q(
        created__lte=now - settings.API_TOKEN_MAX_AGE
    )


def token_issue(*, user, now: datetime.datetime | None = None) -> tuple[ApiToken, str]:
    """A new token for `user`, and its key: the key is shown once and stored only as a digest.
    The user's tokens that have expired are deleted on the way."""
    now = now or timezone.now()
    ApiToken.objects.filter(_expired_q(now), user=user).delete()
    key = secrets.token_hex(20)
    token = ApiToken.objects.create(digest=digest(key), user=user, created=now, last_used=now)
    return token, key


def token_find(*, key: str) -> ApiToken | None:
    return ApiToken.objects.select_related("user").filter(digest=digest(key)).first()


def token_expiry(token: ApiToken, *, now: datetime.datetime) -> str | None:
    """Why the token has ended: "idle" (unused too long), "max_age" (issued too long ago), or
    None while it is valid."""
    if now - token.created >= settings.API_TOKEN_MAX_AGE:
        return "max_age"
    if now - token.last_used >= settings.API_TOKEN_IDLE_TIMEOUT:
        return "idle"
    return None


def token_expires_at(token: ApiToken) -> datetime.datetime:
    """When the token ends at the latest, however often it is used."""
    return token.created + settings.API_TOKEN_MAX_AGE


def token_touch(token: ApiToken, *, now: datetime.datetime) -> None:
    """Record a use: written only when the recorded one is a minute old or more."""
    if now - token.last_used >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used=now)
        token.last_used = now


def token_revoke(*, token: ApiToken) -> None:
    ApiToken.objects.filter(pk=token.pk).delete()


def tokens_revoke_all(*, user) -> int:
    """Delete every token of `user` (logging out, a changed password)."""
    deleted, _by_model = ApiToken.objects.filter(user=user).delete()
    return deleted
