"""Celery tasks of pooled purchasing: thin, they take ids, re-read, and call services.
Every task is safe to run twice (late acknowledgement redelivers a task whose worker
died). Their registered names ("worker....") predate this module: queued messages and
the beat schedule use them (docs/tasks.md). The e-invoicing tasks live with their
services (purchasing.services.einvoicing), and the task storing each issued document with
its documents (purchasing.documents, docs/documents.md): imported here so that Celery
registers them."""

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

from mache.outbox import enqueue_many_on_commit

from .documents import store_issued_document as store_issued_document
from .models import Round
from .services.consolidation import round_consolidate, rounds_due_ids
from .services.einvoicing import deposit_einvoice as deposit_einvoice
from .services.einvoicing import fetch_einvoice_statuses as fetch_einvoice_statuses
from .services.einvoicing import fetch_supplier_invoices as fetch_supplier_invoices
from .services.rounds import round_reminders_send, schedules_open_due

log = logging.getLogger(__name__)


@shared_task(
    name="worker.consolidate_round",
    acks_late=True,
    max_retries=5,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
)
def consolidate_round(round_id: int) -> dict:
    """Consolidate one round. Retried when the database is unreachable (the error kinds
    above): the service is one transaction and idempotent (one supplier order per
    round), so a retry either finds the work done or does all of it. A round that does
    not exist is not retried: it will not appear later."""
    try:
        supplier_order = round_consolidate(round_id=round_id)
    except Round.DoesNotExist:
        log.warning("consolidate_round: round %s does not exist", round_id)
        return {"round": round_id, "supplier_order": None}
    if supplier_order is None:
        return {"round": round_id, "supplier_order": None}
    return {"round": round_id, "supplier_order": supplier_order.pk, "status": supplier_order.status}


@shared_task(name="worker.sweep_rounds")
def sweep_rounds() -> list[int]:
    """Run by beat every minute: the weekly schedules open their rounds, the shops that
    have not ordered are reminded 24 h before a deadline (once), and every open round
    past its deadline gets consolidated, even if no worker was up at that minute. Each
    step is idempotent (docs/rounds.md). Not retried: the next sweep is the retry.
    Returns the ids of the rounds due for consolidation."""
    opened = schedules_open_due()
    reminded = round_reminders_send()
    if opened or reminded:
        log.info("sweep_rounds: rounds opened %s, reminded %s", opened, reminded)
    due = rounds_due_ids()
    enqueue_many_on_commit(consolidate_round, [(round_id,) for round_id in due])
    return due
