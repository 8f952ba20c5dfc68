"""The `unaccent` extension, for the accent-insensitive search (docs/search.md).

PostgreSQL only: SQLite folds accents with a Python function (mache.search). Since
PostgreSQL 13, unaccent is a trusted extension: the database's owner may create it.
"""

from django.db import migrations


def create_unaccent(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS unaccent")


class Migration(migrations.Migration):
    dependencies = [("mache", "0001_outbox")]

    # Not dropped on the way back: other objects may use it.
    operations = [migrations.RunPython(create_unaccent, migrations.RunPython.noop, elidable=False)]
