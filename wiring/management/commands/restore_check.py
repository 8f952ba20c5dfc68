"""`manage.py restore_check FOLDER [--keep]`: a backup restored into a scratch database and
compared (docs/backups.md, "restore_check"): one French line per check, exit status 0
when every one passes, 1 otherwise (2: not a backup, or no PostgreSQL). The work is
wiring.backups.check.restore_check.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from mache.formats import plural
from wiring.backups import BackupError, restore_check


def failures(count: int) -> str:
    return plural(count, "contrôle en échec", "contrôles en échec")


class Command(BaseCommand):
    help = (
        "Restaure une sauvegarde dans une base de contrôle temporaire et la compare à son "
        "manifeste et à la base courante ; code de sortie 1 si un contrôle échoue."
    )

    def add_arguments(self, parser):
        parser.add_argument("folder", help="le dossier de la sauvegarde (mache-AAAAMMJJTHHMMSSZ)")
        parser.add_argument(
            "--keep",
            action="store_true",
            help="garder la base de contrôle à la fin (sinon supprimée)",
        )

    def emit(self, check):
        style = self.style.SUCCESS if check.ok else self.style.ERROR
        self.stdout.write(style(check.line()))

    def handle(self, *args, folder, keep=False, **options):
        try:
            checks, kept = restore_check(folder=Path(folder), keep=keep, emit=self.emit)
        except BackupError as error:
            raise CommandError(str(error), returncode=error.returncode) from error
        if kept:
            self.stdout.write(f"Base de contrôle conservée : {kept} (à supprimer ensuite).")
        failed = [check for check in checks if not check.ok]
        if failed:
            raise CommandError(
                f"Sauvegarde {folder} : {failures(len(failed))}.",
                returncode=1,
            )
        self.stdout.write(
            self.style.SUCCESS(f"Sauvegarde {folder} restaurée et contrôlée : tout concorde.")
        )
