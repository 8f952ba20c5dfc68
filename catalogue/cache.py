"""The catalogue's version per supplier, for the caches built from it (the order form's
product rows: docs/catalogue.md, "Cached views of the catalogue").

A cache entry built from a supplier's catalogue carries the supplier's version in its
key; any change to the supplier, its products or their price tiers gives the supplier a
new version once the change is committed, so the old entries are never read again (they
expire). Saves and deletes through the ORM say so by themselves (signals, connected in
apps.py: the admin, the services, the factories); bulk writes, which send no signal,
call `catalogue_changed` (services.product_save, csv_import.catalogue_import).
"""

import uuid

from django.conf import settings
from django.db import transaction

from mache.cache import CACHE_DOWN, cached

VERSION_TIMEOUT = 30 * 24 * 3600


def _key(supplier_id: int) -> str:
    # The database's name too: a database rebuilt with the same ids (tests, benchmarks,
    # a restore) never meets the versions of the one before.
    return f"catalogue-version:{settings.DATABASES['default']['NAME']}:{supplier_id}"


def catalogue_version(supplier_id: int) -> str:
    """The supplier's current version (a new one when the cache lost it)."""
    return cached(_key(supplier_id), lambda: uuid.uuid4().hex, timeout=VERSION_TIMEOUT)


def catalogue_changed(supplier_id: int) -> None:
    """Forget the supplier's version once the transaction commits (now, outside one)."""
    from django.core.cache import cache

    def forget():
        try:
            cache.delete(_key(supplier_id))
        except CACHE_DOWN:  # nothing cached can be read while it is down either
            pass

    transaction.on_commit(forget)
