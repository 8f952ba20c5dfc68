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

from mache.siret import luhn_key, siret_ok


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
        verbosity=0, autoclobber=True, serialize=False, keepdb=False)
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
    with mock.patch("purchasing.services.notifications.on_commit_notify",
                    side_effect=lambda kind, object_id: calls.append((kind, object_id))):
        yield calls


def analyze(*tables: str) -> None:
    """Fresh planner statistics after a bulk load (autovacuum may not have run yet)."""
    with connection.cursor() as cursor:
        if tables:
            for table in tables:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
        else:
            cursor.execute("ANALYZE")


def sirets(count: int, start: int = 90_000_000_000) -> list[str]:
    """`count` distinct valid SIRETs (13-digit sequence number plus Luhn key)."""
    result = []
    for number in range(start, start + count):
        body = f"{number:013d}"
        result.append(body + luhn_key(body))
    assert all(siret_ok(s) for s in result), "luhn_key disagrees with mache.siret"
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
