"""The URL walk: every route of the project, found through Django's URL resolver, so
that a route added later is walked as soon as it is routed.

Shared by the tenancy walk (tests/test_tenancy_walk.py), the page walk
(tests/test_pages.py) and the bad-input fuzz (tests/test_bad_input_walk.py).
"""

import re

from django.urls import URLPattern, URLResolver, get_resolver

# Not data endpoints: the schema, its viewer, and the login (which sees no shop).
SKIPPED = {"api/schema/", "api/docs/", "api/auth/token/"}
METHODS = ["get", "post", "put", "patch", "delete"]
GROUP_RE = re.compile(r"\(\?P<(\w+)>[^)]*\)|<(?:\w+:)?(\w+)>")
PAGE_GROUP_RE = re.compile(r"<(?:\w+:)?(\w+)>")


def _walk(patterns, prefix, *, strip: bool):
    for pattern in patterns:
        text = str(pattern.pattern)
        if strip:
            text = text.lstrip("^").rstrip("$").replace("\\", "")
        route = prefix + text
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, route, strip=strip)
        elif isinstance(pattern, URLPattern):
            yield route, pattern


def api_routes(*, skipped=SKIPPED):
    """(route template, view callback) for every pattern under api/."""
    for route, pattern in _walk(get_resolver().url_patterns, "", strip=True):
        if route.startswith("api/") and route not in skipped and ".(?P<format>" not in route \
                and "<format>" not in route:
            yield route, pattern.callback


def page_routes():
    """(route template, pattern) of every page: the routes outside /api/ and /admin/."""
    for route, pattern in _walk(get_resolver().url_patterns, "", strip=False):
        if route.startswith(("api/", "admin/", "healthz", "connexion", "deconnexion")):
            continue
        if route.startswith("^") or "(?P" in route:
            continue
        yield route, pattern


def methods_of(callback) -> list[str]:
    if hasattr(callback, "actions"):  # a viewset route
        return [m for m in METHODS if m in callback.actions]
    view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    return [m for m in METHODS if view_class and hasattr(view_class, m)]


def fill(route, value) -> str:
    return "/" + GROUP_RE.sub(str(value), route)


def view_class_of(callback):
    return getattr(callback, "cls", None) or getattr(callback, "view_class", None)


def target_of(model, shop_field, foreign):
    """The foreign world's object of `model` (any object, for cooperative-wide models)."""
    if shop_field is None:
        return model.objects.order_by("-pk").first()
    return model.objects.filter(**{shop_field: foreign["shop"].pk}).order_by("-pk").first()
