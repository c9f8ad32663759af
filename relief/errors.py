import contextlib

from django.core.exceptions import ValidationError


class NestedValidationError(ValidationError):
    """A ValidationError that keeps a nested structure, such as one dict of field errors per
    household member, so the API can answer `{"members": [{}, {"id_number": ["..."]}]}`.
    Its `message_dict` flattens the nesting to "members[2].id_number" for pages and reports."""

    def __init__(self, detail: dict):
        self.detail = detail
        super().__init__(dict(_flatten(detail)))


def _flatten(detail, prefix=""):
    if isinstance(detail, dict):
        for key, value in detail.items():
            yield from _flatten(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(detail, list) and detail and all(isinstance(v, dict) for v in detail):
        for index, value in enumerate(detail, start=1):
            yield from _flatten(value, f"{prefix}[{index}]")
    else:
        yield (
            prefix or "non_field_errors",
            [str(m) for m in (detail if isinstance(detail, list) else [detail])],
        )


def require_text(value: str, field: str, message: str) -> str:
    """`value` stripped; empty is an error on `field` (a reason, a finding, a note the rule
    asks for)."""
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: message})
    return value


def state_error(instance, action: str, message: str, *, lower: bool = True) -> ValidationError:
    """The one refusal of a step that the object's state does not allow, under the key `state`.
    `message` is the object's own sentence, e.g. "Cannot %(action)s: the batch is %(state)s
    (%(code)s).", filled with the action, the state's label (lower case unless `lower` is off)
    and its code."""
    label = instance.get_state_display()
    return ValidationError(
        {
            "state": message
            % {
                "action": action,
                "state": label.lower() if lower else label,
                "code": instance.state,
            }
        }
    )


class Errors:
    """Field errors gathered from several checks, so that a service refuses once with all of
    them (a form then shows every problem in one pass, not one per submission):

        errors = Errors()
        with errors.check():
            ...  # a check that may raise ValidationError; the rest of the block is skipped
        errors.add("reason", "Say why.")
        errors.raise_if_any()

    A ValidationError without fields goes under "non_field_errors"."""

    def __init__(self):
        self.fields: dict[str, list[str]] = {}

    def add(self, field: str, *messages) -> None:
        for message in messages:
            self.fields.setdefault(field, []).append(str(message))

    def merge(self, error: ValidationError) -> None:
        if hasattr(error, "error_dict"):
            for field, messages in error.message_dict.items():
                self.add(field, *messages)
        else:
            self.add("non_field_errors", *error.messages)

    @contextlib.contextmanager
    def check(self):
        try:
            yield
        except ValidationError as error:
            self.merge(error)

    def __bool__(self) -> bool:
        return bool(self.fields)

    def raise_if_any(self) -> None:
        if self.fields:
            raise ValidationError(self.fields)
