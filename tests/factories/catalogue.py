"""Suppliers, products and their price tiers."""

from decimal import Decimal

import factory

# The catalogue's models, all in this one import line.
from catalogue.models import PriceTier, Product, Supplier

from .shops import make_siret


class SupplierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Supplier

    name = factory.Sequence(lambda n: f"Fournisseur {n}")
    siret = factory.LazyFunction(make_siret)
    email = factory.Sequence(lambda n: f"commandes{n}@fournisseur.example")
    min_order_amount = Decimal("0.00")
    free_shipping_threshold = Decimal("300.00")
    shipping_fee = Decimal("25.00")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    supplier = factory.SubFactory(SupplierFactory)
    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.Sequence(lambda n: f"Produit {n}")
    unit_label = "unité"
    case_size = 6
    unit_price = Decimal("2.5000")
    vat_rate = Decimal("5.50")
    active = True


def add_tiers(product, *tiers):
    """add_tiers(p, (5, "1.1000"), (10, "1.0000"))"""
    for min_cases, price in tiers:
        PriceTier.objects.create(product=product, min_cases=min_cases, unit_price=Decimal(price))
