"""Settings come from the environment; a production configuration passes Django's deployment checks.

Tests that need a fresh settings module (everything decided at import) start manage.py or a small
script in a subprocess with a controlled environment: there, pytest is not imported, so the
settings behave as in production.
"""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from config.settings import env_bool, env_list

BASE_DIR = Path(__file__).resolve().parent.parent
# Variables the settings read; each subprocess starts without them unless a test sets them.
SETTINGS_VARIABLES = (
    "DEBUG",
    "SECRET_KEY",
    "MATCHING_KEY",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "REDIS_URL",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "CSRF_TRUSTED_ORIGINS",
    "MEDIA_ROOT",
    "STATIC_ROOT",
    "AXES_FAILURE_LIMIT",
    "EMAIL_HOST",
    "EMAIL_BACKEND",
    "API_TOKEN_IDLE_MINUTES",
    "API_TOKEN_MAX_HOURS",
)
PRODUCTION = {
    "SECRET_KEY": secrets.token_urlsafe(50),
    "MATCHING_KEY": secrets.token_hex(32),
    "ALLOWED_HOSTS": "relief.example.org",
}


def environment(tmp_path, **variables):
    # A fresh process as a deployment would start it: none of the test run's own variables.
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in SETTINGS_VARIABLES and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    env["RELIEF_VAR_DIR"] = str(tmp_path / "var")
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    env.update(variables)
    return env


def deploy_check(tmp_path, **variables):
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=environment(tmp_path, **variables),
        capture_output=True,
        text=True,
        timeout=120,
    )


def settings_in_subprocess(tmp_path, *names, **variables):
    """The named settings as a fresh process sees them with these environment variables."""
    script = (
        "import json, sys\n"
        "from django.conf import settings\n"
        "print(json.dumps({n: getattr(settings, n) for n in sys.argv[1:]}, default=str))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, *names],
        cwd=BASE_DIR,
        env=environment(tmp_path, **variables),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- time, language, sessions ------------------------------------------------------------------


def test_time_is_china_standard_time_and_aware():
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.USE_TZ is True


def test_ui_is_simplified_chinese_with_english_selectable():
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert settings.USE_I18N is True
    assert {code for code, _ in settings.LANGUAGES} == {"zh-hans", "en"}
    assert "django.middleware.locale.LocaleMiddleware" in settings.MIDDLEWARE


def test_session_ends_after_thirty_minutes_of_inactivity():
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    # Every request renews the expiry: the 30 minutes count from the last activity.
    assert settings.SESSION_SAVE_EVERY_REQUEST is True


def test_account_locks_after_five_failed_logins_per_username():
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_LOCKOUT_PARAMETERS == ["username"]


# --- parsing environment values -----------------------------------------------------------------


@pytest.mark.parametrize("value", ["0", "false", "False", "no", "off", "", "  "])
def test_false_like_values_turn_a_flag_off(monkeypatch, value):
    monkeypatch.setenv("RELIEF_TEST_FLAG", value)
    assert env_bool("RELIEF_TEST_FLAG") is False


@pytest.mark.parametrize("value", ["1", "true", "TRUE", "yes", "on", " true "])
def test_true_like_values_turn_a_flag_on(monkeypatch, value):
    monkeypatch.setenv("RELIEF_TEST_FLAG", value)
    assert env_bool("RELIEF_TEST_FLAG") is True


def test_unset_flag_takes_its_default(monkeypatch):
    monkeypatch.delenv("RELIEF_TEST_FLAG", raising=False)
    assert env_bool("RELIEF_TEST_FLAG") is False
    assert env_bool("RELIEF_TEST_FLAG", default=True) is True


def test_empty_flag_takes_its_default(monkeypatch):
    monkeypatch.setenv("RELIEF_TEST_FLAG", "")
    assert env_bool("RELIEF_TEST_FLAG", default=True) is True


def test_lists_are_comma_separated_and_trimmed(monkeypatch):
    monkeypatch.setenv("RELIEF_TEST_LIST", " relief.example.org, ,localhost ,")
    assert env_list("RELIEF_TEST_LIST") == ["relief.example.org", "localhost"]


# --- what a fresh process reads -----------------------------------------------------------------


def test_debug_is_off_unless_set(tmp_path):
    assert settings_in_subprocess(tmp_path, "DEBUG") == {"DEBUG": False}
    assert settings_in_subprocess(tmp_path, "DEBUG", DEBUG="0") == {"DEBUG": False}
    assert settings_in_subprocess(tmp_path, "DEBUG", DEBUG="1") == {"DEBUG": True}


def test_without_secret_key_a_development_secret_is_generated_once_under_var(tmp_path):
    first = settings_in_subprocess(tmp_path, "SECRET_KEY", DEBUG="1")["SECRET_KEY"]
    second = settings_in_subprocess(tmp_path, "SECRET_KEY", DEBUG="1")["SECRET_KEY"]
    assert len(first) >= 50
    assert first == second == (tmp_path / "var" / "dev-secret-key").read_text().strip()


def test_secret_key_from_the_environment_wins_and_nothing_is_written(tmp_path):
    key = secrets.token_urlsafe(50)
    seen = settings_in_subprocess(tmp_path, "SECRET_KEY", "SECRET_KEY_FROM_ENV", SECRET_KEY=key)
    assert seen == {"SECRET_KEY": key, "SECRET_KEY_FROM_ENV": True}
    assert not (tmp_path / "var" / "dev-secret-key").exists()


def test_quick_start_uses_sqlite_under_var_and_eager_celery(tmp_path):
    seen = settings_in_subprocess(
        tmp_path, "DATABASES", "CELERY_TASK_ALWAYS_EAGER", "CELERY_BROKER_URL", DEBUG="1"
    )
    assert seen["DATABASES"]["default"]["ENGINE"] == "django.db.backends.sqlite3"
    assert seen["DATABASES"]["default"]["NAME"] == str(tmp_path / "var" / "relief.sqlite3")
    assert seen["CELERY_TASK_ALWAYS_EAGER"] is True
    assert seen["CELERY_BROKER_URL"] == "memory://"


def test_database_and_redis_come_from_their_urls(tmp_path):
    seen = settings_in_subprocess(
        tmp_path,
        "DATABASES",
        "CELERY_TASK_ALWAYS_EAGER",
        "CELERY_BROKER_URL",
        DATABASE_URL="postgres://relief:pw@db.internal:5433/relief",
        REDIS_URL="redis://cache.internal:6379/2",
        **PRODUCTION,
    )
    database = seen["DATABASES"]["default"]
    assert (database["ENGINE"], database["HOST"], database["PORT"], database["NAME"]) == (
        "django.db.backends.postgresql",
        "db.internal",
        5433,
        "relief",
    )
    assert seen["CELERY_TASK_ALWAYS_EAGER"] is False
    assert seen["CELERY_BROKER_URL"] == "redis://cache.internal:6379/2"


def test_production_defaults_are_secure(tmp_path):
    seen = settings_in_subprocess(
        tmp_path,
        "DEBUG",
        "ALLOWED_HOSTS",
        "SECURE_SSL_REDIRECT",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        **PRODUCTION,
    )
    assert seen == {
        "DEBUG": False,
        "ALLOWED_HOSTS": ["relief.example.org"],
        "SECURE_SSL_REDIRECT": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
    }


def test_ssl_redirect_can_be_turned_off_behind_a_plain_http_proxy(tmp_path):
    seen = settings_in_subprocess(
        tmp_path, "SECURE_SSL_REDIRECT", SECURE_SSL_REDIRECT="0", **PRODUCTION
    )
    assert seen == {"SECURE_SSL_REDIRECT": False}


# --- API tokens ---------------------------------------------------------------------------------


def test_api_tokens_last_thirty_minutes_idle_and_twelve_hours_at_most_by_default(tmp_path):
    seen = settings_in_subprocess(tmp_path, "API_TOKEN_IDLE_TIMEOUT", "API_TOKEN_MAX_AGE")
    assert seen == {"API_TOKEN_IDLE_TIMEOUT": "0:30:00", "API_TOKEN_MAX_AGE": "12:00:00"}


def test_api_token_lifetimes_come_from_the_environment(tmp_path):
    seen = settings_in_subprocess(
        tmp_path,
        "API_TOKEN_IDLE_TIMEOUT",
        "API_TOKEN_MAX_AGE",
        API_TOKEN_IDLE_MINUTES="15",
        API_TOKEN_MAX_HOURS="8",
    )
    assert seen == {"API_TOKEN_IDLE_TIMEOUT": "0:15:00", "API_TOKEN_MAX_AGE": "8:00:00"}


# --- mail and the password-reset pages ----------------------------------------------------------

RESET_URL_SCRIPT = (
    "import django\n"
    "django.setup()\n"
    "from django.urls import NoReverseMatch, reverse\n"
    "try:\n"
    "    print(reverse('password_reset'))\n"
    "except NoReverseMatch:\n"
    "    print('none')\n"
)


def reset_page_in_subprocess(tmp_path, **variables) -> str:
    result = subprocess.run(
        [sys.executable, "-c", RESET_URL_SCRIPT],
        cwd=BASE_DIR,
        env=environment(tmp_path, DEBUG="1", **variables),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.strip().splitlines()[-1]


def test_without_mail_settings_mail_goes_to_the_console_and_there_is_no_password_reset(tmp_path):
    seen = settings_in_subprocess(tmp_path, "EMAIL_BACKEND", "PASSWORD_RESET_BY_MAIL", DEBUG="1")
    assert seen == {
        "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
        "PASSWORD_RESET_BY_MAIL": False,
    }
    assert reset_page_in_subprocess(tmp_path) == "none"


def test_an_email_host_means_smtp_and_the_password_reset_pages(tmp_path):
    variables = {"EMAIL_HOST": "smtp.example.org"}
    seen = settings_in_subprocess(
        tmp_path, "EMAIL_BACKEND", "EMAIL_HOST", "PASSWORD_RESET_BY_MAIL", DEBUG="1", **variables
    )
    assert seen == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "smtp.example.org",
        "PASSWORD_RESET_BY_MAIL": True,
    }
    assert reset_page_in_subprocess(tmp_path, **variables) == "/accounts/password_reset/"


@pytest.mark.parametrize(
    ("backend", "resets"),
    [
        ("django.core.mail.backends.console.EmailBackend", False),
        ("django.core.mail.backends.filebased.EmailBackend", False),
        ("django.core.mail.backends.smtp.EmailBackend", True),
        ("anymail.backends.example.EmailBackend", True),
    ],
)
def test_a_delivering_email_backend_from_the_environment_brings_the_reset_pages(
    tmp_path, backend, resets
):
    seen = settings_in_subprocess(
        tmp_path, "PASSWORD_RESET_BY_MAIL", DEBUG="1", EMAIL_BACKEND=backend
    )
    assert seen == {"PASSWORD_RESET_BY_MAIL": resets}


# --- deployment checks --------------------------------------------------------------------------


def test_production_configuration_passes_the_deployment_checks(tmp_path):
    result = deploy_check(tmp_path, **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_deployment_check_fails_without_secret_key_from_the_environment(tmp_path):
    result = deploy_check(tmp_path, ALLOWED_HOSTS="relief.example.org")
    assert result.returncode != 0
    assert "relief.W001" in result.stderr


def test_deployment_check_fails_without_matching_key_from_the_environment(tmp_path):
    production = {k: v for k, v in PRODUCTION.items() if k != "MATCHING_KEY"}
    result = deploy_check(tmp_path, **production)
    assert result.returncode != 0
    assert "audit.E001" in result.stderr


def test_debug_keeps_a_development_matching_key_under_var(tmp_path):
    first = settings_in_subprocess(tmp_path, "MATCHING_KEY", DEBUG="1")["MATCHING_KEY"]
    second = settings_in_subprocess(tmp_path, "MATCHING_KEY", DEBUG="1")["MATCHING_KEY"]
    assert len(first) == 64 and first == second
    assert settings_in_subprocess(tmp_path, "MATCHING_KEY")["MATCHING_KEY"] == ""


def test_deployment_check_fails_with_debug_on(tmp_path):
    result = deploy_check(tmp_path, DEBUG="1", **PRODUCTION)
    assert result.returncode != 0
    assert "security.W018" in result.stderr


def test_deployment_check_fails_without_allowed_hosts(tmp_path):
    result = deploy_check(tmp_path, SECRET_KEY=PRODUCTION["SECRET_KEY"])
    assert result.returncode != 0
    assert "security.W020" in result.stderr
