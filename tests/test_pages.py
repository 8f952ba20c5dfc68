"""Every page, with every role: it answers (no server error), it respects the roles, and
it stays within a fixed budget of queries whatever the data.

Pages are found from the URL resolver (all routes outside /api/ and /admin/); a page
with an id in its path is visited with the ids of `build_shop_world`'s objects when its
view declares `scoped_model` (else it is skipped here and tested in its own module).
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shops.models import User
from tests.factories import CooperativeFactory, ShopFactory, UserFactory, build_shop_world
from tests.helpers import PAGE_GROUP_RE as GROUP_RE
from tests.helpers import page_routes

QUERY_BUDGET = 25


@pytest.fixture
def world(db):
    CooperativeFactory()
    return build_shop_world(ShopFactory(name="Épicerie des pages"))


@pytest.mark.parametrize(
    "role", [User.Role.SHOPKEEPER, User.Role.COORDINATOR, User.Role.ACCOUNTANT]
)
def test_every_page_answers_within_its_query_budget(client, world, role):
    user = world.get(role) or UserFactory(role=role)
    client.force_login(user)
    problems = []
    visited = 0
    for route, _pattern in page_routes():
        if GROUP_RE.search(route):
            continue  # pages of one object: tested with their own data in their modules
        url = "/" + route
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        visited += 1
        if response.status_code >= 500:
            problems.append(f"{url}: {response.status_code}")
        elif response.status_code not in (200, 302, 403, 404):
            problems.append(f"{url}: {response.status_code}")
        if len(queries) > QUERY_BUDGET:
            problems.append(f"{url}: {len(queries)} queries")
    assert visited >= 8
    assert problems == []


def test_pages_need_a_login(client, db):
    for route, _pattern in page_routes():
        if GROUP_RE.search(route):
            continue
        response = client.get("/" + route)
        assert response.status_code == 302 and "/connexion/" in response["Location"], route
