import os
import re
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from mache.periods import paris_today
from shops.models import User

from .factories import CooperativeFactory, ShopFactory, UserFactory
from .helpers import FAST_PASSWORD_HASHERS

REDIS_DATABASES = 16  # redis-server's default `databases`


def _shifted_redis_url(url: str, shift: int, worker: str) -> str:
    base, _, db = url.rstrip("/").rpartition("/")
    if base.endswith(":") or not re.fullmatch(r"[0-9]+", db):
        base, db = url.rstrip("/"), "0"
    number = int(db) + shift
    if number >= REDIS_DATABASES:
        raise pytest.UsageError(
            f"xdist worker {worker} would use Redis database {number} ({url} + {shift}): "
            "give the suite a lower TEST_REDIS_URL/CACHE_URL database, or fewer workers"
        )
    return f"{base}/{number}"


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_setupnodes(config, specs):
    """`make test` runs the suite in parallel (pytest-xdist, README "Tests"): each worker
    process gets services of its own, set in its environment before Django reads its
    settings, so that its subprocesses (workers, `manage.py serve`) inherit them too.

    - the test database: pytest-django suffixes its name with the worker's id;
    - Redis: worker N uses the databases two by two above the ones given (gw0 keeps
      TEST_REDIS_URL and its cache database, gw1 takes the next two): each worker's
      broker, results and cache are flushed by its own tests only;
    - the var folder (media, e-invoicing folders, file broker): MACHE_VAR_DIR/gwN.
    """
    var = Path(os.environ.get("MACHE_VAR_DIR") or config.rootpath / "var")
    for index, spec in enumerate(specs):
        worker = spec.id or f"gw{index}"
        shift = 2 * index
        env = {"MACHE_VAR_DIR": str(var / worker)}
        if os.environ.get("REDIS_URL"):
            env["REDIS_URL"] = _shifted_redis_url(os.environ["REDIS_URL"], shift, worker)
            if os.environ.get("CACHE_URL"):
                env["CACHE_URL"] = _shifted_redis_url(os.environ["CACHE_URL"], shift, worker)
        spec.env.update(env)


@pytest.fixture(scope="session", autouse=True)
def _flush_by_delete():
    """After each transactional test (live server, live worker), pytest-django empties the
    database with Django's flush: one TRUNCATE of every table, which gives PostgreSQL new
    files for each table and index to create and sync (about a second for our 80 tables,
    more on a busy disk). DELETE of every row leaves the same empty tables (sequences are
    not reset either way) in a tenth of that. The flush's transaction runs as a replica
    (superusers only; otherwise TRUNCATE stays): TRUNCATE fires no row trigger nor
    foreign-key check, and neither do these DELETEs, so the triggers that refuse to
    delete an issued invoice or a posted entry (docs/postings.md) let the test data go."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    truncate = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if not hasattr(self.connection, "_tests_superuser"):
            with self.connection.cursor() as cursor:
                cursor.execute("SHOW is_superuser")
                self.connection._tests_superuser = cursor.fetchone()[0] == "on"
        if reset_sequences or allow_cascade or not tables or not self.connection._tests_superuser:
            return truncate(
                self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
            )
        return ["SET LOCAL session_replication_role = replica"] + [
            f"{style.SQL_KEYWORD('DELETE FROM')} {style.SQL_FIELD(self.quote_name(table))}"
            for table in tables
        ]

    DatabaseOperations.sql_flush = sql_flush
    yield
    DatabaseOperations.sql_flush = truncate


@pytest.fixture
def api():
    """An API client; `api.as_user(user)` authenticates it with the user's token."""
    from rest_framework.authtoken.models import Token

    client = APIClient()

    def as_user(user):
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    client.as_user = as_user
    return client


@pytest.fixture
def today():
    """The Paris day, read as the test starts. Never a module constant: a run that crosses
    midnight in Paris would compare yesterday's date with the day the code reads."""
    return paris_today()


@pytest.fixture
def coop(db):
    return CooperativeFactory()


@pytest.fixture
def shop(db):
    return ShopFactory(name="Épicerie de Romazy")


@pytest.fixture
def other_shop(db):
    return ShopFactory(name="Boucherie Étrangère")


@pytest.fixture
def coordinator(db):
    return UserFactory(username="coord", role=User.Role.COORDINATOR)


@pytest.fixture
def shopkeeper(shop):
    return UserFactory(username="epicier", role=User.Role.SHOPKEEPER, shops=[shop])


@pytest.fixture
def accountant(shop):
    return UserFactory(username="compta", role=User.Role.ACCOUNTANT, shops=[shop])


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # PBKDF2's deliberate slowness buys nothing in tests; the hasher is not under test.
    settings.PASSWORD_HASHERS = FAST_PASSWORD_HASHERS


@pytest.fixture(autouse=True)
def _clear_cache():
    """Login throttling counts live in the cache (Redis in tests): start each test clean."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(scope="session", autouse=True)
def _clean_broker():
    """The suite owns its Redis database (`make test` gives it one): messages left by an
    interrupted run must not reach this run's workers."""
    from django.conf import settings

    if settings.CELERY_BROKER_URL.startswith("redis://"):
        import redis

        redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()


@pytest.fixture(scope="session", autouse=True)
def _end_stray_connections(django_db_setup, django_db_blocker):
    """Workers killed on purpose (and the live server's threads) may leave connections to
    the test database behind; end them so that the database can be dropped."""
    yield
    from django.db import OperationalError, connection

    try:
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                "datname = current_database() AND pid <> pg_backend_pid()"
            )
    except OperationalError:
        # A session that never touched the database may see it dropped already.
        pass


@pytest.fixture(scope="session")
def _session_worker(django_db_setup, django_db_blocker):
    """A real Celery worker (threads, real Redis broker) for the whole session."""
    from celery.contrib.testing.worker import start_worker, test_worker_started
    from django.conf import settings

    from mache.celery import app

    def wake_its_loop_often(sender, worker, consumer, **kwargs):
        # With the threads pool, a task that ends does not wake the worker's event loop
        # (celery/celery#6941): the loop sleeps until its next timer, up to 10 s, before
        # it takes the next message waiting (prefetch 1 per thread, late acks). A timer
        # every 0.1 s bounds that wait. Tests only: the worker deployed runs prefork,
        # whose pool wakes the loop (docker-compose.yml, manage.py serve).
        consumer.timer.call_repeatedly(0.1, lambda: None)

    test_worker_started.connect(wake_its_loop_often, sender=app, weak=False)

    if settings.CELERY_BROKER_URL.startswith("redis://"):
        # Tasks that earlier tests sent with no worker running name rows those tests
        # rolled back or flushed: a worker starting on that backlog would spend the
        # first test's time failing on them. Start on an empty queue.
        import redis

        redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
    with (
        django_db_blocker.unblock(),
        start_worker(
            app,
            pool="threads",
            concurrency=2,
            # The default queue only: tests that kill a worker of their own send to
            # queues of their own, which this worker must leave to that one.
            queues=["celery"],
            perform_ping_check=False,
            loglevel="WARNING",
            shutdown_timeout=30,
        ) as worker,
    ):
        test_worker_started.disconnect(wake_its_loop_often, sender=app)
        _consumes(worker, False)  # until a test asks for it (live_worker)
        yield worker
    # The worker's threads keep their database connections: end them, or the test
    # database cannot be dropped.
    from django.db import connection

    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname ="
            " current_database() AND pid <> pg_backend_pid()"
        )


def _consumes(worker, consumes: bool) -> None:
    """The session's worker takes tasks from the default queue while a live_worker test
    runs, and only then: a transactional test without it commits writes whose tasks (a
    document stored, an e-mail) must not be run behind its back, in the worker's thread,
    while it counts rows. Asked through the broker (remote control), which the worker's
    own loop answers."""
    from mache.celery import app

    control = app.control.add_consumer if consumes else app.control.cancel_consumer
    replies = control("celery", destination=[worker.hostname], reply=True, timeout=10)
    assert replies, f"the test worker did not answer {control.__name__}"


def _wait_until_idle(timeout: float) -> list[str]:
    """Wait for the session's worker to end the tasks it runs or holds; those left."""
    import time

    from celery.worker import state

    deadline = time.monotonic() + timeout
    while (state.active_requests or state.reserved_requests) and time.monotonic() < deadline:
        time.sleep(0.1)
    return [request.name for request in (*state.active_requests, *state.reserved_requests)]


@pytest.fixture
def live_worker(_session_worker):
    """The session's worker, idle and with an empty queue when the test starts.

    Tests that use it need `transactional_db`: the worker reads the database through
    its own connections, so it only sees committed rows. Tasks that earlier tests sent
    (their rows flushed since: an e-mail of a round gone, a report asked by the schema
    walk) are dropped, and the test waits for the ones already running, so that its own
    tasks never queue behind them. The worker consumes during the test only (_consumes),
    and the test's own tasks are left to end before the next test.
    """
    from mache.celery import app

    app.control.purge()
    busy = _wait_until_idle(60)
    assert not busy, f"the test worker is still busy with earlier tests' tasks: {busy}"
    _consumes(_session_worker, True)
    yield _session_worker
    _consumes(_session_worker, False)
    _wait_until_idle(60)  # what is left is said by the next live_worker test
