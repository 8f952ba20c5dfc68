"""Reads of pooled purchasing, scoped to what the user may see."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum

from catalogue.models import Product
from mache.permissions import scope_to_user, sees_all_shops
from shops.models import Shop, User

from . import rules
from .models import (
    Allocation,
    Invoice,
    Order,
    OrderLine,
    Round,
    RoundSchedule,
    SupplierOrder,
)


def round_list(*, user) -> QuerySet[Round]:
    # Every member sees every round: rounds are calls to order, not shop data.
    return Round.objects.select_related("supplier")


def round_schedule_list(*, user) -> QuerySet[RoundSchedule]:
    # The cooperative's settings: the views let coordinators only in.
    if not sees_all_shops(user):
        return RoundSchedule.objects.none()
    return RoundSchedule.objects.select_related("supplier")


def round_missing_shops(*, round_: Round) -> QuerySet[Shop]:
    """The active shops with no order in `round_`, by name (for the coordinator: callers
    check the role)."""
    return (
        Shop.objects.filter(status=Shop.Status.ACTIVE)
        .exclude(pk__in=Order.objects.filter(round=round_).values("shop_id"))
        .order_by("name", "id")
    )


def shop_email_addresses(shops: QuerySet[Shop]) -> dict[int, list[str]]:
    """Shop id -> the addresses that reach it: the shop's own e-mail and those of its
    active shopkeepers, once each, sorted. Two queries, whatever the number of shops
    (none of them left out when there is no shop: the pages' query counts stay fixed)."""
    found: dict[int, set[str]] = {
        pk: {email} if email else set() for pk, email in shops.values_list("id", "email")
    }
    keepers = (
        User.objects.filter(is_active=True, role=User.Role.SHOPKEEPER, shops__in=shops.values("pk"))
        .exclude(email="")
        .values_list("shops", "email")
    )
    for pk, email in keepers:
        found[pk].add(email)
    return {pk: sorted(emails) for pk, emails in found.items() if emails}


def order_list(*, user) -> QuerySet[Order]:
    return scope_to_user(Order.objects.select_related("round").prefetch_related("lines"), user=user)


def supplier_order_list(*, user) -> QuerySet[SupplierOrder]:
    if not sees_all_shops(user):
        return SupplierOrder.objects.none()
    return SupplierOrder.objects.select_related("round__supplier").prefetch_related(
        "lines__product"
    )


def round_supplier_order(*, round_: Round) -> SupplierOrder | None:
    """The supplier order of a round the caller may see: its totals are the group's, shown
    to every member; the allocations are scoped separately (`allocation_list`)."""
    return (
        SupplierOrder.objects.select_related("round__supplier")
        .prefetch_related("lines__product")
        .filter(round=round_)
        .first()
    )


def allocation_list(*, user, supplier_order) -> QuerySet[Allocation]:
    return scope_to_user(supplier_order.allocations.order_by("product_id", "rank"), user=user)


def invoice_list(*, user) -> QuerySet[Invoice]:
    return scope_to_user(
        Invoice.objects.select_related("shop", "round__supplier").prefetch_related(
            "lines", "vat_lines"
        ),
        user=user,
    )


def round_fill(*, round_: Round) -> dict:
    """The group's totals if the round closed now (docs/consolidation.md): no shop is named."""
    totals = {
        row["product_id"]: row
        for row in OrderLine.objects.filter(order__round=round_)
        .values("product_id")
        .annotate(ordered=Sum("quantity"), tolerance=Sum("tolerance"))
    }
    # Every active product of the supplier (a shop may start a case), and any product
    # already ordered (even if withdrawn from the catalogue since).
    products = (
        Product.objects.filter(
            Q(supplier_id=round_.supplier_id, active=True) | Q(pk__in=list(totals))
        )
        .prefetch_related("price_tiers")
        .order_by("name", "id")
    )
    rows = []
    total = Decimal("0.00")
    for product in products:
        row = totals.get(product.pk, {"ordered": 0, "tolerance": 0})
        tiers = [rules.Tier(t.min_cases, t.unit_price) for t in product.price_tiers.all()]
        line = rules.group_line(
            ordered=row["ordered"],
            tolerance=row["tolerance"],
            case_size=product.case_size,
            base_price=product.unit_price,
            tiers=tiers,
        )
        total += line.amount
        rows.append(
            {
                "product": product.pk,
                "name": product.name,
                "sku": product.sku,
                "ordered": row["ordered"],
                "tolerance": row["tolerance"],
                "case_size": product.case_size,
                "cases_if_closed_now": line.cases,
                "missing_for_next_case": rules.missing_for_next_case(
                    row["ordered"], product.case_size
                ),
                "unit_price": line.unit_price,
            }
        )
    supplier = round_.supplier
    return {
        "round": round_.pk,
        "status": round_.status,
        "closes_at": round_.closes_at,
        "total_excl_vat": total,
        "min_order_amount": supplier.min_order_amount,
        "free_shipping_threshold": supplier.free_shipping_threshold,
        "shipping_if_closed_now": rules.shipping_for(
            total, supplier.shipping_fee, supplier.free_shipping_threshold
        ),
        "products": rows,
    }


# --- The order form's estimate: the round as if it closed now, with what a shop typed


def percent(part, whole) -> int:
    """A gauge's width, 0 to 100."""
    if not whole:
        return 100 if part else 0
    return max(0, min(100, int(part * 100 / whole)))


def case_gauge(ordered: int, case_size: int) -> int:
    """How full the group's current case is: a case just completed shows full."""
    rest = ordered % case_size
    return 100 if ordered and not rest else rest * 100 // case_size


def group_summary(total: Decimal, supplier) -> dict:
    """The group's total against the supplier's minimum and free-shipping threshold."""
    minimum, franco = supplier.min_order_amount, supplier.free_shipping_threshold
    return {
        "total": total,
        "minimum": minimum,
        "franco": franco,
        "below_minimum": rules.needs_review(total, minimum),
        "minimum_missing": max(minimum - total, Decimal("0.00")),
        "minimum_percent": percent(total, minimum),
        "shipping": rules.shipping_for(total, supplier.shipping_fee, franco),
        "franco_missing": max(franco - total, Decimal("0.00")) if franco is not None else None,
        "franco_percent": percent(total, franco) if franco is not None else None,
    }


@dataclass
class LineEstimate:
    """One product of the order form, as if the round closed now with what was typed."""

    product: object
    tiers: list
    ordered: int  # the group's units, the shop's typed quantity in place of its saved one
    cases: int
    unit_price: Decimal  # the group price for those cases (rule 3)
    missing: int
    gauge: int
    quantity: int
    tolerance: int
    amount: Decimal  # the shop's line, excl. VAT
    vat_rate: Decimal = field(init=False)

    def __post_init__(self):
        self.vat_rate = self.product.vat_rate


def order_estimate(*, round_, fill, products, saved, typed) -> dict:
    """The shop's totals and the group's fill if the round closed now, with the shop's
    typed lines in place of its saved ones; nothing is written.

    `fill` is selectors.round_fill(round_); `saved` and `typed` map product ids to
    (quantity, tolerance). Prices and amounts come from purchasing.rules (rules 1, 3, 4
    and the VAT of rule 6), as consolidation computes them.
    """
    by_product = {row["product"]: row for row in fill["products"]}
    group_total = fill["total_excl_vat"]
    lines = []
    for product in products:
        row = by_product.get(product.pk)
        old_quantity, old_tolerance = saved.get(product.pk, (0, 0))
        quantity, tolerance = typed.get(product.pk, (0, 0))
        ordered = (row["ordered"] if row else 0) - old_quantity + quantity
        group_tolerance = (row["tolerance"] if row else 0) - old_tolerance + tolerance
        tiers = [rules.Tier(t.min_cases, t.unit_price) for t in product.price_tiers.all()]
        group = rules.group_line(
            ordered=ordered,
            tolerance=group_tolerance,
            case_size=product.case_size,
            base_price=product.unit_price,
            tiers=tiers,
        )
        price = group.unit_price
        if row:
            group_total -= rules.line_amount(
                row["cases_if_closed_now"] * row["case_size"], row["unit_price"]
            )
        group_total += group.amount
        lines.append(
            LineEstimate(
                product=product,
                tiers=tiers,
                ordered=ordered,
                cases=group.cases,
                unit_price=price,
                missing=rules.missing_for_next_case(ordered, product.case_size),
                gauge=case_gauge(ordered, product.case_size),
                quantity=quantity,
                tolerance=tolerance,
                amount=rules.line_amount(quantity, price),
            )
        )
    shop_excl = sum((line.amount for line in lines), Decimal("0.00"))
    shop_vat = sum(
        (rules.vat_amount(base, rate) for rate, base in rules.amounts_by_rate(lines).items()),
        Decimal("0.00"),
    )
    return {
        "lines": lines,
        "shop_excl": shop_excl,
        "shop_vat": shop_vat,
        "shop_incl": shop_excl + shop_vat,
        "group": group_summary(group_total, round_.supplier),
    }
