"""The project's own 404 and 500 pages, with DEBUG on as well.

With DEBUG on, Django answers a missing page and an uncaught exception with its technical
pages (the URL patterns tried, the traceback) instead of the URL configuration's handler404 and
handler500. `make run` runs with DEBUG on, so demo users and testers met English debug pages
where production shows templates/404.html and templates/500.html. This middleware gives them the
project's pages; the traceback of a 500 still goes to the console log (the `django.request`
logger), where the developer running the server reads it. Without DEBUG it does nothing: Django
already uses the handlers.
"""

import logging

from django.conf import settings
from django.core import signals
from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.http import Http404
from django.http.multipartparser import MultiPartParserError
from django.urls import Resolver404, get_resolver, get_urlconf

logger = logging.getLogger("django.request")

# Exceptions whose pages Django already takes from the handlers (403, 400), or whose 400 page
# is no part of this middleware's job: left to Django.
_LEFT_TO_DJANGO = (PermissionDenied, BadRequest, SuspiciousOperation, MultiPartParserError)


def _handler(request, status_code: int):
    urlconf = getattr(request, "urlconf", None) or get_urlconf()
    return get_resolver(urlconf).resolve_error_handler(status_code)


class ProjectErrorPagesMiddleware:
    """Last in MIDDLEWARE, so that the pages it renders have the user, the language and the
    messages of the request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            settings.DEBUG
            and response.status_code == 404
            and getattr(request, "resolver_match", None) is None
        ):
            # No URL pattern matched: with DEBUG, Django answered with its technical 404 page.
            # (A 404 that a matched view returned itself is the view's answer and stays.)
            response = _handler(request, 404)(
                request, exception=Resolver404({"path": request.path_info})
            )
        return response

    def process_exception(self, request, exception):
        if not settings.DEBUG or isinstance(exception, _LEFT_TO_DJANGO):
            return None
        if isinstance(exception, Http404):
            return _handler(request, 404)(request, exception=exception)
        # As Django does for an uncaught exception: the signal, then the traceback in the log.
        signals.got_request_exception.send(sender=None, request=request)
        logger.error(
            "Internal Server Error: %s",
            request.path,
            exc_info=(type(exception), exception, exception.__traceback__),
            extra={"status_code": 500, "request": request},
        )
        return _handler(request, 500)(request)
