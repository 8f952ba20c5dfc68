"""One monthly report: render it, store it safely, say it is ready; and its task.

`report_build` renders a report and stores it: the PDF is written to a temporary file
beside its final place and renamed into it (atomic on one file system), so a worker
killed mid-way leaves no half-written report; the row then points to the new file in a
transaction, and the old file is removed after commit. `generate_report` is the task
that `worker.services.reports_generate` sends, one per report.
"""

import contextlib
import logging
import os
import uuid
from pathlib import Path

from celery import shared_task
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage
from django.core.mail import send_mail
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import F
from django.utils import timezone

from mache.cache import cached
from mache.formats import format_month_name
from mache.notifications import notification, notify_on_commit
from shops.models import User

from ..models import Report, TaskRun
from .figures import cooperative_medians, cooperative_report_data, shop_report_data
from .pdf import cooperative_report_pdf, shop_report_pdf

log = logging.getLogger(__name__)

STALE_PART_SECONDS = 3600


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


def report_file_name(report: Report) -> str:
    who = f"commerce-{report.shop_id}" if report.shop_id else "cooperative"
    return f"reports/{report.month:%Y/%m}/rapport-{who}-{report.month:%Y-%m}.pdf"


def store_pdf(name: str, content: bytes) -> str:
    """Store `content` under a free name close to `name`; never leaves a partial file.

    On the local file system: write a temporary ".part" file in the same directory,
    flush it to disk, then rename it (atomic). Other storages upload a whole object.
    """
    if not isinstance(default_storage, FileSystemStorage):
        return default_storage.save(name, ContentFile(content))
    final = default_storage.get_available_name(name)
    path = Path(default_storage.path(final))
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_parts(path.parent)
    part = path.with_name(f".{path.name}.{uuid.uuid4().hex}.part")
    with open(part, "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(part, path)
    return final


def _remove_stale_parts(folder: Path) -> None:
    """Parts left by a worker killed while writing (they never became a report)."""
    limit = timezone.now().timestamp() - STALE_PART_SECONDS
    for part in folder.glob(".*.part"):
        # Another worker may rename its part into a report between the listing and here.
        with contextlib.suppress(FileNotFoundError):
            if part.stat().st_mtime < limit:
                part.unlink(missing_ok=True)


def report_build(*, report_id: int) -> Report:
    """Render and store one report; idempotent (a replay replaces the file again and
    counts in its run once)."""
    report = Report.objects.select_related("shop").get(pk=report_id)
    stored = store_pdf(report_file_name(report), _render(report))
    try:
        with transaction.atomic():
            locked = Report.objects.select_for_update().get(pk=report_id)
            old = locked.file.name
            was_pending = locked.status == Report.Status.PENDING
            locked.file.name = stored
            locked.status, locked.error = Report.Status.READY, ""
            locked.generated_at = timezone.now()
            locked.save(update_fields=["file", "status", "error", "generated_at"])
            if was_pending and locked.run_id:
                _count_in_run(locked.run_id, failed=False)
            if old and old != stored:
                transaction.on_commit(lambda: default_storage.delete(old))
            if locked.shop_id:
                notify_on_commit(report_ready_email, locked.pk)
    except Exception:
        default_storage.delete(stored)  # the row does not point to it: do not leave it
        raise
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
    return {"report": report.pk, "file": report.file.name}
