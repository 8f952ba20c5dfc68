"""Celery tasks: thin, they take ids, re-read, and call services. Every task is safe to
run twice (late acknowledgement redelivers a task whose worker died)."""

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

# Tasks are sent through the outbox (docs/tasks.md); the name stays here for its callers.
from mache.outbox import enqueue_many_on_commit
from mache.outbox import enqueue_on_commit as enqueue_on_commit

log = logging.getLogger(__name__)


@shared_task(name="worker.ping")
def ping() -> str:
    """Answers "pong": lets health checks and tests see a worker run a task end to end."""
    return "pong"


@shared_task(name="worker.consolidate_round", acks_late=True, max_retries=5,
             autoretry_for=(OperationalError, InterfaceError), retry_backoff=True)
def consolidate_round(round_id: int) -> dict:
    """Consolidate one round. Retried when the database is unreachable (the error kinds
    above): the service is one transaction and idempotent (one supplier order per
    round), so a retry either finds the work done or does all of it. A round that does
    not exist is not retried: it will not appear later."""
    from purchasing.models import Round
    from purchasing.services.consolidation import round_consolidate

    try:
        supplier_order = round_consolidate(round_id=round_id)
    except Round.DoesNotExist:
        log.warning("consolidate_round: round %s does not exist", round_id)
        return {"round": round_id, "supplier_order": None}
    if supplier_order is None:
        return {"round": round_id, "supplier_order": None}
    return {"round": round_id, "supplier_order": supplier_order.pk,
            "status": supplier_order.status}


@shared_task(name="worker.sweep_rounds")
def sweep_rounds() -> list[int]:
    """Run by beat every minute: every open round past its deadline gets consolidated,
    even if no worker was up at that minute. Not retried: the next sweep is the retry."""
    from purchasing.services.consolidation import rounds_due_ids

    due = rounds_due_ids()
    enqueue_many_on_commit("worker.consolidate_round", [(round_id,) for round_id in due])
    return due


NOTIFICATIONS = {
    "round_consolidated": "purchasing.services.notifications.round_consolidated",
    "round_cancelled": "purchasing.services.notifications.round_cancelled",
    "report_ready": "worker.services.report_ready_email",
}


@shared_task(name="worker.send_notification", acks_late=True, max_retries=5,
             autoretry_for=(OSError,), retry_backoff=True)
def send_notification(kind: str, object_id: int) -> int:
    """One e-mail. Retried when the mail server is unreachable (OSError); a duplicate
    e-mail after a crash is acceptable, a lost one is not."""
    from django.utils.module_loading import import_string

    return import_string(NOTIFICATIONS[kind])(object_id)


@shared_task(name="worker.generate_report", acks_late=True, max_retries=3,
             autoretry_for=(OperationalError, InterfaceError), retry_backoff=True)
def generate_report(report_id: int) -> dict:
    """Render and store one monthly report. Late acknowledgement redelivers it if the
    worker dies; the service is idempotent (it replaces the file and counts once).
    Retried when the database is unreachable; any other error marks the report failed."""
    from worker.services import report_build, report_failed

    try:
        report = report_build(report_id=report_id)
    except (OperationalError, InterfaceError):
        raise
    except Exception as exc:
        log.exception("report %s failed", report_id)
        report_failed(report_id=report_id, error=f"{type(exc).__name__}: {exc}")
        raise
    return {"report": report.pk, "file": report.file.name}


@shared_task(name="worker.monthly_reports")
def monthly_reports() -> str:
    """Beat, on the 1st (Paris): the month before, for every active shop and the
    cooperative. Not retried: a failed report shows as failed and can be regenerated."""
    from mache.periods import current_month, format_month, previous_month
    from worker.services import reports_generate

    return reports_generate(month=format_month(previous_month(current_month())),
                            shop_ids=None).pk


@shared_task(name="worker.post_stock_variations", acks_late=True, max_retries=3,
             autoretry_for=(OperationalError, InterfaceError), retry_backoff=True)
def post_stock_variations(month: str | None = None) -> dict:
    """Post the stock variation of a finished month (default: the month before) for
    every shop that has stock. Idempotent: each (shop, month) has a unique source key,
    so a retry or a second run posts nothing new. Retried when the database is down."""
    from accounting.postings import stock_variation_post
    from inventory.models import StockBalance
    from mache.periods import current_month, format_month, parse_month, previous_month
    from shops.models import Shop

    target = parse_month(month) if month else previous_month(current_month())
    shops = Shop.objects.filter(pk__in=StockBalance.objects.values("shop_id")).order_by("pk")
    posted = 0
    for shop in shops:
        posted += stock_variation_post(shop=shop, month=target) is not None
    return {"month": format_month(target), "shops": shops.count(), "entries": posted}
