from django.urls import include, path

from .api import TokenObtainApi

urlpatterns = [
    path("auth/token/", TokenObtainApi.as_view(), name="api-token"),
    path("", include("cases.api_urls")),
]
