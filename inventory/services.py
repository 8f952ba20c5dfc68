"""Writes of stock: every change is a movement, recorded by `movements_record`.

`movements_record` locks the balance rows of the (shop, product) pairs it touches
(SELECT ... FOR UPDATE, in primary-key order), so concurrent movements of one product
queue up instead of losing an update, and it refuses any movement that would take a
quantity below zero at its date (409 insufficient_stock). A movement dated before
existing ones (a till export of yesterday) replays the later movements of its product:
their running quantity, average cost and value are recomputed, and the replay is
refused as a whole if any point would fall below zero.

A count is a fixed point of that replay (docs/inventory.md): it states the quantity on
hand at its date, so its adjustment is recomputed (counted - the quantity just before
it) and the stock right after it stays what was counted, whatever is inserted before.
Every count line therefore has its adjustment movement, of 0 when nothing differed.
Units entered without a cost (a count or an adjustment finding more) carry the average
cost of their date, or the product's catalogue price when the shop never had a cost
for it before that date: never 0.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from catalogue.models import Product
from mache.errors import BusinessRuleError, InvalidInput
from mache.formats import format_quantity, plural
from mache.notifications import notify_on_commit
from mache.periods import PARIS, paris_today
from shops.dates import business_date_check

from .costing import NegativeStock, StockState, apply_movement
from .models import (
    MovementLot,
    Recall,
    RecallShop,
    StockBalance,
    StockCount,
    StockCountLine,
    StockLot,
    StockMovement,
)
from .notifications import recall_notice
from .traceability import lot_trace

Kind = StockMovement.Kind


class InsufficientStock(BusinessRuleError):
    code = "insufficient_stock"
    default_detail = "Stock insuffisant."


class LotRecalled(InsufficientStock):
    """A sale or a loss would take units of a recalled lot (docs/recalls.md, "Blocking")."""

    code = "lot_recalled"
    default_detail = "Lot rappelé : ces unités ne peuvent plus sortir du stock."


@dataclass(frozen=True)
class MovementIn:
    """One movement to record. `quantity` is signed (exits are negative)."""

    shop_id: int
    product_id: int
    kind: str
    quantity: int
    occurred_at: dt.datetime
    unit_cost: Decimal | None = None  # receipts only: the full unit cost excl. VAT
    reason: str = ""
    # An entry: its lot's code. A `recall` exit: the code of the recalled lot it empties.
    lot: str = ""
    expires_on: dt.date | None = None
    source: str = ""  # the source document's key, unique (receipts: "allocation:<id>")
    count_id: int | None = None
    note: str = ""
    user_id: int | None = None
    # A count line: the quantity found. The movement's quantity is then computed at its
    # place in the timeline (counted - the quantity before it) and `quantity` ignored.
    counted: int | None = None


def _lock_balances(pairs: set[tuple[int, int]]) -> dict[tuple[int, int], StockBalance]:
    """Balance rows of `pairs`, created if missing, locked in primary-key order."""
    StockBalance.objects.bulk_create(
        [StockBalance(shop_id=s, product_id=p) for s, p in sorted(pairs)], ignore_conflicts=True
    )
    shops = {s for s, _ in pairs}
    products = {p for _, p in pairs}
    # A superset of the pairs (every shop x product of them), enough for one query; the
    # extra rows are locked too, harmlessly, in the same pk order as every other writer.
    rows = (
        StockBalance.objects.select_for_update()
        .filter(shop_id__in=shops, product_id__in=products)
        .order_by("pk")
    )
    return {(b.shop_id, b.product_id): b for b in rows if (b.shop_id, b.product_id) in pairs}


def _state_of(row) -> StockState:
    return StockState(row.quantity_after, row.average_cost_after, row.value_after)


def _states_at(pairs, moment: dt.datetime) -> dict[tuple[int, int], StockState]:
    """The state of each (shop, product) pair after its last movement at or before
    `moment`, in one query (a correlated subquery per column on the balance rows)."""
    last = StockMovement.objects.filter(
        shop_id=OuterRef("shop_id"), product_id=OuterRef("product_id"), occurred_at__lte=moment
    ).order_by("-occurred_at", "-id")
    rows = (
        StockBalance.objects.filter(
            shop_id__in={s for s, _ in pairs}, product_id__in={p for _, p in pairs}
        )
        .annotate(
            q=Subquery(last.values("quantity_after")[:1]),
            c=Subquery(last.values("average_cost_after")[:1]),
            v=Subquery(last.values("value_after")[:1]),
        )
        .values_list("shop_id", "product_id", "q", "c", "v")
    )
    states = {pair: StockState() for pair in pairs}
    for shop_id, product_id, quantity, cost, value in rows:
        if (shop_id, product_id) in states and quantity is not None:
            states[(shop_id, product_id)] = StockState(quantity, cost, value)
    return states


def _counted_lines(rows) -> dict[tuple[int, int], StockCountLine]:
    """The count line behind each count movement of `rows`, by (count, product)."""
    count_ids = {row.count_id for row in rows if row.count_id is not None}
    if not count_ids:
        return {}
    return {
        (line.count_id, line.product_id): line
        for line in StockCountLine.objects.filter(count_id__in=count_ids)
    }


class _CataloguePrices(dict):
    """Catalogue prices of the products of a batch, read once, only if one is needed."""

    def __init__(self, product_ids):
        super().__init__()
        self.product_ids = product_ids

    def __missing__(self, product_id):
        self.update(Product.objects.filter(pk__in=self.product_ids).values_list("pk", "unit_price"))
        return self[product_id]


def _costless_entry(state: StockState, delta: int, cost: Decimal | None) -> bool:
    """An entry with no cost of its own when the stock has none yet: see apply_movement."""
    return delta > 0 and cost is None and not state.average_cost


def movements_record(*, movements: list[MovementIn]) -> list[StockMovement]:
    """Record movements (any shops and products) in one transaction; see the module doc.

    Raises InsufficientStock (nothing written) if a quantity would go below zero, at the
    movement's date or at any later point of the replay. A backdated exit that the
    stock of its day cannot cover is refused even when a later count would absorb it:
    the count states what was on hand at its date, not that the units were there
    before (docs/inventory.md, "Backdated exits before a count").
    """
    if not movements:
        return []
    now = timezone.now()
    if any(m.occurred_at > now for m in movements):
        raise InvalidInput({"occurred_at": ["Un mouvement ne peut être daté dans le futur."]})
    with transaction.atomic():
        by_pair: dict[tuple[int, int], list[MovementIn]] = defaultdict(list)
        for movement in movements:
            by_pair[(movement.shop_id, movement.product_id)].append(movement)
        balances = _lock_balances(set(by_pair))
        earliest = min(m.occurred_at for m in movements)
        later = defaultdict(list)
        for row in StockMovement.objects.filter(
            shop_id__in={s for s, _ in by_pair},
            product_id__in={p for _, p in by_pair},
            occurred_at__gt=earliest,
        ).order_by("occurred_at", "id"):
            later[(row.shop_id, row.product_id)].append(row)

        # Pairs with movements after their first new one are replayed from the state
        # before it: the state at `earliest` (one query for all), then the later rows
        # already fetched up to the pair's own start.
        starts = {pair: min(m.occurred_at for m in entries) for pair, entries in by_pair.items()}
        replays = [
            pair for pair in by_pair if any(row.occurred_at > starts[pair] for row in later[pair])
        ]
        base = _states_at(replays, earliest) if replays else {}
        count_lines = _counted_lines(row for pair in replays for row in later[pair])
        prices = _CataloguePrices({p for _, p in by_pair})

        created: list[StockMovement] = []
        replayed: list[StockMovement] = []
        recounted: list[tuple[StockMovement, int]] = []  # (count movement, old quantity)
        short: list[tuple[tuple[int, int], NegativeStock]] = []
        for pair, entries in by_pair.items():
            entries = sorted(entries, key=lambda m: m.occurred_at)
            start = entries[0].occurred_at
            after = [row for row in later[pair] if row.occurred_at > start]
            if after:
                state = base[pair]
                for row in later[pair]:
                    if row.occurred_at <= start:
                        state = _state_of(row)
            else:
                state = StockState(
                    balances[pair].quantity, balances[pair].average_cost, balances[pair].value
                )
            # New entries go after existing movements of the same instant.
            timeline = sorted(
                [(m.occurred_at, 0, m) for m in entries]
                + [(row.occurred_at, -1, row) for row in after],
                key=lambda item: (item[0], item[1]),
            )
            try:
                for _, is_new, item in timeline:
                    if is_new == 0:
                        delta = (
                            item.quantity if item.counted is None else item.counted - state.quantity
                        )
                        fallback = (
                            prices[item.product_id]
                            if _costless_entry(state, delta, item.unit_cost)
                            else None
                        )
                        state, moved_at = apply_movement(state, delta, item.unit_cost, fallback)
                        created.append(_movement_row(item, delta, moved_at, state, now))
                    else:
                        line = count_lines.get((item.count_id, item.product_id))
                        if line is not None and line.counted - state.quantity != item.quantity:
                            # A fixed point: the count keeps what it found.
                            recounted.append((item, item.quantity))
                            item.quantity = line.counted - state.quantity
                            line.expected = state.quantity
                        cost = item.unit_cost if item.kind == Kind.RECEIPT else None
                        # Units that entered at a cost keep it if none is known yet.
                        fallback = (
                            (item.unit_cost or prices[item.product_id])
                            if _costless_entry(state, item.quantity, cost)
                            else None
                        )
                        state, moved_at = apply_movement(state, item.quantity, cost, fallback)
                        item.unit_cost = moved_at
                        (item.quantity_after, item.average_cost_after, item.value_after) = (
                            state.quantity,
                            state.average_cost,
                            state.value,
                        )
                        replayed.append(item)
            except NegativeStock as exc:
                short.append((pair, exc))
                continue
            balance = balances[pair]
            balance.quantity, balance.average_cost, balance.value = (
                state.quantity,
                state.average_cost,
                state.value,
            )
        if short:
            raise _insufficient(short)

        StockMovement.objects.bulk_create(created)
        if replayed:
            StockMovement.objects.bulk_update(
                replayed,
                ["quantity", "unit_cost", "quantity_after", "average_cost_after", "value_after"],
            )
        if recounted:
            StockCountLine.objects.bulk_update(
                [count_lines[(row.count_id, row.product_id)] for row, _ in recounted], ["expected"]
            )
        StockBalance.objects.bulk_update(
            list(balances.values()), ["quantity", "average_cost", "value", "updated_at"]
        )
        # Units counts now find in addition come first, so that the batch's exits can
        # take them; units they now find missing go last, once the batch's entries are in.
        _recount_lots([(row, old) for row, old in recounted if row.quantity > old])
        opened = _move_lots(created)
        _recount_lots([(row, old) for row, old in recounted if row.quantity < old])
        _recalled_arrivals(opened)
    return created


def _movement_row(
    entry: MovementIn, quantity: int, moved_at: Decimal, state: StockState, now
) -> StockMovement:
    row = StockMovement(
        shop_id=entry.shop_id,
        product_id=entry.product_id,
        kind=entry.kind,
        reason=entry.reason,
        quantity=quantity,
        unit_cost=moved_at,
        occurred_at=entry.occurred_at,
        quantity_after=state.quantity,
        average_cost_after=state.average_cost,
        value_after=state.value,
        source=entry.source,
        count_id=entry.count_id,
        note=entry.note,
        created_by_id=entry.user_id,
    )
    row._lot = (entry.lot, entry.expires_on)  # for _move_lots, not a column
    return row


def _insufficient(short) -> InsufficientStock:
    names = Product.objects.in_bulk([product_id for (_, product_id), _ in short])
    parts = [
        f"« {names[p].name} » : {format_quantity(exc.available)} en stock, "
        f"{plural(exc.asked, 'demandé', 'demandés')}"
        for (_, p), exc in short
    ]
    return InsufficientStock("Stock insuffisant : " + " ; ".join(parts) + ".")


def _fefo(lot: StockLot):
    """First expiry first out; lots without a date last; then the oldest entry."""
    return (lot.expires_on is None, lot.expires_on or dt.date.max, lot.received_at, lot.pk)


# Exits that may not take units of a recalled lot: they answer 409 lot_recalled when
# only recalled units would cover them (docs/recalls.md, "Blocking").
BLOCKED_BY_RECALL = frozenset({StockMovement.Kind.SALE, StockMovement.Kind.LOSS})


def _recall_moment():
    """Annotates lots with `recalled_at`: when a recall named their product and code
    (None: not recalled)."""
    return Subquery(
        Recall.objects.filter(product_id=OuterRef("product_id"), lot=OuterRef("code")).values(
            "created_at"
        )[:1]
    )


def _open_lots(pairs, *, exclude_movements=()) -> dict[tuple[int, int], list[StockLot]]:
    """The lots still holding units of the (shop, product) pairs, each with `recalled_at`."""
    open_lots = defaultdict(list)
    for lot in StockLot.objects.filter(
        remaining__gt=0, shop_id__in={s for s, _ in pairs}, product_id__in={p for _, p in pairs}
    ).annotate(recalled_at=_recall_moment()):
        if lot.movement_id not in exclude_movements:
            open_lots[(lot.shop_id, lot.product_id)].append(lot)
    return open_lots


class _RecalledCodes(dict):
    """When the lot was recalled (None: it is not), for a lot opened in this batch (no
    `recalled_at` annotation) its (product, code) looked up once, and only if such a lot
    is ever taken from."""

    def at(self, lot: StockLot) -> dt.datetime | None:
        if hasattr(lot, "recalled_at"):
            return lot.recalled_at
        key = (lot.product_id, lot.code)
        if key not in self:
            self[key] = (
                Recall.objects.filter(product_id=lot.product_id, lot=lot.code)
                .values_list("created_at", flat=True)
                .first()
                if lot.code
                else None
            )
        return self[key]

    def of(self, lot: StockLot, movement: StockMovement) -> bool:
        """Whether `lot` was recalled when `movement` happened: an exit dated before the
        recall (yesterday's till sales) took its units as any other lot's."""
        at = self.at(lot)
        return at is not None and movement.occurred_at >= at


def _lots_for_exit(movement: StockMovement, lots: list[StockLot], recalled) -> list[StockLot]:
    """The lots an exit may take from, in the order it takes them (docs/recalls.md,
    "Blocking"): a `recall` movement empties only its recalled lot; sales and losses
    skip lots recalled at their moment; other exits (a count's adjustment, a credit
    note's return) take recalled units first: once the lot is recalled, the shop takes
    its units off the shelf, so the units a count finds missing or a credit note sends
    back are those. Exits dated before the recall take lots first-expiry-first-out."""
    lots = sorted(lots, key=_fefo)
    if movement.kind == Kind.RECALL:
        code = movement._lot[0]
        return [lot for lot in lots if lot.code == code and recalled.at(lot) is not None]
    free = [lot for lot in lots if not recalled.of(lot, movement)]
    if movement.kind in BLOCKED_BY_RECALL:
        return free
    return [lot for lot in lots if recalled.of(lot, movement)] + free


def _lot_recalled(
    movement: StockMovement, short: int, lots: list[StockLot], recalled
) -> LotRecalled:
    product = Product.objects.get(pk=movement.product_id)
    codes = sorted({lot.code for lot in lots if lot.remaining and recalled.of(lot, movement)})
    free = -movement.quantity - short
    return LotRecalled(
        f"Lot {', '.join(codes) or '?'} rappelé : « {product.name} » ne peut sortir de ce lot ; "
        f"{plural(-movement.quantity, 'unité demandée', 'unités demandées')}, "
        f"{format_quantity(free)} hors lot rappelé."
    )


def _move_lots(created: list[StockMovement]) -> list[StockLot]:
    """Entries open a lot each; exits consume open lots first-expiry-first-out, in the
    order the movements happened, so an exit can take from an entry of the same batch.
    Recalled lots are skipped by sales and losses (LotRecalled when only they would
    cover the exit), and a `recall` movement takes only from its lot (docs/recalls.md).

    Called under the balance locks of every pair, which guard the lots too.
    """
    new_lots = {}
    for movement in created:
        if movement.quantity > 0:
            code, expires_on = movement._lot
            new_lots[id(movement)] = StockLot(
                shop_id=movement.shop_id,
                product_id=movement.product_id,
                code=code,
                expires_on=expires_on,
                received_at=movement.occurred_at,
                initial=movement.quantity,
                remaining=movement.quantity,
                movement=movement,
            )
    StockLot.objects.bulk_create(list(new_lots.values()))
    exits = [m for m in created if m.quantity < 0]
    if exits:
        _take_lots(created, exits, new_lots)
    return list(new_lots.values())


def _take_lots(created, exits, new_lots) -> None:
    """The exits of `created` take their units from the open lots (see _move_lots)."""
    pairs = {(m.shop_id, m.product_id) for m in exits}
    open_lots = _open_lots(pairs, exclude_movements={m.pk for m in created})
    recalled = _RecalledCodes()
    parts, touched = [], {}
    for movement in sorted(created, key=lambda m: (m.occurred_at, m.pk)):
        pair = (movement.shop_id, movement.product_id)
        if movement.quantity > 0:
            if pair in pairs:
                open_lots[pair].append(new_lots[id(movement)])
            continue
        wanted = -movement.quantity
        for lot in _lots_for_exit(movement, open_lots[pair], recalled):
            if wanted == 0:
                break
            take = min(wanted, lot.remaining)
            if take == 0:
                continue
            lot.remaining -= take
            wanted -= take
            touched[lot.pk] = lot
            parts.append(MovementLot(movement=movement, lot=lot, quantity=take))
        if wanted and movement.kind in BLOCKED_BY_RECALL:
            raise _lot_recalled(movement, wanted, open_lots[pair], recalled)
        if wanted and movement.kind == Kind.RECALL:
            raise InsufficientStock(
                f"Le lot {movement._lot[0]} n'a plus que "
                f"{format_quantity(-movement.quantity - wanted)} en stock."
            )
        # Lots cover the quantity on hand exactly and the balance check passed, so an
        # exit always finds its units; if not, the books of lots are broken: stop.
        if wanted:
            raise AssertionError(f"lots of {movement.shop_id}/{movement.product_id} short")
    MovementLot.objects.bulk_create(parts)
    StockLot.objects.bulk_update(list(touched.values()), ["remaining"])


def _recalled_arrivals(lots: list[StockLot]) -> None:
    """Units of a recalled lot that enter a shop's stock after the recall (a late
    delivery, units found with their code): the shop's recall line is created, or
    reopened if it had confirmed, with the figures of today, and the shop is e-mailed
    again after commit (docs/recalls.md, "Late arrivals").

    The products' rows are locked (FOR NO KEY UPDATE) before the recalls are read, as
    recall_create locks them before it reads which shops hold the lot: a recall and an
    entry of its lot at the same moment see each other, one way or the other.
    """
    coded = {(lot.product_id, lot.code) for lot in lots if lot.code}
    if not coded:
        return
    list(
        Product.objects.select_for_update(no_key=True)
        .filter(pk__in={product_id for product_id, _ in coded})
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    named = Q()
    for product_id, code in sorted(coded):
        named |= Q(product_id=product_id, lot=code)
    for recall in Recall.objects.filter(named).select_related("product").order_by("pk"):
        shop_ids = {
            lot.shop_id
            for lot in lots
            if (lot.product_id, lot.code) == (recall.product_id, recall.lot)
        }
        traces = {
            trace.shop.pk: trace
            for trace in lot_trace(user=None, product=recall.product, lot=recall.lot).shops
            if trace.shop.pk in shop_ids
        }
        existing = {
            line.shop_id: line
            for line in RecallShop.objects.select_for_update().filter(
                recall=recall, shop_id__in=shop_ids
            )
        }
        for shop_id, trace in sorted(traces.items()):
            line = existing.get(shop_id) or RecallShop(recall=recall, shop_id=shop_id)
            # Figures of today: what it received, what left otherwise, what it holds
            # (received - sold_or_lost - left: withdrawn by earlier confirmations).
            line.received = trace.received
            line.sold_or_lost = trace.sold_or_lost
            line.left = trace.left
            line.notified_at = line.confirmed_at = line.confirmed_by = None
            line.save()
            notify_on_commit(recall_notice, line.pk)


def _recount_lots(changes: list[tuple[StockMovement, int]]) -> None:
    """Lots follow the recomputed adjustments of counts, so that they still cover the
    quantity on hand exactly. A count now finding k more units first gives back what it
    took from lots (latest to expire first), then grows its own lot (created if it had
    none: no code, no date, so taken last by FEFO). A count finding k fewer first
    shrinks its own lot (the units still in it), then takes the rest from open lots,
    first-expiry-first-out, as an exit does. Either way, its own lot's initial minus
    what it took from other lots equals its quantity.

    Called under the balance locks, after the movements are saved.
    """
    if not changes:
        return
    rows = [row for row, _ in changes]
    own = {lot.movement_id: lot for lot in StockLot.objects.filter(movement__in=rows)}
    parts = defaultdict(list)
    for part in MovementLot.objects.filter(movement__in=rows).select_related("lot"):
        parts[part.movement_id].append(part)
    pairs = {(row.shop_id, row.product_id) for row in rows}
    open_lots = defaultdict(list)
    if any(row.quantity < old for row, old in changes):
        open_lots = _open_lots(pairs)
    recalled = _RecalledCodes()
    touched_lots, new_lots, touched_parts, gone_parts, new_parts = {}, [], {}, [], []
    for row, old in sorted(changes, key=lambda change: (change[0].occurred_at, change[0].pk)):
        change = row.quantity - old
        lot = own.get(row.pk)
        if change > 0:
            for part in sorted(parts[row.pk], key=lambda p: _fefo(p.lot), reverse=True):
                back = min(change, part.quantity)
                if back == 0:
                    continue
                lot_back = touched_lots.setdefault(part.lot.pk, part.lot)
                lot_back.remaining += back
                part.quantity -= back
                change -= back
                if part.quantity:
                    touched_parts[part.pk] = part
                else:
                    gone_parts.append(part.pk)
                    touched_parts.pop(part.pk, None)
            if change and lot is not None:
                lot = touched_lots.setdefault(lot.pk, lot)
                lot.initial += change
                lot.remaining += change
            elif change:
                new_lots.append(
                    StockLot(
                        shop_id=row.shop_id,
                        product_id=row.product_id,
                        received_at=row.occurred_at,
                        initial=change,
                        remaining=change,
                        movement=row,
                    )
                )
            continue
        wanted = -change
        if lot is not None:
            lot = touched_lots.setdefault(lot.pk, lot)
            shrink = min(wanted, lot.remaining)
            lot.initial -= shrink
            lot.remaining -= shrink
            wanted -= shrink
        taken = {part.lot_id: part for part in parts[row.pk]}
        # A count's adjustment: recalled lots first (_lots_for_exit).
        for other in _lots_for_exit(row, open_lots[(row.shop_id, row.product_id)], recalled):
            if wanted == 0:
                break
            other = touched_lots.setdefault(other.pk, other)
            take = min(wanted, other.remaining)
            if take == 0:
                continue
            other.remaining -= take
            wanted -= take
            if other.pk in taken:
                taken[other.pk].quantity += take
                touched_parts[taken[other.pk].pk] = taken[other.pk]
            else:
                taken[other.pk] = MovementLot(movement=row, lot=other, quantity=take)
                new_parts.append(taken[other.pk])
        # As in _move_lots: the replay left every point >= 0, so the units are there.
        if wanted:
            raise AssertionError(f"lots of {row.shop_id}/{row.product_id} short")
    StockLot.objects.bulk_update(list(touched_lots.values()), ["initial", "remaining"])
    StockLot.objects.bulk_create(new_lots)
    MovementLot.objects.filter(pk__in=gone_parts).delete()
    MovementLot.objects.bulk_update(list(touched_parts.values()), ["quantity"])
    MovementLot.objects.bulk_create(new_parts)


# --- What people record -------------------------------------------------------------

EXIT_KINDS = {Kind.SALE, Kind.LOSS}


def end_of_day(day: dt.date) -> dt.datetime:
    """The moment a dated event is booked at: the end of that Paris day, or now if today."""
    moment = dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=PARIS)
    return min(moment, timezone.now())


def movement_create(
    *,
    shop,
    product,
    kind: str,
    quantity: int,
    reason: str = "",
    lot: str = "",
    expires_on: dt.date | None = None,
    user=None,
    occurred_on: dt.date | None = None,
) -> StockMovement:
    """A sale, a loss or an adjustment from a person (receipts come from purchasing).

    `quantity` is what people say: units sold or lost (>= 1), or the signed change of
    an adjustment (not 0).
    """
    business_date_check(on=occurred_on or paris_today(), shop=shop, field="occurred_on")
    errors = {}
    if kind not in (Kind.SALE, Kind.LOSS, Kind.ADJUSTMENT):
        errors["kind"] = [
            "Choisissez vente, perte ou ajustement (les réceptions viennent des achats groupés)."
        ]
    elif kind in EXIT_KINDS and quantity < 1:
        errors["quantity"] = ["La quantité vendue ou perdue doit être d'au moins 1."]
    elif kind == Kind.ADJUSTMENT and quantity == 0:
        errors["quantity"] = ["Un ajustement de 0 ne change rien."]
    if kind == Kind.LOSS and reason not in StockMovement.Reason.values:
        errors["reason"] = ["Précisez le motif de la perte : périmé, abîmé, vol ou autre."]
    elif kind != Kind.LOSS and reason:
        errors["reason"] = ["Seule une perte a un motif."]
    delta = -quantity if kind in EXIT_KINDS else quantity
    if (lot or expires_on) and delta < 0:
        errors["lot"] = [
            "Un lot ou une date limite ne se donne que pour une entrée en stock "
            "(les sorties prennent les lots qui périment en premier)."
        ]
    day = occurred_on or paris_today()
    if occurred_on and occurred_on > paris_today():
        errors["occurred_on"] = ["La date ne peut être dans le futur."]
    if expires_on and expires_on < day:
        errors["expires_on"] = ["La date limite précède la date d'entrée en stock."]
    if errors:
        raise InvalidInput(errors)
    [movement] = movements_record(
        movements=[
            MovementIn(
                shop_id=shop.pk,
                product_id=product.pk,
                kind=kind,
                quantity=delta,
                occurred_at=end_of_day(day) if occurred_on else timezone.now(),
                reason=reason,
                lot=lot,
                expires_on=expires_on,
                user_id=getattr(user, "pk", None),
            )
        ]
    )
    return movement


@dataclass(frozen=True)
class ReceiptIn:
    shop_id: int
    product_id: int
    quantity: int
    # The full cost of one unit excl. VAT: the group price plus its share of the invoice's
    # shipping and fee, to 8 decimals (costing.unit_cost_of; docs/inventory.md, "Stock at
    # its full cost").
    unit_cost: Decimal
    source: str  # the key of the document received, unique: one movement per document
    occurred_at: dt.datetime
    lot: str = ""
    expires_on: dt.date | None = None


def stock_receipts_record(*, receipts: list[ReceiptIn]) -> int:
    """Goods received through pooled purchasing enter each shop's stock.

    Call inside the receipt's transaction. One movement per source document (a unique
    key), so a replayed receipt cannot add stock twice. Returns the number of movements.
    """
    movements = [
        MovementIn(
            shop_id=r.shop_id,
            product_id=r.product_id,
            kind=Kind.RECEIPT,
            quantity=r.quantity,
            occurred_at=r.occurred_at,
            unit_cost=r.unit_cost,
            source=r.source,
            lot=r.lot,
            expires_on=r.expires_on,
        )
        for r in receipts
        if r.quantity > 0
    ]
    return len(movements_record(movements=movements))


@dataclass(frozen=True)
class ReturnOut:
    """Units a credit note takes back from a shop (docs/credit-notes.md)."""

    shop_id: int
    product_id: int
    quantity: int  # units taken back (>= 1)
    source: str  # the key of the document, unique: one movement per credit note line
    occurred_at: dt.datetime
    note: str = ""
    user_id: int | None = None


def stock_returns_record(*, returns: list[ReturnOut]) -> list[StockMovement]:
    """Goods credited to a shop leave its stock (kind `return`), at the average cost of
    the moment, first-expiry-first-out like any exit. Call inside the credit note's
    transaction; raises InsufficientStock (409) when the shop no longer has them. One
    movement per source document (a unique key)."""
    return movements_record(
        movements=[
            MovementIn(
                shop_id=r.shop_id,
                product_id=r.product_id,
                kind=Kind.RETURN,
                quantity=-r.quantity,
                occurred_at=r.occurred_at,
                source=r.source,
                note=r.note,
                user_id=r.user_id,
            )
            for r in returns
            if r.quantity > 0
        ]
    )


def stock_at(*, shop_id: int, product_ids, moment: dt.datetime) -> dict[int, StockState]:
    """The stock of products at a moment (one query): the state after the last movement."""
    states = _states_at([(shop_id, p) for p in product_ids], moment)
    return {product_id: states[(shop_id, product_id)] for product_id in product_ids}


def stock_count_record(*, shop, counted_on: dt.date, lines: list[dict], user) -> StockCount:
    """A physical count: the differences with the stock of that day become adjustments,
    recomputed whenever a movement is later inserted before it (module doc)."""
    business_date_check(on=counted_on, shop=shop, field="counted_on")
    errors = {}
    products = [line["product"] for line in lines]
    if not lines:
        errors["lines"] = ["Comptez au moins un produit."]
    elif len(products) != len(set(products)):
        errors["lines"] = ["Un produit figure deux fois dans ce comptage."]
    if counted_on > paris_today():
        errors["counted_on"] = ["Un comptage ne peut être daté dans le futur."]
    if errors:
        raise InvalidInput(errors)
    moment = end_of_day(counted_on)
    with transaction.atomic():
        _lock_balances({(shop.pk, p.pk) for p in products})
        expected = stock_at(shop_id=shop.pk, product_ids=[p.pk for p in products], moment=moment)
        count = StockCount.objects.create(shop=shop, counted_on=counted_on, counted_by=user)
        StockCountLine.objects.bulk_create(
            StockCountLine(
                count=count,
                product=line["product"],
                expected=expected[line["product"].pk].quantity,
                counted=line["quantity"],
            )
            for line in lines
        )
        # One movement per line, of 0 when nothing differs: the count's fixed point in
        # later replays (see the module doc).
        movements_record(
            movements=[
                MovementIn(
                    shop_id=shop.pk,
                    product_id=line["product"].pk,
                    kind=Kind.ADJUSTMENT,
                    quantity=line["quantity"] - expected[line["product"].pk].quantity,
                    counted=line["quantity"],
                    occurred_at=moment,
                    count_id=count.pk,
                    user_id=user.pk,
                    note=f"Inventaire du {counted_on:%d/%m/%Y}",
                )
                for line in lines
            ]
        )
    return count


def minimum_set(*, shop, product, minimum: int | None) -> StockBalance:
    with transaction.atomic():
        balance = _lock_balances({(shop.pk, product.pk)})[(shop.pk, product.pk)]
        balance.minimum = minimum
        balance.save(update_fields=["minimum", "updated_at"])
    return balance
