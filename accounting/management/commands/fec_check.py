"""`manage.py fec_check FILE`: checks a FEC file against every rule of docs/fec.md.

Exit status 0 when the file is lawful, 1 otherwise, every breach listed with its line
number; the rules are `accounting.fec.fec_inspect`, shared with the export's tests.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounting.fec import fec_inspect, format_violation
from mache.formats import plural


class Command(BaseCommand):
    help = (
        "Contrôle un fichier des écritures comptables (FEC) selon les règles de l'article "
        "A47 A-1 du LPF ; code de sortie 1 s'il n'est pas conforme."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="le fichier FEC")
        names = parser.add_mutually_exclusive_group()
        names.add_argument(
            "--name",
            help="le nom à contrôler, au lieu de celui du fichier "
            "(fichier enregistré sous un autre nom)",
        )
        names.add_argument(
            "--no-name", action="store_true", help="ne pas contrôler le nom du fichier"
        )

    def handle(self, *args, file, name=None, no_name=False, **options):
        path = Path(file)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Lecture impossible de {path} : {exc.strerror}.") from exc
        report = fec_inspect(data, None if no_name else (name or path.name))
        if report.violations:
            for line, message in report.violations:
                self.stderr.write(format_violation(line, message))
            self.stderr.write(
                f"FEC non conforme : {plural(len(report.violations), 'anomalie', 'anomalies')}."
            )
            raise SystemExit(1)
        self.stdout.write(
            self.style.SUCCESS(
                f"FEC conforme : {plural(report.lines, 'ligne', 'lignes')}, "
                f"{plural(report.entries, 'écriture', 'écritures')}"
            )
        )
