"""API plumbing shared by every app: an exception handler that turns model validation errors
into DRF's 400 shape, so that no request ends in a 500 for bad input."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler

from relief.errors import NestedValidationError


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
