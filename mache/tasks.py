"""Tasks of the shared machinery: draining the outbox, sending the e-mails of the apps
(docs/tasks.md)."""

from celery import shared_task

from .notifications import send_notification as send_notification
from .outbox import outbox_drain as drain
from .outbox import outbox_prune


@shared_task(name="mache.outbox_drain")
def outbox_drain() -> dict:
    """Beat, every minute: send what the broker could not take at commit time, and
    forget what was sent more than a week ago. Not retried: the next minute is the retry."""
    return {"sent": drain(), "pruned": outbox_prune()}
