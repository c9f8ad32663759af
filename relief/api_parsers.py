"""The API's JSON parser: DRF's, refusing (400) a body whose arrays and objects nest deeper than
MAX_JSON_DEPTH before it is parsed. A body of 100,000 "[" otherwise reaches Python's recursion
limit inside json (a RecursionError, a 500).

Registered in REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]. It lives apart from relief/api.py
because DRF reads that setting while rest_framework.views is first imported, which relief/api.py
itself imports: a parser defined there could not be loaded from the setting."""

import io
import re

from django.utils.translation import gettext
from rest_framework import exceptions, parsers

# No request body Relief takes is nested more than a few levels; 64 leaves room and stays far
# below Python's recursion limit, which a body of 100,000 "[" would otherwise hit (a 500).
MAX_JSON_DEPTH = 64
# A JSON string (its escapes included) or a bracket: brackets inside strings do not nest.
JSON_NESTING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)
OPENING = (b"[", b"{")
CLOSING = (b"]", b"}")


def json_depth_exceeds(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether the arrays and objects of a JSON text nest deeper than `limit`, found by
    scanning its brackets outside strings (no parsing, no recursion; stops at the first level
    too deep)."""
    depth = 0
    for match in JSON_NESTING.finditer(body):
        token = match.group()
        if token in OPENING:
            depth += 1
            if depth > limit:
                return True
        elif token in CLOSING:
            depth -= 1
    return False


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing (400) a body nested deeper than MAX_JSON_DEPTH before it is
    parsed (module docstring)."""

    def parse(self, stream, media_type=None, parser_context=None):
        body = stream.read() if stream is not None else b""
        if json_depth_exceeds(body):
            raise _too_deep()
        try:
            return super().parse(io.BytesIO(body), media_type, parser_context)
        except RecursionError:  # not reached within MAX_JSON_DEPTH; kept as the last word
            raise _too_deep() from None


def _too_deep() -> exceptions.ParseError:
    return exceptions.ParseError(
        gettext(
            "The JSON body is nested more than %(max)d levels deep (arrays and objects); no "
            "request needs that many."
        )
        % {"max": MAX_JSON_DEPTH},
        code="too_deep",
    )
