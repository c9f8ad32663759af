"""Resetting a forgotten password mails a link: its pages exist only when mail really leaves
the server (EMAIL_HOST, or a delivering EMAIL_BACKEND, from the environment). Logging in, logging
out and changing one's password are there either way."""

import importlib

import pytest
from django.core import mail
from django.test import Client
from django.urls import NoReverseMatch, clear_url_caches, reverse

import config.urls

PASSWORD = "relief-test-pw"
RESET_PAGES = [
    ("password_reset", ()),
    ("password_reset_done", ()),
    ("password_reset_confirm", ("MQ", "set-password")),
    ("password_reset_complete", ()),
]
RESET_PATHS = [
    "/accounts/password_reset/",
    "/accounts/password_reset/done/",
    "/accounts/reset/MQ/set-password/",
    "/accounts/reset/done/",
]


@pytest.fixture
def site_urls(settings):
    """Loads the site's URLs as a server started with or without mail would."""
    original = settings.PASSWORD_RESET_BY_MAIL

    def load(*, mail_configured: bool):
        settings.PASSWORD_RESET_BY_MAIL = mail_configured
        importlib.reload(config.urls)
        clear_url_caches()

    yield load
    settings.PASSWORD_RESET_BY_MAIL = original
    importlib.reload(config.urls)
    clear_url_caches()


def test_tests_run_without_mail_configured(settings):
    assert settings.PASSWORD_RESET_BY_MAIL is False


@pytest.mark.django_db
@pytest.mark.parametrize("path", RESET_PATHS)
def test_without_mail_the_reset_pages_do_not_exist(site_urls, path):
    site_urls(mail_configured=False)

    assert Client().get(path).status_code == 404


@pytest.mark.parametrize(("name", "args"), RESET_PAGES)
def test_without_mail_the_reset_pages_have_no_address(site_urls, name, args):
    site_urls(mail_configured=False)

    with pytest.raises(NoReverseMatch):
        reverse(name, args=args)


@pytest.mark.django_db
def test_without_mail_login_logout_and_password_change_remain(site_urls, worker_chashan):
    site_urls(mail_configured=False)
    client = Client()

    assert client.get(reverse("login")).status_code == 200
    assert client.post(reverse("login"), {"username": "worker-chashan", "password": PASSWORD})
    assert client.get(reverse("password_change")).status_code == 200
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a-new-long-password-9",
            "new_password2": "a-new-long-password-9",
        },
    )
    assert response.status_code == 302 and response.url == reverse("password_change_done")
    assert client.post(reverse("logout")).status_code == 302


@pytest.mark.django_db
def test_with_mail_a_reset_link_is_mailed(site_urls, worker_chashan):
    site_urls(mail_configured=True)
    worker_chashan.email = "worker@chashan.example.org"
    worker_chashan.save()

    assert [reverse(name, args=args) for name, args in RESET_PAGES] == RESET_PATHS
    response = Client().post(reverse("password_reset"), {"email": worker_chashan.email})

    assert response.status_code == 302 and response.url == reverse("password_reset_done")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [worker_chashan.email]
    assert "/accounts/reset/" in mail.outbox[0].body


# Relief's own pages and mail, in Chinese (issue 10, item 10) ------------------------------------


def relief_page(response) -> str:
    """A page rendered with Relief's templates (base.html), not the Django admin's."""
    names = [t.name for t in response.templates]
    assert "base.html" in names, names
    assert not any(name.startswith("admin/") for name in names), names
    return response.content.decode()


@pytest.mark.django_db
def test_the_password_change_pages_are_relief_pages_in_chinese(site_urls, worker_chashan):
    site_urls(mail_configured=False)
    client = Client()  # no Accept-Language: the default, Simplified Chinese
    client.force_login(worker_chashan)

    change = relief_page(client.get(reverse("password_change")))
    done = relief_page(client.get(reverse("password_change_done")))

    assert 'name="old_password"' in change and 'name="new_password2"' in change
    assert 'lang="zh-hans"' in change
    assert "Django" not in change + done


@pytest.mark.django_db
def test_with_mail_the_reset_pages_and_mail_are_relief_s_own(site_urls, worker_chashan):
    site_urls(mail_configured=True)
    worker_chashan.email = "worker@chashan.example.org"
    worker_chashan.save()
    client = Client()

    form = relief_page(client.get(reverse("password_reset")))
    client.post(reverse("password_reset"), {"email": worker_chashan.email})
    done = relief_page(client.get(reverse("password_reset_done")))
    complete = relief_page(client.get(reverse("password_reset_complete")))
    invalid = relief_page(client.get(reverse("password_reset_confirm", args=("MQ", "x-y"))))

    assert 'name="email"' in form
    for page in (form, done, complete, invalid):
        assert "Django" not in page
    [message] = mail.outbox
    # Relief's own mail (registration/password_reset_email.html), not Django's: it names the
    # login, which Django's does as "Your username, in case you've forgotten".
    assert "/accounts/reset/" in message.body
    assert "worker-chashan" in message.body
    assert "forgotten" not in message.body and "忘记" not in message.body
    assert "example.com" not in message.subject
