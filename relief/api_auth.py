"""API tokens over HTTP: a username and password exchanged for a token, through the same lockout
as the login page, and the endpoint with which a client ends its own token. The class that
checks a token on every request: relief/authentication.py; the tokens themselves:
relief/tokens.py."""

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from . import tokens
from .api_parsers import JSONParser
from .authentication import ExpiringTokenAuthentication
from .models import ApiToken


def lifetime_text() -> str:
    minutes = int(settings.API_TOKEN_IDLE_TIMEOUT.total_seconds() // 60)
    hours = settings.API_TOKEN_MAX_AGE.total_seconds() / 3600
    return (
        f"A token expires after {minutes} minutes without use and {hours:g} hours after it was "
        "issued, whichever comes first; an expired token is answered with 401. Logging out of "
        "a browser session or changing the password deletes all of the user's tokens; "
        "POST /api/v1/auth/token/revoke/ deletes the token it is sent with."
    )


class ExpiringTokenScheme(OpenApiAuthenticationExtension):
    """The schema's tokenAuth scheme, with the tokens' lifetime in its description."""

    target_class = "relief.authentication.ExpiringTokenAuthentication"
    name = "tokenAuth"
    priority = 1

    def get_security_definition(self, auto_schema):
        definition = build_bearer_security_scheme_object(
            header_name="Authorization", token_prefix=self.target.keyword
        )
        definition["description"] = (
            'Token-based authentication with required prefix "Token". ' + lifetime_text()
        )
        return definition


class AccountLockedOut(exceptions.APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_detail = _(
        "Too many failed logins: this account is locked for a while. Try again later, or ask an "
        "administrator to unlock it."
    )
    default_code = "locked_out"


class TokenObtainApi(APIView):
    """Exchange a username and password for a new API token, then send
    `Authorization: Token <key>` with every request. Each call issues a new token.

    A token expires after 30 minutes without use and 12 hours after it was issued, whichever
    comes first (the server's API_TOKEN_IDLE_MINUTES and API_TOKEN_MAX_HOURS; the answer says
    when); a request with an expired token is answered with 401. Logging out of a browser
    session or changing the password deletes all of the user's tokens.

    The password check goes through django-axes like the login page: failures count against
    the account, and a locked account is refused (429) even with the right password."""

    authentication_classes = []
    permission_classes = [AllowAny]
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    class TokenObtainSerializer(serializers.Serializer):
        username = serializers.CharField(max_length=150)
        password = serializers.CharField(
            max_length=4096, trim_whitespace=False, style={"input_type": "password"}
        )

    class TokenSerializer(serializers.Serializer):
        token = serializers.CharField()
        expires_at = serializers.DateTimeField(
            help_text="When the token ends at the latest, however often it is used."
        )
        idle_timeout = serializers.IntegerField(
            help_text="Seconds without use after which the token ends."
        )

    @extend_schema(
        operation_id="auth_token_create",
        summary="Obtain an API token",
        tags=["auth"],
        auth=[],
        request={
            "application/json": TokenObtainSerializer,
            "application/x-www-form-urlencoded": TokenObtainSerializer,
            "multipart/form-data": TokenObtainSerializer,
        },
        responses={
            200: TokenSerializer,
            400: OpenApiResponse(description="Wrong username or password, or missing fields."),
            429: OpenApiResponse(description="Too many failed logins: the account is locked."),
        },
    )
    def post(self, request):
        serializer = self.TokenObtainSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        username = serializer.validated_data["username"]
        password = serializer.validated_data["password"]
        if AxesProxyHandler.is_locked(request, {"username": username}):
            raise AccountLockedOut()
        # The DRF request goes to axes so that its flags stay on this request object and this
        # view, not AxesMiddleware's HTML lockout page, answers.
        user = authenticate(request=request, username=username, password=password)
        if user is None:
            if getattr(request, "axes_locked_out", False):
                raise AccountLockedOut()  # this failure was the one that locked the account
            raise exceptions.ValidationError(
                {"non_field_errors": [_("Unable to log in with the given username and password.")]},
                code="authorization",
            )
        token, key = tokens.token_issue(user=user)
        # A token issued is a login: the audit event, last_login, and axes' reset of failures.
        user_logged_in.send(sender=user.__class__, request=request, user=user)
        return Response(
            self.TokenSerializer(
                {
                    "token": key,
                    "expires_at": tokens.token_expires_at(token),
                    "idle_timeout": int(settings.API_TOKEN_IDLE_TIMEOUT.total_seconds()),
                }
            ).data
        )


class TokenRevokeApi(APIView):
    """End the API token this request is sent with (for example when a script finishes). The
    user's other tokens stay; logging out of a browser session ends them all."""

    authentication_classes = [ExpiringTokenAuthentication]
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="auth_token_revoke",
        summary="Revoke the API token of this request",
        tags=["auth"],
        request=None,
        responses={
            204: OpenApiResponse(description="The token is deleted."),
            401: OpenApiResponse(description="No token, or an invalid or expired one."),
        },
    )
    def post(self, request):
        if not isinstance(request.auth, ApiToken):
            raise exceptions.NotAuthenticated()  # signed in some other way: no token to end
        tokens.token_revoke(token=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)
