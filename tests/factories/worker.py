"""Monthly reports."""

import factory
from django.core.files.base import ContentFile
from django.utils import timezone

from mache.periods import current_month, previous_month
from worker.models import Report

REPORT_PDF = b"%PDF-1.4\n% rapport de test\n%%EOF\n"


class ReportFactory(factory.django.DjangoModelFactory):
    """A report of last month, pending (the pipeline has not run)."""

    class Meta:
        model = Report

    shop = None
    month = factory.LazyFunction(lambda: previous_month(current_month()))
    status = Report.Status.PENDING


def ready_report(shop, month=None, content=REPORT_PDF) -> Report:
    """A generated report of `shop` (None: the cooperative's) with its PDF stored as a
    file only: a report built before documents were stored (docs/documents.md)."""
    report = ReportFactory(
        shop=shop,
        month=month or previous_month(current_month()),
        status=Report.Status.READY,
        generated_at=timezone.now(),
    )
    report.file.save(
        f"rapport-{shop.pk if shop else 'coop'}-{report.month:%Y-%m}.pdf", ContentFile(content)
    )
    return report


def issued_report(shop, month=None, content=REPORT_PDF) -> Report:
    """A report built as report_build builds it: its PDF a stored document."""
    from mache.documents import document_store

    report = ReportFactory(
        shop=shop,
        month=month or previous_month(current_month()),
        status=Report.Status.READY,
        generated_at=timezone.now(),
    )
    report.document = document_store(
        key=f"report:{report.pk}:1",
        kind="report",
        filename=f"rapport-{shop.pk if shop else 'cooperative'}-{report.month:%Y-%m}.pdf",
        content_type="application/pdf",
        render=lambda: content,
        shop_id=shop.pk if shop else None,
    )
    report.file.name = report.document.name
    report.save(update_fields=["document", "file"])
    return report
