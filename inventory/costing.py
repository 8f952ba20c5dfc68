"""Weighted average cost (coût unitaire moyen pondéré), as pure functions.

A stock line is (quantity, average cost, value). Receipts move the average cost;
everything else moves the quantity at the current average cost. Value is always
money(quantity x average cost): it can be recomputed from any stored state.

Costs carry 8 decimals (`COST_PLACES`, half-up): a receipt enters at its full cost
(goods, shipping share and fee: docs/inventory.md, "Stock at its full cost"), an
amount in cents that is rarely a multiple of its units, and 8 decimals keep
money(units x unit cost) equal to that amount for any line of fewer than 1,000,000
units (the error is at most units x 0.5e-8 < 0.005).
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from mache.money import money

COST_PLACES = Decimal("0.00000001")
ZERO_COST = Decimal("0.00000000")


class NegativeStock(Exception):
    """A movement would take the quantity below zero."""

    def __init__(self, available: int, asked: int):
        self.available = available
        self.asked = asked
        super().__init__(f"{asked} asked, {available} available")


@dataclass(frozen=True)
class StockState:
    quantity: int = 0
    average_cost: Decimal = ZERO_COST
    value: Decimal = Decimal("0.00")


def cost_round(value: Decimal) -> Decimal:
    """A cost to 8 decimals, half-up (module doc)."""
    return value.quantize(COST_PLACES, rounding=ROUND_HALF_UP)


def unit_cost_of(value: Decimal, quantity: int) -> Decimal:
    """The unit cost of `quantity` units worth `value` in all, to 8 decimals: for
    quantity < 1,000,000, money(quantity x unit cost) == value (module doc)."""
    return cost_round(value / quantity)


def apply_movement(
    state: StockState,
    delta: int,
    unit_cost: Decimal | None = None,
    fallback_cost: Decimal | None = None,
) -> tuple[StockState, Decimal]:
    """The state after a movement of `delta` units, and the unit cost it moved at.

    An entry with a cost (a receipt) recomputes the average cost:
    (q * avg + delta * cost) / (q + delta), to 8 decimals half-up; from an empty stock
    the average is the cost itself. Entries without a cost (a count finding more) and
    exits (sales, losses) move at the current average. The average survives an empty
    stock, so that a later adjustment is valued at the last known cost. When no cost is
    known yet (an average of zero: nothing was ever received), an entry without a cost
    moves at `fallback_cost` (the last purchase price) as a receipt would: units never
    enter at 0 (docs/inventory.md).
    Raises NegativeStock when the quantity would fall below zero.
    """
    quantity = state.quantity + delta
    if quantity < 0:
        raise NegativeStock(state.quantity, -delta)
    if delta > 0 and unit_cost is None and not state.average_cost and fallback_cost:
        unit_cost = fallback_cost
    average = state.average_cost
    moved_at = average
    if delta > 0 and unit_cost is not None:
        moved_at = cost_round(unit_cost)
        if state.quantity <= 0:
            average = moved_at
        else:
            average = cost_round(
                (state.quantity * state.average_cost + delta * moved_at) / quantity
            )
    return StockState(quantity, average, money(quantity * average)), moved_at
