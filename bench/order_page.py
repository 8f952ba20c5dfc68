"""The shopkeeper's order page with 300 products, against a bare baseline (issue 18, point 3).

Product: `GET /commandes/<round>/` of a shop that has saved a 30-line order, in a round
where BENCH_SHOPS (50) other shops have ordered 30 lines each, through Django's full
stack (middleware, session, the view, the estimate, the template), catalogue cache warm.
Baseline: one query for the same 300 products and a bare template loop (a name, a label,
an input per product), served by a view behind the same stack and login.
Both are timed alternately, BENCH_RUNS (30) times each; the medians are compared.
Also printed: the page's size before and after gzip, its queries, a cold-cache request.

Environment: BENCH_PRODUCTS (300), BENCH_SHOPS (50), BENCH_LINES (30), BENCH_RUNS (30),
BENCH_DB (mache_bench_order_page). Runs in a throw-away database; in the cache, it only
forgets its supplier's catalogue version.
"""

import gzip
import os
import random
import statistics
import time

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpResponse
from django.template import engines
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import include, path
from django.utils import timezone

from ._db import analyze, is_postgresql, throwaway_database
from ._out import figure

CATEGORIES = ["Épicerie", "Boissons", "Crèmerie", "Biscuits", "Conserves", "Hygiène", "Frais"]

BARE = (
    "<!doctype html><title>bare</title><form>{% for p in products %}"
    '<div><label for="q{{ p.pk }}">{{ p.name }}</label>'
    '<input id="q{{ p.pk }}" name="q{{ p.pk }}"></div>{% endfor %}</form>'
)


@login_required
def bare(request, pk):
    from catalogue.models import Product
    from purchasing.models import Round

    supplier_id = Round.objects.filter(pk=pk).values_list("supplier_id", flat=True)[0]
    products = Product.objects.filter(supplier_id=supplier_id, active=True).order_by("name", "id")
    template = engines["django"].from_string(BARE)  # compiled per request: a few µs
    return HttpResponse(template.render({"products": products}, request))


# The benchmark's own URLs: the bare view beside the project's (override_settings).
urlpatterns = [
    path("bench/bare/<int:pk>/", bare),
    path("", include("wiring.urls")),
]


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def main() -> None:
    if not is_postgresql():
        print("order_page: skipped (needs PostgreSQL: set DATABASE_URL, as `make bench` does)")
        return
    # As served: DEBUG off (no query log, no template debugging); `testserver` is the
    # test client's host name.
    with throwaway_database(os.environ.get("BENCH_DB") or "mache_bench_order_page"):
        with override_settings(
            ROOT_URLCONF="bench.order_page",
            DEBUG=False,
            ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"],
        ):
            run()


def run() -> None:
    from bench.consolidation import build_round
    from catalogue.cache import catalogue_changed
    from catalogue.models import Product
    from purchasing.models import Order, Round
    from shops.models import User

    products = env_int("BENCH_PRODUCTS", 300)
    shops = env_int("BENCH_SHOPS", 50) + 1
    lines = env_int("BENCH_LINES", 30)
    runs = env_int("BENCH_RUNS", 30)
    rng = random.Random(2026)
    round_ = build_round(rng, shops, lines, products)
    Round.objects.filter(pk=round_.pk).update(closes_at=timezone.now() + timezone.timedelta(days=2))
    for product in Product.objects.filter(supplier_id=round_.supplier_id):
        product.category = rng.choice(CATEGORIES)
        product.save(update_fields=["category"])
    analyze()
    order = Order.objects.filter(round=round_).order_by("id").first()
    user = User.objects.create_user(
        username="bench-epicier", password="x", role=User.Role.SHOPKEEPER
    )
    user.shops.set([order.shop_id])
    client = Client()
    client.force_login(user)
    page_url, bare_url = f"/commandes/{round_.pk}/", f"/bench/bare/{round_.pk}/"
    # A run before this one left a version for the same database name and supplier id:
    # forget it (the first request then starts from a cold catalogue cache).
    catalogue_changed(round_.supplier_id)

    started = time.perf_counter()
    cold = client.get(page_url)
    cold_ms = (time.perf_counter() - started) * 1000
    assert cold.status_code == 200, cold.status_code
    assert client.get(bare_url).status_code == 200
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as queries:
        page = client.get(page_url)
    query_count = len(queries)
    if os.environ.get("BENCH_SQL"):
        for query in queries.captured_queries:
            print(f"  sql {query['time']} s: {' '.join(query['sql'].split())[:200]}")
    html = page.content
    if os.environ.get("BENCH_DUMP"):
        with open(os.environ["BENCH_DUMP"], "wb") as handle:
            handle.write(html)
    zipped = client.get(page_url, HTTP_ACCEPT_ENCODING="gzip")
    assert zipped.get("Content-Encoding") == "gzip", (zipped.status_code, dict(zipped.items()))
    assert gzip.decompress(zipped.content).count(b"<input name=q") == products

    if os.environ.get("BENCH_PROFILE"):
        profile(client, page_url)

    product_ms, bare_ms = [], []
    for _ in range(runs):
        for url, times in ((page_url, product_ms), (bare_url, bare_ms)):
            started = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - started) * 1000)
    load = os.getloadavg()[0]
    product, baseline = statistics.median(product_ms), statistics.median(bare_ms)
    print(
        f"order page, {products} products, {shops - 1} other shops x {lines} lines: "
        f"median {product:.1f} ms (best {min(product_ms):.1f}); bare baseline median "
        f"{baseline:.1f} ms (best {min(bare_ms):.1f}); ratio {product / baseline:.2f}x "
        f"(target <= 2x); load average {load:.1f} on {os.cpu_count()} cores"
    )
    print(
        f"cold catalogue cache: {cold_ms:.1f} ms; {query_count} queries; HTML "
        f"{len(html) / 1000:.1f} kB (target < 60 kB), gzip {len(zipped.content) / 1000:.1f} kB"
    )
    for name, value in (
        ("order_page.ms", f"{product:.1f}"),
        ("order_page.baseline_ms", f"{baseline:.1f}"),
        ("order_page.ratio", f"{product / baseline:.2f}"),
        ("order_page.cold_cache_ms", f"{cold_ms:.1f}"),
        ("order_page.queries", query_count),
        ("order_page.html_kb", f"{len(html) / 1000:.1f}"),
        ("order_page.gzip_kb", f"{len(zipped.content) / 1000:.1f}"),
        ("order_page.load_average", f"{load:.1f}"),
    ):
        figure(name, value)


def profile(client, url: str) -> None:
    """BENCH_PROFILE=1 (or a pstats order: tottime): where ten requests of the page
    spend their time (cProfile)."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(10):
        client.get(url)
    profiler.disable()
    order = os.environ["BENCH_PROFILE"]
    stats = pstats.Stats(profiler).sort_stats("cumulative" if order == "1" else order)
    stats.print_stats(os.environ.get("BENCH_PROFILE_FILTER") or ".", 45)  # a path's regex
    if os.environ.get("BENCH_PROFILE_CALLERS"):  # who calls a function, e.g. _get_pk_val
        stats.print_callers(os.environ["BENCH_PROFILE_CALLERS"])
