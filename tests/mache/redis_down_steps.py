"""One step of the Redis-down scenarios (tests/mache/test_outbox_redis_down.py), run in a
process of its own configured by the environment as the web server is: REDIS_URL names
the test's own Redis (stopped or running), DATABASE_URL the test database.

    python -m tests.mache.redis_down_steps STEP [ARGS...]

prints one line of JSON. A request that raises makes the process fail (the test shows
its traceback).
"""

import json
import sys

import django


def _client(user_id):
    from rest_framework.test import APIClient

    from shops.models import User

    client = APIClient()
    client.force_authenticate(User.objects.get(pk=int(user_id)))
    return client


def _answer(response) -> dict:
    return {"status": response.status_code, "body": response.json()}


def consolidate(round_id, user_id):
    return _answer(_client(user_id).post(f"/api/rounds/{round_id}/consolidate/"))


def generate(month, shop_id, user_id):
    return _answer(
        _client(user_id).post(
            "/api/reports/generate/", {"month": month, "shops": [int(shop_id)]}, format="json"
        )
    )


def consolidate_as_the_worker(round_id):
    """What the worker's task does; here the broker goes down before its e-mail is sent."""
    from purchasing.services.consolidation import round_consolidate

    return {"supplier_order": round_consolidate(round_id=int(round_id)).pk}


def drain(times="1"):
    """The beat task's drain, `times` times in a row: how many each one sent."""
    from mache.outbox import outbox_drain

    return {"sent": [outbox_drain() for _ in range(int(times))]}


STEPS = {f.__name__: f for f in (consolidate, generate, consolidate_as_the_worker, drain)}


def main(argv: list[str]) -> None:
    django.setup()
    from django.test.utils import setup_test_environment

    setup_test_environment()  # the "testserver" host of the test client; e-mails in memory
    step, *args = argv
    print(json.dumps(STEPS[step](*args)))


if __name__ == "__main__":
    main(sys.argv[1:])
