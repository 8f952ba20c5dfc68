"""Traceability of a lot (docs/recalls.md, "Traceability"): for a product and a lot code,
each shop that took units of it into stock, when and how many, and what became of them,
read from the lots and from the parts of exits (MovementLot) that consumed them
first-expiry-first-out: nothing is estimated.

Scoped: a shopkeeper sees only the shops they may see; a coordinator sees every shop.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Max, Sum

from catalogue.models import Product
from mache.errors import InvalidInput
from mache.permissions import scope_to_user
from mache.query import as_id

from .models import MovementLot, StockLot, StockMovement

Kind = StockMovement.Kind
LOT_MAX_LENGTH = 64


@dataclass(frozen=True)
class LotEntry:
    """Units of the lot that entered a shop's stock (a receipt, or units found)."""

    lot_id: int
    kind: str
    received_at: dt.datetime
    quantity: int
    expires_on: dt.date | None
    source: str


@dataclass
class ShopTrace:
    shop: object  # shops.Shop
    entries: list[LotEntry] = field(default_factory=list)
    sold: int = 0
    lost: int = 0
    returned: int = 0  # taken back by a credit note
    adjusted: int = 0  # found missing by a count
    recalled: int = 0  # withdrawn by the shop after the recall
    left: int = 0  # still in the shop's stock
    last_exit_at: dt.datetime | None = None

    @property
    def received(self) -> int:
        return sum(entry.quantity for entry in self.entries)

    @property
    def first_received_at(self) -> dt.datetime | None:
        return min((entry.received_at for entry in self.entries), default=None)

    @property
    def sold_or_lost(self) -> int:
        """Every unit gone from the lot other than withdrawn for the recall: sold, lost,
        taken back or found missing (received = sold_or_lost + recalled + left)."""
        return self.sold + self.lost + self.returned + self.adjusted


@dataclass
class LotTrace:
    product: Product
    lot: str
    shops: list[ShopTrace]

    def total(self, name: str) -> int:
        return sum(getattr(shop, name) for shop in self.shops)


_EXIT_FIELDS = {
    Kind.SALE: "sold",
    Kind.LOSS: "lost",
    Kind.RETURN: "returned",
    Kind.ADJUSTMENT: "adjusted",
    Kind.RECALL: "recalled",
}


def lot_code_clean(value) -> str:
    return (value or "").strip() if isinstance(value, str) else ""


def product_of(value, *, field: str = "product") -> Product:
    """The product named by an id (ASCII digits), else 400 on `field`."""
    pk = as_id(value)
    product = (
        None if pk is None else Product.objects.select_related("supplier").filter(pk=pk).first()
    )
    if product is None:
        raise InvalidInput({field: ["Produit inconnu."]})
    return product


def lot_trace(*, user, product, lot) -> LotTrace:
    """What became of `lot` of `product` (an id or a Product) in each shop the user may
    see (every shop when `user` is None: services only), shops by name. 400 on `product`
    (unknown) or `lot` (empty, too long, or never entered any shop the user may see).
    Three queries at most."""
    if not isinstance(product, Product):
        product = product_of(product)
    code = lot_code_clean(lot)
    if not code:
        raise InvalidInput({"lot": ["Indiquez le numéro de lot."]})
    if len(code) > LOT_MAX_LENGTH:
        raise InvalidInput({"lot": [f"Un numéro de lot a au plus {LOT_MAX_LENGTH} caractères."]})
    lots = StockLot.objects.filter(product=product, code=code).select_related("shop", "movement")
    if user is not None:
        lots = scope_to_user(lots, user=user)
    lots = list(lots.order_by("shop__name", "shop_id", "received_at", "id"))
    if not lots:
        raise InvalidInput(
            {"lot": [f"Le lot {code} de « {product.name} » n'est entré dans aucun stock."]}
        )
    traces: dict[int, ShopTrace] = {}
    for stock_lot in lots:
        trace = traces.setdefault(stock_lot.shop_id, ShopTrace(shop=stock_lot.shop))
        trace.entries.append(
            LotEntry(
                lot_id=stock_lot.pk,
                kind=stock_lot.movement.kind,
                received_at=stock_lot.received_at,
                # The units that entered (a count's own lot never has a code).
                quantity=stock_lot.initial,
                expires_on=stock_lot.expires_on,
                source=stock_lot.movement.source,
            )
        )
        trace.left += stock_lot.remaining
    exits = (
        MovementLot.objects.filter(lot__in=[stock_lot.pk for stock_lot in lots])
        .values("lot__shop_id", "movement__kind")
        .annotate(units=Sum("quantity"), last=Max("movement__occurred_at"))
        .order_by()
    )
    last = defaultdict(list)
    for row in exits:
        trace = traces[row["lot__shop_id"]]
        name = _EXIT_FIELDS.get(row["movement__kind"], "adjusted")
        setattr(trace, name, getattr(trace, name) + row["units"])
        last[row["lot__shop_id"]].append(row["last"])
    for shop_id, moments in last.items():
        traces[shop_id].last_exit_at = max(moments)
    return LotTrace(product=product, lot=code, shops=list(traces.values()))
