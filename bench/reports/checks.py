"""What the reports bench checks: the generated data (what the triggers it skipped would
have held) and the reports the workers wrote."""

from pathlib import Path

from django.db import connection

from .._db import (
    Stopwatch,
)


def check(runs: list[dict], media: Path, expected: int) -> int:
    """Every report ready, each a complete PDF, every run counted right."""
    from worker.models import Report, TaskRun

    failures = 0
    reports = list(Report.objects.all())
    ready = [r for r in reports if r.status == Report.Status.READY]
    broken = [
        r.pk
        for r in ready
        if not (media / r.file.name).is_file() or not is_complete_pdf(media / r.file.name)
    ]
    files = [p for p in media.rglob("*") if p.is_file()]
    # Each run builds the month again: a new stored document per report, the ones built
    # before kept as issued (docs/documents.md).
    kept = expected * len(runs)
    if len(reports) != expected or len(ready) != expected or broken or len(files) != kept:
        failures += 1
        print(
            f"check FAILED: {len(ready)} of {len(reports)} reports ready ({expected} "
            f"expected), {len(broken)} without a complete PDF, {len(files)} files"
        )
        for report in reports:
            if report.status != Report.Status.READY:
                print(
                    f"  report {report.pk} (shop {report.shop_id}): {report.status} {report.error}"
                )
                if "FileNotFoundError" in report.error and ".part" in report.error:
                    print(
                        "  (mache.documents._remove_stale_parts: another worker renamed "
                        "its .part file between glob() and stat(); a race of concurrent "
                        "workers in one month's folder)"
                    )
    else:
        size = sum(p.stat().st_size for p in files) / len(files) / 1024
        print(
            f"check ok: {expected} reports ready, {kept} complete PDF files (%PDF ... "
            f"%%EOF, {size:.0f} KiB on average; every run's kept), no other file"
        )
    for item in runs:
        task_run = TaskRun.objects.get(pk=item["run"])
        if (task_run.total, task_run.done, task_run.failed) != (expected, expected, 0) or (
            task_run.finished_at is None
        ):
            failures += 1
            print(
                f"check FAILED: run of {item['pool']}: total {task_run.total}, done "
                f"{task_run.done}, failed {task_run.failed}, finished {task_run.finished_at}"
            )
        else:
            print(
                f"check ok: run of {item['pool']}: {task_run.done}/{task_run.total} done, "
                f"0 failed, finished"
            )
    return failures


def is_complete_pdf(path: Path) -> bool:
    data = path.read_bytes()
    return data.startswith(b"%PDF") and data.rstrip().endswith(b"%%EOF")


def verify() -> None:
    """The load skipped the triggers: check what they would have, set-based."""
    with Stopwatch() as checking, connection.cursor() as cursor:
        cursor.execute("""
            SELECT count(*) FROM (
                SELECT e.id FROM accounting_entry e
                LEFT JOIN accounting_entryline l ON l.entry_id = e.id
                GROUP BY e.id
                HAVING count(l.id) < 2 OR sum(l.debit) <> sum(l.credit)) unbalanced""")
        unbalanced = cursor.fetchone()[0]
        cursor.execute("""
            SELECT count(*) FROM inventory_stockbalance b
            WHERE b.quantity <> coalesce((
                SELECT sum(remaining) FROM inventory_stocklot t
                WHERE t.shop_id = b.shop_id AND t.product_id = b.product_id
                  AND t.remaining > 0), 0)
               OR b.quantity <> (
                SELECT m.quantity_after FROM inventory_stockmovement m
                WHERE m.shop_id = b.shop_id AND m.product_id = b.product_id
                ORDER BY m.occurred_at DESC, m.id DESC LIMIT 1)""")
        uncovered = cursor.fetchone()[0]
    print(
        f"data checked in two queries ({checking.seconds:.1f} s): {unbalanced} unbalanced "
        f"entries, {uncovered} stock balances that their lots or last movement contradict"
    )
    if unbalanced or uncovered:
        raise AssertionError("reports bench: the generated data is inconsistent")
