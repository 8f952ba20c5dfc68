"""Writes of stock."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from .models import StockMovement


@dataclass(frozen=True)
class ReceiptIn:
    shop_id: int
    product_id: int
    quantity: int
    unit_cost: Decimal  # the group unit price, excluding VAT and shipping
    allocation_id: int
    occurred_at: datetime


def stock_receipts_record(*, receipts: list[ReceiptIn]) -> int:
    """Goods received through pooled purchasing enter each shop's stock.

    Call inside the receipt's transaction. One movement per allocation (a unique key),
    so a replayed receipt cannot add stock twice. Returns the number of movements.
    """
    movements = [
        StockMovement(shop_id=r.shop_id, product_id=r.product_id, kind=StockMovement.Kind.RECEIPT,
                      quantity=r.quantity, unit_cost=r.unit_cost, allocation_id=r.allocation_id,
                      occurred_at=r.occurred_at)
        for r in receipts if r.quantity > 0
    ]
    StockMovement.objects.bulk_create(movements)
    return len(movements)
