"""Reads of the catalogue: the cooperative's, shared by every member (no shop scope)."""

from django.db.models import Prefetch, QuerySet

from .models import PriceTier, Product, Supplier


def supplier_list(*, user) -> QuerySet[Supplier]:
    # The catalogue is the cooperative's, shared by every member: no shop scope.
    return Supplier.objects.all()


def product_list(*, user) -> QuerySet[Product]:
    return Product.objects.select_related("supplier").prefetch_related(
        Prefetch("price_tiers", queryset=PriceTier.objects.order_by("min_cases"))
    )
