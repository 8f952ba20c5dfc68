"""How far a piece of background work has got, read one way wherever it is shown: the
tasks API, the reports page, the consolidation's progress bar (docs/tasks.md).

A single task is read from the outbox (not sent yet: PENDING, without asking Redis)
then from Celery's result backend. A run of many tasks (a month of reports) is
finished once every task has ended, done or failed, by its counts.
"""

from dataclasses import dataclass

from celery.result import AsyncResult

from .celery import app
from .models import OutboxMessage

ENDED = ("SUCCESS", "FAILURE")


@dataclass(frozen=True)
class Progress:
    state: str  # Celery's: PENDING, RECEIVED, STARTED, PROGRESS, RETRY, SUCCESS, FAILURE
    done: int
    total: int
    result: object = None
    failures: int = 0  # of a run: its tasks that failed (they count as ended)

    @property
    def finished(self) -> bool:
        return self.state in ENDED

    @property
    def failed(self) -> bool:
        return self.state == "FAILURE"

    @property
    def percent(self) -> int:
        """The share of ended tasks, 0 to 100; a run with nothing to do is complete."""
        return 100 * (self.done + self.failures) // self.total if self.total else 100

    def as_json(self) -> dict:
        """The shape of GET /api/tasks/{id}/."""
        return {
            "state": self.state,
            "progress": {"done": self.done, "total": self.total},
            "result": self.result,
        }


def task_progress(task_id: str) -> Progress:
    """One task's progress: waiting in the outbox, then as Celery's backend knows it."""
    if OutboxMessage.objects.filter(task_id=task_id, sent_at__isnull=True).exists():
        return Progress("PENDING", 0, 0)
    result = AsyncResult(str(task_id), app=app)
    state, info = result.state, result.info
    if state == "PROGRESS" and isinstance(info, dict):
        return Progress(state, info.get("done", 0), info.get("total", 0))
    if state == "SUCCESS":
        return Progress(state, 1, 1, result.result)
    if state == "FAILURE":
        return Progress(state, 0, 0, {"error": type(info).__name__})
    return Progress(state, 0, 0)


def run_progress(*, done: int, failed: int, total: int, result=None) -> Progress:
    """A run of `total` tasks, `done` of them succeeded and `failed` failed: finished
    when all have ended (FAILURE if any failed). `result` is given once finished."""
    ended = done + failed
    if ended < total:
        return Progress("PROGRESS" if ended else "PENDING", done, total, None, failed)
    return Progress("FAILURE" if failed else "SUCCESS", done, total, result, failed)
