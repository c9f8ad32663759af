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
