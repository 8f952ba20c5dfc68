"""Suggested order of a shop in an open round: how many units of each product to ask for.

The issue says: "the quantity that covers the shop's average daily sales of the last
28 days until the next delivery, minus stock on hand, rounded up to whole units".
Our reading:

- The goods of this round arrive on its delivery date and must last until the
  delivery after it. The stock on hand must also carry the shop until they arrive,
  so the horizon runs from today (Paris) to that next delivery: `covers_until`.
- The next delivery is the delivery date of the supplier's next round (the earliest
  later delivery date of a round not cancelled); if none is planned yet, this round's
  delivery plus the gap since the previous delivery (the latest earlier delivery date
  of a round not cancelled), as rounds tend to keep their rhythm; with no round on
  either side, a week.
- Average daily sales: units sold (sale movements) over the 28 whole Paris days
  before today, from today - 28 at 00:00 to today at 00:00 (today is not over yet),
  divided by 28. Days without sales count: a product sold twice in four weeks is a
  slow product, not an average of one a day.
- Suggested: max(0, ceil(average x horizon - on hand)), in whole units (not cases:
  the case size is shown, and the round fills its cases with the group's orders).

The arithmetic is exact, in integers: ceil((sold x horizon - 28 x on hand) / 28).
"""

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import IntegerField, Max, Min, OuterRef, Q, Subquery, Sum
from django.utils import timezone

from catalogue.models import Product
from inventory.models import StockBalance, StockMovement
from mache.periods import PARIS, paris_today

from .models import Round
from .services.orders import RoundClosed

WINDOW_DAYS = 28
DEFAULT_GAP_DAYS = 7
CENT = Decimal("0.01")


# --- The rule, pure ------------------------------------------------------------------


def suggested_quantity(*, sold_28_days: int, horizon_days: int, on_hand: int) -> int:
    """max(0, ceil(sold / 28 x horizon - on hand)), computed exactly in integers."""
    needed = sold_28_days * horizon_days - WINDOW_DAYS * on_hand
    if needed <= 0:
        return 0
    return -(-needed // WINDOW_DAYS)  # ceiling division of a positive number


def average_daily_sales(sold_28_days: int) -> Decimal:
    """Units sold per day over the window, to the hundredth (half-up), for display."""
    return (Decimal(sold_28_days) / WINDOW_DAYS).quantize(CENT, rounding=ROUND_HALF_UP)


def next_delivery(
    *, delivery_date: dt.date, following: dt.date | None, previous: dt.date | None
) -> dt.date:
    """The delivery after `delivery_date`: the next round's, else the same gap as since
    the previous round's, else a week later."""
    if following is not None:
        return following
    if previous is not None:
        return delivery_date + (delivery_date - previous)
    return delivery_date + dt.timedelta(days=DEFAULT_GAP_DAYS)


# --- The reads around it ---------------------------------------------------------------


def check_round_suggestible(round_: Round) -> None:
    """A suggestion serves to place an order: only for a round still taking orders."""
    if not round_.takes_orders(timezone.now()):
        raise RoundClosed(
            "La tournée est close : elle ne prend plus de commandes, il n'y a rien à suggérer."
        )


def _paris_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=PARIS)


def round_suggestion(*, round_: Round, shop, today: dt.date | None = None) -> dict:
    """The suggested order of `shop` in `round_`, one row per active product of the
    round's supplier, by name. Two queries, whatever the number of products.

    Preconditions: the caller may see `shop`, and `round_` is open
    (`check_round_suggestible`).
    """
    today = today or paris_today()
    neighbours = (
        Round.objects.filter(supplier_id=round_.supplier_id)
        .exclude(status=Round.Status.CANCELLED)
        .exclude(pk=round_.pk)
        .aggregate(
            following=Min("delivery_date", filter=Q(delivery_date__gt=round_.delivery_date)),
            previous=Max("delivery_date", filter=Q(delivery_date__lt=round_.delivery_date)),
        )
    )
    covers_until = next_delivery(delivery_date=round_.delivery_date, **neighbours)
    horizon_days = max(0, (covers_until - today).days)

    sold = (
        StockMovement.objects.filter(
            shop=shop,
            product=OuterRef("pk"),
            kind=StockMovement.Kind.SALE,
            occurred_at__gte=_paris_midnight(today - dt.timedelta(days=WINDOW_DAYS)),
            occurred_at__lt=_paris_midnight(today),
        )
        .order_by()
        .values("product")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    on_hand = StockBalance.objects.filter(shop=shop, product=OuterRef("pk")).values("quantity")
    products = (
        Product.objects.filter(supplier_id=round_.supplier_id, active=True)
        .annotate(
            sold_total=Subquery(sold, output_field=IntegerField()),
            on_hand=Subquery(on_hand[:1], output_field=IntegerField()),
        )
        .order_by("name", "id")
    )
    rows = []
    for product in products:
        sold_28_days = -(product.sold_total or 0)  # sales are negative movements
        quantity = product.on_hand or 0
        rows.append(
            {
                "product": product.pk,
                "name": product.name,
                "sku": product.sku,
                "case_size": product.case_size,
                "on_hand": quantity,
                "sold_28_days": sold_28_days,
                "average_daily_sales": average_daily_sales(sold_28_days),
                "horizon_days": horizon_days,
                "covers_until": covers_until,
                "suggested_quantity": suggested_quantity(
                    sold_28_days=sold_28_days, horizon_days=horizon_days, on_hand=quantity
                ),
            }
        )
    return {
        "round": round_.pk,
        "shop": shop.pk,
        "delivery_date": round_.delivery_date,
        "covers_until": covers_until,
        "horizon_days": horizon_days,
        "products": rows,
    }
