"""Helpers shared by the benchmarks: a throw-away PostgreSQL database, fast fixtures, timing.

Benchmarks never touch the database named in DATABASE_URL: they build their own
(`mache_bench` by default), migrate it, fill it with COPY and drop it when done, even
when the benchmark fails half-way.
"""

import contextlib
import time
from collections.abc import Iterator
from unittest import mock

from django.conf import settings
from django.db import connection

from mache.identifiers import siret_from, siret_ok


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


@contextlib.contextmanager
def throwaway_database(name: str = "mache_bench") -> Iterator[str]:
    """Create, migrate and yield a fresh database `name`; drop it on the way out.

    Django's test-database machinery does exactly this (including dropping a leftover
    of a crashed run, autoclobber), and it swaps the connection's NAME for the time of
    the run, so nothing in between can reach the real database by mistake.
    """
    alias_settings = settings.DATABASES["default"]
    alias_settings.setdefault("TEST", {})["NAME"] = name
    connection.settings_dict.setdefault("TEST", {})["NAME"] = name
    old_name = connection.creation.create_test_db(
        verbosity=0, autoclobber=True, serialize=False, keepdb=False
    )
    try:
        yield connection.settings_dict["NAME"]
    finally:
        # A failed statement leaves the connection in an aborted transaction; the drop
        # goes through another connection anyway, but ours must let go of the database.
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0, keepdb=False)


@contextlib.contextmanager
def no_notifications() -> Iterator[list]:
    """Record instead of enqueueing the after-commit e-mails of the services.

    With REDIS_URL set, a real worker could pick the task up and look the id up in the
    real database (where it may name another supplier order) and e-mail coordinators.
    """
    calls: list = []
    with mock.patch(
        "mache.notifications.enqueue_on_commit",
        side_effect=lambda task, kind, object_id: calls.append((kind, object_id)),
    ):
        yield calls


def analyze(*tables: str) -> None:
    """Fresh planner statistics after a bulk load (autovacuum may not have run yet)."""
    with connection.cursor() as cursor:
        if tables:
            for table in tables:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
        else:
            cursor.execute("ANALYZE")


def sirets(count: int, start: int = 90_000_000) -> list[str]:
    """`count` distinct valid SIRETs (one SIREN per 8-digit sequence number)."""
    result = [siret_from(number) for number in range(start, start + count)]
    assert all(siret_ok(s) for s in result), "siret_from disagrees with python-stdnum"
    return result


class Stopwatch:
    """with Stopwatch() as sw: ...; sw.seconds."""

    seconds: float = 0.0

    def __enter__(self) -> "Stopwatch":
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.perf_counter() - self._start


def best_of(runs: int, function) -> tuple[float, object]:
    """The fastest of `runs` calls of `function()`, with the last result."""
    best = float("inf")
    result = None
    for _ in range(runs):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


def reset_sequences(*models) -> None:
    """Move the id sequences of `models` past the ids a COPY gave explicitly."""
    from django.core.management.color import no_style

    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), list(models)):
            cursor.execute(statement)


def database_url(name: str) -> str:
    """A DATABASE_URL for another process: this connection's server and user, database
    `name` (the throw-away one, whose name the connection holds during the run)."""
    from urllib.parse import quote

    params = connection.settings_dict
    user = quote(params.get("USER") or "", safe="")
    password = quote(params.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = params.get("HOST") or "localhost"
    port = f":{params['PORT']}" if params.get("PORT") else ""
    return f"postgres://{credentials}{host}{port}/{quote(name, safe='')}"


def redis_db_url(url: str, db: int) -> str:
    """redis://host:6379/2 -> redis://host:6379/<db> (query string kept)."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{db}"))


@contextlib.contextmanager
def celery_worker(
    *,
    queue: str,
    concurrency: int,
    env: dict[str, str],
    log_path: str,
    name: str = "bench",
    loglevel: str = "WARNING",
    ready_timeout: float = 90.0,
) -> Iterator[object]:
    """A real Celery worker (prefork pool) of the project as a subprocess, consuming
    `queue` only, with `env` on top of this process's environment; yields the Popen
    once the worker answers a ping through the broker of `mache.celery.app` (which
    must be the worker's: set it before). Stopped on the way out, even on error: warm
    shutdown (SIGTERM, running tasks finish), then SIGKILL to its whole process group
    (the pool's children) if it is still there after 30 s.
    """
    import os
    import signal
    import subprocess
    import sys
    from pathlib import Path

    from mache.celery import app

    node = f"{name}-{os.getpid()}-{concurrency}@localhost"
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "mache",
        "worker",
        "-Q",
        queue,
        "-c",
        str(concurrency),
        "--pool",
        "prefork",
        "-n",
        node,
        "--loglevel",
        loglevel,
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            command,
            cwd=Path(settings.BASE_DIR),
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + ready_timeout
        while not app.control.ping(destination=[node], timeout=0.5):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"the Celery worker did not start (exit code {process.poll()}); see {log_path}"
                )
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
        # Its own session and process group: whatever is left of its tree (a pool child
        # that outlived its parent, or the whole worker after the timeout) and nothing else.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
