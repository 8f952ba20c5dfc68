"""The deadline rush: N shopkeepers place then change 30-line orders at once (issue 18).

The app runs under gunicorn on PostgreSQL (a throw-away database, mache_bench_rush);
the load comes from a second process (`bench/_load.py`, an asyncio httpx client), so
that the server's workers and the client share the cores as they would on one machine.
Phases, one after the other, each at the same concurrency:
1. `me`: as many `GET /api/me/` as there will be writes: the stack's ceiling (token,
   one user, JSON), what no write can beat; measured again right after the writes, the
   ratio taken against the mean of the two.
2. `rush`: every shop places its order (POST /api/orders/, 30 lines of 300 products)
   then changes it (PUT, 30 other lines): writes/s and latencies, and their ratio to
   the ceiling.
3. `fill`: as many `GET /api/rounds/{id}/fill/` while the round's version is bumped 50
   times a second (as writes do): latencies and the server's CPU per request.
4. `late`: the shops keep changing their orders while the coordinator closes the round
   (`round_close_now`, the exclusive lock, timed): every write sent after the close must
   get 409 round_closed; then consolidation, which must hold every order as last accepted.
Every figure is printed twice: in words, then as `BENCH <name> <value>`.

Environment: BENCH_SHOPS (500), BENCH_PRODUCTS (300), BENCH_LINES (30), BENCH_CONCURRENCY
(50), BENCH_WORKERS (gunicorn workers, 2 x cores + 1), BENCH_LATE_SECONDS (4), BENCH_SEED.
A quick run: BENCH_SHOPS=60 BENCH_CONCURRENCY=10 BENCH_LATE_SECONDS=2.
"""

import contextlib
import datetime as dt
import json
import logging
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from mache.db import insert_rows

from ._db import database_url, is_postgresql, no_notifications, sirets, throwaway_database
from ._out import figure
from .consolidation import supplier_and_catalogue


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def main() -> None:
    if not is_postgresql():
        print("rush: skipped (needs PostgreSQL: set DATABASE_URL, as `make bench` does)")
        return
    shops = env_int("BENCH_SHOPS", 500)
    products = env_int("BENCH_PRODUCTS", 300)
    lines = min(env_int("BENCH_LINES", 30), products)
    concurrency = env_int("BENCH_CONCURRENCY", 50)
    workers = env_int("BENCH_WORKERS", 2 * (os.cpu_count() or 1) + 1)
    late_seconds = env_int("BENCH_LATE_SECONDS", 4)
    seed = env_int("BENCH_SEED", 2026)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # not a line per request
    load = os.getloadavg()
    print(
        f"rush: {shops} shops, {products} products, {lines}-line orders, concurrency "
        f"{concurrency}, {workers} gunicorn workers; load average before "
        f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores"
    )
    figure("rush.load_before", round(load[0], 2))
    with throwaway_database("mache_bench_rush") as name:
        data = build(random.Random(seed), shops, products)
        with gunicorn(name, workers) as server:
            run(server, data, lines, concurrency, late_seconds, seed)
    load = os.getloadavg()
    print(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    figure("rush.load_after", round(load[0], 2))


# --- Data -----------------------------------------------------------------------------


def build(rng: random.Random, shop_count: int, product_count: int) -> dict:
    """Supplier, catalogue, an open round; shops, one shopkeeper each, their tokens."""
    from rest_framework.authtoken.models import Token

    from purchasing import selectors
    from purchasing.models import Round
    from shops.models import Shop, User

    now = timezone.now()
    supplier, catalogue = supplier_and_catalogue(rng, product_count, who="rush", sku="RUSH")
    round_ = Round.objects.create(
        supplier=supplier,
        opens_at=now - dt.timedelta(hours=1),
        closes_at=now + dt.timedelta(days=1),
        delivery_date=timezone.localdate() + dt.timedelta(days=3),
    )
    kinds = [kind for kind, _ in Shop.Kind.choices]
    zones = [zone for zone, _ in Shop.Zone.choices]
    insert_rows(
        Shop,
        ["name", "legal_name", "siret", "kind", "address", "postcode", "commune", "zone"]
        + ["status", "joined_on", "shares", "email", "phone", "expiry_alert_days", "created_at"],
        (
            (
                f"Épicerie rush {n}",
                f"ÉPICERIE RUSH {n}",
                siret,
                kinds[n % len(kinds)],
                f"{n % 90 + 1} place de l'Église",
                "35560",
                "Rimou",
                zones[n % len(zones)],
                Shop.Status.ACTIVE,
                dt.date(2024, 3, 1),
                2,
                f"shop{n}@rush.example",
                "",
                3,
                now,
            )
            for n, siret in enumerate(sirets(shop_count))
        ),
    )
    shop_ids = list(Shop.objects.order_by("id").values_list("id", flat=True))
    users = User.objects.bulk_create(
        User(username=f"epicier{n}", role=User.Role.SHOPKEEPER, password="!")  # noqa: S106
        for n in range(len(shop_ids))
    )
    User.shops.through.objects.bulk_create(
        User.shops.through(user_id=user.pk, shop_id=shop_id)
        for user, shop_id in zip(users, shop_ids, strict=True)
    )
    tokens = Token.objects.bulk_create(
        Token(key=Token.generate_key(), user=user, created=now) for user in users
    )
    # A run of an earlier database may have left a copy of "round 1": not this one.
    # (getattr: the bench also runs against the code from before the cache, for its figures.)
    if changed := getattr(selectors, "round_fill_changed", None):
        changed(round_.pk)
    return {
        "round": round_.pk,
        "products": [product.pk for product in catalogue],
        "jobs": [
            {"shop": shop_id, "token": token.key}
            for shop_id, token in zip(shop_ids, tokens, strict=True)
        ],
    }


# --- The server -----------------------------------------------------------------------


class Server:
    def __init__(self, process: subprocess.Popen, base_url: str):
        self.process = process
        self.base_url = base_url

    def cpu_seconds(self) -> float:
        """User + system CPU of the gunicorn workers so far (not PostgreSQL's)."""
        ticks = os.sysconf("SC_CLK_TCK")
        pid = self.process.pid
        total = 0
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        for child in children:
            with contextlib.suppress(FileNotFoundError):
                fields = Path(f"/proc/{child}/stat").read_text().rpartition(")")[2].split()
                total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / ticks


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def gunicorn(database: str, workers: int):
    import httpx

    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url(database),
        "DEBUG": "0",
        "DJANGO_SETTINGS_MODULE": "mache.settings",
    }
    log_path = Path(tempfile.gettempdir()) / f"mache-rush-gunicorn-{port}.log"
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "mache.wsgi:application"]
            + ["--workers", str(workers), "--bind", f"127.0.0.1:{port}", "--backlog", "2048"]
            + ["--log-level", "warning", "--timeout", "120"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start; see {log_path}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                    break
            time.sleep(0.2)
        yield Server(process, base_url)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


# --- The load -------------------------------------------------------------------------


def load_phase(server: Server, config: dict, while_running=None) -> dict:
    """Run one phase in the load generator's process; `while_running()` is called in
    this process once the generator has started."""
    config = {"base_url": server.base_url, **config}
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as file:
        json.dump(config, file)
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "bench._load", file.name],
            cwd=settings.BASE_DIR,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert process.stdout.readline().strip() == "started", "the load generator failed"
        extra = while_running() if while_running else None
        output, _ = process.communicate(timeout=600)
        if process.returncode:
            raise RuntimeError(f"the load generator failed ({process.returncode})")
    finally:
        os.unlink(file.name)
    result = json.loads(output.strip().splitlines()[-1])
    result["extra"] = extra
    return result


def summary(kind: str, result: dict, cpu: float | None = None) -> dict:
    latencies = result["latencies"].get(kind, [])
    count = len(latencies)
    return {
        "count": count,
        "per_second": count / result["seconds"],
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p95_ms": percentile(latencies, 0.95) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "cpu_ms": (cpu / count * 1000) if cpu is not None and count else None,
        "statuses": result["statuses"].get(kind, {}),
    }


def say(name: str, figures: dict) -> None:
    cpu = f", server CPU {figures['cpu_ms']:.1f} ms a request" if figures["cpu_ms"] else ""
    print(
        f"{name}: {figures['count']} requests, {figures['per_second']:.1f}/s, p50 "
        f"{figures['p50_ms']:.0f} ms, p95 {figures['p95_ms']:.0f} ms, p99 "
        f"{figures['p99_ms']:.0f} ms{cpu}; answers {figures['statuses']}"
    )


def measured(server: Server, config: dict, kind: str, while_running=None):
    before = server.cpu_seconds()
    result = load_phase(server, config, while_running)
    return summary(kind, result, server.cpu_seconds() - before), result


def run(server: Server, data: dict, lines: int, concurrency: int, late_seconds: int, seed):
    from purchasing import selectors
    from purchasing.models import Order, Round
    from purchasing.services.consolidation import round_close_now, round_consolidate

    base = {
        "round": data["round"],
        "products": data["products"],
        "lines": lines,
        "concurrency": concurrency,
        "seed": seed,
    }
    jobs = data["jobs"]
    # Warm-up: every worker imports its views and opens its database connection.
    load_phase(server, {**base, "phase": "me", "jobs": jobs[: concurrency * 2]})

    me, _ = measured(server, {**base, "phase": "me", "jobs": jobs * 2}, "me")
    say("GET /api/me/ (the ceiling)", me)
    rush, rush_result = measured(server, {**base, "phase": "rush", "jobs": jobs}, "write")
    say("order writes (place, then change)", rush)
    # The ceiling again, right after: the machine's pace drifts between phases (other
    # processes, CPU frequency), so the writes are compared with the mean of the two
    # ceilings around them.
    me_after, _ = measured(server, {**base, "phase": "me", "jobs": jobs * 2}, "me")
    say("GET /api/me/ again, after the writes", me_after)
    ceiling = (me["per_second"] + me_after["per_second"]) / 2
    rush_errors = sum(n for status, n in rush["statuses"].items() if not status.startswith("20"))
    ratio = rush["per_second"] / ceiling
    print(
        f"writes / ceiling: {ratio:.2f}x (target at least 0.3x; the ceiling "
        f"{me['per_second']:.0f}/s before, {me_after['per_second']:.0f}/s after); "
        f"errors: {rush_errors}"
    )

    stop = threading.Event()

    def bump_versions():
        # As 50 writes a second would: every copy of the fill goes stale at once.
        def loop():
            changed = getattr(selectors, "round_fill_changed", lambda round_id: None)
            while not stop.wait(0.02):
                changed(data["round"])

        thread = threading.Thread(target=loop, daemon=True)
        thread.start()
        return thread

    fill, _ = measured(
        server, {**base, "phase": "fill", "jobs": jobs * 2}, "fill", while_running=bump_versions
    )
    stop.set()
    say("GET /api/rounds/{id}/fill/ (version bumped every 20 ms)", fill)
    print(f"fill p50 / ceiling p50: {fill['p50_ms'] / me['p50_ms']:.2f}x")

    # The close during a storm of changes.
    placed = [
        {**job, "order": rush_result["orders"][str(job["shop"])]}
        for job in jobs
        if rush_result["orders"].get(str(job["shop"]))
    ]

    def close_midway():
        time.sleep(late_seconds / 2)
        started = time.perf_counter()
        round_close_now(round_id=data["round"])
        closed_at = time.time()
        return {"wait_ms": (time.perf_counter() - started) * 1000, "closed_at": closed_at}

    late_result = load_phase(
        server,
        {**base, "phase": "late", "jobs": placed, "seconds": late_seconds},
        while_running=close_midway,
    )
    closed = late_result["extra"]
    late = late_result["late"]
    after = [row for row in late if row["sent"] > closed["closed_at"]]
    late_statuses = late_result["statuses"].get("late", {})
    refused = late_statuses.get("409:round_closed", 0)
    accepted_after = sum(1 for row in after if 200 <= row["status"] < 300)
    late_errors = sum(
        n for status, n in late_statuses.items() if status not in ("200", "409:round_closed")
    )
    print(
        f"close during the storm: the exclusive lock waited {closed['wait_ms']:.0f} ms; "
        f"{len(late)} changes sent, {late_statuses.get('200', 0)} accepted before the close, "
        f"{refused} refused 409 round_closed ({len(after)} sent after the close, "
        f"{accepted_after} of them accepted), other answers: {late_errors}"
    )
    round_ = Round.objects.get(pk=data["round"])
    written_after = Order.objects.filter(round=round_, updated_at__gt=round_.closes_at).count()
    with no_notifications():
        supplier_order = round_consolidate(round_id=round_.pk)
    from purchasing.models import Allocation, OrderLine

    allocations = Allocation.objects.filter(supplier_order=supplier_order).count()
    order_lines = OrderLine.objects.filter(order__round=round_).count()
    print(
        f"consolidated: {allocations} allocations for {order_lines} order lines; orders "
        f"changed after the deadline: {written_after}"
    )

    figure("rush.me_per_s", me["per_second"])
    figure("rush.me_p50_ms", me["p50_ms"])
    figure("rush.me_p95_ms", me["p95_ms"])
    figure("rush.me_cpu_ms", me["cpu_ms"])
    figure("rush.me_after_per_s", me_after["per_second"])
    figure("rush.writes_per_s", rush["per_second"])
    figure("rush.p50_ms", rush["p50_ms"])
    figure("rush.p95_ms", rush["p95_ms"])
    figure("rush.p99_ms", rush["p99_ms"])
    figure("rush.write_cpu_ms", rush["cpu_ms"])
    figure("rush.writes_per_me", round(ratio, 3))
    figure("rush.errors", rush_errors)
    figure("rush.fill_per_s", fill["per_second"])
    figure("rush.fill_p50_ms", fill["p50_ms"])
    figure("rush.fill_p95_ms", fill["p95_ms"])
    figure("rush.fill_p99_ms", fill["p99_ms"])
    figure("rush.fill_cpu_ms", fill["cpu_ms"])
    figure("rush.close_wait_ms", closed["wait_ms"])
    figure("rush.late_sent", len(late))
    figure("rush.late_refused", refused)
    figure("rush.late_accepted_after_close", accepted_after)
    figure("rush.late_errors", late_errors)
    figure("rush.orders_changed_after_deadline", written_after)
    failures = []
    if rush_errors or late_errors:
        failures.append(f"{rush_errors + late_errors} unexpected answers")
    if accepted_after or written_after:
        failures.append("a write accepted after the close")
    if allocations != order_lines:
        failures.append("consolidation does not hold every order line")
    if failures:
        raise AssertionError("rush bench: " + "; ".join(failures))
