"""Every page carries a Content-Security-Policy that names no other origin and allows no inline
script or style, and no template or static page of Relief has an inline script, an on*= event
handler, a <style> element or a style attribute, which the policy would block.
(tests/browser/test_csp.py checks the pages in Chromium.)"""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

BASE_DIR = Path(__file__).resolve().parent.parent
TEMPLATE_DIRS = [BASE_DIR / "templates", *sorted(BASE_DIR.glob("*/templates"))]
STATIC_PAGES = sorted((BASE_DIR / "static").rglob("*.html"))

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ELEMENT = re.compile(r"<style\b", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"<[^>]*\sstyle\s*=", re.IGNORECASE)
# A <script> whose type makes it data, not code, is allowed (none so far).
DATA_SCRIPT = re.compile(r"<script[^>]*type=\"application/json\"", re.IGNORECASE)


def templates():
    for directory in TEMPLATE_DIRS:
        yield from sorted(directory.rglob("*.html"))
    yield from STATIC_PAGES


def test_the_policy_names_no_other_origin_and_allows_no_inline_code():
    directives = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    for name, sources in directives.items():
        for source in sources:
            assert source in {"'self'", "'none'", "data:"}, f"{name} allows {source}"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/accounts/login/", "/public/notices/", "/no-such-page/"])
def test_every_page_carries_the_policy(path):
    response = Client().get(path)
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy


def test_signed_in_pages_and_the_api_docs_carry_the_policy(worker_chashan):
    client = Client()
    client.force_login(worker_chashan)
    for path in ("/cases/work/", "/cases/households/new/", "/api/docs/", "/api/docs/?script="):
        assert "default-src 'self'" in client.get(path)["Content-Security-Policy"], path


@pytest.mark.parametrize("template", list(templates()), ids=lambda p: str(p.relative_to(BASE_DIR)))
def test_no_template_has_inline_script_or_style(template):
    text = template.read_text()
    problems = [
        f"{kind}: {match.group(0)[:80]}"
        for kind, pattern in (
            ("inline <script>", INLINE_SCRIPT),
            ("on*= handler", EVENT_HANDLER),
            ("<style> element", STYLE_ELEMENT),
            ("style attribute", STYLE_ATTRIBUTE),
        )
        for match in pattern.finditer(text)
        if not (kind == "inline <script>" and DATA_SCRIPT.match(match.group(0)))
    ]
    assert problems == []
