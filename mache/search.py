"""Searching names as people type them: without accents and whatever the case
(docs/search.md). "epicerie" finds "Épicerie", "CREME" finds "Crème fraîche".

The database folds the column, Python folds the typed text, and the two meet in a
`LIKE '%...%'` (Django's `contains`, which escapes `%` and `_`):

    Product.objects.filter(search_q(["name", "sku"], "creme"))

- PostgreSQL: `lower(unaccent(column))`, the `unaccent` extension being created by the
  migration mache 0002 (PostgreSQL only). `unaccent` before `lower`: lowering works on
  ASCII whatever the database's collation.
- SQLite (`make run`): a Python function, `mache_fold`, registered on every new
  connection (the `connection_created` signal, connected in MacheConfig.ready()).
- Any other database: `lower(column)` (case only).
"""

import unicodedata

from django.db import models
from django.db.models import Q

# Letters NFKD does not split into a base letter and accents.
LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss", "ø": "o"})
SQLITE_FUNCTION = "mache_fold"


def fold(text: str | None) -> str | None:
    """Lower case, accents and ligatures removed: "Crème Fraîche" -> "creme fraiche"."""
    if text is None:
        return None
    decomposed = unicodedata.normalize("NFKD", text.translate(LIGATURES))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


@models.CharField.register_lookup
@models.TextField.register_lookup
class Fold(models.Transform):
    """`name__fold__contains=fold(text)`: the column without accents, in lower case."""

    lookup_name = "fold"
    output_field = models.TextField()

    def as_sql(self, compiler, connection):
        return super().as_sql(compiler, connection, template="LOWER(%(expressions)s)")

    def as_postgresql(self, compiler, connection):
        return super().as_sql(compiler, connection, template="LOWER(unaccent(%(expressions)s))")

    def as_sqlite(self, compiler, connection):
        return super().as_sql(compiler, connection, template=f"{SQLITE_FUNCTION}(%(expressions)s)")


def search_q(fields: list[str], text: str) -> Q:
    """Rows where any of `fields` contains every word of `text`, accents and case aside.

    Each word may be in a different field ("beurre BIO-12" finds the product named
    "Beurre doux" whose reference is "BIO-12"). Empty text: every row.
    """
    q = Q()
    for word in fold(text).split():
        any_field = Q()
        for name in fields:
            any_field |= Q(**{f"{name}__fold__contains": word})
        q &= any_field
    return q


def register_sqlite_function(sender, connection, **kwargs) -> None:
    """`connection_created` receiver: SQLite learns `mache_fold` on each new connection."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(SQLITE_FUNCTION, 1, fold, deterministic=True)
