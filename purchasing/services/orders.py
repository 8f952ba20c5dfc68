"""Rounds and the shops' orders in them.

The deadline is enforced under the round's row lock (docs/consolidation.md, "Orders and
the deadline lock"). An order write checks its input first, without any lock, then takes
the round's row in SHARE mode (SELECT ... FOR SHARE) and only then checks the status and
the clock: writers of different shops hold it together and never wait for each other.
Consolidation and every change of the round's deadline or status take it EXCLUSIVE
(`round_lock`, FOR UPDATE) for their whole transaction, so they wait for the writers in
flight and the writers that come after them wait and then find the round closed (409
round_closed). A write racing the deadline either commits before consolidation reads
the orders, or is refused. Never half-way.
"""

from functools import partial

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from catalogue.models import MAX_UNITS, Product
from mache.errors import BusinessRuleError, InvalidInput
from mache.periods import paris_date
from shops.dates import YEAR_AHEAD_DAYS, business_date_bounds, date_bounds_error
from shops.models import Shop

from .. import selectors
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
    """The round, locked EXCLUSIVE for the rest of the transaction (call inside atomic()):
    waits for the order writers holding it SHARE, and makes the next ones wait."""
    return Round.objects.select_for_update().select_related("supplier").get(pk=round_id)


def fill_changes_at_commit(round_id: int) -> None:
    """What the live fill shows changes when this transaction commits (an order, the
    deadline, the status): its cached copy is then dropped (docs/consolidation.md)."""
    transaction.on_commit(partial(selectors.round_fill_changed, round_id), robust=True)


# FOR SHARE conflicts with FOR UPDATE and with UPDATE, not with itself nor with the
# FOR KEY SHARE that the inserts of orders take through their foreign key.
_SHARE_LOCK = "SELECT status, opens_at, closes_at FROM purchasing_round WHERE id = %s"


def round_lock_shared(round_: Round) -> None:
    """Take the round's row in SHARE mode for the rest of the transaction (an order
    writer's lock), and refresh `round_`'s status and dates from the locked row. On a
    database without row locks (SQLite, the demo's), a plain read: SQLite serialises
    writers anyway."""
    sql = _SHARE_LOCK + (" FOR SHARE" if connection.features.has_select_for_update else "")
    with connection.cursor() as cursor:
        cursor.execute(sql, [round_.pk])
        row = cursor.fetchone()
    if row is None:
        raise Round.DoesNotExist()
    status, opens_at, closes_at = row
    round_.status = status
    round_.opens_at = _aware(opens_at)
    round_.closes_at = _aware(closes_at)


def _aware(moment):
    # SQLite gives naive UTC datetimes back from a raw cursor.
    if moment is not None and timezone.is_naive(moment):
        return timezone.make_aware(moment, timezone.UTC)
    return moment


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
    # What the checks read, no more, as tuples: the deadline rush checks 30 lines a write
    # (issue 18).
    products = {
        row.id: row
        for row in Product.objects.filter(pk__in=product_ids).values_list(
            "id", "supplier_id", "active", "name", named=True
        )
    }
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


def _write_lines(order: Order, lines: list[dict]) -> list[OrderLine]:
    return OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            product_id=ln["product"],
            quantity=ln["quantity"],
            tolerance=ln["tolerance"],
        )
        for ln in lines
    )


def _in_order(lines: list[OrderLine]) -> list[OrderLine]:
    """Lines as a query reads them (OrderLine.Meta.ordering: by product)."""
    return sorted(lines, key=lambda line: line.product_id)


def _round_unlocked(round_id: int, *, read: Round | None = None) -> Round:
    """The round read without a lock, refused at once if it was no longer open when read
    (consolidated or cancelled: a status that never comes back). The clock is compared
    with the deadline under the lock only. `read`: the round as the request just read it
    (with the order), not read a second time (issue 18: a query less a write)."""
    round_ = read if read is not None else Round.objects.get(pk=round_id)
    if round_.status != Round.Status.OPEN:
        raise RoundClosed()
    return round_


def _loaded_round(order: Order) -> Round | None:
    """The order's round if it was read with it (select_related), else None."""
    return order.round if Order.round.is_cached(order) else None


def _locked_for_writing(round_: Round) -> None:
    """The writer's lock, then the deadline checked against the clock read after it; the
    live fill's cached copy is dropped when the write commits (docs/consolidation.md)."""
    round_lock_shared(round_)
    check_round_accepts_orders(round_)
    fill_changes_at_commit(round_.pk)


def _deadline_first(round_: Round) -> None:
    """A refusal found before the lock: the round's own (closed, not open yet) still comes
    first, as when every check ran under the lock."""
    with transaction.atomic():
        round_lock_shared(round_)
        check_round_accepts_orders(round_)


def order_place(
    *, round_id: int, shop: Shop, lines: list[dict], user=None, read_round: Round | None = None
) -> Order:
    """The shop's order in the round; returns it with its lines (as `lines.all()` reads
    them, without a query). `read_round`: the round as the caller just read it, not read
    again (issue 18)."""
    # Everything that can be checked without the lock is, before it (docs/consolidation.md).
    round_ = _round_unlocked(round_id, read=read_round)
    try:
        if shop.status != Shop.Status.ACTIVE:
            raise ShopNotActive()
        existing = Order.objects.filter(round=round_, shop=shop).values_list("id", flat=True)
        if existing:
            raise OrderExists(id=existing[0])
        lines = check_lines(round_, lines)
    except (BusinessRuleError, InvalidInput):
        _deadline_first(round_)
        raise
    with transaction.atomic():
        _locked_for_writing(round_)
        try:
            # Writers share the round's lock: the unique (round, shop) constraint is
            # what refuses a second order of the same shop placed at the same instant.
            with transaction.atomic():
                order = Order.objects.create(round=round_, shop=shop, created_by=user)
        except IntegrityError as exc:
            raise OrderExists() from exc
        written = _write_lines(order, lines)
    order._prefetched_objects_cache = {"lines": _in_order(written)}
    return order


def order_replace_lines(*, order: Order, lines: list[dict]) -> Order:
    """The order's lines replaced; returns the order with its new lines (as `lines.all()`
    reads them, without a query). `order`: as just read, its shop with it (and its round,
    when read with it)."""
    round_ = _round_unlocked(order.round_id, read=_loaded_round(order))
    try:
        if order.shop.status != Shop.Status.ACTIVE:
            raise ShopNotActive()
        lines = check_lines(round_, lines)
    except (BusinessRuleError, InvalidInput, Order.DoesNotExist):
        _deadline_first(round_)
        raise
    with transaction.atomic():
        _locked_for_writing(round_)
        # Two changes of the same order wait for each other on its row (the round's
        # lock is shared); a withdrawal that came first leaves nothing to change.
        locked = Order.objects.select_for_update().get(pk=order.pk)
        locked.lines.all().delete()
        written = _write_lines(locked, lines)
        locked.save(update_fields=["updated_at"])
    locked.shop = order.shop
    locked._prefetched_objects_cache = {"lines": _in_order(written)}
    return locked


def order_withdraw(*, order: Order) -> None:
    round_ = _round_unlocked(order.round_id, read=_loaded_round(order))
    with transaction.atomic():
        _locked_for_writing(round_)
        Order.objects.filter(pk=order.pk).delete()
