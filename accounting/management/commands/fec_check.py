"""`manage.py fec_check FILE`: checks a FEC file against every rule of docs/fec.md.

Exit status 0 when the file is lawful, 1 otherwise, every breach listed with its line
number; the tolerated departures (docs/fec.md) are printed as warnings and do not fail
it. The rules are `accounting.fec.fec_inspect`, shared with the export's tests.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounting.fec import fec_inspect, format_violation, format_warning, parse_fec_date
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
        parser.add_argument(
            "--start",
            metavar="AAAAMMJJ",
            help="premier jour de l'exercice, s'il ne dure pas douze mois et que le "
            "fichier n'a pas d'à-nouveaux",
        )

    def handle(self, *args, file, name=None, no_name=False, start=None, **options):
        start_day = None
        if start is not None:
            start_day = parse_fec_date(start)
            if start_day is None:
                raise CommandError(f"--start « {start} » : date AAAAMMJJ attendue.")
        path = Path(file)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Lecture impossible de {path} : {exc.strerror}.") from exc
        report = fec_inspect(data, None if no_name else (name or path.name), start=start_day)
        for line, message in report.warnings:
            self.stdout.write(self.style.WARNING(format_warning(line, message)))
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
                + (
                    f" ({plural(len(report.warnings), 'avertissement', 'avertissements')})"
                    if report.warnings
                    else ""
                )
            )
        )
