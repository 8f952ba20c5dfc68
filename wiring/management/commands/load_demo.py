"""`manage.py load_demo`: the demo cooperative of Ille-et-Vilaine, with one user per role."""

import json
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounting.services import cooperative_ledger
from mache.formats import plural
from mache.roles import Role
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
                "Coopérative de démonstration chargée (ajoutés : "
                f"{plural(catalogue['suppliers'], 'fournisseur', 'fournisseurs')}, "
                f"{plural(catalogue['products'], 'produit', 'produits')}, "
                f"{plural(catalogue['rounds'], 'tournée ouverte', 'tournées ouvertes')})."
            )
        )
        for username, role, password in users:
            role = Role(role).label  # in French
            if password:
                self.stdout.write(f"  {role:<17} {username:<14} mot de passe : {password}")
            else:
                self.stdout.write(
                    f"  {role:<17} {username:<14} (existe déjà ; "
                    f"`manage.py changepassword {username}` pour le changer)"
                )
        if history is None:
            self.stdout.write("Historique déjà présent : rien n'a été ajouté.")
        else:
            made = [
                plural(history.get(key, 0), singular, plurals)
                for key, singular, plurals in (
                    ("rounds", "tournée", "tournées"),
                    ("orders", "commande", "commandes"),
                    ("invoices", "facture", "factures"),
                    ("credit_notes", "avoir", "avoirs"),
                    ("payments", "règlement", "règlements"),
                    ("direct_debit_batches", "lot de prélèvements", "lots de prélèvements"),
                    ("reminders", "relance", "relances"),
                    (
                        "supplier_invoices",
                        "facture fournisseur reçue",
                        "factures fournisseurs reçues",
                    ),
                    ("supplier_invoices_approved", "approuvée", "approuvées"),
                    ("credit_transfer_batches", "lot de virements", "lots de virements"),
                    ("z", "ticket Z", "tickets Z"),
                    ("losses", "perte", "pertes"),
                    ("stock_counts", "inventaire", "inventaires"),
                    ("reports", "rapport mensuel", "rapports mensuels"),
                )
            ]
            self.stdout.write(
                f"Historique de {months} mois construit : {', '.join(made[:-1])} et {made[-1]}."
            )
        if history and options["verbosity"] > 1:
            for action, seconds in sorted(history["timings"].items(), key=lambda i: -i[1]):
                self.stdout.write(f"  {action:<20} {seconds:6.1f} s")
        if orders:
            placed = plural(orders, "commande passée", "commandes passées")
            self.stdout.write(f"{placed} dans les tournées ouvertes.")
        self.stdout.write(
            self.style.SUCCESS(f"Démo chargée en {round(time.monotonic() - started)} s.")
        )
