"""No English on Chinese pages: with the demo data of `make run` (seed_demo and
seed_payments_demo, run in Chinese as the commands run), every page each demo role reaches from
its navigation, in zh-hans, shows no English word outside a short allow-list: codes and IDs (a
word with a digit, an underscore or a dot), file formats, units and brand names.

The pages are found by following the links of each role's pages, one page per URL shape (ids
folded), as a person clicking through would; the administrator also reads the admin's pages,
where only the admin's own words are checked (not the data in its tables and read-only fields).
"""

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.utils import translation

pytestmark = pytest.mark.django_db

ROLES = ["worker-chashan", "supervisor-chashan", "supervisor", "finance", "auditor", "admin"]
# File formats, units, standards and names that are written the same way in Chinese.
ALLOWED = {
    "Relief",
    "API",
    "CSV",
    "csv",
    "Excel",
    "XLSX",
    "xlsx",
    "PDF",
    "JPEG",
    "PNG",
    "UTF",
    "SHA",
    "GB",
    "ID",
    "IP",
    "HTTP",
    "GET",
    "POST",
    "Accept",
    "LDAP",
    "Control",
    "Command",
    "Mac",
}
# A code or an ID: letters and digits joined by - _ . that hold a digit, an underscore or a dot
# (pay-demo-chashan-01, household_ref, payments.batch, a SHA-256 hash, 银行回单-9.csv).
CODE = re.compile(r"^(?=.*[\d_.])[A-Za-z0-9]+(?:[-_.][A-Za-z0-9]+)*$")
WORD = re.compile(r"[A-Za-z0-9]+(?:[-_.'’][A-Za-z0-9]+)*")
# Links a person does not follow to read a page: downloads, and the API's own pages.
NOT_PAGES = re.compile(r"\.csv|\.xlsx|/template\.|/download/|/bank-file/|/api/|/i18n/|logout")
MAX_PAGES = 80


def english_words(text: str) -> list[str]:
    words = []
    for word in WORD.findall(text):
        if not re.search("[A-Za-z]", word) or word in ALLOWED or CODE.match(word):
            continue
        words.append(word)
    return words


class VisibleText(HTMLParser):
    """The text a reader sees (and a screen reader reads: alt, title, placeholder, aria-label),
    without scripts, styles and <template>s; on admin pages, without the data of its tables
    and read-only fields, and with the page's links."""

    HIDDEN = {"script", "style", "template"}
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}

    def __init__(self, admin: bool):
        super().__init__()
        self.admin = admin
        self.stack: list[tuple[str, bool]] = []
        self.texts: list[str] = []
        self.links: list[str] = []

    def _data_cell(self, tag: str, attrs: dict) -> bool:
        if not self.admin:
            return False
        classes = (attrs.get("class") or "").split()
        within = {name for name, _skip in self.stack}
        return (
            (tag == "tbody" and "table#result_list" in within)
            # The filters' choices are the data's values; their titles are the admin's words.
            or (tag == "ul" and "nav#changelist-filter" in within)
            or "readonly" in classes
            or "breadcrumbs" in classes
            or tag == "textarea"
        )

    @property
    def skipping(self) -> bool:
        return any(skip for _tag, skip in self.stack)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        skip = tag in self.HIDDEN or self._data_cell(tag, attrs)
        if not self.skipping and not skip:
            for name in ("alt", "title", "placeholder", "aria-label"):
                if attrs.get(name):
                    self.texts.append(attrs[name])
            if tag == "input" and attrs.get("type") in ("submit", "button"):
                self.texts.append(attrs.get("value") or "")
        if tag in self.VOID:
            return
        name = f"{tag}#{attrs['id']}" if attrs.get("id") else tag
        self.stack.append((name, skip))

    def handle_endtag(self, tag):
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0].split("#")[0] == tag:
                del self.stack[index:]
                break

    def handle_data(self, data):
        if not self.skipping and data.strip():
            self.texts.append(data.strip())


def shape(url: str) -> str:
    parts = urlsplit(url)
    query = re.sub(r"=[^&]*", "=", parts.query)
    return re.sub(r"\d+", "N", parts.path) + (f"?{query}" if query else "")


ADMIN_PAGES = [
    "/admin/",
    "/admin/cases/scheme/",
    "/admin/cases/standard/",
    "/admin/cases/addon/",
    "/admin/cases/schemerule/",
    "/admin/cases/staffprofile/",
    "/admin/payments/paymentrule/",
    "/admin/payments/bankfilelayout/",
    "/admin/relief/auditevent/",
    "/admin/relief/calendarday/",
    "/admin/axes/accessattempt/",
    "/admin/axes/accesslog/",
    "/admin/axes/accessfailurelog/",
    "/admin/auth/group/add/",
    "/admin/auth/user/add/",
]


def walk(client: Client, start: list[str], *, admin: bool) -> dict[str, list[str]]:
    """{page: its English words} for the pages reached from `start`, one per URL shape."""
    found: dict[str, list[str]] = {}
    queue, seen = list(start), set()
    while queue and len(seen) < MAX_PAGES:
        url = queue.pop(0)
        if shape(url) in seen or NOT_PAGES.search(url):
            continue
        if url.startswith("/admin/") != admin:
            continue
        seen.add(shape(url))
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response["Content-Type"]:
            continue
        parser = VisibleText(admin=admin)
        parser.feed(response.content.decode())
        words = sorted({w for text in parser.texts for w in english_words(text)})
        if words:
            found[url] = words
        if not admin:
            queue.extend(link for link in parser.links if link.startswith("/"))
    return found


@pytest.fixture
def demo_data():
    """The data of `make run`, made as its commands make it: in Chinese."""
    with translation.override("zh-hans"):
        call_command("seed_demo", households=20, verbosity=0)
        call_command("seed_payments_demo", verbosity=0)


def test_the_demo_roles_see_no_english_on_chinese_pages(demo_data, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    offenders = {}
    for username in ROLES:
        client = Client(headers={"accept-language": "zh-CN,zh;q=0.9"})
        client.force_login(get_user_model().objects.get(username=username))
        admin = username == "admin"
        start = ADMIN_PAGES if admin else ["/", "/cases/applications/", "/payments/"]
        for page, words in walk(client, start, admin=admin).items():
            offenders[f"{username} {page}"] = words
    # The public: the login page and the public notice board.
    public = Client(headers={"accept-language": "zh-CN,zh;q=0.9"})
    for page, words in walk(public, ["/accounts/login/", "/public/notices/"], admin=False).items():
        offenders[f"(public) {page}"] = words
    assert offenders == {}


@pytest.mark.parametrize(
    "text, words",
    [
        ("保障标准, 自 2025-07-01: Demo value", ["Demo", "value"]),
        ("提交人: supervisor · 审核人: supervisor-chashan", ["supervisor", "supervisor-chashan"]),
        ("银行回单-9.csv · SHA-256 · household_ref · pay-demo-chashan-01", []),
        ("441900********001X · 1,234.00 元 · Relief API", []),
    ],
)
def test_the_check_tells_english_words_from_codes(text, words):
    assert english_words(text) == words
