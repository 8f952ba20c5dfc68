"""Celery tasks: thin, they take ids, re-read, and call services. Every task is safe to
run twice (late acknowledgement redelivers a task whose worker died)."""

import logging

from celery import shared_task

log = logging.getLogger(__name__)


@shared_task(name="worker.ping")
def ping() -> str:
    """Answers "pong": lets health checks and tests see a worker run a task end to end."""
    return "pong"


@shared_task(name="worker.consolidate_round", acks_late=True, bind=True, max_retries=5,
             autoretry_for=(Exception,), retry_backoff=True)
def consolidate_round(self, round_id: int) -> dict:
    """Consolidate one round. Retried on any error: the service is one transaction and
    idempotent (one supplier order per round), so a retry either finds the work done
    or does all of it."""
    from purchasing.services.consolidation import round_consolidate

    supplier_order = round_consolidate(round_id=round_id)
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
    for round_id in due:
        consolidate_round.delay(round_id)
    return due


@shared_task(name="worker.send_notification", acks_late=True, max_retries=5,
             autoretry_for=(OSError,), retry_backoff=True)
def send_notification(kind: str, object_id: int) -> int:
    """One e-mail about a round. Retried when the mail server is unreachable (OSError);
    a duplicate e-mail after a crash is acceptable, a lost one is not."""
    from purchasing.services.notifications import SENDERS

    return SENDERS[kind](object_id)
