"""Reads of stock, scoped to the shops the user may see."""

import datetime as dt

from django.db.models import Exists, F, OuterRef, Prefetch, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from mache.periods import paris_today
from mache.permissions import COORDINATOR, role_of, scope_to_user

from .models import Recall, RecallShop, StockBalance, StockCount, StockLot, StockMovement
from .services import end_of_day, stock_at


def _recalled():
    """A lot's product and code are named by a recall (docs/recalls.md)."""
    return Exists(Recall.objects.filter(product_id=OuterRef("product_id"), lot=OuterRef("code")))


def balance_list(*, user) -> QuerySet[StockBalance]:
    """Balances, each with `next_expiry` (of the lots that may still be sold) and
    `blocked`: units of recalled lots, in the quantity but not to be sold."""
    lots = StockLot.objects.filter(
        shop=OuterRef("shop"), product=OuterRef("product"), remaining__gt=0
    )
    next_expiry = (
        lots.filter(expires_on__isnull=False)
        .exclude(_recalled())
        .order_by("expires_on")
        .values("expires_on")[:1]
    )
    blocked = (
        lots.filter(_recalled())
        .order_by()
        .values("shop")
        .annotate(units=Sum("remaining"))
        .values("units")
    )
    return scope_to_user(
        StockBalance.objects.select_related("product")
        .annotate(
            next_expiry=Subquery(next_expiry),
            blocked=Coalesce(Subquery(blocked), 0),
        )
        .order_by("shop_id", "product__name", "product_id"),
        user=user,
    )


def movement_list(*, user) -> QuerySet[StockMovement]:
    return scope_to_user(
        StockMovement.objects.select_related("product").order_by("-occurred_at", "-id"), user=user
    )


def open_lot_list(*, user) -> QuerySet[StockLot]:
    """Lots still holding units, first to expire first (the order exits take them in)."""
    return scope_to_user(
        StockLot.objects.filter(remaining__gt=0)
        .select_related("product")
        .order_by("expires_on", "received_at", "pk"),
        user=user,
    )


def count_list(*, user) -> QuerySet[StockCount]:
    return scope_to_user(
        StockCount.objects.select_related("counted_by").prefetch_related("lines"), user=user
    )


def alerts(*, shop, today: dt.date | None = None) -> dict:
    """Lots expiring within the shop's alert window, and products under their minimum."""
    today = today or paris_today()
    horizon = today + dt.timedelta(days=shop.expiry_alert_days)
    expiring = (
        StockLot.objects.filter(shop=shop, remaining__gt=0, expires_on__lte=horizon)
        .exclude(_recalled())  # blocked, to withdraw: the recall's banner says so
        .select_related("product")
        .order_by("expires_on", "product__name", "id")
    )
    low = (
        StockBalance.objects.filter(shop=shop, minimum__isnull=False)
        .filter(quantity__lt=F("minimum"))
        .select_related("product")
        .order_by("product__name", "product_id")
    )
    return {
        "shop": shop.pk,
        "expiry_alert_days": shop.expiry_alert_days,
        "expiring": list(expiring),
        "low_stock": list(low),
    }


def stock_value_at(*, shop, day: dt.date) -> list:
    """[(product id, StockState)] at the end of `day` (Paris), for every product the shop
    ever stocked. Exact: the state stored after the last movement of that moment."""
    product_ids = list(
        StockBalance.objects.filter(shop=shop)
        .order_by("product_id")
        .values_list("product_id", flat=True)
    )
    states = stock_at(shop_id=shop.pk, product_ids=product_ids, moment=end_of_day(day))
    return [(product_id, states[product_id]) for product_id in product_ids]


def recall_shop_list(*, user) -> QuerySet[RecallShop]:
    """Shops' lines of recalls, those of the shops the user may see."""
    return scope_to_user(
        RecallShop.objects.select_related("shop", "movement", "confirmed_by").order_by(
            "shop__name", "shop_id"
        ),
        user=user,
    )


def recall_list(*, user) -> QuerySet[Recall]:
    """Recalls concerning a shop the user may see (a coordinator: every recall), newest
    first, each with the lines of those shops only (`shops`)."""
    recalls = Recall.objects.select_related("product__supplier").prefetch_related(
        Prefetch("shops", queryset=recall_shop_list(user=user))
    )
    if role_of(user) == COORDINATOR:
        return recalls
    return recalls.filter(Exists(recall_shop_list(user=user).filter(recall=OuterRef("pk"))))


def unconfirmed_recalls(*, user) -> list[RecallShop]:
    """The shops' lines of recalls they have not confirmed yet, for the banner of a
    shopkeeper's pages (docs/recalls.md, "The banner"): one query when there are none,
    two when there are."""
    # Every page of a shopkeeper reads it, and it is nearly always empty (issue 18): a
    # bare query first (no join, one column), the banner's lines only when there are
    # some, with what it prints and no more.
    waiting = recall_shop_list(user=user).filter(confirmed_at__isnull=True)
    if not waiting.select_related(None).order_by().values_list("id", flat=True)[:1]:
        return []
    return list(
        waiting.select_related(None)
        .select_related("recall__product", "shop")
        .only("recall_id", "shop_id", "recall__lot", "recall__product__name", "shop__name")
        .order_by("recall__created_at", "shop__name")
    )
