"""Tasks of the shared machinery: draining the outbox, sending the e-mails of the apps
(docs/tasks.md), checking the stored documents every night (docs/documents.md)."""

import logging

from celery import shared_task

from .documents import documents_check
from .notifications import send_notification as send_notification
from .outbox import outbox_drain as drain
from .outbox import outbox_prune

log = logging.getLogger(__name__)


@shared_task(name="mache.outbox_drain")
def outbox_drain() -> dict:
    """Beat, every minute: send what the broker could not take at commit time, and
    forget what was sent more than a week ago. Not retried: the next minute is the retry."""
    return {"sent": drain(), "pruned": outbox_prune()}


@shared_task(name="mache.documents_check")
def check_documents() -> dict:
    """Beat, every night: every stored document checked against its hash
    (docs/documents.md); each altered one is logged as an error and flagged for the
    coordinator's home page. Not retried: the next night checks them all again."""
    result = documents_check()
    log.info(
        "documents_check: %s checked, %s altered %s",
        result["checked"],
        len(result["altered"]),
        result["altered"],
    )
    return result
