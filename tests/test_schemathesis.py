"""Issue 10, point 7: schemathesis over the OpenAPI schema (/api/schema/), as a
coordinator and as a shopkeeper: no 5xx, and every answer as the schema describes it
(status code, content type, body).

In-process: the schema is loaded from Django's WSGI application, whose requests share
the test's database connection (and so its transaction and its data).
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token

from shops.models import User

from .factories import CooperativeFactory, ShopFactory, UserFactory, build_shop_world

pytestmark = pytest.mark.schemathesis
MAX_EXAMPLES = 10

# Examples and fuzzing, a bounded number of cases per operation; the coverage phase
# (every boundary of every parameter) is left out for time: the bad-input walk
# (tests/test_bad_input_walk.py) covers the classes of bad values on every endpoint.
CONFIG = schemathesis.config.SchemathesisConfig.from_dict(
    {"phases": {"coverage": {"enabled": False}}, "generation": {"max-examples": MAX_EXAMPLES}}
)
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]


@pytest.fixture(params=[User.Role.COORDINATOR, User.Role.SHOPKEEPER])
def token(request, db):
    CooperativeFactory()
    world = build_shop_world(ShopFactory(name="Épicerie schemathesis"))
    user = world.get(request.param) or UserFactory(role=request.param)
    return Token.objects.get_or_create(user=user)[0].key


@pytest.fixture
def api_schema(token):
    from mache.wsgi import application

    # As Django's test client does: the handler must not close the test's connection
    # (in its transaction) at the start and end of each request.
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    try:
        schema = schemathesis.openapi.from_wsgi(
            "/api/schema/?format=json", application, config=CONFIG
        )
        schema.token = token
        yield schema
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_keeps_its_schema(case, api_schema):
    # Uncompressed: the WSGI transport does not undo the gzip text responses get.
    headers = {"Authorization": f"Token {api_schema.token}", "Accept-Encoding": "identity"}
    case.call_and_validate(headers=headers, checks=CHECKS)
