"""Walk every URL under /api/ as users of each role, with another shop's ids.

No endpoint may show a foreign shop's data or change anything of it. The walk finds
the endpoints itself (Django's URL resolver), so an endpoint added later is walked
as soon as it is routed; its objects come from `build_shop_world`, and a detail
route whose view does not declare the model it serves (`scoped_model`, with
`shop_field` the path to its shop) makes the walk fail until it does.

`shop_field = None` declares cooperative-wide objects (suppliers, products, rounds):
every member may read them, so the walk checks only that reading them shows no
foreign shop's data and that these roles cannot change them.
"""

import json

import pytest
from rest_framework.test import APIClient

from mache.permissions import COORDINATOR_ONLY
from shops.models import User

from .factories import CooperativeFactory, ShopFactory, UserFactory, build_shop_world
from .helpers import GROUP_RE, api_routes, fill, methods_of, tables_digest, target_of

PROJECT_APPS = [
    "shops",
    "catalogue",
    "purchasing",
    "inventory",
    "accounting",
    "worker",
    "payments",
    "authtoken",
]


def snapshot() -> str:
    """A digest of every row of the project's tables: any write changes it."""
    return tables_digest(PROJECT_APPS)


def leaks(payload, foreign) -> list[str]:
    """Places in a JSON body where a foreign shop's data shows."""
    found = []
    text = json.dumps(payload, ensure_ascii=False)
    for marker in (foreign["shop"].name, foreign["shop"].siret):
        if marker in text:
            found.append(f"text {marker!r}")

    def visit(node, path):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in {"shop", "shops"} and (
                    value == foreign["shop"].id
                    or (isinstance(value, list) and foreign["shop"].id in value)
                ):
                    found.append(f"{path}.{key}")
                visit(value, f"{path}.{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                visit(value, f"{path}[{index}]")

    visit(payload, "$")
    return found


@pytest.fixture
def worlds(db):
    CooperativeFactory()
    home = build_shop_world(ShopFactory(name="Épicerie du Walk"))
    foreign = build_shop_world(ShopFactory(name="Commerce Étranger ZZQ"))
    return home, foreign


@pytest.mark.parametrize("role", [User.Role.SHOPKEEPER, User.Role.ACCOUNTANT])
def test_no_endpoint_shows_or_changes_a_foreign_shop(worlds, role):
    home, foreign = worlds
    client = APIClient()
    client.force_authenticate(home[role])
    routes = list(api_routes())
    assert len(routes) >= 5, routes  # the walk does find the API
    problems = []
    for route, callback in routes:
        has_ids = bool(GROUP_RE.search(route))
        view_class = getattr(callback, "cls", None) or callback.view_class
        coordinator_only = getattr(view_class, "default_roles", None) == COORDINATOR_ONLY
        shop_field = "shop"
        if has_ids and coordinator_only and getattr(view_class, "scoped_model", None) is None:
            url = fill(route, "anything")  # no object to find: the role alone must refuse
        elif has_ids:
            model = getattr(view_class, "scoped_model", None)
            if model is None:
                problems.append(f"{route}: the view declares no scoped_model")
                continue
            shop_field = getattr(view_class, "shop_field", "shop")
            target = target_of(model, shop_field, foreign)
            if target is None:
                problems.append(f"{route}: build_shop_world makes no {model.__name__}")
                continue
            url = fill(route, target.pk)
        else:
            url = fill(route, "")
        for method in methods_of(callback):
            before = snapshot()
            query = {"shop": foreign["shop"].id} if method == "get" else None
            body = {"shop": foreign["shop"].id, "shops": [foreign["shop"].id]}
            if method == "get":
                response = client.get(url, query)
            else:
                response = getattr(client, method)(url, body, format="json")
            status = response.status_code
            if status >= 500:
                problems.append(f"{method.upper()} {url}: {status}")
            if has_ids and status < 400 and shop_field is not None:
                problems.append(f"{method.upper()} {url}: {status} on a foreign object")
            if coordinator_only and status != 403:
                problems.append(f"{method.upper()} {url}: {status} for a {role}, not 403")
            if method != "get" and status < 400:
                problems.append(f"{method.upper()} {url}: {status}, a write was accepted")
            if snapshot() != before:
                problems.append(f"{method.upper()} {url}: the database changed")
            content_type = response.headers.get("Content-Type", "")
            if status < 400 and content_type.startswith("application/json"):
                problems.extend(
                    f"{method.upper()} {url}: leak at {where}"
                    for where in leaks(response.json(), foreign)
                )
    assert problems == []


def test_a_coordinator_walks_every_endpoint_without_a_server_error(worlds):
    home, foreign = worlds
    client = APIClient()
    client.force_authenticate(UserFactory(role=User.Role.COORDINATOR))
    failures = []
    for route, callback in api_routes():
        view_class = getattr(callback, "cls", None) or callback.view_class
        if GROUP_RE.search(route) and getattr(view_class, "scoped_model", None) is None:
            url = fill(route, "anything")
        elif GROUP_RE.search(route):
            shop_field = getattr(callback.cls, "shop_field", "shop")
            url = fill(route, target_of(callback.cls.scoped_model, shop_field, foreign).pk)
        else:
            url = fill(route, "")
        if "get" in methods_of(callback):
            response = client.get(url)
            # 400 (a required parameter) and 409 (a state) are answers; not 403/404/5xx.
            if response.status_code in (403, 404) or response.status_code >= 500:
                failures.append(f"GET {url}: {response.status_code}")
    assert failures == []


def test_the_walk_notices_a_leak(worlds, monkeypatch):
    """The walk itself can fail: with scoping switched off, it reports the foreign shop."""
    from mache import permissions

    home, foreign = worlds
    monkeypatch.setattr(
        permissions,
        "role_of",
        lambda user: User.Role.COORDINATOR if user and user.is_authenticated else None,
    )
    client = APIClient()
    client.force_authenticate(home[User.Role.SHOPKEEPER])
    body = client.get("/api/shops/").json()
    assert leaks(body, foreign)
