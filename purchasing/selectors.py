"""Reads of pooled purchasing, scoped to what the user may see."""

from decimal import Decimal

from django.db.models import Prefetch, Q, QuerySet, Sum

from mache.permissions import scope_to_user, sees_all_shops

from . import rules
from .models import (
    Allocation,
    Invoice,
    Order,
    OrderLine,
    PriceTier,
    Product,
    Round,
    Supplier,
    SupplierOrder,
)


def supplier_list(*, user) -> QuerySet[Supplier]:
    # The catalogue is the cooperative's, shared by every member: no shop scope.
    return Supplier.objects.all()


def product_list(*, user) -> QuerySet[Product]:
    return Product.objects.select_related("supplier").prefetch_related(
        Prefetch("price_tiers", queryset=PriceTier.objects.order_by("min_cases")))


def round_list(*, user) -> QuerySet[Round]:
    # Every member sees every round: rounds are calls to order, not shop data.
    return Round.objects.select_related("supplier")


def order_list(*, user) -> QuerySet[Order]:
    return scope_to_user(Order.objects.select_related("round").prefetch_related("lines"),
                         user=user)


def supplier_order_list(*, user) -> QuerySet[SupplierOrder]:
    if not sees_all_shops(user):
        return SupplierOrder.objects.none()
    return SupplierOrder.objects.select_related("round__supplier").prefetch_related(
        "lines__product")


def round_supplier_order(*, round_: Round) -> SupplierOrder | None:
    """The supplier order of a round the caller may see: its totals are the group's, shown
    to every member; the allocations are scoped separately (`allocation_list`)."""
    return (SupplierOrder.objects.select_related("round__supplier")
            .prefetch_related("lines__product").filter(round=round_).first())


def allocation_list(*, user, supplier_order) -> QuerySet[Allocation]:
    return scope_to_user(supplier_order.allocations.order_by("product_id", "rank"), user=user)


def invoice_list(*, user) -> QuerySet[Invoice]:
    return scope_to_user(
        Invoice.objects.select_related("shop", "round__supplier").prefetch_related(
            "lines", "vat_lines"),
        user=user)


def round_fill(*, round_: Round) -> dict:
    """The group's totals if the round closed now (api.md, fill): no shop is named."""
    totals = {row["product_id"]: row for row in
              OrderLine.objects.filter(order__round=round_).values("product_id")
              .annotate(ordered=Sum("quantity"), tolerance=Sum("tolerance"))}
    # Every active product of the supplier (a shop may start a case), and any product
    # already ordered (even if withdrawn from the catalogue since).
    products = (Product.objects
                .filter(Q(supplier_id=round_.supplier_id, active=True) | Q(pk__in=list(totals)))
                .prefetch_related("price_tiers").order_by("name", "id"))
    rows = []
    total = Decimal("0.00")
    for product in products:
        row = totals.get(product.pk, {"ordered": 0, "tolerance": 0})
        cases = rules.cases_for(row["ordered"], row["tolerance"], product.case_size)
        tiers = [rules.Tier(t.min_cases, t.unit_price) for t in product.price_tiers.all()]
        price = rules.group_price(product.unit_price, tiers, cases)
        total += rules.line_amount(cases * product.case_size, price)
        rows.append({
            "product": product.pk, "name": product.name, "sku": product.sku,
            "ordered": row["ordered"], "tolerance": row["tolerance"],
            "case_size": product.case_size, "cases_if_closed_now": cases,
            "missing_for_next_case": rules.missing_for_next_case(row["ordered"],
                                                                 product.case_size),
            "unit_price": price,
        })
    supplier = round_.supplier
    return {
        "round": round_.pk,
        "status": round_.status,
        "closes_at": round_.closes_at,
        "total_excl_vat": total,
        "min_order_amount": supplier.min_order_amount,
        "free_shipping_threshold": supplier.free_shipping_threshold,
        "shipping_if_closed_now": rules.shipping_for(total, supplier.shipping_fee,
                                                     supplier.free_shipping_threshold),
        "products": rows,
    }
