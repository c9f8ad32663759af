"""Search terms kept out of URLs. A list's search form is POSTed; a term that is private (an ID
number or part of one, as the list decides) is kept in the session under a random key and the
list is shown at `?q=<key>`, so the number never reaches an address bar, a browser's history, a
Referer header or a server's access log. Other terms (a name) stay readable in the URL.

    if request.method == "POST":
        return search_redirect(request, url, FILTERS, private=has_digits)
    params, expired = search_params(request)   # ?q=<key> back to {"search": term, ...}
"""

import secrets
import unicodedata
from urllib.parse import urlencode

from django.http import HttpResponseRedirect, QueryDict

SESSION_KEY = "relief_searches"
TOKEN_PARAM = "q"
SEARCH_PARAM = "search"
KEPT = 20  # the newest searches of a session; an older key shows "search again"


def has_digits(term: str) -> bool:
    """A term with a digit may be an ID number or part of one: kept out of URLs. A digit of
    any script counts, and any character with a digit value (superscript ², circled ①), as
    NFKC or a careless reader may turn it into one."""
    return any(unicodedata.digit(char, None) is not None for char in term or "")


def search_keep(request, term: str) -> str:
    """Keep `term` in the session; returns its key."""
    searches = dict(request.session.get(SESSION_KEY, {}))
    key = secrets.token_urlsafe(9)
    searches[key] = term
    while len(searches) > KEPT:
        searches.pop(next(iter(searches)))
    request.session[SESSION_KEY] = searches
    return key


def search_query(request, pairs: list[tuple[str, str]], *, private=has_digits) -> str:
    """The query string of a list's filters, the search term replaced by a session key when
    `private(term)`."""
    out = []
    for key, value in pairs:
        if key == SEARCH_PARAM and value and private(value):
            out.append((TOKEN_PARAM, search_keep(request, value)))
        elif value:
            out.append((key, value))
    return urlencode(out)


def search_redirect(request, url: str, keys, *, private=has_digits) -> HttpResponseRedirect:
    """The answer to a POSTed search form: the list at `url` with the posted `keys`."""
    pairs = [(key, request.POST.get(key, "").strip()) for key in keys]
    query = search_query(request, pairs, private=private)
    return HttpResponseRedirect(f"{url}?{query}" if query else url)


def search_params(request) -> tuple[QueryDict, bool]:
    """The list's GET parameters with the search term a `?q=` key stands for put back; and
    whether the key was unknown (the session ended, or the search is too old)."""
    params = request.GET.copy()
    key = params.pop(TOKEN_PARAM, [""])[-1]
    if not key:
        return params, False
    term = request.session.get(SESSION_KEY, {}).get(key)
    if term is None:
        return params, True
    params[SEARCH_PARAM] = term
    return params, False


def private_search_in_url(request, *, private=has_digits) -> bool:
    """A GET whose ?search= holds a private term (a bookmark, a link from elsewhere): the
    list redirects it to a key at once."""
    return private(request.GET.get(SEARCH_PARAM, ""))


def redirect_to_key(request, url: str, keys, *, private=has_digits) -> HttpResponseRedirect:
    pairs = [(key, request.GET.get(key, "")) for key in keys]
    return HttpResponseRedirect(f"{url}?{search_query(request, pairs, private=private)}")
