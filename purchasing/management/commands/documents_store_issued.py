"""`manage.py documents_store_issued [--batch N]`: stores the documents issued before
documents were stored (docs/documents.md, "Upgrading"), so that no download, and no
yearly archive, has to render hundreds of them at once.

Every invoice (supplementary ones included) and credit note lacking its stored PDF or
XML, every confirmed or received supplier order lacking its purchase order, every
received one lacking its delivery notes: stored through
purchasing.documents.issued_documents_backfill, N objects a batch (100 by default), the
progress printed after each batch and the count at the end. A second run stores nothing.
An object whose document fails to render is logged and the run goes on; the exit status
is then 1.
"""

from django.core.management.base import BaseCommand, CommandError

from mache.formats import plural
from purchasing.documents import issued_documents_backfill


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise CommandError("--batch : un nombre entier positif est attendu.")
    return number


class Command(BaseCommand):
    help = (
        "Conserve les documents émis avant la conservation des documents (factures, avoirs, "
        "bons de commande, bons de livraison) qui ne le sont pas encore ; code de sortie 1 "
        "si l'un d'eux n'a pu être produit."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch",
            type=_positive,
            default=100,
            help="Nombre d'objets (facture, avoir, commande fournisseur) par lot (100).",
        )

    def handle(self, *args, **options):
        progress = None
        for number, progress in enumerate(issued_documents_backfill(batch=options["batch"]), 1):
            self.stdout.write(
                f"Lot {number} : {progress.done} sur {progress.total} traités, "
                f"{plural(progress.stored, 'document conservé', 'documents conservés')}, "
                f"{plural(len(progress.failed), 'échec', 'échecs')}."
            )
        if progress is None:
            self.stdout.write(
                self.style.SUCCESS("Aucun document à conserver : tous les documents émis le sont.")
            )
            return
        stored = plural(progress.stored, "document conservé", "documents conservés")
        if progress.failed:
            for kind, object_id in progress.failed:
                self.stderr.write(f"échec : {kind} {object_id} (voir le journal)")
            self.stderr.write(
                f"Terminé : {stored}, {plural(len(progress.failed), 'échec', 'échecs')}."
            )
            raise SystemExit(1)
        self.stdout.write(self.style.SUCCESS(f"Terminé : {stored}."))
