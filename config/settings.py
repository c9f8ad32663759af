"""Relief settings: one module, every deployment difference comes from the environment.

DATABASE_URL  default: SQLite file under var/ (quick start)
REDIS_URL     unset: Celery runs tasks eagerly in-process
SECRET_KEY    required unless DEBUG (then a development secret is kept under var/)
MATCHING_KEY  HMAC key of hashed ID numbers in partner extracts; required unless DEBUG
DEBUG         off unless set to a true value
ALLOWED_HOSTS comma-separated
"""

import datetime
import os
import secrets
import sys
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("RELIEF_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(exist_ok=True)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG")
TESTING = "pytest" in sys.modules


def _secret_key() -> str:
    """SECRET_KEY from the environment; without one (a developer's machine), a secret generated
    once and kept under var/, never in the repository. `check --deploy` warns when it is unset."""
    key = os.environ.get("SECRET_KEY", "")
    if key:
        return key
    path = VAR_DIR / "dev-secret-key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()


def _matching_key() -> str:
    """MATCHING_KEY: the city's key for hashed ID numbers in partner extracts (REGISTRIES.md,
    audit/keys.py). From the environment; in DEBUG without one, a key generated once under
    var/ like the development secret. Production without it fails `check --deploy`
    (audit.E001) and cannot hash: partners answer hashed match requests under this key."""
    key = os.environ.get("MATCHING_KEY", "")
    if key or not (DEBUG or TESTING):
        return key
    path = VAR_DIR / "dev-matching-key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
    return path.read_text().strip()


MATCHING_KEY = _matching_key()
MATCHING_KEY_FROM_ENV = bool(os.environ.get("MATCHING_KEY"))
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1" if DEBUG or TESTING else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "simple_history",
    "axes",
    "relief",
    "cases",
    "payments",
    "audit",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "relief.request_checks.ControlCharactersMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A partner's account reaches its own pages only (audit/middleware.py).
    "audit.middleware.PartnerConfinementMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
    # Last: with DEBUG on too, a missing page and a server error get templates/404.html and
    # 500.html (the traceback goes to the console log), not Django's technical pages.
    "relief.middleware.ProjectErrorPagesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "cases.context_processors.staff",
                "cases.context_processors.workflow",
            ],
            # Money and staff names are shown one way on every page (relief/templatetags).
            "builtins": ["relief.templatetags.display"],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'relief.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
# After logging in: the page `?next=` names when it is on this site, else the role's start page.
LOGIN_REDIRECT_URL = "start"
LOGOUT_REDIRECT_URL = "login"

# Lock an account (per username) after 5 failed logins for 30 minutes.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.5  # hours
AXES_LOCKOUT_PARAMETERS = ["username"]
# Lock per account, not per address: a town service hall's staff share one NAT address, and
# locking by IP would lock the whole hall out after one person's typos.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

# Sessions end after 30 minutes of inactivity.
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = True

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or TESTING
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "media/"
# Uploaded documents: PDF, JPEG, PNG, checked by content.
DOCUMENT_MAX_BYTES = int(os.environ.get("DOCUMENT_MAX_BYTES", str(10 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# API tokens (relief/tokens.py) end after this long without use, and this long after they were
# issued, whichever comes first.
API_TOKEN_IDLE_TIMEOUT = datetime.timedelta(
    minutes=int(os.environ.get("API_TOKEN_IDLE_MINUTES", "30"))
)
# Which users belong to a partner agency and reach only their own endpoints (relief.api).
RELIEF_PARTNER_TEST = "cases.permissions.is_partner"
API_TOKEN_MAX_AGE = datetime.timedelta(hours=int(os.environ.get("API_TOKEN_MAX_HOURS", "12")))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "relief.authentication.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # DRF's JSON parser refusing bodies nested too deep (a RecursionError would be a 500).
    "DEFAULT_PARSER_CLASSES": [
        "relief.api_parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "relief.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Relief API",
    "DESCRIPTION": "Case management for social assistance administration.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # The schema and the docs are for signed-in users (a session or a token) only.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Swagger UI from the app's own static files (drf-spectacular-sidecar), never a CDN: the
    # docs work on an intranet without internet access, and the CSP names no other origin.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # validatorUrl None: Swagger UI would otherwise send the schema to validator.swagger.io.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
}

# Content-Security-Policy on every response (django-csp): scripts, styles, images, fonts and
# requests from this site only; no inline script, no style attribute, no <style> element, no
# plugin, no framing. Pages keep their JavaScript in static/js/ and their CSS in the
# stylesheets. data: images: Swagger UI's stylesheet draws its icons as data: SVGs.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE: dict = {
    # Reminders, escalation and breach records of the working-day clocks (cases/tasks.py), at
    # 06:00 Asia/Shanghai (CELERY_TIMEZONE), before the offices open.
    # One task per town (cases.clocks_sweep_all fans out).
    "cases-clocks-sweep": {"task": "cases.clocks_sweep_all", "schedule": crontab(hour=6, minute=0)},
    # Re-check reminders and finished gradual exits (cases/tasks.py).
    "cases-grants-daily": {"task": "cases.grants_daily", "schedule": crontab(hour=6, minute=10)},
    # Next month's payment run on the 20th at 02:00 (payments/tasks.py), leaving days for the
    # batches' submission and approval before the month starts.
    "payments-monthly-run": {
        "task": "payments.monthly_run",
        "schedule": crontab(day_of_month=20, hour=2, minute=0),
    },
    # Approved temporary assistance into each town's daily disbursement batch at 07:00 (one
    # task per town; payments.disbursement_run_all fans out).
    "payments-disbursement-run": {
        "task": "payments.disbursement_run_all",
        "schedule": crontab(hour=7, minute=0),
    },
    # Reassessments of confirmed schedule entries that reach back into paid months: recovery
    # and back-pay orders for a supervisor to confirm (payments/corrections.py).
    "payments-reassess-pending": {
        "task": "payments.reassess_pending",
        "schedule": crontab(hour=6, minute=20),
    },
    # The monthly data check at 03:00: the task itself goes on only on the first working day
    # of the month (relief.workdays), checking the month just ended, one task per town
    # (audit/tasks.py).
    "audit-monthly-check": {"task": "audit.monthly_check", "schedule": crontab(hour=3, minute=0)},
    # The findings' working-day clock: due dates, reminders and breaches (audit/tasks.py).
    "audit-findings-daily": {
        "task": "audit.findings_daily",
        "schedule": crontab(hour=6, minute=30),
    },
}

# Mail: SMTP when EMAIL_HOST is set, else printed to the console (nothing leaves the machine).
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "webmaster@localhost")
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND") or (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
# Backends that deliver no mail to anybody: with one of them, a password-reset link would
# never reach the user (on the console it would reach whoever reads the server's log).
_UNDELIVERED_MAIL = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
}
# The password-reset pages exist only when mail is really sent (config/urls.py).
PASSWORD_RESET_BY_MAIL = EMAIL_BACKEND not in _UNDELIVERED_MAIL

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# Production hardening; `manage.py check --deploy --fail-level WARNING` passes with DEBUG off.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECRET_KEY_FROM_ENV = bool(os.environ.get("SECRET_KEY"))
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG and not TESTING)
SESSION_COOKIE_SECURE = not DEBUG and not TESTING
CSRF_COOKIE_SECURE = not DEBUG and not TESTING
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = 0 if DEBUG else int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
