"""Monthly management reports: what to generate, and storing each one safely.

`reports_generate` checks the request, records a TaskRun (the progress the API shows)
and one Report row per shop and month (kept and reused: regeneration replaces the file),
then, after commit, sends one task per report so that workers share the load.
`report_build` renders a report and stores it: the PDF is written to a temporary file
beside its final place and renamed into it (atomic on one file system), so a worker
killed mid-way leaves no half-written report; the row then points to the new file in a
transaction, and the old file is removed after commit.
"""

import contextlib
import os
import uuid
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from mache.cache import cached
from mache.errors import InvalidInput
from mache.formats import format_date
from mache.outbox import enqueue_many_on_commit
from mache.periods import format_month, last_day_of_month, parse_month
from shops.dates import cooperative_founded_on, member_by_month_end, report_month_error
from shops.models import Shop, User

from .models import Report, TaskRun

STALE_PART_SECONDS = 3600


def _check_request(*, month: str, shop_ids) -> tuple:
    """The month (over: shops.dates.report_month_error, or the whole request is refused)
    and the shops: those named, each a member by the end of the month (400 naming the
    others), or every active shop that had joined by then, with the cooperative."""
    errors = {}
    try:
        first_day = parse_month(month)
    except (TypeError, ValueError):
        raise InvalidInput({"month": ["Mois attendu au format AAAA-MM."]}) from None
    if error := report_month_error(first_day):
        raise InvalidInput({"month": [error]})
    if shop_ids is None:
        if not member_by_month_end(None, first_day):
            raise InvalidInput({"month": [
                f"La coopérative n'existait pas encore en {format_month(first_day)} "
                f"(création le {format_date(cooperative_founded_on())})."]})
        shops = list(Shop.objects.filter(status=Shop.Status.ACTIVE, joined_on__isnull=False,
                                         joined_on__lte=last_day_of_month(first_day))
                     .order_by("pk"))
        with_cooperative = True
    else:
        found = Shop.objects.in_bulk(list(shop_ids))
        missing = [str(i) for i in shop_ids if i not in found]
        if missing:
            errors["shops"] = [f"Commerce(s) inconnu(s) : {', '.join(missing)}."]
        shops = [found[i] for i in dict.fromkeys(shop_ids) if i in found]
        late = [s.name for s in shops if not member_by_month_end(s, first_day)]
        if late:
            errors.setdefault("shops", []).append(
                f"Pas encore adhérent(s) en {format_month(first_day)} : {', '.join(late)}.")
        with_cooperative = False
    if errors:
        raise InvalidInput(errors)
    return first_day, shops, with_cooperative


def reports_generate(*, month: str, shop_ids: list[int] | None) -> TaskRun:
    """Generate the reports of a month: the shops named, or every active shop and the
    cooperative when `shop_ids` is None. Returns the run whose id the API gives out."""
    first_day, shops, with_cooperative = _check_request(month=month, shop_ids=shop_ids)
    with transaction.atomic():
        run = TaskRun.objects.create(id=str(uuid.uuid4()), kind="reports",
                                     total=len(shops) + with_cooperative)
        targets = [*(s.pk for s in shops), *([None] if with_cooperative else [])]
        Report.objects.bulk_create([Report(shop_id=shop_id, month=first_day)
                                    for shop_id in targets], ignore_conflicts=True)
        wanted = Q(shop_id__in=[s.pk for s in shops])
        if with_cooperative:
            wanted |= Q(shop__isnull=True)
        reports = list(Report.objects.select_for_update().filter(wanted, month=first_day)
                       .order_by("pk"))
        for report in reports:
            report.status, report.run, report.error = Report.Status.PENDING, run, ""
        Report.objects.bulk_update(reports, ["status", "run", "error"])
        # Through the outbox: a broker down now delays the reports, it loses none.
        enqueue_many_on_commit("worker.generate_report", [(r.pk,) for r in reports])
    return run


def _render(report: Report) -> bytes:
    from .reports.figures import cooperative_medians, cooperative_report_data, shop_report_data
    from .reports.pdf import cooperative_report_pdf, shop_report_pdf

    if report.shop_id:
        # Every shop report of a run compares with the same medians: computed by the
        # first task of the run, shared through the cache (they cost as much as the rest
        # of a report, and grow with the number of shops).
        if report.run_id:
            medians = cached(f"report-medians:{report.run_id}",
                             lambda: cooperative_medians(month=report.month),
                             timeout=6 * 3600)
        else:
            medians = cooperative_medians(month=report.month)
        return shop_report_pdf(shop_report_data(shop=report.shop, month=report.month,
                                                peer_medians=medians))
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
                from .tasks import enqueue_on_commit

                enqueue_on_commit("worker.send_notification", "report_ready", locked.pk)
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
        **({"failed": F("failed") + 1} if failed else {"done": F("done") + 1}))
    TaskRun.objects.filter(pk=run_id, finished_at__isnull=True,
                           total__lte=F("done") + F("failed")).update(finished_at=timezone.now())


def report_ready_email(report_id: int) -> int:
    """Tell the shop's shopkeepers their report is ready, with the link to it."""
    report = Report.objects.select_related("shop").get(pk=report_id)
    recipients = list(User.objects.filter(is_active=True, role=User.Role.SHOPKEEPER,
                                          shops=report.shop).exclude(email="")
                      .values_list("email", flat=True))
    if not recipients:
        return 0
    month = format_month(report.month)
    link = f"{settings.SITE_URL}/api/reports/{report.pk}/pdf/"
    body = (f"Bonjour,\n\nLe rapport mensuel de {report.shop.name} pour {month} est prêt :\n"
            f"{link}\n\nL'équipe de la coopérative")
    return send_mail(f"[MACHE] Votre rapport de {month} est prêt", body, None, recipients)
