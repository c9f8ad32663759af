"""The API's token authentication (settings.REST_FRAMEWORK): `Authorization: Token <key>`, with
the tokens' lifetime checked on every request (relief/tokens.py). A module of its own, apart
from the endpoints, because DRF imports it while its own views module is still loading.

Our own small model and class rather than DRF's authtoken, whose tokens never expire, are one
per user and are stored in clear. django-rest-knox would expire them, but it answers an expired
token with the same "Invalid token." as a wrong one, and has no idle limit beside the absolute
one other than moving the expiry forward on every request."""

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from . import tokens


class ExpiringTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>`: a key we issued (relief.tokens), still within its idle and
    absolute limits, of an active user. An expired token is deleted and answered with 401 and
    a message that says it expired, so that a client knows to obtain a new one."""

    def authenticate_credentials(self, key):
        now = timezone.now()
        token = tokens.token_find(key=key)
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        expiry = tokens.token_expiry(token, now=now)
        if expiry is not None:
            tokens.token_revoke(token=token)
            if expiry == "idle":
                message = _(
                    "The token has expired: it was not used for %(minutes)d minutes. Obtain a "
                    "new one from /api/v1/auth/token/."
                ) % {"minutes": int(settings.API_TOKEN_IDLE_TIMEOUT.total_seconds() // 60)}
            else:
                message = _(
                    "The token has expired: it was issued more than %(hours)g hours ago. Obtain "
                    "a new one from /api/v1/auth/token/."
                ) % {"hours": settings.API_TOKEN_MAX_AGE.total_seconds() / 3600}
            raise exceptions.AuthenticationFailed(message, code="token_expired")
        tokens.token_touch(token, now=now)
        return (token.user, token)
