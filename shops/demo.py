"""Load the demo cooperative's members (wiring/demo/demo_cooperative.json). Idempotent."""

import datetime as dt
import secrets
from decimal import Decimal

from django.db import transaction

from . import hooks
from .models import Cooperative, Shop, User
from .services import user_create

DEMO_USERS = [
    # (username, role, shops by SIRET: None = none needed)
    ("coordination", User.Role.COORDINATOR, None),
    ("romazy", User.Role.SHOPKEEPER, ["88364454400008"]),
    ("comptable", User.Role.ACCOUNTANT, ["88364454400008", "85501257100003", "82767989500009"]),
]


def demo_members_load(data: dict) -> list[tuple[str, str, str | None]]:
    """Create or update the cooperative and its shops, then the demo users.

    Returns (username, role, password) for each user; the password is None for a user
    that existed already (it is never reset, so it is printed only once).
    """
    with transaction.atomic():
        coop_data = data["cooperative"]
        Cooperative.objects.update_or_create(
            singleton=True,
            defaults={
                "name": coop_data["name"],
                "legal_name": coop_data["legal_name"],
                "siret": coop_data["siret"],
                "service_fee_rate": Decimal(coop_data["service_fee_rate"]),
                "share_value": Decimal(coop_data["share_value"]),
            },
        )
        # The hub's place (docs/local-producers.md), unless the coordinator typed one.
        if "hub_latitude" in coop_data:
            Cooperative.objects.filter(hub_latitude=None, hub_longitude=None).update(
                hub_latitude=Decimal(coop_data["hub_latitude"]),
                hub_longitude=Decimal(coop_data["hub_longitude"]),
            )
        for row in data["shops"]:
            joined = row.get("joined_on")
            shop, created = Shop.objects.update_or_create(
                siret=row["siret"],
                defaults={
                    "name": row["name"],
                    "legal_name": row["legal_name"],
                    "kind": row["kind"],
                    "commune": row["commune"],
                    "postcode": row["postcode"],
                    "zone": row["zone"],
                    "status": row["status"],
                    "shares": row["shares"],
                    "joined_on": dt.date.fromisoformat(joined) if joined else None,
                    "vat_regime": row.get("vat_regime", Shop.VatRegime.SIMPLIFIED),
                },
            )
            if created:
                # What the API does for a new shop (its ledger: accounting/apps.py).
                hooks.shop_created.run(shop)
        created = []
        for username, role, sirets in DEMO_USERS:
            if User.objects.filter(username=username).exists():
                created.append((username, role, None))
                continue
            password = secrets.token_urlsafe(9)
            shops = list(Shop.objects.filter(siret__in=sirets or []))
            user_create(
                username=username,
                password=password,
                role=role,
                shops=shops,
                email=f"{username}@mache.example",
            )
            created.append((username, role, password))
    return created
