"""Every page of the site, found without a hand-made list: the walk that the
accessibility tests (tests/browser/test_accessibility.py) visit in Chromium.

For each visitor (anonymous, or a user of one role) the walk, through Django's test
client (fast, no browser):
1. asks every route outside /api/ and /admin/ without a parameter;
2. follows the links and htmx targets of the pages it gets (a route with parameters is
   then filled as the site itself fills it: the round in the list of rounds, the
   statement in the books);
3. fills the routes still not reached with the ids of the objects in the database (the
   factories' world: every primary key of the project's tables, tried in turn) and the
   few parameters no object holds (`named_values`: a password-reset link).
Each answer is sorted: a full page (axe-core checks it), a fragment (htmx: checked in the
page that holds it), a file (PDF, CSV), an action (POST only), or refused (404: another
value; 403: another role's page, left to the other roles after three tries). A route that
no visitor reaches is named by test_every_route_is_reached_by_some_visitor, so a new page
type is never skipped in silence.
"""

import re
import uuid
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

from django.apps import apps
from django.contrib.auth.tokens import default_token_generator
from django.test import Client
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from mache.periods import paris_today

PROJECT_APPS = ("shops", "catalogue", "inventory", "accounting", "purchasing", "worker")
NOT_PAGES = ("api/", "admin/", "healthz", "static/", "media/")
PARAM_RE = re.compile(r"<(?:(\w+):)?(\w+)>")
# Pages of one object reached by many links (a list of rounds): visit this many of each.
PER_ROUTE = 2


@dataclass
class Walk:
    pages: list[str] = field(default_factory=list)  # URLs of full HTML pages
    reached: dict[str, str] = field(default_factory=dict)  # route -> how it answered
    seen: set[str] = field(default_factory=set)


def site_routes() -> list[str]:
    """Every route of the pages (templates such as 'commandes/<int:pk>/')."""
    routes = []

    def walk(patterns, prefix):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern) and not route.startswith(NOT_PAGES):
                if not route.startswith("^") and "(?P" not in route:
                    routes.append(route)

    walk(get_resolver().url_patterns, "")
    return routes


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value and name in ("href", "hx-get"):
                self.urls.append(value)


def _links(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return [
        urlsplit(url).path
        for url in parser.urls
        if url.startswith("/") and not url.startswith(("//", "/api/", "/admin/", "/static/"))
    ]


def route_of(path: str) -> str | None:
    try:
        return resolve(path).route
    except Resolver404:
        return None


def candidate_values() -> dict[str, list[str]]:
    """Values to fill a parameter, by converter: every primary key of the project's
    tables (integers for <int:…>, all of them as text for <str:…>), a fresh UUID (a task
    not known yet shows as waiting)."""
    ints, texts = set(), set()
    for model in apps.get_models():
        if model._meta.app_label not in PROJECT_APPS:
            continue
        for pk in model.objects.order_by("pk").values_list("pk", flat=True)[:50]:
            (ints if isinstance(pk, int) else texts).add(str(pk))
    numbers = sorted(ints, key=int)
    return {
        "int": numbers,
        "str": [*sorted(texts), "coop", *numbers],  # "coop": the cooperative's ledger
        "slug": sorted(texts),
        "path": sorted(texts),
        "uuid": [str(uuid.uuid4())],
    }


def named_values(user) -> dict[str, str]:
    """Parameters that no table holds: a password-reset link of `user`, the closing day
    of the current fiscal year (calendar by default: docs/fiscal-years.md)."""
    return {
        "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": default_token_generator.make_token(user),
        "end": f"{paris_today().year}-12-31",
    }


def _fills(route: str, values: dict[str, list[str]], named: dict[str, str], limit=300):
    """URLs of `route` with its parameters filled, the named ones first."""
    params = PARAM_RE.findall(route)
    urls = [route]
    for converter, name in params:
        choices = [named[name]] if name in named else values.get(converter or "str", [])
        token = f"<{converter}:{name}>" if converter else f"<{name}>"
        urls = [url.replace(token, choice, 1) for url in urls for choice in choices][:limit]
    return ["/" + url for url in urls]


def _sort(client: Client, path: str) -> tuple[str, str, str]:
    """(kind, where, HTML) for a GET of `path`; `where` is the target of a redirect."""
    response = client.get(path)
    if response.status_code in (301, 302, 303):
        target = urlsplit(response["Location"]).path
        return ("refused" if route_of(target) == "connexion/" else "redirect"), target, ""
    if response.status_code == 405:
        return "action", path, ""
    if response.status_code == 403:
        return "forbidden", path, ""  # another role's page, whatever the values
    if response.status_code != 200:
        return "refused", path, ""
    if "text/html" not in response.get("Content-Type", ""):
        return "file", path, ""
    html = response.content.decode()
    return ("page" if "<html" in html[:500] else "fragment"), path, html


def walk_site(client: Client, *, named: dict[str, str]) -> Walk:
    """The pages this client (logged in or not) can see; see the module's docstring."""
    walk = Walk()
    routes = site_routes()
    queue = ["/" + route for route in routes if not PARAM_RE.search(route)]
    per_route: dict[str, int] = {}
    forbidden: dict[str, int] = {}  # route -> 403 answers: three and the route is left

    def visit(path: str):
        route = route_of(path)
        if path in walk.seen or route is None or per_route.get(route, 0) >= PER_ROUTE:
            return
        walk.seen.add(path)
        kind, where, html = _sort(client, path)
        if kind == "forbidden":
            forbidden[route] = forbidden.get(route, 0) + 1
        if kind in ("refused", "forbidden"):
            return
        per_route[route] = per_route.get(route, 0) + 1
        walk.reached.setdefault(route, kind)
        if kind == "page":
            walk.pages.append(path)
        elif kind == "redirect":
            queue.append(where)
        queue.extend(_links(html))

    while queue:
        visit(queue.pop(0))
    values = candidate_values()
    for route in routes:
        if route in walk.reached or not PARAM_RE.search(route):
            continue
        for url in _fills(route, values, named):
            visit(url)
            if route in walk.reached or forbidden.get(route, 0) >= 3:
                break
        while queue:  # links of the page just found
            visit(queue.pop(0))
    return walk
