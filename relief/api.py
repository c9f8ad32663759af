"""The API kit every app builds on: the exception handler that turns a service's validation
errors into DRF's 400 shape (no request ends in a 500 for bad input), the base endpoint with
pagination and validated filters, and the strict input fields (unknown keys refused, IDs as
text only, ids within a 64-bit column, months as YYYY-MM, money to the fen). Request bodies are
parsed by relief/api_parsers.py."""

import re
from collections.abc import Mapping
from itertools import zip_longest

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, serializers
from rest_framework.fields import SkipField, empty
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from relief.errors import NestedValidationError
from relief.forms import MAX_ID
from relief.names import normalise_name, validate_name


def exception_handler(exc, context):
    if isinstance(exc, NestedValidationError):
        exc = exceptions.ValidationError(exc.detail)
    elif isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            detail = {field: [str(m) for m in msgs] for field, msgs in exc.message_dict.items()}
        else:
            detail = {"non_field_errors": list(exc.messages)}
        exc = exceptions.ValidationError(detail)
    return drf_exception_handler(exc, context)


def valid_parts(serializer) -> dict:
    """The values of a request body's fields that passed their own checks, when the body as a
    whole did not: an endpoint asks its service's check about them too, so that the answer
    lists every problem at once (merge_errors), not one layer's problems per request. A list
    of nested bodies (a household's members) is read item by item, field by field."""
    return _valid_parts(serializer, serializer.initial_data, serializer.errors)


def _valid_parts(serializer, data, errors) -> dict:
    if not isinstance(data, Mapping):
        return {}
    errors = errors if isinstance(errors, Mapping) else {}
    values = {}
    for name, field in serializer.fields.items():
        if field.read_only:
            continue
        raw = data.get(name, empty)
        if name in errors:
            items = errors[name]
            if isinstance(field, serializers.ListSerializer) and isinstance(raw, list):
                if isinstance(items, list) and len(items) == len(raw):
                    values[name] = [
                        _valid_parts(field.child, item, item_errors)
                        for item, item_errors in zip(raw, items, strict=True)
                    ]
            continue
        try:
            values[name] = field.run_validation(raw)
        except (serializers.ValidationError, DjangoValidationError, SkipField):
            continue
    return values


def merge_errors(shape, rules):
    """A body's own errors (`shape`) and its service's (`rules`) in one answer, field by field
    and, in a list of nested bodies, item by item; a field with an error of its own keeps it
    alone (the service's check of it read nothing valid)."""
    if not isinstance(shape, Mapping) or not isinstance(rules, Mapping):
        return shape
    merged = dict(shape)
    for key, value in rules.items():
        if key not in merged:
            merged[key] = value
            continue
        mine = merged[key]
        if _dicts(mine) and _dicts(value):
            merged[key] = [
                merge_errors(dict(a or {}), dict(b or {}))
                for a, b in zip_longest(mine, value, fillvalue={})
            ]
    return merged


def _dicts(value) -> bool:
    return isinstance(value, list) and all(isinstance(item, Mapping) for item in value)


class NotPartnerAccount(BasePermission):
    """Accounts of people outside the bureau (a partner agency's registry provider) reach only
    the endpoints made for them, not even the reference data every member of staff reads
    (towns, villages, income types, the calendar). Which users are partners is the role
    layer's rule, named by settings.RELIEF_PARTNER_TEST (this kernel knows no roles)."""

    message = _("Your account may use only the registry upload endpoints.")

    def has_permission(self, request, view):
        return not import_string(settings.RELIEF_PARTNER_TEST)(request.user)


class ResourceTagSchema(AutoSchema):
    """Tags each operation with its resource: /api/v1/households/{id}/ is under "households"."""

    def get_tags(self) -> list[str]:
        parts = [part for part in self.path.split("/") if part]
        return [parts[2]] if len(parts) > 2 and parts[:2] == ["api", "v1"] else super().get_tags()


class Api(APIView):
    # Base of every app's endpoints (a comment, not a docstring: docstrings become the
    # endpoints' descriptions in the schema). Each app's base adds its permission classes.
    schema = ResourceTagSchema()
    permission_classes = [IsAuthenticated, NotPartnerAccount]
    pagination_class = api_settings.DEFAULT_PAGINATION_CLASS

    def paginated(self, queryset, serializer_class) -> Response:
        """One page of `queryset` as {"count", "next", "previous", "results"}."""
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(queryset, self.request, view=self)
        serializer = serializer_class(page, many=True, context={"request": self.request})
        return paginator.get_paginated_response(serializer.data)

    def filters(self, serializer_class) -> dict:
        """Validated query parameters; a malformed filter is a 400 naming the parameter."""
        serializer = serializer_class(data=self.request.query_params)
        serializer.is_valid(raise_exception=True)
        return {k: v for k, v in serializer.validated_data.items() if v not in (None, "")}

    def validated(self, serializer_class) -> dict:
        """The validated request body; a field the endpoint does not know is a 400
        (InputSerializer)."""
        serializer = serializer_class(data=self.request.data, context={"request": self.request})
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)


# A larger number than MAX_ID in a filter is a 400, not a database overflow.


def id_filter(**kwargs) -> serializers.IntegerField:
    """An optional query parameter holding a row id."""
    return serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID, **kwargs)


class StrictCharField(serializers.CharField):
    """A CharField that refuses numbers and booleans. An ID number sent as a JSON number has
    already lost its meaning (a leading zero, the X check character), so it is a type error."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class NameField(StrictCharField):
    """A person's or a place's name (relief.names): normalised (NFKC, spaces), then refused when
    it shows no visible character or holds a control or format character."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators.append(validate_name)

    def to_internal_value(self, data):
        return normalise_name(super().to_internal_value(data))


class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A related object looked up only among the rows the requesting user may see (through a
    cases.selectors `*_in_scope` function): another town's object gets the same "does not exist"
    answer as one that does not exist at all."""

    def __init__(self, *, scope, model, **kwargs):
        self.scope = scope
        # The queryset only tells the schema generator the model; lookups use get_queryset.
        kwargs["queryset"] = model.objects.none()
        super().__init__(**kwargs)

    def get_queryset(self):
        return self.scope(self.context["request"].user)


class ReasonField(serializers.CharField):
    """Why a change is made; it goes into the history row with the actor."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 500)
        kwargs.setdefault("help_text", _("Why the change is made; kept in the history."))
        super().__init__(**kwargs)


class InputSerializer(serializers.Serializer):
    """Base of request bodies: a field the endpoint does not know is an error, not silently
    dropped (a PATCH of `town` or a typo such as `village_id` must not look like success)."""

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            unknown = sorted(str(key) for key in data if key not in self.fields)
            if unknown:
                raise serializers.ValidationError(
                    {key: [_("This field is not accepted here.")] for key in unknown}
                )
        return super().to_internal_value(data)


class OptionalBooleanField(serializers.BooleanField):
    """A boolean that is left out when it is not sent, in form data as in JSON (DRF's
    BooleanField reads a missing form field as an unticked checkbox, i.e. False)."""

    default_empty_html = serializers.empty


def named_choice_field(choices_class, component_name: str):
    """A ChoiceField class whose enum has its own schema component. Asset.Kind and
    Document.Kind are both called `kind`; without their own names drf-spectacular would call
    them KindXXXEnum."""

    description = "\n".join(f"* `{value}` - {label}" for value, label in choices_class.choices)

    @extend_schema_field(
        {"type": "string", "enum": list(choices_class.values), "description": description},
        component_name=component_name,
    )
    class NamedChoiceField(serializers.ChoiceField):
        def __init__(self, **kwargs):
            super().__init__(choices=choices_class.choices, **kwargs)

    NamedChoiceField.__name__ = NamedChoiceField.__qualname__ = f"{component_name}Field"
    return NamedChoiceField


def username(source: str) -> serializers.CharField:
    """The username of the user at `source` (a foreign key), null when there is none."""
    return serializers.CharField(source=f"{source}.username", allow_null=True)


def money_field(**kwargs) -> serializers.DecimalField:
    """Yuan to the fen, as a string in JSON ("900.01")."""
    return serializers.DecimalField(max_digits=14, decimal_places=2, **kwargs)


MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"


@extend_schema_field({"type": "string", "pattern": MONTH_PATTERN, "example": "2024-03"})
class MonthField(serializers.DateField):
    """A month as "YYYY-MM", read as the date of its first day (and written as that date)."""

    default_error_messages = {"month": _("Give the month as YYYY-MM, e.g. 2024-03.")}

    def to_internal_value(self, value):
        text = value.strip() if isinstance(value, str) else ""
        if not re.match(MONTH_PATTERN, text):
            self.fail("month")
        try:
            return super().to_internal_value(f"{text}-01")
        except serializers.ValidationError:
            self.fail("month")  # a month no date holds, such as 0000-03
