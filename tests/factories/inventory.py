"""Stock: movements (receipts with their cost and lot, sales, losses) through the
inventory's own service, so that balances, lots and costs follow as in the application."""

from decimal import Decimal

from django.utils import timezone

from inventory.services import MovementIn, movements_record


def record_movement(
    shop, product, kind, quantity, *, at=None, cost=None, lot="", expires_on=None, reason=""
):
    """One movement of `quantity` (signed: exits are negative) at `at` (now by default)."""
    [movement] = movements_record(
        movements=[
            MovementIn(
                shop_id=shop.pk,
                product_id=product.pk,
                kind=kind,
                quantity=quantity,
                occurred_at=at or timezone.now(),
                unit_cost=None if cost is None else Decimal(cost),
                lot=lot,
                expires_on=expires_on,
                reason=reason,
            )
        ]
    )
    return movement


def receive_stock(shop, product, quantity, cost, *, lot="", expires_on=None, at=None):
    """Put goods in stock as purchasing does (a receipt movement with its cost)."""
    return record_movement(
        shop, product, "receipt", quantity, at=at, cost=cost, lot=lot, expires_on=expires_on
    )
