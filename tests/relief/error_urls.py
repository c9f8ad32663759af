"""A URL configuration for the error-page tests: the site's, plus a page that fails and a page
that raises Http404."""

from django.http import Http404
from django.urls import path

from config.urls import urlpatterns as site_urlpatterns


def fails(request):
    raise RuntimeError("a bug in a view")


def missing(request):
    raise Http404("no such household")


urlpatterns = [
    path("test-errors/fails/", fails),
    path("test-errors/missing/", missing),
    *site_urlpatterns,
]
