"""Monthly management reports and the progress of runs of many tasks."""

from django.db import models
from django.db.models import Q

from mache.progress import Progress, run_progress


class TaskRun(models.Model):
    """Progress of work fanned out over many tasks (one per shop): the id is the one
    the API returned, `done` moves with F() as each task ends."""

    id = models.CharField(primary_key=True, max_length=64)
    kind = models.CharField(max_length=40)
    total = models.PositiveIntegerField()
    done = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(done__lte=models.F("total")), name="taskrun_done_at_most_total"
            ),
        ]

    def progress(self, result=None) -> Progress:
        """Where the run stands (mache.progress); `result` is shown once it is finished."""
        return run_progress(done=self.done, failed=self.failed, total=self.total, result=result)


class Report(models.Model):
    """One management report per shop and month (shop NULL: the cooperative's)."""

    class Status(models.TextChoices):
        PENDING = "pending", "En attente"
        READY = "ready", "Prêt"
        FAILED = "failed", "Échec"

    shop = models.ForeignKey(
        "shops.Shop", on_delete=models.PROTECT, null=True, blank=True, related_name="reports"
    )
    month = models.DateField("mois")  # first day
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    file = models.FileField(upload_to="reports/%Y/%m/", blank=True)
    # The PDF as issued, with its hash (docs/documents.md): downloads serve these bytes.
    document = models.ForeignKey(
        "mache.StoredDocument",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    generated_at = models.DateTimeField(null=True, blank=True)
    run = models.ForeignKey(
        TaskRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="reports"
    )
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = "rapport mensuel"
        verbose_name_plural = "rapports mensuels"
        ordering = ["-month", "shop_id"]
        constraints = [
            models.UniqueConstraint(fields=["shop", "month"], name="one_report_per_shop_month"),
            models.UniqueConstraint(
                fields=["month"],
                condition=Q(shop__isnull=True),
                name="one_cooperative_report_per_month",
            ),
            models.CheckConstraint(condition=Q(month__day=1), name="report_month_first_day"),
        ]
