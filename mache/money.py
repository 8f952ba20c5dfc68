"""Money and the largest-remainder split: pure functions, no ORM.

Amounts are Decimal everywhere. `money()` is the one rounding rule of the project:
half-up to the cent, applied per line (docs/money.md).
"""

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
UNIT_PRICE_PLACES = Decimal("0.0001")


def to_decimal(value) -> Decimal:
    """A Decimal from a Decimal, an int or a string; floats are refused (they are not exact)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool) or isinstance(value, float):
        raise TypeError(f"money must not be a {type(value).__name__}: {value!r}")
    if isinstance(value, int):
        return Decimal(value)
    try:
        return Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ValueError(f"not an amount: {value!r}") from exc


def money(value) -> Decimal:
    """Round half-up to the cent: money(Decimal("2.345")) == Decimal("2.35")."""
    return to_decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def to_cents(amount) -> int:
    """An amount with at most two decimals as a whole number of cents."""
    rounded = money(amount)
    if rounded != to_decimal(amount):
        raise ValueError(f"{amount!r} has more than two decimals")
    return int(rounded * 100)


def from_cents(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(CENT)


def split(total: int, weights: Sequence[int]) -> list[int]:
    """Share `total` whole units over parties in proportion to `weights`.

    Each party gets floor(total * w / W); the units left go one each to the largest
    fractional remainders. Ties go to the party that comes first in `weights`, so the
    caller orders the parties by the tie-break of the rule it applies (order rank then
    shop id; lower VAT rate first...). Integer arithmetic only: remainders are
    compared as numerators over the same denominator W.

    When total <= W, no party gets more than its weight: a share of w*total/W <= w is
    rounded up only when it has a fractional part, hence is below w.
    """
    if total < 0:
        raise ValueError("cannot split a negative total")
    if any(w < 0 for w in weights):
        raise ValueError("weights must not be negative")
    weight_sum = sum(weights)
    if weight_sum == 0:
        if total:
            raise ValueError("cannot split a positive total over zero weights")
        return [0] * len(weights)
    shares = []
    remainders = []
    for index, weight in enumerate(weights):
        share, remainder = divmod(total * weight, weight_sum)
        shares.append(share)
        remainders.append((-remainder, index))
    left = total - sum(shares)
    # left < number of parties with a non-zero remainder, so only those are served.
    for _, index in sorted(remainders)[:left]:
        shares[index] += 1
    return shares


def split_money(amount, weights: Sequence) -> list[Decimal]:
    """Split an amount of money in cents over Decimal weights (amounts), see `split`."""
    weight_cents = [to_cents(w) for w in weights]
    return [from_cents(c) for c in split(to_cents(amount), weight_cents)]
