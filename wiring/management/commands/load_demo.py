"""`manage.py load_demo`: the demo cooperative of Ille-et-Vilaine, with one user per role."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand
from django.db import transaction

from accounting.services import cooperative_ledger
from mache.formats import plural
from purchasing.demo import demo_catalogue_load
from shops.demo import demo_members_load

DEMO_FILE = Path(__file__).resolve().parents[2] / "demo" / "demo_cooperative.json"


class Command(BaseCommand):
    help = "Charge la coopérative de démonstration (idempotent) et crée un utilisateur par rôle."

    def handle(self, *args, **options):
        data = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
        with transaction.atomic():
            cooperative_ledger()
            users = demo_members_load(data)
            catalogue = demo_catalogue_load(data)
        self.stdout.write(
            self.style.SUCCESS(
                "Coopérative de démonstration chargée ("
                f"{plural(catalogue['suppliers'], 'fournisseur', 'fournisseurs')}, "
                f"{plural(catalogue['products'], 'produit', 'produits')}, "
                f"{plural(catalogue['rounds'], 'tournée ouverte', 'tournées ouvertes')} ajoutés)."
            )
        )
        for username, role, password in users:
            if password:
                self.stdout.write(f"  {role.label:<17} {username:<14} mot de passe : {password}")
            else:
                self.stdout.write(
                    f"  {role.label:<17} {username:<14} (existe déjà ; "
                    f"`manage.py changepassword {username}` pour le changer)"
                )
