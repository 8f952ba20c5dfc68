"""Reads of the catalogue: the cooperative's, shared by every member (no shop scope)."""

from django.db.models import Count, Prefetch, Q, QuerySet

from mache.search import search_q

from .models import PriceTier, Product, Supplier


def supplier_list(*, user) -> QuerySet[Supplier]:
    # The catalogue is the cooperative's, shared by every member: no shop scope.
    return Supplier.objects.all()


def product_list(*, user) -> QuerySet[Product]:
    return Product.objects.select_related("supplier").prefetch_related(
        Prefetch("price_tiers", queryset=PriceTier.objects.order_by("min_cases"))
    )


def supplier_search(*, user, text: str = "") -> QuerySet[Supplier]:
    """Suppliers whose name contains the words of `text`, accents and case aside
    (docs/catalogue.md), with how many products they have, and how many are active."""
    return (
        supplier_list(user=user)
        .filter(search_q(["name"], text))
        .annotate(
            product_count=Count("products"),
            active_count=Count("products", filter=Q(products__active=True)),
        )
        .order_by("name", "id")
    )


def product_search(
    *, user, text: str = "", supplier: Supplier | None = None, active: bool | None = None
) -> QuerySet[Product]:
    """Products whose name or reference contains the words of `text`, accents and case
    aside (docs/catalogue.md); of one supplier, active or not, when asked."""
    products = product_list(user=user).filter(search_q(["name", "sku"], text))
    if supplier is not None:
        products = products.filter(supplier=supplier)
    if active is not None:
        products = products.filter(active=active)
    return products.order_by("name", "supplier__name", "id")
