"""The reports bench's run: the data generated, then `reports_generate` through real
workers (one then two), timed; the checks; one shop's report in-process (see the
package's doc)."""

import contextlib
import datetime as dt
import os
import random
import re
import tempfile
import time
from pathlib import Path
from unittest import mock

from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings

from mache.periods import (
    current_month,
    format_month,
    previous_month,
)

from .._db import (
    Stopwatch,
    celery_worker,
    database_url,
    is_postgresql,
    redis_db_url,
    throwaway_database,
)
from .._out import figure
from .checks import check, verify
from .data import generate

QUEUE = "bench-reports"
BROKER_DB = 11
RUN_TIMEOUT = 1800.0
TASK_RUNTIME = re.compile(r"Task worker\.generate_report\[[^]]+\] succeeded in ([0-9.]+)s")


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def main() -> None:
    if not is_postgresql():
        print("reports: skipped (needs PostgreSQL: set DATABASE_URL, as `make bench` does)")
        return
    redis_url = os.environ.get("BENCH_REDIS_URL") or (
        redis_db_url(os.environ["REDIS_URL"], BROKER_DB) if os.environ.get("REDIS_URL") else ""
    )
    if not redis_url:
        print("reports: skipped (needs Redis for its workers: set REDIS_URL, as `make bench` does)")
        return
    shops = env_int("BENCH_REPORT_SHOPS", 200)
    months = max(2, env_int("BENCH_REPORT_MONTHS", 12))
    pools = [int(n) for n in (os.environ.get("BENCH_REPORT_WORKERS") or "1,2").split(",")]
    seed = env_int("BENCH_SEED", 2026)
    month = previous_month(current_month())
    started = time.perf_counter()
    with throwaway_database("mache_bench_reports") as name:
        print(f"setup: {time.perf_counter() - started:.1f} s (create and migrate {name})")
        run(shops, months, month, pools, seed, name, redis_url)
        dropping = time.perf_counter()
    print(f"teardown: {time.perf_counter() - dropping:.1f} s (database dropped)")


def run(
    shop_count: int,
    months: int,
    month: dt.date,
    pools: list[int],
    seed: int,
    database: str,
    redis_url: str,
) -> None:
    first_month = month
    for _ in range(months - 1):
        first_month = previous_month(first_month)
    with Stopwatch() as generating:
        counts = generate(random.Random(seed), shop_count, first_month, month)
    print(
        f"reports: {shop_count} shops + cooperative, month {format_month(month)}, data: "
        f"{counts['accounting.EntryLine'] / 1e6:.2f}M entry lines, "
        f"{counts['inventory.StockMovement'] / 1e6:.2f}M movements "
        f"({format_month(first_month)} to {format_month(month)})"
    )
    print(
        f"generate data: {generating.seconds:.1f} s ("
        + ", ".join(
            f"{counts[label]:,} {name}".replace(",", " ")
            for label, name in (
                ("accounting.SalesDay", "Z tickets"),
                ("purchasing.Invoice", "invoices"),
                ("purchasing.Allocation", "allocations"),
                ("accounting.Entry", "entries"),
                ("accounting.EntryLine", "entry lines"),
                ("inventory.StockMovement", "movements"),
                ("inventory.StockLot", "lots"),
                ("inventory.MovementLot", "lot parts"),
            )
        )
        + ")"
    )
    verify()
    with Stopwatch() as vacuuming, connection.cursor() as cursor:
        # As if autovacuum had been through: planner statistics, hint bits and the
        # visibility map set, so that neither timed run pays for the load.
        cursor.execute("VACUUM ANALYZE")
    print(
        f"vacuum analyze: {vacuuming.seconds:.1f} s; load average {load_average()} "
        f"(the machine is not ours alone: the timings move with it)"
    )

    with tempfile.TemporaryDirectory(prefix="mache-bench-reports-") as folder:
        media = Path(folder) / "media"
        media.mkdir()
        env = {
            "DATABASE_URL": database_url(database),
            "REDIS_URL": redis_url,
            "MEDIA_ROOT": str(media),
            "DEBUG": "0",
            "DJANGO_SETTINGS_MODULE": "mache.settings",
        }
        with override_settings(MEDIA_ROOT=str(media)), bench_broker(redis_url) as held:
            runs, log_path = [], None
            try:
                for index, pool in enumerate(pools, start=1):
                    log_path = Path(folder) / f"worker-{index}.log"
                    runs.append(timed_run(month, pool, env, log_path, runs))
            except BaseException:
                if log_path:  # the folder goes away with the error: show it first
                    show_log(log_path)
                raise
            failures = check(runs, media, shop_count + 1)
            if failures:
                for item in runs:
                    show_log(item["log"])
            print(
                f"e-mail tasks held back: {held()} (sent by the workers to the default "
                f"queue of the bench's broker, which no worker reads)"
            )
            in_process(month, first_month, runs)
    if failures:
        raise AssertionError(f"reports bench: {failures} check(s) failed")


def show_log(path: Path, lines: int = 40) -> None:
    if path.exists():
        print(f"{path.name} (last lines):")
        print(
            "\n".join(
                line
                for line in path.read_text(errors="replace").splitlines()[-lines:]
                if "succeeded in" not in line
            )
        )


def children_cpu() -> float:
    """User + system seconds of this process's children that have exited."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def machine_cpu() -> tuple[int, int] | None:
    """(busy, total) clock ticks of all CPUs since boot (Linux), None elsewhere."""
    try:
        with open("/proc/stat") as stat:
            ticks = [int(value) for value in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle + iowait
    return sum(ticks) - idle, sum(ticks)


def load_average() -> str:
    try:
        return " ".join(f"{value:.1f}" for value in os.getloadavg())
    except OSError:
        return "unknown"


# --- The pipeline on real workers -------------------------------------------------------


@contextlib.contextmanager
def bench_broker(redis_url: str):
    """This process sends its tasks to the bench's broker and queue (the service uses
    current_app.send_task with the default queue). Yields a function that purges the
    default queue there and returns how many tasks it held; restores the settings."""
    from mache.celery import app

    # The broker and result URLs read from Django settings are only seen under their
    # namespaced names (CELERY_BROKER_URL); the default queue under its own.
    prefix = f"{app.namespace}_" if app.namespace else ""
    changes = {
        f"{prefix}BROKER_URL": redis_url,
        f"{prefix}RESULT_BACKEND": redis_url,
        "task_default_queue": QUEUE,
    }
    saved = {key: app.conf.get(key) for key in changes}
    default_queue = app.conf.task_default_queue or "celery"
    app.close()  # no connection to the project's broker may be reused
    app.conf.update(changes)
    if app.conf.broker_url != redis_url or app.conf.task_default_queue != QUEUE:
        raise RuntimeError("could not point the Celery app at the bench's broker")

    def purge(queue: str) -> int:
        with app.connection_for_write() as conn:
            return conn.default_channel.queue_purge(queue) or 0

    def held() -> int:
        return purge(default_queue)

    purge(QUEUE)
    held()
    try:
        yield held
    finally:
        purge(QUEUE)
        held()
        app.close()
        app.conf.update(saved)


def timed_run(month: dt.date, pool: int, env: dict, log_path: Path, before: list) -> dict:
    from worker.models import TaskRun
    from worker.services import reports_generate

    cpu_before = children_cpu()
    # INFO, as the project's compose file runs them: each task's runtime is logged.
    with celery_worker(
        queue=QUEUE,
        concurrency=pool,
        env=env,
        log_path=str(log_path),
        name="bench-reports",
        loglevel="INFO",
    ) as worker:
        started, machine_before = time.perf_counter(), machine_cpu()
        task_run = reports_generate(month=format_month(month), shop_ids=None)
        deadline = started + RUN_TIMEOUT
        while True:
            done, failed, total = TaskRun.objects.values_list("done", "failed", "total").get(
                pk=task_run.pk
            )
            if done + failed >= total:
                break
            if worker.poll() is not None or time.perf_counter() > deadline:
                raise RuntimeError(
                    f"run {task_run.pk}: {done + failed} of {total} reports "
                    f"after {time.perf_counter() - started:.0f} s; worker exit "
                    f"code {worker.poll()}; see {log_path}"
                )
            time.sleep(0.05)
        seconds = time.perf_counter() - started
        machine_after = machine_cpu()
    worker_cpu = children_cpu() - cpu_before  # the worker and its pool, once they have exited
    label = "1 worker" if pool == 1 else f"{pool} workers"
    notes = [f"{failed} failed"] if failed else []
    if pool > 1:
        notes.append(f"one worker process, prefork pool of {pool}")
    if before:
        notes.append(f"{before[0]['seconds'] / seconds:.2f}x the run of {before[0]['pool']}")
    notes.append(f"load average {load_average()}")
    print(
        f"{label}: {total} reports in {seconds:.1f} s = {total / seconds:.2f} reports/s "
        f"({'; '.join(notes)})"
    )
    name = "reports.one_worker" if pool == 1 else f"reports.pool_{pool}"
    figure(f"{name}.reports_per_s", total / seconds)
    figure(f"{name}.failed", failed)
    if before:
        figure(f"{name}.speedup", before[0]["seconds"] / seconds)
    runtimes = sorted(
        float(match) for match in TASK_RUNTIME.findall(log_path.read_text(errors="replace"))
    )
    if runtimes:
        print(
            f"  tasks as the worker logged them: median {runtimes[len(runtimes) // 2]:.3f} s, "
            f"90th percentile {runtimes[len(runtimes) * 9 // 10]:.3f} s, slowest "
            f"{runtimes[-1]:.2f} s; busy {sum(runtimes) / (seconds * pool):.0%} of "
            f"{pool} x {seconds:.1f} s"
        )
    if machine_before and machine_after:
        busy = machine_after[0] - machine_before[0]
        total = machine_after[1] - machine_before[1]
        cores = os.cpu_count() or 1
        print(
            f"  CPU: the worker {worker_cpu:.1f} s (its start included); the machine "
            f"{busy / total:.0%} busy over its {cores} cores, "
            f"{busy / total * cores * seconds:.1f} s (the worker, PostgreSQL, Redis, this "
            f"process and whatever else runs here)"
        )
    return {"run": task_run.pk, "pool": pool, "seconds": seconds, "log": log_path}


def in_process(month: dt.date, first_month: dt.date, runs: list[dict]) -> None:
    """report_build of five shops in this process (after one untimed build: imports),
    its queries; then where the time of one shop's report goes."""
    from shops.models import Shop
    from worker.models import Report
    from worker.reports.build import report_build
    from worker.reports.figures import shop_report_data

    reports = list(
        Report.objects.filter(month=month, shop__isnull=False)
        .order_by("shop_id")
        .values_list("pk", flat=True)[:6]
    )
    with mock.patch("mache.notifications.enqueue_on_commit"):  # no e-mail task from here
        report_build(report_id=reports[0])
        with CaptureQueriesContext(connection) as queries:
            report_build(report_id=reports[0])
        with Stopwatch() as building:
            for report_id in reports[1:]:
                report_build(report_id=report_id)
    shop = Shop.objects.get(reports__pk=reports[0])
    with CaptureQueriesContext(connection) as first:
        shop_report_data(shop=shop, month=first_month)
    with CaptureQueriesContext(connection) as last:
        shop_report_data(shop=shop, month=month)
    figure("reports.shop_report_s", building.seconds / (len(reports) - 1))
    figure("reports.shop_report_queries", len(queries))
    print(
        f"one shop report in-process: {building.seconds / (len(reports) - 1):.2f} s "
        f"(mean of {len(reports) - 1}), {len(queries)} queries (figures: {len(last)} "
        f"for {format_month(month)}, {len(first)} for {format_month(first_month)}, the "
        f"first month of data)"
    )
    breakdown(shop, month, runs)


def breakdown(shop, month: dt.date, runs: list[dict]) -> None:
    """Where a report's time goes, best of three (the cooperative's: one run)."""
    from worker.reports.figures import cooperative_report_data, shop_report_data
    from worker.reports.figures.common import active_shops, shops_figures, window
    from worker.reports.pdf import cooperative_report_pdf, shop_report_pdf

    def best(function, repeat=3):
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            result = function()
            times.append(time.perf_counter() - start)
        return min(times), result

    figures, data = best(lambda: shop_report_data(shop=shop, month=month))
    pdf, content = best(lambda: shop_report_pdf(data))
    coop_figures, coop_data = best(lambda: cooperative_report_data(month=month), repeat=1)
    coop_pdf, _ = best(lambda: cooperative_report_pdf(coop_data), repeat=1)
    figure("reports.shop_figures_s", figures)
    figure("reports.shop_pdf_s", pdf)
    figure("reports.cooperative_figures_s", coop_figures)
    figure("reports.cooperative_pdf_s", coop_pdf)
    print(
        f"one shop report: figures {figures:.3f} s, PDF {pdf:.3f} s "
        f"({len(content) / 1024:.0f} KiB); the cooperative's: figures {coop_figures:.3f} s, "
        f"PDF {coop_pdf:.3f} s"
    )
    # Every shop's report computes the cooperative's medians again, over every shop.
    everyone = active_shops()
    quarter = everyone[: max(1, len(everyone) // 4)]
    peers, _ = best(lambda: shops_figures(shops=everyone, win=window(month)))
    some, _ = best(lambda: shops_figures(shops=quarter, win=window(month)))
    # The pipeline computes the medians once per run (worker.reports.build._render, cached);
    # shop_report_data called alone, as above, computes them each time.
    line = (
        f"the cooperative's medians (shops_figures over the {len(everyone)} active "
        f"shops): {peers:.3f} s, once per run; over {len(quarter)} shops {some:.3f} s"
    )
    print(line)
