"""Consolidation of a big round: 2,000 shops x 100 lines (200,000 order lines).

Measures `round_consolidate` end to end (one transaction) against two references:
- its floor (issue 18): the same 200,000 allocation rows written set-based, one
  `INSERT ... SELECT` from the order lines into a twin of the allocation table (same
  columns, indexes and check constraints, no foreign key nor trigger), COMMIT included.
  Consolidation and floor run in alternating pairs, the best of each kept. Target: 1.5x;
- the bare PostgreSQL aggregate over the same lines, which no consolidation can beat.
Each figure is also printed as `BENCH consolidation.<name> <value>`.

Environment: BENCH_SHOPS (2000), BENCH_LINES (lines per order, 100), BENCH_SEED (2026),
BENCH_PAIRS (3), BENCH_DB (mache_bench), BENCH_PROFILE=1 (one more consolidation under
cProfile, its top functions printed), BENCH_SQL=1 (print the consolidation's queries).
Runs in a throw-away database, never in the one of DATABASE_URL.
"""

import cProfile
import datetime as dt
import io
import os
import pstats
import random
import time
from decimal import Decimal

from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from mache.db import insert_rows

from ._db import (
    Stopwatch,
    analyze,
    best_of,
    is_postgresql,
    no_notifications,
    sirets,
    throwaway_database,
)
from ._out import figure

BARE_GROUP_BY = """
    SELECT l.product_id, SUM(l.quantity), SUM(l.tolerance)
    FROM purchasing_orderline l JOIN purchasing_order o ON o.id = l.order_id
    WHERE o.round_id = %s
    GROUP BY l.product_id
"""

# Case sizes as a grocery wholesaler sells them: many 6 and 12, some odd ones.
CASE_SIZES = (1, 1, 2, 3, 4, 5, 6, 6, 6, 8, 10, 12, 12, 12, 15, 18, 20, 24, 24, 7, 9, 16)
VAT_RATES = (
    Decimal("5.50"),
    Decimal("5.50"),
    Decimal("5.50"),
    Decimal("20.00"),
    Decimal("10.00"),
    Decimal("2.10"),
)
TIER_STEPS = (5, 10, 20, 50, 100, 200, 500)


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def main() -> None:
    if not is_postgresql():
        print("consolidation: skipped (needs PostgreSQL: set DATABASE_URL, as `make bench` does)")
        return
    shops = env_int("BENCH_SHOPS", 2000)
    lines_per_order = env_int("BENCH_LINES", 100)
    seed = env_int("BENCH_SEED", 2026)
    products = max(100, lines_per_order)
    print(f"consolidation: {shops * lines_per_order} lines, {shops} shops, {products} products")
    started = time.perf_counter()
    with throwaway_database(os.environ.get("BENCH_DB") or "mache_bench") as name:
        print(f"setup: {time.perf_counter() - started:.1f} s (create and migrate {name})")
        run(shops, lines_per_order, products, seed)
        dropping = time.perf_counter()
    print(f"teardown: {time.perf_counter() - dropping:.1f} s (database dropped)")


def run(shops: int, lines_per_order: int, products: int, seed: int) -> None:
    with Stopwatch() as generate:
        round_ = build_round(random.Random(seed), shops, lines_per_order, products)
        analyze()
    print(f"generate: {generate.seconds:.1f} s")

    with connection.cursor() as cursor:
        # One untimed pass first: it reads the freshly COPYed pages once (setting their hint
        # bits), so that neither measure below pays for the load.
        cursor.execute(BARE_GROUP_BY, [round_.pk])
        cursor.fetchall()

    from purchasing.services.consolidation import round_consolidate

    with no_notifications() as notified, CaptureQueriesContext(connection) as queries:
        with Stopwatch() as consolidate:
            supplier_order = round_consolidate(round_id=round_.pk)
    allocations = supplier_order.allocations.count()
    # insert_rows writes through the raw psycopg cursor: its COPY is not among `queries`.
    print(
        f"consolidate: {consolidate.seconds:.2f} s ({len(queries)} queries, "
        f"{allocations} allocations)"
    )
    # Deferred checks would run at COMMIT (Django's foreign keys are DEFERRABLE INITIALLY
    # DEFERRED); the allocations have none since 0015 (one check per statement, at the
    # end of the COPY): COMMIT should be next to nothing.
    commit = sum(float(q["time"]) for q in queries.captured_queries if q["sql"] == "COMMIT")
    print(f"consolidate COMMIT: {commit:.2f} s (deferred checks)")
    if os.environ.get("BENCH_SQL"):
        for query in queries.captured_queries:
            print(f"  sql {query['time']} s: {' '.join(query['sql'].split())[:160]}")

    def bare():
        with connection.cursor() as cursor:
            cursor.execute(BARE_GROUP_BY, [round_.pk])
            return cursor.fetchall()

    bare_seconds, bare_rows = best_of(5, bare)
    print(f"bare GROUP BY: {bare_seconds:.3f} s (best of 5, {len(bare_rows)} products)")
    print(f"ratio: {consolidate.seconds / bare_seconds:.1f}x")
    print(
        f"supplier order: {supplier_order.status}, {supplier_order.lines.count()} lines, "
        f"{supplier_order.total_excl_vat} EUR excl. VAT, {len(supplier_order.warnings)} "
        f"warnings, {len(notified)} notification(s) held back"
    )

    failures = check(round_, supplier_order, shops * lines_per_order, bare_rows)

    # The product against its floor, back to back (docs/consolidation.md): the floor
    # writes the same 200,000 allocation rows (same columns, same order, same indexes and
    # check constraints) with one set-based INSERT ... SELECT and no foreign-key check.
    # Pairs alternate (consolidation, floor) so that a burst of load on this shared
    # machine hits both; the best of each is kept.
    pairs = env_int("BENCH_PAIRS", 3)
    create_floor_table()
    products_s, floors_s = [consolidate.seconds], []
    for n in range(pairs):
        floors_s.append(floor(round_.pk, supplier_order.pk))
        if n < pairs - 1:
            products_s.append(reconsolidate(round_))
    load = os.getloadavg()[0]
    product_s, floor_s = min(products_s), min(floors_s)
    print(
        f"consolidate, best of {len(products_s)}: {product_s:.2f} s; "
        f"floor (set-based INSERT ... SELECT, no foreign keys), best of {len(floors_s)}: "
        f"{floor_s:.2f} s; ratio {product_s / floor_s:.2f}x (target <= 1.5x); "
        f"load average {load:.1f} on {os.cpu_count()} cores"
    )
    figure("consolidation.lines", shops * lines_per_order)
    figure("consolidation.seconds", f"{product_s:.3f}")
    figure("consolidation.floor_seconds", f"{floor_s:.3f}")
    figure("consolidation.floor_ratio", f"{product_s / floor_s:.2f}")
    figure("consolidation.commit_seconds", f"{commit:.3f}")
    figure("consolidation.group_by_seconds", f"{bare_seconds:.3f}")
    figure("consolidation.group_by_ratio", f"{product_s / bare_seconds:.1f}")
    figure("consolidation.load_average", f"{load:.1f}")
    if os.environ.get("BENCH_PROFILE"):
        profile(round_)
    if failures:
        raise AssertionError(f"consolidation bench: {failures} sanity check(s) failed")


FLOOR_TABLE = "bench_allocation_floor"


def create_floor_table() -> None:
    """The allocation table's twin: columns, defaults, check constraints and indexes
    (LIKE ... INCLUDING ALL copies no foreign key nor trigger)."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {FLOOR_TABLE}")
        cursor.execute(f"CREATE TABLE {FLOOR_TABLE} (LIKE purchasing_allocation INCLUDING ALL)")


def floor(round_id: int, supplier_order_id: int) -> float:
    """Seconds to read the round's lines and write the same allocation rows, set-based,
    COMMIT included. The units allocated are the units asked here: the figure does not
    change what the write costs."""
    from django.db import transaction

    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {FLOOR_TABLE}")
    with Stopwatch() as watch:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"""
                INSERT INTO {FLOOR_TABLE} (supplier_order_id, order_id, shop_id, product_id,
                                          rank, quantity, tolerance, allocated)
                SELECT %s, l.order_id, o.shop_id, l.product_id,
                       dense_rank() OVER (ORDER BY o.created_at, o.id),
                       l.quantity, l.tolerance, l.quantity
                FROM purchasing_orderline l JOIN purchasing_order o ON o.id = l.order_id
                WHERE o.round_id = %s
                ORDER BY o.created_at, l.order_id, l.product_id
                """,
                [supplier_order_id, round_id],
            )
    return watch.seconds


def reconsolidate(round_) -> float:
    """Undo the consolidation (untimed) and time it again."""
    from purchasing.models import Round
    from purchasing.services.consolidation import round_consolidate

    undo(round_)
    Round.objects.filter(pk=round_.pk).update(status=Round.Status.OPEN)
    with no_notifications(), Stopwatch() as watch:
        round_consolidate(round_id=round_.pk)
    return watch.seconds


def undo(round_) -> None:
    with connection.cursor() as cursor:
        # CASCADE: inventory's stock movements point at allocations (none in this database).
        cursor.execute(
            "TRUNCATE purchasing_allocation, purchasing_supplierorderline, "
            "purchasing_supplierorder CASCADE"
        )


def supplier_and_catalogue(rng: random.Random, product_count: int, *, who: str, sku: str):
    """A wholesaler (minimum 500.00, free shipping from 1,000.00, else 45.00) and its
    `product_count` products with random case sizes, prices and VAT rates: the
    catalogue every purchasing benchmark orders from. (supplier, [products])."""
    from catalogue.models import Product, Supplier

    supplier = Supplier.objects.create(
        name=f"Grossiste {who}",
        siret=sirets(1, start=80_000_000)[0],
        email="commandes@grossiste.example",
        min_order_amount=Decimal("500.00"),
        free_shipping_threshold=Decimal("1000.00"),
        shipping_fee=Decimal("45.00"),
    )
    catalogue = Product.objects.bulk_create(
        Product(
            supplier=supplier,
            sku=f"{sku}-{n:04d}",
            name=f"Produit {who} {n}",
            case_size=rng.choice(CASE_SIZES),
            unit_price=Decimal(rng.randint(3_000, 400_000)) / 10_000,
            vat_rate=rng.choice(VAT_RATES),
        )
        for n in range(product_count)
    )
    return supplier, catalogue


def build_round(rng: random.Random, shop_count: int, lines_per_order: int, product_count: int):
    """Supplier, catalogue and round through the ORM (a few hundred rows); shops, orders
    and their lines through COPY."""
    from catalogue.models import PriceTier
    from purchasing.models import Order, OrderLine, Round
    from shops.models import Shop

    now = timezone.now()
    supplier, catalogue = supplier_and_catalogue(rng, product_count, who="bench", sku="BEN")
    tiers = []
    for product in catalogue:
        if rng.random() < 0.4:  # some products have volume prices, one to three steps
            price = product.unit_price
            for min_cases in sorted(rng.sample(TIER_STEPS, rng.randint(1, 3))):
                price = max(
                    Decimal("0.0001"), (price * Decimal("0.95")).quantize(Decimal("0.0001"))
                )
                tiers.append(PriceTier(product=product, min_cases=min_cases, unit_price=price))
    PriceTier.objects.bulk_create(tiers)
    opens_at = now - dt.timedelta(days=7)
    round_ = Round.objects.create(
        supplier=supplier,
        opens_at=opens_at,
        closes_at=now - dt.timedelta(minutes=5),
        delivery_date=timezone.localdate() + dt.timedelta(days=3),
    )

    kinds = [kind for kind, _ in Shop.Kind.choices]
    zones = [zone for zone, _ in Shop.Zone.choices]
    joined_on = dt.date(2024, 3, 1)
    insert_rows(
        Shop,
        [
            "name",
            "legal_name",
            "siret",
            "kind",
            "address",
            "postcode",
            "commune",
            "zone",
            "status",
            "joined_on",
            "left_on",
            "shares",
            "email",
            "phone",
            "expiry_alert_days",
            "created_at",
        ],
        (
            (
                f"Épicerie bench {n}",
                f"ÉPICERIE BENCH {n}",
                siret,
                kinds[n % len(kinds)],
                f"{n % 90 + 1} place de l'Église",
                "35560",
                "Rimou",
                zones[n % len(zones)],
                Shop.Status.ACTIVE,
                joined_on,
                None,
                2,
                f"shop{n}@bench.example",
                "",
                3,
                now,
            )
            for n, siret in enumerate(sirets(shop_count))
        ),
    )
    shop_ids = list(Shop.objects.order_by("id").values_list("id", flat=True))

    # Orders come in over the week, in an order unrelated to shop ids; a few share their
    # creation instant with the previous one (the tie-break by id then matters).
    rng.shuffle(shop_ids)
    created_at = opens_at
    order_rows = []
    for shop_id in shop_ids:
        if rng.random() > 0.02:
            created_at += dt.timedelta(seconds=rng.randint(1, 300))
        order_rows.append((round_.pk, shop_id, created_at, created_at, None))
    insert_rows(
        Order, ["round_id", "shop_id", "created_at", "updated_at", "created_by_id"], order_rows
    )
    order_ids = list(Order.objects.filter(round=round_).order_by("id").values_list("id", flat=True))

    # Tolerance habits per product: a quarter accept no extra unit at all (their rounding
    # may go down: the U < Q branch of rule 2), the others from time to time.
    strict = {product.pk for product in catalogue if rng.random() < 0.25}
    product_ids = [product.pk for product in catalogue]
    every_product = lines_per_order >= len(product_ids)

    def line_rows():
        for order_id in order_ids:
            chosen = (
                product_ids if every_product else sorted(rng.sample(product_ids, lines_per_order))
            )
            for product_id in chosen:
                # Mostly a few units, sometimes a lot: 1..30 (0 is no line at all).
                quantity = min(30, 1 + int(rng.expovariate(0.15)))
                tolerance = 0 if product_id in strict or rng.random() < 0.6 else rng.randint(1, 3)
                yield (order_id, product_id, quantity, tolerance)

    insert_rows(OrderLine, ["order_id", "product_id", "quantity", "tolerance"], line_rows())
    return round_


def check(round_, supplier_order, expected_lines: int, bare_rows) -> int:
    """Print the sanity checks; return how many failed."""
    from purchasing.models import Allocation

    units = dict(supplier_order.lines.values_list("product_id", "units"))
    allocated = dict(
        Allocation.objects.filter(supplier_order=supplier_order)
        .values("product_id")
        .annotate(total=Sum("allocated"))
        .values_list("product_id", "total")
    )
    ordered = {product_id: quantity for product_id, quantity, _ in bare_rows}
    mismatched = [
        product_id
        for product_id in ordered
        if allocated.get(product_id, 0) != units.get(product_id, 0)
    ]
    count = Allocation.objects.filter(supplier_order=supplier_order).count()
    short = sum(1 for product_id in ordered if units.get(product_id, 0) < ordered[product_id])
    failures = 0
    if mismatched:
        failures += 1
        print(
            f"check FAILED: allocations do not sum to the supplier units for "
            f"{len(mismatched)} product(s), e.g. {mismatched[:5]}"
        )
    else:
        print(
            f"check ok: allocations sum to the supplier units for all {len(ordered)} "
            f"products ({short} rounded down, shared in proportion)"
        )
    if count != expected_lines:
        failures += 1
        print(f"check FAILED: {count} allocations, {expected_lines} order lines")
    else:
        print(f"check ok: {count} allocations = {expected_lines} order lines")
    return failures


def profile(round_) -> None:
    """Undo the consolidation and run it again under cProfile (slower: timing overhead)."""
    from purchasing.models import Round
    from purchasing.services.consolidation import round_consolidate

    undo(round_)
    Round.objects.filter(pk=round_.pk).update(status=Round.Status.OPEN)
    profiler = cProfile.Profile()
    with no_notifications(), Stopwatch() as profiled:
        profiler.runcall(round_consolidate, round_id=round_.pk)
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
    stats.print_stats(30)
    print(f"profile: consolidation under cProfile took {profiled.seconds:.2f} s")
    print(out.getvalue())
