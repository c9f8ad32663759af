"""With DEBUG on (as `make run` runs), a missing page and a server error still show the
project's Chinese pages, templates/404.html and templates/500.html, not Django's technical
pages; the traceback of a server error goes to the console log."""

import logging

import pytest
from django.test import Client

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.relief.error_urls")]


@pytest.fixture
def debug(settings):
    settings.DEBUG = True
    return settings


def template_names(response):
    return [template.name for template in response.templates]


@pytest.mark.parametrize("path", ["/no-such-page/", "/test-errors/missing/"])
def test_with_debug_on_a_missing_page_is_the_projects_chinese_404(debug, path):
    response = Client().get(path)

    assert response.status_code == 404
    assert "404.html" in template_names(response)
    content = response.content.decode()
    assert "页面不存在" in content
    assert "Using the URLconf" not in content and "Django tried these URL patterns" not in content


def test_with_debug_on_a_logged_in_users_404_has_the_site_navigation(debug, worker_chashan):
    client = Client()
    client.force_login(worker_chashan)

    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert 'data-testid="logout"' in response.content.decode()


def test_with_debug_on_a_server_error_is_the_projects_500_and_the_traceback_is_logged(
    debug, caplog
):
    client = Client(raise_request_exception=False)

    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = client.get("/test-errors/fails/")

    assert response.status_code == 500
    assert "500.html" in template_names(response)
    content = response.content.decode()
    assert "系统错误" in content
    assert "Traceback" not in content and "a bug in a view" not in content
    record = next(r for r in caplog.records if r.name == "django.request")
    assert record.getMessage() == "Internal Server Error: /test-errors/fails/"
    assert "a bug in a view" in str(record.exc_info[1])


def test_with_debug_on_a_view_that_returns_its_own_404_keeps_it(debug, worker_chashan):
    # The API answers a missing row with its own JSON 404: that is not Django's debug page.
    client = Client()
    client.force_login(worker_chashan)

    response = client.get("/api/v1/households/999999/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


def test_with_debug_off_the_same_pages_are_shown(settings):
    settings.DEBUG = False
    assert "404.html" in template_names(Client().get("/no-such-page/"))
    response = Client(raise_request_exception=False).get("/test-errors/fails/")
    assert response.status_code == 500 and "500.html" in template_names(response)
