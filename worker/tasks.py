"""Celery tasks: thin, they take ids, re-read, and call services. Every task is safe to
run twice (late acknowledgement redelivers a task whose worker died).

The tasks of the apps below live with them, under the same registered names:
purchasing.tasks (consolidation, the sweep of rounds), worker.reports.build (one
report), mache.notifications (e-mails). They are imported here so that the worker
registers every task and notification whichever module it starts from."""

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

from accounting.postings import stock_variation_post
from inventory.models import StockBalance
from mache.notifications import send_notification as send_notification
from mache.periods import current_month, format_month, parse_month, previous_month
from payments.services.reminders import payment_reminders_send
from purchasing.tasks import consolidate_round as consolidate_round
from purchasing.tasks import sweep_rounds as sweep_rounds
from shops.models import Shop

from .reports.build import generate_report as generate_report
from .services import reports_generate

log = logging.getLogger(__name__)


@shared_task(name="worker.ping")
def ping() -> str:
    """Answers "pong": lets health checks and tests see a worker run a task end to end."""
    return "pong"


@shared_task(name="worker.monthly_reports")
def monthly_reports() -> str:
    """Beat, on the 1st (Paris): the month before, for every active shop and the
    cooperative. Not retried: a failed report shows as failed and can be regenerated."""
    return reports_generate(month=format_month(previous_month(current_month())), shop_ids=None).pk


@shared_task(
    name="worker.post_stock_variations",
    acks_late=True,
    max_retries=3,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
)
def post_stock_variations(month: str | None = None) -> dict:
    """Post the stock variation of a finished month (default: the month before) for
    every shop that has stock. Idempotent: each (shop, month) has a unique source key,
    so a retry or a second run posts nothing new. Retried when the database is down."""
    target = parse_month(month) if month else previous_month(current_month())
    shops = Shop.objects.filter(pk__in=StockBalance.objects.values("shop_id")).order_by("pk")
    posted = 0
    for shop in shops:
        posted += stock_variation_post(shop=shop, month=target) is not None
    return {"month": format_month(target), "shops": shops.count(), "entries": posted}


@shared_task(name="worker.payment_reminders")
def payment_reminders() -> list[int]:
    """Beat, every morning (Paris): the reminders of overdue invoices, each level once
    (payments.services.reminders; the e-mails go after commit, one task each). Not
    retried: the next morning's sweep is the retry, and catches up what was missed.
    Returns the ids of the reminders created."""
    return payment_reminders_send()
