"""API tokens: a username and password exchanged for a token, through the same lockout as the
login page."""

from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from relief.api_parsers import JSONParser


class AccountLockedOut(exceptions.APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_detail = _(
        "Too many failed logins: this account is locked for a while. Try again later, or ask an "
        "administrator to unlock it."
    )
    default_code = "locked_out"


class TokenObtainApi(APIView):
    """Exchange a username and password for an API token (DRF authtoken), then send
    `Authorization: Token <key>` with every request.

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
        token, _created = Token.objects.get_or_create(user=user)
        # A token issued is a login: the audit event, last_login, and axes' reset of failures.
        user_logged_in.send(sender=user.__class__, request=request, user=user)
        return Response(self.TokenSerializer({"token": token.key}).data)
