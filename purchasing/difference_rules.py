"""What a supplier billed more or less than the shops were invoiced for, shared back over
the shops: pure functions, no ORM (docs/supplier-differences.md).

`purchasing.services.supplier_differences` reads the round's invoices, gives their
amounts here as plain values and issues what comes back (credit notes for what is
negative, supplementary invoices for what is positive).
"""

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from mache.money import ZERO, split_money

from .rules import split_by_rate


@dataclass(frozen=True)
class ShopInvoiced:
    """What one shop's round invoice holds, in the round's tie-break order: its goods
    per product ({product: (amount excl. VAT, VAT rate)}) and its shipping per VAT rate.

    `returned`: the amount of each product its credit notes took back as sent back to
    the supplier (the supplier bills those units no more: they weigh nothing in the
    split). `left` / `goods_left`: what remains to credit on the invoice per (kind, VAT
    rate) and per product, once its credit notes took theirs; None: no bound (a shop's
    credit is capped at them, docs/supplier-differences.md)."""

    shop: object
    goods: Mapping[object, tuple[Decimal, Decimal]]
    shipping: Mapping[Decimal, Decimal]
    returned: Mapping[object, Decimal] = field(default_factory=dict)
    left: Mapping[tuple[str, Decimal], Decimal] | None = None
    goods_left: Mapping[object, Decimal] | None = None

    def kept(self, product) -> Decimal:
        """The amount of `product` the shop kept: invoiced less sent back."""
        amount = self.goods.get(product, (ZERO, None))[0]
        return max(amount - self.returned.get(product, ZERO), ZERO)

    @property
    def goods_total(self) -> Decimal:
        return sum((amount for amount, _ in self.goods.values()), ZERO)

    @property
    def shipping_total(self) -> Decimal:
        return sum(self.shipping.values(), ZERO)

    def goods_by_rate(self) -> dict[Decimal, Decimal]:
        totals: dict[Decimal, Decimal] = defaultdict(lambda: ZERO)
        for amount, rate in self.goods.values():
            totals[rate] += amount
        return dict(totals)


@dataclass(frozen=True)
class Share:
    """One shop's share of one difference: `product` (None: shipping), signed amount
    excl. VAT (negative: billed less, credited), at `vat_rate`."""

    product: object
    amount: Decimal
    vat_rate: Decimal


@dataclass
class ShopDifference:
    shop: object
    shares: list[Share] = field(default_factory=list)

    @property
    def credits(self) -> list[Share]:
        return [share for share in self.shares if share.amount < 0]

    @property
    def charges(self) -> list[Share]:
        return [share for share in self.shares if share.amount > 0]


def split_signed(delta: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """`delta` (positive or negative, two decimals) split over `weights` (amounts >= 0)
    by the largest remainder (mache.money.split_money): the shares carry the sign of
    `delta` and add up to it exactly. Weights all zero: every share is zero unless
    `delta` is, which raises ValueError (the caller chooses other weights first)."""
    sign = -1 if delta < 0 else 1
    return [sign * share for share in split_money(abs(delta), weights)]


def credit_capped(delta: Decimal, invoiced: Decimal) -> Decimal:
    """A negative delta never credits more than the shops were invoiced for (their lines
    are rounded one by one, so their sum may fall a cent short of the supplier's line):
    the cent left stays with the cooperative."""
    return max(delta, -invoiced) if delta < 0 else delta


def credits_capped(difference: ShopDifference, invoiced: ShopInvoiced) -> ShopDifference:
    """The shop's negative shares cut to what remains to credit on its invoice, per
    product and per (kind, VAT rate), in the order of its shares: a shop is never
    credited twice for what an earlier credit note gave back (the rest stays with the
    cooperative, which bore that credit note). Positive shares are kept whole."""
    if invoiced.left is None and invoiced.goods_left is None:
        return difference
    left = dict(invoiced.left or {})
    goods_left = dict(invoiced.goods_left or {})
    shares = []
    for share in difference.shares:
        if share.amount < 0:
            group = ("goods" if share.product is not None else "shipping", share.vat_rate)
            room = left.get(group, ZERO) if invoiced.left is not None else -share.amount
            if share.product is not None and invoiced.goods_left is not None:
                room = min(room, goods_left.get(share.product, ZERO))
            amount = -min(-share.amount, max(room, ZERO))
            if not amount:
                continue
            if invoiced.left is not None:
                left[group] = left.get(group, ZERO) + amount
            if share.product is not None and invoiced.goods_left is not None:
                goods_left[share.product] = goods_left.get(share.product, ZERO) + amount
            share = Share(share.product, amount, share.vat_rate)
        shares.append(share)
    return ShopDifference(shop=difference.shop, shares=shares)


def shop_differences(
    *,
    deltas: Mapping[object, Decimal],
    shops: Sequence[ShopInvoiced],
    vat_rates: Mapping[object, Decimal],
) -> list[ShopDifference]:
    """Each shop's shares of `deltas` ({product: billed minus expected, None: the
    shipping}), shops in the order given (the tie-break of the largest remainder).

    - a product: split by the shops' amounts of it on their invoices less what they sent
      back to the supplier, at its rate there (`vat_rates` for a product no shop kept:
      then split by the shops' goods);
    - the shipping: split by the shops' shipping amounts (their goods when the round
      carried no shipping), then each shop's share over its shipping's VAT rates (its
      goods' rates, rule 6) with `rules.split_by_rate`.
    A shop's credits are then capped at what remains to credit on its invoice
    (`credits_capped`). Shops with no share are left out; the shares of each shop are in
    the order of `deltas` (products first, as given, the shipping last)."""
    result = {s.shop: ShopDifference(shop=s.shop) for s in shops}
    goods_totals = [s.goods_total for s in shops]
    for product, delta in deltas.items():
        if product is None or not delta:
            continue
        weights = [s.kept(product) for s in shops]
        if not any(weights):
            weights = goods_totals
        delta = credit_capped(delta, sum(weights, ZERO))
        for s, part in zip(shops, split_signed(delta, weights), strict=True):
            if part:
                rate = s.goods[product][1] if product in s.goods else vat_rates[product]
                result[s.shop].shares.append(Share(product, part, rate))
    shipping = deltas.get(None)
    if shipping:
        weights = [s.shipping_total for s in shops]
        by_rate = [s.shipping for s in shops]
        if not any(weights):
            weights, by_rate = goods_totals, [s.goods_by_rate() for s in shops]
        shipping = credit_capped(shipping, sum(weights, ZERO))
        for s, rates, part in zip(shops, by_rate, split_signed(shipping, weights), strict=True):
            if not part:
                continue
            # split_by_rate splits an amount >= 0: the sign goes back on after.
            sign = -1 if part < 0 else 1
            for rate, amount in split_by_rate(abs(part), dict(rates)).items():
                result[s.shop].shares.append(Share(None, sign * amount, rate))
    by_shop = {s.shop: s for s in shops}
    capped = [credits_capped(difference, by_shop[shop]) for shop, difference in result.items()]
    return [difference for difference in capped if difference.shares]
