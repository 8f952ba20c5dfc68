"""Load the demo catalogue (wiring/demo/demo_cooperative.json) and open one round. Idempotent."""

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from catalogue.models import Product, Supplier
from catalogue.services import product_save, supplier_create, supplier_update

from .models import Round
from .services.orders import round_create


def _degrees(value) -> Decimal | None:
    return None if value is None else Decimal(value)


def demo_catalogue_load(data: dict) -> dict:
    """Suppliers and products by name and SKU; one open round for the first supplier
    when none is open, closing in two days. Returns counts for the command to print."""
    created = {"suppliers": 0, "products": 0, "rounds": 0}
    with transaction.atomic():
        suppliers = {}
        for row in data["suppliers"]:
            fields = {
                "siret": row["siret"],
                "email": row["email"],
                "min_order_amount": Decimal(row["min_order_amount"]),
                "free_shipping_threshold": (
                    Decimal(row["free_shipping_threshold"])
                    if row["free_shipping_threshold"]
                    else None
                ),
                "shipping_fee": Decimal(row["shipping_fee"]),
                # Who it is and where (docs/local-producers.md).
                "kind": row.get("kind", "wholesaler"),
                "commune": row.get("commune", ""),
                "latitude": _degrees(row.get("latitude")),
                "longitude": _degrees(row.get("longitude")),
                "labels": row.get("labels", []),
            }
            supplier = Supplier.objects.filter(name=row["name"]).first()
            if supplier is None:
                supplier = supplier_create(data={"name": row["name"], **fields})
                created["suppliers"] += 1
            else:
                supplier = supplier_update(supplier=supplier, data=fields)
            suppliers[row["name"]] = supplier
        for row in data["products"]:
            supplier = suppliers[row["supplier"]]
            product = Product.objects.filter(supplier=supplier, sku=row["sku"]).first()
            created["products"] += product is None
            product_save(
                product=product,
                data={
                    "supplier": supplier,
                    "sku": row["sku"],
                    "name": row["name"],
                    "unit_label": row["unit_label"],
                    "case_size": row["case_size"],
                    "unit_price": Decimal(row["unit_price"]),
                    "vat_rate": Decimal(row["vat_rate"]),
                    "origin": row.get("origin", ""),
                    "labels": row.get("labels", []),
                    "price_tiers": [
                        {"min_cases": t["min_cases"], "unit_price": Decimal(t["unit_price"])}
                        for t in row["price_tiers"]
                    ],
                },
            )
        first = suppliers[data["suppliers"][0]["name"]]
        if not Round.objects.filter(supplier=first, status=Round.Status.OPEN).exists():
            now = timezone.now()
            round_create(
                supplier=first,
                opens_at=now,
                closes_at=now + dt.timedelta(days=2),
                delivery_date=timezone.localdate() + dt.timedelta(days=4),
            )
            created["rounds"] += 1
    return created
