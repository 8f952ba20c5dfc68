"""E-mails sent after commit, by name: each app writes its notifications as plain
functions `f(object_id) -> int` (how many e-mails went) and marks them `@notification`;
a write enqueues one with `notify_on_commit(f, object_id)`.

One task sends them all (`send_notification` below, registered under its historical
name "worker.send_notification"): the message carries the notification's kind and the id,
so messages already queued or waiting in the outbox keep working, and an app below
`worker` can enqueue an e-mail without knowing the worker. See docs/tasks.md.
"""

from collections.abc import Callable

from celery import shared_task

from .outbox import enqueue_on_commit

Notification = Callable[[int], int]

_REGISTRY: dict[str, Notification] = {}


def notification(kind: str) -> Callable[[Notification], Notification]:
    """Register `function` under `kind` (the name queued messages carry)."""

    def register(function: Notification) -> Notification:
        known = _REGISTRY.get(kind)
        if known is not None and known.__qualname__ != function.__qualname__:
            raise ValueError(f"two notifications named {kind!r}: {known} and {function}")
        _REGISTRY[kind] = function
        function.notification_kind = kind
        return function

    return register


def notification_for(kind: str) -> Notification:
    """The function registered as `kind`; a worker imports every app's tasks module,
    which imports its notifications (mache.celery autodiscovers them)."""
    try:
        return _REGISTRY[kind]
    except KeyError:
        raise LookupError(f"no notification named {kind!r}") from None


def notify_on_commit(function: Notification, object_id: int) -> str:
    """Enqueue the e-mail `function(object_id)` once the current transaction commits."""
    return enqueue_on_commit(send_notification, function.notification_kind, object_id)


@shared_task(
    name="worker.send_notification",
    acks_late=True,
    max_retries=5,
    autoretry_for=(OSError,),
    retry_backoff=True,
)
def send_notification(kind: str, object_id: int) -> int:
    """One e-mail. Retried when the mail server is unreachable (OSError); a duplicate
    e-mail after a crash is acceptable, a lost one is not."""
    return notification_for(kind)(object_id)
