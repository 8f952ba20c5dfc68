"""The cache is an optimisation: when Redis is down, compute without it (docs/tasks.md).

The cache client has short socket timeouts (settings: CACHES OPTIONS), so an unreachable
Redis costs at most about a second before these helpers log a warning and go on.
"""

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable

import redis.exceptions
from django.core.cache import cache

log = logging.getLogger(__name__)

# What the Redis client raises when the server is down, refuses or does not answer in time;
# OSError covers the file-based cache of development on a full or read-only disk.
CACHE_DOWN = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)


def cached(key: str, compute: Callable, *, timeout: int):
    """`cache.get_or_set(key, compute, timeout)`, or `compute()` when the cache fails."""
    try:
        value = cache.get(key)
    except CACHE_DOWN as exc:
        log.warning("cache unreachable, computing %s without it: %s", key, exc)
        return compute()
    if value is not None:
        return value
    value = compute()
    try:
        cache.set(key, value, timeout=timeout)
    except CACHE_DOWN as exc:
        log.warning("cache unreachable, %s not stored: %s", key, exc)
    return value


class ProcessCopies:
    """The last `size` values `cached` returned for keys whose value never changes (a
    version in the key: catalogue.cache), kept in this process as they are: a request
    that finds its key here skips reading and unpickling the shared copy (the order
    form's 300 products, docs/catalogue.md "Cached views of the catalogue"). The values
    are shared between requests: read them, never change them."""

    def __init__(self, size: int):
        self.size = size
        self._values: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str, compute: Callable, *, timeout: int):
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
        value = cached(key, compute, timeout=timeout)
        with self._lock:
            self._values[key] = value
            while len(self._values) > self.size:
                self._values.popitem(last=False)
        return value
