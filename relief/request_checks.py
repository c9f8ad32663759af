"""One rule for every request, before any view reads it: no control characters in what a person
or a client sends. A NUL reaching PostgreSQL in a filter, a path or a form field is a 500
("A string literal cannot contain NUL"); no page, parameter or form field of Relief has any use
for the other C0 control characters either.

- the path and every query parameter (names and values, decoded): no C0 control character at
  all (U+0000 to U+001F);
- the fields of a posted form (URL-encoded or multipart, names and values, and the names of
  uploaded files): none but tab, line feed and carriage return, which a text area may hold.

Such a request is answered 400 naming the parameter or field and the rule: JSON under /api/
(`{"<name>": ["..."]}`, or `{"detail": "..."}` for the path), plain text elsewhere. JSON bodies
are left to DRF, whose text fields refuse NUL themselves."""

import re

from django.http import HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext as _

IN_ADDRESS = re.compile(r"[\x00-\x1f]")
IN_FORM = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _shown(name: str) -> str:
    return IN_ADDRESS.sub("\N{REPLACEMENT CHARACTER}", name)


def _first_bad(data, pattern: re.Pattern) -> str | None:
    """The name of the first parameter whose name or a value contains `pattern`."""
    for name, values in data.lists():
        if pattern.search(name) or any(pattern.search(str(value)) for value in values):
            return name
    return None


def control_character_refusal(request) -> tuple[str, str] | None:
    """(the parameter or field, the rule it breaks), or None when the request is clean."""
    if IN_ADDRESS.search(request.path_info):
        return "", _(
            "The address contains a control character (such as NUL), which no address may hold."
        )
    name = _first_bad(request.GET, IN_ADDRESS)
    if name is not None:
        return name, _(
            "The parameter “%(name)s” contains a control character (such as NUL), which no "
            "parameter may hold."
        ) % {"name": _shown(name)}
    if request.method == "POST" and request.content_type in FORM_TYPES:
        name = _first_bad(request.POST, IN_FORM)
        if name is None:
            for field, upload in request.FILES.items():
                if IN_FORM.search(field) or IN_FORM.search(upload.name or ""):
                    name = field
                    break
        if name is not None:
            return name, _(
                "The field “%(name)s” contains a control character (such as NUL); only tabs "
                "and line breaks are allowed."
            ) % {"name": _shown(name)}
    return None


class ControlCharactersMiddleware:
    """Answers 400 for a request with a control character where none belongs (module
    docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        refusal = control_character_refusal(request)
        if refusal is None:
            return self.get_response(request)
        name, rule = refusal
        if request.path_info.startswith("/api/"):
            return JsonResponse({_shown(name): [rule]} if name else {"detail": rule}, status=400)
        return HttpResponseBadRequest(rule, content_type="text/plain; charset=utf-8")
