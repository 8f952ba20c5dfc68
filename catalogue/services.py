"""Suppliers and products (with volume price tiers). Coordinators only: the API checks."""

from decimal import Decimal

from django.db import IntegrityError, transaction

from mache.db import full_clean_or_invalid
from mache.errors import InvalidInput
from mache.formats import format_unit_price

from .cache import catalogue_changed
from .models import PriceTier, Product, Supplier


def supplier_create(*, data: dict) -> Supplier:
    supplier = Supplier(**data)
    full_clean_or_invalid(supplier)
    try:
        with transaction.atomic():
            supplier.save()
    except IntegrityError as exc:
        raise InvalidInput({"name": ["Un fournisseur porte déjà ce nom."]}) from exc
    return supplier


def supplier_update(*, supplier: Supplier, data: dict) -> Supplier:
    try:
        with transaction.atomic():
            supplier = Supplier.objects.select_for_update().get(pk=supplier.pk)
            for name, value in data.items():
                setattr(supplier, name, value)
            full_clean_or_invalid(supplier)
            supplier.save()
    except IntegrityError as exc:
        # Another supplier took the name between the check and the save.
        raise InvalidInput({"name": ["Un fournisseur porte déjà ce nom."]}) from exc
    return supplier


def check_price_tiers(tiers: list[dict], base_price: Decimal) -> list[dict]:
    """Tiers: distinct min_cases >= 1, prices > 0 and not above the base price.

    Returns them sorted by min_cases; raises InvalidInput on `price_tiers`.
    """
    errors = []
    seen = set()
    for index, tier in enumerate(tiers, start=1):
        if tier["min_cases"] in seen:
            errors.append(f"Palier {index} : {tier['min_cases']} colis figure déjà.")
        seen.add(tier["min_cases"])
        if tier["unit_price"] > base_price:
            errors.append(
                f"Palier {index} : le prix {format_unit_price(tier['unit_price'])} dépasse "
                f"le prix de base {format_unit_price(base_price)}."
            )
    if errors:
        raise InvalidInput({"price_tiers": errors})
    return sorted(tiers, key=lambda t: t["min_cases"])


def product_save(*, product: Product | None, data: dict) -> Product:
    """Create (product=None) or update a product; `price_tiers`, when given, replaces all."""
    data = dict(data)
    tiers = data.pop("price_tiers", None)
    with transaction.atomic():
        if product is None:
            product = Product(**data)
        else:
            product = Product.objects.select_for_update().get(pk=product.pk)
            for name, value in data.items():
                setattr(product, name, value)
        if (
            Product.objects.filter(supplier_id=product.supplier_id, sku=product.sku)
            .exclude(pk=product.pk)
            .exists()
        ):
            raise InvalidInput({"sku": ["Cette référence existe déjà chez ce fournisseur."]})
        full_clean_or_invalid(product, validate_constraints=False)
        if tiers is None and product.pk:
            existing = list(product.price_tiers.values("min_cases", "unit_price"))
            check_price_tiers(existing, product.unit_price)
        try:
            with transaction.atomic():
                product.save()
        except IntegrityError as exc:
            raise InvalidInput(
                {"sku": ["Cette référence existe déjà chez ce fournisseur."]}
            ) from exc
        if tiers is not None:
            tiers = check_price_tiers(tiers, product.unit_price)
            product.price_tiers.all().delete()
            PriceTier.objects.bulk_create(
                PriceTier(product=product, min_cases=t["min_cases"], unit_price=t["unit_price"])
                for t in tiers
            )
        # A bulk write sends no signal (catalogue/cache.py).
        catalogue_changed(product.supplier_id)
    return product
