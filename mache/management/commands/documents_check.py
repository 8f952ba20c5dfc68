"""`manage.py documents_check`: checks every stored document against its hash
(mache.documents.documents_check, docs/documents.md), for cron or by hand.

Prints the number checked and the key of each document found altered (its bytes changed
or gone: it is flagged, logged as an error and listed on the coordinator's home page).
Exit status 0 when every document is intact, 1 when one is altered.
"""

from django.core.management.base import BaseCommand

from mache.documents import documents_check
from mache.formats import plural


class Command(BaseCommand):
    help = (
        "Contrôle chaque document émis conservé (empreinte SHA-256 et taille) ; code de "
        "sortie 1 si l'un d'eux est altéré."
    )

    def handle(self, *args, **options):
        result = documents_check()
        checked = plural(result["checked"], "document contrôlé", "documents contrôlés")
        if result["altered"]:
            for key in result["altered"]:
                self.stderr.write(f"altéré : {key}")
            self.stderr.write(f"{checked}, {plural(len(result['altered']), 'altéré', 'altérés')}.")
            raise SystemExit(1)
        self.stdout.write(self.style.SUCCESS(f"{checked}, aucun altéré."))
