from django.conf import settings
from django.contrib import admin
from django.contrib.auth import urls as auth_urls
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from cases.views import public as public_views
from cases.views.start import start

# Log in, log out and change one's password. Resetting a forgotten password mails a link, so
# those pages exist only when mail really leaves the server (settings.PASSWORD_RESET_BY_MAIL):
# without mail they would promise a message nobody receives.
account_urlpatterns = [
    pattern
    for pattern in auth_urls.urlpatterns
    if settings.PASSWORD_RESET_BY_MAIL or not pattern.name.startswith("password_reset")
]

urlpatterns = [
    # Each role's start page (cases/views/start.py); LOGIN_REDIRECT_URL leads here too.
    path("", start, name="start"),
    path("accounts/", include(account_urlpatterns)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("cases/", include("cases.urls")),
    path("payments/", include("payments.urls")),
    path("audit/", include("audit.urls")),
    # The public notice board needs no login (DOMAIN.md §2, §7).
    path("public/notices/", public_views.notice_board, name="public-notices"),
    path("api/v1/", include("config.api_urls")),
    # The schema answers signed-in users only (SPECTACULAR_SETTINGS["SERVE_PERMISSIONS"]). The
    # docs page sends visitors to the login page, and is Swagger UI from the app's own static
    # files with its start-up script as a file of its own (?script), as the CSP requires.
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "api/docs/",
        login_required(
            SpectacularSwaggerSplitView.as_view(
                url_name="schema", template_name="relief/swagger_ui.html"
            )
        ),
        name="swagger-ui",
    ),
]
