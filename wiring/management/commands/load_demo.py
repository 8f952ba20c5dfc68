"""`manage.py load_demo`: the demo cooperative of Ille-et-Vilaine, with one user per role."""

import json
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounting.services import cooperative_ledger
from purchasing.demo import demo_catalogue_load
from shops.demo import demo_members_load
from wiring.demo.history import demo_history_load, demo_open_round_fill

DEMO_FILE = Path(__file__).resolve().parents[2] / "demo" / "demo_cooperative.json"


class Command(BaseCommand):
    help = "Charge la coopérative de démonstration (idempotent) et crée un utilisateur par rôle."

    def add_arguments(self, parser):
        parser.add_argument(
            "--months",
            type=int,
            default=12,
            help="Nombre de mois d'historique à construire (12 par défaut).",
        )

    def handle(self, *args, **options):
        started = time.monotonic()
        months = options["months"]
        if not 1 <= months <= 24:
            raise CommandError("--months : entre 1 et 24 mois.")
        data = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
        with transaction.atomic():
            cooperative_ledger()
            users = demo_members_load(data)
            catalogue = demo_catalogue_load(data)
        history = demo_history_load(months=months)
        orders = demo_open_round_fill()
        self.stdout.write(
            self.style.SUCCESS(
                "Coopérative de démonstration chargée ("
                f"{catalogue['suppliers']} fournisseur(s), {catalogue['products']} produit(s), "
                f"{catalogue['rounds']} tournée(s) ouverte(s) ajoutés)."
            )
        )
        for username, role, password in users:
            if password:
                self.stdout.write(f"  {role:<12} {username:<14} mot de passe : {password}")
            else:
                self.stdout.write(
                    f"  {role:<12} {username:<14} (existe déjà ; "
                    f"`manage.py changepassword {username}` pour le changer)"
                )
        if history is None:
            self.stdout.write("Historique déjà présent : rien n'a été ajouté.")
        else:
            self.stdout.write(
                f"Historique de {months} mois : {history.get('rounds', 0)} tournée(s), "
                f"{history.get('orders', 0)} commande(s), {history.get('invoices', 0)} facture(s), "
                f"{history.get('z', 0)} ticket(s) Z, {history.get('losses', 0)} perte(s), "
                f"{history.get('stock_counts', 0)} inventaire(s), "
                f"{history.get('reports', 0)} rapport(s) mensuel(s)."
            )
        if history and options["verbosity"] > 1:
            for action, seconds in sorted(history["timings"].items(), key=lambda i: -i[1]):
                self.stdout.write(f"  {action:<20} {seconds:6.1f} s")
        if orders:
            self.stdout.write(f"{orders} commande(s) passée(s) dans la tournée ouverte.")
        self.stdout.write(
            self.style.SUCCESS(f"Démo chargée en {round(time.monotonic() - started)} s.")
        )
