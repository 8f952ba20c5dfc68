"""The cache is an optimisation: when Redis is down, compute without it (docs/tasks.md).

The cache client has short socket timeouts (settings: CACHES OPTIONS), so an unreachable
Redis costs at most about a second before these helpers log a warning and go on.
"""

import logging
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
