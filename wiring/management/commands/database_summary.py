"""`manage.py database_summary`: the summary a backup is checked against, as JSON on the
standard output (docs/backups.md, "The summary"): rows per table, every ledger's trial
balance, the numbering of invoices and credit notes, the stored documents' rows.

restore_check runs it with DATABASE_URL naming the restored copy; run by hand, it shows
what the current database would write in a manifest.
"""

import json

from django.core.management.base import BaseCommand
from django.db import connection, transaction

from wiring.backups import database_summary, stored_documents


class Command(BaseCommand):
    help = (
        "Écrit en JSON le résumé de la base (lignes par table, balances des livres, "
        "numérotation des factures et avoirs, documents émis) que restore_check compare."
    )

    def handle(self, *args, **options):
        connection.ensure_connection()
        with transaction.atomic():
            if connection.vendor == "postgresql":
                # One snapshot for every figure, as the backup reads them.
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            data = {"summary": database_summary(), "documents": stored_documents()}
        self.stdout.write(json.dumps(data, ensure_ascii=False))
