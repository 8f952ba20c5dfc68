"""Consolidation of a round into its supplier order (docs/consolidation.md, rules 1 to 4).

One transaction under the round's row lock: either everything (supplier order, lines,
allocations, the round's new status) is written, or nothing. The supplier order is
unique per round, so running it twice, or on two workers at once, yields one. Its
query count does not depend on the number of shops or lines: totals come from one
aggregate query, the lines from one query, and the allocations go in with one COPY.
"""

import logging
from collections import defaultdict

from django.db import transaction
from django.utils import timezone

from mache.db import insert_rows
from mache.errors import BusinessRuleError
from mache.formats import format_eur, format_quantity, plural
from mache.notifications import notify_on_commit

from .. import rules
from ..documents import documents_store_on_commit
from ..models import Allocation, OrderLine, Round, SupplierOrder
from ..models import SupplierOrderLine as Line
from ..selectors import round_products
from . import notifications
from .orders import fill_changes_at_commit, round_lock

log = logging.getLogger(__name__)


class NotConsolidated(BusinessRuleError):
    code = "not_consolidated"
    default_detail = "La tournée n'est pas encore consolidée."


class RoundCancelled(BusinessRuleError):
    code = "round_cancelled"
    default_detail = "La tournée est annulée."


EMPTY_WARNING = "Aucun produit à commander : la tournée ne peut qu'être annulée."
BELOW_MINIMUM_WARNING = (
    "Total {total} HT sous le minimum de commande de {minimum} HT : à valider ou annuler."
)


def is_review_warning(text: str) -> bool:
    """A warning that asks the coordinator to decide (empty order, under the minimum):
    moot once the supplier order is confirmed or cancelled (docs/rounds.md)."""
    head, _, tail = BELOW_MINIMUM_WARNING.partition("{total}")
    return text == EMPTY_WARNING or (
        text.startswith(head) and text.endswith(tail.rpartition("{minimum}")[2])
    )


def round_close_now(*, round_id: int) -> Round:
    """The coordinator closes an open round at once (its deadline becomes now)."""
    with transaction.atomic():
        round_ = round_lock(round_id)
        if round_.status == Round.Status.CANCELLED:
            raise RoundCancelled()
        now = timezone.now()
        if round_.status == Round.Status.OPEN and round_.closes_at > now:
            round_.closes_at = max(now, round_.opens_at + timezone.timedelta(microseconds=1))
            round_.save(update_fields=["closes_at"])
            fill_changes_at_commit(round_.pk)
    return round_


def rounds_due_ids(now=None) -> list[int]:
    """Open rounds whose deadline has passed: the sweep consolidates them."""
    now = now or timezone.now()
    return list(
        Round.objects.filter(status=Round.Status.OPEN, closes_at__lte=now)
        .order_by("closes_at", "id")
        .values_list("id", flat=True)
    )


def round_consolidate(*, round_id: int) -> SupplierOrder | None:
    """Consolidate a round whose deadline has passed. Idempotent.

    Returns the round's supplier order (the existing one if it was done already), or
    None when there is nothing to do (a cancelled round, a deadline not reached yet).
    """
    with transaction.atomic():
        round_ = round_lock(round_id)
        existing = SupplierOrder.objects.filter(round=round_).first()
        if existing is not None:
            return existing
        if round_.status != Round.Status.OPEN or round_.closes_at > timezone.now():
            return None
        supplier_order = _consolidate_locked(round_)
        notify_on_commit(notifications.round_consolidated, supplier_order.pk)
        if supplier_order.status == SupplierOrder.Status.CONFIRMED:
            # Confirmed at once (at or above the minimum): to the supplier (docs/rounds.md).
            notify_on_commit(notifications.purchase_order_to_supplier, supplier_order.pk)
            documents_store_on_commit(purchase_orders=[supplier_order])
    log.info(
        "round %s consolidated: supplier order %s (%s)",
        round_id,
        supplier_order.pk,
        supplier_order.status,
    )
    return supplier_order


def _consolidate_locked(round_: Round) -> SupplierOrder:
    supplier = round_.supplier
    # Every line of the round, read once in tie-break order (order rank = creation
    # order; ranks are distinct, so shop ids never have to break a tie), then written
    # back in that same order: the indexes of the allocation table then grow at their
    # end, which makes the COPY markedly cheaper.
    lines = list(
        OrderLine.objects.filter(order__round=round_)
        .order_by("order__created_at", "order_id", "product_id")
        .values_list("order_id", "order__shop_id", "product_id", "quantity", "tolerance")
    )
    products, terms = round_products({line[2] for line in lines})
    # Rules 1 to 4, the same pure code as the order form's estimate (rules.round_plan).
    plan = rules.round_plan(
        terms,
        [(product_id, quantity, tolerance) for _, _, product_id, quantity, tolerance in lines],
        shipping_fee=supplier.shipping_fee,
        free_shipping_threshold=supplier.free_shipping_threshold,
    )
    ordered = defaultdict(int)
    for _, _, product_id, quantity, _ in lines:
        ordered[product_id] += quantity
    warnings = []
    for product_id, line in plan.products.items():
        if line.cases == 0:
            product = products[product_id]
            warnings.append(
                f"« {product.name} » ({product.sku}) retiré : "
                f"{plural(ordered[product_id], 'unité commandée', 'unités commandées')}, "
                f"pas assez pour un colis de {format_quantity(product.case_size)}."
            )

    total = plan.total
    empty = not any(line.cases for line in plan.products.values())
    status = (
        SupplierOrder.Status.NEEDS_REVIEW
        if empty or rules.needs_review(total, supplier.min_order_amount)
        else SupplierOrder.Status.CONFIRMED
    )
    if empty:
        # Nothing to order: no shipping is owed, and the round can only be cancelled
        # (lifecycle.EmptySupplierOrder).
        warnings.append(EMPTY_WARNING)
    elif status == SupplierOrder.Status.NEEDS_REVIEW:
        warnings.append(
            BELOW_MINIMUM_WARNING.format(
                total=format_eur(total), minimum=format_eur(supplier.min_order_amount)
            )
        )
    supplier_order = SupplierOrder.objects.create(
        round=round_,
        status=status,
        total_excl_vat=total,
        shipping=plan.shipping,
        warnings=warnings,
        confirmed_at=timezone.now() if status == SupplierOrder.Status.CONFIRMED else None,
    )
    Line.objects.bulk_create(
        Line(
            supplier_order=supplier_order,
            product=products[product_id],
            cases=line.cases,
            units=line.units,
            unit_price=line.unit_price,
            base_unit_price=products[product_id].unit_price,
            amount=line.amount,
        )
        for product_id, line in plan.products.items()
        if line.cases
    )

    rank_of: dict[int, int] = {}
    for order_id, *_ in lines:
        rank_of.setdefault(order_id, len(rank_of) + 1)
    allocated = plan.allocated

    insert_rows(
        Allocation,
        [
            "supplier_order_id",
            "order_id",
            "shop_id",
            "product_id",
            "rank",
            "quantity",
            "tolerance",
            "allocated",
        ],
        (
            (
                supplier_order.pk,
                order_id,
                shop_id,
                product_id,
                rank_of[order_id],
                quantity,
                tolerance,
                allocated[index],
            )
            for index, (order_id, shop_id, product_id, quantity, tolerance) in enumerate(lines)
        ),
    )
    Round.objects.filter(pk=round_.pk).update(status=Round.Status.CONSOLIDATED)
    fill_changes_at_commit(round_.pk)
    return supplier_order
