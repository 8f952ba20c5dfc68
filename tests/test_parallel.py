"""`make test` runs the suite on two processes (pytest-xdist, README "Tests"): each worker
has its own test database, Redis databases and var folder (tests/conftest.py)."""

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tests.conftest import _shifted_redis_url


def test_redis_databases_are_shifted_two_by_two_per_worker():
    assert _shifted_redis_url("redis://127.0.0.1:6379/2", 0, "gw0") == "redis://127.0.0.1:6379/2"
    assert _shifted_redis_url("redis://127.0.0.1:6379/2", 2, "gw1") == "redis://127.0.0.1:6379/4"
    assert _shifted_redis_url("redis://127.0.0.1:6379", 2, "gw1") == "redis://127.0.0.1:6379/2"
    with pytest.raises(pytest.UsageError, match="gw1 would use Redis database 16"):
        _shifted_redis_url("redis://127.0.0.1:6379/14", 2, "gw1")


def test_a_worker_uses_services_of_its_own(db):
    worker_id = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker_id:
        pytest.skip("the suite runs in one process (PYTEST_WORKERS=0)")
    index = int(worker_id.removeprefix("gw"))
    assert connection.settings_dict["NAME"].endswith(f"_{worker_id}")
    assert Path(settings.VAR_DIR).name == worker_id
    assert Path(settings.MEDIA_ROOT).is_relative_to(settings.VAR_DIR)
    if os.environ.get("REDIS_URL"):
        broker = int(settings.CELERY_BROKER_URL.rsplit("/", 1)[1])
        cache = int(settings.CACHES["default"]["LOCATION"].rsplit("/", 1)[1])
        assert broker >= 2 * index and cache >= 2 * index
        assert broker != cache
