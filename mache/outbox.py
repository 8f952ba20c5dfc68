"""Tasks go to the broker through a table: enqueue after commit, drain what was not sent.

`enqueue_on_commit` writes an OutboxMessage in the caller's transaction (the task's
registered name, its arguments as JSON, a task id chosen now so an API can answer 202
with it) and, once that transaction commits, tries to send it with a short broker
timeout (settings: CELERY_BROKER_TRANSPORT_OPTIONS, CELERY_TASK_PUBLISH_RETRY_POLICY).
When the broker is down the row stays unsent and the write stands: `outbox_drain` sends
it later, run by beat every minute (mache.tasks.outbox_drain) and by the next send that
succeeds. Rows are locked while they are sent (SKIP LOCKED), so two drains never send
the same row; a task may still arrive twice (sent, then the commit that marks it sent
fails), which every task tolerates. See docs/tasks.md.
"""

import datetime as dt
import logging
import uuid
from collections.abc import Iterable
from functools import partial

import redis.exceptions
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from .celery import app
from .models import OutboxMessage

log = logging.getLogger(__name__)

DRAIN_BATCH = 200
KEEP_SENT = dt.timedelta(days=7)
# The broker is unreachable: stop the batch there, the next drain tries again.
BROKER_DOWN = (
    BrokerError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    OSError,
)


def task_name(task) -> str:
    """The registered name of a task, given as the task itself (its function decorated
    with @shared_task): a name typed as a string would fail only in the worker."""
    if isinstance(task, str):
        raise TypeError(f"enqueue the task itself, not its name: {task!r}")
    return task.name


def enqueue_on_commit(task, *args) -> str:
    """Send `task(*args)` once the current transaction commits; returns its id at once.

    Call it inside the transaction of the write that needs the task: the row commits or
    rolls back with that write. Outside a transaction the row is committed at once and
    sent right away.
    """
    return enqueue_many_on_commit(task, [args])[0]


def enqueue_many_on_commit(task, args_list: Iterable[Iterable]) -> list[str]:
    """One task per argument tuple, written in one INSERT; their ids in the same order."""
    name = task_name(task)
    rows = OutboxMessage.objects.bulk_create(
        [
            OutboxMessage(task_id=str(uuid.uuid4()), task_name=name, args=list(args))
            for args in args_list
        ]
    )
    if rows:
        ids = [row.pk for row in rows]
        transaction.on_commit(partial(_send_after_commit, ids))
    return [row.task_id for row in rows]


def _send_after_commit(message_ids: list[int]) -> None:
    """Best effort: the work is committed whatever happens here, so nothing is raised.
    Once the broker took these, anything older still waiting goes too."""
    try:
        sent, broker_down = outbox_send(message_ids=message_ids)
        if not broker_down and OutboxMessage.objects.filter(sent_at__isnull=True).exists():
            outbox_drain()
    except Exception:  # whatever it is, the write committed: log it, the drain retries
        log.exception("outbox: could not send %s after commit; the drain will retry", message_ids)


def outbox_send(*, message_ids: list[int]) -> tuple[int, bool]:
    """Send these rows if still unsent and not being sent by someone else.
    Returns (how many were sent, whether the broker was found down)."""
    with transaction.atomic():
        rows = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(pk__in=message_ids, sent_at__isnull=True)
            .order_by("pk")
        )
        return _publish(rows)


def outbox_drain(*, batch: int = DRAIN_BATCH) -> int:
    """Send every row left unsent, oldest first, in batches; stops when the broker is
    down or a batch sends nothing. Returns how many were sent."""
    total = 0
    while True:
        with transaction.atomic():
            rows = list(
                OutboxMessage.objects.select_for_update(skip_locked=True)
                .filter(sent_at__isnull=True)
                .order_by("pk")[:batch]
            )
            sent, broker_down = _publish(rows)
        total += sent
        if broker_down or not sent or len(rows) < batch:
            return total


def outbox_prune(*, now=None) -> int:
    """Forget the rows sent more than KEEP_SENT ago (kept until then for the audit)."""
    limit = (now or timezone.now()) - KEEP_SENT
    return OutboxMessage.objects.filter(sent_at__lt=limit).delete()[0]


def _publish(rows: list[OutboxMessage]) -> tuple[int, bool]:
    """Send locked rows in order and record each attempt. Call inside the transaction
    that locked them."""
    if not rows:
        return 0, False
    touched, sent, broker_down = [], 0, False
    for row in rows:
        row.attempts += 1
        row.last_attempt_at = timezone.now()
        touched.append(row)
        try:
            app.send_task(row.task_name, args=row.args, task_id=row.task_id)
        except BROKER_DOWN as exc:
            row.last_error = _describe(exc)
            broker_down = True
            log.warning(
                "outbox: broker unreachable, %s left for the drain: %s", row, row.last_error
            )
            break
        except Exception as exc:  # this message only (say, a bad name): record, go on
            row.last_error = _describe(exc)
            log.exception("outbox: could not send %s", row)
            continue
        row.sent_at, row.last_error = timezone.now(), ""
        sent += 1
    OutboxMessage.objects.bulk_update(
        touched, ["attempts", "last_attempt_at", "sent_at", "last_error"]
    )
    return sent, broker_down


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]
