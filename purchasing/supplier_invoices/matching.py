"""The three-way match of a supplier's invoice with its supplier order and the receipt
(docs/supplier-invoices.md, "Matching"). Pure: no ORM, plain data in and out.

What was expected is what was received (the ordered units while the order is not
received yet) at the order's unit price, each line's amount rounded half-up to the cent
(purchasing.rules.line_amount), and the order's shipping. What was billed is matched to
it product by product: a line's product is the supplier's product whose SKU is the
line's seller item id (BT-155), else the product whose id is its buyer item id (BT-156).
An amount within 0.01 EUR of the expected one matches (the tolerance, per line and on
the shipping).
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from mache.money import ZERO

from .. import rules

TOLERANCE = Decimal("0.01")

# The fields of a difference, as the API gives them, and their French labels.
FIELDS = {
    "units": "quantité",
    "unit_price": "prix unitaire HT",
    "amount": "montant HT",
    "vat_rate": "taux de TVA",
    "missing": "ligne non facturée",
    "unexpected": "produit non reçu",
    "shipping": "port HT",
    "order": "commande fournisseur",
}


@dataclass(frozen=True)
class ExpectedLine:
    """One product received (or ordered, before the receipt) on the supplier order."""

    product: int
    sku: str
    name: str
    units: int
    unit_price: Decimal
    vat_rate: Decimal

    @property
    def amount(self) -> Decimal:
        return rules.line_amount(self.units, self.unit_price)


@dataclass(frozen=True)
class BilledLine:
    """One invoice line as read, with the product it was matched to (None: none)."""

    product: int | None
    name: str
    quantity: Decimal
    net_unit_price: Decimal
    amount: Decimal
    vat_rate: Decimal


@dataclass(frozen=True)
class Difference:
    product: int | None  # None: the shipping, the order, or a line of no known product
    field: str  # one of FIELDS
    expected: str
    invoiced: str

    def as_json(self) -> dict:
        return {
            "product": self.product,
            "field": self.field,
            "expected": self.expected,
            "invoiced": self.invoiced,
        }


def line_product(
    *, seller_item_id: str, buyer_item_id: str, skus: dict[str, int], product_ids: Iterable[int]
) -> int | None:
    """The product of an invoice line: by the supplier's SKU (`skus`: SKU -> product id
    of that supplier), else by the buyer's item id (a product id among `product_ids`)."""
    if seller_item_id and seller_item_id in skus:
        return skus[seller_item_id]
    buyer = (buyer_item_id or "").strip()
    if buyer.isascii() and buyer.isdigit() and int(buyer) in set(product_ids):
        return int(buyer)
    return None


def _text(value) -> str:
    return "" if value is None else str(value)


def _billed_by_product(billed: list[BilledLine]) -> dict[int | None, list[BilledLine]]:
    grouped = defaultdict(list)
    for line in billed:
        grouped[line.product].append(line)
    return grouped


def differences(
    *,
    expected: list[ExpectedLine],
    billed: list[BilledLine],
    expected_shipping: Decimal,
    invoiced_shipping: Decimal,
) -> list[Difference]:
    """The differences, product by product (in the order's order), then the lines of
    products not received, then the shipping. Several lines of one product are taken
    together (their quantities and amounts summed)."""
    found: list[Difference] = []
    grouped = _billed_by_product(billed)
    expected_ids = set()
    for line in expected:
        if not line.units:
            continue
        expected_ids.add(line.product)
        lines = grouped.get(line.product)
        if not lines:
            found.append(Difference(line.product, "missing", _text(line.amount), "0.00"))
            continue
        quantity = sum((b.quantity for b in lines), ZERO)
        amount = sum((b.amount for b in lines), ZERO)
        if quantity != line.units:
            found.append(Difference(line.product, "units", str(line.units), _text(quantity)))
        for b in lines:
            # A price that differs by less than a cent over the line is the tolerance.
            if abs(b.net_unit_price - line.unit_price) * b.quantity > TOLERANCE:
                found.append(
                    Difference(
                        line.product,
                        "unit_price",
                        _text(line.unit_price.normalize()),
                        _text(b.net_unit_price.normalize()),
                    )
                )
                break
        if abs(amount - line.amount) > TOLERANCE:
            found.append(Difference(line.product, "amount", _text(line.amount), _text(amount)))
        for b in lines:
            if b.vat_rate != line.vat_rate:
                found.append(
                    Difference(line.product, "vat_rate", _text(line.vat_rate), _text(b.vat_rate))
                )
                break
    for product, lines in grouped.items():
        if product in expected_ids:
            continue
        for b in lines:
            found.append(
                Difference(
                    product,
                    "unexpected",
                    "0",
                    f"{b.name} : {_text(b.quantity.normalize())} × "
                    f"{_text(b.net_unit_price.normalize())} = {b.amount}",
                )
            )
    if abs(invoiced_shipping - expected_shipping) > TOLERANCE:
        found.append(
            Difference(None, "shipping", _text(expected_shipping), _text(invoiced_shipping))
        )
    return found


def deltas(
    *,
    expected: list[ExpectedLine],
    billed: list[BilledLine],
    expected_shipping: Decimal,
    invoiced_shipping: Decimal,
) -> dict[int | None, Decimal]:
    """Per product, the amount billed less the amount expected (None: the shipping);
    a delta within the tolerance is no delta, and none is given."""
    billed_amounts = defaultdict(lambda: ZERO)
    for line in billed:
        billed_amounts[line.product] += line.amount
    result = {}
    for line in expected:
        delta = billed_amounts.pop(line.product, ZERO) - line.amount
        if abs(delta) > TOLERANCE:
            result[line.product] = delta
    for product, amount in billed_amounts.items():
        if product is not None and abs(amount) > TOLERANCE:
            result[product] = amount
    shipping = invoiced_shipping - expected_shipping
    if abs(shipping) > TOLERANCE:
        result[None] = shipping
    return result
