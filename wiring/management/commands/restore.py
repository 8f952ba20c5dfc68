"""`manage.py restore FOLDER --database-url URL`: a backup restored for real, into an empty
PostgreSQL database only (docs/backups.md, "restore"). A target with any table in its
public schema is refused (exit status 2, nothing written); after the restore, the copy
is compared with the manifest (exit status 1 if it differs). The work is
wiring.backups.check.restore_into.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from mache.formats import plural
from wiring.backups import BackupError, restore_into


def failures(count: int) -> str:
    return plural(count, "contrôle en échec", "contrôles en échec")


class Command(BaseCommand):
    help = (
        "Restaure une sauvegarde dans une base PostgreSQL vide (refusé si la base a déjà "
        "des tables), puis la compare au manifeste."
    )

    def add_arguments(self, parser):
        parser.add_argument("folder", help="le dossier de la sauvegarde (mache-AAAAMMJJTHHMMSSZ)")
        parser.add_argument(
            "--database-url",
            required=True,
            help="la base cible, vide (postgres://utilisateur@hôte:5432/base) ; le mot de "
            "passe peut venir de PGPASSWORD",
        )

    def emit(self, check):
        style = self.style.SUCCESS if check.ok else self.style.ERROR
        self.stdout.write(style(check.line()))

    def handle(self, *args, folder, database_url, **options):
        try:
            checks = restore_into(folder=Path(folder), url=database_url, emit=self.emit)
        except BackupError as error:
            raise CommandError(str(error), returncode=error.returncode) from error
        failed = [check for check in checks if not check.ok]
        if failed:
            raise CommandError(
                f"Restauration faite, mais {failures(len(failed))}.",
                returncode=1,
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Sauvegarde {folder} restaurée. Les fichiers des documents sont dans "
                f"{Path(folder) / 'files'} : copiez-les dans le stockage (MEDIA_ROOT) sous "
                "les mêmes noms."
            )
        )
