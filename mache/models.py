"""The few tables every app shares: the outbox of tasks to send (docs/tasks.md)."""

from django.db import models
from django.db.models import Q
from django.utils import timezone


class OutboxMessage(models.Model):
    """A task to hand to the broker, written in the transaction of the work that needs it.

    Committed with that work or rolled back with it: a write never depends on the broker
    being up at that moment. Sent right after commit when the broker answers, otherwise
    by the next drain (mache.outbox); sent rows are kept a week for the audit.
    """

    task_id = models.CharField(max_length=64, unique=True)
    task_name = models.CharField(max_length=200)  # the task's registered name
    args = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = "tâche à envoyer"
        verbose_name_plural = "tâches à envoyer"
        indexes = [
            # The drain and the after-commit check read only what is left to send.
            models.Index(fields=["id"], condition=Q(sent_at__isnull=True), name="outbox_unsent"),
            models.Index(fields=["sent_at"], name="outbox_sent_at"),
        ]

    def __str__(self) -> str:
        return f"{self.task_name}{tuple(self.args)} [{self.task_id}]"
