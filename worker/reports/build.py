"""One monthly report: render it, store it as issued, say it is ready; and its task.

`report_build` renders a report and stores it as a document kept as issued
(mache.documents, docs/documents.md): key "report:<report id>:<n>", n counting the builds
of that report, so that a month built again gets a new document and the one sent before
is kept. The bytes are written by mache.documents.store_bytes (a temporary file beside
their final place, renamed into it: a worker killed mid-way leaves no half-written
report), then the document's row and the report's point to them in one transaction.
`generate_report` is the task that `worker.services.reports_generate` sends, one per
report.
"""

import logging

from celery import shared_task
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.mail import send_mail
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify

from mache.cache import cached
from mache.documents import document_store
from mache.formats import format_month_name
from mache.notifications import notification, notify_on_commit
from mache.periods import format_month
from shops.models import User

from ..models import Report, TaskRun
from .figures import cooperative_medians, cooperative_report_data, shop_report_data
from .pdf import cooperative_report_pdf, shop_report_pdf

log = logging.getLogger(__name__)


def _render(report: Report) -> bytes:
    if report.shop_id:
        # Every shop report of a run compares with the same medians: computed by the
        # first task of the run, shared through the cache (they cost as much as the rest
        # of a report, and grow with the number of shops).
        if report.run_id:
            medians = cached(
                f"report-medians:{report.run_id}",
                lambda: cooperative_medians(month=report.month),
                timeout=6 * 3600,
            )
        else:
            medians = cooperative_medians(month=report.month)
        return shop_report_pdf(
            shop_report_data(shop=report.shop, month=report.month, peer_medians=medians)
        )
    return cooperative_report_pdf(cooperative_report_data(month=report.month))


def report_filename(report: Report) -> str:
    """The name the report downloads under: the shop's name in ASCII, as issued."""
    who = slugify(report.shop.name) if report.shop_id else "cooperative"
    return f"rapport-{who}-{format_month(report.month)}.pdf"


def _build_number(report: Report) -> int:
    """The number of the build about to be stored: one more than the report's current
    document's (its latest: the document and the report change in one transaction)."""
    if report.document_id is None:
        return 1
    return int(report.document.key.rsplit(":", 1)[1]) + 1


def report_build(*, report_id: int) -> Report:
    """Render and store one report as a new document; idempotent: a redelivered task
    finds the report built (ready, with its document) and renders nothing, counting in
    its run once. A report asked again (reports_generate made it pending) is built anew:
    a new document; the previous one is kept, and stays checked."""
    report = Report.objects.select_related("shop").get(pk=report_id)
    if report.status != Report.Status.PENDING and report.document_id is not None:
        return report
    content = _render(report)
    with transaction.atomic():
        locked = (
            Report.objects.select_for_update(of=("self",))
            .select_related("shop", "document")
            .get(pk=report_id)
        )
        if locked.status != Report.Status.PENDING and locked.document_id is not None:
            return locked  # built meanwhile by another delivery of the task
        old_file = locked.file.name if locked.document_id is None else ""
        document = document_store(
            key=f"report:{locked.pk}:{_build_number(locked)}",
            kind="report",
            filename=report_filename(locked),
            content_type="application/pdf",
            render=lambda: content,
            shop_id=locked.shop_id,
        )
        was_pending = locked.status == Report.Status.PENDING
        locked.document = document
        locked.file.name = document.name
        locked.status, locked.error = Report.Status.READY, ""
        locked.generated_at = timezone.now()
        locked.save(update_fields=["document", "file", "status", "error", "generated_at"])
        if was_pending and locked.run_id:
            _count_in_run(locked.run_id, failed=False)
        if old_file and old_file != document.name:
            # A file of a report built before documents were stored: no document names
            # it, the new one replaces it (after commit: a reader never meets a gap).
            transaction.on_commit(lambda: default_storage.delete(old_file))
        if locked.shop_id:
            notify_on_commit(report_ready_email, locked.pk)
    return locked


def report_failed(*, report_id: int, error: str) -> None:
    with transaction.atomic():
        report = Report.objects.select_for_update().get(pk=report_id)
        if report.status == Report.Status.PENDING:
            report.status, report.error = Report.Status.FAILED, error[:300]
            report.save(update_fields=["status", "error"])
            if report.run_id:
                _count_in_run(report.run_id, failed=True)


def _count_in_run(run_id: str, *, failed: bool) -> None:
    TaskRun.objects.filter(pk=run_id).update(
        **({"failed": F("failed") + 1} if failed else {"done": F("done") + 1})
    )
    TaskRun.objects.filter(
        pk=run_id, finished_at__isnull=True, total__lte=F("done") + F("failed")
    ).update(finished_at=timezone.now())


@notification("report_ready")
def report_ready_email(report_id: int) -> int:
    """Tell the shop's shopkeepers their report is ready, with the link to it."""
    report = Report.objects.select_related("shop").get(pk=report_id)
    recipients = list(
        User.objects.filter(is_active=True, role=User.Role.SHOPKEEPER, shops=report.shop)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    if not recipients:
        return 0
    month = format_month_name(report.month)
    link = f"{settings.SITE_URL}/api/reports/{report.pk}/pdf/"
    body = (
        f"Bonjour,\n\nLe rapport mensuel de {report.shop.name} pour {month} est prêt :\n"
        f"{link}\n\nL'équipe de la coopérative"
    )
    return send_mail(f"[MACHE] Votre rapport de {month} est prêt", body, None, recipients)


@shared_task(
    name="worker.generate_report",
    acks_late=True,
    max_retries=3,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
)
def generate_report(report_id: int) -> dict:
    """Render and store one monthly report. Late acknowledgement redelivers it if the
    worker dies; the service is idempotent (it replaces the file and counts once).
    Retried when the database is unreachable; any other error marks the report failed."""
    try:
        report = report_build(report_id=report_id)
    except (OperationalError, InterfaceError):
        raise
    except Exception as exc:
        log.exception("report %s failed", report_id)
        report_failed(report_id=report_id, error=f"{type(exc).__name__}: {exc}")
        raise
    return {"report": report.pk, "file": report.file.name, "document": report.document_id}
