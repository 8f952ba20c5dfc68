"""Reads of pooled purchasing, scoped to what the user may see."""

import logging
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.cache import cache
from django.db.models import (
    Case,
    CharField,
    DecimalField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from catalogue.models import PriceTier, Product
from inventory.models import StockLot
from mache.cache import CACHE_DOWN
from mache.permissions import scope_to_user, sees_all_shops
from shops.models import Cooperative, Shop, User

from . import einvoice_rules, rules
from .distribution import in_tour_order, picking_matrix, route_order
from .models import (
    Allocation,
    CreditNote,
    EInvoiceEvent,
    Invoice,
    InvoiceSettlement,
    Order,
    OrderLine,
    Round,
    RoundSchedule,
    SupplierInvoice,
    SupplierOrder,
)

log = logging.getLogger(__name__)


def round_list(*, user) -> QuerySet[Round]:
    # Every member sees every round: rounds are calls to order, not shop data.
    return Round.objects.select_related("supplier")


def round_schedule_list(*, user) -> QuerySet[RoundSchedule]:
    # The cooperative's settings: the views let coordinators only in.
    if not sees_all_shops(user):
        return RoundSchedule.objects.none()
    return RoundSchedule.objects.select_related("supplier")


def round_missing_shops(*, round_: Round) -> QuerySet[Shop]:
    """The active shops with no order in `round_`, by name (for the coordinator: callers
    check the role)."""
    return (
        Shop.objects.filter(status=Shop.Status.ACTIVE)
        .exclude(pk__in=Order.objects.filter(round=round_).values("shop_id"))
        .order_by("name", "id")
    )


def shop_email_addresses(shops: QuerySet[Shop]) -> dict[int, list[str]]:
    """Shop id -> the addresses that reach it: the shop's own e-mail and those of its
    active shopkeepers, once each, sorted. Two queries, whatever the number of shops
    (none of them left out when there is no shop: the pages' query counts stay fixed)."""
    found: dict[int, set[str]] = {
        pk: {email} if email else set() for pk, email in shops.values_list("id", "email")
    }
    keepers = (
        User.objects.filter(is_active=True, role=User.Role.SHOPKEEPER, shops__in=shops.values("pk"))
        .exclude(email="")
        .values_list("shops", "email")
    )
    for pk, email in keepers:
        found[pk].add(email)
    return {pk: sorted(emails) for pk, emails in found.items() if emails}


def order_list(*, user) -> QuerySet[Order]:
    return scope_to_user(Order.objects.select_related("round").prefetch_related("lines"), user=user)


def supplier_order_list(*, user) -> QuerySet[SupplierOrder]:
    if not sees_all_shops(user):
        return SupplierOrder.objects.none()
    return SupplierOrder.objects.select_related("round__supplier").prefetch_related(
        "lines__product"
    )


def supplier_invoice_list(*, user) -> QuerySet[SupplierInvoice]:
    """Suppliers' invoices: the coordinator's only (docs/supplier-invoices.md); the file
    as received is left out of the list (`defer`)."""
    if not sees_all_shops(user):
        return SupplierInvoice.objects.none()
    return SupplierInvoice.objects.select_related("supplier", "supplier_order__round").defer(
        "original"
    )


def round_supplier_order(*, round_: Round) -> SupplierOrder | None:
    """The supplier order of a round the caller may see: its totals are the group's, shown
    to every member; the allocations are scoped separately (`allocation_list`)."""
    return (
        SupplierOrder.objects.select_related("round__supplier")
        .prefetch_related("lines__product")
        .filter(round=round_)
        .first()
    )


def allocation_list(*, user, supplier_order) -> QuerySet[Allocation]:
    return scope_to_user(supplier_order.allocations.order_by("product_id", "rank"), user=user)


def invoice_list(*, user) -> QuerySet[Invoice]:
    """Invoices, scoped, each with its `einvoice_status` (with_einvoice_status) and, for a
    supplementary invoice, the round's invoice it adds to (docs/supplier-differences.md)."""
    return scope_to_user(
        with_einvoice_status(
            Invoice.objects.select_related(
                "shop", "round__supplier", "supplements"
            ).prefetch_related("lines", "vat_lines")
        ),
        user=user,
    )


def credit_note_list(*, user) -> QuerySet[CreditNote]:
    """Credit notes, scoped like the invoices (docs/credit-notes.md), each with its
    `einvoice_status` (with_einvoice_status)."""
    return scope_to_user(
        with_einvoice_status(
            CreditNote.objects.select_related("shop", "invoice").prefetch_related(
                "lines", "vat_lines"
            )
        ),
        user=user,
    )


# --- E-invoicing lifecycle (docs/e-invoicing.md, "Lifecycle and the platform") -----------


def with_einvoice_status(queryset: QuerySet) -> QuerySet:
    """Invoices or credit notes annotated, in the database, with `einvoice_status`: the
    rule of einvoice_rules.document_status written as SQL (no query more for a list).
    The latest platform status (rejected, refused, approved) wins over `deposited`
    whatever their times: a deposit recorded late (its task retried) never hides what
    the platform said since. tests/purchasing/test_einvoice_lifecycle.py holds both to
    the same answers."""
    is_invoice = queryset.model is Invoice
    events = EInvoiceEvent.objects.filter(
        **{"invoice" if is_invoice else "credit_note": OuterRef("pk")}
    ).order_by(
        Case(When(status=einvoice_rules.DEPOSITED, then=Value(0)), default=Value(1)).desc(),
        "-at",
        "-id",
    )
    if is_invoice:
        # einvoice_rules.invoice_paid: nothing due and money came in.
        paid = Q(total_incl_vat__lte=F("amount_paid") + F("amount_credited"), amount_paid__gt=0)
    else:
        # einvoice_rules.credit_note_paid: wholly taken off its invoice.
        paid = Q(applied__gte=F("total_incl_vat"))
    return queryset.annotate(
        einvoice_status=Case(
            When(paid, then=Value(einvoice_rules.PAID)),
            default=Coalesce(Subquery(events.values("status")[:1]), Value(einvoice_rules.ISSUED)),
            output_field=CharField(),
        )
    )


def einvoice_history(document) -> list[EInvoiceEvent]:
    """The platform's events of an invoice or a credit note the caller may see, oldest
    first."""
    return list(document.einvoice_events.order_by("at", "id"))


# --- Invoices due (docs/invoices-due.md) ----------------------------------------------


def invoices_with_due(queryset: QuerySet[Invoice], *, today) -> QuerySet[Invoice]:
    """`queryset` annotated, in the database, with `due_amount` (total incl. VAT - paid -
    credited) and `due_status` on `today` (Paris): the rule of rules.invoice_status
    written as SQL, so that lists filter and sum by status without reading every
    invoice. tests/purchasing/test_invoices_due.py holds both to the same answers."""
    due = F("total_incl_vat") - F("amount_paid") - F("amount_credited")
    return queryset.annotate(
        due_amount=ExpressionWrapper(
            due, output_field=DecimalField(max_digits=12, decimal_places=2)
        ),
        due_status=Case(
            When(
                Q(amount_paid=0, amount_credited__gt=0)
                & Q(total_incl_vat__lte=F("amount_paid") + F("amount_credited")),
                then=Value("credited"),
            ),
            When(total_incl_vat__lte=F("amount_paid") + F("amount_credited"), then=Value("paid")),
            When(due_on__lt=today, then=Value("overdue")),
            When(amount_paid__gt=0, then=Value("partially_paid")),
            default=Value("open"),
            output_field=CharField(),
        ),
    )


def invoice_settlements(invoice: Invoice) -> QuerySet[InvoiceSettlement]:
    """What settles an invoice the caller may see, cancelled ones left out, by date."""
    return invoice.settlements.filter(cancelled_at__isnull=True).order_by("date", "id")


def round_fill(*, round_: Round) -> dict:
    """The group's totals if the round closed now (docs/consolidation.md): no shop is named."""
    totals = {
        row["product_id"]: row
        for row in OrderLine.objects.filter(order__round=round_)
        .values("product_id")
        .annotate(ordered=Sum("quantity"), tolerance=Sum("tolerance"))
    }
    # Every active product of the supplier (a shop may start a case), and any product
    # already ordered (even if withdrawn from the catalogue since).
    products = (
        Product.objects.filter(
            Q(supplier_id=round_.supplier_id, active=True) | Q(pk__in=list(totals))
        )
        .prefetch_related("price_tiers")
        .order_by("name", "id")
    )
    rows = []
    total = Decimal("0.00")
    for product in products:
        row = totals.get(product.pk, {"ordered": 0, "tolerance": 0})
        tiers = [rules.Tier(t.min_cases, t.unit_price) for t in product.price_tiers.all()]
        line = rules.group_line(
            ordered=row["ordered"],
            tolerance=row["tolerance"],
            case_size=product.case_size,
            base_price=product.unit_price,
            tiers=tiers,
        )
        total += line.amount
        rows.append(
            {
                "product": product.pk,
                "name": product.name,
                "sku": product.sku,
                "ordered": row["ordered"],
                "tolerance": row["tolerance"],
                "case_size": product.case_size,
                "cases_if_closed_now": line.cases,
                "missing_for_next_case": rules.missing_for_next_case(
                    row["ordered"], product.case_size
                ),
                "unit_price": line.unit_price,
            }
        )
    supplier = round_.supplier
    return {
        "round": round_.pk,
        "status": round_.status,
        "closes_at": round_.closes_at,
        "total_excl_vat": total,
        "min_order_amount": supplier.min_order_amount,
        "free_shipping_threshold": supplier.free_shipping_threshold,
        "shipping_if_closed_now": rules.shipping_for(
            total, supplier.shipping_fee, supplier.free_shipping_threshold
        ),
        "products": rows,
    }


# --- The live fill's cached copy (docs/consolidation.md, "The live fill under load") ----

# At most one computation of a round's fill per this many seconds (the slot is a cache key
# that expires; whole seconds, as the cache's timeouts are).
FILL_COMPUTE_EVERY = 1
# A copy is kept this long even if nothing is written: a change of the catalogue's prices
# (which bumps no round) shows within that time.
FILL_KEEP = 10
# A round's version outlives its copies (a version forgotten only costs a computation).
FILL_VERSION_KEEP = 24 * 3600
# How long a request that finds no copy at all waits for the one being computed.
FILL_WAIT = 1.0


def _fill_keys(round_id: int) -> tuple[str, str, str]:
    # The copy is the JSON answer since issue 18 (a dict before): under its own key, so
    # that a copy left by the code before is never served as bytes.
    return (f"fill:{round_id}:version", f"fill:{round_id}:json", f"fill:{round_id}:computing")


def round_fill_changed(round_id: int) -> None:
    """Called when an order write or a change of the round commits: the round's fill
    gets a new version, so that the next reader computes it again (at most once a
    second). A token unique to the change, not a counter: it needs no key to exist."""
    version_key = _fill_keys(round_id)[0]
    try:
        cache.set(version_key, uuid.uuid4().hex, timeout=FILL_VERSION_KEEP)
    except CACHE_DOWN as exc:
        # The copy then lives FILL_KEEP seconds at most.
        log.warning("cache unreachable, fill of round %s not invalidated: %s", round_id, exc)


def round_fill_cached(round_id: int, compute):
    """What `compute()` returns (the fill of round `round_id` as its JSON answer),
    computed at most once per FILL_COMPUTE_EVERY seconds per round: a copy of the round's
    current version is served as is; an older copy is served while a computation took
    place in the last second; otherwise this request computes. Without the cache (Redis
    down), computes."""
    version_key, entry_key, slot_key = _fill_keys(round_id)
    try:
        found = cache.get_many([version_key, entry_key])
        version, entry = found.get(version_key), found.get(entry_key)
        if entry is not None and version is not None and entry[0] == version:
            return entry[1]
        if cache.add(slot_key, 1, timeout=FILL_COMPUTE_EVERY):
            if version is None:
                # First reader (or the key was evicted): a version to tag the copy with.
                cache.add(version_key, uuid.uuid4().hex, timeout=FILL_VERSION_KEEP)
                version = cache.get(version_key)
            # The version is read before the orders: a write committed after this point
            # bumps it again, so a copy never hides a write for longer than a second.
            data = compute()
            cache.set(entry_key, (version, data), timeout=FILL_KEEP)
            return data
        if entry is None:
            entry = _fill_wait(entry_key)
        if entry is not None:
            return entry[1]  # computed less than a second ago
    except CACHE_DOWN as exc:
        log.warning("cache unreachable, fill of round %s computed without it: %s", round_id, exc)
    return compute()


def _fill_wait(entry_key: str):
    # Another request is computing the first copy: wait for it rather than compute too.
    deadline = time.monotonic() + FILL_WAIT
    while time.monotonic() < deadline:
        time.sleep(0.02)
        entry = cache.get(entry_key)
        if entry is not None:
            return entry
    return None


def product_terms(products) -> dict:
    """Product id -> rules.ProductTerms of products read with their price tiers
    prefetched (the order form keeps them with its cached catalogue, issue 18)."""
    return {
        product.id: rules.ProductTerms(
            product.case_size,
            product.unit_price,
            [rules.Tier(tier.min_cases, tier.unit_price) for tier in product.price_tiers.all()],
        )
        for product in products
    }


def round_products(product_ids, *, loaded=(), loaded_terms=None) -> tuple[dict, dict]:
    """The products of a round's lines, and their terms for rules.round_plan (two
    queries at most, whatever the number of products). `loaded`: products already read
    with their price tiers prefetched (catalogue.selectors.product_list, as the order
    form reads them), not read again: the page saves two queries (issue 18);
    `loaded_terms`: their `product_terms`, when already made."""
    known = {
        product.id: product
        for product in loaded
        if "price_tiers" in getattr(product, "_prefetched_objects_cache", {})
    }
    terms = loaded_terms if loaded_terms is not None else product_terms(known.values())
    terms = {pk: terms[pk] for pk in known}
    others = [pk for pk in product_ids if pk not in known]
    products = {**known, **(Product.objects.in_bulk(others) if others else {})}
    if others:
        tiers = defaultdict(list)
        for tier in PriceTier.objects.filter(product_id__in=others):
            tiers[tier.product_id].append(rules.Tier(tier.min_cases, tier.unit_price))
        for pk in others:
            if pk in products:
                product = products[pk]
                terms[pk] = rules.ProductTerms(product.case_size, product.unit_price, tiers[pk])
    return products, terms


# --- The order form's estimate: the round as if it closed now, with what a shop typed


def percent(part, whole) -> int:
    """A gauge's width, 0 to 100."""
    if not whole:
        return 100 if part else 0
    return max(0, min(100, int(part * 100 / whole)))


def case_gauge(ordered: int, case_size: int) -> int:
    """How full the group's current case is: a case just completed shows full."""
    rest = ordered % case_size
    return 100 if ordered and not rest else rest * 100 // case_size


def group_summary(total: Decimal, supplier, *, shipping: Decimal | None = None) -> dict:
    """The group's total against the supplier's minimum and free-shipping threshold;
    `shipping`: the round's (rules.RoundPlan.shipping), else the supplier's for `total`."""
    minimum, franco = supplier.min_order_amount, supplier.free_shipping_threshold
    return {
        "total": total,
        "minimum": minimum,
        "franco": franco,
        "below_minimum": rules.needs_review(total, minimum),
        "minimum_missing": max(minimum - total, Decimal("0.00")),
        "minimum_percent": percent(total, minimum),
        "shipping": rules.shipping_for(total, supplier.shipping_fee, franco)
        if shipping is None
        else shipping,
        "franco_missing": max(franco - total, Decimal("0.00")) if franco is not None else None,
        "franco_percent": percent(total, franco) if franco is not None else None,
    }


@dataclass
class LineEstimate:
    """One product of the order form, as if the round closed now with what was typed:
    the group's cases and price, and what the shop would receive (its allocation)."""

    product: object
    tiers: list
    ordered: int  # the group's units, the shop's typed quantity in place of its saved one
    cases: int
    units: int  # cases x case size: what the group would receive
    unit_price: Decimal  # the group price for those cases (rule 3)
    missing: int  # units the group still lacks for one case more, tolerances counted
    gauge: int
    quantity: int
    tolerance: int
    allocated: int  # the shop's share of `units` (rule 2)
    amount: Decimal  # the shop's goods line, excl. VAT: allocated x group price
    vat_rate: Decimal = field(init=False)

    def __post_init__(self):
        self.vat_rate = self.product.vat_rate

    @property
    def case_size(self) -> int:
        return self.product.case_size

    @property
    def extra(self) -> int:
        """Units received beyond the quantity: taken from the tolerance (rule 2)."""
        return max(0, self.allocated - self.quantity)

    @property
    def short(self) -> int:
        """Units asked that the group's cases would not cover (rule 2, U < Q)."""
        return max(0, self.quantity - self.allocated)


def estimate_gauge(*, cases: int, missing: int, case_size: int) -> int:
    """How full the group's next case is (0 to 100); a case just completed shows full."""
    if missing >= case_size:
        return 100 if cases else 0
    return (case_size - missing) * 100 // case_size


def round_line_rows(*, round_) -> list[tuple]:
    """Every line of the round in tie-break order: (order, shop, product, quantity,
    tolerance)."""
    return list(
        OrderLine.objects.filter(order__round=round_)
        .order_by("order__created_at", "order_id", "product_id")
        .values_list("order_id", "order__shop_id", "product_id", "quantity", "tolerance")
    )


def order_estimate(
    *, round_, shop, products, order, typed, terms=None, cooperative=None, rows=None
) -> dict:
    """What the shop would be invoiced, and the group's fill, if the round closed now with
    the shop's typed lines in place of its saved ones; nothing is written.

    The very rules consolidation and receipt apply (docs/consolidation.md, "What the
    order form shows"): `rules.round_plan` over every line of the round in tie-break
    order (the shop keeps its order's rank, or comes last with a new order), then
    `rules.shop_invoices` on the allocations as if all were received. `products`: the
    form's products; `typed`: product id -> (quantity, tolerance); `terms`: their
    `product_terms` when already made; `cooperative`: its row when already read (the
    service fee's rate); `rows`: the round's `round_line_rows` when already read (the
    order page reads them first, for the shop's saved lines too).
    """
    own = order.pk if order is not None else None
    if rows is None:
        rows = round_line_rows(round_=round_)
    # As the order services keep them: a line without quantity is dropped, its
    # tolerance with it (orders.check_lines).
    typed_rows = [
        (own, shop.pk, pk, quantity, tolerance)
        for pk, (quantity, tolerance) in sorted(typed.items())
        if quantity
    ]
    lines = []
    for row in rows:
        if row[0] == own:
            if typed_rows:  # the shop's order, at its rank, with what is typed now
                lines += typed_rows
                typed_rows = []
        else:
            lines.append(row)
    lines += typed_rows  # a new order comes last
    catalog, terms = round_products(
        {row[2] for row in lines} | {p.id for p in products}, loaded=products, loaded_terms=terms
    )
    supplier = round_.supplier
    plan = rules.round_plan(
        terms,
        [(product_id, quantity, tolerance) for _, _, product_id, quantity, tolerance in lines],
        shipping_fee=supplier.shipping_fee,
        free_shipping_threshold=supplier.free_shipping_threshold,
    )

    rank_of: dict = {}
    goods = []
    mine: dict[int, int] = {}
    allocations = plan.allocated
    group_prices = {pk: line.unit_price for pk, line in plan.products.items()}
    goods_line = rules.GoodsLine
    for index, (order_id, shop_id, product_id, _, _) in enumerate(lines):
        rank = rank_of.get(order_id)
        if rank is None:
            rank = rank_of[order_id] = len(rank_of) + 1
        allocated = allocations[index]
        if order_id == own:
            mine[product_id] = allocated
        if allocated:
            product = catalog[product_id]
            goods.append(
                (
                    shop_id,
                    rank,
                    goods_line(
                        product_id,
                        product.name,
                        allocated,
                        group_prices[product_id],
                        product.unit_price,
                        product.vat_rate,
                    ),
                )
            )
    drafts = rules.shop_invoices(
        rules.goods_by_shop(goods),
        shipping=plan.shipping,
        fee_rate=rules.fee_rate((cooperative or Cooperative.current()).service_fee_rate),
        only=shop.pk,
    )
    invoice = drafts[0] if drafts else None

    estimates = []
    ordered, tolerated = plan.ordered, plan.tolerated
    for product in products:
        term = terms[product.id]
        quantity, tolerance = typed.get(product.id, (0, 0))
        group = plan.products.get(product.id) or rules.group_line(
            ordered=0,
            tolerance=0,
            case_size=term.case_size,
            base_price=term.base_price,
            tiers=term.tiers,
        )
        missing = rules.missing_for_another_case(
            ordered.get(product.id, 0), tolerated.get(product.id, 0), product.case_size
        )
        allocated = mine.get(product.id, 0)
        estimates.append(
            LineEstimate(
                product=product,
                tiers=list(term.tiers),
                ordered=ordered.get(product.id, 0),
                cases=group.cases,
                units=group.units,
                unit_price=group.unit_price,
                missing=missing,
                gauge=estimate_gauge(
                    cases=group.cases, missing=missing, case_size=product.case_size
                ),
                quantity=quantity,
                tolerance=tolerance,
                allocated=allocated,
                amount=rules.line_amount(allocated, group.unit_price),
            )
        )
    zero = Decimal("0.00")
    return {
        "lines": estimates,
        "invoice": invoice,
        "goods": invoice.goods_excl_vat if invoice else zero,
        "shipping": invoice.shipping if invoice else zero,
        "fee": invoice.fee if invoice else zero,
        "shop_excl": invoice.total_excl_vat if invoice else zero,
        "shop_vat": invoice.total_vat if invoice else zero,
        "shop_incl": invoice.total_incl_vat if invoice else zero,
        "group": group_summary(plan.total, supplier, shipping=plan.shipping),
    }


def last_order(*, user, shop, round_) -> Order | None:
    """The shop's latest order with this round's supplier in an earlier round (the order
    form's "Reprendre ma dernière commande")."""
    return (
        order_list(user=user)
        .filter(shop=shop, round__supplier_id=round_.supplier_id)
        .exclude(round=round_)
        .order_by("-round__closes_at", "-id")
        .first()
    )


# --- Distribution: delivery notes, picking list, the day's tour (docs/distribution.md) ---


def receipt_source(allocation_id: int) -> str:
    """The key of the stock movement a receipt recorded for an allocation
    (purchasing.services.receipt: one receipt movement, and so one lot, per allocation)."""
    return f"allocation:{allocation_id}"


@dataclass
class DeliveryNoteLine:
    product: Product
    allocated: int
    received: int
    lot: str
    expires_on: object  # a date or None

    @property
    def shortfall(self) -> int:
        return self.allocated - self.received


@dataclass
class DeliveryNote:
    shop: Shop
    lines: list[DeliveryNoteLine]

    @property
    def received(self) -> int:
        return sum(line.received for line in self.lines)

    @property
    def shortfall(self) -> int:
        return sum(line.shortfall for line in self.lines)


def supplier_orders_with_notes(*, user) -> QuerySet[SupplierOrder]:
    """The supplier orders whose delivery notes `user` may read: every one for the
    coordinator, those serving one of their shops for a shopkeeper; the rest 404."""
    orders = SupplierOrder.objects.select_related("round__supplier")
    if sees_all_shops(user):
        return orders
    visible = scope_to_user(Allocation.objects.filter(allocated__gt=0), user=user)
    return (
        scope_to_user(orders, user=user, shop_field="allocations__shop")
        .filter(pk__in=visible.values("supplier_order_id"))
        .distinct()
    )


def delivery_notes(*, user, supplier_order: SupplierOrder, shop_id=None) -> list[DeliveryNote]:
    """One delivery note per shop served by `supplier_order` (received), in tour order:
    per product the units allocated, received (Allocation.received, as invoiced) and the
    lot and use-by date the receipt recorded into that shop's stock (the StockLot its
    receipt movement opened). Only the shops `user` may see; `shop_id` narrows to one.
    Two queries whatever the number of shops and lines."""
    allocations = scope_to_user(
        supplier_order.allocations.filter(allocated__gt=0).select_related("shop", "product"),
        user=user,
    )
    return _delivery_notes(allocations, shop_id=shop_id)


def delivery_notes_issued(*, supplier_order: SupplierOrder, shop_id=None) -> list[DeliveryNote]:
    """The delivery notes as the cooperative issues them (purchasing.documents, stored
    once the order is received): every shop the order serves, or `shop_id`'s only. Not
    scoped: the caller (a task, or a view that scoped the request) decides who reads them.
    """
    allocations = supplier_order.allocations.filter(allocated__gt=0).select_related(
        "shop", "product"
    )
    return _delivery_notes(allocations, shop_id=shop_id)


def delivery_note_shop_ids(*, user, supplier_order: SupplierOrder) -> list[int]:
    """The shops `supplier_order` serves that `user` may see, in id order. One query."""
    return list(
        scope_to_user(supplier_order.allocations.filter(allocated__gt=0), user=user)
        .order_by("shop_id")
        .values_list("shop_id", flat=True)
        .distinct()
    )


def _delivery_notes(allocations, *, shop_id) -> list[DeliveryNote]:
    if shop_id is not None:
        allocations = allocations.filter(shop_id=shop_id)
    allocations = list(allocations)
    lots = {
        source: (code, expires_on)
        for source, code, expires_on in StockLot.objects.filter(
            movement__source__in=[receipt_source(a.pk) for a in allocations if a.received]
        ).values_list("movement__source", "code", "expires_on")
    }
    by_shop = defaultdict(list)
    shops = {}
    for allocation in allocations:
        shops[allocation.shop_id] = allocation.shop
        code, expires_on = lots.get(receipt_source(allocation.pk), ("", None))
        by_shop[allocation.shop_id].append(
            DeliveryNoteLine(
                product=allocation.product,
                allocated=allocation.allocated,
                received=allocation.received or 0,
                lot=code,
                expires_on=expires_on,
            )
        )
    return [
        DeliveryNote(
            shop=shop,
            lines=sorted(
                by_shop[shop.pk], key=lambda line: (line.product.name.casefold(), line.product.pk)
            ),
        )
        for shop in in_tour_order(shops.values())
    ]


def picking_list(*, supplier_order: SupplierOrder):
    """The hub's picking list of a supplier order (coordinator): per product the units of
    each shop in tour order, received ones once received (their totals are the
    receipt's), allocated ones before. One query."""
    allocations = supplier_order.allocations.filter(allocated__gt=0).select_related(
        "shop", "product"
    )
    received = supplier_order.status == SupplierOrder.Status.RECEIVED
    return picking_matrix(
        (a.shop, a.product, (a.received or 0) if received else a.allocated) for a in allocations
    )


@dataclass
class TourDrop:
    """What to drop at a stop for one round."""

    round: Round
    supplier_order: SupplierOrder
    lines: list[tuple[Product, int]]

    @property
    def units(self) -> int:
        return sum(units for _, units in self.lines)


@dataclass
class TourStop:
    stop: int  # 1 = the first stop of the day
    shop: Shop
    drops: list[TourDrop]


def hub_point() -> tuple[float, float] | None:
    """Where the day's shortest tour starts: the hub's coordinates, when the coordinator
    typed them on the cooperative's page (docs/distribution.md, "The tour")."""
    coop = Cooperative.objects.only("hub_latitude", "hub_longitude").first()
    if coop is None or coop.hub_latitude is None or coop.hub_longitude is None:
        return None
    return (float(coop.hub_latitude), float(coop.hub_longitude))


def tour_of_day(*, user, delivery_date, order: str = "tour") -> list[TourStop]:
    """The day's delivery tour from the hub (coordinator): every shop with units of a
    supplier order delivered that day to the hub (rounds delivered to each shop by the
    supplier are not on it; cancelled orders neither), in tour order (`order="route"`:
    the shortest route through the shops' coordinates, docs/distribution.md), and per
    round what to drop: the units received, or allocated while not received yet. One
    query."""
    if not sees_all_shops(user):
        return []
    allocations = (
        Allocation.objects.filter(
            allocated__gt=0,
            supplier_order__round__delivery_date=delivery_date,
            supplier_order__round__delivery=Round.Delivery.HUB,
        )
        .exclude(supplier_order__status=SupplierOrder.Status.CANCELLED)
        .select_related("shop", "product", "supplier_order__round__supplier")
        .order_by("supplier_order__round__supplier__name", "supplier_order_id", "product__name")
    )
    shops, drops = {}, defaultdict(dict)
    for allocation in allocations:
        supplier_order = allocation.supplier_order
        received = supplier_order.status == SupplierOrder.Status.RECEIVED
        units = (allocation.received or 0) if received else allocation.allocated
        if not units:
            continue
        shops[allocation.shop_id] = allocation.shop
        drop = drops[allocation.shop_id].setdefault(
            supplier_order.pk, TourDrop(supplier_order.round, supplier_order, [])
        )
        drop.lines.append((allocation.product, units))
    ordered = (
        route_order(hub_point(), shops.values())
        if order == "route"
        else in_tour_order(shops.values())
    )
    return [
        TourStop(number, shop, list(drops[shop.pk].values()))
        for number, shop in enumerate(ordered, start=1)
    ]
