"""Rounds and the shops' orders in them.

The deadline is enforced under the round's row lock: every order write locks the
round (SELECT ... FOR UPDATE), then checks the status and the clock. Consolidation
takes the same lock for its whole transaction, so a write racing the deadline either
commits before consolidation reads the orders, or waits and then finds the round
closed (409 round_closed). Never half-way.
"""

from django.db import IntegrityError, transaction
from django.utils import timezone

from catalogue.models import MAX_UNITS, Product
from mache.errors import BusinessRuleError, InvalidInput
from mache.periods import paris_date
from shops.dates import YEAR_AHEAD_DAYS, business_date_bounds, date_bounds_error
from shops.models import Shop

from ..models import Order, OrderLine, Round


class RoundClosed(BusinessRuleError):
    code = "round_closed"
    default_detail = "La tournée est close : les commandes ne peuvent plus être modifiées."


class RoundNotOpenYet(BusinessRuleError):
    code = "round_not_open"
    default_detail = "La tournée n'est pas encore ouverte aux commandes."


class ShopNotActive(BusinessRuleError):
    code = "shop_not_active"
    default_detail = "Seuls les commerces actifs peuvent commander."


class OrderExists(BusinessRuleError):
    code = "order_exists"
    default_detail = "Ce commerce a déjà une commande dans cette tournée."


def check_round_dates(*, opens_at, closes_at, delivery_date, now=None) -> None:
    """The dates of a round (new or changed): business dates of the cooperative (from its
    founding to a year ahead, shops.dates), the deadline not yet past and after the
    opening, the delivery not before the deadline's day. Raises InvalidInput (400 on
    the field)."""
    now = now or timezone.now()
    errors = {}
    today = paris_date(now)
    bounds = business_date_bounds(shop=None, future_days=YEAR_AHEAD_DAYS, today=today)
    for field, day in (
        ("opens_at", paris_date(opens_at)),
        ("closes_at", paris_date(closes_at)),
        ("delivery_date", delivery_date),
    ):
        if error := date_bounds_error(day, bounds, today=today):
            errors[field] = [error]
    if "closes_at" not in errors:
        if closes_at <= now:
            errors["closes_at"] = ["La date limite est déjà passée : choisissez une date à venir."]
        elif closes_at <= opens_at:
            errors["closes_at"] = ["La date limite doit suivre l'ouverture."]
        elif "delivery_date" not in errors and delivery_date < paris_date(closes_at):
            errors["delivery_date"] = ["La livraison ne peut précéder la date limite."]
    if errors:
        raise InvalidInput(errors)


def round_create(
    *,
    supplier,
    opens_at,
    closes_at,
    delivery_date,
    delivery=Round.Delivery.HUB,
    user=None,
    now=None,
    **scheduled,
) -> Round:
    """A round of the cooperative, its dates checked by `check_round_dates`, delivered to
    the hub or to each shop (`delivery`, docs/distribution.md). `scheduled` (schedule,
    schedule_week) names the weekly schedule that opens it, if any."""
    check_round_dates(opens_at=opens_at, closes_at=closes_at, delivery_date=delivery_date, now=now)
    return Round.objects.create(
        supplier=supplier,
        opens_at=opens_at,
        closes_at=closes_at,
        delivery_date=delivery_date,
        delivery=delivery,
        created_by=user,
        **scheduled,
    )


def round_lock(round_id: int) -> Round:
    """The round, locked for the rest of the transaction (call inside atomic())."""
    return Round.objects.select_for_update().select_related("supplier").get(pk=round_id)


def check_round_accepts_orders(round_: Round) -> None:
    """Call under the round's row lock; the clock is read after the lock is held."""
    now = timezone.now()
    if not round_.takes_orders(now):
        raise RoundClosed()
    if now < round_.opens_at:
        raise RoundNotOpenYet()


def check_lines(round_: Round, lines: list[dict]) -> list[dict]:
    """Lines of the round's supplier, active, once each, whole units in range.

    Lines with quantity 0 are dropped (docs/consolidation.md). Raises InvalidInput on `lines`.
    """
    errors = []
    seen = set()
    product_ids = {line["product"] for line in lines}
    products = Product.objects.in_bulk(product_ids)
    kept = []
    for number, line in enumerate(lines, start=1):
        product = products.get(line["product"])
        quantity, tolerance = line["quantity"], line.get("tolerance", 0)
        if product is None:
            errors.append(f"Ligne {number} : produit {line['product']} inconnu.")
        elif product.supplier_id != round_.supplier_id:
            errors.append(
                f"Ligne {number} : « {product.name} » n'est pas un produit de "
                f"{round_.supplier.name}."
            )
        elif not product.active:
            errors.append(f"Ligne {number} : « {product.name} » n'est plus au catalogue.")
        if line["product"] in seen:
            errors.append(f"Ligne {number} : produit {line['product']} en double.")
        seen.add(line["product"])
        if not (0 <= quantity <= MAX_UNITS and 0 <= tolerance <= MAX_UNITS):
            errors.append(f"Ligne {number} : quantité et tolérance entre 0 et {MAX_UNITS}.")
        if quantity > 0:
            kept.append({"product": line["product"], "quantity": quantity, "tolerance": tolerance})
    if errors:
        raise InvalidInput({"lines": errors})
    if not kept:
        raise InvalidInput({"lines": ["La commande doit compter au moins une ligne."]})
    return kept


def _write_lines(order: Order, lines: list[dict]) -> None:
    OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            product_id=ln["product"],
            quantity=ln["quantity"],
            tolerance=ln["tolerance"],
        )
        for ln in lines
    )


def order_place(*, round_id: int, shop: Shop, lines: list[dict], user=None) -> Order:
    with transaction.atomic():
        round_ = round_lock(round_id)
        check_round_accepts_orders(round_)
        if shop.status != Shop.Status.ACTIVE:
            raise ShopNotActive()
        existing = Order.objects.filter(round=round_, shop=shop).values_list("id", flat=True)
        if existing:
            raise OrderExists(id=existing[0])
        lines = check_lines(round_, lines)
        try:
            # The unique (round, shop) constraint is the last word; the round lock
            # already serialises writers of this round.
            with transaction.atomic():
                order = Order.objects.create(round=round_, shop=shop, created_by=user)
        except IntegrityError as exc:
            raise OrderExists() from exc
        _write_lines(order, lines)
    return order


def order_replace_lines(*, order: Order, lines: list[dict]) -> Order:
    with transaction.atomic():
        round_ = round_lock(order.round_id)
        check_round_accepts_orders(round_)
        order = Order.objects.select_related("shop").get(pk=order.pk)
        if order.shop.status != Shop.Status.ACTIVE:
            raise ShopNotActive()
        lines = check_lines(round_, lines)
        order.lines.all().delete()
        _write_lines(order, lines)
        order.save(update_fields=["updated_at"])
    return order


def order_withdraw(*, order: Order) -> None:
    with transaction.atomic():
        check_round_accepts_orders(round_lock(order.round_id))
        Order.objects.filter(pk=order.pk).delete()
