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


class StoredDocument(models.Model):
    """A document as it was issued: rendered once, its bytes in the configured storage,
    their SHA-256 and size here (docs/documents.md, mache.documents). Never re-rendered:
    every download serves these bytes after checking them against the hash; a mismatch
    sets `altered_at` and is refused. Only `altered_at` may change (a PostgreSQL trigger
    refuses any other UPDATE, and every DELETE)."""

    # What the document is, one key per document: "<kind>:<ids...>", e.g.
    # "invoice-pdf:12", "credit-note-xml:3", "purchase-order:7", "delivery-note:7:4",
    # "delivery-notes:7", "report:40:1" (its first build), "archive:<ledger id>:<year>".
    key = models.CharField(max_length=200, unique=True)
    kind = models.CharField("type", max_length=40)
    name = models.CharField("fichier", max_length=300)  # the name in the storage
    filename = models.CharField("nom de téléchargement", max_length=200)
    content_type = models.CharField(max_length=100)
    sha256 = models.CharField("SHA-256", max_length=64)
    size = models.PositiveBigIntegerField("taille (octets)")
    # The shop the document concerns (no foreign key: mache is below shops), for the
    # archive and the coordinator's alarms; None: the cooperative's.
    shop_id = models.IntegerField(null=True, blank=True)
    issued_at = models.DateTimeField("émis le", default=timezone.now)
    altered_at = models.DateTimeField("altéré le", null=True, blank=True)

    class Meta:
        verbose_name = "document émis"
        verbose_name_plural = "documents émis"
        indexes = [
            models.Index(fields=["kind", "shop_id"], name="stored_document_kind_shop"),
            models.Index(
                fields=["id"], condition=Q(altered_at__isnull=False), name="stored_document_altered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.filename} ({self.key})"
