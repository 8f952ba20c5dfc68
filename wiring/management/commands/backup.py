"""`manage.py backup [--dir D] [--keep-days N] [--check] [--nightly [--at HH:MM]]`: a dated
backup folder (the PostgreSQL dump, the stored documents, the manifest), then the
retention (docs/backups.md). `--check` runs restore_check on the new folder; `--nightly`
loops, one backup (and check) every night at `--at` Paris time: the compose file's
`backup` service. The work is wiring.backups.folder.backup_create.

Exit status: 0 done, 1 failed (or a check failed), 2 refused (SQLite: backups need
PostgreSQL).
"""

import datetime as dt
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.utils import timezone

from mache.formats import format_date, plural
from wiring.backups import (
    BackupError,
    backup_create,
    backup_folders,
    next_run_at,
    restore_check,
)

# The loop sleeps by slices: a machine suspended or a clock set is noticed within one.
SLEEP_SLICE_SECONDS = 600


def _time_of_day(text: str) -> dt.time:
    try:
        return dt.time.fromisoformat(text)
    except ValueError as error:
        raise CommandError(f"--at « {text} » : heure HH:MM attendue.", returncode=2) from error


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f}".replace(".", ",") + " Mo"


class Command(BaseCommand):
    help = (
        "Sauvegarde la base PostgreSQL (pg_dump) et les documents émis dans un dossier daté "
        "avec leurs empreintes, puis supprime les sauvegardes plus anciennes que la durée "
        "de conservation (jamais la plus récente)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dir", help="le dossier des sauvegardes (BACKUP_DIR par défaut)")
        parser.add_argument(
            "--keep-days",
            type=int,
            help="jours de conservation (BACKUP_RETENTION_DAYS par défaut, 30)",
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help="contrôler la sauvegarde écrite (restore_check) ; code 1 si un contrôle échoue",
        )
        parser.add_argument(
            "--nightly",
            action="store_true",
            help="tourner sans fin : une sauvegarde chaque nuit à --at (heure de Paris)",
        )
        parser.add_argument("--at", default="02:30", help="heure de la sauvegarde de --nightly")

    def handle(self, *args, **options):
        directory = Path(options["dir"] or settings.BACKUP_DIR)
        keep_days = options["keep_days"]
        if keep_days is None:
            keep_days = settings.BACKUP_RETENTION_DAYS
        if options["nightly"]:
            self.nightly(directory, keep_days, _time_of_day(options["at"]), options["check"])
        elif not self.once(directory, keep_days, check=options["check"]):
            raise CommandError("Le contrôle de la sauvegarde a échoué.", returncode=1)

    def once(self, directory: Path, keep_days: int, *, check: bool) -> bool:
        """One backup (and its check): True when written (and checked)."""
        try:
            done = backup_create(directory=directory, keep_days=keep_days)
        except BackupError as error:
            raise CommandError(str(error), returncode=error.returncode) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Sauvegarde écrite : {done.path} ({plural(done.files, 'fichier', 'fichiers')}, "
                f"{_megabytes(done.size)}, dont "
                f"{plural(done.manifest['documents'], 'document émis', 'documents émis')})."
            )
        )
        for warning in done.warnings:
            self.stderr.write(self.style.WARNING(f"Attention : {warning}"))
        if done.removed:
            self.stdout.write(
                f"Conservation {keep_days} j : supprimées {', '.join(sorted(done.removed))}."
            )
        if not check:
            return True
        try:
            checks, _kept = restore_check(
                folder=done.path,
                emit=lambda c: self.stdout.write(
                    (self.style.SUCCESS if c.ok else self.style.ERROR)(c.line())
                ),
            )
        except BackupError as error:
            raise CommandError(str(error), returncode=1) from error
        return all(c.ok for c in checks)

    def nightly(self, directory: Path, keep_days: int, at: dt.time, check: bool) -> None:
        zone = ZoneInfo(settings.TIME_ZONE)
        folders = backup_folders(directory)
        # After a stop (a deploy, a night the machine was off): one backup at once when
        # the newest is more than a day old.
        if not folders or timezone.now() - folders[-1][0] > dt.timedelta(days=1):
            self.night(directory, keep_days, check)
        while True:
            when = next_run_at(timezone.now(), at, zone)
            self.stdout.write(f"Prochaine sauvegarde le {format_date(when.date())} à {at:%H:%M}.")
            self.stdout.flush()
            while (remaining := (when - timezone.now()).total_seconds()) > 0:
                time.sleep(min(remaining, SLEEP_SLICE_SECONDS))
            self.night(directory, keep_days, check)

    def night(self, directory: Path, keep_days: int, check: bool) -> None:
        """One night's work; a failure is reported and the loop goes on to the next night."""
        try:
            if not self.once(directory, keep_days, check=check):
                self.stderr.write(self.style.ERROR("Le contrôle de la sauvegarde a échoué."))
        except CommandError as error:
            self.stderr.write(self.style.ERROR(f"Sauvegarde impossible : {error}"))
        except Exception as error:  # noqa: BLE001 (the loop must survive a bad night)
            self.stderr.write(self.style.ERROR(f"Sauvegarde impossible : {error!r}"))
        finally:
            # A day's sleep would leave the connection idle past any server timeout.
            connections.close_all()
        self.stdout.flush()
